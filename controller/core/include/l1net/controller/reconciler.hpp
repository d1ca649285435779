// The reconciler: MetalLB's controller (controller/service.go convergeBalancer) as a pure
// function from the desired world to per-service decisions.
//
// Design note. Each call builds a fresh Allocator from the pools and replays every service's
// current assignment (status.loadBalancer.ingress, as MetalLB trusts svc.Status) before any new
// allocation: services that already hold IPs are converged first, then services asking for
// specific IPs, then the rest, each group in namespace/name order. A restart from the state file
// and a reconcile in a running daemon are therefore the same computation, and neither ever moves an
// IP that is still valid. Nothing here logs, reads files or clocks; the I/O shell applies the
// decisions (writes the state file, logs the events).
//
// Inputs. `services` are the desired specs (manifests); `previous` are the services as last
// written (state file, or the previous result in a daemon). For a service in both, the spec comes
// from `services` and only status.loadBalancer.ingress and the pool annotation from `previous`. A
// service only in `previous` was deleted: its IPs are free (MetalLB, Kubernetes mode) or, with
// `hold_vanished` (file mode's --release-hold), reserved for it and reported in `held`.
//
// Release hold. In file mode a Service that vanishes from the manifests may only be in the middle
// of an edit. With `hold_vanished`, a service only in `previous` keeps its IPs reserved under its
// key (counted in use, never given to another service) and is returned in ReconcileResult::held;
// the shell passes it back as `held` on later reconciles until the hold runs out (ReleaseHold).
// When it reappears in `services` it gets its IPs back, exactly as if it had never left. A held
// service whose IPs no longer fit (pool removed) is released.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "l1net/controller/allocator.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::controller {

enum class EventType : std::uint8_t { kNormal, kWarning };

// A Kubernetes Event as MetalLB would record it on the service.
struct Event {
  EventType type = EventType::kNormal;
  std::string reason;  // IPAllocated, AllocationFailed, ClearAssignment, LoadBalancerFailed, ...
  std::string message;
  friend bool operator==(const Event&, const Event&) = default;
};

enum class ServiceDisposition : std::uint8_t {
  kManaged,          // type LoadBalancer of our class: converged
  kNotLoadBalancer,  // any other type: state cleared, IPs freed
  kOtherClass,       // another spec.loadBalancerClass (or one set when we have none): ignored
};

struct ServiceDecision {
  std::string key;  // "ns/name"
  ServiceDisposition disposition = ServiceDisposition::kManaged;
  std::vector<std::string> ips;  // resulting status.loadBalancer.ingress[].ip
  std::string pool;              // resulting metallb.io/ip-allocated-from-pool ("" = none)
  std::vector<Event> events;
  std::optional<std::string> error;  // message of the failure event, if converging failed
  bool changed = false;              // status or annotations differ from the current object
};

struct ReconcileInput {
  std::vector<manifest::Service> services;
  std::vector<manifest::Service> previous;
  std::vector<manifest::IpAddressPool> pools;
  std::vector<manifest::Namespace> namespaces;
  std::optional<std::string> lb_class;  // --lb-class
  // Services deleted from the manifests whose IPs are still held (see "Release hold").
  std::vector<manifest::Service> held;
  // Hold the IPs of services only in `previous` instead of releasing them. False = MetalLB's
  // immediate release (Kubernetes mode, where deletes are explicit, and --release-hold 0).
  bool hold_vanished = false;
};

struct ReconcileResult {
  std::vector<ServiceDecision> services;  // every input service, in namespace/name order
  // The objects to write (spec + new status and annotations): objects[i] is services[i]'s. The
  // input's own objects, sorted in place, so that a large set is held once.
  std::vector<manifest::Service> objects;
  std::vector<PoolUsage> pools;         // in name order
  std::vector<std::string> released;    // keys whose IPs were freed by this reconcile (deleted)
  std::vector<manifest::Service> held;  // deleted services whose IPs stay reserved, in key order
  [[nodiscard]] const ServiceDecision* find(const std::string& key) const;
  // The object of a decision of this result (d must be one of `services`).
  [[nodiscard]] const manifest::Service& serviceOf(const ServiceDecision& d) const;
};

// Services of `services` with status and pool annotation taken from `previous` where present.
[[nodiscard]] std::vector<manifest::Service> mergePrevious(
    const std::vector<manifest::Service>& services, const std::vector<manifest::Service>& previous);
// The same, in place.
void mergePreviousInto(std::vector<manifest::Service>& services,
                       const std::vector<manifest::Service>& previous);

// Takes the input by value: a caller that no longer needs it moves it in, and its services become
// the result's without a copy (a large set is then held once, not three times).
[[nodiscard]] ReconcileResult reconcile(ReconcileInput input);

// The input for one manifest snapshot: its services, pools and namespaces. The rvalue overload
// moves them out of `set` instead of copying.
[[nodiscard]] ReconcileInput makeInput(const manifest::ManifestSet& set,
                                       std::vector<manifest::Service> previous,
                                       std::optional<std::string> lb_class);
[[nodiscard]] ReconcileInput makeInput(manifest::ManifestSet&& set,
                                       std::vector<manifest::Service> previous,
                                       std::optional<std::string> lb_class);

// What the state file holds after a reconcile: every managed (LoadBalancer, our class) service
// with its status and pool annotation, in namespace/name order.
[[nodiscard]] std::vector<manifest::Service> stateServices(const ReconcileResult& result);
// The same, moved out of `result` (its objects then no longer match its decisions): for a caller
// done with the result, so that a large set is not copied once more.
[[nodiscard]] std::vector<manifest::Service> stateServices(ReconcileResult&& result);
// Calls f(service) for each of those services, in the same order, without copying them.
template <class F>
void forEachStateService(const ReconcileResult& result, F&& f) {
  for (std::size_t i = 0; i < result.services.size() && i < result.objects.size(); ++i) {
    if (result.services[i].disposition == ServiceDisposition::kManaged) {
      f(result.objects[i]);
    }
  }
}

// The result as the CLI's `-o json` object, one line: managed services in namespace/name order
// ({"namespace","name","ips","pool","error"}; error = the failure event's message, null if none —
// a LoadBalancerFailed service keeps its IPs and also reports the error) and every pool
// ({"name","total","inUse"}; total is the exact count as a decimal *string* — an IPv6 /64 is
// "18446744073709551616", ::/0 "340282366920938463463374607431768211455" — because JSON readers
// store numbers as doubles and would round anything above 2^53).
[[nodiscard]] std::string formatResultJson(const ReconcileResult& result);

}  // namespace l1net::controller
