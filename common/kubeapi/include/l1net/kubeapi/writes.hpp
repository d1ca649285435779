// Writes with optimistic concurrency, Events and leader election on top of ApiClient.
//
// Writes: every helper sends the resourceVersion it read; on 409 Conflict it re-reads the object
// and tries again, at most kWriteAttempts times, then fails with an error naming the object.
// A failure is a WriteOutcome with ok == false and a one-line `error` ("PATCH services
// default/web/status: 409 Conflict after 5 attempts: ..."); transport errors are reported the
// same way (status 0). Nothing throws. All run on the client's executor.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>

#include "l1net/kube/events.hpp"
#include "l1net/kube/leader_election.hpp"
#include "l1net/kubeapi/client.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::kubeapi {

inline constexpr int kWriteAttempts = 5;

struct WriteOutcome {
  bool ok = false;
  unsigned status = 0;        // the last HTTP status (0 = transport error)
  boost::json::value object;  // the object as stored after the write (ok), else null
  std::string error;          // one line naming the object when !ok
  int attempts = 0;           // requests that were 409s, plus the last one
};

// Merge-patches the /status subresource of the object at `path` (".../services/web") with
// {"status": status}.
boost::asio::awaitable<WriteOutcome> patchStatus(ApiClient& c, std::string path,
                                                 boost::json::value status);
// Sets (value) or removes (nullopt) annotations of the object at `path` with a merge patch.
boost::asio::awaitable<WriteOutcome> patchAnnotations(
    ApiClient& c, std::string path, std::map<std::string, std::optional<std::string>> changes);
// Creates `obj` in `collection`; when it exists (409 AlreadyExists), replaces it (PUT with the
// read resourceVersion; status is not written this way: use patchStatus).
boost::asio::awaitable<WriteOutcome> createOrUpdate(ApiClient& c, std::string collection,
                                                    boost::json::value obj);
// Read-modify-write (client-go's Get + Update inside RetryOnConflict), for objects whose new
// state depends on what is stored (e.g. a merge with another writer's entries): GET
// collection/name, then mutate(current) builds the object to store from what was read (current
// is null when the object does not exist: it is then created with POST; else it is replaced with
// PUT carrying the read resourceVersion). A 409 (Conflict, or AlreadyExists on the create) reads
// again and calls mutate again, at most kWriteAttempts times. mutate returns nullopt and sets
// `why` to abandon the write (the outcome's error then names the object and says why).
using Mutate = std::function<std::optional<boost::json::value>(const boost::json::value& current,
                                                               std::string& why)>;
boost::asio::awaitable<WriteOutcome> updateWith(ApiClient& c, std::string collection,
                                                std::string name, Mutate mutate);
// Deletes the object at `path`; already gone (404) counts as done.
boost::asio::awaitable<WriteOutcome> deleteObject(ApiClient& c, std::string path);

// Records core/v1 Events (kube::EventCorrelator decides create vs. count bump). record() returns
// at once and writes in the background (in order); failures are logged and counted, never thrown.
class EventRecorder {
 public:
  EventRecorder(ApiClient& c, std::string component, std::string host,
                std::shared_ptr<spdlog::logger> logger);
  void record(const kube::ObjectRef& obj, kube::EventKind type, std::string reason,
              std::string message);
  // The same, awaited (tests, shutdown paths).
  boost::asio::awaitable<WriteOutcome> emit(const kube::ObjectRef& obj, kube::EventKind type,
                                            std::string reason, std::string message);
  [[nodiscard]] std::uint64_t failures() const noexcept { return failures_; }
  [[nodiscard]] std::size_t pending() const noexcept { return queue_.size(); }

 private:
  struct Item {
    kube::ObjectRef obj;
    kube::EventKind type;
    std::string reason;
    std::string message;
  };
  boost::asio::awaitable<void> drain();

  ApiClient& client_;
  kube::EventCorrelator correlator_;
  std::shared_ptr<spdlog::logger> logger_;
  std::vector<Item> queue_;
  bool draining_ = false;
  std::uint64_t failures_ = 0;
};

struct LeaderElectorOptions {
  std::string ns = "l1net-system";
  std::string name = "l1net-controller";  // the Lease
  kube::ElectionConfig election;          // identity (the pod name) and timings
};

// The io shell of kube::LeaderElection: every retry_period (jittered up to +20% while not
// leading, as client-go) it reads the Lease and writes what the machine decides.
// on_started runs when this candidate becomes the leader, on_stopped when it steps down (renew
// deadline passed, Lease taken) or when run() ends while leading. Callbacks must not block.
class LeaderElector {
 public:
  LeaderElector(ApiClient& c, LeaderElectorOptions opts, std::shared_ptr<spdlog::logger> logger,
                std::function<void()> on_started, std::function<void()> on_stopped);
  // Runs until stop(). With release_on_stop, a leader clears holderIdentity on the way out so that
  // another candidate takes over at once instead of after the lease duration.
  boost::asio::awaitable<void> run();
  void stop(bool release = true);

  [[nodiscard]] bool leading() const noexcept { return machine_.leading(); }
  [[nodiscard]] const std::string& holder() const noexcept { return machine_.observedHolder(); }

 private:
  boost::asio::awaitable<void> step();
  void apply(kube::LeaderElection::Change ch);

  ApiClient& client_;
  LeaderElectorOptions opts_;
  std::shared_ptr<spdlog::logger> logger_;
  std::function<void()> on_started_;
  std::function<void()> on_stopped_;
  kube::LeaderElection machine_;
  std::shared_ptr<boost::asio::steady_timer> timer_;
  bool stopped_ = false;
  bool release_ = true;
};

}  // namespace l1net::kubeapi
