#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>
#include <sys/inotify.h>

#include "l1net/io/manifest_files.hpp"
#include "l1net/io/object_source.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/metrics/registry.hpp"

namespace l1net::io {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr std::uint32_t kWatchMask = IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                     IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF |
                                     IN_MOVE_SELF;

// What one inotify watch descriptor is for: everything under it, or only some entry names (the
// parent directory of a watched file).
struct Watch {
  std::string path;
  bool all = false;
  std::set<std::string> names;
};

std::string parentOf(const std::string& path) {
  auto parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

ObjectSource::~ObjectSource() = default;

std::string ObjectSource::healthProblem() const { return {}; }

struct FileObjectSource::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, std::vector<std::string> manifest_paths,
       std::shared_ptr<spdlog::logger> logger, FileObjectSourceOptions options)
      : ex(std::move(executor)),
        paths(std::move(manifest_paths)),
        log(std::move(logger)),
        opts(options),
        inotify(ex),
        debounce(ex) {
    if (!log) {
      log = spdlog::default_logger();
    }
    if (opts.registry != nullptr) {
      failures_metric = &opts.registry->counter(
          "l1net_manifest_reload_failures_total",
          "Manifest loads that found errors and were rejected (the last good set is kept)");
      last_ok_metric = &opts.registry->gauge(
          "l1net_manifest_last_reload_success",
          "1 when the last manifest load was accepted, 0 when it was rejected");
      failures_metric->add({}, 0.0);
      last_ok_metric->set({}, 1.0);
    }
  }

  void recordOutcome(bool ok, const std::vector<manifest::Diagnostic>& errors) {
    last_ok = ok;
    if (ok) {
      problem.clear();
    } else {
      ++failures;
      error_summary = std::to_string(errors.size()) + " errors";
      if (!errors.empty()) {
        error_summary += "; first: " + errors.front().format();
      }
      problem =
          "last manifest reload rejected (" + error_summary + "); still serving the last good set";
    }
    if (failures_metric != nullptr) {
      if (!ok) {
        failures_metric->inc();
      }
      last_ok_metric->set({}, ok ? 1.0 : 0.0);
    }
  }

  enum class Loaded : std::uint8_t { kUnchanged, kValid, kInvalid };

  void open();
  void initialSync(const SyncCallback& done);
  void start(Callback cb);
  void stop();
  Loaded load(bool initial, manifest::ManifestSet& out);
  // Expands the paths, re-watches, reads every file once: nullopt when nothing changed.
  std::optional<ManifestRead> readChanged(std::size_t& file_count);
  Loaded accept(bool initial, manifest::LoadResult result, std::size_t file_count,
                manifest::ManifestSet& out);
  void reloadInBackground();
  void decoded(std::uint64_t generation, manifest::LoadResult result, std::size_t file_count);
  void deliver(manifest::ManifestSet set);
  void read();
  void onRead(const boost::system::error_code& ec, std::size_t n);
  void schedule();
  void settle();
  void reload();
  void rewatch(const std::vector<std::string>& files);

  asio::any_io_executor ex;
  std::vector<std::string> paths;
  std::shared_ptr<spdlog::logger> log;
  FileObjectSourceOptions opts;
  asio::posix::stream_descriptor inotify;
  asio::steady_timer debounce;
  std::map<int, Watch> watches;  // by watch descriptor
  // Files written to (IN_MODIFY) and not yet closed (IN_CLOSE_WRITE), by (wd, entry name): a
  // writer still holds them open, so their content may be half of what is coming.
  std::set<std::pair<int, std::string>> writing;
  std::chrono::steady_clock::time_point last_write{};
  Callback on_snapshot;
  std::optional<ManifestRead> last;  // fingerprint() of the last read
  // initialSync() ran since the last stop(); `synced_set` is its valid set, until start() takes it.
  bool synced = false;
  std::optional<manifest::ManifestSet> synced_set;
  bool opened = false;
  std::uint64_t failures = 0;
  std::uint64_t delivered = 0;
  bool last_ok = true;
  std::string problem;
  std::string error_summary;  // of the last rejected load: "N errors; first: <diagnostic>"
  metrics::Family* failures_metric = nullptr;
  metrics::Family* last_ok_metric = nullptr;
  bool running = false;
  // Reloads decode on this thread (created at the first reload): 10,000 Services take the
  // decoder a few hundred ms, which the executor's other work (a speaker's heartbeats) must not
  // wait for. One decode at a time; a change meanwhile reloads again once it is done.
  std::optional<asio::thread_pool> decoder;
  bool decoding = false;
  bool reload_again = false;
  std::uint64_t generation = 0;  // bumped by stop(): a decode started before is dropped
  alignas(inotify_event) std::array<char, 16 * 1024> buf{};
};

namespace {

// The read with each file's bytes replaced by their size and hash: what tells "unchanged" apart,
// without keeping the text of every file (as large as the set) for the daemon's lifetime. A change
// that keeps the size and the 64-bit hash would go unnoticed; edits are not adversarial here (who
// writes the manifests decides what they hold anyway).
ManifestRead fingerprint(const ManifestRead& read) {
  ManifestRead out;
  out.expand_errors = read.expand_errors;
  out.files.reserve(read.files.size());
  for (const auto& f : read.files) {
    out.files.push_back(
        manifest::ManifestFile{.name = f.name,
                               .text = std::to_string(f.text.size()) + ":" +
                                       std::to_string(std::hash<std::string_view>{}(f.text)),
                               .read_error = f.read_error});
  }
  return out;
}

}  // namespace

void FileObjectSource::Impl::open() {
  if (opened) {
    return;
  }
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "inotify_init1");
  }
  inotify.assign(fd);
  opened = true;
  last.reset();
}

void FileObjectSource::Impl::initialSync(const SyncCallback& done) {
  open();
  synced = true;
  synced_set.reset();
  last.reset();
  manifest::ManifestSet set;
  if (load(true, set) != Loaded::kValid) {
    done(SyncOutcome{.ok = false, .error = "manifests invalid (" + error_summary + ")"});
    return;
  }
  synced_set = std::move(set);
  done(SyncOutcome{.ok = true, .error = {}, .snapshot = &*synced_set});
}

void FileObjectSource::Impl::start(Callback cb) {
  if (running) {
    return;
  }
  open();  // the kernel queued every event since initialSync() set the watches
  on_snapshot = std::move(cb);
  running = true;
  read();
  if (!synced) {
    reload();
    return;
  }
  synced = false;
  if (synced_set) {
    auto set = std::move(*synced_set);
    synced_set.reset();
    deliver(std::move(set));
  }
}

void FileObjectSource::Impl::stop() {
  synced = false;
  synced_set.reset();
  if (!opened) {
    return;
  }
  opened = false;
  running = false;
  ++generation;
  decoding = false;
  reload_again = false;
  debounce.cancel();
  boost::system::error_code ignored;
  inotify.close(ignored);  // drops every watch
  watches.clear();
  writing.clear();
  on_snapshot = nullptr;
}

void FileObjectSource::Impl::read() {
  inotify.async_read_some(asio::buffer(buf),
                          [self = shared_from_this()](const boost::system::error_code& ec,
                                                      std::size_t n) { self->onRead(ec, n); });
}

void FileObjectSource::Impl::onRead(const boost::system::error_code& ec, std::size_t n) {
  if (!running || ec == asio::error::operation_aborted) {
    return;
  }
  if (ec) {
    ++failures;
    log->error("manifest watch stopped: inotify read failed: {}", ec.message());
    return;
  }
  bool changed = false;
  for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
    inotify_event ev{};
    std::memcpy(&ev, buf.data() + off, sizeof ev);
    const char* name_ptr = buf.data() + off + sizeof ev;
    const std::string name(name_ptr, ::strnlen(name_ptr, ev.len));
    off += sizeof ev + ev.len;
    if ((ev.mask & IN_Q_OVERFLOW) != 0) {
      changed = true;
      continue;
    }
    const auto it = watches.find(ev.wd);
    if (it == watches.end()) {
      continue;
    }
    if ((ev.mask & IN_IGNORED) != 0) {
      std::erase_if(writing, [wd = ev.wd](const auto& k) { return k.first == wd; });
      watches.erase(it);  // the inode is gone; reload re-adds watches on what exists now
      changed = true;
      continue;
    }
    const Watch& w = it->second;
    if (w.all || name.empty() || w.names.contains(name) || name.starts_with("..")) {
      changed = true;  // ".." names: Kubernetes ConfigMap mounts swap a "..data" symlink
      auto key = std::make_pair(ev.wd, name);
      if ((ev.mask & IN_MODIFY) != 0) {
        writing.insert(std::move(key));
        last_write = std::chrono::steady_clock::now();
      } else if ((ev.mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                             IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
        writing.erase(key);  // closed after writing, or replaced: complete
      }
    }
  }
  if (changed) {
    schedule();
  }
  read();
}

void FileObjectSource::Impl::schedule() {
  debounce.expires_after(opts.debounce);  // cancels a pending wait: trailing-edge debounce
  debounce.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && self->running) {
      self->settle();
    }
  });
}

void FileObjectSource::Impl::settle() {
  if (!writing.empty()) {
    const auto give_up = last_write + opts.open_writer_timeout;
    if (std::chrono::steady_clock::now() < give_up) {
      log->debug("{} manifest file(s) still open for writing; waiting for close", writing.size());
      debounce.expires_at(give_up);  // a close or rename re-schedules sooner
      debounce.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec && self->running) {
          self->settle();
        }
      });
      return;
    }
    log->warn("manifest file(s) still open for writing {} ms after the last write; loading them",
              opts.open_writer_timeout.count());
    writing.clear();
  }
  reloadInBackground();
}

void FileObjectSource::Impl::rewatch(const std::vector<std::string>& files) {
  std::map<int, Watch> next;
  auto add = [this, &next](const std::string& path, bool all, const std::string& name) {
    const int wd = ::inotify_add_watch(inotify.native_handle(), path.c_str(), kWatchMask);
    if (wd < 0) {
      if (errno != ENOENT && errno != ENOTDIR) {
        log->warn("cannot watch {}: {}", path, std::strerror(errno));
      }
      return;
    }
    auto& w = next[wd];
    if (w.path.empty()) {
      w.path = path;
    }
    w.all = w.all || all;
    if (!name.empty()) {
      w.names.insert(name);
    }
  };
  for (const auto& p : paths) {
    add(p, true, "");  // the file, or every entry of the dir
    add(parentOf(p), false, fs::path(p).filename().string());  // p replaced, deleted, created
  }
  for (const auto& f : files) {
    add(f, true, "");  // follows symlinks to the real file
  }
  for (const auto& [wd, w] : watches) {
    if (!next.contains(wd)) {
      ::inotify_rm_watch(inotify.native_handle(), wd);
    }
  }
  watches = std::move(next);
}

std::optional<ManifestRead> FileObjectSource::Impl::readChanged(std::size_t& file_count) {
  // Watch first, then read: a change racing with the read still produces an event. Each file is
  // read once; the bytes both detect "unchanged" and are what gets decoded.
  ManifestRead read;
  const auto files = expandManifestPaths(paths, read.expand_errors);
  file_count = files.size();
  rewatch(files);
  for (const auto& f : files) {
    manifest::ManifestFile file;
    file.name = f;
    if (!readManifestFile(f, opts.load, file.text, file.read_error)) {
      file.text.clear();
    }
    read.files.push_back(std::move(file));
  }
  auto seen = fingerprint(read);
  if (last && *last == seen) {
    log->debug("manifests unchanged");
    return std::nullopt;
  }
  last = std::move(seen);
  return read;
}

FileObjectSource::Impl::Loaded FileObjectSource::Impl::load(bool initial,
                                                            manifest::ManifestSet& out) {
  std::size_t file_count = 0;
  auto read = readChanged(file_count);
  if (!read) {
    return Loaded::kUnchanged;
  }
  auto result = manifest::loadManifestFiles(read->files, read->expand_errors);
  read.reset();  // the bytes are not kept: a large set is not held once more as text
  return accept(initial, std::move(result), file_count, out);
}

FileObjectSource::Impl::Loaded FileObjectSource::Impl::accept(bool initial,
                                                              manifest::LoadResult result,
                                                              std::size_t file_count,
                                                              manifest::ManifestSet& out) {
  for (const auto& w : result.warnings) {
    log->warn("manifest warning: {}", w.format());
  }
  if (!result.ok()) {
    recordOutcome(false, result.errors);
    const auto level = initial ? spdlog::level::err : spdlog::level::warn;
    for (const auto& e : result.errors) {
      log->log(level, "manifest error: {}", e.format());
    }
    if (initial) {
      log->error("manifests invalid: {} errors", result.errors.size());
    } else {
      log->warn("manifests rejected ({} errors); keeping the last good set", result.errors.size());
    }
    return Loaded::kInvalid;
  }
  recordOutcome(true, {});
  log->info("manifests loaded from {} files", file_count);
  out = std::move(result.set);
  return Loaded::kValid;
}

void FileObjectSource::Impl::reloadInBackground() {
  if (decoding) {
    reload_again = true;
    return;
  }
  std::size_t file_count = 0;
  auto read = readChanged(file_count);
  if (!read) {
    return;
  }
  decoding = true;
  if (!decoder) {
    decoder.emplace(1);
  }
  // The decoder holds no reference to this source: a source destroyed meanwhile joins it (its
  // destructor waits for the decode) and the result is dropped.
  asio::post(*decoder, [weak = weak_from_this(), executor = ex, gen = generation, file_count,
                        read = std::move(*read)]() mutable {
    auto result = std::make_shared<manifest::LoadResult>(
        manifest::loadManifestFiles(read.files, read.expand_errors));
    read = {};
    asio::post(executor, [weak, gen, file_count, result] {
      if (const auto self = weak.lock()) {
        self->decoded(gen, std::move(*result), file_count);
      }
    });
  });
}

void FileObjectSource::Impl::decoded(std::uint64_t gen, manifest::LoadResult result,
                                     std::size_t file_count) {
  if (gen != generation || !running) {
    return;  // stopped since: a later start() reads the files again
  }
  decoding = false;
  manifest::ManifestSet set;
  if (accept(false, std::move(result), file_count, set) == Loaded::kValid) {
    deliver(std::move(set));
  }
  if (reload_again && running) {
    reload_again = false;
    reloadInBackground();
  }
}

void FileObjectSource::Impl::deliver(manifest::ManifestSet set) {
  ++delivered;
  if (on_snapshot) {
    auto cb = on_snapshot;  // the callback may stop() us
    cb(std::move(set));
  }
}

void FileObjectSource::Impl::reload() {
  manifest::ManifestSet set;
  if (load(false, set) == Loaded::kValid) {
    deliver(std::move(set));
  }
}

FileObjectSource::FileObjectSource(asio::any_io_executor ex, std::vector<std::string> paths,
                                   std::shared_ptr<spdlog::logger> logger,
                                   FileObjectSourceOptions opts)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(paths), std::move(logger), opts)) {}

FileObjectSource::~FileObjectSource() { impl_->stop(); }

void FileObjectSource::initialSync(SyncCallback done) { impl_->initialSync(done); }

void FileObjectSource::start(Callback on_snapshot) { impl_->start(std::move(on_snapshot)); }

void FileObjectSource::stop() { impl_->stop(); }

std::uint64_t FileObjectSource::reloadFailures() const noexcept { return impl_->failures; }

std::uint64_t FileObjectSource::snapshots() const noexcept { return impl_->delivered; }

bool FileObjectSource::lastReloadOk() const noexcept { return impl_->last_ok; }

std::string FileObjectSource::healthProblem() const { return impl_->problem; }

std::optional<manifest::ManifestSet> loadInitialManifests(const std::vector<std::string>& paths,
                                                          spdlog::logger& logger,
                                                          const manifest::LoadOptions& opts) {
  auto result = loadManifestPaths(paths, opts);
  for (const auto& w : result.warnings) {
    logger.warn("manifest warning: {}", w.format());
  }
  for (const auto& e : result.errors) {
    logger.error("manifest error: {}", e.format());
  }
  if (!result.ok()) {
    logger.error("manifests invalid: {} errors", result.errors.size());
    return std::nullopt;
  }
  return std::move(result.set);
}

}  // namespace l1net::io
