#include "l1net/speaker/api_outage.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

using l1net::speaker::ApiOutage;
using l1net::speaker::ApiTransition;
using namespace std::chrono_literals;

TEST_CASE("ApiOutage") {
  struct Step {
    std::chrono::seconds at;
    const char* problem;
    ApiTransition want;
    bool down;
    std::chrono::seconds down_for;
  };
  struct Case {
    const char* name;
    std::vector<Step> steps;
    std::uint64_t outages;
    std::chrono::seconds last;
  };
  const std::vector<Case> cases = {
      {"always fine", {{0s, "", ApiTransition::kNone, false, 0s}}, 0, 0s},
      {"one outage of 60 s",
       {{0s, "", ApiTransition::kNone, false, 0s},
        {5s, "list services: connection refused", ApiTransition::kLost, true, 0s},
        {30s, "watch nodes: connection refused", ApiTransition::kNone, true, 25s},
        {65s, "", ApiTransition::kRestored, false, 0s},
        {70s, "", ApiTransition::kNone, false, 0s}},
       1,
       60s},
      {"down at the first sample, then two outages",
       {{0s, "x", ApiTransition::kLost, true, 0s},
        {2s, "", ApiTransition::kRestored, false, 0s},
        {3s, "y", ApiTransition::kLost, true, 0s},
        {10s, "", ApiTransition::kRestored, false, 0s}},
       2,
       7s},
  };
  const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      ApiOutage o;
      for (const auto& s : c.steps) {
        CHECK(o.observe(s.problem, t0 + s.at) == s.want);
        CHECK(o.down() == s.down);
        CHECK(o.downFor(t0 + s.at) == s.down_for);
        CHECK(o.problem() == std::string(s.problem));
      }
      CHECK(o.outages() == c.outages);
      CHECK(o.lastOutage() == c.last);
    }
  }
}

TEST_CASE("speakerHealthProblem: an API outage never fails the liveness probe") {
  CHECK(l1net::speaker::speakerHealthProblem("", "list services: connection refused").empty());
  CHECK(l1net::speaker::speakerHealthProblem("netlink failed", "") == "netlink failed");
}
