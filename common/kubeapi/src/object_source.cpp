#include "l1net/kubeapi/object_source.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "l1net/kube/cache.hpp"

namespace l1net::kubeapi {

namespace asio = boost::asio;

struct KubeObjectSource::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor ex;
  std::shared_ptr<ApiClient> client;
  std::vector<InformerOptions> options;
  std::shared_ptr<spdlog::logger> log;
  kube::Cache cache;
  std::vector<std::unique_ptr<Informer>> informers;
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

KubeObjectSource::KubeObjectSource(asio::any_io_executor ex, std::shared_ptr<ApiClient> client,
                                   std::vector<InformerOptions> informers,
                                   std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_shared<Impl>()) {
  impl_->ex = std::move(ex);
  impl_->client = std::move(client);
  impl_->options = std::move(informers);
  impl_->log = std::move(logger);
}

KubeObjectSource::~KubeObjectSource() { stop(); }

void KubeObjectSource::initialSync(SyncCallback done) {
  impl_->on_synced = std::move(done);
  run();
}

void KubeObjectSource::start(Callback on_snapshot) {
  impl_->on_snapshot = std::move(on_snapshot);
  run();
  impl_->changed();  // already synced: deliver the current view
}

void KubeObjectSource::run() {
  auto& s = *impl_;
  if (s.running || s.stopped) {
    return;
  }
  s.running = true;
  std::weak_ptr<Impl> weak = impl_;
  for (auto& opts : s.options) {
    s.informers.push_back(std::make_unique<Informer>(
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

void KubeObjectSource::stop() {
  auto& s = *impl_;
  if (s.stopped) {
    return;
  }
  s.stopped = true;
  for (auto& inf : s.informers) {
    inf->stop();
  }
}

std::string KubeObjectSource::healthProblem() const {
  for (const auto& inf : impl_->informers) {
    if (inf->failingSince()) {
      return "API server: " + inf->options().collection + ": " + inf->lastError();
    }
  }
  return {};
}

bool KubeObjectSource::synced() const { return impl_->allSynced(); }

std::uint64_t KubeObjectSource::snapshots() const noexcept { return impl_->snapshots; }

InformerStats KubeObjectSource::stats() const {
  InformerStats sum;
  for (const auto& inf : impl_->informers) {
    sum += inf->stats();
  }
  return sum;
}

}  // namespace l1net::kubeapi
