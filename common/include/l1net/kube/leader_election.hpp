// Leader election over a coordination.k8s.io/v1 Lease, as client-go's leaderelection package,
// pure: the shell reads the Lease, asks decide() what to write, writes it and reports the
// outcome. Time is passed in: `now` (steady) for deadlines, `wall` (system) for the Lease's
// MicroTime fields.
//
// Rules (client-go tryAcquireOrRenew):
//  - No Lease: create one holding it (acquireTime = renewTime = wall, leaseTransitions 0).
//  - A Lease held by another identity is respected until leaseDurationSeconds have passed on OUR
//    clock since we last saw its record change (clock skew between nodes does not matter).
//  - Otherwise write ourselves in: renewTime = wall; acquireTime and leaseTransitions are kept
//    when we already held it, else acquireTime = wall and leaseTransitions + 1. The write carries
//    the resourceVersion read, so a concurrent acquire gets 409 and loses.
//  - A leader that has not renewed successfully for renew_deadline steps down (stopped leading),
//    as does one that sees another holder in the Lease.
// Defaults: 15 s lease duration, 10 s renew deadline, 2 s retry period (client-go's).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace l1net::kube {

struct LeaseRecord {
  std::string holder_identity;
  std::int64_t lease_duration_seconds = 0;
  std::string acquire_time;  // MicroTime text, "" when unset
  std::string renew_time;
  std::int64_t lease_transitions = 0;
  friend bool operator==(const LeaseRecord&, const LeaseRecord&) = default;
};

// RFC 3339 with exactly six fraction digits, UTC: "2026-11-30T01:00:00.123456Z".
[[nodiscard]] std::string formatMicroTime(std::chrono::system_clock::time_point t);
// metav1.Time (whole seconds, UTC): "2026-11-30T01:00:00Z".
[[nodiscard]] std::string formatTime(std::chrono::system_clock::time_point t);

// The spec of a Lease object (missing fields are zero / empty).
[[nodiscard]] LeaseRecord leaseRecordFrom(const boost::json::value& lease);
// A Lease object (apiVersion, kind, metadata name/namespace[/resourceVersion], spec).
[[nodiscard]] boost::json::value leaseObject(const std::string& ns, const std::string& name,
                                             const LeaseRecord& r,
                                             const std::string& resource_version = "");

struct ElectionConfig {
  std::string identity;  // unique per candidate: the pod name
  std::chrono::seconds lease_duration{15};
  std::chrono::seconds renew_deadline{10};
  std::chrono::seconds retry_period{2};
};

class LeaderElection {
 public:
  using Steady = std::chrono::steady_clock;
  using Wall = std::chrono::system_clock;

  struct Decision {
    enum class Kind : std::uint8_t { kCreate, kUpdate, kWait };
    Kind kind = Kind::kWait;
    LeaseRecord record;  // to write (kCreate, kUpdate)
  };
  enum class Change : std::uint8_t { kNone, kStartedLeading, kStoppedLeading };

  explicit LeaderElection(ElectionConfig cfg) : cfg_(std::move(cfg)) {}

  // The Lease as read (nullopt = 404 NotFound): what to write, if anything. A Lease held by
  // another identity while we lead means we lost it (see change()).
  Decision decide(const std::optional<LeaseRecord>& observed, Steady::time_point now,
                  Wall::time_point wall);
  // The outcome of the write decide() asked for (ok = 2xx; a 409 or any error = false).
  Change onWrite(bool ok, Steady::time_point now);
  // A read that failed (not a 404), or a decide() of kWait: checks the renew deadline.
  Change onNoRenew(Steady::time_point now);

  [[nodiscard]] bool leading() const noexcept { return leading_; }
  [[nodiscard]] const ElectionConfig& config() const noexcept { return cfg_; }
  // The holder last observed ("" when none yet).
  [[nodiscard]] const std::string& observedHolder() const noexcept {
    return observed_.holder_identity;
  }

 private:
  ElectionConfig cfg_;
  LeaseRecord observed_;
  std::optional<Steady::time_point> observed_at_;  // when observed_ last changed (our clock)
  bool leading_ = false;
  bool lost_ = false;  // decide() saw another holder while we led
  Steady::time_point last_renew_{};
};

}  // namespace l1net::kube
