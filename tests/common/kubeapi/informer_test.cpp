// Informer against the fixture: whatever happens to the connection (expiry in both forms, a
// stream cut in the middle of an event, 500s, the server gone and back), the cache ends equal to
// the server's objects and every change arrives exactly once (the deltas are counted).
#include "l1net/kubeapi/informer.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_apiserver.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_until.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace kube = l1net::kube;
using l1net::testing::FakeApiServer;
using namespace std::chrono_literals;

namespace {

const std::string kSvcs = "/api/v1/namespaces/default/services";

std::string svc(const std::string& name) {
  return R"({"metadata":{"name":")" + name +
         R"(","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}"}},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}})";
}

// ns/name -> resourceVersion, from the server and from the cache.
std::map<std::string, std::string> serverState(FakeApiServer& api) {
  std::map<std::string, std::string> m;
  for (const auto& item : api.list("/api/v1/services")) {
    m[kube::objectKey(item)] = kube::objectResourceVersion(item);
  }
  return m;
}
std::map<std::string, std::string> cacheState(const kube::Cache& cache) {
  std::map<std::string, std::string> m;
  for (const auto& s : cache.snapshot().services) {
    m[s.meta.ns + "/" + s.meta.name] = s.meta.resource_version;
  }
  return m;
}

struct Rig {
  asio::io_context ioc;
  FakeApiServer api{ioc.get_executor(), {.bookmark_interval = 100ms}};
  std::shared_ptr<l1net::kubeapi::ApiClient> client;
  kube::Cache cache;
  int changes = 0;
  // Every delta delivered: "+key@rv" for an upsert, "-key" for a delete.
  std::vector<std::string> deltas;
  std::unique_ptr<l1net::kubeapi::Informer> informer;
  bool done = false;

  Rig() {
    kube::ClusterConfig cfg;
    cfg.scheme = "http";
    cfg.host = "127.0.0.1";
    cfg.port = std::to_string(api.port());
    client = l1net::kubeapi::ApiClient::create(ioc.get_executor(), cfg).value();
  }
  ~Rig() {
    if (informer) {
      informer->stop();
      l1net::testing::runUntil(
          ioc, [&] { return done; }, 2s);
    }
  }
  void start(l1net::kubeapi::InformerOptions opts = {.collection = "/api/v1/services",
                                                     .kind = kube::Kind::kService,
                                                     .backoff = {.initial = 50ms, .max = 400ms}}) {
    informer = std::make_unique<l1net::kubeapi::Informer>(
        *client, std::move(opts), cache, l1net::testing::quietLogger(),
        [this](const std::vector<kube::Delta>& ds) {
          ++changes;
          for (const auto& d : ds) {
            deltas.push_back(d.kind == kube::Delta::Kind::kUpsert
                                 ? "+" + d.key + "@" + kube::objectResourceVersion(d.object)
                                 : "-" + d.key);
          }
        });
    asio::co_spawn(ioc, informer->run(), [this](std::exception_ptr) { done = true; });
  }
  bool converged(std::chrono::milliseconds t = 5s) {
    return l1net::testing::runUntil(
        ioc, [&] { return cacheState(cache) == serverState(api); }, t);
  }
  // Creates/changes/deletes through the API and returns the delta the informer must deliver.
  std::string create(const std::string& n) {
    std::string out;
    REQUIRE(api.request("POST", kSvcs, svc(n), &out) == 201);
    return "+default/" + n + "@" + kube::objectResourceVersion(json::parse(out));
  }
  std::string relabel(const std::string& n, const std::string& v) {
    std::string out;
    REQUIRE(api.request("PATCH", kSvcs + "/" + n, R"({"metadata":{"labels":{"v":")" + v + R"("}}})",
                        &out, "application/merge-patch+json") == 200);
    return "+default/" + n + "@" + kube::objectResourceVersion(json::parse(out));
  }
  std::string remove(const std::string& n) {
    REQUIRE(api.request("DELETE", kSvcs + "/" + n, "") == 200);
    return "-default/" + n;
  }
};

}  // namespace

TEST_CASE("Informer: list, then watch events keep the cache equal to the server") {
  Rig r;
  const auto a = r.create("a");
  const auto b = r.create("b");
  r.start();
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.informer->synced(); }, 5s));
  REQUIRE(r.converged());
  CHECK(r.deltas == std::vector<std::string>{a, b});
  // Trimmed: the last-applied annotation is not kept.
  CHECK(r.cache.snapshot().services.at(0).meta.annotations.empty());
  std::vector<std::string> want = {a, b};
  want.push_back(r.create("c"));
  want.push_back(r.relabel("a", "1"));
  want.push_back(r.remove("b"));
  REQUIRE(r.converged());
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.deltas.size() >= want.size(); }, 2s));
  CHECK(r.deltas == want);
  // Bookmarks advance the resume point without deltas.
  REQUIRE(r.api.request("POST", "/api/v1/nodes", R"({"metadata":{"name":"n1"}})") == 201);
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.informer->stats().events >= 4; }, 2s));
  CHECK(r.deltas == want);
  const auto& st = r.informer->stats();
  CHECK(st.relists == 0);
  CHECK(st.lists == 1);
  CHECK(st.watches == 1);
  CHECK(st.failures == 0);
  CHECK_FALSE(r.informer->failingSince().has_value());
}

TEST_CASE("Informer: an empty collection still reports synced once") {
  Rig r;
  r.start();
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.changes == 1; }, 5s));
  CHECK(r.informer->synced());
  CHECK(r.deltas.empty());
}

TEST_CASE("Informer survives faults without losing or duplicating a change") {
  struct Case {
    const char* name;
    // Runs after the first sync; returns the deltas that must follow.
    std::function<std::vector<std::string>(Rig&)> fault;
    std::uint64_t want_relists;
    bool want_failures;
  };
  const std::vector<Case> cases = {
      {"watch expiry: the API ends the stream, etcd compacted meanwhile -> ERROR 410 in a 200",
       [](Rig& r) {
         r.api.stop();  // the watch breaks; changes happen meanwhile; etcd compacts
         std::vector<std::string> want = {r.create("d"), r.relabel("a", "2"), r.remove("b")};
         r.api.compact();
         r.api.start();
         return want;
       },
       1, true},
      {"HTTP 410 on the re-watch, then a plain 410 on the relist: relist from the latest",
       [](Rig& r) {
         r.api.failNext(2, 410);
         r.api.endWatches();
         return std::vector<std::string>{r.create("d")};
       },
       2, false},
      {"stream cut in the middle of an event: resume from the last resourceVersion",
       [](Rig& r) {
         r.api.dropWatchesMidEvent();
         return std::vector<std::string>{r.create("d"), r.relabel("a", "3")};
       },
       0, true},
      {"500s on the re-watch after a cut: backoff, then resume",
       [](Rig& r) {
         r.api.dropWatchesMidEvent();
         r.api.failNext(3);
         return std::vector<std::string>{r.create("d"), r.remove("a")};
       },
       0, true},
      {"the watch ends cleanly (timeoutSeconds): watch again at once",
       [](Rig& r) {
         r.api.endWatches();
         return std::vector<std::string>{r.create("d")};
       },
       0, false},
      {"an outage of a second: reconnect with backoff, nothing compacted",
       [](Rig& r) {
         r.api.stop();
         std::vector<std::string> want = {r.create("d"), r.relabel("b", "x")};
         l1net::testing::runUntil(
             r.ioc, [] { return false; }, 1s);
         r.api.start();
         return want;
       },
       0, true},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Rig r;
      std::vector<std::string> want = {r.create("a"), r.create("b")};
      r.start();
      REQUIRE(r.converged());
      REQUIRE(l1net::testing::runUntil(
          r.ioc, [&] { return r.api.openWatches() == 1; }, 2s));
      for (auto& d : c.fault(r)) {
        want.push_back(d);
      }
      REQUIRE(r.converged(20s));
      REQUIRE(l1net::testing::runUntil(
          r.ioc, [&] { return r.deltas.size() >= want.size(); }, 2s));
      // None lost, none twice; in order, except that a relist delivers in list (key) order.
      const auto sorted = [](std::vector<std::string> v) {
        std::sort(v.begin(), v.end());
        return v;
      };
      INFO("got:  " << json::serialize(json::value_from(r.deltas)));
      INFO("want: " << json::serialize(json::value_from(want)));
      if (c.want_relists == 0) {
        CHECK(r.deltas == want);
      } else {
        CHECK(sorted(r.deltas) == sorted(want));
      }
      const auto& st = r.informer->stats();
      CHECK(st.relists == c.want_relists);
      CHECK((st.failures > 0) == c.want_failures);
      CHECK(st.decode_errors == 0);
      // Still following: a later change arrives too, once.
      want.push_back(r.create("late"));
      REQUIRE(r.converged());
      l1net::testing::runUntil(
          r.ioc, [] { return false; }, 200ms);
      CHECK(r.deltas.size() == want.size());
      CHECK(r.deltas.back() == want.back());
      CHECK_FALSE(r.informer->failingSince().has_value());
    }
  }
}

TEST_CASE("Informer: a relist after expiry delivers only what changed, deletes included") {
  Rig r;
  std::vector<std::string> want = {r.create("a"), r.create("b"), r.create("c")};
  r.start();
  REQUIRE(r.converged());
  r.api.stop();
  // Several changes to one object collapse into its last state; deletions arrive as deletes.
  r.relabel("a", "1");
  want.push_back(r.relabel("a", "2"));
  want.push_back(r.remove("b"));
  const auto e = r.create("e");
  r.remove("e");  // created and deleted while away: never seen, never reported
  r.api.compact();
  r.api.start();
  REQUIRE(r.converged(10s));
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.deltas.size() >= want.size(); }, 2s));
  std::multiset<std::string> got(r.deltas.begin(), r.deltas.end());
  CHECK(got == std::multiset<std::string>(want.begin(), want.end()));
  CHECK(r.informer->stats().relists == 1);
  (void)e;
}

TEST_CASE("Informer: label and field selectors, objects leaving the selection are deleted") {
  Rig r;
  REQUIRE(
      r.api.request(
          "POST", "/api/v1/namespaces/l1net-system/pods",
          R"({"metadata":{"name":"speaker-1","labels":{"app":"speaker"}},"spec":{"nodeName":"n1"}})") ==
      201);
  REQUIRE(r.api.request("POST", "/api/v1/namespaces/l1net-system/pods",
                        R"({"metadata":{"name":"other","labels":{"app":"web"}}})") == 201);
  r.start({.collection = "/api/v1/namespaces/l1net-system/pods",
           .kind = kube::Kind::kPod,
           .label_selector = "app=speaker"});
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.informer->synced() && r.cache.size(kube::Kind::kPod) == 1; }, 5s));
  CHECK(r.cache.snapshot().pods.at(0).node_name == "n1");
  REQUIRE(r.api.request("PATCH", "/api/v1/namespaces/l1net-system/pods/speaker-1/status",
                        R"({"status":{"phase":"Running","podIP":"192.0.2.31"}})", nullptr,
                        "application/merge-patch+json") == 200);
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.cache.snapshot().pods.at(0).pod_ip == "192.0.2.31"; }, 2s));
  REQUIRE(r.api.request("PATCH", "/api/v1/namespaces/l1net-system/pods/speaker-1",
                        R"({"metadata":{"labels":{"app":"gone"}}})", nullptr,
                        "application/merge-patch+json") == 200);
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.cache.size(kube::Kind::kPod) == 0; }, 2s));
}

TEST_CASE("Informer: objects that do not decode are left out and counted, never fatal") {
  Rig r;
  r.create("good");
  REQUIRE(r.api.request("POST", kSvcs,
                        R"({"metadata":{"name":"bad"},"spec":{"ports":[{"port":"eighty"}]}})") ==
          201);
  r.start();
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.informer->synced(); }, 5s));
  CHECK(r.cache.size(kube::Kind::kService) == 1);
  CHECK(r.informer->stats().decode_errors == 1);
  r.create("later");
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.cache.size(kube::Kind::kService) == 2; }, 2s));
}

TEST_CASE("Informer: 403 on list is retried with backoff, never synced, failing since then") {
  Rig r;
  r.api.forbid("list", "services");
  r.start({.collection = "/api/v1/services",
           .kind = kube::Kind::kService,
           .backoff = {.initial = 200ms, .max = 800ms, .jitter = 0.0}});
  l1net::testing::runUntil(
      r.ioc, [] { return false; }, 1000ms);
  CHECK_FALSE(r.informer->synced());
  // Attempts at 0, 200, 600 ms (200 then 400 ms backoff): not a hot loop.
  CHECK(r.informer->stats().failures >= 2);
  CHECK(r.informer->stats().failures <= 4);
  REQUIRE(r.informer->failingSince().has_value());
  CHECK(r.informer->lastError().find("Forbidden") != std::string::npos);
  r.api.allowAll();
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.informer->synced(); }, 3s));
  CHECK_FALSE(r.informer->failingSince().has_value());
}

TEST_CASE("Informer: stop() ends run() while waiting on a watch") {
  Rig r;
  r.start();
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.api.openWatches() == 1; }, 5s));
  r.informer->stop();
  REQUIRE(l1net::testing::runUntil(
      r.ioc, [&] { return r.done; }, 1s));
}

TEST_CASE("Informer: an older API server's collection after a 404 (EndpointSlices on 1.20)") {
  struct Case {
    const char* name;
    std::vector<std::string> fallbacks;
    bool want_synced;
  };
  const Case cases[] = {
      {"v1 is 404, v1beta1 is served: synced from v1beta1",
       {"/apis/discovery.k8s.io/v1beta1/endpointslices"},
       true},
      {"no fallback: never synced, the 404 is a failure", {}, false},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    asio::io_context ioc;
    FakeApiServer api(ioc.get_executor(), {.endpoint_slice_version = "v1beta1"});
    REQUIRE(api.request("POST", "/api/v1/namespaces", R"({"metadata":{"name":"shop"}})") == 201);
    REQUIRE(api.request("POST", "/apis/discovery.k8s.io/v1beta1/namespaces/shop/endpointslices",
                        R"({"metadata":{"name":"web-a"},"addressType":"IPv4","endpoints":[
                          {"addresses":["198.51.100.5"],
                           "topology":{"kubernetes.io/hostname":"n2"}}]})") == 201);
    CHECK(api.request("GET", "/apis/discovery.k8s.io/v1/endpointslices", "") == 404);
    kube::ClusterConfig cfg;
    cfg.scheme = "http";
    cfg.host = "127.0.0.1";
    cfg.port = std::to_string(api.port());
    auto client = l1net::kubeapi::ApiClient::create(ioc.get_executor(), cfg).value();
    kube::Cache cache;
    bool done = false;
    l1net::kubeapi::Informer informer(*client,
                                      {.collection = "/apis/discovery.k8s.io/v1/endpointslices",
                                       .kind = kube::Kind::kEndpointSlice,
                                       .fallback_collections = c.fallbacks,
                                       .backoff = {.initial = 50ms, .max = 200ms}},
                                      cache, l1net::testing::quietLogger(),
                                      [](const std::vector<kube::Delta>&) {});
    asio::co_spawn(ioc, informer.run(), [&](std::exception_ptr) { done = true; });
    const bool synced = l1net::testing::runUntil(
        ioc, [&] { return informer.synced() || informer.stats().failures >= 3; }, 5s);
    CHECK(synced);
    CHECK(informer.synced() == c.want_synced);
    if (c.want_synced) {
      const auto snap = cache.snapshot();
      REQUIRE(snap.endpoint_slices.size() == 1);
      CHECK(snap.endpoint_slices[0].endpoints[0].node_name == "n2");
      CHECK(informer.options().collection == "/apis/discovery.k8s.io/v1beta1/endpointslices");
    }
    informer.stop();
    l1net::testing::runUntil(
        ioc, [&] { return done; }, 2s);
  }
}
