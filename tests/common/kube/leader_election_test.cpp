#include "l1net/kube/leader_election.hpp"

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "l1net/kube/events.hpp"
#include "l1net/testing/doctest.hpp"

namespace kube = l1net::kube;
namespace json = boost::json;
using namespace std::chrono_literals;
using Kind = kube::LeaderElection::Decision::Kind;
using Change = kube::LeaderElection::Change;

namespace {
const kube::LeaderElection::Steady::time_point kT0{};
const kube::LeaderElection::Wall::time_point kW0 =
    kube::LeaderElection::Wall::time_point{} + 1'796'000'000s + 123456us;  // 2026-11-29T...
}  // namespace

TEST_CASE("formatMicroTime / formatTime") {
  CHECK(kube::formatMicroTime(kube::LeaderElection::Wall::time_point{} + 1s + 5us) ==
        "1970-01-01T00:00:01.000005Z");
  CHECK(kube::formatTime(kube::LeaderElection::Wall::time_point{} + 61s + 999ms) ==
        "1970-01-01T00:01:01Z");
}

TEST_CASE("LeaderElection: decide") {
  struct Case {
    const char* name;
    std::optional<kube::LeaseRecord> observed;
    std::chrono::seconds seen_for;  // how long the observed record has been unchanged
    Kind want;
    std::string want_holder;
    std::int64_t want_transitions;
    bool keeps_acquire_time;
  };
  const kube::LeaseRecord other{"b", 15, "2026-01-01T00:00:00.000000Z",
                                "2026-01-01T00:00:05.000000Z", 3};
  const kube::LeaseRecord mine{"a", 15, "2026-01-01T00:00:00.000000Z",
                               "2026-01-01T00:00:05.000000Z", 3};
  const kube::LeaseRecord released{"", 1, "2026-01-01T00:00:00.000000Z",
                                   "2026-01-01T00:00:05.000000Z", 3};
  const std::vector<Case> cases = {
      {"no Lease: create it", std::nullopt, 0s, Kind::kCreate, "a", 0, false},
      {"held by another, fresh: wait", other, 0s, Kind::kWait, "", 0, false},
      {"held by another, 14 s unchanged: still wait", other, 14s, Kind::kWait, "", 0, false},
      {"held by another, expired on our clock: take it, transitions + 1", other, 15s, Kind::kUpdate,
       "a", 4, false},
      {"released (no holder): take it at once", released, 0s, Kind::kUpdate, "a", 4, false},
      {"ours: renew, acquireTime and transitions kept", mine, 0s, Kind::kUpdate, "a", 3, true},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      kube::LeaderElection le({.identity = "a"});
      auto d = le.decide(c.observed, kT0, kW0);
      if (c.seen_for > 0s) {
        d = le.decide(c.observed, kT0 + c.seen_for, kW0 + c.seen_for);
      }
      CHECK(d.kind == c.want);
      if (c.want == Kind::kWait) {
        continue;
      }
      CHECK(d.record.holder_identity == c.want_holder);
      CHECK(d.record.lease_duration_seconds == 15);
      CHECK(d.record.lease_transitions == c.want_transitions);
      CHECK(d.record.renew_time == kube::formatMicroTime(kW0 + c.seen_for));
      CHECK((d.record.acquire_time == "2026-01-01T00:00:00.000000Z") == c.keeps_acquire_time);
    }
  }
}

TEST_CASE("LeaderElection: a change of the record restarts the expiry clock") {
  kube::LeaderElection le({.identity = "a"});
  kube::LeaseRecord other{"b", 15, "t0", "t1", 0};
  CHECK(le.decide(other, kT0, kW0).kind == Kind::kWait);
  other.renew_time = "t2";  // b renewed at 10 s
  CHECK(le.decide(other, kT0 + 10s, kW0).kind == Kind::kWait);
  CHECK(le.decide(other, kT0 + 24s, kW0).kind == Kind::kWait);  // 14 s after the renewal
  CHECK(le.decide(other, kT0 + 25s, kW0).kind == Kind::kUpdate);
}

TEST_CASE("LeaderElection: leading, renew deadline, losing the Lease") {
  kube::LeaderElection le({.identity = "a"});
  auto d = le.decide(std::nullopt, kT0, kW0);
  REQUIRE(d.kind == Kind::kCreate);
  CHECK(le.onWrite(true, kT0) == Change::kStartedLeading);
  CHECK(le.leading());
  SUBCASE("renewals keep it") {
    d = le.decide(d.record, kT0 + 2s, kW0 + 2s);
    CHECK(le.onWrite(true, kT0 + 2s) == Change::kNone);
    CHECK(le.leading());
  }
  SUBCASE("failed renewals until the renew deadline: step down at 10 s") {
    CHECK(le.onWrite(false, kT0 + 2s) == Change::kNone);  // e.g. 409 or 500
    CHECK(le.onNoRenew(kT0 + 9s) == Change::kNone);       // read failed
    CHECK(le.onNoRenew(kT0 + 10s) == Change::kStoppedLeading);
    CHECK_FALSE(le.leading());
  }
  SUBCASE("another holder in the Lease: step down at once") {
    const kube::LeaseRecord taken{"b", 15, "x", "y", 1};
    CHECK(le.decide(taken, kT0 + 2s, kW0).kind == Kind::kWait);
    CHECK(le.onNoRenew(kT0 + 2s) == Change::kStoppedLeading);
  }
  SUBCASE("a 409 on a concurrent acquire is not leadership") {
    kube::LeaderElection other({.identity = "b"});
    (void)other.decide(std::nullopt, kT0, kW0);
    CHECK(other.onWrite(false, kT0) == Change::kNone);  // AlreadyExists
    CHECK_FALSE(other.leading());
  }
}

TEST_CASE("leaseObject / leaseRecordFrom round trip") {
  const kube::LeaseRecord r{"a", 15, "2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:02.000000Z",
                            2};
  const auto obj = kube::leaseObject("l1net-system", "l1net-controller", r, "42");
  CHECK(obj.at("metadata").at("resourceVersion") == "42");
  CHECK(obj.at("apiVersion") == "coordination.k8s.io/v1");
  CHECK(kube::leaseRecordFrom(obj) == r);
}

TEST_CASE("EventCorrelator: new events, repeats within the window, expiry") {
  kube::EventCorrelator c("l1net-controller", "", 10min);
  const kube::ObjectRef svc{"v1", "Service", "shop", "web", "u1"};
  const auto t = kW0;
  auto a = c.observe(svc, kube::EventKind::kNormal, "IPAllocated", "Assigned IP", t);
  CHECK(a.kind == kube::EventAction::Kind::kCreate);
  CHECK(a.ns == "shop");
  CHECK(a.name.starts_with("web."));
  CHECK(a.body.at("involvedObject").at("name") == "web");
  CHECK(a.body.at("source").at("component") == "l1net-controller");
  CHECK(a.body.at("type") == "Normal");
  CHECK(a.body.at("count") == 1);
  CHECK(a.body.at("firstTimestamp").as_string() == kube::formatTime(t));
  c.onStored(a);
  auto b = c.observe(svc, kube::EventKind::kNormal, "IPAllocated", "Assigned IP", t + 1min);
  CHECK(b.kind == kube::EventAction::Kind::kPatch);
  CHECK(b.name == a.name);
  CHECK(b.body.at("count") == 2);
  CHECK(b.body.at("lastTimestamp").as_string() == kube::formatTime(t + 1min));
  c.onStored(b);
  // A different message is a different Event.
  CHECK(c.observe(svc, kube::EventKind::kNormal, "IPAllocated", "Assigned other", t + 1min).kind ==
        kube::EventAction::Kind::kCreate);
  // Past the window since the last occurrence: a new Event.
  CHECK(c.observe(svc, kube::EventKind::kNormal, "IPAllocated", "Assigned IP", t + 12min).kind ==
        kube::EventAction::Kind::kCreate);
  // Cluster-scoped objects' Events live in "default".
  const kube::ObjectRef node{"v1", "Node", "", "n1", ""};
  CHECK(c.observe(node, kube::EventKind::kWarning, "X", "y", t).ns == "default");
}
