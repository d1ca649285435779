// Kubernetes mode against the fixtures: Services, Ingresses and ServiceL2Status objects from the
// kube-apiserver fixture (FakeApiServer) through dnsd's informers (KubeSource), records in the
// Pi-hole fixture, the ledger in a ConfigMap.
#include <algorithm>
#include <chrono>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "l1net/dnsd/io/configmap_ledger.hpp"
#include "l1net/dnsd/io/kube_source.hpp"
#include "l1net/dnsd/providers/pihole.hpp"
#include "l1net/dnsd/sources.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_apiserver.hpp"
#include "l1net/testing/fake_pihole.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_coro.hpp"
#include "l1net/testing/run_until.hpp"

namespace asio = boost::asio;
namespace dnsd = l1net::dnsd;
namespace json = boost::json;
using l1net::testing::FakeApiServer;
using namespace std::chrono_literals;

namespace {

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> aw) {
  return l1net::testing::runCoro(ioc, std::move(aw), 20s);
}

std::shared_ptr<l1net::kubeapi::ApiClient> makeClient(asio::io_context& ioc,
                                                      const FakeApiServer& api) {
  l1net::kube::ClusterConfig cfg;
  cfg.scheme = "http";
  cfg.host = "127.0.0.1";
  cfg.port = std::to_string(api.port());
  return l1net::kubeapi::ApiClient::create(ioc.get_executor(), cfg).value();
}

// Fast retries, so that recovering from injected faults does not wait for the default backoff.
constexpr l1net::kube::Backoff::Options kFastBackoff{.initial = 20ms, .max = 200ms};

// A KubeSource run until every informer has listed; its view; then stopped (as one dnsd --once).
dnsd::KubeView syncedView(asio::io_context& ioc, l1net::kubeapi::ApiClient& client,
                          bool with_l2_status) {
  dnsd::KubeSource src(client, {.with_l2_status = with_l2_status, .backoff = kFastBackoff},
                       l1net::testing::quietLogger(), [] {});
  src.start();
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return src.synced(); }, 10s));
  auto v = src.view();
  src.stop();
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return src.stopped(); }, 10s));
  return v;
}

void createService(FakeApiServer& api, const std::string& ns, const std::string& name,
                   const std::string& host, const std::string& ip) {
  const std::string coll = "/api/v1/namespaces/" + ns + "/services";
  json::object svc{
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       json::object{{"name", name},
                    {"namespace", ns},
                    {"annotations", json::object{{"external-dns.kubernetes.io/hostname", host}}}}},
      {"spec",
       json::object{{"type", "LoadBalancer"}, {"ports", json::array{json::object{{"port", 80}}}}}}};
  REQUIRE(api.request("POST", coll, json::serialize(svc)) == 201);
  auto stored = api.get(coll, name);
  stored.as_object()["status"] = json::object{
      {"loadBalancer", json::object{{"ingress", json::array{json::object{{"ip", ip}}}}}}};
  REQUIRE(api.request("PUT", coll + "/" + name + "/status", json::serialize(stored)) == 200);
}

void createIngress(FakeApiServer& api, const std::string& ns, const std::string& name,
                   const std::string& host, const std::string& ip) {
  const std::string coll = "/apis/networking.k8s.io/v1/namespaces/" + ns + "/ingresses";
  json::object ing{
      {"apiVersion", "networking.k8s.io/v1"},
      {"kind", "Ingress"},
      {"metadata", json::object{{"name", name}, {"namespace", ns}}},
      {"spec", json::object{{"rules", json::array{json::object{{"host", host}}}}}},
      {"status", json::object{{"loadBalancer",
                               json::object{{"ingress", json::array{json::object{{"ip", ip}}}}}}}}};
  REQUIRE(api.request("POST", coll, json::serialize(ing)) == 201);
  auto stored = api.get(coll, name);
  if (stored.as_object().if_contains("status") == nullptr ||
      stored.at("status").as_object().if_contains("loadBalancer") == nullptr ||
      stored.at("status").at("loadBalancer").as_object().if_contains("ingress") == nullptr) {
    stored.as_object()["status"] = ing["status"];
    REQUIRE(api.request("PUT", coll + "/" + name + "/status", json::serialize(stored)) == 200);
  }
}

void createL2Status(FakeApiServer& api, const std::string& svc_ns, const std::string& svc) {
  json::object st{
      {"apiVersion", "metallb.io/v1beta1"},
      {"kind", "ServiceL2Status"},
      {"metadata", json::object{{"name", "l2-" + svc}, {"namespace", "l1net-system"}}},
      {"status", json::object{{"node", "n1"}, {"serviceName", svc}, {"serviceNamespace", svc_ns}}}};
  const std::string coll = "/apis/metallb.io/v1beta1/namespaces/l1net-system/servicel2statuses";
  REQUIRE(api.request("POST", coll, json::serialize(st)) == 201);
  auto stored = api.get(coll, "l2-" + svc);
  if (stored.as_object().if_contains("status") == nullptr) {
    stored.as_object()["status"] = st["status"];
    REQUIRE(api.request("PUT", coll + "/l2-" + svc + "/status", json::serialize(stored)) == 200);
  }
}

}  // namespace

TEST_CASE("Kubernetes mode: Services and Ingresses from the API become Pi-hole records") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor());
  l1net::testing::FakePihole ph(ioc.get_executor());
  ph.hosts() = {"192.0.2.50 manual.example.com"};  // foreign
  auto client = makeClient(ioc, api);

  // One dnsd run (fresh provider, store and Syncer, as after a restart): list, plan, apply.
  auto cycle = [&](bool require_announced) {
    dnsd::PiholeProvider p(ioc.get_executor(),
                           {.url = ph.url(), .password = "correct horse", .timeout = 3s},
                           l1net::testing::quietLogger());
    dnsd::ConfigMapLedgerStore store(*client, {}, l1net::testing::quietLogger());
    l1net::metrics::Registry reg;
    dnsd::Syncer s({&p}, {.ledger_store = &store}, l1net::testing::quietLogger(), reg);
    const auto view = syncedView(ioc, *client, require_announced);
    dnsd::SourceOptions so;
    if (require_announced) {
      so.announced = view.announced_ips;
    }
    auto rep = run(ioc, s.runCycle(dnsd::desiredRecords(view.set, so), 1));
    bool done = false;
    asio::co_spawn(ioc, p.shutdown(), [&](const std::exception_ptr&) { done = true; });
    REQUIRE(l1net::testing::runUntil(
        ioc, [&] { return done; }, 10s));
    return rep;
  };

  createService(api, "web", "shop", "shop.example.com", "192.0.2.10");
  createIngress(api, "web", "blog", "blog.example.com", "192.0.2.11");
  auto r1 = cycle(false);
  CHECK(r1.ok);
  CHECK(r1.creates == 2);
  auto sorted = [&] {
    auto v = ph.hosts();
    std::sort(v.begin(), v.end());
    return v;
  };
  CHECK(sorted() == std::vector<std::string>{"192.0.2.10 shop.example.com",
                                             "192.0.2.11 blog.example.com",
                                             "192.0.2.50 manual.example.com"});
  auto r2 = cycle(false);  // a restart with nothing changed: no write, no duplicate
  CHECK(r2.ok);
  CHECK(r2.creates + r2.deletes == 0);
  REQUIRE(api.request("DELETE", "/api/v1/namespaces/web/services/shop", "") == 200);
  auto r3 = cycle(false);
  CHECK(r3.deletes == 1);
  CHECK(ph.hosts() ==
        std::vector<std::string>{"192.0.2.50 manual.example.com", "192.0.2.11 blog.example.com"});
  CHECK(api.list("/api/v1/namespaces/l1net-system/configmaps").size() == 1);

  SUBCASE("--require-announced: a Service is published once a ServiceL2Status names it") {
    createService(api, "web", "api", "api.example.com", "192.0.2.12");
    auto before = cycle(true);
    CHECK(before.ok);
    CHECK(std::count(ph.hosts().begin(), ph.hosts().end(), "192.0.2.12 api.example.com") == 0);
    createL2Status(api, "web", "api");
    auto after = cycle(true);
    CHECK(after.ok);
    CHECK(std::count(ph.hosts().begin(), ph.hosts().end(), "192.0.2.12 api.example.com") == 1);
  }
  SUBCASE("a 409 on the ledger ConfigMap (another writer) is merged, nothing lost") {
    const std::string cm = "/api/v1/namespaces/l1net-system/configmaps/l1net-dnsd-ledger";
    // Another writer records an entry of its own after our last write.
    auto stored = api.get("/api/v1/namespaces/l1net-system/configmaps", "l1net-dnsd-ledger");
    auto l = dnsd::parseLedger(stored.at("data").at("ledger.json").as_string().c_str()).ledger;
    l.instances["pihole http://other"].insert(
        dnsd::Record{dnsd::RecordType::kA, "o.example.com", "192.0.2.99", {}});
    stored.as_object()["data"].as_object()["ledger.json"] = dnsd::renderLedger(l);
    stored.as_object()["metadata"].as_object().erase("resourceVersion");
    REQUIRE(api.request("PUT", cm, json::serialize(stored)) == 200);
    // Our next run loads after that write, so make the conflict happen inside the run: a
    // writer that changes the ConfigMap between our load and our save.
    createService(api, "web", "new", "new.example.com", "192.0.2.13");
    bool changed = false;
    api.beforeHandle([&](const std::string& m, const std::string& t) {
      if (m == "PUT" && t.find("/configmaps/") != std::string::npos && !changed) {
        changed = true;
        auto now = api.get("/api/v1/namespaces/l1net-system/configmaps", "l1net-dnsd-ledger");
        now.as_object()["data"].as_object()["other"] = "x";
        now.as_object()["metadata"].as_object().erase("resourceVersion");
        REQUIRE(api.request("PUT", cm, json::serialize(now)) == 200);
      }
    });
    dnsd::PiholeProvider p(ioc.get_executor(),
                           {.url = ph.url(), .password = "correct horse", .timeout = 3s},
                           l1net::testing::quietLogger());
    dnsd::ConfigMapLedgerStore store(*client, {}, l1net::testing::quietLogger());
    l1net::metrics::Registry reg;
    dnsd::Syncer s({&p}, {.ledger_store = &store}, l1net::testing::quietLogger(), reg);
    const auto view = syncedView(ioc, *client, false);
    auto rep = run(ioc, s.runCycle(dnsd::desiredRecords(view.set, {}), 1));
    api.beforeHandle(nullptr);
    CHECK(rep.ok);
    CHECK(changed);
    CHECK(store.stats().conflicts == 1);
    auto final = api.get("/api/v1/namespaces/l1net-system/configmaps", "l1net-dnsd-ledger");
    auto fl = dnsd::parseLedger(final.at("data").at("ledger.json").as_string().c_str()).ledger;
    CHECK(fl.instances.at("pihole http://other").size() == 1);  // the other writer's entry
    CHECK(fl.instances.at(p.id()).size() == 2);                 // blog and new
    CHECK(final.at("data").at("other") == "x");
    bool done = false;
    asio::co_spawn(ioc, p.shutdown(), [&](const std::exception_ptr&) { done = true; });
    REQUIRE(l1net::testing::runUntil(
        ioc, [&] { return done; }, 10s));
  }
  CHECK(ph.liveSessions() == 0);
}

TEST_CASE(
    "KubeSource follows the API through cut watches, compaction and an outage: nothing lost") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor(), {.bookmark_interval = 50ms});
  auto client = makeClient(ioc, api);
  int changes = 0;
  dnsd::KubeSource src(*client, {.with_l2_status = true, .backoff = kFastBackoff},
                       l1net::testing::quietLogger(), [&] { ++changes; });
  src.start();
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return src.synced(); }, 10s));
  CHECK(changes >= 1);  // the first list is announced even when it brought nothing

  // The records the long-running source yields, and those a fresh list of the server yields
  // (the oracle: what a restarted dnsd would see), with what is announced.
  auto records = [](const dnsd::KubeView& v) {
    dnsd::SourceOptions so;
    so.announced = v.announced_ips;
    return std::make_pair(dnsd::desiredRecords(v.set, {}).records,
                          dnsd::desiredRecords(v.set, so).records);
  };
  auto caughtUp = [&] {
    const auto want = records(syncedView(ioc, *client, true));
    return l1net::testing::runUntil(
        ioc, [&] { return records(src.view()) == want; }, 15s);
  };
  auto hostOf = [&](const std::string& name) {
    const auto v = src.view();
    for (const auto& r : dnsd::desiredRecords(v.set, {}).records) {
      if (r.name.starts_with(name + ".")) {
        return r.target;
      }
    }
    return std::string();
  };

  createService(api, "web", "s1", "s1.example.com", "192.0.2.1");
  REQUIRE(caughtUp());
  CHECK(hostOf("s1") == "192.0.2.1");
  const int before = changes;

  auto watching = [&] {
    return l1net::testing::runUntil(
        ioc, [&] { return api.openWatches() >= 3; }, 10s);
  };
  // 1. Every watch cut in the middle of an event; meanwhile s2 appears and s1 goes.
  REQUIRE(watching());
  api.dropWatchesMidEvent();
  createService(api, "web", "s2", "s2.example.com", "192.0.2.2");
  REQUIRE(api.request("DELETE", "/api/v1/namespaces/web/services/s1", "") == 200);
  REQUIRE(caughtUp());
  CHECK(hostOf("s1").empty());
  CHECK(hostOf("s2") == "192.0.2.2");
  CHECK(changes > before);

  // 2. Compaction while the watches are away: resuming from the old resourceVersion is 410,
  //    the informers relist; a change, a creation and a status object made in the gap all arrive.
  const auto relists_before = src.stats().relists;
  REQUIRE(watching());
  api.dropWatchesMidEvent();
  createService(api, "web", "s3", "s3.example.com", "192.0.2.3");
  createL2Status(api, "web", "s2");
  createIngress(api, "web", "i1", "i1.example.com", "192.0.2.4");
  api.compact();
  REQUIRE(caughtUp());
  CHECK(src.view().announced == std::set<std::string>{"web/s2"});
  CHECK(src.view().announced_ips == std::set<std::string>{"192.0.2.2"});
  CHECK(hostOf("i1") == "192.0.2.4");
  CHECK(hostOf("s3") == "192.0.2.3");
  CHECK(src.stats().relists > relists_before);

  // 3. The API server gone and back; what changed meanwhile (a deletion of a status object, a
  //    Service deleted, an Ingress host renamed) arrives once it is back.
  api.stop();
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return !src.healthProblem().empty(); }, 10s));
  CHECK(src.view().announced == std::set<std::string>{"web/s2"});  // the last view is kept
  REQUIRE(api.request("DELETE",
                      "/apis/metallb.io/v1beta1/namespaces/l1net-system/servicel2statuses/l2-s2",
                      "") == 200);
  REQUIRE(api.request("DELETE", "/api/v1/namespaces/web/services/s3", "") == 200);
  auto ing = api.get("/apis/networking.k8s.io/v1/namespaces/web/ingresses", "i1");
  ing.as_object()["spec"].as_object()["rules"] =
      json::array{json::object{{"host", "i2.example.com"}}};
  REQUIRE(api.request("PUT", "/apis/networking.k8s.io/v1/namespaces/web/ingresses/i1",
                      json::serialize(ing)) == 200);
  api.compact();
  api.start();
  REQUIRE(caughtUp());
  CHECK(src.view().announced.empty());
  CHECK(hostOf("s3").empty());
  CHECK(hostOf("i1").empty());
  CHECK(hostOf("i2") == "192.0.2.4");
  CHECK(src.healthProblem().empty());

  // 4. Watches ended cleanly (timeoutSeconds): resumed, the next change arrives.
  api.endWatches();
  createService(api, "web", "s4", "s4.example.com", "192.0.2.5");
  REQUIRE(caughtUp());
  CHECK(hostOf("s4") == "192.0.2.5");

  src.stop();
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return src.stopped(); }, 10s));
}

TEST_CASE("l2StatusService and announcedIps") {
  CHECK(dnsd::l2StatusService(json::parse(
            R"({"status":{"node":"n1","serviceName":"web","serviceNamespace":"shop"}})")) ==
        "shop/web");
  CHECK(dnsd::l2StatusService(json::parse(R"({"status":{"serviceName":"web"}})")).empty());
  CHECK(dnsd::l2StatusService(json::parse(R"({"spec":{}})")).empty());
  CHECK(dnsd::l2StatusService(json::parse("[]")).empty());
  l1net::manifest::Service a;
  a.meta.ns = "shop";
  a.meta.name = "web";
  a.ingress = {{.ip = "192.0.2.1"}, {.hostname = "lb.example.com"}};
  l1net::manifest::Service b = a;
  b.meta.name = "other";
  b.ingress = {{.ip = "192.0.2.2"}};
  CHECK(dnsd::announcedIps({a, b}, {"shop/web"}) == std::set<std::string>{"192.0.2.1"});
  CHECK(dnsd::announcedIps({a, b}, {}).empty());
}
