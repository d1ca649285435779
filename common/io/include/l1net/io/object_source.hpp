// Where a daemon's objects come from: manifest files (file mode) or, later, the Kubernetes API.
//
// Design note: a source delivers whole, valid snapshots (manifest::ManifestSet); consumers
// reconcile against each snapshot and never see a half-applied or invalid set. A daemon drives
// every source the same way:
//   source.initialSync(done);   // done(outcome) once: the first complete view, or why not
//   source.start(on_snapshot);  // after done(ok): the synced snapshot first, then every change
// FileObjectSource (here) loads --manifests once and watches them with inotify; the Kubernetes
// source (l1net::kubeapi::KubeObjectSource, kubeapi/object_source.hpp) lists every informer, then
// watches.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/manifest/load.hpp"
#include "l1net/manifest/objects.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::metrics {
class Registry;
}  // namespace l1net::metrics

namespace l1net::io {

// The outcome of ObjectSource::initialSync. Not ok = the daemon cannot start from this source
// (file mode: invalid manifests, exit 2); `error` is one line saying why (details were logged).
struct SyncOutcome {
  bool ok = true;
  std::string error;
  // When ok: the synced snapshot, valid only during the callback (for what a daemon must know
  // before it starts, e.g. the speaker's first mesh peers). start() delivers it again.
  const manifest::ManifestSet* snapshot = nullptr;
};

class ObjectSource {
 public:
  // The snapshot is the callback's own (moved in, not copied: a large set is held once); a
  // callback that keeps it moves it on.
  using Callback = std::function<void(manifest::ManifestSet)>;
  using SyncCallback = std::function<void(const SyncOutcome&)>;

  virtual ~ObjectSource();
  ObjectSource() = default;
  ObjectSource(const ObjectSource&) = delete;
  ObjectSource& operator=(const ObjectSource&) = delete;

  // Brings the source to its first complete view and calls `done` exactly once, on the source's
  // executor thread (possibly before initialSync returns). File: the manifests are read and
  // validated once, synchronously. API: done when every informer has listed (list failures are
  // retried with backoff meanwhile; only an error retrying cannot heal is reported as not ok).
  // Changes after the sync are not lost: start() delivers them.
  virtual void initialSync(SyncCallback done) = 0;
  // Begins delivering snapshots to on_snapshot, always on the source's executor thread. After a
  // successful initialSync the first snapshot is the synced one (delivered before start()
  // returns, or soon after). Without initialSync, start() syncs first (an invalid initial set is
  // then logged and the source waits for a valid change).
  virtual void start(Callback on_snapshot) = 0;
  // No callback is made after stop() returns. Idempotent.
  virtual void stop() = 0;
  // For /healthz: "" when the source's last update was accepted, else one line saying why not
  // (e.g. the last manifest reload was rejected). Default: always "".
  [[nodiscard]] virtual std::string healthProblem() const;
};

struct FileObjectSourceOptions {
  std::chrono::milliseconds debounce{100};  // quiet time after the last change before reloading
  // A file written to (IN_MODIFY) is not loaded until its writer closes it (IN_CLOSE_WRITE) or it
  // is replaced by a rename (IN_MOVED_TO). Only when a writer keeps it open this long after its
  // last write is it loaded anyway (with a warning).
  std::chrono::milliseconds open_writer_timeout{30000};
  // When set (it must outlive the source), the source exports on it:
  //   l1net_manifest_reload_failures_total   loads that found errors (the initial one included)
  //   l1net_manifest_last_reload_success     1 when the last load was accepted, else 0
  metrics::Registry* registry = nullptr;
  // Per-file size limit and the like (--max-manifest-bytes).
  manifest::LoadOptions load;
};

// Loads the manifest paths (files or directories, as io::expandManifestPaths) and watches
// them: in-place writes, editors that write a temp file and rename it over, files deleted and
// recreated, files created later in a watched directory, and the directories themselves being
// replaced. A file still open for writing is never read half-written: reloads wait for
// close-after-write or a rename (see open_writer_timeout), then for `debounce` of quiet, then the
// files are re-read; unchanged content is ignored. Those reloads decode on a thread of the
// source's own (10,000 Services take a few hundred ms); the callback still runs on the executor's
// thread, one reload at a time, in order. stop() drops a decode in flight.
// A valid changed set is delivered to the callback. An invalid set logs every error (warn, one
// line per diagnostic), bumps reloadFailures() and keeps the last good snapshot (no callback).
//
// initialSync() loads synchronously, logging every warning (warn) and error (error), and reports
// an invalid set as not ok with the first error (apps exit 2). start() then delivers that set
// before returning and watches from there: the watches were set before the files were read, so an
// edit made between initialSync() and start() is seen. start() without initialSync() loads
// synchronously too: a valid set is delivered before start() returns; an invalid one is logged and
// the source waits for a valid edit.
// initialSync()/start() throw std::system_error when inotify is unavailable (start-up error).
// Not thread-safe: use from the executor's thread.
class FileObjectSource final : public ObjectSource {
 public:
  FileObjectSource(boost::asio::any_io_executor ex, std::vector<std::string> paths,
                   std::shared_ptr<spdlog::logger> logger, FileObjectSourceOptions opts = {});
  ~FileObjectSource() override;

  void initialSync(SyncCallback done) override;
  void start(Callback on_snapshot) override;
  void stop() override;

  // Loads that found errors (the initial one included).
  [[nodiscard]] std::uint64_t reloadFailures() const noexcept;
  // Valid snapshots delivered to the callback.
  [[nodiscard]] std::uint64_t snapshots() const noexcept;
  // False when the last load was rejected (the last good set is still in use); true before start.
  [[nodiscard]] bool lastReloadOk() const noexcept;
  // For /healthz: "" when the last load was accepted, else one line saying it was rejected (how
  // many errors, the first one) and that the last good set is kept.
  [[nodiscard]] std::string healthProblem() const override;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// For daemons: /healthz healthy = own() && source.healthProblem().empty(), and its body names the
// rejected reload. Wire it as
//   FileObjectSourceOptions opts; opts.registry = &registry;            // the metrics
//   serveMetrics(server, registry, [&] { return own_ok; }, [&] { return source.healthProblem(); });

// File-only start-up helper (for daemons that have no ObjectSource yet): loads `paths` (each file
// read once), logs every warning (warn) and error (error) as formatted diagnostics, and returns the
// set only when there were no errors.
[[nodiscard]] std::optional<manifest::ManifestSet> loadInitialManifests(
    const std::vector<std::string>& paths, spdlog::logger& logger,
    const manifest::LoadOptions& opts = {});

}  // namespace l1net::io
