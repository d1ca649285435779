#include "l1net/kube/watch.hpp"

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "l1net/testing/doctest.hpp"

namespace kube = l1net::kube;

namespace {
const std::string kStream =
    R"({"type":"ADDED","object":{"kind":"Service","metadata":{"name":"a","resourceVersion":"5"}}})"
    "\n"
    R"({"type":"BOOKMARK","object":{"kind":"Service","metadata":{"resourceVersion":"9"}}})"
    "\n"
    R"x({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (9)","reason":"Expired","code":410}})x"
    "\n";
}  // namespace

TEST_CASE("WatchStreamParser: events split at any byte arrive whole and once") {
  // Every split point of the stream into two chunks, and byte-at-a-time.
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    kube::WatchStreamParser p;
    std::vector<kube::WatchEvent> out;
    REQUIRE_FALSE(p.feed(std::string_view(kStream).substr(0, cut), out).has_value());
    REQUIRE_FALSE(p.feed(std::string_view(kStream).substr(cut), out).has_value());
    REQUIRE(out.size() == 3);
    CHECK(out[0].type == kube::EventType::kAdded);
    CHECK(out[1].type == kube::EventType::kBookmark);
    CHECK(out[2].type == kube::EventType::kError);
    CHECK(p.pending() == 0);
  }
  kube::WatchStreamParser p;
  std::vector<kube::WatchEvent> out;
  for (const char c : kStream) {
    REQUIRE_FALSE(p.feed(std::string_view(&c, 1), out).has_value());
  }
  REQUIRE(out.size() == 3);
  const auto st = kube::parseStatus(out[2].object);
  REQUIRE(st);
  CHECK(st->code == 410);
  CHECK(st->reason == "Expired");
}

TEST_CASE("WatchStreamParser: a stream cut mid-event leaves it pending, not delivered") {
  kube::WatchStreamParser p;
  std::vector<kube::WatchEvent> out;
  REQUIRE_FALSE(p.feed(kStream.substr(0, 30), out).has_value());
  CHECK(out.empty());
  CHECK(p.pending() == 30);
}

TEST_CASE("WatchStreamParser: bad events are errors") {
  struct Case {
    const char* name;
    std::string bytes;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"not JSON", "{nope\n", "watch event is not JSON"},
      {"not an object", "[1]\n", "watch event is not a JSON object"},
      {"no type", "{\"object\":{}}\n", "watch event has no type"},
      {"unknown type", "{\"type\":\"SYNC\",\"object\":{}}\n",
       "watch event has unknown type \"SYNC\""},
      {"no object", "{\"type\":\"ADDED\"}\n", "watch event ADDED has no object"},
      {"too long", std::string(100, ' ') + "x", "watch event larger than 64 bytes"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      kube::WatchStreamParser p(64);
      std::vector<kube::WatchEvent> out;
      const auto err = p.feed(c.bytes, out);
      REQUIRE(err);
      CHECK(err->message.starts_with(c.want));
      CHECK(out.empty());
      CHECK(p.feed("{\"type\":\"ADDED\",\"object\":{}}\n", out).has_value());  // stays failed
    }
  }
}

TEST_CASE("statusFromBody") {
  const auto s = kube::statusFromBody(
      403,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"services is forbidden: User \"x\" cannot list resource \"services\"","reason":"Forbidden","code":403})");
  CHECK(s.code == 403);
  CHECK(s.reason == "Forbidden");
  CHECK(s.message.starts_with("services is forbidden"));
  const auto html = kube::statusFromBody(502, "<html>bad gateway</html>");
  CHECK(html.code == 502);
  CHECK(html.message == "<html>bad gateway</html>");
}
