// Where a daemon's objects come from: manifest files (file mode) or, later, the Kubernetes API.
//
// Design note: a source delivers whole, valid snapshots (manifest::ManifestSet); consumers
// reconcile against each snapshot and never see a half-applied or invalid set. FileObjectSource
// watches --manifests paths with inotify; a Kubernetes source will implement the same seam.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/manifest/objects.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::io {

class ObjectSource {
 public:
  using Callback = std::function<void(const manifest::ManifestSet&)>;

  virtual ~ObjectSource();
  ObjectSource() = default;
  ObjectSource(const ObjectSource&) = delete;
  ObjectSource& operator=(const ObjectSource&) = delete;

  // Begins delivering snapshots to on_snapshot, always on the source's executor thread. The first
  // snapshot may be delivered before start() returns.
  virtual void start(Callback on_snapshot) = 0;
  // No callback is made after stop() returns. Idempotent.
  virtual void stop() = 0;
};

struct FileObjectSourceOptions {
  std::chrono::milliseconds debounce{100};  // quiet time after the last change before reloading
};

// Loads the manifest paths (files or directories, as manifest::expandManifestPaths) and watches
// them: in-place writes, editors that write a temp file and rename it over, files deleted and
// recreated, files created later in a watched directory, and the directories themselves being
// replaced. After `debounce` of quiet it re-reads the files; unchanged content is ignored.
// A valid changed set is delivered to the callback. An invalid set logs every error (warn, one
// line per diagnostic), bumps reloadFailures() and keeps the last good snapshot (no callback).
//
// start() loads synchronously: when the set is valid, on_snapshot runs before start() returns;
// when not, the errors are logged and the source waits for a valid edit. Apps that must refuse
// to start on an invalid set (exit 2) check loadInitialManifests() first.
// start() throws std::system_error when inotify is unavailable (start-up error).
// Not thread-safe: use from the executor's thread.
class FileObjectSource final : public ObjectSource {
 public:
  FileObjectSource(boost::asio::any_io_executor ex, std::vector<std::string> paths,
                   std::shared_ptr<spdlog::logger> logger, FileObjectSourceOptions opts = {});
  ~FileObjectSource() override;

  void start(Callback on_snapshot) override;
  void stop() override;

  // Loads that found errors (the initial one included).
  [[nodiscard]] std::uint64_t reloadFailures() const noexcept;
  // Valid snapshots delivered to the callback.
  [[nodiscard]] std::uint64_t snapshots() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Start-up helper: loads `paths`, logs every warning (warn) and error (error) as formatted
// diagnostics, and returns the set only when there were no errors.
[[nodiscard]] std::optional<manifest::ManifestSet> loadInitialManifests(
    const std::vector<std::string>& paths, spdlog::logger& logger);

}  // namespace l1net::io
