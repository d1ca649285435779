// KubeStatusSink + ApiStatusWriter against the kube-apiserver fixture: a reconcile of Services
// read from the API ends with IPs in their status, the pool annotation, IPAllocated Events and the
// IPAddressPool's status counts; a relist writes nothing; a 403 is reported naming the verb and
// the resource.
#include "l1net/controller/kube/api_status_writer.hpp"

#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "l1net/controller/io/kube_status_sink.hpp"
#include "l1net/controller/reconciler.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/kubeapi/writes.hpp"
#include "l1net/manifest/json.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_apiserver.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_until.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace ctl = l1net::controller;
namespace kube = l1net::kube;
namespace kubeapi = l1net::kubeapi;
namespace manifest = l1net::manifest;
using l1net::testing::FakeApiServer;
using l1net::testing::runUntil;
using namespace std::chrono_literals;

namespace {

const std::string kSvcs = "/api/v1/namespaces/default/services";
const std::string kPools = "/apis/metallb.io/v1beta1/namespaces/l1net-system/ipaddresspools";

struct Rig {
  asio::io_context ioc;
  FakeApiServer api{ioc.get_executor()};
  std::shared_ptr<kubeapi::ApiClient> client;
  std::unique_ptr<kubeapi::EventRecorder> events;
  std::unique_ptr<ctl::ApiStatusWriter> writer;
  std::unique_ptr<ctl::KubeStatusSink> sink;

  Rig() {
    kube::ClusterConfig cfg;
    cfg.scheme = "http";
    cfg.host = "127.0.0.1";
    cfg.port = std::to_string(api.port());
    client = kubeapi::ApiClient::create(ioc.get_executor(), cfg).value();
    events = std::make_unique<kubeapi::EventRecorder>(*client, "l1net-controller", "test-host",
                                                      l1net::testing::quietLogger());
    writer = std::make_unique<ctl::ApiStatusWriter>(ioc.get_executor(), *client, *events);
    sink = std::make_unique<ctl::KubeStatusSink>(
        ioc.get_executor(), *writer, l1net::testing::quietLogger(),
        ctl::KubeStatusSinkOptions{.ns = "l1net-system", .retry_initial = 20ms});
    REQUIRE(
        api.request(
            "POST", kPools,
            R"({"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool",)"
            R"("metadata":{"name":"lan"},"spec":{"addresses":["198.51.100.10-198.51.100.12"]}})") ==
        201);
  }

  void createService(const std::string& name) {
    REQUIRE(api.request("POST", kSvcs,
                        R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name +
                            R"("},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}})") == 201);
  }

  // The API's view, as an informer would deliver it.
  manifest::ManifestSet snapshot() {
    manifest::ManifestSet set;
    std::vector<manifest::Diagnostic> errors;
    std::vector<manifest::Diagnostic> warnings;
    for (const auto* coll : {&kPools, &kSvcs}) {
      for (auto item : api.list(*coll)) {
        manifest::decodeJsonDocument(item, "api", set, errors, warnings);
      }
    }
    REQUIRE(errors.empty());
    return set;
  }

  void publishAndSettle() {
    const auto set = snapshot();
    sink->publish(ctl::reconcile(ctl::makeInput(set, {}, std::nullopt)), set);
    REQUIRE(runUntil(
        ioc, [&] { return sink->inFlight() == 0 && events->pending() == 0; }, 10s));
  }

  std::string ip(const std::string& name) {
    const auto svc = api.get(kSvcs, name);
    const auto* ing = svc.at("status").as_object().if_contains("loadBalancer");
    if (ing == nullptr || !ing->as_object().contains("ingress")) {
      return "";
    }
    return std::string(ing->at("ingress").at(0).at("ip").as_string());
  }
};

}  // namespace

TEST_CASE("Kubernetes sink against the fixture: status, annotation, Events, pool status") {
  Rig r;
  r.createService("web");
  r.createService("db");
  r.publishAndSettle();
  CHECK(r.ip("db") == "198.51.100.10");
  CHECK(r.ip("web") == "198.51.100.11");
  CHECK(r.api.get(kSvcs, "web")
            .at("metadata")
            .at("annotations")
            .at("metallb.io/ip-allocated-from-pool") == "lan");
  int allocated = 0;
  for (const auto& e : r.api.list("/api/v1/namespaces/default/events")) {
    if (e.at("reason") == "IPAllocated") {
      ++allocated;
      CHECK(e.at("involvedObject").at("kind") == "Service");
    }
  }
  CHECK(allocated == 2);
  const auto pool = r.api.get(kPools, "lan");
  CHECK(pool.at("status").at("assignedIPv4") == 2);
  CHECK(pool.at("status").at("availableIPv4") == 1);
  CHECK(r.sink->healthProblem().empty());

  // A relist (the informer now shows every write): nothing is written.
  const auto writes = r.sink->writes();
  const auto rv = r.api.resourceVersion();
  r.publishAndSettle();
  CHECK(r.sink->writes() == writes);
  CHECK(r.api.resourceVersion() == rv);
}

TEST_CASE("Kubernetes sink against the fixture: a 403 names the verb and the resource") {
  Rig r;
  r.api.forbid("patch", "services");
  r.createService("web");
  r.publishAndSettle();
  CHECK(r.ip("web").empty());
  const auto problem = r.sink->healthProblem();
  CHECK(problem.find("PATCH services default/web") != std::string::npos);
  CHECK(problem.find("403") != std::string::npos);
  // Allowed again: the retry writes it without a new reconcile.
  r.api.allowAll();
  REQUIRE(runUntil(
      r.ioc, [&] { return r.ip("web") == "198.51.100.10"; }, 10s));
  REQUIRE(runUntil(
      r.ioc, [&] { return r.sink->healthProblem().empty(); }, 10s));
}
