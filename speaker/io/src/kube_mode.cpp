#include "l1net/speaker/io/kube_mode.hpp"

#include <optional>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "l1net/io/logging.hpp"
#include "l1net/kube/config.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/speaker/api_outage.hpp"
#include "l1net/speaker/io/failover.hpp"
#include "l1net/speaker/io/kube_source.hpp"
#include "l1net/speaker/io/kube_status_api.hpp"
#include "l1net/speaker/io/l2_status_publisher.hpp"
#include "l1net/speaker/io/speaker.hpp"
#include "l1net/speaker/kube_peers.hpp"
#include "l1net/speaker/l2_status.hpp"

namespace l1net::speaker {

namespace asio = boost::asio;

kube::ClusterConfig clusterConfigFromFlags(const SpeakerFlags& f) {
  auto r = kubeapi::loadClusterConfig(f.kubeconfig);
  if (const auto* e = std::get_if<kube::ConfigError>(&r)) {
    throw std::invalid_argument(f.kubeconfig.empty() ? e->message : "--kubeconfig " + e->message);
  }
  return std::get<kube::ClusterConfig>(std::move(r));
}

namespace {

std::vector<SpeakerPod> speakerPods(const std::vector<manifest::Pod>& pods) {
  std::vector<SpeakerPod> out;
  out.reserve(pods.size());
  for (const auto& p : pods) {
    out.push_back({p.meta.name, p.meta.ns, p.meta.labels, p.node_name, p.phase});
  }
  return out;
}

}  // namespace

struct KubeMode::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor e, Speaker& s, Failover& f) : ex(e), spk(s), failover(f), timer(e) {}

  asio::any_io_executor ex;
  Speaker& spk;
  Failover& failover;
  std::string node;
  manifest::Labels selector;
  std::shared_ptr<spdlog::logger> log;
  std::shared_ptr<kubeapi::ApiClient> client;
  std::unique_ptr<KubeSource> source;
  std::unique_ptr<KubeStatusApi> status_api;
  std::unique_ptr<L2StatusPublisher> publisher;
  std::map<std::string, std::string> service_uids;  // "ns/name" -> metadata.uid
  ApiOutage outage;
  asio::steady_timer timer;
  std::chrono::milliseconds poll{1000};
  bool synced = false;
  bool stopped = false;

  void onSnapshot(const manifest::ManifestSet& set) {
    service_uids.clear();
    for (const auto& s : set.services) {
      service_uids[s.meta.ns + "/" + s.meta.name] = s.meta.uid;
    }
    failover.setSpeakerPods(speakerPods(set.pods), set.nodes, selector);
    if (!synced) {
      synced = true;
      log->info("API synced: {} service(s), {} node(s), {} speaker pod(s)", set.services.size(),
                set.nodes.size(), set.pods.size());
      failover.start();  // the peers are known: announce nothing until the mesh has settled
      publisher->start();
    }
    spk.setManifests(set);
  }

  asio::awaitable<void> watchOutage() {
    auto self = shared_from_this();
    while (!stopped) {
      const auto now = std::chrono::steady_clock::now();
      switch (outage.observe(source->healthProblem(), now)) {
        case ApiTransition::kLost:
          log->warn("API server unreachable ({}): announcing from the last known state",
                    outage.problem());
          break;
        case ApiTransition::kRestored:
          log->info("API server reachable again after {} s: reconciling",
                    outage.lastOutage().count());
          break;
        case ApiTransition::kNone:
          break;
      }
      timer.expires_after(poll);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

KubeMode::KubeMode(asio::any_io_executor ex, KubeModeOptions options,
                   std::shared_ptr<kubeapi::ApiClient> client, Speaker& speaker, Failover& failover)
    : impl_(std::make_shared<Impl>(ex, speaker, failover)) {
  auto& s = *impl_;
  s.node = options.node;
  s.selector = options.speaker_selector;
  s.poll = options.outage_poll;
  s.log = io::makeLogger("speaker.kube");
  s.client = std::move(client);
  s.source = std::make_unique<KubeSource>(
      ex, s.client, speakerInformers(options.ns, options.speaker_selector), s.log);
  s.status_api = std::make_unique<KubeStatusApi>(s.client);
  std::weak_ptr<Impl> weak = impl_;
  s.publisher = std::make_unique<L2StatusPublisher>(
      ex, *s.status_api,
      L2StatusPublisher::Options{
          .node = options.node,
          .ns = options.ns,
          .owner = options.owner,
          .backoff_min = options.status_backoff,
          .service_uid =
              [weak](std::string_view ns, std::string_view name) {
                const auto self = weak.lock();
                if (!self) {
                  return std::string();
                }
                const auto it = self->service_uids.find(std::string(ns) + "/" + std::string(name));
                return it == self->service_uids.end() ? std::string() : it->second;
              }},
      io::makeLogger("speaker.status"));
}

KubeMode::~KubeMode() { stop(); }

void KubeMode::start() {
  auto& s = *impl_;
  std::weak_ptr<Impl> weak = impl_;
  s.spk.onAnnounced([weak](const Announcements& a) {
    if (const auto self = weak.lock(); self && self->synced) {
      self->publisher->setAnnounced(announcedServices(a));
    }
  });
  s.log->info("reading the API server: nothing is announced before the first complete view");
  s.source->start([weak](const manifest::ManifestSet& set) {
    if (const auto self = weak.lock()) {
      self->onSnapshot(set);
    }
  });
  asio::co_spawn(s.ex, s.watchOutage(), [keep = impl_](const std::exception_ptr& /*e*/) {});
}

void KubeMode::stop() {
  auto& s = *impl_;
  if (s.stopped) {
    return;
  }
  s.stopped = true;
  s.timer.cancel();
  s.source->stop();
  s.publisher->stop();
}

bool KubeMode::synced() const noexcept { return impl_->synced; }

bool KubeMode::statusInSync() const noexcept { return impl_->publisher->inSync(); }

void KubeMode::exportMetrics(metrics::Registry& registry) const {
  const auto& s = *impl_;
  registry.gauge("l1net_speaker_api_reachable", "1 while the API server answers every informer.")
      .set({}, s.outage.down() ? 0.0 : 1.0);
  registry.counter("l1net_speaker_api_outages_total", "API server outages seen.")
      .set({}, static_cast<double>(s.outage.outages()));
  const auto& p = s.publisher->stats();
  registry.counter("l1net_speaker_status_writes_total", "ServiceL2Status writes, by operation.")
      .set({{"op", "create"}}, static_cast<double>(p.created));
  registry.counter("l1net_speaker_status_writes_total", "ServiceL2Status writes, by operation.")
      .set({{"op", "patch"}}, static_cast<double>(p.patched));
  registry.counter("l1net_speaker_status_writes_total", "ServiceL2Status writes, by operation.")
      .set({{"op", "delete"}}, static_cast<double>(p.deleted));
  registry.counter("l1net_speaker_status_failures_total", "ServiceL2Status rounds that failed.")
      .set({}, static_cast<double>(p.failures));
  registry.counter("l1net_speaker_events_total", "nodeAssigned Events, by result.")
      .set({{"result", "sent"}}, static_cast<double>(p.events_sent));
  registry.counter("l1net_speaker_events_total", "nodeAssigned Events, by result.")
      .set({{"result", "dropped"}}, static_cast<double>(p.events_dropped));
}

}  // namespace l1net::speaker
