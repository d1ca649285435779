#include "l1net/dnsd/backoff.hpp"

#include <optional>
#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace dnsd = l1net::dnsd;
using namespace std::chrono_literals;

TEST_CASE("backoffDelay: grows by the factor, capped, equal jitter") {
  const dnsd::BackoffPolicy p{.base = 1000ms, .cap = 10'000ms, .factor = 2.0};
  struct Case {
    const char* name;
    unsigned attempt;
    double jitter;
    std::chrono::milliseconds want;
  };
  const std::vector<Case> cases = {
      {"first, no jitter: half the base", 1, 0.0, 500ms},
      {"first, full jitter: the base", 1, 0.999999, 999ms},
      {"second doubles", 2, 0.0, 1000ms},
      {"third doubles again", 3, 0.5, 3000ms},
      {"capped at 10 s", 5, 0.0, 5000ms},
      {"capped even far out", 60, 0.999999, 9999ms},
      {"attempt 0 is treated as the first", 0, 0.0, 500ms},
      {"jitter out of range is clamped", 1, 7.0, 1000ms},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(dnsd::backoffDelay(p, c.attempt, c.jitter) == c.want); }
  }
}

TEST_CASE("parseRetryAfter: delay-seconds and IMF-fixdate") {
  // 1994-11-06 08:49:37 UTC = 784111777
  constexpr std::int64_t kNow = 784111777;
  struct Case {
    const char* name;
    std::string in;
    std::optional<std::chrono::seconds> want;
  };
  const std::vector<Case> cases = {
      {"seconds", "120", 120s},
      {"zero", "0", 0s},
      {"spaces trimmed", " 7 ", 7s},
      {"date 30 s ahead", "Sun, 06 Nov 1994 08:50:07 GMT", 30s},
      {"date in the past is 0", "Sun, 06 Nov 1994 08:00:00 GMT", 0s},
      {"date a day ahead", "Mon, 07 Nov 1994 08:49:37 GMT", 86400s},
      {"negative", "-5", std::nullopt},
      {"fraction", "1.5", std::nullopt},
      {"garbage", "soon", std::nullopt},
      {"empty", "", std::nullopt},
      {"bad month", "Sun, 06 Foo 1994 08:49:37 GMT", std::nullopt},
      {"not GMT", "Sun, 06 Nov 1994 08:49:37 UTC", std::nullopt},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(dnsd::parseRetryAfter(c.in, kNow) == c.want); }
  }
}

TEST_CASE("rateLimitWait: Retry-After raises the wait, even above the cap; bounded to an hour") {
  const dnsd::BackoffPolicy p{.base = 1000ms, .cap = 4000ms, .factor = 2.0};
  CHECK(dnsd::rateLimitWait(p, 1, 0.0, std::nullopt) == 500ms);
  CHECK(dnsd::rateLimitWait(p, 1, 0.0, 3s) == 3000ms);
  CHECK(dnsd::rateLimitWait(p, 3, 0.0, 1s) == 2000ms);  // the back-off is longer
  CHECK(dnsd::rateLimitWait(p, 1, 0.0, 60s) == 60'000ms);
  CHECK(dnsd::rateLimitWait(p, 1, 0.0, 86400s) == 3'600'000ms);
}
