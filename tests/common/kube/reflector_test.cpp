// The list/watch state machine, scripted: each step feeds one outcome (list response, watch
// event, stream end, failure) and checks the deltas produced and the request that follows.
#include "l1net/kube/reflector.hpp"

#include <string>
#include <vector>

#include <boost/json.hpp>

#include "l1net/testing/doctest.hpp"

namespace json = boost::json;
namespace kube = l1net::kube;
using namespace std::chrono_literals;

namespace {

json::value obj(const std::string& name, const std::string& rv) {
  return json::value{{"metadata", {{"name", name}, {"namespace", "ns"}, {"resourceVersion", rv}}}};
}

// "ns/a@3,ns/b@4" -> list body with resourceVersion list_rv
json::value list(const std::string& list_rv,
                 const std::vector<std::pair<std::string, std::string>>& items) {
  json::array a;
  for (const auto& [n, rv] : items) {
    a.push_back(obj(n, rv));
  }
  return json::value{{"kind", "ServiceList"},
                     {"metadata", {{"resourceVersion", list_rv}}},
                     {"items", std::move(a)}};
}

json::value status(int code, const char* reason) {
  return json::value{{"kind", "Status"},    {"apiVersion", "v1"},
                     {"status", "Failure"}, {"message", "too old resource version: 1 (50)"},
                     {"reason", reason},    {"code", code}};
}

std::string describe(const kube::Outcome& o) {
  std::string s;
  for (const auto& d : o.deltas) {
    s += s.empty() ? "" : " ";
    s += d.kind == kube::Delta::Kind::kUpsert
             ? "U:" + d.key + "@" + kube::objectResourceVersion(d.object)
             : "D:" + d.key;
  }
  if (o.relist) {
    s += s.empty() ? "relist" : " relist";
  }
  if (o.failure) {
    s += s.empty() ? "failure" : " failure";
  }
  return s;
}

std::string describe(const kube::Request& r) {
  std::string s = r.kind == kube::Request::Kind::kList ? "list" : "watch";
  s += " rv=" + r.resource_version;
  if (r.delay > 0ms) {
    s += " delayed";
  }
  return s;
}

struct Step {
  enum class Op { kList, kEvent, kEnd, kBroken, kRejected, kFailed } op;
  unsigned http = 200;
  json::value body;
  kube::EventType type = kube::EventType::kAdded;
  std::string want_deltas;
  std::string want_next;
};

Step listOk(json::value body, std::string deltas, std::string next) {
  return Step{Step::Op::kList, 200, std::move(body), {}, std::move(deltas), std::move(next)};
}
Step ev(kube::EventType t, json::value o, std::string deltas, std::string next) {
  return Step{Step::Op::kEvent, 200, std::move(o), t, std::move(deltas), std::move(next)};
}

}  // namespace

TEST_CASE("Reflector: list, watch, expiry, relist without loss or duplicates") {
  using T = kube::EventType;
  struct Case {
    const char* name;
    std::vector<Step> steps;
  };
  const std::vector<Case> cases = {
      {"list then watch from the list's resourceVersion",
       {listOk(list("10", {{"a", "3"}, {"b", "7"}}), "U:ns/a@3 U:ns/b@7", "watch rv=10"),
        ev(T::kAdded, obj("c", "11"), "U:ns/c@11", "watch rv=11"),
        ev(T::kModified, obj("a", "12"), "U:ns/a@12", "watch rv=12"),
        ev(T::kDeleted, obj("b", "13"), "D:ns/b", "watch rv=13")}},
      {"bookmark advances the resume point and yields nothing",
       {listOk(list("10", {}), "", "watch rv=10"),
        ev(T::kBookmark, obj("", "42"), "", "watch rv=42")}},
      {"timeout end: watch again at once from the last resourceVersion",
       {listOk(list("10", {{"a", "3"}}), "U:ns/a@3", "watch rv=10"),
        ev(T::kAdded, obj("b", "11"), "U:ns/b@11", "watch rv=11"),
        Step{Step::Op::kEnd, 200, {}, {}, "", "watch rv=11"}}},
      {"broken stream: back off, resume from the last resourceVersion (no relist)",
       {listOk(list("10", {}), "", "watch rv=10"),
        ev(T::kAdded, obj("b", "11"), "U:ns/b@11", "watch rv=11"),
        Step{Step::Op::kBroken, 200, {}, {}, "failure", "watch rv=11 delayed"}}},
      {"ERROR 410 in a 200 stream: relist from \"\", diff against the cache",
       {listOk(list("10", {{"a", "3"}, {"b", "4"}, {"c", "5"}}), "U:ns/a@3 U:ns/b@4 U:ns/c@5",
               "watch rv=10"),
        ev(T::kError, status(410, "Expired"), "relist", "list rv="),
        // a unchanged, b modified, c deleted, d added while the watch was gone
        listOk(list("60", {{"a", "3"}, {"b", "55"}, {"d", "58"}}), "U:ns/b@55 U:ns/d@58 D:ns/c",
               "watch rv=60")}},
      {"HTTP 410 on the watch request: relist",
       {listOk(list("10", {}), "", "watch rv=10"),
        Step{Step::Op::kRejected, 410, status(410, "Gone"), {}, "relist", "list rv="}}},
      {"plain 410 on list: ask for the most recent state",
       {Step{Step::Op::kList, 410, status(410, "Expired"), {}, "relist", "list rv="},
        listOk(list("70", {{"a", "1"}}), "U:ns/a@1", "watch rv=70")}},
      {"replayed event (same resourceVersion) is not a duplicate",
       {listOk(list("10", {{"a", "3"}}), "U:ns/a@3", "watch rv=10"),
        ev(T::kModified, obj("a", "3"), "", "watch rv=3"),
        ev(T::kDeleted, obj("zz", "12"), "", "watch rv=12")}},
      {"ERROR event other than 410: back off and re-watch",
       {listOk(list("10", {}), "", "watch rv=10"),
        ev(T::kError, status(500, "InternalError"), "failure", "watch rv=10 delayed")}},
      {"list 500 and 403: back off, list again",
       {Step{
            Step::Op::kList, 500, status(500, "InternalError"), {}, "failure", "list rv=0 delayed"},
        Step{Step::Op::kList, 403, status(403, "Forbidden"), {}, "failure", "list rv=0 delayed"},
        listOk(list("5", {}), "", "watch rv=5")}},
      {"connection refused while watching: back off, resume",
       {listOk(list("10", {}), "", "watch rv=10"),
        Step{Step::Op::kFailed, 0, {}, {}, "failure", "watch rv=10 delayed"}}},
      {"list without resourceVersion is a failure",
       {Step{Step::Op::kList,
             200,
             json::value{{"items", json::array{}}},
             {},
             "failure",
             "list rv=0 delayed"}}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      kube::Reflector r;
      auto now = kube::Clock::time_point{} + 1h;
      CHECK(describe(r.next(now, 0.5)) == "list rv=0");
      int i = 0;
      for (const auto& s : c.steps) {
        INFO("step " << i++);
        kube::Outcome o;
        switch (s.op) {
          case Step::Op::kList:
            o = r.onList(now, s.http, s.body);
            break;
          case Step::Op::kEvent:
            o = r.onEvent(now, kube::WatchEvent{s.type, s.body});
            break;
          case Step::Op::kEnd:
            o = r.onWatchEnd(now, true, "");
            break;
          case Step::Op::kBroken:
            o = r.onWatchEnd(now, false, "connection reset");
            break;
          case Step::Op::kRejected:
            o = r.onWatchRejected(now, s.http, *kube::parseStatus(s.body));
            break;
          case Step::Op::kFailed:
            o = r.onRequestFailed(now, "connect: connection refused");
            break;
        }
        CHECK(describe(o) == s.want_deltas);
        CHECK(describe(r.next(now, 0.5)) == s.want_next);
        now += 1s;
      }
    }
  }
}

TEST_CASE("Backoff: 800 ms doubling to 30 s with jitter, reset after 2 minutes") {
  kube::Backoff b;
  const auto t0 = kube::Clock::time_point{} + 1h;
  CHECK(b.next(t0, 0.0) == 800ms);
  CHECK(b.next(t0, 0.0) == 1600ms);
  CHECK(b.next(t0, 0.5) == 4800ms);  // 3200 * 1.5
  for (int i = 0; i < 10; ++i) {
    (void)b.next(t0, 0.0);
  }
  CHECK(b.next(t0, 0.0) == 30s);
  CHECK(b.next(t0, 0.999) == std::chrono::milliseconds(59970));
  CHECK(b.next(t0 + 3min, 0.0) == 800ms);  // quiet for 2 minutes: reset
}

TEST_CASE("Reflector: watch timeoutSeconds drawn from 300 s up to but not including 600 s") {
  kube::Reflector r;
  const auto now = kube::Clock::time_point{} + 1h;
  (void)r.onList(now, 200,
                 json::value{{"metadata", {{"resourceVersion", "1"}}}, {"items", nullptr}});
  CHECK(r.next(now, 0.0).timeout_seconds == 300);
  CHECK(r.next(now, 0.5).timeout_seconds == 450);
  CHECK(r.next(now, 0.9999).timeout_seconds == 599);
}
