// L2StatusPublisher over an in-memory StatusApi that keeps the API server's rules for this
// resource: generateName, the status subresource (status dropped on POST, only status taken on
// PATCH .../status), merge patches (null removes a field), 404 on DELETE of a missing object.
#include "l1net/speaker/io/l2_status_publisher.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_until.hpp"

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using l1net::speaker::AnnouncedService;
using l1net::speaker::ApiReply;
using l1net::speaker::L2StatusPublisher;

constexpr std::string_view kColl =
    "/apis/metallb.io/v1beta1/namespaces/l1net-system/servicel2statuses";

void mergePatch(json::object& target, const json::object& patch) {
  for (const auto& [k, v] : patch) {
    if (v.is_null()) {
      target.erase(k);
    } else if (v.is_object() && target.contains(k) && target.at(k).is_object()) {
      mergePatch(target.at(k).as_object(), v.get_object());
    } else {
      target[k] = v;
    }
  }
}

class FakeStatusApi final : public l1net::speaker::StatusApi {
 public:
  std::map<std::string, json::object> objects;  // name -> object
  std::vector<json::object> events;
  std::vector<std::string> log;  // "METHOD target"
  bool down = false;             // every call fails as a refused connection
  int next_name = 0;

  boost::asio::awaitable<l1net::Result<ApiReply>> call(std::string method, std::string target,
                                                       json::value body,
                                                       std::string /*content_type*/) override {
    co_return handle(method, target, body);
  }

  void add(const std::string& name, json::object o) {
    o["metadata"].as_object()["name"] = name;
    objects[name] = std::move(o);
  }

 private:
  l1net::Result<ApiReply> handle(const std::string& method, const std::string& target,
                                 const json::value& body) {
    if (down) {
      return boost::system::error_code(boost::asio::error::connection_refused);
    }
    log.push_back(method + " " + target);
    if (target.ends_with("/events") && method == "POST") {
      events.push_back(body.as_object());
      return ApiReply{201, body};
    }
    if (target == kColl && method == "GET") {
      json::array items;
      for (const auto& [n, o] : objects) {
        items.push_back(o);
      }
      return ApiReply{200, json::object{{"kind", "ServiceL2StatusList"}, {"items", items}}};
    }
    if (target == kColl && method == "POST") {
      auto o = body.as_object();
      const auto name = std::string(o["metadata"].as_object()["generateName"].as_string()) +
                        std::to_string(next_name++);
      o["metadata"].as_object()["name"] = name;
      o["metadata"].as_object().erase("generateName");
      o.erase("status");  // status subresource: ignored on the main resource
      objects[name] = o;
      return ApiReply{201, o};
    }
    const auto rest = target.substr(kColl.size() + 1);
    const bool status = rest.ends_with("/status");
    const auto name = status ? rest.substr(0, rest.size() - 7) : rest;
    const auto it = objects.find(name);
    if (it == objects.end()) {
      return ApiReply{404, json::object{{"kind", "Status"}, {"message", "not found"}}};
    }
    if (method == "DELETE") {
      auto o = it->second;
      objects.erase(it);
      return ApiReply{200, o};
    }
    if (method == "PATCH") {
      auto patch = body.as_object();
      if (status) {
        json::object only{{"status", patch["status"]}};
        mergePatch(it->second, only);
      } else {
        patch.erase("status");
        mergePatch(it->second, patch);
      }
      return ApiReply{200, it->second};
    }
    return ApiReply{405, nullptr};
  }
};

struct Fixture {
  boost::asio::io_context ioc;
  FakeStatusApi api;
  L2StatusPublisher pub{ioc.get_executor(), api,
                        L2StatusPublisher::Options{.node = "n1",
                                                   .ns = "l1net-system",
                                                   .owner = {"sp-n1", "pod-uid-1"},
                                                   .resync = 60s,
                                                   .backoff_min = 20ms,
                                                   .backoff_max = 40ms,
                                                   .service_uid =
                                                       [](std::string_view, std::string_view name) {
                                                         return "uid-" + std::string(name);
                                                       }},
                        l1net::testing::quietLogger("status")};

  bool settle() {
    return l1net::testing::runUntil(
        ioc, [&] { return pub.inSync(); }, 2s);
  }
  [[nodiscard]] std::vector<json::object> ours() const {
    std::vector<json::object> out;
    for (const auto& [n, o] : api.objects) {
      out.push_back(o);
    }
    return out;
  }
};

std::string str(const json::value& v) { return json::serialize(v); }

}  // namespace

TEST_CASE(
    "L2StatusPublisher: announce creates the object and a nodeAssigned Event; withdraw "
    "deletes it") {
  Fixture f;
  f.pub.start();
  f.pub.setAnnounced({{"default", "web", {"eth1"}}});
  REQUIRE(f.settle());
  REQUIRE(f.api.objects.size() == 1);
  const auto& o = f.api.objects.begin()->second;
  CHECK(str(o.at("metadata").at("labels")) ==
        R"({"metallb.io/node":"n1","metallb.io/service-name":"web",)"
        R"("metallb.io/service-namespace":"default"})");
  CHECK(str(o.at("metadata").at("ownerReferences")) ==
        R"([{"apiVersion":"v1","kind":"Pod","name":"sp-n1","uid":"pod-uid-1"}])");
  CHECK(str(o.at("status")) == R"({"node":"n1","serviceName":"web","serviceNamespace":"default",)"
                               R"("interfaces":[{"name":"eth1"}]})");
  CHECK(o.at("metadata").at("name").as_string().starts_with("l2-"));
  REQUIRE(f.api.events.size() == 1);
  CHECK(f.api.events[0].at("reason") == "nodeAssigned");
  CHECK(f.api.events[0].at("involvedObject").at("uid") == "uid-web");
  CHECK(f.api.events[0].at("metadata").at("namespace") == "default");

  // Interfaces change: patched in place, no new Event.
  f.pub.setAnnounced({{"default", "web", {}}});
  REQUIRE(f.settle());
  REQUIRE(f.api.objects.size() == 1);
  CHECK_FALSE(f.api.objects.begin()->second.at("status").as_object().contains("interfaces"));
  CHECK(f.api.events.size() == 1);

  f.pub.setAnnounced({});
  REQUIRE(f.settle());
  CHECK(f.api.objects.empty());
  CHECK(f.pub.stats().deleted == 1);
  f.pub.stop();
}

TEST_CASE(
    "L2StatusPublisher: API unreachable -> nothing lost; reconciled and Events sent when "
    "it returns") {
  Fixture f;
  f.pub.start();
  f.pub.setAnnounced({{"default", "web", {}}});
  REQUIRE(f.settle());
  f.api.down = true;
  f.pub.setAnnounced({{"apps", "api", {}}});  // web withdrawn, api gained, during the outage
  l1net::testing::runUntil(
      f.ioc, [] { return false; }, 200ms);
  CHECK(f.pub.stats().failures >= 2);  // retried with backoff meanwhile
  CHECK_FALSE(f.pub.inSync());
  REQUIRE(f.api.objects.size() == 1);  // the API saw nothing
  f.api.down = false;
  REQUIRE(f.settle());
  REQUIRE(f.api.objects.size() == 1);
  CHECK(f.api.objects.begin()->second.at("status").at("serviceName") == "api");
  REQUIRE(f.api.events.size() == 2);
  CHECK(f.api.events[1].at("involvedObject").at("name") == "api");
  f.pub.stop();
}

TEST_CASE(
    "L2StatusPublisher: takes over another node's object, fixes an old pod's, leaves "
    "foreign ones") {
  Fixture f;
  const auto make = [](const char* node, const char* svc, const char* owner_uid) {
    return json::object{
        {"metadata",
         json::object{{"labels", json::object{{"metallb.io/node", node},
                                              {"metallb.io/service-name", svc},
                                              {"metallb.io/service-namespace", "default"}}},
                      {"ownerReferences", json::array{json::object{{"uid", owner_uid}}}}}},
        {"status",
         json::object{{"node", node}, {"serviceName", svc}, {"serviceNamespace", "default"}}}};
  };
  f.api.add("l2-old", make("n2", "web", "pod-n2"));      // n2 announced web before
  f.api.add("l2-mine", make("n1", "db", "pod-old"));     // ours, from the previous pod
  f.api.add("l2-other", make("n2", "cache", "pod-n2"));  // n2's, a service we do not announce
  f.api.add("l2-foreign", json::object{{"metadata", json::object{}}});  // not labelled: not ours
  f.pub.start();
  f.pub.setAnnounced({{"default", "db", {}}, {"default", "web", {}}});
  REQUIRE(f.settle());
  CHECK_FALSE(f.api.objects.contains("l2-old"));
  REQUIRE(f.api.objects.contains("l2-mine"));
  CHECK(f.api.objects.at("l2-mine").at("metadata").at("ownerReferences").at(0).at("uid") ==
        "pod-uid-1");
  CHECK(f.api.objects.contains("l2-other"));
  CHECK(f.api.objects.contains("l2-foreign"));
  CHECK(f.api.objects.size() == 4);  // web's new object replaces l2-old
  f.pub.stop();
}
