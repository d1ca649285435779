// Kubernetes mode: publishes what this speaker announces (l2_status.hpp has the rules and bodies)
// through the API server, as MetalLB's Layer2StatusReconciler plus its nodeAssigned Event.
//
// Design note. Level-triggered: every change of the announced set (setAnnounced) and every
// `resync` the publisher lists the ServiceL2Status objects of --namespace, plans with
// planL2Statuses (pure) and applies the plan: POST + PATCH /status for new objects, PATCH for
// stale ones, DELETE for withdrawn ones (404 = already gone). Any failure (API unreachable, 5xx,
// 409 after a concurrent change) abandons the round and the next round starts from a fresh list,
// after a backoff (doubling from backoff_min to backoff_max). nodeAssigned Events are queued when a
// service is first announced and sent at the next successful contact (at most max_events queued;
// older ones are dropped and counted).
// The API being away never affects announcing: the publisher only reports, and the Speaker does
// not wait for it.
//
// Threading: the executor's single thread, like the Speaker. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "l1net/error.hpp"
#include "l1net/speaker/l2_status.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::speaker {

struct ApiReply {
  unsigned status = 0;
  boost::json::value body;
};

// The seam to the API server: kubeapi::ApiClient::call in production.
class StatusApi {
 public:
  StatusApi() = default;
  StatusApi(const StatusApi&) = delete;
  StatusApi& operator=(const StatusApi&) = delete;
  virtual ~StatusApi() = default;
  // One request; body sent as JSON (content_type for PATCH) unless null. Transport failures are
  // errors; any HTTP status is a reply.
  virtual boost::asio::awaitable<Result<ApiReply>> call(std::string method, std::string target,
                                                        boost::json::value body,
                                                        std::string content_type) = 0;
};

struct L2StatusPublisherStats {
  std::uint64_t rounds = 0;    // reconcile rounds that completed
  std::uint64_t failures = 0;  // rounds abandoned on an error
  std::uint64_t created = 0;
  std::uint64_t patched = 0;
  std::uint64_t deleted = 0;
  std::uint64_t events_sent = 0;
  std::uint64_t events_dropped = 0;  // queue overflow or rejected by the API (4xx)
};

class L2StatusPublisher {
 public:
  struct Options {
    std::string node;
    std::string ns;  // --namespace: where the objects live
    OwnerPod owner;
    std::chrono::milliseconds resync{60000};
    std::chrono::milliseconds backoff_min{500};
    std::chrono::milliseconds backoff_max{30000};
    std::size_t max_events = 256;
    // The Service's UID for the Event's involvedObject ("" = unknown: sent without one).
    std::function<std::string(std::string_view ns, std::string_view name)> service_uid;
    std::function<std::chrono::system_clock::time_point()> now = [] {
      return std::chrono::system_clock::now();
    };
  };

  L2StatusPublisher(boost::asio::any_io_executor ex, StatusApi& api, Options options,
                    std::shared_ptr<spdlog::logger> logger);
  ~L2StatusPublisher();
  L2StatusPublisher(const L2StatusPublisher&) = delete;
  L2StatusPublisher& operator=(const L2StatusPublisher&) = delete;

  // Starts the reconcile loop (first round at once).
  void start();
  // No request is started after stop(). Idempotent.
  void stop();
  // What the speaker announces now (announcedServices of its Announcements). A change queues
  // nodeAssigned Events for the new services and starts a round soon.
  void setAnnounced(std::vector<AnnouncedService> services);

  [[nodiscard]] const L2StatusPublisherStats& stats() const noexcept;
  // True when the last round completed and nothing changed since.
  [[nodiscard]] bool inSync() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace l1net::speaker
