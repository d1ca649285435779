// The controller's state file: the managed Services as `kubectl get svc -o yaml` shows them
// (spec, status.loadBalancer.ingress, metallb.io/ip-allocated-from-pool), so speakers and dnsd
// load it like any other manifest and a restarted controller keeps every IP.
//
// Format. Line 1 is the marker kStateMarker (a YAML comment): l1net writes only files that are
// absent, empty or carry it, so a --state pointed by mistake at a manifest is never overwritten.
// The last line is a trailer comment "# l1net-state-end services=N crc32=XXXXXXXX" over the bytes
// between the two: a file cut short (even where it still parses) is detected and named.
// Temporary files "<state>.tmp.XXXXXX" left by a write that was killed are removed at start.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/controller/reconciler.hpp"
#include "l1net/error.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::controller {

inline constexpr std::string_view kStateMarker =
    "# l1net-controller state file (l1net-state v1): written by l1net, do not edit";
inline constexpr std::string_view kStateTrailerPrefix = "# l1net-state-end ";

enum class StateStatus : std::uint8_t {
  kOk,          // complete (or absent/empty: a first start)
  kForeign,     // has content but no marker: not ours, never used nor overwritten
  kIncomplete,  // marker but no valid trailer, or count/checksum mismatch
  kInvalid,     // complete but does not load as Services (diagnostics in errors)
  kUnreadable,  // I/O error
};

struct StateRead {
  StateStatus status = StateStatus::kOk;
  std::vector<manifest::Service> services;  // kOk; with kIncomplete: what loads before the cut
  std::vector<std::string> errors;          // each names the file; empty = ok
  [[nodiscard]] bool ok() const noexcept { return status == StateStatus::kOk; }
};

// Reads the Services of `path`. A missing or empty file is an empty, valid state (first start).
// Anything else that is not a complete l1net state file that loads cleanly is an error, so a
// damaged file never silently moves IPs. For kIncomplete, `services` holds what could still be
// loaded (used only with --state-recover).
[[nodiscard]] StateRead readStateFile(const std::string& path);

// The checked state text (marker, YAML, trailer) for these services.
[[nodiscard]] std::string renderState(const std::vector<manifest::Service>& services);
// The same for the managed services of a reconcile (stateServices(result)), without copying them.
[[nodiscard]] std::string renderStateFor(const ReconcileResult& result);

// Where a state text goes, piece by piece, so that the text of a large set is never held whole.
class StateOutput {
 public:
  virtual ~StateOutput() = default;
  StateOutput() = default;
  StateOutput(const StateOutput&) = delete;
  StateOutput& operator=(const StateOutput&) = delete;
  [[nodiscard]] virtual Result<void> append(std::string_view piece) = 0;
  // What was appended becomes the file (atomically). Dropped without commit, nothing changes.
  [[nodiscard]] virtual Result<void> commit() = 0;
};

// Opens `path` for a new state text (a temporary file renamed over it at commit). Refuses
// (Errc::kConflict, nothing written) when `path` has content without the marker; other errors
// are the failing syscall's.
[[nodiscard]] Result<std::unique_ptr<StateOutput>> openStateFile(const std::string& path);

// Identifies a state text, for "unchanged, nothing to write": its size and two checksums.
struct StateFingerprint {
  std::uint64_t size = 0;
  std::uint32_t crc32 = 0;
  std::uint64_t crc64 = 0;
  friend bool operator==(const StateFingerprint&, const StateFingerprint&) = default;
};

// Renders renderStateFor(result)'s text into out a document at a time; returns its fingerprint,
// or the first failed append's error.
[[nodiscard]] Result<StateFingerprint> renderStateTo(const ReconcileResult& result,
                                                     StateOutput& out);
// Appends an already rendered text; returns its fingerprint.
[[nodiscard]] Result<StateFingerprint> renderStateTo(std::string_view text, StateOutput& out);

// Pure: the status of a state file's text (kOk, kForeign or kIncomplete) with a reason.
struct StateCheck {
  StateStatus status = StateStatus::kOk;
  std::string reason;  // for the error message; empty when kOk
};
[[nodiscard]] StateCheck checkStateText(std::string_view text);

// Writes the text atomically (temporary file + rename). Refuses (Errc::kConflict, nothing
// written) when `path` has content without the marker; other errors are the failing syscall's.
[[nodiscard]] Result<void> writeStateFile(const std::string& path, const std::string& text);

// One line for a writeStateFile error, naming the file.
[[nodiscard]] std::string describeWriteError(const std::string& path,
                                             const boost::system::error_code& ec);

// Removes "<basename of path>.tmp.XXXXXX" files next to `path` (left by a killed write); returns
// the removed paths. Call before the first write, with no other writer of `path` running.
std::vector<std::string> removeStaleTempFiles(const std::string& path);

}  // namespace l1net::controller
