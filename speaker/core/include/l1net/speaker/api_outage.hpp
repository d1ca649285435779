// Kubernetes mode: how the speaker treats the API server coming and going. Cilium's L2 announcer
// stops when the API server is unreachable (cilium#40735); l1net's speaker does not:
//   * the object source delivers only complete snapshots and none while the API server is away,
//     so the last snapshot stays in force: nothing is withdrawn because of an outage, and
//     ownership keeps following the heartbeat mesh (the failover policy is not in the snapshot);
//   * when the API server answers again the informers relist and the next snapshot is applied
//     as any other (reconciliation);
//   * an outage never makes the speaker unhealthy: /healthz feeds a liveness probe, and a
//     restarted speaker would have no state to announce from (speakerHealthProblem below);
//   * it is visible instead: one warning when it starts, one line when it ends (with how long it
//     lasted), and the l1net_speaker_api_reachable / l1net_speaker_api_outage_seconds metrics.
// Pure: the shell samples the source's healthProblem() and passes the time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace l1net::speaker {

enum class ApiTransition : std::uint8_t {
  kNone,
  kLost,      // the source reports a problem after it was fine (or at the first sample)
  kRestored,  // the source is fine again
};

class ApiOutage {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // problem: the source's healthProblem() ("" = the API server answers).
  ApiTransition observe(std::string_view problem, TimePoint now);

  [[nodiscard]] bool down() const noexcept { return since_.has_value(); }
  [[nodiscard]] const std::string& problem() const noexcept { return problem_; }
  // How long the current outage has lasted (0 when none).
  [[nodiscard]] std::chrono::seconds downFor(TimePoint now) const;
  // The length of the outage that the last kRestored ended.
  [[nodiscard]] std::chrono::seconds lastOutage() const noexcept { return last_; }
  [[nodiscard]] std::uint64_t outages() const noexcept { return outages_; }

 private:
  std::optional<TimePoint> since_;
  std::string problem_;
  std::chrono::seconds last_{0};
  std::uint64_t outages_ = 0;
};

// The speaker's /healthz problem in Kubernetes mode: the speaker's own problems only. The
// source's problem (the API server unreachable, a rejected object) is deliberately not one.
[[nodiscard]] std::string speakerHealthProblem(std::string_view own_problem,
                                               std::string_view source_problem);

}  // namespace l1net::speaker
