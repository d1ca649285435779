// The fixture must behave as kube-apiserver was observed to (kubernetes-helm.md): these rows are
// the observed behaviours (status codes, reasons, resourceVersion rules) it is held to, checked
// over real HTTP where the transport matters (watches, faults, tokens, outages).
#include "l1net/testing/fake_apiserver.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "l1net/http/client.hpp"
#include "l1net/kube/reflector.hpp"
#include "l1net/kube/watch.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/run_coro.hpp"
#include "l1net/testing/run_until.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace kube = l1net::kube;
using l1net::testing::FakeApiServer;
using namespace std::chrono_literals;

namespace {

const std::string kSvcs = "/api/v1/namespaces/default/services";
constexpr const char* kMerge = "application/merge-patch+json";
constexpr const char* kJsonPatch = "application/json-patch+json";

std::string svc(const std::string& name, const std::string& labels = "{}") {
  return R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name + R"(","labels":)" +
         labels +
         R"(},"spec":{"type":"LoadBalancer","ports":[{"port":80}]},"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.66"}]}}})";
}

std::string field(const std::string& body, std::initializer_list<std::string_view> path) {
  json::value v = json::parse(body);
  const json::value* cur = &v;
  for (const auto p : path) {
    cur = cur->as_object().if_contains(p);
    if (cur == nullptr) {
      return "<absent>";
    }
  }
  return cur->is_string() ? std::string(cur->get_string()) : json::serialize(*cur);
}

std::int64_t rvOf(const std::string& body) {
  return std::stoll(field(body, {"metadata", "resourceVersion"}));
}

struct Http {
  asio::io_context& ioc;
  std::shared_ptr<l1net::http::Client> client;
  Http(asio::io_context& io, const FakeApiServer& api)
      : ioc(io), client(l1net::http::Client::create(io.get_executor(), api.url()).value()) {}

  l1net::http::Response call(std::string method, std::string target, std::string body = "",
                             std::string auth = "") {
    l1net::http::Request req;
    req.method = std::move(method);
    req.target = std::move(target);
    req.body = std::move(body);
    if (!auth.empty()) {
      req.headers.push_back({"Authorization", auth});
    }
    if (!req.body.empty()) {
      req.headers.push_back({"Content-Type", "application/json"});
    }
    auto r = l1net::testing::runCoro(ioc, client->request(std::move(req)), 5s);
    REQUIRE(r.has_value());
    return *r;
  }
};

// One watch stream read in the background: status, events as parsed, how it ended.
struct Watch {
  unsigned status = 0;
  std::vector<kube::WatchEvent> events;
  bool ended = false;       // the body ended cleanly
  bool broken = false;      // the connection broke (or the stream held bad bytes)
  std::size_t pending = 0;  // bytes of an unfinished event when it ended

  void start(asio::io_context& ioc, const std::shared_ptr<l1net::http::Client>& client,
             std::string target) {
    asio::co_spawn(
        ioc,
        [this, client, target]() -> asio::awaitable<void> {
          l1net::http::Request req;
          req.target = target;
          auto s = co_await client->stream(std::move(req));
          if (!s) {
            broken = true;
            co_return;
          }
          status = (*s)->status();
          kube::WatchStreamParser p;
          for (;;) {
            auto c = co_await (*s)->readSome(10s);
            if (!c) {
              broken = true;
              pending = p.pending();
              co_return;
            }
            if (c->empty()) {
              ended = true;
              pending = p.pending();
              co_return;
            }
            if (p.feed(*c, events)) {
              broken = true;
              co_return;
            }
          }
        },
        asio::detached);
  }
  [[nodiscard]] std::vector<std::string> summary() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      const auto name = e.object.as_object().contains("metadata")
                            ? std::string(e.object.at("metadata").as_object().contains("name")
                                              ? e.object.at("metadata").at("name").as_string()
                                              : "")
                            : "";
      out.push_back(std::string(kube::eventTypeName(e.type)) + " " + name);
    }
    return out;
  }
};

}  // namespace

TEST_CASE("FakeApiServer: writes, conflicts, status split and patches") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor());
  std::string out;
  REQUIRE(api.request("POST", kSvcs, svc("a"), &out) == 201);
  const auto rv1 = rvOf(out);
  CHECK(field(out, {"status"}) == R"({"loadBalancer":{}})");  // status sent on create dropped
  REQUIRE(api.request("POST", kSvcs, svc("b"), &out) == 201);
  const auto rv2 = rvOf(out);
  CHECK(rv2 > rv1);  // one global, increasing resourceVersion
  REQUIRE(api.request("POST", "/api/v1/nodes", R"({"metadata":{"name":"n1"}})", &out) == 201);
  CHECK(rvOf(out) > rv2);  // shared across resources
  const auto a = kSvcs + "/a";

  struct Case {
    const char* name;
    std::string method;
    std::string target;
    std::string body;
    std::string content_type;
    unsigned want_status;
    std::string want_reason;  // "" = success
  };
  const std::string stale = std::to_string(rv1 - 1);
  const std::string current = std::to_string(rv1);
  const std::vector<Case> cases = {
      {"create twice: 409 AlreadyExists", "POST", kSvcs, svc("a"), "application/json", 409,
       "AlreadyExists"},
      {"create without a name: 422 Invalid", "POST", kSvcs, R"({"metadata":{}})",
       "application/json", 422, "Invalid"},
      {"PUT with a stale resourceVersion: 409 Conflict", "PUT", a,
       R"({"metadata":{"name":"a","resourceVersion":")" + stale + R"("},"spec":{}})",
       "application/json", 409, "Conflict"},
      {"PUT with the current resourceVersion", "PUT", a,
       R"({"metadata":{"name":"a","resourceVersion":")" + current + R"("},"spec":{}})",
       "application/json", 200, ""},
      {"merge patch with a stale resourceVersion: 409", "PATCH", a,
       R"({"metadata":{"resourceVersion":")" + stale + R"("},"spec":{"type":"ClusterIP"}})", kMerge,
       409, "Conflict"},
      {"/status merge patch with a stale resourceVersion: 409", "PATCH", a + "/status",
       R"({"metadata":{"resourceVersion":")" + stale + R"("},"status":{"loadBalancer":{}}})",
       kMerge, 409, "Conflict"},
      {"/status PUT with a stale resourceVersion: 409", "PUT", a + "/status",
       R"({"metadata":{"name":"a","resourceVersion":")" + stale + R"("},"status":{}})",
       "application/json", 409, "Conflict"},
      {"JSON patch whose test op fails: 422 Invalid", "PATCH", a,
       R"([{"op":"test","path":"/metadata/resourceVersion","value":")" + stale +
           R"("},{"op":"add","path":"/metadata/labels","value":{"x":"y"}}])",
       kJsonPatch, 422, "Invalid"},
      {"JSON patch whose test op holds", "PATCH", a,
       R"([{"op":"test","path":"/metadata/resourceVersion","value":")" + current +
           R"("},{"op":"add","path":"/metadata/labels","value":{"x":"y"}}])",
       kJsonPatch, 200, ""},
      {"an unknown patch type: 415", "PATCH", a, "{}", "text/plain", 415, "UnsupportedMediaType"},
      {"GET of a missing object: 404 NotFound", "GET", kSvcs + "/nope", "", "", 404, "NotFound"},
      {"PATCH of a missing object: 404 NotFound", "PATCH", kSvcs + "/nope", "{}", kMerge, 404,
       "NotFound"},
      {"DELETE with a stale precondition: 409", "DELETE", a,
       R"({"preconditions":{"resourceVersion":")" + stale + R"("}})", "application/json", 409,
       "Conflict"},
      {"an unknown resource: 404", "GET", "/api/v1/namespaces/default/widgets", "", "", 404,
       "NotFound"},
      {"/status of a resource without one: 404", "GET",
       "/api/v1/namespaces/default/configmaps/x/status", "", "", 404, "NotFound"},
      {"Event in another namespace than its object: 422", "POST",
       "/api/v1/namespaces/default/events",
       R"({"metadata":{"generateName":"web."},"involvedObject":{"kind":"Service","namespace":"other","name":"web"}})",
       "application/json", 422, "Invalid"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto before = api.resourceVersion();
      const auto got = api.request(c.method, c.target, c.body, &out, c.content_type);
      CHECK(got == c.want_status);
      if (c.want_reason.empty()) {
        CHECK(rvOf(out) == api.resourceVersion());
        CHECK(api.resourceVersion() == before + 1);
      } else {
        CHECK(field(out, {"kind"}) == "Status");
        CHECK(field(out, {"reason"}) == c.want_reason);
        CHECK(field(out, {"code"}) == std::to_string(c.want_status));
        CHECK(api.resourceVersion() == before);  // a refused write changes nothing
      }
    }
  }

  SUBCASE("status sent to the main resource is ignored; /status changes only status") {
    const std::string p =
        R"({"metadata":{"labels":{"x":"y"}},"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.9"}]}}})";
    REQUIRE(api.request("PATCH", a, p, &out, kMerge) == 200);
    auto got = json::serialize(api.get(kSvcs, "a"));
    CHECK(field(got, {"metadata", "labels", "x"}) == "y");
    CHECK(field(got, {"status"}) == R"({"loadBalancer":{}})");
    const std::string sp =
        R"({"metadata":{"labels":{"z":"w"}},"spec":{"type":"ClusterIP"},"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.9"}]}}})";
    REQUIRE(api.request("PATCH", a + "/status", sp, &out, kMerge) == 200);
    got = json::serialize(api.get(kSvcs, "a"));
    CHECK(field(got, {"status", "loadBalancer", "ingress"}) == R"([{"ip":"192.0.2.9"}])");
    CHECK(field(got, {"metadata", "labels", "z"}) == "<absent>");
    CHECK(field(got, {"spec", "type"}) == "LoadBalancer");
  }
  SUBCASE("PUT replaces: fields left out are removed, system metadata stays") {
    const auto uid = field(json::serialize(api.get(kSvcs, "a")), {"metadata", "uid"});
    REQUIRE(api.request("PUT", a, R"({"metadata":{"name":"a"},"spec":{"ports":[]}})", &out) == 200);
    CHECK(field(out, {"spec", "type"}) == "<absent>");
    CHECK(field(out, {"metadata", "uid"}) == uid);
    CHECK(field(out, {"kind"}) == "Service");
  }
  SUBCASE("a no-op write keeps the resourceVersion and sends no event") {
    const auto before = api.resourceVersion();
    REQUIRE(api.request("PATCH", a, R"({"spec":{"type":"LoadBalancer"}})", &out, kMerge) == 200);
    CHECK(rvOf(out) == rv1);
    CHECK(api.resourceVersion() == before);
  }
  SUBCASE("merge patch: null removes a key") {
    REQUIRE(api.request("PATCH", a, R"({"metadata":{"annotations":{"k":"v"}}})", &out, kMerge) ==
            200);
    REQUIRE(api.request("PATCH", a, R"({"metadata":{"annotations":{"k":null}}})", &out, kMerge) ==
            200);
    CHECK(field(out, {"metadata", "annotations"}) == "{}");
  }
  SUBCASE("DELETE returns the object with a new resourceVersion") {
    REQUIRE(api.request("DELETE", a, "", &out) == 200);
    CHECK(rvOf(out) == api.resourceVersion());
    CHECK(api.get(kSvcs, "a").is_null());
  }
}

TEST_CASE("FakeApiServer: lists, selectors and 410 on a too-old list") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor());
  REQUIRE(api.request("POST", kSvcs, svc("a", R"({"app":"web","tier":"front"})")) == 201);
  const auto old_rv = api.resourceVersion();
  REQUIRE(api.request("POST", kSvcs, svc("b", R"({"app":"db"})")) == 201);
  REQUIRE(api.request("POST", "/api/v1/namespaces/other/services", svc("c", R"({"app":"web"})")) ==
          201);
  struct Case {
    const char* name;
    std::string target;
    unsigned want_status;
    std::vector<std::string> want_names;
  };
  const std::vector<Case> cases = {
      {"one namespace", kSvcs, 200, {"a", "b"}},
      {"all namespaces", "/api/v1/services", 200, {"a", "b", "c"}},
      {"labelSelector equality", "/api/v1/services?labelSelector=app%3Dweb", 200, {"a", "c"}},
      {"labelSelector inequality", "/api/v1/services?labelSelector=app!%3Dweb", 200, {"b"}},
      {"labelSelector exists", "/api/v1/services?labelSelector=tier", 200, {"a"}},
      {"labelSelector not exists", "/api/v1/services?labelSelector=!tier", 200, {"b", "c"}},
      {"labelSelector in", "/api/v1/services?labelSelector=app+in+(db,x)", 200, {"b"}},
      {"labelSelector notin + equality",
       "/api/v1/services?labelSelector=app+notin+(db),tier%3Dfront",
       200,
       {"a"}},
      {"fieldSelector metadata.name",
       "/api/v1/services?fieldSelector=metadata.name%3Dc",
       200,
       {"c"}},
      {"fieldSelector metadata.namespace!=",
       "/api/v1/services?fieldSelector=metadata.namespace!%3Ddefault",
       200,
       {"c"}},
      {"resourceVersion=0", kSvcs + "?resourceVersion=0", 200, {"a", "b"}},
      {"too old resourceVersion: plain 410",
       kSvcs + "?resourceVersion=" + std::to_string(old_rv),
       410,
       {}},
      {"resourceVersion empty after compaction", kSvcs + "?resourceVersion=", 200, {"a", "b"}},
      {"a bad selector: 400", "/api/v1/services?labelSelector=app+in+db", 400, {}},
  };
  api.compact();
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      std::string out;
      REQUIRE(api.request("GET", c.target, "", &out) == c.want_status);
      if (c.want_status != 200) {
        CHECK(field(out, {"kind"}) == "Status");
        if (c.want_status == 410) {
          CHECK(field(out, {"reason"}) == "Expired");
        }
        continue;
      }
      const auto list = json::parse(out);
      CHECK(list.at("kind") == "ServiceList");
      CHECK(std::stoll(std::string(list.at("metadata").at("resourceVersion").as_string())) ==
            api.resourceVersion());
      std::vector<std::string> names;
      for (const auto& item : list.at("items").as_array()) {
        CHECK_FALSE(item.as_object().contains("kind"));  // typed-list items omit kind
        names.emplace_back(item.at("metadata").at("name").as_string());
      }
      CHECK(names == c.want_names);
    }
  }
}

TEST_CASE("FakeApiServer: Leases with MicroTime, Events with generateName") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor());
  std::string out;
  const std::string leases = "/apis/coordination.k8s.io/v1/namespaces/l1net-system/leases";
  const std::string lease =
      R"({"metadata":{"name":"l1net-controller"},"spec":{"holderIdentity":"c1",
      "leaseDurationSeconds":15,"acquireTime":"2026-11-30T01:00:00.123Z",
      "renewTime":"2026-11-30T01:00:00.123456Z","leaseTransitions":0}})";
  REQUIRE(api.request("POST", leases, lease, &out) == 201);
  CHECK(field(out, {"spec", "acquireTime"}) == "2026-11-30T01:00:00.123000Z");
  CHECK(field(out, {"spec", "renewTime"}) == "2026-11-30T01:00:00.123456Z");
  CHECK(field(out, {"apiVersion"}) == "coordination.k8s.io/v1");
  CHECK(api.request("POST", leases, lease, &out) == 409);
  CHECK(field(out, {"reason"}) == "AlreadyExists");
  CHECK(api.request("POST", leases, R"({"metadata":{"name":"x"},"spec":{"renewTime":"yesterday"}})",
                    &out) == 400);
  CHECK(api.request("PATCH", leases + "/l1net-controller",
                    R"({"spec":{"renewTime":"2026-11-30 01:00:02"}})", &out, kMerge) == 400);

  const std::string ev =
      R"({"metadata":{"generateName":"web."},"involvedObject":{"kind":"Service","namespace":
      "default","name":"web"},"reason":"IPAllocated","message":"Assigned IP [\"192.0.2.1\"]",
      "type":"Normal","source":{"component":"metallb-controller"},"count":1})";
  REQUIRE(api.request("POST", "/api/v1/namespaces/default/events", ev, &out) == 201);
  const auto name1 = field(out, {"metadata", "name"});
  CHECK(name1.starts_with("web."));
  CHECK(name1.size() == 9);
  REQUIRE(api.request("POST", "/api/v1/namespaces/default/events", ev, &out) == 201);
  CHECK(field(out, {"metadata", "name"}) != name1);
}

TEST_CASE("FakeApiServer over HTTP: 403 and 401 as Status objects, injected 500s, delays") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor());
  Http h(ioc, api);
  api.forbid("list", "services");
  auto r = h.call("GET", kSvcs);
  CHECK(r.status == 403);
  CHECK(field(r.body, {"reason"}) == "Forbidden");
  CHECK(field(r.body, {"message"})
            .starts_with("services is forbidden: User \"system:serviceaccount:l1net-system:l1net\" "
                         "cannot list resource \"services\" in API group \"\" in the namespace "
                         "\"default\""));
  CHECK(h.call("GET", "/api/v1/nodes").status == 200);  // only that verb and resource
  api.allowAll();

  api.requireToken("t1");
  CHECK(h.call("GET", kSvcs).status == 401);
  CHECK(field(h.call("GET", kSvcs, "", "Bearer t0").body, {"reason"}) == "Unauthorized");
  CHECK(h.call("GET", kSvcs, "", "Bearer t1").status == 200);
  api.requireToken("");

  api.failNext(2, 503);
  CHECK(h.call("GET", kSvcs).status == 503);
  CHECK(h.call("GET", kSvcs).status == 503);
  CHECK(h.call("GET", kSvcs).status == 200);
  std::string out;
  api.failNext(1);
  CHECK(api.request("GET", kSvcs, "", &out) == 200);  // an administrator's request skips faults
  CHECK(h.call("GET", kSvcs).status == 500);

  api.setDelay(150ms);
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(h.call("GET", kSvcs).status == 200);
  CHECK(std::chrono::steady_clock::now() - t0 >= 150ms);
}

TEST_CASE("FakeApiServer watch: NDJSON, bookmarks only after the RV moved, 410 in a 200") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor(), {.bookmark_interval = 50ms});
  Http h(ioc, api);
  REQUIRE(api.request("POST", kSvcs, svc("a")) == 201);
  const auto start_rv = api.resourceVersion();
  const auto watchFrom = [&](const std::string& rv, const std::string& extra = "") {
    return kSvcs + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + rv + "&timeoutSeconds=2" +
           extra;
  };

  Watch live;
  live.start(ioc, h.client, watchFrom(std::to_string(start_rv)));
  // Nothing changes: no bookmark may come, however many intervals pass.
  l1net::testing::runUntil(
      ioc, [] { return false; }, 300ms);
  CHECK(live.status == 200);
  CHECK(live.events.empty());
  // Another resource moves the global resourceVersion: a BOOKMARK follows, carrying it.
  REQUIRE(api.request("POST", "/api/v1/nodes", R"({"metadata":{"name":"n1"}})") == 201);
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return !live.events.empty(); }, 2s));
  CHECK(live.events[0].type == kube::EventType::kBookmark);
  CHECK(kube::objectResourceVersion(live.events[0].object) ==
        std::to_string(api.resourceVersion()));
  // Then exactly one bookmark per advance.
  l1net::testing::runUntil(
      ioc, [] { return false; }, 200ms);
  CHECK(live.events.size() == 1);
  REQUIRE(api.request("PATCH", kSvcs + "/a", R"({"metadata":{"labels":{"x":"1"}}})", nullptr,
                      kMerge) == 200);
  REQUIRE(api.request("DELETE", kSvcs + "/a", "") == 200);
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return live.events.size() >= 3; }, 2s));
  CHECK(live.summary() == std::vector<std::string>{"BOOKMARK ", "MODIFIED a", "DELETED a"});
  CHECK(kube::objectResourceVersion(live.events[2].object) ==
        std::to_string(api.resourceVersion()));

  // resourceVersion 0: synthetic ADDED for what exists, then changes.
  REQUIRE(api.request("POST", kSvcs, svc("b")) == 201);
  Watch zero;
  zero.start(ioc, h.client, watchFrom("0"));
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return !zero.events.empty(); }, 2s));
  CHECK(zero.summary() == std::vector<std::string>{"ADDED b"});

  // Compaction: a watch from before it is HTTP 200 + one ERROR 410 Expired event, then the end.
  api.compact();
  Watch old;
  old.start(ioc, h.client, watchFrom(std::to_string(start_rv)));
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return old.ended; }, 3s));
  CHECK(old.status == 200);
  REQUIRE(old.events.size() == 1);
  CHECK(old.events[0].type == kube::EventType::kError);
  const auto st = kube::parseStatus(old.events[0].object);
  REQUIRE(st);
  CHECK(st->code == 410);
  CHECK(st->reason == "Expired");
  // The open watch is not affected by the compaction, and ends cleanly after timeoutSeconds.
  REQUIRE(api.request("POST", kSvcs, svc("c")) == 201);
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return live.ended; }, 4s));
  CHECK(live.summary().back() == "ADDED c");
  CHECK(live.pending == 0);
  CHECK_FALSE(live.broken);
}

TEST_CASE("FakeApiServer watch with selectors: objects entering and leaving the selection") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor(), {.bookmark_interval = 10s});
  Http h(ioc, api);
  REQUIRE(api.request("POST", kSvcs, svc("a", R"({"app":"web"})")) == 201);
  Watch w;
  w.start(ioc, h.client,
          kSvcs + "?watch=1&labelSelector=app%3Dweb&resourceVersion=" +
              std::to_string(api.resourceVersion()));
  Watch byname;
  byname.start(ioc, h.client,
               kSvcs + "?watch=true&fieldSelector=metadata.name%3Db&resourceVersion=" +
                   std::to_string(api.resourceVersion()));
  l1net::testing::runUntil(
      ioc, [&] { return api.openWatches() == 2; }, 2s);
  const auto label = [&](const std::string& n, const std::string& v) {
    REQUIRE(api.request("PATCH", kSvcs + "/" + n, R"({"metadata":{"labels":{"app":")" + v + "\"}}}",
                        nullptr, kMerge) == 200);
  };
  REQUIRE(api.request("POST", kSvcs, svc("b", R"({"app":"db"})")) == 201);  // not selected
  label("b", "web");                                                        // enters: ADDED
  label("a", "web2");                                                       // leaves: DELETED
  label("b", "web");                                                        // no-op
  REQUIRE(api.request("PATCH", kSvcs + "/b", R"({"spec":{"x":1}})", nullptr, kMerge) == 200);
  REQUIRE(api.request("DELETE", kSvcs + "/a", "") == 200);  // not selected any more
  REQUIRE(api.request("DELETE", kSvcs + "/b", "") == 200);
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return w.events.size() >= 4 && byname.events.size() >= 4; }, 2s));
  CHECK(w.summary() == std::vector<std::string>{"ADDED b", "DELETED a", "MODIFIED b", "DELETED b"});
  CHECK(byname.summary() ==
        std::vector<std::string>{"ADDED b", "MODIFIED b", "MODIFIED b", "DELETED b"});
}

TEST_CASE(
    "FakeApiServer faults: a watch cut mid-event, watches ended, an outage on the same port") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor());
  Http h(ioc, api);
  const auto from = [&] {
    return kSvcs + "?watch=1&resourceVersion=" + std::to_string(api.resourceVersion());
  };
  Watch cut;
  cut.start(ioc, h.client, from());
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return api.openWatches() == 1; }, 2s));
  api.dropWatchesMidEvent();
  REQUIRE(api.request("POST", kSvcs, svc("a")) == 201);
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return cut.broken || cut.ended; }, 2s));
  CHECK(cut.events.empty());
  // The connection broke mid-body (half an event line was sent; whether the client still reads
  // those bytes before the reset depends on timing), never a clean end.
  CHECK(cut.broken);
  CHECK_FALSE(cut.ended);

  Watch later;  // opened after the drop request: not affected
  later.start(ioc, h.client, from());
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return api.openWatches() == 1; }, 2s));
  REQUIRE(api.request("POST", kSvcs, svc("b")) == 201);
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return later.events.size() == 1; }, 2s));
  api.endWatches();
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return later.ended; }, 2s));
  CHECK(later.pending == 0);

  const auto port = api.port();
  api.stop();
  CHECK_FALSE(api.running());
  l1net::http::Request req;
  req.target = kSvcs;
  auto refused = l1net::testing::runCoro(ioc, h.client->request(req), 5s);
  CHECK_FALSE(refused.has_value());
  REQUIRE(api.request("POST", kSvcs, svc("c")) == 201);  // the store lives on
  api.start();
  CHECK(api.port() == port);
  const auto r = h.call("GET", kSvcs);
  CHECK(r.status == 200);
  CHECK(json::parse(r.body).at("items").as_array().size() == 3);
}
