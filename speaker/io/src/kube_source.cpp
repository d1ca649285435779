#include "l1net/speaker/io/kube_source.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "l1net/kube/cache.hpp"

namespace l1net::speaker {

namespace asio = boost::asio;

std::vector<kubeapi::InformerOptions> speakerInformers(const std::string& ns,
                                                       const manifest::Labels& selector) {
  std::string labels;
  for (const auto& [k, v] : selector) {
    labels += (labels.empty() ? "" : ",") + k + "=" + v;
  }
  const auto in_ns = [&ns](const char* group_version, const char* resource) {
    return std::string(group_version) + "/namespaces/" + ns + "/" + resource;
  };
  return {
      {.collection = "/api/v1/services", .kind = kube::Kind::kService},
      {.collection = "/api/v1/nodes", .kind = kube::Kind::kNode},
      {.collection = "/apis/discovery.k8s.io/v1/endpointslices",
       .kind = kube::Kind::kEndpointSlice},
      {.collection = in_ns("/apis/metallb.io/v1beta1", "ipaddresspools"),
       .kind = kube::Kind::kIpAddressPool},
      {.collection = in_ns("/apis/metallb.io/v1beta1", "l2advertisements"),
       .kind = kube::Kind::kL2Advertisement},
      {.collection = in_ns("/api/v1", "pods"), .kind = kube::Kind::kPod, .label_selector = labels},
  };
}

struct KubeSource::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor ex;
  std::shared_ptr<kubeapi::ApiClient> client;
  std::vector<kubeapi::InformerOptions> options;
  std::shared_ptr<spdlog::logger> log;
  kube::Cache cache;
  std::vector<std::unique_ptr<kubeapi::Informer>> informers;
  Callback on_snapshot;
  SyncCallback on_synced;
  bool running = false;  // informers started
  bool stopped = false;
  bool posted = false;
  std::uint64_t snapshots = 0;

  [[nodiscard]] bool allSynced() const {
    for (const auto& i : informers) {
      if (!i->synced()) {
        return false;
      }
    }
    return !informers.empty();
  }

  void changed() {
    if (stopped || posted || !allSynced()) {
      return;
    }
    if (on_synced) {
      auto done = std::move(on_synced);
      on_synced = nullptr;
      const auto snap = cache.snapshot();
      done(io::SyncOutcome{.ok = true, .error = "", .snapshot = &snap});
    }
    posted = true;  // one snapshot for everything that arrives before it is built
    asio::post(ex, [self = shared_from_this()] {
      self->posted = false;
      if (self->stopped || !self->on_snapshot) {
        return;
      }
      ++self->snapshots;
      self->on_snapshot(self->cache.snapshot());
    });
  }
};

KubeSource::KubeSource(asio::any_io_executor ex, std::shared_ptr<kubeapi::ApiClient> client,
                       std::vector<kubeapi::InformerOptions> informers,
                       std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_shared<Impl>()) {
  impl_->ex = std::move(ex);
  impl_->client = std::move(client);
  impl_->options = std::move(informers);
  impl_->log = std::move(logger);
}

KubeSource::~KubeSource() { stop(); }

void KubeSource::initialSync(SyncCallback done) {
  impl_->on_synced = std::move(done);
  run();
}

void KubeSource::start(Callback on_snapshot) {
  impl_->on_snapshot = std::move(on_snapshot);
  run();
  impl_->changed();  // already synced: deliver the current view
}

void KubeSource::run() {
  auto& s = *impl_;
  if (s.running || s.stopped) {
    return;
  }
  s.running = true;
  std::weak_ptr<Impl> weak = impl_;
  for (auto& opts : s.options) {
    s.informers.push_back(std::make_unique<kubeapi::Informer>(
        *s.client, opts, s.cache, s.log, [weak](const std::vector<kube::Delta>& /*deltas*/) {
          if (auto self = weak.lock()) {
            self->changed();
          }
        }));
  }
  for (auto& inf : s.informers) {
    asio::co_spawn(s.ex, inf->run(), [keep = impl_](const std::exception_ptr& /*e*/) {});
  }
}

void KubeSource::stop() {
  auto& s = *impl_;
  if (s.stopped) {
    return;
  }
  s.stopped = true;
  for (auto& inf : s.informers) {
    inf->stop();
  }
}

std::string KubeSource::healthProblem() const {
  for (const auto& inf : impl_->informers) {
    if (inf->failingSince()) {
      return "API server: " + inf->options().collection + ": " + inf->lastError();
    }
  }
  return {};
}

bool KubeSource::synced() const { return impl_->allSynced(); }

std::uint64_t KubeSource::snapshots() const noexcept { return impl_->snapshots; }

}  // namespace l1net::speaker
