// Where the controller's results go: the StatusSink seam. File mode writes the state file
// (StateFileSink, here); Kubernetes mode patches the Services' status, the pool annotation and
// records Events (KubeStatusSink). The daemon loop (controller_daemon.hpp) only calls this seam.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/controller/io/state_file.hpp"
#include "l1net/controller/reconciler.hpp"
#include "l1net/error.hpp"
#include "l1net/manifest/objects.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::metrics {
class Registry;
}  // namespace l1net::metrics

namespace l1net::controller {

class StatusSink {
 public:
  virtual ~StatusSink();
  StatusSink() = default;
  StatusSink(const StatusSink&) = delete;
  StatusSink& operator=(const StatusSink&) = delete;

  // The services (with their status and pool annotation) the controller starts from; called once,
  // before the first publish(). nullopt = the controller cannot start (the sink logged why; exit
  // 1). State file: what it holds. API: nothing (the Services' own status is the state).
  [[nodiscard]] virtual std::optional<std::vector<manifest::Service>> previous() = 0;
  // Publishes one reconcile's result; `observed` is the snapshot it was computed from (what the
  // API showed, so an API sink writes only what differs). Called on the executor thread. The
  // newest result wins: a failed publish is retried by the sink (with backoff) until it succeeds
  // or a newer result replaces it. Never throws.
  virtual void publish(const ReconcileResult& result, const manifest::ManifestSet& observed) = 0;
  // Whether publish() reads `observed.services`. When not, the daemon moves the snapshot's
  // Services into the reconcile instead of keeping a copy (a large set is then held once) and
  // passes a snapshot without them.
  [[nodiscard]] virtual bool readsObservedServices() const { return false; }
  // For /healthz: "" when the last result is published, else one line saying why not.
  [[nodiscard]] virtual std::string healthProblem() const = 0;
  // No retry runs after stop(). Idempotent.
  virtual void stop() = 0;
};

struct StateFileSinkOptions {
  std::string path;      // --state FILE; empty = keep state in memory only (publish is a no-op)
  bool recover = false;  // --state-recover: start from an incomplete file, keeping what it holds
  bool dry_run = false;  // read, never write or remove anything
  // A failed write is retried after this, doubling up to retry_max, until it works.
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30'000};
  // Opens the state file for writing (the seam for tests); default openStateFile.
  std::function<Result<std::unique_ptr<StateOutput>>(const std::string& path)> open;
};

// The state file as a StatusSink: previous() removes stale temp files and reads the file
// (readStateFile; an incomplete one stops the controller unless `recover`); publish() renders the
// managed services straight into the file (renderStateTo), atomically, and commits it only when
// the text changed; a failed write keeps the text and is retried with backoff. When metrics
// are given, failed writes count in l1net_controller_state_write_errors_total.
// Not thread-safe: use from the executor's thread.
class StateFileSink final : public StatusSink {
 public:
  StateFileSink(boost::asio::any_io_executor ex, StateFileSinkOptions opts,
                std::shared_ptr<spdlog::logger> logger, metrics::Registry* registry = nullptr);
  ~StateFileSink() override;

  [[nodiscard]] std::optional<std::vector<manifest::Service>> previous() override;
  void publish(const ReconcileResult& result, const manifest::ManifestSet& observed) override;
  [[nodiscard]] std::string healthProblem() const override;
  void stop() override;

  // Failed writes so far.
  [[nodiscard]] std::uint64_t writeErrors() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace l1net::controller
