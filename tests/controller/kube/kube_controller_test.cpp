// l1net-controller's Kubernetes mode (KubeController: informers -> ConfigGuard -> reconciler ->
// KubeStatusSink -> API writes, under leader election) against the kube-apiserver fixture, driven
// as a user would: objects created, changed and deleted through the API.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "l1net/controller/config_guard.hpp"
#include "l1net/controller/kube/kube_mode.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_apiserver.hpp"
#include "l1net/testing/run_until.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace ctl = l1net::controller;
namespace kube = l1net::kube;
namespace kubeapi = l1net::kubeapi;
using l1net::testing::FakeApiServer;
using l1net::testing::runUntil;
using namespace std::chrono_literals;

namespace {

const std::string kSvcs = "/api/v1/namespaces/default/services";
const std::string kPools = "/apis/metallb.io/v1beta1/namespaces/l1net-system/ipaddresspools";
const std::string kAds = "/apis/metallb.io/v1beta1/namespaces/l1net-system/l2advertisements";
constexpr auto kWait = 20s;  // generous: ASan and a loaded machine

struct Replica {
  std::shared_ptr<kubeapi::ApiClient> client;
  l1net::metrics::Registry registry;
  std::unique_ptr<ctl::KubeController> ctl;
  int fatal = -1;
};

struct Rig {
  asio::io_context ioc;
  FakeApiServer api{ioc.get_executor(), {.bookmark_interval = 200ms}};
  std::map<std::string, std::unique_ptr<Replica>> replicas;

  Rig(const Rig&) = delete;
  Rig& operator=(const Rig&) = delete;
  ~Rig() {
    for (auto& [id, r] : replicas) {
      r->ctl->stop();
    }
    ioc.run_for(100ms);  // let the stopped coroutines unwind before their owners go
  }

  Rig() {
    createPool("lan", R"(["198.51.100.10-198.51.100.12"])");
    REQUIRE(api.request("POST", kAds,
                        R"({"apiVersion":"metallb.io/v1beta1","kind":"L2Advertisement",)"
                        R"("metadata":{"name":"lan"},"spec":{"ipAddressPools":["lan"]}})") == 201);
  }

  void createPool(const std::string& name, const std::string& addresses) {
    REQUIRE(api.request("POST", kPools,
                        R"({"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool",)"
                        R"("metadata":{"name":")" +
                            name + R"("},"spec":{"addresses":)" + addresses + "}}") == 201);
  }

  Replica& start(const std::string& id, bool leader_elect,
                 std::optional<std::string> lb_class = std::nullopt) {
    auto r = std::make_unique<Replica>();
    kube::ClusterConfig cfg;
    cfg.scheme = "http";
    cfg.host = "127.0.0.1";
    cfg.port = std::to_string(api.port());
    r->client = kubeapi::ApiClient::create(ioc.get_executor(), cfg).value();
    ctl::KubeControllerOptions o;
    o.leader_elect = leader_elect;
    o.lb_class = std::move(lb_class);
    o.election = {.identity = id, .lease_duration = 3s, .renew_deadline = 2s, .retry_period = 1s};
    o.write_retry_initial = 20ms;
    r->ctl = std::make_unique<ctl::KubeController>(ioc.get_executor(), r->client, o, r->registry);
    auto* raw = r.get();
    r->ctl->start([raw](int code) { raw->fatal = code; });
    auto& ref = *r;
    replicas[id] = std::move(r);
    return ref;
  }

  void createService(const std::string& name, const std::string& lb_class = "") {
    const std::string cls = lb_class.empty() ? "" : R"(,"loadBalancerClass":")" + lb_class + "\"";
    REQUIRE(api.request("POST", kSvcs,
                        R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name +
                            R"("},"spec":{"type":"LoadBalancer","ports":[{"port":80}])" + cls +
                            "}}") == 201);
  }

  std::string ip(const std::string& name) {
    const auto svc = api.get(kSvcs, name);
    if (svc.is_null()) {
      return "";
    }
    const auto* lb = svc.at("status").as_object().if_contains("loadBalancer");
    if (lb == nullptr || !lb->as_object().contains("ingress")) {
      return "";
    }
    return std::string(lb->at("ingress").at(0).at("ip").as_string());
  }

  std::string poolAnnotation(const std::string& name) {
    const auto svc = api.get(kSvcs, name);
    const auto* ann = svc.at("metadata").as_object().if_contains("annotations");
    if (ann == nullptr) {
      return "";
    }
    const auto* v = ann->as_object().if_contains("metallb.io/ip-allocated-from-pool");
    return v == nullptr ? "" : std::string(v->as_string());
  }

  int events(const std::string& ns, const std::string& reason, const std::string& involved) {
    int n = 0;
    for (const auto& e : api.list("/api/v1/namespaces/" + ns + "/events")) {
      if (e.at("reason") == reason.c_str() &&
          e.at("involvedObject").at("name") == involved.c_str()) {
        ++n;
      }
    }
    return n;
  }

  bool until(const std::function<bool()>& pred, std::chrono::milliseconds t = kWait) {
    return runUntil(ioc, pred, t);
  }

  // Runs until every replica has no write in flight and the fixture is quiet for `quiet`.
  void settle(std::chrono::milliseconds quiet = 500ms) {
    auto rv = api.resourceVersion();
    auto since = std::chrono::steady_clock::now();
    REQUIRE(until([&] {
      for (const auto& [id, r] : replicas) {
        if (r->ctl && r->ctl->inFlight() != 0) {
          since = std::chrono::steady_clock::now();
        }
      }
      if (api.resourceVersion() != rv) {
        rv = api.resourceVersion();
        since = std::chrono::steady_clock::now();
      }
      return std::chrono::steady_clock::now() - since > quiet;
    }));
  }
};

}  // namespace

TEST_CASE("kubernetes mode: create -> IP, annotation, Event, pool status; delete -> IP reused") {
  Rig r;
  auto& c = r.start("c1", false);
  r.createService("web");
  REQUIRE(r.until([&] { return r.ip("web") == "198.51.100.10"; }));
  REQUIRE(r.until([&] { return r.poolAnnotation("web") == "lan"; }));
  REQUIRE(r.until([&] { return r.events("default", "IPAllocated", "web") == 1; }));
  REQUIRE(r.until([&] {
    const auto pool = r.api.get(kPools, "lan");
    const auto* st = pool.as_object().if_contains("status");
    return st != nullptr && st->as_object().contains("assignedIPv4") &&
           st->at("assignedIPv4") == 1 && st->at("availableIPv4") == 2;
  }));
  CHECK(c.fatal == -1);
  CHECK(c.ctl->healthProblem().empty());

  r.createService("db");
  REQUIRE(r.until([&] { return r.ip("db") == "198.51.100.11"; }));
  REQUIRE(r.api.request("DELETE", kSvcs + "/web", "") == 200);
  r.createService("zz");  // sorts after db: gets the lowest free address, web's
  REQUIRE(r.until([&] { return r.ip("zz") == "198.51.100.10"; }));
  CHECK(r.ip("db") == "198.51.100.11");
}

TEST_CASE("kubernetes mode: a 409 on the status patch is re-read and retried") {
  Rig r;
  int status_patches = 0;
  int budget = 2;
  r.api.beforeHandle([&](const std::string& method, const std::string& target) {
    if (method == "PATCH" && target.starts_with(kSvcs + "/web/status")) {
      ++status_patches;
      if (budget > 0) {  // a competing writer moves the resourceVersion first: 409
        --budget;
        REQUIRE(r.api.request("PATCH", kSvcs + "/web",
                              R"({"metadata":{"labels":{"n":")" + std::to_string(budget) + "\"}}}",
                              nullptr, "application/merge-patch+json") == 200);
      }
    }
  });
  r.start("c1", false);
  r.createService("web");
  REQUIRE(r.until([&] { return r.ip("web") == "198.51.100.10"; }));
  CHECK(status_patches >= 3);  // two conflicts, then the write that landed
  CHECK(budget == 0);
  r.settle();
  CHECK(r.replicas["c1"]->ctl->healthProblem().empty());
}

TEST_CASE("kubernetes mode: only the leader writes; killing it hands over, no IP moves") {
  Rig r;
  auto& a = r.start("a", true);
  REQUIRE(r.until([&] { return a.ctl->leading(); }));
  auto& b = r.start("b", true);
  r.createService("web1");
  r.createService("web2");
  REQUIRE(r.until([&] { return !r.ip("web1").empty() && !r.ip("web2").empty(); }));
  r.settle();
  REQUIRE(r.until([&] { return b.ctl->reconciled(); }));
  CHECK(a.ctl->writes() > 0);
  CHECK(b.ctl->writes() == 0);  // the follower reconciles but writes nothing
  CHECK_FALSE(b.ctl->leading());
  const auto ip1 = r.ip("web1");
  const auto ip2 = r.ip("web2");

  a.ctl->stop(false);  // as a crash: the Lease is not released, it must run out
  REQUIRE(r.until([&] { return b.ctl->leading(); }));
  r.createService("aaa");  // sorts first: a controller that ignored the status would shuffle
  REQUIRE(r.until([&] { return r.ip("aaa") == "198.51.100.12"; }));
  CHECK(r.ip("web1") == ip1);
  CHECK(r.ip("web2") == ip2);
  CHECK(b.ctl->writes() > 0);
}

TEST_CASE("kubernetes mode: a restart moves no IP") {
  Rig r;
  r.start("c1", false);
  r.createService("web1");
  r.createService("web2");
  REQUIRE(r.until([&] { return !r.ip("web1").empty() && !r.ip("web2").empty(); }));
  r.settle();
  r.replicas["c1"]->ctl->stop();
  const auto ip1 = r.ip("web1");
  const auto ip2 = r.ip("web2");
  // While no controller runs: web1 is deleted, "aaa" (sorts first) created.
  REQUIRE(r.api.request("DELETE", kSvcs + "/web1", "") == 200);
  r.createService("aaa");
  const auto rv = r.api.resourceVersion();
  auto& c2 = r.start("c2", false);
  REQUIRE(r.until([&] { return !r.ip("aaa").empty(); }));
  CHECK(r.ip("web2") == ip2);
  CHECK(r.ip("aaa") == ip1);  // web1's address was freed by its delete
  r.settle();
  CHECK(c2.fatal == -1);
  (void)rv;
}

TEST_CASE("kubernetes mode: watch expiry and relist move no IP and rewrite nothing") {
  Rig r;
  auto& c = r.start("c1", false);
  r.createService("web1");
  r.createService("web2");
  REQUIRE(r.until([&] { return !r.ip("web1").empty() && !r.ip("web2").empty(); }));
  r.settle();
  const auto ip1 = r.ip("web1");
  const auto ip2 = r.ip("web2");
  const auto writes = c.ctl->writes();
  const auto lists = r.api.listsServed();
  // The global resourceVersion moves past what the informers saw (a ConfigMap they do not watch),
  // history is compacted and the watches end before a bookmark could tell them: each re-watch is
  // answered 410 Expired and the informer relists.
  REQUIRE(r.api.request("POST", "/api/v1/namespaces/default/configmaps",
                        R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})") ==
          201);
  r.api.compact();
  r.api.endWatches();
  REQUIRE(r.until([&] { return r.api.listsServed() >= lists + 4; }));
  r.settle();
  CHECK(r.ip("web1") == ip1);
  CHECK(r.ip("web2") == ip2);
  CHECK(c.ctl->writes() == writes);  // the relist showed nothing new: nothing is written
  r.createService("aaa");
  REQUIRE(r.until([&] { return r.ip("aaa") == "198.51.100.12"; }));
  CHECK(r.ip("web1") == ip1);
  CHECK(r.ip("web2") == ip2);
}

TEST_CASE("kubernetes mode: an invalid pool is rejected with an Event; the last valid one stays") {
  Rig r;
  auto& c = r.start("c1", false);
  r.createService("web");
  REQUIRE(r.until([&] { return r.ip("web") == "198.51.100.10"; }));
  REQUIRE(r.api.request("PATCH", kPools + "/lan", R"({"spec":{"addresses":["198.51.100.300/24"]}})",
                        nullptr, "application/merge-patch+json") == 200);
  REQUIRE(r.until([&] {
    return r.events("l1net-system", std::string(ctl::kInvalidConfigReason), "lan") == 1;
  }));
  const auto ev = r.api.list("/api/v1/namespaces/l1net-system/events");
  bool warned = false;
  for (const auto& e : ev) {
    if (e.at("reason") == ctl::kInvalidConfigReason.data()) {
      warned = e.at("type") == "Warning" && e.at("involvedObject").at("kind") == "IPAddressPool" &&
               json::value_to<std::string>(e.at("message")).find("198.51.100.300/24") !=
                   std::string::npos;
    }
  }
  CHECK(warned);
  // The pool's status says why (a Valid=False condition), next to its counts.
  const auto valid = [&]() -> std::string {
    const auto pool = r.api.get(kPools, "lan");
    const auto* st = pool.is_object() ? pool.as_object().if_contains("status") : nullptr;
    const auto* conds =
        st != nullptr && st->is_object() ? st->as_object().if_contains("conditions") : nullptr;
    if (conds == nullptr || !conds->is_array() || conds->as_array().empty()) {
      return "";
    }
    const auto& cond = conds->as_array()[0].as_object();
    return json::value_to<std::string>(cond.at("type")) + "=" +
           json::value_to<std::string>(cond.at("status")) + " " +
           json::value_to<std::string>(cond.at("message"));
  };
  REQUIRE(r.until([&] { return valid().rfind("Valid=False ", 0) == 0; }));
  CHECK(valid().find("198.51.100.300/24") != std::string::npos);
  REQUIRE(r.until([&] { return !c.ctl->healthProblem().empty(); }));
  CHECK(c.ctl->healthProblem().find("IPAddressPool l1net-system/lan") != std::string::npos);
  // The last valid pool is in force: web keeps its IP, a new Service gets one from it.
  r.createService("db");
  REQUIRE(r.until([&] { return r.ip("db") == "198.51.100.11"; }));
  CHECK(r.ip("web") == "198.51.100.10");
  // Fixed: healthy again, the fixed pool is used.
  REQUIRE(r.api.request("PATCH", kPools + "/lan",
                        R"({"spec":{"addresses":["198.51.100.10-198.51.100.13"]}})", nullptr,
                        "application/merge-patch+json") == 200);
  REQUIRE(r.until([&] { return c.ctl->healthProblem().empty(); }));
  CHECK(r.ip("web") == "198.51.100.10");
  REQUIRE(r.until([&] { return valid().rfind("Valid=True", 0) == 0; }));
}

TEST_CASE("kubernetes mode: an invalid pool at start clears no IP") {
  Rig r;
  r.createService("web");
  REQUIRE(r.api.request("PATCH", kSvcs + "/web/status",
                        R"({"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.11"}]}}})",
                        nullptr, "application/merge-patch+json") == 200);
  REQUIRE(r.api.request("PATCH", kPools + "/lan", R"({"spec":{"addresses":["nonsense"]}})", nullptr,
                        "application/merge-patch+json") == 200);
  auto& c = r.start("c1", false);
  REQUIRE(r.until([&] {
    return r.events("l1net-system", std::string(ctl::kInvalidConfigReason), "lan") == 1;
  }));
  r.settle();
  CHECK(c.ctl->reconciles() == 0);  // nothing valid yet: nothing reconciled, nothing cleared
  CHECK(r.ip("web") == "198.51.100.11");
  REQUIRE(r.api.request("PATCH", kPools + "/lan",
                        R"({"spec":{"addresses":["198.51.100.10-198.51.100.12"]}})", nullptr,
                        "application/merge-patch+json") == 200);
  REQUIRE(r.until([&] { return c.ctl->reconciles() > 0; }));
  r.settle();
  CHECK(r.ip("web") == "198.51.100.11");
  CHECK(r.poolAnnotation("web") == "lan");
}

TEST_CASE("kubernetes mode: --lb-class as MetalLB (no class = only Services without one)") {
  struct Case {
    const char* name;
    std::optional<std::string> lb_class;
    std::string served;  // the Service that gets an IP
    std::string ignored;
  };
  const std::vector<Case> cases = {
      {"no --lb-class: class-less Services only", std::nullopt, "plain", "classy"},
      {"--lb-class example.com/l1net: that class only", "example.com/l1net", "classy", "plain"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Rig r;
      r.start("c1", false, c.lb_class);
      r.createService("plain");
      r.createService("classy", "example.com/l1net");
      REQUIRE(r.until([&] { return r.ip(c.served) == "198.51.100.10"; }));
      r.settle();
      CHECK(r.ip(c.ignored).empty());
      CHECK(r.poolAnnotation(c.ignored).empty());
    }
  }
}
