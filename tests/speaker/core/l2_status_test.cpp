#include "l1net/speaker/l2_status.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "l1net/testing/doctest.hpp"

namespace {

namespace json = boost::json;
using l1net::speaker::AnnouncedService;
using l1net::speaker::Announcement;
using l1net::speaker::Announcements;
using l1net::speaker::L2StatusObject;
using l1net::speaker::L2StatusPlan;
using l1net::speaker::OwnerPod;

const OwnerPod kOwner{"l1net-speaker-abcde", "uid-self"};

L2StatusObject obj(std::string name, std::string node, std::string ns, std::string svc,
                   std::vector<std::string> ifs = {}, std::string owner_uid = "uid-self") {
  L2StatusObject o;
  o.name = std::move(name);
  o.label_node = node;
  o.label_service_name = svc;
  o.label_service_namespace = ns;
  o.node = std::move(node);
  o.service_name = std::move(svc);
  o.service_namespace = std::move(ns);
  o.interfaces = std::move(ifs);
  o.owner_uids = {std::move(owner_uid)};
  return o;
}

Announcement ann(std::set<std::string> services, std::vector<std::string> restriction,
                 std::vector<int> ifindexes) {
  Announcement a;
  a.services = std::move(services);
  a.restriction = std::move(restriction);
  a.choice.ifindexes = std::move(ifindexes);
  return a;
}

l1net::net::IpAddress ip(const char* text) { return l1net::net::parseIp(text).value(); }

}  // namespace

TEST_CASE("announcedServices") {
  Announcements a;
  a[ip("192.0.2.10")] = ann({"default/web"}, {}, {2});
  a[ip("2001:db8::10")] = ann({"default/web"}, {"eth1"}, {3});  // dual stack: one any -> any
  a[ip("192.0.2.11")] = ann({"apps/api", "apps/api2"}, {"eth1"}, {2});  // shared IP
  a[ip("192.0.2.12")] = ann({"apps/api"}, {"eth0"}, {2});
  a[ip("192.0.2.13")] = ann({"apps/down"}, {}, {});  // no interface chosen: not announced
  const std::vector<AnnouncedService> want = {
      {"apps", "api", {"eth0", "eth1"}},
      {"apps", "api2", {"eth1"}},
      {"default", "web", {}},
  };
  CHECK(l1net::speaker::announcedServices(a) == want);
}

TEST_CASE("planL2Statuses") {
  struct Case {
    const char* name;
    std::vector<AnnouncedService> announced;
    std::vector<L2StatusObject> observed;
    L2StatusPlan want;
  };
  const AnnouncedService web{"default", "web", {}};
  const AnnouncedService web_eth1{"default", "web", {"eth1"}};
  const AnnouncedService api{"apps", "api", {}};
  auto unlabelled = obj("l2-x", "self", "default", "web");
  unlabelled.label_service_name.clear();
  const std::vector<Case> cases = {
      {"nothing announced, nothing there", {}, {}, {}},
      {"a new announcement creates", {web}, {}, {.create = {web}}},
      {"an up-to-date object is left alone", {web}, {obj("l2-a", "self", "default", "web")}, {}},
      {"withdrawn: our object is deleted",
       {},
       {obj("l2-a", "self", "default", "web")},
       {.remove = {"l2-a"}}},
      {"another node's object for a service we do not announce is theirs",
       {},
       {obj("l2-b", "other", "default", "web")},
       {}},
      {"another node's object for a service we announce goes (MetalLB)",
       {web},
       {obj("l2-b", "other", "default", "web")},
       {.create = {web}, .remove = {"l2-b"}}},
      {"duplicates of ours: the first by name is kept",
       {web},
       {obj("l2-c", "self", "default", "web"), obj("l2-a", "self", "default", "web")},
       {.remove = {"l2-c"}}},
      {"interfaces changed: status patched",
       {web_eth1},
       {obj("l2-a", "self", "default", "web")},
       {.set_status = {{"l2-a", web_eth1}}}},
      {"left by an earlier pod (container restart keeps it, a new pod does not): owner fixed",
       {web},
       {obj("l2-a", "self", "default", "web", {}, "uid-old")},
       {.set_meta = {{"l2-a", web}}}},
      {"created but status never set (patch failed): status patched",
       {api},
       {[] {
         auto o = obj("l2-a", "self", "apps", "api");
         o.node.clear();
         o.service_name.clear();
         o.service_namespace.clear();
         return o;
       }()},
       {.set_status = {{"l2-a", api}}}},
      {"objects without the three labels are never touched", {}, {unlabelled}, {}},
      {"several at once",
       {api, web},
       {obj("l2-z", "self", "default", "gone"), obj("l2-y", "self", "default", "web")},
       {.create = {api}, .remove = {"l2-z"}}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = l1net::speaker::planL2Statuses(c.announced, c.observed, "self", kOwner);
      CHECK(got.create == c.want.create);
      CHECK(got.set_status == c.want.set_status);
      CHECK(got.set_meta == c.want.set_meta);
      CHECK(got.remove == c.want.remove);
      CHECK(got.empty() == c.want.empty());
    }
  }
}

TEST_CASE("newlyAnnounced") {
  const std::vector<AnnouncedService> before = {{"a", "x", {}}, {"b", "y", {}}};
  const std::vector<AnnouncedService> now = {{"a", "x", {"eth0"}}, {"c", "z", {}}};
  CHECK(l1net::speaker::newlyAnnounced(before, now) ==
        std::vector<AnnouncedService>{{"c", "z", {}}});
  CHECK(l1net::speaker::newlyAnnounced(now, now).empty());
}

TEST_CASE("ServiceL2Status bodies (golden)") {
  const AnnouncedService web{"default", "web", {"eth0", "eth1"}};
  CHECK(json::serialize(l1net::speaker::renderL2StatusCreate(web, "n1", "l1net-system", kOwner)) ==
        R"({"apiVersion":"metallb.io/v1beta1","kind":"ServiceL2Status","metadata":{)"
        R"("generateName":"l2-","namespace":"l1net-system","labels":{"metallb.io/node":"n1",)"
        R"("metallb.io/service-name":"web","metallb.io/service-namespace":"default"},)"
        R"("ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":"l1net-speaker-abcde",)"
        R"("uid":"uid-self"}]},"status":{"node":"n1","serviceName":"web",)"
        R"("serviceNamespace":"default","interfaces":[{"name":"eth0"},{"name":"eth1"}]}})");
  CHECK(json::serialize(l1net::speaker::renderL2StatusPatch({"default", "web", {}}, "n1")) ==
        R"({"status":{"node":"n1","serviceName":"web","serviceNamespace":"default",)"
        R"("interfaces":null}})");
  CHECK(json::serialize(l1net::speaker::renderL2StatusMetaPatch(web, "n1", kOwner)) ==
        R"({"metadata":{"labels":{"metallb.io/node":"n1","metallb.io/service-name":"web",)"
        R"("metallb.io/service-namespace":"default"},"ownerReferences":[{"apiVersion":"v1",)"
        R"("kind":"Pod","name":"l1net-speaker-abcde","uid":"uid-self"}]}})");
  const auto t = std::chrono::system_clock::time_point{} + std::chrono::seconds(1764475200) +
                 std::chrono::nanoseconds(5);
  CHECK(json::serialize(l1net::speaker::renderNodeAssignedEvent(web, "n1", "svc-uid", t)) ==
        R"({"apiVersion":"v1","kind":"Event","metadata":{"name":"web.187cacd886fc8005",)"
        R"("namespace":"default"},"involvedObject":{"apiVersion":"v1","kind":"Service",)"
        R"("namespace":"default","name":"web","uid":"svc-uid"},"reason":"nodeAssigned",)"
        R"("message":"announcing from node \"n1\" with protocol \"layer2\"","type":"Normal",)"
        R"("source":{"component":"l1net-speaker","host":"n1"},)"
        R"("reportingComponent":"l1net-speaker","reportingInstance":"n1",)"
        R"("firstTimestamp":"2025-11-30T04:00:00Z","lastTimestamp":"2025-11-30T04:00:00Z",)"
        R"("count":1})");
}

TEST_CASE("decodeL2Status / decodeL2StatusList") {
  // What a created object looks like when listed (server fields included).
  const auto list = json::parse(R"({"apiVersion":"metallb.io/v1beta1","kind":"ServiceL2StatusList",
    "metadata":{"resourceVersion":"42"},"items":[{"apiVersion":"metallb.io/v1beta1",
    "kind":"ServiceL2Status","metadata":{"name":"l2-7xk2p","namespace":"l1net-system",
    "uid":"u1","resourceVersion":"40","labels":{"metallb.io/node":"n1",
    "metallb.io/service-name":"web","metallb.io/service-namespace":"default"},
    "ownerReferences":[{"apiVersion":"v1","kind":"Pod","name":"sp","uid":"uid-self"}]},
    "status":{"node":"n1","serviceName":"web","serviceNamespace":"default",
    "interfaces":[{"name":"eth0"}]}},
    {"metadata":{"name":"l2-bare"}}]})");
  const auto got = l1net::speaker::decodeL2StatusList(list);
  REQUIRE(got.has_value());
  REQUIRE(got->size() == 2);
  auto want = obj("l2-7xk2p", "n1", "default", "web", {"eth0"});
  CHECK(got->at(0) == want);
  CHECK(got->at(1).name == "l2-bare");
  CHECK(got->at(1).label_node.empty());

  struct Case {
    const char* name;
    const char* text;
  };
  const std::vector<Case> bad = {
      {"not an object", "[]"},
      {"items not an array", R"({"items":{}})"},
      {"item without a name", R"({"items":[{"metadata":{}}]})"},
      {"labels not an object", R"({"items":[{"metadata":{"name":"a","labels":[]}}]})"},
      {"status.node not a string", R"({"items":[{"metadata":{"name":"a"},"status":{"node":1}}]})"},
      {"interfaces entries not objects",
       R"({"items":[{"metadata":{"name":"a"},"status":{"interfaces":["eth0"]}}]})"},
  };
  for (const auto& c : bad) {
    SUBCASE(c.name) {
      CHECK_FALSE(l1net::speaker::decodeL2StatusList(json::parse(c.text)).has_value());
    }
  }
  CHECK(l1net::speaker::decodeL2StatusList(json::parse(R"({"items":null})"))->empty());
}
