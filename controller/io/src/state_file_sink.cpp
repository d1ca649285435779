#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "l1net/controller/io/state_file.hpp"
#include "l1net/controller/io/status_sink.hpp"
#include "l1net/metrics/registry.hpp"

namespace l1net::controller {

StatusSink::~StatusSink() = default;

struct StateFileSink::Impl : std::enable_shared_from_this<Impl> {
  Impl(boost::asio::any_io_executor ex, StateFileSinkOptions options,
       std::shared_ptr<spdlog::logger> logger, metrics::Registry* registry)
      : opts(std::move(options)), log(std::move(logger)), retry(std::move(ex)) {
    if (!opts.open) {
      opts.open = openStateFile;
    }
    if (!log) {
      log = spdlog::default_logger();
    }
    if (registry != nullptr) {
      errors_metric = &registry->counter("l1net_controller_state_write_errors_total",
                                         "Failed writes of the state file");
    }
    backoff = opts.retry_initial;
  }

  // Writes one state text: `render(out)` appends it and returns its fingerprint. An unchanged
  // text is not written (the output is dropped uncommitted). False = failed (retry scheduled).
  template <class Render>
  bool write(Render&& render) {
    auto out = opts.open(opts.path);
    if (!out) {
      failed(out.error());
      return false;
    }
    const auto fp = render(**out);
    if (!fp) {
      failed(fp.error());
      return false;
    }
    if (written && *fp == *written) {
      succeeded(false);
      return true;
    }
    if (auto c = (*out)->commit(); !c) {
      failed(c.error());
      return false;
    }
    written = *fp;
    succeeded(true);
    return true;
  }

  // The retry: writes the pending text (the newest result's, rendered when the first try failed).
  void writePending() {
    if (stopped || pending.empty()) {
      return;
    }
    if (write([this](StateOutput& out) { return renderStateTo(pending, out); })) {
      std::string().swap(pending);
    }
  }

  void failed(const boost::system::error_code& ec) {
    ++write_errors;
    if (errors_metric != nullptr) {
      errors_metric->inc();
    }
    const auto why = describeWriteError(opts.path, ec);
    problem = why + "; retrying";
    log->warn("{}; retrying in {} ms", why, backoff.count());
    retry.expires_after(backoff);
    retry_pending = true;
    retry.async_wait([self = shared_from_this()](const boost::system::error_code& e) {
      self->retry_pending = false;
      if (!e) {
        self->writePending();
      }
    });
    backoff = std::min(backoff * 2, opts.retry_max);
  }

  void succeeded(bool changed) {
    backoff = opts.retry_initial;
    if (!problem.empty()) {
      log->info("state file {} written after earlier failures", opts.path);
    }
    problem.clear();
    if (changed) {
      log->info("state file {} written: {} services", opts.path, pending_services);
    }
  }

  StateFileSinkOptions opts;
  std::shared_ptr<spdlog::logger> log;
  boost::asio::steady_timer retry;
  metrics::Family* errors_metric = nullptr;
  std::chrono::milliseconds backoff{};
  std::optional<StateFingerprint> written;  // of the text the file holds (as far as we know)
  std::string pending;  // the newest text, kept only while a failed write waits for its retry
  std::size_t pending_services = 0;
  bool retry_pending = false;
  bool stopped = false;
  std::string problem;
  std::uint64_t write_errors = 0;
};

StateFileSink::StateFileSink(boost::asio::any_io_executor ex, StateFileSinkOptions opts,
                             std::shared_ptr<spdlog::logger> logger, metrics::Registry* registry)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(opts), std::move(logger), registry)) {}

StateFileSink::~StateFileSink() { stop(); }

std::optional<std::vector<manifest::Service>> StateFileSink::previous() {
  const auto& opts = impl_->opts;
  auto& log = *impl_->log;
  if (opts.path.empty()) {
    return std::vector<manifest::Service>{};
  }
  if (!opts.dry_run) {
    for (const auto& removed : removeStaleTempFiles(opts.path)) {
      log.warn("removed stale temporary file {} (left by an interrupted state write)", removed);
    }
  }
  auto state = readStateFile(opts.path);
  if (state.status == StateStatus::kIncomplete && opts.recover) {
    for (const auto& e : state.errors) {
      log.warn("state file: {}", e);
    }
    log.warn("--state-recover: starting from the {} services {} still holds; it will be rewritten",
             state.services.size(), opts.path);
    return std::move(state.services);
  }
  if (!state.ok()) {
    for (const auto& e : state.errors) {
      log.error("state file: {}", e);
    }
    return std::nullopt;
  }
  log.info("state file {}: {} services", opts.path, state.services.size());
  return std::move(state.services);
}

void StateFileSink::publish(const ReconcileResult& result,
                            const manifest::ManifestSet& /*observed*/) {
  auto& impl = *impl_;
  if (impl.opts.path.empty() || impl.opts.dry_run || impl.stopped) {
    return;
  }
  impl.pending_services = 0;
  forEachStateService(result, [&impl](const manifest::Service&) { ++impl.pending_services; });
  if (impl.retry_pending) {
    impl.pending = renderStateFor(result);  // the pending retry writes the newest text
    return;
  }
  // Rendered straight into the file, so a large set's text is never held whole; only a failed
  // write keeps the text, for its retry.
  if (!impl.write([&result](StateOutput& out) { return renderStateTo(result, out); })) {
    impl.pending = renderStateFor(result);
  }
}

std::string StateFileSink::healthProblem() const { return impl_->problem; }

void StateFileSink::stop() {
  impl_->stopped = true;
  impl_->retry.cancel();
}

std::uint64_t StateFileSink::writeErrors() const noexcept { return impl_->write_errors; }

}  // namespace l1net::controller
