#include "l1net/speaker/io/failover.hpp"

#include <algorithm>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>

namespace l1net::speaker {

namespace {

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::vector<std::string> failoverMembers(bool settled, std::vector<std::string> candidates) {
  if (!settled) {
    return {};
  }
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  return candidates;
}

bool memberJoined(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  if (before.empty()) {
    return false;
  }
  return std::any_of(after.begin(), after.end(), [&before](const std::string& m) {
    return !std::binary_search(before.begin(), before.end(), m);
  });
}

Failover::Failover(boost::asio::any_io_executor ex, std::unique_ptr<MeshTransport> transport,
                   MeshServiceOptions mesh, Options options, Sinks sinks,
                   std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      sinks_(std::move(sinks)),
      log_(logger ? std::move(logger) : spdlog::default_logger()),
      mesh_(std::move(ex), std::move(transport), std::move(mesh), log_) {
  for (const auto& m : mesh_.members()) {
    if (!m.is_self) {
      peers_.push_back({.name = m.name, .address = m.address, .port = m.port});
    }
  }
  mesh_.onChange([this](const std::vector<MemberChange>& /*changes*/) { reevaluate(); });
}

Failover::~Failover() { stop(); }

void Failover::start() {
  if (started_ || stopped_) {
    return;
  }
  started_ = true;
  applied_ = std::vector<std::string>{};
  ++policy_changes_;
  sinks_.policy(std::make_shared<RankedOwnershipPolicy>(std::vector<std::string>{}));
  const auto local = mesh_.localEndpoint();
  log_->info("mesh on {}:{}: waiting to hear from {} peer(s) before announcing",
             local.address().to_string(), local.port(), peers_.size());
  mesh_.start();
  reevaluate();  // no peers: settled at once
}

void Failover::reevaluate() {
  if (!started_ || stopped_) {
    return;
  }
  // Only the start waits for the mesh to settle: a Node added later starts unknown, which is not
  // a candidate, and must not make a running cluster withdraw every IP until it is heard.
  settled_ = settled_ || mesh_.settled();
  auto members = failoverMembers(settled_, mesh_.candidates());
  if (applied_ && *applied_ == members) {
    return;
  }
  log_->info("ownership candidates: {}", joinNames(members));
  const bool joined = applied_ && memberJoined(*applied_, members);
  applied_ = members;
  ++policy_changes_;
  sinks_.policy(std::make_shared<RankedOwnershipPolicy>(std::move(members)));
  if (joined && sinks_.reannounce) {
    ++reannouncements_;
    sinks_.reannounce();  // what we still own may have been claimed by the joiner meanwhile
  }
}

void Failover::setNodes(std::span<const manifest::Node> nodes) {
  auto derived = meshPeersFromNodes(nodes, options_.node, options_.mesh_port, options_.overrides);
  if (derived.peers == peers_) {
    return;
  }
  for (const auto& s : derived.skipped) {
    log_->warn("node {} has no usable InternalIP: not a mesh peer", s);
  }
  applyPeers(std::move(derived.peers));
}

void Failover::setSpeakerPods(std::span<const SpeakerPod> pods,
                              std::span<const manifest::Node> nodes,
                              const manifest::Labels& selector) {
  auto derived = meshPeersFromSpeakerPods(pods, nodes, selector, options_.node, options_.mesh_port,
                                          options_.overrides);
  if (derived.peers == peers_) {
    return;
  }
  for (const auto& s : derived.skipped) {
    log_->warn("{}: not a mesh peer ({})", s.what, peerSkipReasonName(s.reason));
  }
  applyPeers(std::move(derived.peers));
}

void Failover::applyPeers(std::vector<MeshPeer> peers) {
  if (const auto r = mesh_.setPeers(peers); !r) {
    log_->warn("mesh peers not updated: {}", r.error().message());
    return;
  }
  std::vector<std::string> names;
  for (const auto& p : peers) {
    names.push_back(p.name + "=" + p.address.to_string());
  }
  log_->info("mesh peers: {} peer(s) [{}]", peers.size(), joinNames(names));
  peers_ = std::move(peers);
  reevaluate();
}

void Failover::setEligible(bool eligible) {
  if (eligible == eligible_) {
    return;
  }
  eligible_ = eligible;
  if (eligible) {
    log_->info("an announcing interface is up again: eligible");
  } else {
    log_->warn("every announcing interface is down: telling peers this node is not eligible");
  }
  mesh_.setEligible(eligible);  // reevaluates through the change handler
  reevaluate();
}

void Failover::leave() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  mesh_.leave();
}

void Failover::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  mesh_.stop();
}

boost::json::value Failover::membersJson() const {
  return speaker::membersJson(mesh_.members(), mesh_.now());
}

void Failover::exportMetrics(metrics::Registry& registry) const { mesh_.exportMetrics(registry); }

std::unique_ptr<Failover> makeFailover(const boost::asio::any_io_executor& ex,
                                       const MeshSettings& settings, const std::string& node,
                                       std::span<const manifest::Node> nodes, Failover::Sinks sinks,
                                       std::shared_ptr<spdlog::logger> logger) {
  const auto port = settings.bind.port();
  const auto derived = meshPeersFromNodes(nodes, node, port, settings.overrides);
  for (const auto& s : derived.skipped) {
    logger->warn("node {} has no usable InternalIP: not a mesh peer", s);
  }
  auto opts = makeMeshServiceOptions(settings, node, derived.peers, newMeshIncarnation());
  auto transport = UdpMeshTransport::open(ex, settings.bind);
  if (!transport) {
    throw std::system_error(
        transport.error(),
        "mesh socket " + settings.bind.address().to_string() + ":" + std::to_string(port));
  }
  Failover::Options fo{.node = node, .mesh_port = port, .overrides = settings.overrides};
  return std::make_unique<Failover>(ex, std::move(*transport), std::move(opts), std::move(fo),
                                    std::move(sinks), std::move(logger));
}

Failover::Sinks failoverSinks(Speaker& speaker) {
  return {.policy =
              [&speaker](std::shared_ptr<const OwnershipPolicy> p) {
                speaker.setOwnershipPolicy(std::move(p));
              },
          .reannounce = [&speaker] { speaker.reannounce(); }};
}

void registerFailoverCommands(ControlServer& server, const Failover& failover) {
  server.handle("members", [&failover](const boost::json::object& /*req*/) {
    return ControlReply::success(failover.membersJson());
  });
}

}  // namespace l1net::speaker
