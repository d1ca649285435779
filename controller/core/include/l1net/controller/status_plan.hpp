// Kubernetes mode's writes, planned from one reconcile (pure; the KubeStatusSink applies them).
//
// Design note. The API is the controller's state: each Service's status.loadBalancer.ingress and
// its metallb.io/ip-allocated-from-pool annotation are what a restarted controller starts from.
// So after a reconcile only what differs from what the API shows (the snapshot the reconcile ran
// on) is written, as MetalLB does:
//   - status: a JSON merge patch of status.loadBalancer.ingress on .../services/NAME/status;
//   - the pool annotation: a JSON merge patch of metadata.annotations on .../services/NAME (null
//     removes it);
//   - Events: core/v1 Events on the Service with MetalLB's reasons (IPAllocated, AllocationFailed,
//     ClearAssignment, ...), each (reason, message) once per Service until it changes;
//   - pool status: IPAddressPool status counts as MetalLB's (assignedIPv4, assignedIPv6,
//     availableIPv4, availableIPv6), written when they change.
// A relist or restart that changes nothing therefore writes nothing. `Written` remembers what was
// sent and not yet seen back, so a lagging informer does not cause the same patch twice.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "l1net/controller/reconciler.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::controller {

struct ServiceWrite {
  std::string ns;
  std::string name;
  std::string key;  // "ns/name"
  // Body of a merge patch on the /status subresource; nullopt = status is already right.
  std::optional<boost::json::object> status_patch;
  // Body of a merge patch on the Service (the pool annotation); nullopt = already right.
  std::optional<boost::json::object> annotation_patch;
};

struct EventWrite {
  std::string ns;
  std::string name;  // the involved Service
  std::string uid;   // its metadata.uid ("" when unknown)
  EventType type = EventType::kNormal;
  std::string reason;
  std::string message;
};

// MetalLB's IPAddressPoolStatus. Counts saturate at INT64_MAX (an IPv6 /64 has 2^64 addresses).
struct PoolStatus {
  std::int64_t assigned_v4 = 0;
  std::int64_t assigned_v6 = 0;
  std::int64_t available_v4 = 0;
  std::int64_t available_v6 = 0;
  friend bool operator==(const PoolStatus&, const PoolStatus&) = default;
};

struct PoolStatusWrite {
  std::string name;
  PoolStatus status;
  boost::json::object patch;  // {"status":{"assignedIPv4":..,...}}
};

struct StatusPlan {
  std::vector<ServiceWrite> services;  // only Services with something to write, key order
  std::vector<EventWrite> events;
  std::vector<PoolStatusWrite> pools;
  [[nodiscard]] bool empty() const noexcept {
    return services.empty() && events.empty() && pools.empty();
  }
};

// What the sink has sent. A write stays here until the API shows it; while it does not, the same
// write is not planned again unless the Service's resourceVersion moved (someone else wrote).
struct Written {
  struct Service {
    std::vector<std::string> ips;
    std::string pool;
    std::string observed_rv;  // the resourceVersion the write was planned against
  };
  std::map<std::string, Service> services;           // by key
  std::map<std::string, std::vector<Event>> events;  // by key: events already recorded
  std::map<std::string, PoolStatus> pools;           // by pool name: last status written
};

// The writes that bring the API to `result`. `observed` are the Services as the API showed them
// to the reconcile (the snapshot's services). Updates `written` as if every write succeeded; the
// sink calls forget() for one that finally failed.
[[nodiscard]] StatusPlan planStatusWrites(const ReconcileResult& result,
                                          const std::vector<manifest::Service>& observed,
                                          Written& written);

[[nodiscard]] PoolStatus poolStatus(const PoolUsage& usage);
[[nodiscard]] boost::json::object poolStatusPatch(const PoolStatus& status);

// Forgets a Service's write (it failed for good): the next plan retries it.
void forgetServiceWrite(Written& written, const std::string& key);

// The core/v1 Event object for `e` (metadata.generateName "<name>.", involvedObject the
// Service, source.component `component`, firstTimestamp/lastTimestamp `now_rfc3339`).
[[nodiscard]] boost::json::object eventObject(const EventWrite& e, const std::string& component,
                                              const std::string& now_rfc3339);

}  // namespace l1net::controller
