#include "l1net/speaker/mesh_service.hpp"

#include <algorithm>
#include <cerrno>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "l1net/io/host_port.hpp"
#include "l1net/io/spawn.hpp"
#include "l1net/metrics/registry.hpp"

namespace l1net::speaker {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kMaxDrainPerWake = 1024;  // bound one wake's work under a flood
constexpr std::chrono::milliseconds kReceiveErrorBackoff{50};

}  // namespace

struct MeshService::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, std::unique_ptr<MeshTransport> t, MeshServiceOptions opts,
       std::shared_ptr<spdlog::logger> logger)
      : ex(std::move(executor)),
        now(opts.now ? std::move(opts.now) : MeshClock::now),
        transport(std::move(t)),
        membership(std::move(opts.membership), std::move(opts.key), now()),
        leave_copies(opts.leave_copies),
        log(std::move(logger)),
        timer(ex) {
    if (!log) {
      log = spdlog::default_logger();
    }
  }

  void spawn(asio::awaitable<void> work);
  static asio::awaitable<void> receiveLoop(std::shared_ptr<Impl> self);
  static asio::awaitable<void> timerLoop(std::shared_ptr<Impl> self);
  // Reads every queued datagram (bounded) into the membership; returns the changes.
  void drain(std::vector<MemberChange>& changes);
  void sendAll(const std::vector<MeshOutgoing>& out);
  void emit(const std::vector<MemberChange>& changes);
  void stop();

  asio::any_io_executor ex;
  std::function<MeshTime()> now;  // the clock seam (MeshServiceOptions::now)
  std::unique_ptr<MeshTransport> transport;
  Membership membership;
  unsigned leave_copies;
  std::shared_ptr<spdlog::logger> log;
  asio::steady_timer timer;
  ChangeHandler on_change;
  MeshStats stats;
  std::set<std::string, std::less<>> send_failing;  // peers whose last send failed
  bool started = false;
  bool stopped = false;
};

void MeshService::Impl::spawn(asio::awaitable<void> work) {
  io::spawnLogged(ex, std::move(work), log, "mesh");
}

void MeshService::Impl::emit(const std::vector<MemberChange>& changes) {
  for (const auto& c : changes) {
    if (c.removed) {
      log->info("mesh peer {} removed (was {})", c.name, memberStateName(c.from));
    } else if (c.from != c.to) {
      log->info("mesh peer {}: {} -> {}{}", c.name, memberStateName(c.from), memberStateName(c.to),
                c.candidate_after ? "" : " (not a candidate)");
    } else if (c.affectsOwnership()) {
      log->info("mesh member {} is {} eligible", c.name, c.candidate_after ? "now" : "no longer");
    } else {
      log->debug("mesh peer {} added", c.name);
    }
  }
  if (changes.empty() || !on_change) {
    return;
  }
  try {
    on_change(changes);
  } catch (const std::exception& e) {
    log->error("mesh change handler failed: {}", e.what());
  } catch (...) {
    log->error("mesh change handler failed");
  }
}

void MeshService::Impl::sendAll(const std::vector<MeshOutgoing>& out) {
  for (const auto& o : out) {
    const auto sent = transport->send(o.bytes, asio::ip::udp::endpoint(o.address, o.port));
    if (sent) {
      ++stats.sent;
      if (send_failing.erase(o.peer) > 0) {
        log->info("mesh send to {} works again", o.peer);
      }
      continue;
    }
    ++stats.send_errors;
    // One warning when sends to a peer start failing, not ten a second while they keep failing.
    const auto level =
        send_failing.insert(o.peer).second ? spdlog::level::warn : spdlog::level::debug;
    log->log(level, "mesh send to {} ({}:{}) failed: {}", o.peer, o.address.to_string(), o.port,
             sent.error().message());
  }
}

void MeshService::Impl::drain(std::vector<MemberChange>& changes) {
  std::array<std::uint8_t, kMeshMaxMessageSize + 1> buf{};
  for (std::size_t i = 0; i < kMaxDrainPerWake && !stopped; ++i) {
    asio::ip::udp::endpoint from;
    const auto n = transport->tryReceive(buf, from);
    if (!n) {
      if (n.error() != asio::error::would_block && n.error() != asio::error::try_again) {
        ++stats.receive_errors;
        log->warn("mesh receive failed: {}", n.error().message());
      }
      return;
    }
    const auto got = membership.onDatagram(std::span(buf).first(*n), from.address(), now());
    if (got.drop != MeshDrop::kNone) {
      ++stats.dropped.at(static_cast<std::size_t>(got.drop));
      log->debug("mesh datagram from {}:{} dropped: {}", from.address().to_string(), from.port(),
                 meshDropName(got.drop));
      continue;
    }
    ++stats.accepted;
    if (got.change) {
      changes.push_back(*got.change);
    }
  }
}

asio::awaitable<void> MeshService::Impl::receiveLoop(std::shared_ptr<Impl> self) {
  while (!self->stopped) {
    const auto ec = co_await self->transport->waitReadable();
    if (self->stopped || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      ++self->stats.receive_errors;
      self->log->warn("mesh receive wait failed: {}", ec.message());
      asio::steady_timer backoff(self->ex, kReceiveErrorBackoff);
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    std::vector<MemberChange> changes;
    self->drain(changes);
    self->emit(changes);
  }
}

asio::awaitable<void> MeshService::Impl::timerLoop(std::shared_ptr<Impl> self) {
  const auto interval = self->membership.timing().interval;
  auto next_send = self->now();
  while (!self->stopped) {
    // Read what arrived before judging silence: after a stall, queued heartbeats count.
    std::vector<MemberChange> changes;
    self->drain(changes);
    const auto now = self->now();
    if (now >= next_send) {
      self->sendAll(self->membership.heartbeats(now));
      next_send += interval;
      if (next_send <= now) {  // fell behind (stall): resume the cadence from now
        next_send = now + interval;
      }
    }
    auto ticked = self->membership.tick(now);
    changes.insert(changes.end(), std::make_move_iterator(ticked.begin()),
                   std::make_move_iterator(ticked.end()));
    self->emit(changes);
    if (self->stopped) {
      co_return;
    }
    auto wake = next_send;
    if (const auto d = self->membership.nextDeadline(); d && *d < wake) {
      wake = *d;
    }
    self->timer.expires_after(std::max(wake - self->now(), MeshClock::duration::zero()));
    co_await self->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void MeshService::Impl::stop() {
  if (stopped) {
    return;
  }
  stopped = true;
  timer.cancel();
  transport->close();
}

MeshService::MeshService(asio::any_io_executor ex, std::unique_ptr<MeshTransport> transport,
                         MeshServiceOptions opts, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(transport), std::move(opts),
                                   std::move(logger))) {}

MeshService::~MeshService() {
  try {
    impl_->stop();
    impl_->on_change = nullptr;
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw
  }
}

void MeshService::onChange(ChangeHandler handler) { impl_->on_change = std::move(handler); }

void MeshService::start() {
  if (impl_->started || impl_->stopped) {
    return;
  }
  impl_->started = true;
  impl_->log->info("mesh {} (incarnation {}) on {}:{}, {} peers, heartbeat {} ms x {}",
                   impl_->membership.selfName(), impl_->membership.incarnation(),
                   localEndpoint().address().to_string(), localEndpoint().port(),
                   impl_->membership.members().size() - 1,
                   impl_->membership.timing().interval.count(),
                   impl_->membership.timing().multiplier);
  impl_->spawn(Impl::receiveLoop(impl_));
  impl_->spawn(Impl::timerLoop(impl_));
}

void MeshService::leave() {
  if (!impl_->stopped) {
    for (unsigned i = 0; i < impl_->leave_copies; ++i) {
      impl_->sendAll(impl_->membership.leaves(impl_->now()));
    }
    impl_->log->info("mesh: sent leave to every peer");
  }
  stop();
}

void MeshService::stop() { impl_->stop(); }

void MeshService::setEligible(bool eligible) {
  const auto change = impl_->membership.setEligible(eligible);
  if (!change) {
    return;
  }
  if (impl_->started && !impl_->stopped) {
    impl_->sendAll(impl_->membership.heartbeats(impl_->now()));
  }
  impl_->emit({*change});
}

MeshTime MeshService::now() const { return impl_->now(); }

Result<void> MeshService::setPeers(std::vector<MeshPeer> peers) {
  auto changes = impl_->membership.setPeers(std::move(peers), impl_->now());
  if (!changes) {
    return changes.error();
  }
  impl_->emit(*changes);
  if (impl_->started && !impl_->stopped) {
    impl_->timer.cancel();  // a new peer has a deadline: recompute the wake-up
  }
  return {};
}

std::vector<std::string> MeshService::candidates() const { return impl_->membership.candidates(); }

std::vector<MemberInfo> MeshService::members() const { return impl_->membership.members(); }

bool MeshService::settled() const { return impl_->membership.settled(); }

const MeshStats& MeshService::stats() const noexcept { return impl_->stats; }

asio::ip::udp::endpoint MeshService::localEndpoint() const noexcept {
  return impl_->transport->localEndpoint();
}

void MeshService::exportMetrics(metrics::Registry& registry) const {
  const auto& s = impl_->stats;
  auto& dropped =
      registry.counter("l1net_mesh_dropped_total", "Heartbeat mesh datagrams dropped, by reason.");
  for (std::size_t i = 1; i < kMeshDropCount; ++i) {
    dropped.set({{"reason", std::string(meshDropName(static_cast<MeshDrop>(i)))}},
                static_cast<double>(s.dropped.at(i)));
  }
  registry.counter("l1net_mesh_accepted_total", "Heartbeat mesh datagrams accepted.")
      .set({}, static_cast<double>(s.accepted));
  registry.counter("l1net_mesh_sent_total", "Heartbeat mesh datagrams sent.")
      .set({}, static_cast<double>(s.sent));
  registry.counter("l1net_mesh_send_errors_total", "Heartbeat mesh sends that failed.")
      .set({}, static_cast<double>(s.send_errors));
  registry.counter("l1net_mesh_receive_errors_total", "Heartbeat mesh receives that failed.")
      .set({}, static_cast<double>(s.receive_errors));

  auto& by_state = registry.gauge("l1net_mesh_members", "Heartbeat mesh peers, by state.");
  auto& rtt = registry.gauge("l1net_mesh_peer_rtt_seconds",
                             "Smoothed heartbeat round-trip time to each peer.");
  by_state.clear();
  rtt.clear();
  for (const auto state : {MemberState::kUnknown, MemberState::kAlive, MemberState::kSuspect,
                           MemberState::kDead, MemberState::kLeft}) {
    by_state.set({{"state", std::string(memberStateName(state))}}, 0);
  }
  for (const auto& m : members()) {
    if (m.is_self) {
      continue;
    }
    by_state.inc({{"state", std::string(memberStateName(m.state))}});
    if (m.rtt_smoothed) {
      rtt.set({{"peer", m.name}}, std::chrono::duration<double>(*m.rtt_smoothed).count());
    }
  }
}

boost::json::value membersJson(const std::vector<MemberInfo>& members, MeshTime now) {
  const auto ms = [](std::chrono::nanoseconds d) -> boost::json::value {
    return std::chrono::duration<double, std::milli>(d).count();
  };
  boost::json::array out;
  for (const auto& m : members) {
    boost::json::object o;
    o["name"] = m.name;
    o["self"] = m.is_self;
    o["address"] =
        m.is_self ? boost::json::value(nullptr) : boost::json::value(m.address.to_string());
    o["port"] = m.port;
    o["state"] = memberStateName(m.state);
    o["eligible"] = m.eligible;
    o["candidate"] = m.candidate;
    o["last_heard_ms"] = m.last_heard ? ms(now - *m.last_heard) : boost::json::value(nullptr);
    o["rtt_ms"] = m.rtt_last ? ms(*m.rtt_last) : boost::json::value(nullptr);
    o["rtt_smoothed_ms"] = m.rtt_smoothed ? ms(*m.rtt_smoothed) : boost::json::value(nullptr);
    o["incarnation"] = m.incarnation;
    o["sequence"] = m.sequence;
    o["accepted"] = m.accepted;
    o["rejected"] = m.rejected;
    out.push_back(std::move(o));
  }
  return out;
}

// ---- start-up configuration ----

void addMeshOptions(boost::program_options::options_description& desc, MeshCliOptions& opts) {
  namespace po = boost::program_options;
  desc.add_options()("mesh-bind", po::value(&opts.bind)->default_value(opts.bind),
                     "heartbeat mesh UDP listen address HOST:PORT")(
      "heartbeat-interval", po::value(&opts.interval_ms)->default_value(opts.interval_ms),
      "heartbeat interval in milliseconds")(
      "heartbeat-multiplier", po::value(&opts.multiplier)->default_value(opts.multiplier),
      "a peer is dead after this many intervals without a valid heartbeat (>= 2)")(
      "mesh-key-file", po::value(&opts.key_file),
      "file holding the shared heartbeat key (>= 16 bytes; trailing newlines ignored)")(
      "insecure-mesh", po::bool_switch(&opts.insecure),
      "run the heartbeat mesh without authentication (no --mesh-key-file)")(
      "mesh-peer", po::value(&opts.peers)->composing(),
      "peer override NAME=IP[:PORT], repeatable (tests; replaces the Node-derived address)");
}

Result<MeshKey> loadMeshKeyFile(const std::string& path) {
  // A directory opens fine as an ifstream and fails on the first read with EIO-like errors; say
  // what it is instead.
  std::error_code fec;
  if (std::filesystem::is_directory(path, fec)) {
    return boost::system::error_code(EISDIR, boost::system::system_category());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return boost::system::error_code(errno != 0 ? errno : ENOENT, boost::system::system_category());
  }
  std::vector<std::uint8_t> contents;
  char c = 0;
  // Read at most a little more than the largest key plus a CRLF: a huge file is an error, not an
  // out-of-memory.
  while (contents.size() <= kMeshMaxKeySize + 2 && in.get(c)) {
    contents.push_back(static_cast<std::uint8_t>(c));
  }
  if (in.bad()) {
    return boost::system::error_code(EIO, boost::system::system_category());
  }
  return parseMeshKey(contents);
}

std::vector<MeshPeer> parseMeshPeers(const std::vector<std::string>& texts) {
  std::vector<MeshPeer> out;
  for (const auto& t : texts) {
    auto p = parseMeshPeer(t);
    if (!p) {
      throw std::invalid_argument("--mesh-peer '" + t + "': " + p.error().message() +
                                  " (want NAME=IP[:PORT])");
    }
    out.push_back(std::move(*p));
  }
  return out;
}

Result<asio::ip::udp::endpoint> parseMeshBind(std::string_view text) {
  const auto ep = io::parseHostPort(text);
  if (!ep) {
    return ep.error();
  }
  return asio::ip::udp::endpoint(ep->address(), ep->port());
}

MeshSettings parseMeshFlags(const MeshCliOptions& cli) {
  MeshSettings out;
  const auto bind = parseMeshBind(cli.bind);
  if (!bind) {
    throw std::invalid_argument("--mesh-bind '" + cli.bind + "': " + bind.error().message());
  }
  out.bind = *bind;
  if (cli.interval_ms == 0) {
    throw std::invalid_argument("--heartbeat-interval must be at least 1 ms");
  }
  if (cli.multiplier < 2) {
    throw std::invalid_argument("--heartbeat-multiplier must be at least 2");
  }
  out.timing.interval = std::chrono::milliseconds(cli.interval_ms);
  out.timing.multiplier = cli.multiplier;
  if (cli.insecure && !cli.key_file.empty()) {
    throw std::invalid_argument("--mesh-key-file and --insecure-mesh are mutually exclusive");
  }
  if (!cli.insecure && cli.key_file.empty()) {
    throw std::invalid_argument(
        "no --mesh-key-file: refusing to run an unauthenticated heartbeat mesh "
        "(pass --insecure-mesh to allow it)");
  }
  if (!cli.insecure) {
    auto key = loadMeshKeyFile(cli.key_file);
    if (!key) {
      const bool is_dir =
          key.error() == boost::system::error_code(EISDIR, boost::system::system_category());
      const auto why = key.error() == make_error_code(Errc::kInvalidArgument)
                           ? "the key must be 16 to 4096 bytes (trailing newlines ignored)"
                       : is_dir ? std::string("is a directory, not a file holding the key")
                                : key.error().message();
      throw std::invalid_argument("--mesh-key-file " + cli.key_file + ": " + why);
    }
    out.key = std::move(*key);
  }
  out.overrides = parseMeshPeers(cli.peers);
  return out;
}

MeshServiceOptions makeMeshServiceOptions(const MeshSettings& settings, std::string self_name,
                                          std::vector<MeshPeer> node_peers,
                                          std::uint64_t incarnation) {
  MeshServiceOptions opts;
  opts.key = settings.key;
  for (const auto& o : settings.overrides) {
    std::erase_if(node_peers, [&o](const MeshPeer& p) { return p.name == o.name; });
    node_peers.push_back(o);
  }
  std::sort(node_peers.begin(), node_peers.end(),
            [](const MeshPeer& a, const MeshPeer& b) { return a.name < b.name; });
  opts.membership.self_name = std::move(self_name);
  opts.membership.incarnation = incarnation;
  opts.membership.timing = settings.timing;
  opts.membership.peers = std::move(node_peers);
  // The flags were checked by parseMeshFlags; what is left to check here is the names.
  if (!validateMembershipConfig(opts.membership)) {
    throw std::invalid_argument("invalid mesh configuration: node name '" +
                                opts.membership.self_name +
                                "' or a peer name is empty, too long or duplicated");
  }
  return opts;
}

MeshServiceOptions makeMeshServiceOptions(const MeshCliOptions& cli, std::string self_name,
                                          std::vector<MeshPeer> node_peers,
                                          std::uint64_t incarnation) {
  return makeMeshServiceOptions(parseMeshFlags(cli), std::move(self_name), std::move(node_peers),
                                incarnation);
}

std::uint64_t newMeshIncarnation() {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return ns <= 0 ? 1 : static_cast<std::uint64_t>(ns);
}

}  // namespace l1net::speaker
