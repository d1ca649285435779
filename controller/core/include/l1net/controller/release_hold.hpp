// File mode's --release-hold: how long the IPs of a Service that vanished from the manifests stay
// reserved for it (see reconciler.hpp, "Release hold").
//
// Pure bookkeeping: time is passed in. The shell calls due() before each reconcile to get the
// services still held (dropping those whose hold ran out), passes them as ReconcileInput::held,
// then record()s the result; nextExpiry() tells it when to reconcile again so an expired hold is
// released without waiting for a manifest change. A hold of 0 disables it (MetalLB's immediate
// release). Not thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "l1net/controller/reconciler.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::controller {

class ReleaseHold {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ReleaseHold(std::chrono::milliseconds hold) : hold_(hold) {}

  // False for a hold of 0: reconcile with hold_vanished = false.
  [[nodiscard]] bool enabled() const noexcept { return hold_.count() > 0; }

  // The services still held at `now`, in key order. Keys whose hold has run out are removed and
  // appended to `expired`.
  [[nodiscard]] std::vector<manifest::Service> due(Clock::time_point now,
                                                   std::vector<std::string>& expired);

  // Records result.held: a key held for the first time starts its hold at `now`; keys no longer
  // held (reappeared or released) are forgotten. Returns the keys newly held.
  std::vector<std::string> record(const ReconcileResult& result, Clock::time_point now);

  // When the earliest hold runs out; nullopt when nothing is held.
  [[nodiscard]] std::optional<Clock::time_point> nextExpiry() const;

  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    manifest::Service service;
    Clock::time_point since;
  };
  std::chrono::milliseconds hold_;
  std::map<std::string, Entry> entries_;  // by "ns/name"
};

}  // namespace l1net::controller
