// The list/watch state machine of one informer (client-go's Reflector), pure: it says which
// request to make next and turns list results and watch events into cache deltas. The io shell
// performs the requests and feeds the outcomes back. Time and randomness are passed in.
//
// Protocol (as client-go against kube-apiserver):
//  1. List with resourceVersion "0" (any, served from the watch cache); after a 410 on a list,
//     the next list asks for "" (the most recent, from etcd).
//  2. Watch from the list's resourceVersion with allowWatchBookmarks=true and timeoutSeconds
//     drawn from [300, 600). Each ADDED/MODIFIED/DELETED/BOOKMARK advances the resourceVersion.
//  3. A stream that ends at an event boundary (timeoutSeconds elapsed): watch again at once from
//     the last resourceVersion. A stream that breaks (connection lost, bad bytes, an ERROR event
//     that is no 410, a 5xx): back off, then watch again from the last resourceVersion.
//  4. Expiry, as an ERROR event with a 410 Status in a 200 stream or as HTTP 410 on the watch
//     request: relist with resourceVersion "" and resume.
//  5. A relist replaces the cache: the deltas are exactly the objects added, changed (by
//     resourceVersion) or gone since the cache's state, so nothing is lost or duplicated.
//     Events whose resourceVersion the cache already holds (a replay) produce no delta.
//  Backoff: 800 ms doubling to 30 s, times (1 + jitter) with jitter in [0, 1), reset after 2 min
//  without a failure (client-go's reflector backoff manager).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "l1net/kube/watch.hpp"

namespace l1net::kube {

using Clock = std::chrono::steady_clock;

// Exponential backoff with jitter (pure; now and a uniform [0,1) number are passed in).
class Backoff {
 public:
  struct Options {
    std::chrono::milliseconds initial{800};
    std::chrono::milliseconds max{30'000};
    std::chrono::milliseconds reset_after{120'000};
    double jitter = 1.0;
  };
  Backoff() = default;
  explicit Backoff(Options o) : opts_(o) {}
  // The delay before the next attempt after a failure at `now`.
  [[nodiscard]] std::chrono::milliseconds next(Clock::time_point now, double rand01);
  void reset() { failures_ = 0; }
  [[nodiscard]] int failures() const noexcept { return failures_; }

 private:
  Options opts_;
  int failures_ = 0;
  std::optional<Clock::time_point> last_failure_;
};

struct Delta {
  enum class Kind : std::uint8_t { kUpsert, kDelete };
  Kind kind = Kind::kUpsert;
  std::string key;            // "namespace/name" or "name"
  boost::json::value object;  // the object (for a delete: its last state as sent)
};

struct Request {
  enum class Kind : std::uint8_t { kList, kWatch };
  Kind kind = Kind::kList;
  std::string resource_version;        // "0", "" or the resume point
  int timeout_seconds = 0;             // watch only
  std::chrono::milliseconds delay{0};  // wait this long before sending it
};

// What an outcome did, for logs and metrics.
struct Outcome {
  std::vector<Delta> deltas;
  bool relist = false;   // the next request is a relist (expiry)
  bool failure = false;  // counted as a failure (backoff applies)
  std::string error;     // one line when failure or relist
};

class Reflector {
 public:
  explicit Reflector(Backoff::Options backoff = {}) : backoff_(backoff) {}

  // The next request to make; rand01 is uniform in [0,1) (timeoutSeconds and jitter).
  [[nodiscard]] Request next(Clock::time_point now, double rand01);

  // A list response: HTTP status and the parsed body (a <Kind>List or a Status).
  Outcome onList(Clock::time_point now, unsigned http_status, boost::json::value body);
  // The watch request's response status when it is not 200 (the body parsed as a Status).
  Outcome onWatchRejected(Clock::time_point now, unsigned http_status, const ApiStatus& status);
  // One event of an open watch stream.
  Outcome onEvent(Clock::time_point now, WatchEvent ev);
  // The stream ended. clean: at an event boundary without error (timeoutSeconds elapsed).
  // Not called after an onEvent outcome with relist or failure (the shell drops the stream).
  Outcome onWatchEnd(Clock::time_point now, bool clean, const std::string& why);
  // The request could not be made or its response not read (connect, TLS, timeout).
  Outcome onRequestFailed(Clock::time_point now, const std::string& why);

  [[nodiscard]] bool synced() const noexcept { return synced_; }  // a list has succeeded
  [[nodiscard]] const std::string& resourceVersion() const noexcept { return rv_; }
  [[nodiscard]] std::size_t size() const noexcept { return known_.size(); }
  [[nodiscard]] std::uint64_t relists() const noexcept { return relists_; }
  [[nodiscard]] std::uint64_t reconnects() const noexcept { return reconnects_; }

 private:
  enum class Phase : std::uint8_t { kList, kWatch };
  Outcome fail(Clock::time_point now, std::string why);

  Backoff backoff_;
  Phase phase_ = Phase::kList;
  std::string list_rv_ = "0";  // RV the next list asks for
  std::string rv_;             // last seen resourceVersion
  bool synced_ = false;
  bool failed_ = false;  // the last outcome was a failure: apply backoff before the next request
  std::map<std::string, std::string> known_;  // key -> resourceVersion of the cached state
  std::uint64_t relists_ = 0;
  std::uint64_t reconnects_ = 0;
};

// "namespace/name" (or "name" for cluster-scoped objects) and metadata.resourceVersion of an
// object; empty strings when absent.
[[nodiscard]] std::string objectKey(const boost::json::value& obj);
[[nodiscard]] std::string objectResourceVersion(const boost::json::value& obj);

}  // namespace l1net::kube
