// Back-off after a rate limit (HTTP 429): how long to wait before the next try. Pure: the random
// jitter and the current time are arguments.
//
// The n-th consecutive rate limit waits min(cap, base x factor^(n-1)) with "equal jitter": half
// of that is fixed, the other half scaled by `jitter` in [0, 1), so instances that were limited
// together do not retry together, and the wait still grows. A server's Retry-After is honoured
// (the wait is at least that long, up to kMaxRetryAfter), even above the cap.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace l1net::dnsd {

struct BackoffPolicy {
  std::chrono::milliseconds base{1'000};
  std::chrono::milliseconds cap{300'000};
  double factor = 2.0;
};

inline constexpr std::chrono::seconds kMaxRetryAfter{3600};

// attempt >= 1 (the number of consecutive rate limits so far); jitter in [0, 1).
[[nodiscard]] std::chrono::milliseconds backoffDelay(const BackoffPolicy& p, unsigned attempt,
                                                     double jitter) noexcept;

// A Retry-After value: delay-seconds ("120") or an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37
// GMT"), relative to now_unix (a date in the past = 0). nullopt when it is neither.
[[nodiscard]] std::optional<std::chrono::seconds> parseRetryAfter(std::string_view v,
                                                                  std::int64_t now_unix) noexcept;

// The wait before the next try: backoffDelay, raised to the Retry-After (capped at
// kMaxRetryAfter) when there is one.
[[nodiscard]] std::chrono::milliseconds rateLimitWait(
    const BackoffPolicy& p, unsigned attempt, double jitter,
    std::optional<std::chrono::seconds> retry_after) noexcept;

}  // namespace l1net::dnsd
