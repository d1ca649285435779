// issue 8 #1: file mode's --release-hold keeps a vanished Service's IP for it.
#include "l1net/controller/release_hold.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "l1net/controller/reconciler.hpp"
#include "l1net/testing/doctest.hpp"

#include "builders.hpp"

namespace ctl = l1net::controller;
namespace m = l1net::manifest;
using l1net::testing::pool;
using l1net::testing::svc;
using namespace std::chrono_literals;

namespace {

// One IP: "a" holds it, "b" waits for one.
m::IpAddressPool onePool() { return pool("one", {"198.51.100.7/32"}); }

std::vector<std::string> ipsOf(const ctl::ReconcileResult& r, const std::string& key) {
  const auto* d = r.find(key);
  return d == nullptr ? std::vector<std::string>{} : d->ips;
}

// Runs the shell's loop: due() -> reconcile -> record().
struct Loop {
  explicit Loop(std::chrono::milliseconds h) : hold(h) {}
  ctl::ReconcileResult step(std::vector<m::Service> services,
                            ctl::ReleaseHold::Clock::time_point now) {
    ctl::ReconcileInput in;
    in.pools = {onePool()};
    in.services = std::move(services);
    in.previous = current;
    std::vector<std::string> expired;
    in.held = hold.due(now, expired);
    in.hold_vanished = hold.enabled();
    auto r = ctl::reconcile(in);
    hold.record(r, now);
    current = ctl::stateServices(r);
    return r;
  }
  ctl::ReleaseHold hold;
  std::vector<m::Service> current;
};

}  // namespace

TEST_CASE("release hold: a vanished service gets its IP back when it reappears") {
  const auto t0 = ctl::ReleaseHold::Clock::time_point{} + 1h;
  struct Case {
    const char* name;
    std::chrono::milliseconds hold;
    std::chrono::milliseconds gap;  // time a is missing
    std::vector<std::string> want_b_while_gone;
    std::vector<std::string> want_a_back;
  };
  const std::vector<Case> cases = {
      {"hold 30s, back after 1s", 30s, 1s, {}, {"198.51.100.7"}},
      {"hold 30s, back after 31s: released", 30s, 31s, {"198.51.100.7"}, {}},
      {"hold 0: MetalLB's immediate release", 0ms, 1s, {"198.51.100.7"}, {}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Loop loop(c.hold);
      auto r = loop.step({svc("a").s}, t0);
      REQUIRE(ipsOf(r, "default/a") == std::vector<std::string>{"198.51.100.7"});
      // a vanishes (half-written manifest), b is waiting for an IP.
      r = loop.step({svc("b").s}, t0 + 10ms);
      if (c.hold.count() > 0) {
        CHECK(ipsOf(r, "default/b").empty());
        REQUIRE(r.held.size() == 1);
        CHECK(r.released.empty());
        CHECK(loop.hold.nextExpiry() == t0 + 10ms + c.hold);
        CHECK(r.pools.at(0).inUse() == 1);  // the held IP counts as in use
      } else {
        CHECK(r.held.empty());
        CHECK(r.released == std::vector<std::string>{"default/a"});
      }
      // Time passes with b still there (a timer re-runs the reconcile).
      r = loop.step({svc("b").s}, t0 + 10ms + c.gap);
      CHECK(ipsOf(r, "default/b") == c.want_b_while_gone);
      // a comes back.
      r = loop.step({svc("a").s, svc("b").s}, t0 + 20ms + c.gap);
      CHECK(ipsOf(r, "default/a") == c.want_a_back);
      CHECK(loop.hold.size() == 0);
    }
  }
}

TEST_CASE("release hold: a held IP that no longer fits a pool is released") {
  ctl::ReconcileInput in;
  in.pools = {pool("other", {"203.0.113.0/28"})};
  in.held = {svc("a").status({"198.51.100.7"}, "one").s};
  const auto r = ctl::reconcile(in);
  CHECK(r.held.empty());
  CHECK(r.released == std::vector<std::string>{"default/a"});
}
