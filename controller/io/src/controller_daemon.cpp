#include "l1net/controller/io/controller_daemon.hpp"

#include <utility>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "l1net/controller/io/controller_app.hpp"
#include "l1net/controller/io/pool_metrics.hpp"
#include "l1net/controller/release_hold.hpp"
#include "l1net/io/heap.hpp"
#include "l1net/metrics/registry.hpp"

namespace l1net::controller {

void logResult(spdlog::logger& logger, const ReconcileResult& result) {
  for (const auto& d : result.services) {
    for (const auto& e : d.events) {
      if (e.type == EventType::kWarning) {
        logger.warn("service {}: {}: {}", d.key, e.reason, e.message);
      } else {
        logger.info("service {}: {}: {}", d.key, e.reason, e.message);
      }
    }
    if (d.error && d.events.empty()) {
      logger.warn("service {}: {}", d.key, *d.error);
    }
  }
  for (const auto& key : result.released) {
    logger.info("service {}: deleted, its IPs are free", key);
  }
}

struct ControllerDaemon::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::any_io_executor ex, io::ObjectSource& src, StatusSink& snk,
       metrics::Registry& registry, std::shared_ptr<spdlog::logger> logger, DaemonOptions options)
      : source(src),
        sink(snk),
        log(std::move(logger)),
        opts(std::move(options)),
        pool_metrics(registry),
        reconciles_metric(registry.counter("l1net_controller_reconciles_total",
                                           "Reconciles of a valid manifest snapshot")),
        held_gauge(registry.gauge("l1net_controller_held_services",
                                  "Services removed from the manifests whose IPs are held")),
        hold(opts.release_hold),
        hold_timer(std::move(ex)) {
    if (!log) {
      log = spdlog::default_logger();
    }
  }

  void synced(const io::SyncOutcome& outcome) {
    if (stopped) {
      return;
    }
    if (!outcome.ok) {
      log->error("cannot start: {}", outcome.error);
      fatal(kExitInvalid);
      return;
    }
    auto prev = sink.previous();
    if (!prev) {
      fatal(kExitFailure);
      return;
    }
    current = std::move(*prev);
    source.start([self = shared_from_this()](manifest::ManifestSet set) {
      self->last_set = std::move(set);
      io::releaseFreedHeap();  // what parsing left in the heap, before the reconcile's peak
      self->reconcileLast(/*new_snapshot=*/true);
    });
  }

  void fatal(int code) {
    stopped = true;
    source.stop();
    sink.stop();
    if (on_fatal) {
      auto cb = std::move(on_fatal);
      on_fatal = nullptr;
      cb(code);
    }
  }

  // The input for reconciling the newest snapshot (`new_snapshot`) or for reconciling again (a
  // release hold ran out, a new leader). When the sink reads the snapshot's Services they are
  // copied and the snapshot is kept whole. Otherwise a new snapshot's Services are moved into the
  // input (a large set is held once), and reconciling again starts from `current`, the last
  // result's Services, whose own status is then the previous assignment.
  ReconcileInput makeReconcileInput(bool new_snapshot) {
    if (sink.readsObservedServices()) {
      return makeInput(*last_set, std::move(current), opts.lb_class);
    }
    ReconcileInput input;
    if (new_snapshot) {
      input.services = std::move(last_set->services);
      last_set->services.clear();
      input.previous = std::move(current);
    } else {
      input.services = std::move(current);
    }
    current.clear();
    input.pools = last_set->pools;
    input.namespaces = last_set->namespaces;
    input.lb_class = opts.lb_class;
    return input;
  }

  void reconcileLast(bool new_snapshot) {
    if (stopped || !last_set) {
      return;
    }
    const auto now = ReleaseHold::Clock::now();
    ReconcileInput input = makeReconcileInput(new_snapshot);
    std::vector<std::string> expired;
    input.held = hold.due(now, expired);
    input.hold_vanished = hold.enabled();
    for (const auto& key : expired) {
      log->info("service {}: release hold of {} ms over, its IPs are free", key,
                opts.release_hold.count());
    }
    ReconcileResult result = reconcile(std::move(input));
    io::releaseFreedHeap();  // the reconcile's allocator, before the state text is rendered
    ++reconcile_count;
    reconciles_metric.inc();
    logResult(*log, result);
    for (const auto& key : hold.record(result, now)) {
      log->info("service {}: gone from the manifests; its IPs are held for it for {} ms", key,
                opts.release_hold.count());
    }
    held_gauge.set({}, static_cast<double>(hold.size()));
    if (const auto next = hold.nextExpiry()) {
      hold_timer.expires_at(*next);
      hold_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) {
          self->reconcileLast(/*new_snapshot=*/false);
        }
      });
    } else {
      hold_timer.cancel();
    }
    pool_metrics.update(result.pools);
    done_once = true;
    sink.publish(result, *last_set);
    if (opts.print != nullptr) {
      *opts.print << renderOutput(result,
                                  opts.print_json ? OutputFormat::kJson : OutputFormat::kYaml)
                  << std::flush;
    }
    current = stateServices(std::move(result));  // moved, not copied: the result is done
    io::releaseFreedHeap();
  }

  io::ObjectSource& source;
  StatusSink& sink;
  std::shared_ptr<spdlog::logger> log;
  DaemonOptions opts;
  PoolMetrics pool_metrics;
  metrics::Family& reconciles_metric;
  metrics::Family& held_gauge;
  ReleaseHold hold;
  boost::asio::steady_timer hold_timer;
  std::optional<manifest::ManifestSet> last_set;
  std::vector<manifest::Service> current;
  FatalCallback on_fatal;
  bool done_once = false;
  bool stopped = false;
  std::uint64_t reconcile_count = 0;
};

ControllerDaemon::ControllerDaemon(boost::asio::any_io_executor ex, io::ObjectSource& source,
                                   StatusSink& sink, metrics::Registry& registry,
                                   std::shared_ptr<spdlog::logger> logger, DaemonOptions opts)
    : impl_(std::make_shared<Impl>(std::move(ex), source, sink, registry, std::move(logger),
                                   std::move(opts))) {}

ControllerDaemon::~ControllerDaemon() { stop(); }

void ControllerDaemon::start(FatalCallback on_fatal) {
  impl_->on_fatal = std::move(on_fatal);
  impl_->stopped = false;
  impl_->source.initialSync(
      [self = impl_](const io::SyncOutcome& outcome) { self->synced(outcome); });
}

void ControllerDaemon::stop() {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  impl_->source.stop();
  impl_->sink.stop();
  impl_->hold_timer.cancel();
}

void ControllerDaemon::forgetPrevious() {
  if (impl_->sink.readsObservedServices()) {
    impl_->current.clear();  // the snapshot is kept whole: its Services' status is the previous
  }
  impl_->reconcileLast(/*new_snapshot=*/false);
}

bool ControllerDaemon::reconciled() const noexcept { return impl_->done_once; }

std::string ControllerDaemon::healthProblem() const {
  auto problem = impl_->sink.healthProblem();
  return problem.empty() ? impl_->source.healthProblem() : problem;
}

std::uint64_t ControllerDaemon::reconciles() const noexcept { return impl_->reconcile_count; }

}  // namespace l1net::controller
