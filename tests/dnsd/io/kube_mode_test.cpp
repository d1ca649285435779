// Kubernetes mode against the fixtures: Services and Ingresses from the kube-apiserver fixture
// (FakeApiServer), records in the Pi-hole fixture, the ledger in a ConfigMap.
#include <algorithm>
#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "l1net/dnsd/io/configmap_ledger.hpp"
#include "l1net/dnsd/io/kube_objects.hpp"
#include "l1net/dnsd/providers/pihole.hpp"
#include "l1net/dnsd/sources.hpp"
#include "l1net/http/client.hpp"
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
  auto client = l1net::http::Client::create(ioc.get_executor(), api.url()).value();
  const auto call = dnsd::httpKubeCall(client);

  // One dnsd run (fresh provider, store and Syncer, as after a restart): list, plan, apply.
  auto cycle = [&](bool require_announced) {
    dnsd::PiholeProvider p(ioc.get_executor(),
                           {.url = ph.url(), .password = "correct horse", .timeout = 3s},
                           l1net::testing::quietLogger());
    dnsd::ConfigMapLedgerStore store(call, {}, l1net::testing::quietLogger());
    l1net::metrics::Registry reg;
    dnsd::Syncer s({&p}, {.ledger_store = &store}, l1net::testing::quietLogger(), reg);
    std::string why;
    auto objs = run(ioc, dnsd::listKubeObjects(call, "l1net-system", require_announced, &why));
    REQUIRE_MESSAGE(objs.has_value(), why);
    dnsd::SourceOptions so;
    if (require_announced) {
      so.announced = objs->announced_ips;
    }
    auto rep = run(ioc, s.runCycle(dnsd::desiredRecords(objs->set, so), 1));
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
    dnsd::KubeCall racing = [&](std::string m, std::string t,
                                std::string b) -> asio::awaitable<l1net::Result<dnsd::KubeReply>> {
      if (m == "PUT" && !changed) {
        changed = true;
        auto now = api.get("/api/v1/namespaces/l1net-system/configmaps", "l1net-dnsd-ledger");
        now.as_object()["data"].as_object()["other"] = "x";
        now.as_object()["metadata"].as_object().erase("resourceVersion");
        REQUIRE(api.request("PUT", cm, json::serialize(now)) == 200);
      }
      co_return co_await call(std::move(m), std::move(t), std::move(b));
    };
    dnsd::PiholeProvider p(ioc.get_executor(),
                           {.url = ph.url(), .password = "correct horse", .timeout = 3s},
                           l1net::testing::quietLogger());
    dnsd::ConfigMapLedgerStore store(racing, {}, l1net::testing::quietLogger());
    l1net::metrics::Registry reg;
    dnsd::Syncer s({&p}, {.ledger_store = &store}, l1net::testing::quietLogger(), reg);
    std::string why;
    auto objs = run(ioc, dnsd::listKubeObjects(call, "l1net-system", false, &why));
    REQUIRE(objs.has_value());
    auto rep = run(ioc, s.runCycle(dnsd::desiredRecords(objs->set, {}), 1));
    CHECK(rep.ok);
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
