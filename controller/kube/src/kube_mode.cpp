#include "l1net/controller/kube/kube_mode.hpp"

#include <array>
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "l1net/controller/config_guard.hpp"
#include "l1net/controller/io/controller_daemon.hpp"
#include "l1net/controller/io/guarded_source.hpp"
#include "l1net/controller/io/kube_status_sink.hpp"
#include "l1net/controller/kube/api_status_writer.hpp"
#include "l1net/io/http_server.hpp"
#include "l1net/io/logging.hpp"
#include "l1net/io/signals.hpp"
#include "l1net/kube/leader_election.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/kubeapi/object_source.hpp"
#include "l1net/kubeapi/writes.hpp"
#include "l1net/metrics/registry.hpp"

namespace l1net::controller {
namespace {

namespace asio = boost::asio;

// Rejected pools and advertisements, reported while leading: a Warning Event once per (object,
// problems) and leader term (the EventCorrelator turns repeats into count bumps), and a `Valid`
// condition in the object's status (False with the problems; True again once it is fixed, for
// the objects this controller marked). With MetalLB's own CRDs, which have no conditions (and no
// status subresource for L2Advertisement), the API drops or refuses the condition: the Event
// remains.
class InvalidConfigReporter {
 public:
  InvalidConfigReporter(asio::any_io_executor ex, std::shared_ptr<kubeapi::ApiClient> client,
                        kubeapi::EventRecorder& events, std::shared_ptr<spdlog::logger> log)
      : ex_(std::move(ex)), client_(std::move(client)), events_(events), log_(std::move(log)) {}

  void update(const std::vector<InvalidObject>& invalid) {
    last_ = invalid;
    report();
  }
  void setLeading(bool leading) {
    leading_ = leading;
    reported_.clear();
    report();
  }

 private:
  void report() {
    std::map<std::string, std::string> now;
    for (const auto& obj : last_) {
      const auto key = objectPath(obj.kind, obj.ns, obj.name);
      const auto text = describeInvalid(obj);
      now[key] = text;
      if (!leading_ || (reported_.contains(key) && reported_[key] == text)) {
        continue;
      }
      events_.record(
          kube::ObjectRef{.api_version = "metallb.io/v1beta1",
                          .kind = obj.kind,
                          .ns = obj.ns,
                          .name = obj.name,
                          .uid = obj.uid},
          kube::EventKind::kWarning, std::string(kInvalidConfigReason),
          text + "; rejected (no admission webhook): the last valid configuration stays in force");
      writeCondition(key, &obj);
      marked_.insert(key);
    }
    if (leading_) {
      for (auto it = marked_.begin(); it != marked_.end();) {
        if (now.contains(*it)) {
          ++it;
          continue;
        }
        writeCondition(*it, nullptr);  // fixed (or deleted: the 404 is ignored)
        it = marked_.erase(it);
      }
    }
    reported_ = leading_ ? std::move(now) : std::map<std::string, std::string>{};
  }

  static std::string objectPath(const std::string& kind, const std::string& ns,
                                const std::string& name) {
    return "/apis/metallb.io/v1beta1/namespaces/" + ns + "/" +
           (kind == "IPAddressPool" ? "ipaddresspools" : "l2advertisements") + "/" + name;
  }

  void writeCondition(const std::string& path, const InvalidObject* invalid) {
    auto patch = validConditionPatch(invalid, kube::formatTime(std::chrono::system_clock::now()));
    asio::co_spawn(
        ex_,
        [client = client_, log = log_, path,
         status = std::move(patch.at("status"))]() mutable -> asio::awaitable<void> {
          const auto r = co_await kubeapi::patchStatus(*client, path, std::move(status));
          if (r.ok || r.status == 404) {
            if (r.status == 404) {
              log->debug("{}/status: not found (deleted, or a CRD without a status subresource)",
                         path);
            }
            co_return;
          }
          log->warn("writing the Valid condition failed: {}", r.error);
        },
        asio::detached);
  }

  asio::any_io_executor ex_;
  std::shared_ptr<kubeapi::ApiClient> client_;  // shared: a write may outlive the controller
  kubeapi::EventRecorder& events_;
  std::shared_ptr<spdlog::logger> log_;
  std::set<std::string> marked_;  // objects whose Valid=False this controller wrote
  std::vector<InvalidObject> last_;
  std::map<std::string, std::string> reported_;
  bool leading_ = false;
};

}  // namespace

std::vector<kubeapi::InformerOptions> controllerInformers(const std::string& ns) {
  const auto in_ns = [&ns](const char* resource) {
    return "/apis/metallb.io/v1beta1/namespaces/" + ns + "/" + resource;
  };
  return {
      {.collection = "/api/v1/services", .kind = kube::Kind::kService},
      {.collection = "/api/v1/namespaces", .kind = kube::Kind::kNamespace},
      {.collection = in_ns("ipaddresspools"), .kind = kube::Kind::kIpAddressPool},
      {.collection = in_ns("l2advertisements"), .kind = kube::Kind::kL2Advertisement},
  };
}

std::string leaderIdentity() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): start-up, one thread
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') {
    return pod;
  }
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0') {
    return host.data();
  }
  return "l1net-controller";
}

struct KubeController::Impl {
  Impl(asio::any_io_executor ex, std::shared_ptr<kubeapi::ApiClient> c, KubeControllerOptions o,
       metrics::Registry& registry)
      : opts(std::move(o)),
        client(std::move(c)),
        log(l1net::io::makeLogger("controller")),
        events(*client, "l1net-controller", opts.election.identity,
               l1net::io::makeLogger("controller.events")),
        reporter(ex, client, events, l1net::io::makeLogger("controller.config")),
        api_source(ex, client, controllerInformers(opts.ns),
                   l1net::io::makeLogger("controller.kube")),
        source(api_source, log,
               [this](const std::vector<InvalidObject>& invalid) { reporter.update(invalid); }),
        writer(ex, *client, events),
        sink(ex, writer, l1net::io::makeLogger("controller.status"),
             {.ns = opts.ns,
              .retry_initial = opts.write_retry_initial,
              .retry_max = opts.write_retry_max,
              .leading = false},
             &registry),
        daemon(ex, source, sink, registry, log,
               {.lb_class = opts.lb_class,
                .release_hold = std::chrono::milliseconds(0),
                .print = nullptr,
                .print_json = false}),
        leader_gauge(registry.gauge("l1net_controller_leader",
                                    "1 while this replica leads (writes to the API)")) {
    leader_gauge.set({}, 0.0);
    if (opts.leader_elect) {
      kubeapi::LeaderElectorOptions le;
      le.ns = opts.ns;
      le.name = "l1net-controller";
      le.election = opts.election;
      elector.emplace(
          *client, le, l1net::io::makeLogger("controller.leader"),
          [this] {
            log->info("{} became the leader (Lease {}/l1net-controller): writing to the API",
                      opts.election.identity, opts.ns);
            lead(true);
          },
          [this] {
            log->warn("{} stopped leading (Lease {}/l1net-controller): no longer writing",
                      opts.election.identity, opts.ns);
            lead(false);
          });
    }
  }

  void lead(bool on) {
    if (stopped && on) {
      return;
    }
    if (on) {
      daemon.forgetPrevious();  // plan from what the API shows, not from a follower's results
    }
    leading = on;
    sink.setLeading(on);
    reporter.setLeading(on);
    leader_gauge.set({}, on ? 1.0 : 0.0);
  }

  KubeControllerOptions opts;
  std::shared_ptr<kubeapi::ApiClient> client;
  std::shared_ptr<spdlog::logger> log;
  kubeapi::EventRecorder events;
  InvalidConfigReporter reporter;
  kubeapi::KubeObjectSource api_source;
  GuardedSource source;
  ApiStatusWriter writer;
  KubeStatusSink sink;
  ControllerDaemon daemon;
  metrics::Family& leader_gauge;
  std::optional<kubeapi::LeaderElector> elector;
  bool leading = false;
  bool stopped = false;
};

KubeController::KubeController(asio::any_io_executor ex, std::shared_ptr<kubeapi::ApiClient> client,
                               KubeControllerOptions opts, metrics::Registry& registry)
    : impl_(std::make_shared<Impl>(ex, std::move(client), std::move(opts), registry)) {}

KubeController::~KubeController() { stop(false); }

void KubeController::start(ControllerDaemon::FatalCallback on_fatal) {
  auto& s = *impl_;
  s.log->info("kubernetes mode: namespace {}, identity {}, leader election {}", s.opts.ns,
              s.opts.election.identity, s.opts.leader_elect ? "on" : "off");
  s.daemon.start(std::move(on_fatal));
  if (s.elector) {
    asio::co_spawn(s.client->executor(), s.elector->run(),
                   [keep = impl_](const std::exception_ptr& /*e*/) {});
  } else {
    s.lead(true);
  }
}

void KubeController::stop(bool release_lease) {
  auto& s = *impl_;
  if (s.stopped) {
    return;
  }
  s.stopped = true;
  s.daemon.stop();
  s.sink.setLeading(false);
  s.reporter.setLeading(false);
  if (s.elector) {
    s.elector->stop(release_lease);
  }
}

bool KubeController::leading() const noexcept { return impl_->leading; }
bool KubeController::reconciled() const noexcept { return impl_->daemon.reconciled(); }
std::uint64_t KubeController::reconciles() const noexcept { return impl_->daemon.reconciles(); }
std::uint64_t KubeController::writes() const noexcept { return impl_->sink.writes(); }
std::size_t KubeController::inFlight() const noexcept {
  return impl_->sink.inFlight() + impl_->events.pending();
}
std::string KubeController::healthProblem() const { return impl_->daemon.healthProblem(); }

int runKubeDaemon(const ControllerOptions& opts) {
  const auto logger = l1net::io::makeLogger("controller");
  asio::io_context ioc;
  metrics::Registry registry;

  const auto loaded = kubeapi::loadClusterConfig(opts.kubeconfig);
  if (const auto* e = std::get_if<kube::ConfigError>(&loaded)) {
    logger->error("--kubeconfig: {}", e->message);
    return kExitInvalid;
  }
  const auto& cluster = std::get<kube::ClusterConfig>(loaded);
  auto client =
      kubeapi::ApiClient::create(ioc.get_executor(), cluster, {.user_agent = "l1net-controller"});
  if (!client) {
    logger->error("API client: {}", client.error().message());
    return kExitInvalid;
  }
  KubeControllerOptions kopts;
  kopts.ns = opts.kube_namespace;
  kopts.lb_class = opts.lb_class;
  kopts.leader_elect = opts.leader_elect;
  kopts.election.identity = leaderIdentity();
  KubeController controller(ioc.get_executor(), *client, kopts, registry);

  l1net::io::HttpServer server(ioc.get_executor(), l1net::io::makeLogger("controller.http"));
  std::optional<l1net::io::StopSignal> stop;
  int exit_code = kExitOk;
  controller.start([&](int code) {
    exit_code = code;
    controller.stop(true);
    server.stop();
    stop.reset();
    ioc.stop();
  });
  if (!serveControllerEndpoints(
          server, registry, opts.metrics_addr, *logger, [&] { return controller.reconciled(); },
          [&] { return controller.healthProblem(); })) {
    return kExitFailure;
  }
  stop.emplace(l1net::io::awaitStopSignal(ioc.get_executor(), [&](int signal) {
    logger->info("signal {}: stopping", signal);
    controller.stop(true);  // a leader hands the Lease over at once
    server.stop();
  }));
  ioc.run();
  return exit_code;
}

}  // namespace l1net::controller
