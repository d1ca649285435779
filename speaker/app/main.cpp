// l1net-speaker: answers ARP/NDP for the LoadBalancer IPs this node announces and sends
// gratuitous ARP / unsolicited NA when it starts announcing one. Wiring only; see
// speaker/io/include/l1net/speaker/io/speaker.hpp for the design, and failover.hpp next to it
// for the heartbeat mesh that decides which node owns each IP.
//
// Exit status: 0 after SIGINT/SIGTERM, 1 on a runtime start-up failure (socket in use, netlink
// unavailable), 2 on usage or configuration errors (bad flags, invalid manifests, no
// --mesh-key-file without --insecure-mesh).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "l1net/io/heap.hpp"
#include "l1net/io/http_server.hpp"
#include "l1net/io/logging.hpp"
#include "l1net/io/object_source.hpp"
#include "l1net/io/signals.hpp"
#include "l1net/io/version.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/speaker/control.hpp"
#include "l1net/speaker/io/cli.hpp"
#include "l1net/speaker/io/commands.hpp"
#include "l1net/speaker/io/failover.hpp"
#include "l1net/speaker/io/frame_socket.hpp"
#include "l1net/speaker/io/kube_mode.hpp"
#include "l1net/speaker/io/netlink.hpp"
#include "l1net/speaker/io/responder_thread.hpp"
#include "l1net/speaker/io/speaker.hpp"
#include "l1net/speaker/mesh_service.hpp"

using namespace l1net;  // NOLINT(google-build-using-namespace): main only wires

int main(int argc, char** argv) {
  if (l1net::io::printVersionIfAsked(argc, argv, "l1net-speaker")) {
    return 0;
  }
  io::tuneHeapForManifests();
  const auto parsed = speaker::parseSpeakerFlags(
      std::span<const char* const>(argv, static_cast<std::size_t>(argc)),
      [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
        return v == nullptr ? std::nullopt : std::optional<std::string>(v);
      });
  if (parsed.action != speaker::ParsedFlags::Action::kRun) {
    (parsed.action == speaker::ParsedFlags::Action::kHelp ? std::cout : std::cerr) << parsed.text;
    return parsed.action == speaker::ParsedFlags::Action::kHelp ? 0 : 2;
  }
  const speaker::SpeakerFlags& flags = parsed.flags;
  const bool kube_mode = flags.mode == speaker::SpeakerMode::kKubernetes;
  try {
    io::setupLogging(flags.log);
  } catch (const std::invalid_argument& e) {
    std::cerr << "l1net-speaker: " << e.what() << "\n";
    return 2;
  }
  speaker::MeshSettings mesh_settings;
  try {
    mesh_settings = speaker::parseMeshFlags(flags.mesh);  // every mesh flag, checked once
  } catch (const std::invalid_argument& e) {
    std::cerr << "l1net-speaker: " << e.what() << "\n";
    return 2;
  }
  const auto log = io::makeLogger("speaker");
  boost::asio::io_context io;
  const auto ex = io.get_executor();
  metrics::Registry registry;
  // The object source: initial sync first (invalid manifests: exit 2), snapshots after start().
  io::FileObjectSourceOptions source_opts;
  source_opts.registry = &registry;
  // Kubernetes mode: the KubeMode below owns its source and syncs asynchronously.
  std::optional<io::FileObjectSource> source;
  std::vector<manifest::Node> initial_nodes;
  io::SyncOutcome synced;
  try {
    if (!kube_mode) {
      source.emplace(ex, flags.manifests, io::makeLogger("speaker.manifests"), source_opts);
    }
    if (source) {
      source->initialSync([&](const io::SyncOutcome& outcome) {
        synced = outcome;
        if (outcome.snapshot != nullptr) {
          initial_nodes = outcome.snapshot->nodes;
        }
        synced.snapshot = nullptr;
      });
    }
  } catch (const std::exception& e) {
    log->error("start-up failed: {}", e.what());
    return 1;
  }
  if (!synced.ok) {
    log->error("{}", synced.error);
    return 2;
  }

  speaker::Speaker::Options options;
  options.node = flags.node;
  if (flags.no_default_excludes) {
    options.exclude_patterns.clear();
  }
  options.exclude_patterns.insert(options.exclude_patterns.end(), flags.excludes.begin(),
                                  flags.excludes.end());
  options.subnet_aware = !flags.all_interfaces;
  options.schedule.refresh = std::chrono::seconds(flags.garp_refresh);
  options.announce.ignore_exclude_lb = flags.ignore_exclude_lb;
  if (!flags.lb_class.empty()) {
    options.announce.load_balancer_class = flags.lb_class;
  }

  // The responders answer from a thread of their own: loads, recomputes and gratuitous rounds on
  // this thread never make them wait.
  speaker::ResponderThread responder(static_cast<int>(flags.responder_priority));
  if (flags.responder_priority > 0 && !responder.realtime()) {
    log->warn(
        "responder thread: {}; answers may wait for a busy CPU's time slice (grant "
        "CAP_SYS_NICE or LimitRTPRIO={}, or --responder-priority 0 to silence this)",
        responder.scheduling(), flags.responder_priority);
  }
  options.responder = responder.executor();
  options.responder_scheduling = responder.scheduling();
  speaker::RawFrameSocketFactory sockets(responder.executor());
  std::optional<speaker::Speaker> spk;
  try {
    spk.emplace(ex, sockets, registry,
                speaker::Speaker::Loggers{.main = log, .l2 = io::makeLogger("speaker.l2")},
                std::move(options));
  } catch (const std::invalid_argument& e) {
    log->error("{}", e.what());
    return 2;
  }

  // Failover: ownership = MetalLB's ranking over the live members of the heartbeat mesh.
  std::unique_ptr<speaker::Failover> failover;
  try {
    failover = speaker::makeFailover(ex, mesh_settings, flags.node, initial_nodes,
                                     speaker::failoverSinks(*spk), io::makeLogger("speaker.mesh"));
  } catch (const std::invalid_argument& e) {
    log->error("{}", e.what());
    return 2;
  } catch (const std::system_error& e) {
    log->error("{}", e.what());
    return 1;
  }

  // Kubernetes mode: informers, mesh peers from the speaker pods, ServiceL2Status publisher.
  std::unique_ptr<speaker::KubeMode> kube;
  if (kube_mode) {
    try {
      auto client = kubeapi::ApiClient::create(ex, speaker::clusterConfigFromFlags(flags));
      if (!client) {
        throw std::invalid_argument("API client: " + client.error().message());
      }
      kube = std::make_unique<speaker::KubeMode>(
          ex,
          speaker::KubeModeOptions{.node = flags.node,
                                   .ns = flags.ns,
                                   .speaker_selector = flags.speaker_selector,
                                   .owner = {flags.pod_name, flags.pod_uid}},
          std::move(*client), *spk, *failover);
    } catch (const std::invalid_argument& e) {
      log->error("{}", e.what());
      return 2;
    }
  }

  io::HttpServer http(ex, io::makeLogger("speaker.http"));
  // /healthz: 503 naming the rejected manifest reload (the last good set is still announced).
  io::serveMetrics(
      http, registry, [] { return true; },
      [&source] { return source ? source->healthProblem() : std::string(); });
  http.route("/metrics", [&registry, &failover, &spk, &kube](const io::HttpRequest& /*req*/) {
    failover->exportMetrics(registry);
    if (kube) {
      kube->exportMetrics(registry);
    }
    spk->collectCounters();
    auto body = registry.encode();
    spk->dropPerIpSeries();  // built per scrape: see Speaker::collectCounters
    io::releaseFreedHeap();
    return io::HttpResponse{
        .status = 200, .content_type = std::string(metrics::kContentType), .body = std::move(body)};
  });
  if (const auto bound = http.listen(flags.metrics_addr); !bound) {
    log->error("cannot serve metrics on {}: {}", flags.metrics_addr, bound.error().message());
    return 1;
  }
  speaker::ControlServer control(ex, io::makeLogger("speaker.control"));
  speaker::registerSpeakerCommands(control, *spk);
  speaker::registerFailoverCommands(control, *failover);
  if (const auto r = control.listen(flags.control_socket); !r) {
    log->error("cannot listen on control socket {}: {}", flags.control_socket, r.error().message());
    return 1;
  }

  speaker::LibnlNetlink netlink(ex, io::makeLogger("speaker.link"));
  spk->onUsableChange([&failover](bool usable) { failover->setEligible(usable); });
  try {
    netlink.start([&spk](const std::vector<speaker::Link>& links) { spk->setLinks(links); });
    failover->setEligible(spk->hasUsableInterface());
    if (kube) {
      kube->start();  // the mesh starts once the first complete view is read
    } else {
      failover->start();  // announce nothing until the mesh has settled
      source->start([&spk, &failover](const manifest::ManifestSet& set) {
        failover->setNodes(set.nodes);
        spk->setManifests(set);
        io::releaseFreedHeap();  // hand back what parsing the manifests left in the heap
      });
    }
  } catch (const std::exception& e) {
    log->error("start-up failed: {}", e.what());
    return 1;
  }
  auto stop = io::awaitStopSignal(ex, [&](int signo) {
    log->info("signal {}: stopping", signo);
    // Leave first so peers take over at once; stop() then publishes empty tables (nothing is
    // answered after it) before the packet sockets close, which takes milliseconds (the kernel
    // waits for an RCU grace).
    failover->leave();
    spk->stop();
    if (kube) {
      kube->stop();
    }
    if (source) {
      source->stop();
    }
    netlink.stop();
    control.stop();
    http.stop();
  });
  log->info("speaker {} running: control {}, metrics {}", flags.node, flags.control_socket,
            flags.metrics_addr);
  io.run();
  return 0;
}
