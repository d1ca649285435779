#include "l1net/controller/io/kube_status_sink.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "l1net/metrics/registry.hpp"

namespace l1net::controller {

StatusWriter::~StatusWriter() = default;

struct KubeStatusSink::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::any_io_executor ex, StatusWriter& w, std::shared_ptr<spdlog::logger> logger,
       KubeStatusSinkOptions options, metrics::Registry* registry)
      : writer(w), log(std::move(logger)), opts(std::move(options)), retry(std::move(ex)) {
    if (!log) {
      log = spdlog::default_logger();
    }
    leading = opts.leading;
    backoff = opts.retry_initial;
    if (registry != nullptr) {
      writes_metric = &registry->counter("l1net_controller_api_writes_total",
                                         "Writes sent to the API server (patches and Events)");
      failures_metric = &registry->counter("l1net_controller_api_write_failures_total",
                                           "Writes to the API server that failed");
    }
  }

  void plan() {
    if (stopped || !leading || !result) {
      return;
    }
    auto p = planStatusWrites(*result, observed, written);
    for (const auto& e : p.events) {
      countWrite();
      writer.recordEvent(e);
    }
    for (auto& s : p.services) {
      if (s.status_patch) {
        send("status of Service " + s.key, s.key, {}, [&](StatusWriter::Done d) {
          writer.patchServiceStatus(s.ns, s.name, std::move(*s.status_patch), std::move(d));
        });
      }
      if (s.annotation_patch) {
        send("pool annotation of Service " + s.key, s.key, {}, [&](StatusWriter::Done d) {
          writer.patchService(s.ns, s.name, std::move(*s.annotation_patch), std::move(d));
        });
      }
    }
    for (auto& pool : p.pools) {
      if (pools_writing.contains(pool.name)) {
        // One status write per pool at a time (they would 409 each other): plan the newest
        // counts again when the one in flight ends.
        written.pools.erase(pool.name);
        replan_pools = true;
        continue;
      }
      pools_writing.insert(pool.name);
      send("status of IPAddressPool " + opts.ns + "/" + pool.name, {}, pool.name,
           [&](StatusWriter::Done d) {
             writer.patchPoolStatus(opts.ns, pool.name, std::move(pool.patch), std::move(d));
           });
    }
  }

  void countWrite() {
    ++write_count;
    if (writes_metric != nullptr) {
      writes_metric->inc();
    }
  }

  // `what` names the write for logs; a failure forgets `service_key` or `pool` in `written` so
  // the next plan sends it again.
  void send(const std::string& what, const std::string& service_key, const std::string& pool,
            const std::function<void(StatusWriter::Done)>& start) {
    countWrite();
    ++in_flight;
    const auto generation = leader_generation;
    start([self = shared_from_this(), what, service_key, pool, generation](const WriteResult& r) {
      self->done(what, service_key, pool, generation, r);
    });
  }

  void done(const std::string& what, const std::string& service_key, const std::string& pool,
            std::uint64_t generation, const WriteResult& r) {
    --in_flight;
    if (!pool.empty()) {
      pools_writing.erase(pool);
    }
    if (stopped || generation != leader_generation) {
      return;  // a write from before we stopped leading: the next term re-plans everything
    }
    if (r.ok) {
      failing.erase(what);
      if (failing.empty()) {
        backoff = opts.retry_initial;
      }
      if (!pool.empty() && replan_pools) {
        replan_pools = false;
        plan();
      }
      return;
    }
    ++failure_count;
    if (failures_metric != nullptr) {
      failures_metric->inc();
    }
    failing[what] = r.error;
    log->warn("writing the {} failed: {}; retrying in {} ms", what, r.error, backoff.count());
    if (!service_key.empty()) {
      forgetServiceWrite(written, service_key);
    }
    if (!pool.empty()) {
      written.pools.erase(pool);
    }
    scheduleRetry();
  }

  void scheduleRetry() {
    if (retry_pending || stopped) {
      return;
    }
    retry_pending = true;
    retry.expires_after(backoff);
    backoff = std::min(backoff * 2, opts.retry_max);
    retry.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) {
        return;  // cancelled: whoever cancelled reset retry_pending
      }
      self->retry_pending = false;
      self->plan();
    });
  }

  StatusWriter& writer;
  std::shared_ptr<spdlog::logger> log;
  KubeStatusSinkOptions opts;
  boost::asio::steady_timer retry;
  metrics::Family* writes_metric = nullptr;
  metrics::Family* failures_metric = nullptr;
  std::optional<ReconcileResult> result;  // the newest result and the view it was computed on
  std::vector<manifest::Service> observed;
  Written written;
  std::map<std::string, std::string> failing;  // write -> its last error
  std::set<std::string> pools_writing;         // pools with a status write in flight
  bool replan_pools = false;                   // a pool write was held back meanwhile
  std::chrono::milliseconds backoff{};
  std::uint64_t leader_generation = 0;
  std::uint64_t write_count = 0;
  std::uint64_t failure_count = 0;
  std::size_t in_flight = 0;
  bool leading = true;
  bool retry_pending = false;
  bool stopped = false;
};

KubeStatusSink::KubeStatusSink(boost::asio::any_io_executor ex, StatusWriter& writer,
                               std::shared_ptr<spdlog::logger> logger, KubeStatusSinkOptions opts,
                               metrics::Registry* registry)
    : impl_(std::make_shared<Impl>(std::move(ex), writer, std::move(logger), std::move(opts),
                                   registry)) {}

KubeStatusSink::~KubeStatusSink() { stop(); }

std::optional<std::vector<manifest::Service>> KubeStatusSink::previous() {
  return std::vector<manifest::Service>{};
}

void KubeStatusSink::publish(const ReconcileResult& result, const manifest::ManifestSet& observed) {
  auto& impl = *impl_;
  if (impl.stopped) {
    return;
  }
  impl.result = result;
  impl.observed = observed.services;
  impl.plan();
}

std::string KubeStatusSink::healthProblem() const {
  const auto& failing = impl_->failing;
  if (failing.empty()) {
    return {};
  }
  std::string out = "writing the " + failing.begin()->first + " failed: " + failing.begin()->second;
  if (failing.size() > 1) {
    out += " (and " + std::to_string(failing.size() - 1) + " more writes)";
  }
  return out + "; retrying";
}

void KubeStatusSink::stop() {
  impl_->stopped = true;
  impl_->retry.cancel();
}

void KubeStatusSink::setLeading(bool leading) {
  auto& impl = *impl_;
  if (impl.leading == leading) {
    return;
  }
  impl.leading = leading;
  ++impl.leader_generation;
  impl.retry.cancel();
  impl.retry_pending = false;
  impl.failing.clear();
  impl.backoff = impl.opts.retry_initial;
  if (leading) {
    impl.written = {};  // another leader wrote meanwhile: plan against what the API shows
    impl.log->info("leading: writing results to the API");
    impl.plan();
  } else {
    impl.log->info("not leading: results are no longer written");
  }
}

std::uint64_t KubeStatusSink::writes() const noexcept { return impl_->write_count; }

std::uint64_t KubeStatusSink::failures() const noexcept { return impl_->failure_count; }

std::size_t KubeStatusSink::inFlight() const noexcept { return impl_->in_flight; }

}  // namespace l1net::controller
