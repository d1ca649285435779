// The controller's I/O shell: command line, file mode (--once) and the daemon loop around the
// pure reconciler. Loads manifests, reads/writes the state file, logs the reconciler's events,
// prints results and serves /metrics + /healthz. app/main.cpp only wires these together.
//
// Exit codes: 0 ok (a failed allocation is a per-service result, not a failure); 1 runtime error
// (unreadable state file, state write failed, metrics address unusable); 2 invalid manifests or
// invalid command line.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "l1net/controller/io/controller_daemon.hpp"
#include "l1net/controller/reconciler.hpp"
#include "l1net/io/http_server.hpp"
#include "l1net/io/logging.hpp"
#include "l1net/manifest/load.hpp"

namespace l1net::controller {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalid = 2;

enum class OutputFormat : std::uint8_t { kNone, kYaml, kJson };

// --mode: where objects come from and results go. File: --manifests in, --state out. Kubernetes:
// the API server (--kubeconfig, or in-cluster), Services' status, annotations and Events out.
enum class Mode : std::uint8_t { kFile, kKubernetes };

struct ControllerOptions {
  Mode mode = Mode::kFile;
  std::string kubeconfig;                       // --kubeconfig; empty = in-cluster service account
  std::string kube_namespace = "l1net-system";  // --namespace: pools, advertisements, the Lease
  bool leader_elect = true;  // --leader-elect (Kubernetes mode), Lease l1net-controller
  std::vector<std::string> manifests;
  std::string state;  // --state FILE; empty = keep state in memory only
  bool once = false;
  bool dry_run = false;
  OutputFormat output = OutputFormat::kNone;  // --once without -o prints YAML
  std::string metrics_addr = "127.0.0.1:7472";
  std::optional<std::string> lb_class;
  // --release-hold: how long the IPs of a Service that vanished from the manifests stay reserved
  // for it (file mode; see reconciler.hpp "Release hold"). 0 = MetalLB's immediate release.
  // Kubernetes mode, where deletes are explicit, must run with 0.
  std::chrono::milliseconds release_hold{30'000};
  // --state-recover: start from an incomplete state file (keeping the services it still holds)
  // and rewrite it. Without it an incomplete state file stops the controller (exit 1).
  bool state_recover = false;
  // A failed state write is retried after this, doubling up to state_retry_max, until it works.
  std::chrono::milliseconds state_retry_initial{500};
  std::chrono::milliseconds state_retry_max{30'000};
  // --max-manifest-bytes: per-file limit; a bigger file (or /dev/zero, a FIFO) is an error.
  std::size_t max_manifest_bytes = manifest::kDefaultMaxManifestBytes;
  l1net::io::LogOptions log;
};

struct CommandLine {
  std::optional<ControllerOptions> options;  // empty: exit with exit_code (--help, bad usage)
  int exit_code = kExitOk;
};

// Parses argv (Boost.ProgramOptions); --help goes to `out`, usage errors to `err`.
[[nodiscard]] CommandLine parseCommandLine(int argc, const char* const* argv, std::ostream& out,
                                           std::ostream& err);

// The text printed for a result: JSON (formatResultJson + newline) or the Service manifests.
[[nodiscard]] std::string renderOutput(const ReconcileResult& result, OutputFormat format);

// --once: load, reconcile (with the state file's previous assignments), write the state unless
// --dry-run, print to `out`. Diagnostics ("file:line: ...") go to `err`; events to the log.
[[nodiscard]] int runOnce(const ControllerOptions& opts, std::ostream& out, std::ostream& err);

// Both modes' /metrics and /healthz: serveMetrics on `addr` (healthy while `reconciled`, and
// 503 with `problem` when it names one), logging where it listens. False, logged, when `addr`
// cannot be bound.
[[nodiscard]] bool serveControllerEndpoints(l1net::io::HttpServer& server,
                                            const metrics::Registry& registry,
                                            const std::string& addr, spdlog::logger& logger,
                                            std::function<bool()> reconciled,
                                            std::function<std::string()> problem);

// The daemon (ControllerDaemon on the seams of --mode): reconciles on every valid manifest change
// (inotify), rewrites the state file when it changes (a failed write is retried with backoff until
// it succeeds; /healthz is 503 meanwhile), keeps the last good state on invalid edits (/healthz 503
// and l1net_manifest_reload_failures_total say so), holds vanished services' IPs for
// --release-hold, serves metrics, stops on SIGINT/SIGTERM. Stale temp files of the state file are
// removed at start.
[[nodiscard]] int runDaemon(const ControllerOptions& opts);

}  // namespace l1net::controller
