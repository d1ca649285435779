// Kubernetes mode's writes planned from a reconcile: only what differs from the API's view,
// nothing on a relist, Events once, pool status as MetalLB's IPAddressPoolStatus.
#include "l1net/controller/status_plan.hpp"

#include <string>
#include <vector>

#include <boost/json/serialize.hpp>

#include "l1net/controller/reconciler.hpp"
#include "l1net/testing/doctest.hpp"

#include "builders.hpp"

namespace ctl = l1net::controller;
namespace m = l1net::manifest;
using l1net::testing::pool;
using l1net::testing::svc;

namespace {

ctl::ReconcileResult run(const std::vector<m::Service>& observed,
                         const std::vector<m::Service>& previous = {}) {
  ctl::ReconcileInput in;
  in.services = observed;
  in.previous = previous;
  in.pools = {pool("lan", {"198.51.100.10-198.51.100.12"})};
  return ctl::reconcile(in);
}

m::Service withRv(m::Service s, const std::string& rv) {
  s.meta.resource_version = rv;
  s.meta.uid = "uid-" + s.meta.name;
  return s;
}

std::string str(const boost::json::object& o) { return boost::json::serialize(o); }

}  // namespace

TEST_CASE("planStatusWrites") {
  struct Case {
    const char* name;
    std::vector<m::Service> observed;          // the API's view
    std::vector<std::string> want_status;      // "key=patch"
    std::vector<std::string> want_annotation;  // "key=patch"
    std::vector<std::string> want_events;      // "key Reason"
  };
  const std::vector<Case> cases = {
      {"new Service: status, annotation and IPAllocated",
       {withRv(svc("default/web"), "5")},
       {R"(default/web={"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.10"}]}}})"},
       {R"(default/web={"metadata":{"annotations":{"metallb.io/ip-allocated-from-pool":"lan"}}})"},
       {"default/web IPAllocated"}},
      {"API already shows it (relist, restart): nothing",
       {withRv(svc("default/web").status({"198.51.100.11"}, "lan"), "6")},
       {},
       {},
       {}},
      {"status set, annotation missing: only the annotation",
       {withRv(svc("default/web").status({"198.51.100.11"}), "6")},
       {},
       {R"(default/web={"metadata":{"annotations":{"metallb.io/ip-allocated-from-pool":"lan"}}})"},
       {}},
      {"no longer a LoadBalancer: status and annotation removed",
       {withRv(svc("default/web").type(m::ServiceType::kClusterIP).status({"198.51.100.11"}, "lan"),
               "7")},
       {R"(default/web={"status":{"loadBalancer":{"ingress":null}}})"},
       {R"(default/web={"metadata":{"annotations":{"metallb.io/ip-allocated-from-pool":null}}})"},
       {}},
      {"allocation failure: a Warning event, nothing to patch",
       {withRv(svc("default/web").pool("nope"), "8")},
       {},
       {},
       {"default/web AllocationFailed"}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      ctl::Written written;
      const auto result = run(c.observed);
      const auto plan = ctl::planStatusWrites(result, c.observed, written);
      std::vector<std::string> status;
      std::vector<std::string> annotation;
      std::vector<std::string> events;
      for (const auto& w : plan.services) {
        if (w.status_patch) {
          status.push_back(w.key + "=" + str(*w.status_patch));
        }
        if (w.annotation_patch) {
          annotation.push_back(w.key + "=" + str(*w.annotation_patch));
        }
      }
      for (const auto& e : plan.events) {
        events.push_back(e.ns + "/" + e.name + " " + e.reason);
        CHECK(e.uid == "uid-web");
      }
      CHECK(status == c.want_status);
      CHECK(annotation == c.want_annotation);
      CHECK(events == c.want_events);
      // The same result planned again writes no Service and records no Event twice.
      const auto again = ctl::planStatusWrites(result, c.observed, written);
      CHECK(again.services.empty());
      CHECK(again.events.empty());
      CHECK(again.pools.empty());
    }
  }
}

TEST_CASE("planStatusWrites: a write not yet seen is sent again only when the object moved") {
  ctl::Written written;
  const std::vector<m::Service> observed = {withRv(svc("default/web"), "5")};
  const auto result = run(observed);
  REQUIRE(ctl::planStatusWrites(result, observed, written).services.size() == 1);
  // The informer lags: same view, same result -> nothing.
  CHECK(ctl::planStatusWrites(result, observed, written).services.empty());
  // Someone else wrote the Service (rv moved) and it still lacks the status: patch again.
  const std::vector<m::Service> moved = {withRv(svc("default/web"), "9")};
  CHECK(ctl::planStatusWrites(run(moved, ctl::stateServices(result)), moved, written)
            .services.size() == 1);
  // A write that failed for good is forgotten and planned again.
  ctl::forgetServiceWrite(written, "default/web");
  CHECK(ctl::planStatusWrites(run(moved, ctl::stateServices(result)), moved, written)
            .services.size() == 1);
}

TEST_CASE("planStatusWrites: pool status as MetalLB's IPAddressPoolStatus, when it changes") {
  ctl::Written written;
  const std::vector<m::Service> one = {withRv(svc("default/a"), "1")};
  auto plan = ctl::planStatusWrites(run(one), one, written);
  REQUIRE(plan.pools.size() == 1);
  CHECK(plan.pools[0].name == "lan");
  CHECK(str(plan.pools[0].patch) ==
        R"({"status":{"assignedIPv4":1,"assignedIPv6":0,"availableIPv4":2,"availableIPv6":0}})");
  CHECK(ctl::planStatusWrites(run(one), one, written).pools.empty());  // unchanged
  const std::vector<m::Service> two = {withRv(svc("default/a"), "1"),
                                       withRv(svc("default/b"), "2")};
  plan = ctl::planStatusWrites(run(two), two, written);
  REQUIRE(plan.pools.size() == 1);
  CHECK(plan.pools[0].status == ctl::PoolStatus{2, 0, 1, 0});
}

TEST_CASE("poolStatus saturates huge IPv6 pools") {
  ctl::PoolUsage u;
  u.name = "v6";
  u.total_v6 = static_cast<l1net::net::Uint128>(1) << 64;
  u.in_use_v6 = 3;
  const auto s = ctl::poolStatus(u);
  CHECK(s.assigned_v6 == 3);
  CHECK(s.available_v6 == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("eventObject is a core/v1 Event on the Service") {
  const ctl::EventWrite e{.ns = "default",
                          .name = "web",
                          .uid = "u1",
                          .type = ctl::EventType::kWarning,
                          .reason = "AllocationFailed",
                          .message = "no pool"};
  CHECK(
      str(ctl::eventObject(e, "l1net-controller", "2026-01-02T03:04:05Z")) ==
      R"({"apiVersion":"v1","kind":"Event","metadata":{"generateName":"web.","namespace":"default"},)"
      R"("involvedObject":{"apiVersion":"v1","kind":"Service","namespace":"default","name":"web","uid":"u1"},)"
      R"("type":"Warning","reason":"AllocationFailed","message":"no pool","source":{"component":"l1net-controller"},)"
      R"("firstTimestamp":"2026-01-02T03:04:05Z","lastTimestamp":"2026-01-02T03:04:05Z","count":1,)"
      R"("reportingComponent":"l1net-controller"})");
}
