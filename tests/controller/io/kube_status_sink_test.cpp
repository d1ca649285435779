// KubeStatusSink over a fake StatusWriter: what is written after a reconcile, nothing on a relist,
// failures retried with backoff and shown on /healthz, only the leader writes.
#include "l1net/controller/io/kube_status_sink.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include "l1net/controller/reconciler.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_until.hpp"

namespace ctl = l1net::controller;
namespace manifest = l1net::manifest;
using l1net::testing::runUntil;
using namespace std::chrono_literals;

namespace {

const char* const kPool = R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: l1net-system}
spec:
  addresses: [198.51.100.10-198.51.100.30]
)";

std::string svc(const std::string& name, const std::string& ip = "", const std::string& rv = "1") {
  std::string s = "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
                  "\n  namespace: default\n  resourceVersion: \"" + rv +
                  "\"\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n";
  if (!ip.empty()) {
    s += "status:\n  loadBalancer:\n    ingress: [{ip: " + ip + "}]\n";
    s = s.replace(s.find("  resourceVersion"), 0,
                  "  annotations: {metallb.io/ip-allocated-from-pool: lan}\n");
  }
  return s;
}

manifest::ManifestSet set(const std::string& yaml) {
  auto r = manifest::loadManifestText(yaml, "t.yaml");
  REQUIRE(r.ok());
  return std::move(r.set);
}

// Records every write as "VERB what body"; fails the next `fail` writes with a 403-like error.
class FakeWriter final : public ctl::StatusWriter {
 public:
  void patchServiceStatus(const std::string& ns, const std::string& name, boost::json::object patch,
                          Done done) override {
    finish("status " + ns + "/" + name + " " + boost::json::serialize(patch), done);
  }
  void patchService(const std::string& ns, const std::string& name, boost::json::object patch,
                    Done done) override {
    finish("service " + ns + "/" + name + " " + boost::json::serialize(patch), done);
  }
  void patchPoolStatus(const std::string& ns, const std::string& name, boost::json::object patch,
                       Done done) override {
    if (hold_pools) {  // answered later by the test, through `held`
      log.push_back("pool " + ns + "/" + name + " " + boost::json::serialize(patch));
      held.push_back(std::move(done));
      return;
    }
    finish("pool " + ns + "/" + name + " " + boost::json::serialize(patch), done);
  }
  void recordEvent(const ctl::EventWrite& e) override {
    log.push_back("event " + e.ns + "/" + e.name + " " + e.reason);
  }

  std::vector<std::string> log;
  int fail = 0;
  bool hold_pools = false;
  std::vector<Done> held;

 private:
  void finish(std::string what, const Done& done) {
    if (fail > 0) {
      --fail;
      log.push_back("FAILED " + what);
      done({false,
            "PATCH services default/web/status: 403 Forbidden: services \"web\" is "
            "forbidden: User \"system:serviceaccount:l1net-system:l1net\" cannot patch "
            "resource \"services/status\""});
      return;
    }
    log.push_back(what);
    done({true, ""});
  }
};

ctl::ReconcileResult reconcileOn(const manifest::ManifestSet& s,
                                 std::vector<manifest::Service> previous = {}) {
  return ctl::reconcile(ctl::makeInput(s, std::move(previous), std::nullopt));
}

}  // namespace

TEST_CASE("KubeStatusSink writes what the reconcile changed, and nothing on a relist") {
  boost::asio::io_context ioc;
  FakeWriter w;
  ctl::KubeStatusSink sink(ioc.get_executor(), w, l1net::testing::quietLogger());
  CHECK(sink.previous().value().empty());  // the API is the state
  const auto observed = set(std::string(kPool) + svc("web"));
  sink.publish(reconcileOn(observed), observed);
  CHECK(
      w.log ==
      std::vector<std::string>{
          "event default/web IPAllocated",
          R"(status default/web {"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.10"}]}}})",
          R"(service default/web {"metadata":{"annotations":{"metallb.io/ip-allocated-from-pool":"lan"}}})",
          R"(pool l1net-system/lan {"status":{"assignedIPv4":1,"assignedIPv6":0,"availableIPv4":20,"availableIPv6":0}})"});
  CHECK(sink.healthProblem().empty());
  // The informer shows the writes (relist): nothing more is written.
  w.log.clear();
  const auto relisted = set(std::string(kPool) + svc("web", "198.51.100.10", "2"));
  sink.publish(reconcileOn(relisted), relisted);
  CHECK(w.log.empty());
}

TEST_CASE("KubeStatusSink: a restarted controller against the API's state writes no Service") {
  boost::asio::io_context ioc;
  FakeWriter w;
  ctl::KubeStatusSink sink(ioc.get_executor(), w, l1net::testing::quietLogger());
  const auto observed =
      set(std::string(kPool) + svc("a", "198.51.100.20", "7") + svc("b", "198.51.100.11", "8"));
  const auto result = reconcileOn(observed);
  CHECK(result.find("default/a")->ips == std::vector<std::string>{"198.51.100.20"});
  CHECK(result.find("default/b")->ips == std::vector<std::string>{"198.51.100.11"});
  sink.publish(result, observed);
  // Only the pool status (the sink cannot know what the pool's status showed before).
  REQUIRE(w.log.size() == 1);
  CHECK(w.log[0].starts_with("pool l1net-system/lan "));
}

TEST_CASE("KubeStatusSink retries a failed write with backoff and names it on /healthz") {
  boost::asio::io_context ioc;
  FakeWriter w;
  w.fail = 2;
  ctl::KubeStatusSink sink(ioc.get_executor(), w, l1net::testing::quietLogger(),
                           {.ns = "l1net-system", .retry_initial = 5ms, .retry_max = 20ms});
  const auto observed = set(std::string(kPool) + svc("web"));
  sink.publish(reconcileOn(observed), observed);
  CHECK(sink.failures() == 2);
  const auto problem = sink.healthProblem();
  CHECK(problem.find("of Service default/web failed") != std::string::npos);
  CHECK(problem.find("(and 1 more writes)") != std::string::npos);
  CHECK(problem.find("403 Forbidden") != std::string::npos);
  CHECK(problem.find("cannot patch resource \"services/status\"") != std::string::npos);
  REQUIRE(runUntil(
      ioc, [&] { return sink.healthProblem().empty(); }, 5s));
  // The retry sent the failed writes again (and only those), the Event not twice.
  std::size_t status_ok = 0;
  std::size_t events = 0;
  for (const auto& l : w.log) {
    status_ok += l.starts_with("status default/web") ? 1U : 0U;
    events += l.starts_with("event ") ? 1U : 0U;
  }
  CHECK(status_ok == 1);
  CHECK(events == 1);
}

TEST_CASE("KubeStatusSink: only the leader writes") {
  boost::asio::io_context ioc;
  FakeWriter w;
  ctl::KubeStatusSink sink(ioc.get_executor(), w, l1net::testing::quietLogger(),
                           {.ns = "l1net-system", .leading = false});
  const auto observed = set(std::string(kPool) + svc("web"));
  sink.publish(reconcileOn(observed), observed);
  CHECK(w.log.empty());
  sink.setLeading(true);  // takes over: the newest result is written
  CHECK(w.log.size() == 4);
  sink.setLeading(false);
  w.log.clear();
  const auto two = set(std::string(kPool) + svc("web") + svc("zz"));
  sink.publish(reconcileOn(two), two);
  CHECK(w.log.empty());
}

TEST_CASE("KubeStatusSink: one status write per pool at a time, then the newest counts") {
  boost::asio::io_context ioc;
  FakeWriter w;
  w.hold_pools = true;
  ctl::KubeStatusSink sink(ioc.get_executor(), w, l1net::testing::quietLogger());
  const auto pool_writes = [&] {
    std::vector<std::string> out;
    for (const auto& l : w.log) {
      if (l.rfind("pool ", 0) == 0) {
        out.push_back(l);
      }
    }
    return out;
  };
  std::string objects = kPool;
  for (const auto* name : {"a", "b", "c"}) {  // three reconciles while the first write is out
    objects += svc(name);
    const auto observed = set(objects);
    sink.publish(reconcileOn(observed), observed);
  }
  REQUIRE(pool_writes().size() == 1);
  CHECK(pool_writes()[0].find(R"("assignedIPv4":1,)") != std::string::npos);
  REQUIRE(w.held.size() == 1);
  auto first = std::move(w.held.front());
  w.held.clear();
  first({true, ""});  // the write in flight ends: the newest counts follow, once
  REQUIRE(pool_writes().size() == 2);
  CHECK(pool_writes()[1].find(R"("assignedIPv4":3,)") != std::string::npos);
  REQUIRE(w.held.size() == 1);
  auto second = std::move(w.held.front());
  w.held.clear();
  second({true, ""});
  CHECK(pool_writes().size() == 2);  // nothing newer: no further write
  CHECK(sink.inFlight() == 0);
}
