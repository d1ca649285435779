// L2StatusPublisher against the kube-apiserver fixture (FakeApiServer): the fixture's own rules
// for ServiceL2Status (generateName, status subresource, merge patches, 404s, Event validation)
// decide whether what the publisher sends is right. Requests go through the fixture's request()
// (no HTTP here: the HTTP path is exercised by the speaker's Kubernetes-mode tests); while the
// fixture is stopped they fail as refused connections, as the API client reports them.
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "l1net/speaker/io/l2_status_publisher.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_apiserver.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_until.hpp"

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using l1net::speaker::AnnouncedService;
using l1net::speaker::ApiReply;
using l1net::speaker::L2StatusPublisher;
using l1net::testing::FakeApiServer;

constexpr const char* kColl = "/apis/metallb.io/v1beta1/namespaces/l1net-system/servicel2statuses";

class FixtureStatusApi final : public l1net::speaker::StatusApi {
 public:
  explicit FixtureStatusApi(FakeApiServer& s) : server_(s) {}
  boost::asio::awaitable<l1net::Result<ApiReply>> call(std::string method, std::string target,
                                                       json::value body,
                                                       std::string content_type) override {
    co_return handle(method, target, body, content_type);
  }

 private:
  l1net::Result<ApiReply> handle(const std::string& method, const std::string& target,
                                 const json::value& body, const std::string& content_type) {
    if (!server_.running()) {
      return boost::system::error_code(boost::asio::error::connection_refused);
    }
    std::string out;
    const auto status =
        server_.request(method, target, body.is_null() ? "" : json::serialize(body), &out,
                        content_type.empty() ? "application/json" : content_type);
    boost::system::error_code ec;
    auto parsed = json::parse(out, ec);
    return ApiReply{status, ec ? json::value() : std::move(parsed)};
  }

  FakeApiServer& server_;
};

}  // namespace

TEST_CASE(
    "L2StatusPublisher against the API fixture: create, status, owner, Event, withdraw, "
    "outage") {
  boost::asio::io_context ioc;
  FakeApiServer server(ioc.get_executor());
  FixtureStatusApi api(server);
  for (const char* ns : {"l1net-system", "demo"}) {
    REQUIRE(server.request(
                "POST", "/api/v1/namespaces",
                std::string(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")") + ns +
                    R"("}})") == 201);
  }
  REQUIRE(server.request("POST", "/api/v1/namespaces/demo/services",
                         R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web",)"
                         R"("namespace":"demo"},"spec":{"type":"LoadBalancer"}})") == 201);
  const auto svc_uid = std::string(
      server.get("/api/v1/namespaces/demo/services", "web").at("metadata").at("uid").as_string());
  L2StatusPublisher pub(
      ioc.get_executor(), api,
      {.node = "node-a",
       .ns = "l1net-system",
       .owner = {"l1net-speaker-aaaaa", "pod-uid-a"},
       .backoff_min = 20ms,
       .backoff_max = 50ms,
       .service_uid =
           [&](std::string_view ns, std::string_view name) {
             const auto s = server.get("/api/v1/namespaces/" + std::string(ns) + "/services",
                                       std::string(name));
             return s.is_null() ? std::string()
                                : std::string(s.at("metadata").at("uid").as_string());
           }},
      l1net::testing::quietLogger("status"));
  pub.start();
  const auto settle = [&] {
    return l1net::testing::runUntil(
        ioc, [&] { return pub.inSync(); }, 3s);
  };

  pub.setAnnounced({{"demo", "web", {"eth1"}}});
  REQUIRE(settle());
  auto items = server.list(kColl);
  REQUIRE(items.size() == 1);
  const auto& o = items[0].as_object();
  CHECK(o.at("metadata").at("name").as_string().starts_with("l2-"));
  CHECK(json::serialize(o.at("metadata").at("labels")) ==
        R"({"metallb.io/node":"node-a","metallb.io/service-name":"web",)"
        R"("metallb.io/service-namespace":"demo"})");
  CHECK(o.at("metadata").at("ownerReferences").at(0).at("uid") == "pod-uid-a");
  CHECK(o.at("metadata").at("ownerReferences").at(0).at("kind") == "Pod");
  CHECK(json::serialize(o.at("status")) ==
        R"({"node":"node-a","serviceName":"web","serviceNamespace":"demo",)"
        R"("interfaces":[{"name":"eth1"}]})");
  auto events = server.list("/api/v1/namespaces/demo/events");
  REQUIRE(events.size() == 1);
  CHECK(events[0].at("reason") == "nodeAssigned");
  CHECK(events[0].at("involvedObject").at("uid").as_string() == svc_uid);
  CHECK(events[0].at("message") == "announcing from node \"node-a\" with protocol \"layer2\"");

  // Interfaces no longer restricted: the status patch removes them.
  pub.setAnnounced({{"demo", "web", {}}});
  REQUIRE(settle());
  items = server.list(kColl);
  REQUIRE(items.size() == 1);
  CHECK_FALSE(items[0].at("status").as_object().contains("interfaces"));

  // The API server away: the publisher keeps trying, nothing is lost.
  server.stop();
  pub.setAnnounced({});
  l1net::testing::runUntil(
      ioc, [] { return false; }, 200ms);
  CHECK_FALSE(pub.inSync());
  CHECK(pub.stats().failures >= 2);
  CHECK(server.list(kColl).size() == 1);
  server.start();
  REQUIRE(settle());
  CHECK(server.list(kColl).empty());  // withdrawn: deleted once the API server is back
  CHECK(server.list("/api/v1/namespaces/demo/events").size() == 1);  // no Event for a withdraw
  pub.stop();
}
