// Writes with optimistic concurrency, Events and leader election against the fixture.
#include "l1net/kubeapi/writes.hpp"

#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_apiserver.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_coro.hpp"
#include "l1net/testing/run_until.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace kube = l1net::kube;
namespace kubeapi = l1net::kubeapi;
using l1net::testing::FakeApiServer;
using namespace std::chrono_literals;

namespace {

const std::string kSvcs = "/api/v1/namespaces/default/services";

struct Rig {
  asio::io_context ioc;
  FakeApiServer api{ioc.get_executor()};
  std::shared_ptr<kubeapi::ApiClient> client;
  Rig() {
    kube::ClusterConfig cfg;
    cfg.scheme = "http";
    cfg.host = "127.0.0.1";
    cfg.port = std::to_string(api.port());
    client = kubeapi::ApiClient::create(ioc.get_executor(), cfg).value();
    REQUIRE(api.request("POST", kSvcs,
                        R"({"metadata":{"name":"web"},"spec":{"type":"LoadBalancer"}})") == 201);
  }
  kubeapi::WriteOutcome run(asio::awaitable<kubeapi::WriteOutcome> aw) {
    return l1net::testing::runCoro(ioc, std::move(aw), 10s);
  }
};

}  // namespace

TEST_CASE("patchStatus and patchAnnotations write through /status and metadata") {
  Rig r;
  json::object lb;
  lb["loadBalancer"] = json::parse(R"({"ingress":[{"ip":"192.0.2.7"}]})");
  auto w = r.run(kubeapi::patchStatus(*r.client, kSvcs + "/web", lb));
  REQUIRE(w.ok);
  CHECK(w.attempts == 1);
  CHECK(w.object.at("status").at("loadBalancer").at("ingress").at(0).at("ip") == "192.0.2.7");
  w = r.run(kubeapi::patchAnnotations(*r.client, kSvcs + "/web",
                                      {{"metallb.io/ip-allocated-from-pool", "lan"}}));
  REQUIRE(w.ok);
  CHECK(w.object.at("metadata").at("annotations").at("metallb.io/ip-allocated-from-pool") == "lan");
  w = r.run(kubeapi::patchAnnotations(*r.client, kSvcs + "/web",
                                      {{"metallb.io/ip-allocated-from-pool", std::nullopt}}));
  REQUIRE(w.ok);
  CHECK(w.object.at("metadata").at("annotations").as_object().empty());
  // Status survived the metadata patches (status on the main resource is ignored anyway).
  CHECK(r.api.get(kSvcs, "web").at("status").at("loadBalancer").at("ingress").at(0).at("ip") ==
        "192.0.2.7");
  w = r.run(kubeapi::patchStatus(*r.client, kSvcs + "/gone", lb));
  CHECK_FALSE(w.ok);
  CHECK(w.status == 404);
  CHECK(w.error == "PATCH services default/gone/status: 404 NotFound: services \"gone\" not found");
}

TEST_CASE("writes retry a 409 after re-reading, and give up after 5 attempts naming the object") {
  Rig r;
  // A competing writer changes the Service just before each of our PATCHes is handled.
  int competing = 0;
  int budget = 0;
  r.api.beforeHandle([&](const std::string& method, const std::string& target) {
    if (method == "PATCH" && budget > 0) {
      --budget;
      ++competing;
      REQUIRE(r.api.request("PATCH", kSvcs + "/web",
                            R"({"metadata":{"labels":{"n":")" + std::to_string(competing) + "\"}}}",
                            nullptr, "application/merge-patch+json") == 200);
    }
    (void)target;
  });
  json::object st;
  st["loadBalancer"] = json::parse(R"({"ingress":[{"ip":"192.0.2.8"}]})");

  SUBCASE("two conflicts, then success") {
    budget = 2;
    const auto w = r.run(kubeapi::patchStatus(*r.client, kSvcs + "/web", st));
    CHECK(w.ok);
    CHECK(w.attempts == 3);
    CHECK(competing == 2);
  }
  SUBCASE("always stale: an error after kWriteAttempts") {
    budget = 100;
    const auto w = r.run(kubeapi::patchStatus(*r.client, kSvcs + "/web", st));
    CHECK_FALSE(w.ok);
    CHECK(w.status == 409);
    CHECK(w.attempts == kubeapi::kWriteAttempts);
    CHECK(w.error.starts_with("PATCH services default/web/status: 409 Conflict after 5 attempts"));
  }
}

TEST_CASE("createOrUpdate and deleteObject") {
  Rig r;
  const std::string coll = "/apis/metallb.io/v1beta1/namespaces/l1net-system/servicel2statuses";
  const auto obj = json::parse(
      R"({"apiVersion":"metallb.io/v1beta1","kind":"ServiceL2Status","metadata":{"name":"l2-web","labels":{"n":"1"}}})");
  auto w = r.run(kubeapi::createOrUpdate(*r.client, coll, obj));
  REQUIRE(w.ok);
  CHECK(w.status == 201);
  auto obj2 = obj;
  obj2.at("metadata").as_object()["labels"] = json::parse(R"({"n":"2"})");
  w = r.run(kubeapi::createOrUpdate(*r.client, coll, obj2));
  REQUIRE(w.ok);
  CHECK(w.status == 200);
  CHECK(r.api.get(coll, "l2-web").at("metadata").at("labels").at("n") == "2");
  w = r.run(kubeapi::deleteObject(*r.client, coll + "/l2-web"));
  CHECK(w.ok);
  CHECK(r.api.get(coll, "l2-web").is_null());
  w = r.run(kubeapi::deleteObject(*r.client, coll + "/l2-web"));
  CHECK(w.ok);  // already gone
  CHECK(w.status == 404);
  r.api.forbid("delete", "services");
  w = r.run(kubeapi::deleteObject(*r.client, kSvcs + "/web"));
  CHECK_FALSE(w.ok);
  CHECK(
      w.error.starts_with("DELETE services default/web: 403 Forbidden: services \"web\" is "
                          "forbidden: User \"system:serviceaccount:l1net-system:l1net\""));
}

TEST_CASE("EventRecorder: one Event per distinct occurrence, repeats bump its count") {
  Rig r;
  kubeapi::EventRecorder rec(*r.client, "l1net-controller", "", l1net::testing::quietLogger());
  const kube::ObjectRef svc{"v1", "Service", "default", "web", ""};
  for (int i = 0; i < 3; ++i) {
    rec.record(svc, kube::EventKind::kNormal, "IPAllocated", "Assigned IP [\"192.0.2.1\"]");
  }
  rec.record(svc, kube::EventKind::kWarning, "AllocationFailed", "no available IPs");
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return rec.pending() == 0 && r.api.list("/api/v1/events").size() == 2; }, 5s));
  l1net::testing::runUntil(
      r.ioc, [] { return false; }, 100ms);
  const auto events = r.api.list("/api/v1/namespaces/default/events");
  REQUIRE(events.size() == 2);
  std::map<std::string, std::int64_t> counts;
  for (const auto& e : events) {
    counts[std::string(e.at("reason").as_string())] = e.at("count").as_int64();
    CHECK(e.at("involvedObject").at("name") == "web");
    CHECK(e.at("source").at("component") == "l1net-controller");
  }
  CHECK(counts == std::map<std::string, std::int64_t>{{"AllocationFailed", 1}, {"IPAllocated", 3}});
  CHECK(rec.failures() == 0);
  // The Event was deleted (TTL): the next repeat creates a new one.
  std::string name;
  for (const auto& e : events) {
    if (e.at("reason") == "IPAllocated") {
      name = std::string(e.at("metadata").at("name").as_string());
    }
  }
  REQUIRE(r.api.request("DELETE", "/api/v1/namespaces/default/events/" + name, "") == 200);
  const auto w =
      r.run(rec.emit(svc, kube::EventKind::kNormal, "IPAllocated", "Assigned IP [\"192.0.2.1\"]"));
  CHECK(w.ok);
  CHECK(w.status == 201);
  CHECK(w.object.at("count") == 1);
  CHECK(r.api.list("/api/v1/namespaces/default/events").size() == 2);
}

TEST_CASE("LeaderElector: one leader of two; killing it hands over within the lease duration") {
  Rig r;
  struct Candidate {
    std::unique_ptr<kubeapi::LeaderElector> e;
    int started = 0;
    int stopped = 0;
    bool done = false;
  };
  // Short timings so the test runs in seconds: 3 s lease, 2 s renew deadline, 0.5 s retry.
  const auto make = [&](const std::string& id, Candidate& c) {
    kubeapi::LeaderElectorOptions o;
    o.election = {.identity = id, .lease_duration = 3s, .renew_deadline = 2s, .retry_period = 1s};
    c.e = std::make_unique<kubeapi::LeaderElector>(
        *r.client, o, l1net::testing::quietLogger(), [&c] { ++c.started; }, [&c] { ++c.stopped; });
  };
  Candidate a;
  Candidate b;
  make("a", a);
  make("b", b);
  // Both start at once: one create wins, the other gets 409 AlreadyExists and waits.
  asio::co_spawn(r.ioc, a.e->run(), [&](std::exception_ptr) { a.done = true; });
  asio::co_spawn(r.ioc, b.e->run(), [&](std::exception_ptr) { b.done = true; });
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return a.started + b.started == 1; }, 5s));
  l1net::testing::runUntil(
      r.ioc, [] { return false; }, 2500ms);
  CHECK(a.started + b.started == 1);  // still exactly one
  auto& leader = a.started == 1 ? a : b;
  auto& follower = a.started == 1 ? b : a;
  const std::string leader_id = a.started == 1 ? "a" : "b";
  const auto lease =
      r.api.get("/apis/coordination.k8s.io/v1/namespaces/l1net-system/leases", "l1net-controller");
  CHECK(lease.at("spec").at("holderIdentity").as_string() == leader_id);
  const std::string renew(lease.at("spec").at("renewTime").as_string());
  CHECK(renew.size() == 27);  // 2026-11-30T01:00:00.123456Z
  CHECK(renew.ends_with("Z"));

  // Kill the leader: its coroutine is abandoned without releasing (a crashed pod).
  leader.e->stop(false);
  const auto killed = std::chrono::steady_clock::now();
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return follower.started == 1; }, 8s));
  const auto took = std::chrono::steady_clock::now() - killed;
  CHECK(took <= 3s + 2s);  // lease duration + a retry period with jitter
  const auto after =
      r.api.get("/apis/coordination.k8s.io/v1/namespaces/l1net-system/leases", "l1net-controller");
  CHECK(after.at("spec").at("holderIdentity").as_string() != leader_id);
  CHECK(after.at("spec").at("leaseTransitions") == 1);
  follower.e->stop(true);  // a clean stop releases the Lease
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return follower.done && leader.done; }, 5s));
  CHECK(follower.stopped == 1);
  CHECK(r.api.get("/apis/coordination.k8s.io/v1/namespaces/l1net-system/leases", "l1net-controller")
            .at("spec")
            .at("holderIdentity") == "");
}

TEST_CASE("LeaderElector: a leader that cannot renew steps down after the renew deadline") {
  Rig r;
  int started = 0;
  int stopped = 0;
  bool done = false;
  kubeapi::LeaderElectorOptions o;
  o.election = {.identity = "a", .lease_duration = 3s, .renew_deadline = 2s, .retry_period = 1s};
  kubeapi::LeaderElector e(
      *r.client, o, l1net::testing::quietLogger(), [&] { ++started; }, [&] { ++stopped; });
  asio::co_spawn(r.ioc, e.run(), [&](std::exception_ptr) { done = true; });
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return started == 1; }, 5s));
  r.api.stop();  // API unreachable
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return stopped == 1; }, 6s));
  CHECK(std::chrono::steady_clock::now() - t0 >= 1s);
  CHECK_FALSE(e.leading());
  r.api.start();
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return started == 2; }, 6s));  // its own Lease: it takes it back
  e.stop(true);
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return done; }, 5s));
}

TEST_CASE("updateWith: create when absent, read-modify-write, 409 re-reads, mutate may refuse") {
  Rig r;
  const std::string cms = "/api/v1/namespaces/l1net-system/configmaps";
  // mutate appends one entry to data.list, so a write that ignored a competing change loses it.
  int calls = 0;
  auto append = [&](const std::string& entry) {
    return [&calls, entry](const json::value& current, std::string&) -> std::optional<json::value> {
      ++calls;
      json::object cm = current.is_object() ? current.as_object() : json::object{};
      auto& data = cm["data"];
      if (!data.is_object()) {
        data = json::object{};
      }
      auto& list = data.as_object()["list"];
      list = list.is_string() ? json::string(std::string(list.as_string()) + "," + entry)
                              : json::string(entry);
      return json::value(cm);
    };
  };
  auto w = r.run(kubeapi::updateWith(*r.client, cms, "ledger", append("a")));
  REQUIRE(w.ok);
  CHECK(w.status == 201);
  CHECK(calls == 1);
  w = r.run(kubeapi::updateWith(*r.client, cms, "ledger", append("b")));
  REQUIRE(w.ok);
  CHECK(w.status == 200);
  CHECK(r.api.get(cms, "ledger").at("data").at("list") == "a,b");

  // A competing writer changes it between our GET and our PUT, twice: both of its entries stay.
  int budget = 2;
  r.api.beforeHandle([&](const std::string& method, const std::string& target) {
    if (method == "PUT" && target.starts_with(cms) && budget > 0) {
      --budget;
      auto cm = r.api.get(cms, "ledger");
      auto& list = cm.as_object()["data"].as_object()["list"];
      list = json::string(std::string(list.as_string()) + ",x" + std::to_string(budget));
      cm.as_object()["metadata"].as_object().erase("resourceVersion");
      REQUIRE(r.api.request("PUT", cms + "/ledger", json::serialize(cm)) == 200);
    }
  });
  calls = 0;
  w = r.run(kubeapi::updateWith(*r.client, cms, "ledger", append("c")));
  REQUIRE(w.ok);
  CHECK(w.attempts == 3);
  CHECK(calls == 3);
  CHECK(r.api.get(cms, "ledger").at("data").at("list") == "a,b,x1,x0,c");

  // AlreadyExists: created by someone else between our GET (absent) and our POST.
  bool created = false;
  r.api.beforeHandle([&](const std::string& method, const std::string& target) {
    if (method == "POST" && target == cms && !created) {
      created = true;
      REQUIRE(r.api.request("POST", cms,
                            R"({"metadata":{"name":"other"},"data":{"list":"theirs"}})") == 201);
    }
  });
  w = r.run(kubeapi::updateWith(*r.client, cms, "other", append("ours")));
  REQUIRE(w.ok);
  CHECK(w.attempts == 2);
  CHECK(r.api.get(cms, "other").at("data").at("list") == "theirs,ours");
  r.api.beforeHandle(nullptr);

  // mutate refuses: nothing is written, the error names the object and the reason.
  const auto rv = r.api.get(cms, "ledger").at("metadata").at("resourceVersion");
  w = r.run(kubeapi::updateWith(*r.client, cms, "ledger", [](const json::value&, std::string& why) {
    why = "stored ledger does not parse";
    return std::optional<json::value>();
  }));
  CHECK_FALSE(w.ok);
  CHECK(w.error == "PUT configmaps l1net-system/ledger: stored ledger does not parse");
  CHECK(r.api.get(cms, "ledger").at("metadata").at("resourceVersion") == rv);

  // Conflicting every time: gives up after kWriteAttempts with an error naming the object.
  r.api.beforeHandle([&](const std::string& method, const std::string& target) {
    if (method == "PUT" && target.starts_with(cms)) {
      auto cm = r.api.get(cms, "ledger");
      cm.as_object()["data"].as_object()["n"] = std::to_string(r.api.resourceVersion());
      cm.as_object()["metadata"].as_object().erase("resourceVersion");
      REQUIRE(r.api.request("PUT", cms + "/ledger", json::serialize(cm)) == 200);
    }
  });
  w = r.run(kubeapi::updateWith(*r.client, cms, "ledger", append("d")));
  CHECK_FALSE(w.ok);
  CHECK(w.attempts == kubeapi::kWriteAttempts);
  CHECK(w.error.starts_with("PUT configmaps l1net-system/ledger: 409 Conflict after 5 attempts"));
  r.api.beforeHandle(nullptr);
}
