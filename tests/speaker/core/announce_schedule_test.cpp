#include "l1net/speaker/announce_schedule.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace net = l1net::net;
namespace speaker = l1net::speaker;
using namespace std::chrono_literals;
using Schedule = speaker::AnnounceSchedule;

namespace {

const Schedule::TimePoint kT0{std::chrono::hours(1000)};

net::IpAddress ip(const char* s) { return boost::asio::ip::make_address(s); }

std::vector<std::string> texts(const std::vector<net::IpAddress>& ips) {
  std::vector<std::string> out;
  for (const auto& a : ips) {
    out.push_back(a.to_string());
  }
  return out;
}

// Times (ms after kT0) at which `due` reports ip, polling every ms until `until`.
std::vector<long> rounds(Schedule& s, std::chrono::milliseconds until) {
  std::vector<long> out;
  for (auto t = 0ms; t <= until; t += 1ms) {
    if (!s.due(kT0 + t).empty()) {
      out.push_back(static_cast<long>(t.count()));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("AnnounceSchedule rounds") {
  struct Case {
    const char* name;
    Schedule::Config config;
    std::chrono::milliseconds until;
    std::vector<long> want;
  };
  const std::vector<Case> cases = {
      {"default burst then 60 s refresh", {}, 130'000ms, {0, 250, 500, 1000, 2000, 62000, 122000}},
      {"refresh off", {.refresh = 0s}, 130'000ms, {0, 250, 500, 1000, 2000}},
      {"custom burst, 10 s refresh",
       {.burst = {0ms, 1s}, .refresh = 10s},
       25'000ms,
       {0, 1000, 11000, 21000}},
      {"unsorted burst is sorted", {.burst = {1s, 0ms}, .refresh = 0s}, 5'000ms, {0, 1000}},
      {"empty burst still announces at once", {.burst = {}, .refresh = 0s}, 5'000ms, {0}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Schedule s(c.config);
      s.gained(ip("192.0.2.1"), kT0);
      CHECK(rounds(s, c.until) == c.want);
    }
  }
}

TEST_CASE("AnnounceSchedule bookkeeping") {
  Schedule s;
  CHECK_FALSE(s.nextDeadline().has_value());
  CHECK(s.due(kT0).empty());

  s.gained(ip("2001:db8::1"), kT0);
  s.gained(ip("192.0.2.1"), kT0 + 100ms);
  CHECK(s.size() == 2);
  CHECK(s.nextDeadline() == kT0);

  SUBCASE("due lists addresses in order, each once") {
    CHECK(texts(s.due(kT0 + 100ms)) == std::vector<std::string>{"192.0.2.1", "2001:db8::1"});
    CHECK(s.due(kT0 + 100ms).empty());
    CHECK(s.nextDeadline() == kT0 + 250ms);
  }
  SUBCASE("gained again is idempotent") {
    (void)s.due(kT0 + 600ms);
    s.gained(ip("2001:db8::1"), kT0 + 600ms);
    CHECK(s.nextDeadline() == kT0 + 1s);
  }
  SUBCASE("lost stops announcing") {
    s.lost(ip("2001:db8::1"));
    s.lost(ip("2001:db8::99"));  // unknown: ignored
    CHECK(s.size() == 1);
    CHECK_FALSE(s.holds(ip("2001:db8::1")));
    CHECK(texts(s.due(kT0 + 100ms)) == std::vector<std::string>{"192.0.2.1"});
  }
  SUBCASE("triggerNow restarts the burst") {
    (void)s.due(kT0 + 10s);
    CHECK(s.triggerNow(ip("192.0.2.1"), kT0 + 20s));
    CHECK_FALSE(s.triggerNow(ip("192.0.2.99"), kT0 + 20s));
    CHECK(s.nextDeadline() == kT0 + 20s);
    CHECK(texts(s.due(kT0 + 20s)) == std::vector<std::string>{"192.0.2.1"});
    CHECK(s.nextDeadline() == kT0 + 20s + 250ms);
  }
  SUBCASE("triggerAll restarts every burst") {
    (void)s.due(kT0 + 10s);
    s.triggerAll(kT0 + 20s);
    CHECK(s.due(kT0 + 20s).size() == 2);
  }
  SUBCASE("a late caller is not flooded") {
    // Nothing polled for 5 minutes: one round now, then the refresh re-based on now.
    CHECK(s.due(kT0 + 300s).size() == 2);
    CHECK(s.due(kT0 + 300s).empty());
    CHECK(s.nextDeadline() == kT0 + 360s);
  }
  SUBCASE("late within the burst skips missed burst rounds") {
    CHECK(s.due(kT0 + 700ms).size() == 2);
    CHECK(s.nextDeadline() == kT0 + 1s);
  }
}
