// The controller's daemon loop on its two seams: snapshots come from an io::ObjectSource (file or
// API), results go to a StatusSink (state file or API). Between them it runs the pure reconciler:
//   source.initialSync -> sink.previous -> source.start(snapshot -> reconcile -> sink.publish)
// It keeps the previous result as the next reconcile's `previous`, holds the IPs of vanished
// services for `release_hold` (file mode; 0 in Kubernetes mode, where deletes are explicit) and
// reconciles again when a hold runs out. Health = the sink's problem, else the source's.
// Not thread-safe: everything runs on the executor's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/controller/io/status_sink.hpp"
#include "l1net/controller/reconciler.hpp"
#include "l1net/io/object_source.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::metrics {
class Registry;
}  // namespace l1net::metrics

namespace l1net::controller {

// Logs the reconciler's events (info; warn for Warning events and failures) and releases.
void logResult(spdlog::logger& logger, const ReconcileResult& result);

struct DaemonOptions {
  std::optional<std::string> lb_class;        // --lb-class
  std::chrono::milliseconds release_hold{0};  // 0 = MetalLB's immediate release
  std::ostream* print = nullptr;              // when set, every result is printed here
  bool print_json = false;                    // -o json (else YAML)
};

// Exports l1net_controller_reconciles_total, l1net_controller_held_services and the pool gauges
// (PoolMetrics) on `registry`. source, sink and registry must outlive the daemon.
class ControllerDaemon {
 public:
  using FatalCallback = std::function<void(int exit_code)>;

  ControllerDaemon(boost::asio::any_io_executor ex, io::ObjectSource& source, StatusSink& sink,
                   metrics::Registry& registry, std::shared_ptr<spdlog::logger> logger,
                   DaemonOptions opts);
  ~ControllerDaemon();
  ControllerDaemon(const ControllerDaemon&) = delete;
  ControllerDaemon& operator=(const ControllerDaemon&) = delete;

  // Syncs the source, takes the sink's previous assignments, then reconciles every snapshot.
  // A start-up failure calls on_fatal once (possibly before start() returns): kExitInvalid when
  // the source cannot sync (invalid manifests), kExitFailure when the sink cannot start (an
  // unreadable state file). Nothing is published after a failure.
  void start(FatalCallback on_fatal);
  // Stops the source, the sink and the hold timer. Idempotent.
  void stop();

  // Kubernetes mode, on becoming the leader: forgets the results computed so far (a follower's,
  // never written) and reconciles the last snapshot again with the Services' own status (what the
  // API shows, written by the previous leader) as the previous assignments, so no IP moves.
  // Needs a sink that reads observed Services (the API's); with another sink the last result is
  // reconciled again as it is.
  void forgetPrevious();

  // True once a snapshot has been reconciled (/healthz).
  [[nodiscard]] bool reconciled() const noexcept;
  // For /healthz: the sink's problem, else the source's; "" when both are fine.
  [[nodiscard]] std::string healthProblem() const;
  [[nodiscard]] std::uint64_t reconciles() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace l1net::controller
