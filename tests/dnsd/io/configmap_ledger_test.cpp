// The Kubernetes-mode ledger ConfigMap against the kube-apiserver fixture (FakeApiServer):
// create once, update with the resourceVersion, 409 handled by re-reading and merging, a dnsd
// restart continues from the stored ledger.
#include "l1net/dnsd/io/configmap_ledger.hpp"

#include <chrono>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "l1net/dnsd/providers/pihole.hpp"
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
using dnsd::Ledger;
using dnsd::Record;
using dnsd::RecordType;
using l1net::testing::FakeApiServer;
using namespace std::chrono_literals;

namespace {

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> aw) {
  return l1net::testing::runCoro(ioc, std::move(aw), 20s);
}

Record a(const std::string& name, const std::string& ip) {
  return Record{RecordType::kA, name, ip, {}};
}

constexpr const char* kCms = "/api/v1/namespaces/l1net-system/configmaps";

std::shared_ptr<l1net::kubeapi::ApiClient> makeClient(asio::io_context& ioc,
                                                      const FakeApiServer& api) {
  l1net::kube::ClusterConfig cfg;
  cfg.scheme = "http";
  cfg.host = "127.0.0.1";
  cfg.port = std::to_string(api.port());
  return l1net::kubeapi::ApiClient::create(ioc.get_executor(), cfg).value();
}

dnsd::ConfigMapLedgerStore makeStore(l1net::kubeapi::ApiClient& client) {
  return dnsd::ConfigMapLedgerStore(client, {}, l1net::testing::quietLogger());
}

Ledger storedLedger(FakeApiServer& api) {
  const auto cm = api.get(kCms, "l1net-dnsd-ledger");
  REQUIRE(cm.is_object());
  const auto parsed = dnsd::parseLedger(cm.at("data").at("ledger.json").as_string().c_str());
  REQUIRE(parsed.error.empty());
  return parsed.ledger;
}

// An administrator (another writer) replaces the ledger text, keeping the ConfigMap's
// resourceVersion moving.
void otherWriterStores(FakeApiServer& api, const Ledger& l) {
  auto cm = api.get(kCms, "l1net-dnsd-ledger");
  REQUIRE(cm.is_object());
  cm.as_object()["data"].as_object()["ledger.json"] = dnsd::renderLedger(l);
  cm.as_object()["metadata"].as_object().erase("resourceVersion");
  REQUIRE(api.request("PUT", std::string(kCms) + "/l1net-dnsd-ledger", json::serialize(cm)) == 200);
}

}  // namespace

TEST_CASE("ConfigMapLedgerStore against the kube-apiserver fixture") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor());
  auto client = makeClient(ioc, api);
  auto store = makeStore(*client);
  const Ledger mine{{{"pihole http://a", {a("x.example", "192.0.2.1")}}}};

  SUBCASE("absent: empty; the first save creates it; a restart loads it and only updates") {
    std::string why;
    auto loaded = run(ioc, store.load(&why));
    REQUIRE(loaded.has_value());
    CHECK(loaded->empty());
    auto saved = run(ioc, store.save(dnsd::renderLedger(mine), &why));
    REQUIRE(saved.has_value());
    CHECK(store.stats().creates == 1);
    CHECK(storedLedger(api) == mine);
    const auto cm = api.get(kCms, "l1net-dnsd-ledger");
    CHECK(cm.at("metadata").at("labels").at("app.kubernetes.io/managed-by") == "l1net-dnsd");

    auto restarted = makeStore(*client);  // a new dnsd process
    auto again = run(ioc, restarted.load(&why));
    REQUIRE(again.has_value());
    CHECK(dnsd::parseLedger(*again).ledger == mine);
    Ledger more = mine;
    more.instances["pihole http://a"].insert(a("y.example", "192.0.2.2"));
    REQUIRE(run(ioc, restarted.save(dnsd::renderLedger(more), &why)).has_value());
    CHECK(restarted.stats().creates == 0);  // no duplicate create
    CHECK(restarted.stats().updates == 1);
    CHECK(storedLedger(api) == more);
    CHECK(api.list(kCms).size() == 1);
  }
  SUBCASE("another writer's change since our last write: merged; nothing of theirs lost") {
    std::string why;
    REQUIRE(run(ioc, store.load(&why)).has_value());
    REQUIRE(run(ioc, store.save(dnsd::renderLedger(mine), &why)).has_value());
    // Another writer adds its own entries (and another data key) after our write.
    Ledger theirs = mine;
    theirs.instances["pihole http://b"].insert(a("z.example", "192.0.2.3"));
    otherWriterStores(api, theirs);
    // We drop x and add w, still holding the old resourceVersion.
    const Ledger ours{{{"pihole http://a", {a("w.example", "192.0.2.4")}}}};
    auto saved = run(ioc, store.save(dnsd::renderLedger(ours), &why));
    REQUIRE(saved.has_value());
    CHECK(store.stats().merges == 1);
    const Ledger want{{{"pihole http://a", {a("w.example", "192.0.2.4")}},
                       {"pihole http://b", {a("z.example", "192.0.2.3")}}}};
    CHECK(storedLedger(api) == want);
    CHECK(dnsd::parseLedger(*saved).ledger == want);  // the Syncer continues from this
  }
  SUBCASE("AlreadyExists: another writer created it first; merged into theirs") {
    std::string why;
    REQUIRE(run(ioc, store.load(&why)).has_value());  // absent now
    const Ledger theirs{{{"pihole http://b", {a("z.example", "192.0.2.3")}}}};
    json::object cm{
        {"apiVersion", "v1"},
        {"kind", "ConfigMap"},
        {"metadata", json::object{{"name", "l1net-dnsd-ledger"}}},
        {"data", json::object{{"ledger.json", dnsd::renderLedger(theirs)}, {"note", "kept"}}}};
    REQUIRE(api.request("POST", kCms, json::serialize(cm)) == 201);
    REQUIRE(run(ioc, store.save(dnsd::renderLedger(mine), &why)).has_value());
    CHECK(store.stats().merges == 1);
    CHECK(store.stats().creates == 0);
    CHECK(store.stats().updates == 1);
    const Ledger want{{{"pihole http://a", {a("x.example", "192.0.2.1")}},
                       {"pihole http://b", {a("z.example", "192.0.2.3")}}}};
    CHECK(storedLedger(api) == want);
    CHECK(api.get(kCms, "l1net-dnsd-ledger").at("data").at("note") == "kept");
  }
  SUBCASE("409 between our read and our write: read again, merged, written; nothing lost") {
    std::string why;
    REQUIRE(run(ioc, store.load(&why)).has_value());
    REQUIRE(run(ioc, store.save(dnsd::renderLedger(mine), &why)).has_value());
    // The other writer's change lands between our GET and our PUT: the PUT is stale (409).
    bool raced = false;
    api.beforeHandle([&](const std::string& method, const std::string& target) {
      if (method == "PUT" && target.starts_with(kCms) && !raced) {
        raced = true;
        Ledger theirs = mine;
        theirs.instances["pihole http://b"].insert(a("z.example", "192.0.2.3"));
        otherWriterStores(api, theirs);
      }
    });
    const Ledger ours{
        {{"pihole http://a", {a("x.example", "192.0.2.1"), a("w.example", "192.0.2.4")}}}};
    REQUIRE(run(ioc, store.save(dnsd::renderLedger(ours), &why)).has_value());
    api.beforeHandle(nullptr);
    CHECK(raced);
    CHECK(store.stats().conflicts == 1);
    CHECK(store.stats().merges == 1);
    const Ledger want{
        {{"pihole http://a", {a("x.example", "192.0.2.1"), a("w.example", "192.0.2.4")}},
         {"pihole http://b", {a("z.example", "192.0.2.3")}}}};
    CHECK(storedLedger(api) == want);
  }
  SUBCASE("AlreadyExists between our read and our create: merged into theirs") {
    std::string why;
    REQUIRE(run(ioc, store.load(&why)).has_value());  // absent
    bool raced = false;
    api.beforeHandle([&](const std::string& method, const std::string& target) {
      if (method == "POST" && target == kCms && !raced) {
        raced = true;
        const Ledger theirs{{{"pihole http://b", {a("z.example", "192.0.2.3")}}}};
        json::object cm{{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", json::object{{"name", "l1net-dnsd-ledger"}}},
                        {"data", json::object{{"ledger.json", dnsd::renderLedger(theirs)}}}};
        REQUIRE(api.request("POST", kCms, json::serialize(cm)) == 201);
      }
    });
    REQUIRE(run(ioc, store.save(dnsd::renderLedger(mine), &why)).has_value());
    api.beforeHandle(nullptr);
    CHECK(store.stats().conflicts == 1);
    CHECK(store.stats().creates == 0);
    const Ledger want{{{"pihole http://a", {a("x.example", "192.0.2.1")}},
                       {"pihole http://b", {a("z.example", "192.0.2.3")}}}};
    CHECK(storedLedger(api) == want);
    CHECK(api.list(kCms).size() == 1);
  }
  SUBCASE("deleted behind our back: created again with everything we own") {
    std::string why;
    REQUIRE(run(ioc, store.load(&why)).has_value());
    REQUIRE(run(ioc, store.save(dnsd::renderLedger(mine), &why)).has_value());
    REQUIRE(api.request("DELETE", std::string(kCms) + "/l1net-dnsd-ledger", "") == 200);
    Ledger more = mine;
    more.instances["pihole http://a"].insert(a("y.example", "192.0.2.2"));
    REQUIRE(run(ioc, store.save(dnsd::renderLedger(more), &why)).has_value());
    CHECK(storedLedger(api) == more);
    CHECK(store.stats().creates == 2);
  }
  SUBCASE("a stored ledger that does not parse is never overwritten") {
    std::string why;
    REQUIRE(run(ioc, store.load(&why)).has_value());
    REQUIRE(run(ioc, store.save(dnsd::renderLedger(mine), &why)).has_value());
    auto cm = api.get(kCms, "l1net-dnsd-ledger");
    cm.as_object()["data"].as_object()["ledger.json"] = "{broken";
    cm.as_object()["metadata"].as_object().erase("resourceVersion");
    REQUIRE(api.request("PUT", std::string(kCms) + "/l1net-dnsd-ledger", json::serialize(cm)) ==
            200);
    CHECK_FALSE(run(ioc, store.save(dnsd::renderLedger(Ledger{}), &why)).has_value());
    CHECK(why.find("does not parse") != std::string::npos);
    CHECK(api.get(kCms, "l1net-dnsd-ledger").at("data").at("ledger.json") == "{broken");
  }
  SUBCASE("403: a clear error naming the ConfigMap") {
    api.forbid("get", "configmaps");
    std::string why;
    CHECK_FALSE(run(ioc, store.load(&why)).has_value());
    CHECK(why.find("configmap l1net-system/l1net-dnsd-ledger: HTTP 403 Forbidden") == 0);
  }
}

TEST_CASE(
    "Syncer with the ConfigMap ledger: a restart continues, no foreign delete, no "
    "duplicate create") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor());
  l1net::testing::FakePihole ph(ioc.get_executor());
  auto client = makeClient(ioc, api);
  ph.hosts() = {"192.0.2.50 manual.example.com"};  // foreign
  dnsd::DesiredRecords desired;
  desired.records = {a("app.example.com", "192.0.2.7")};
  desired.endpoints = 1;
  auto cycle = [&](const dnsd::DesiredRecords& d) {
    // A whole dnsd run: a fresh provider, store and Syncer (as after a restart).
    dnsd::PiholeProvider p(ioc.get_executor(),
                           {.url = ph.url(), .password = "correct horse", .timeout = 3s},
                           l1net::testing::quietLogger());
    auto store = makeStore(*client);
    l1net::metrics::Registry reg;
    dnsd::Syncer s({&p}, {.ledger_store = &store}, l1net::testing::quietLogger(), reg);
    auto rep = run(ioc, s.runCycle(d, 1));
    bool done = false;
    asio::co_spawn(ioc, p.shutdown(), [&](const std::exception_ptr&) { done = true; });
    REQUIRE(l1net::testing::runUntil(
        ioc, [&] { return done; }, 10s));
    return std::make_pair(rep, store.stats());
  };
  auto [r1, st1] = cycle(desired);
  CHECK(r1.ok);
  CHECK(r1.creates == 1);
  CHECK(st1.creates == 1);
  auto [r2, st2] = cycle(desired);  // restart: same desired state
  CHECK(r2.ok);
  CHECK(r2.creates == 0);
  CHECK(st2.creates == 0);
  CHECK(st2.updates == 0);  // nothing changed: nothing written
  CHECK(ph.hosts() ==
        std::vector<std::string>{"192.0.2.50 manual.example.com", "192.0.2.7 app.example.com"});
  auto [r3, st3] = cycle(dnsd::DesiredRecords{});  // the Service is gone
  CHECK(r3.ok);
  CHECK(r3.deletes == 1);
  CHECK(st3.updates == 1);
  CHECK(ph.hosts() == std::vector<std::string>{"192.0.2.50 manual.example.com"});
  for (const auto& [id, recs] : storedLedger(api).instances) {
    CHECK(recs.empty());  // the record dnsd owned is gone, and so is its ledger entry
  }
  CHECK(ph.liveSessions() == 0);
}
