// The Pi-hole provider and the sync loop against the FTL v6 fixture (tests/fakes/fake_pihole).
#include "l1net/dnsd/providers/pihole.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "l1net/dnsd/io/syncer.hpp"
#include "l1net/dnsd/sources.hpp"
#include "l1net/http/client.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_dns_transport.hpp"
#include "l1net/testing/fake_pihole.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_coro.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace asio = boost::asio;
namespace dnsd = l1net::dnsd;
namespace http = l1net::http;
using dnsd::Record;
using dnsd::RecordType;
using l1net::testing::FakePihole;
using namespace std::chrono_literals;

namespace {

template <class T>
T runCoro(asio::io_context& ioc, asio::awaitable<T> aw) {
  return l1net::testing::runCoro(ioc, std::move(aw), 20s);
}

void runVoid(asio::io_context& ioc, asio::awaitable<void> aw) {
  bool done = false;
  asio::co_spawn(ioc, std::move(aw), [&](const std::exception_ptr&) { done = true; });
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return done; }, 20s));
}

http::Response raw(asio::io_context& ioc, const std::string& url, http::Request req) {
  auto c = http::Client::create(ioc.get_executor(), url).value();
  auto r = runCoro(ioc, c->request(std::move(req)));
  REQUIRE(r.has_value());
  return *r;
}

std::string login(asio::io_context& ioc, FakePihole& ph, const std::string& pw) {
  auto r = raw(ioc, ph.url(),
               {.method = "POST", .target = "/api/auth", .body = R"({"password":")" + pw + "\"}"});
  if (r.status != 200) {
    return {};
  }
  const auto pos = r.body.find("\"sid\":\"");
  return r.body.substr(pos + 7, r.body.find('"', pos + 7) - pos - 7);
}

// Back-off shortened for tests: 20 ms doubling to 100 ms, at most 300 ms of waiting per call.
dnsd::PiholeOptions opts(const FakePihole& ph) {
  return {.url = ph.url(),
          .password = "correct horse",
          .timeout = 3s,
          .backoff = {.base = 20ms, .cap = 100ms, .factor = 2.0},
          .max_wait_per_call = 300ms};
}

Record a(const std::string& name, const std::string& ip) {
  return Record{RecordType::kA, name, ip, {}};
}

}  // namespace

TEST_CASE("FakePihole reproduces FTL v6 behaviour") {
  asio::io_context ioc;
  FakePihole ph(ioc.get_executor());
  SUBCASE("wrong password: 401 with session.valid false") {
    auto r = raw(ioc, ph.url(),
                 {.method = "POST", .target = "/api/auth", .body = R"({"password":"nope"})"});
    CHECK(r.status == 401);
    CHECK(r.body.find(R"("session":{"valid":false)") != std::string::npos);
    CHECK(r.body.find("password incorrect") != std::string::npos);
  }
  SUBCASE("16 sessions, the 17th login is 429 api_seats_exceeded") {
    for (int i = 0; i < 16; ++i) {
      CHECK_FALSE(login(ioc, ph, "correct horse").empty());
    }
    auto r =
        raw(ioc, ph.url(),
            {.method = "POST", .target = "/api/auth", .body = R"({"password":"correct horse"})"});
    CHECK(r.status == 429);
    CHECK(r.body.find(R"("key":"api_seats_exceeded")") != std::string::npos);
    CHECK(r.body.find(R"("took")") != std::string::npos);
    CHECK(ph.liveSessions() == 16);
  }
  SUBCASE("sliding 1800 s timeout") {
    const auto sid = login(ioc, ph, "correct horse");
    const http::Request get{.target = "/api/config/dns/hosts", .headers = {{"X-FTL-SID", sid}}};
    ph.advance(1700s);
    CHECK(raw(ioc, ph.url(), get).status == 200);  // refreshed: valid until +1800 from here
    ph.advance(1700s);
    CHECK(raw(ioc, ph.url(), get).status == 200);
    ph.advance(1801s);
    auto r = raw(ioc, ph.url(), get);
    CHECK(r.status == 401);
    CHECK(r.body.find(R"({"error":{"key":"unauthorized")") == 0);
    CHECK(ph.liveSessions() == 0);
  }
  SUBCASE("status codes, + and %20, exact case-sensitive matching") {
    const auto sid = login(ioc, ph, "correct horse");
    auto req = [&](const char* m, const std::string& t) {
      return raw(ioc, ph.url(), {.method = m, .target = t, .headers = {{"X-FTL-SID", sid}}});
    };
    CHECK(req("PUT", "/api/config/dns/hosts/192.0.2.7%20a.example.com").status == 201);
    auto dup = req("PUT", "/api/config/dns/hosts/192.0.2.7+a.example.com");
    CHECK(dup.status == 400);
    CHECK(dup.body.find("Item already present") != std::string::npos);
    CHECK(req("PUT", "/api/config/dns/hosts/192.0.2.7%20A.example.com").status == 201);
    CHECK(req("PUT", "/api/config/dns/hosts/192.0.2.7%20%20a.example.com").status == 201);
    CHECK(req("PUT", "/api/config/dns/hosts/not-an-ip%20a.example.com").status == 400);
    CHECK(ph.hosts() == std::vector<std::string>{"192.0.2.7 a.example.com",
                                                 "192.0.2.7 A.example.com",
                                                 "192.0.2.7  a.example.com"});
    CHECK(req("DELETE", "/api/config/dns/hosts/192.0.2.7+A.example.com").status == 204);
    CHECK(req("DELETE", "/api/config/dns/hosts/192.0.2.7+A.example.com").status == 404);
    CHECK(req("DELETE", "/api/auth").status == 204);
    CHECK(ph.liveSessions() == 0);
  }
  SUBCASE("a CNAME write without restart=false makes the API unavailable for ~0.5 s") {
    const auto sid = login(ioc, ph, "correct horse");
    auto c = http::Client::create(ioc.get_executor(), ph.url()).value();
    const http::Headers h = {{"X-FTL-SID", sid}};
    auto w = runCoro(
        ioc, c->request({.method = "PUT",
                         .target = "/api/config/dns/cnameRecords/w.example.com,a.example.com",
                         .headers = h}));
    REQUIRE(w.has_value());
    CHECK(w->status == 201);
    CHECK(ph.restarts() == 1);
    auto during = runCoro(ioc, c->request({.target = "/api/config/dns/hosts", .headers = h}));
    CHECK_FALSE(during.has_value());
    ioc.run_for(600ms);
    auto after = runCoro(ioc, c->request({.target = "/api/config/dns/hosts", .headers = h}));
    REQUIRE(after.has_value());
    CHECK(after->status == 200);
    auto deferred = runCoro(
        ioc,
        c->request(
            {.method = "PUT",
             .target = "/api/config/dns/cnameRecords/v.example.com,a.example.com?restart=false",
             .headers = h}));
    REQUIRE(deferred.has_value());
    CHECK(deferred->status == 201);
    CHECK(ph.restarts() == 1);
  }
}

// Sleeps until just after the start of the next wall-clock second (FTL counts login attempts per
// second of time(NULL)), so a test's burst of logins falls into one second.
void waitForFreshSecond() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count() %
                  1000;
  std::this_thread::sleep_for(std::chrono::milliseconds(1000 - ms + 5));
}

http::Response auth(asio::io_context& ioc, const FakePihole& ph, const std::string& pw) {
  return raw(ioc, ph.url(),
             {.method = "POST", .target = "/api/auth", .body = R"({"password":")" + pw + "\"}"});
}

TEST_CASE("FakePihole: login rate limiting, cookie + CSRF, sid sources, app password") {
  asio::io_context ioc;
  FakePihole ph(ioc.get_executor(), {.app_password = "app-secret"});
  SUBCASE("the 4th password check within one second is 429 rate_limiting, even when right") {
    FakePihole plain(ioc.get_executor());  // no app password (see the next subcase)
    waitForFreshSecond();
    for (int i = 0; i < 3; ++i) {
      CHECK(auth(ioc, plain, "nope").status == 401);
    }
    const auto t0 = std::chrono::steady_clock::now();
    auto limited = auth(ioc, plain, "nope");
    CHECK(std::chrono::steady_clock::now() - t0 >= 250ms);  // FTL sleeps before answering
    CHECK(limited.status == 429);
    CHECK(
        limited.body.find(
            R"({"error":{"key":"rate_limiting","message":"Rate-limiting login attempts","hint":null})") ==
        0);
    CHECK_FALSE(l1net::http::findHeader(limited.headers, "Retry-After").has_value());
    CHECK(auth(ioc, plain, "correct horse").status == 429);
    CHECK(plain.liveSessions() == 0);
    waitForFreshSecond();
    CHECK(auth(ioc, plain, "correct horse").status == 200);
  }
  SUBCASE("with an app password set, a wrong password is checked twice (FTL counts both)") {
    waitForFreshSecond();
    CHECK(auth(ioc, ph, "nope").status == 401);  // checks 1 and 2
    CHECK(auth(ioc, ph, "nope").status == 401);  // check 3; the app check (4) is refused
    CHECK(auth(ioc, ph, "nope").status == 429);  // check 5
  }
  SUBCASE("successful logins do not count against the limit") {
    waitForFreshSecond();
    for (int i = 0; i < 6; ++i) {
      CHECK(auth(ioc, ph, "correct horse").status == 200);
    }
    CHECK(ph.liveSessions() == 6);
  }
  SUBCASE("login sets the sid cookie; a cookie sid needs X-CSRF-TOKEN, a header sid does not") {
    auto r = auth(ioc, ph, "correct horse");
    REQUIRE(r.status == 200);
    const auto cookie = l1net::http::findHeader(r.headers, "Set-Cookie");
    REQUIRE(cookie.has_value());
    const auto sid = login(ioc, ph, "correct horse");
    const auto csrf = ph.csrfOf(sid);
    REQUIRE_FALSE(csrf.empty());
    CHECK(r.body.find(R"("csrf":")") != std::string::npos);
    CHECK(cookie->find("; SameSite=Strict; Path=/; Max-Age=1800; HttpOnly") != std::string::npos);
    const std::string hosts = "/api/config/dns/hosts";
    CHECK(raw(ioc, ph.url(), {.target = hosts, .headers = {{"Cookie", "sid=" + sid}}}).status ==
          401);
    CHECK(raw(ioc, ph.url(),
              {.target = hosts, .headers = {{"Cookie", "sid=" + sid}, {"X-FTL-CSRF", csrf}}})
              .status == 401);  // FTL reads X-CSRF-TOKEN only
    CHECK(raw(ioc, ph.url(),
              {.target = hosts, .headers = {{"Cookie", "sid=" + sid}, {"X-CSRF-TOKEN", "bad"}}})
              .status == 401);
    CHECK(raw(ioc, ph.url(),
              {.target = hosts,
               .headers = {{"Cookie", "theme=dark; sid=" + sid}, {"X-CSRF-TOKEN", csrf}}})
              .status == 200);
    CHECK(raw(ioc, ph.url(), {.target = hosts, .headers = {{"X-FTL-SID", sid}}}).status == 200);
    CHECK(raw(ioc, ph.url(), {.target = hosts + "?sid=" + sid}).status == 200);
  }
  SUBCASE("sid sources in FTL's order: JSON body, sid header, X-FTL-SID, cookie, query") {
    const auto sid = login(ioc, ph, "correct horse");
    const std::string hosts = "/api/config/dns/hosts";
    // The sid header is read before X-FTL-SID, whatever their order in the request.
    CHECK(raw(ioc, ph.url(), {.target = hosts, .headers = {{"X-FTL-SID", sid}, {"sid", "stale"}}})
              .status == 401);
    CHECK(raw(ioc, ph.url(), {.target = hosts, .headers = {{"X-FTL-SID", "stale"}, {"sid", sid}}})
              .status == 200);
    // A header sid wins over the query and the cookie.
    CHECK(raw(ioc, ph.url(), {.target = hosts + "?sid=" + sid, .headers = {{"X-FTL-SID", "stale"}}})
              .status == 401);
    CHECK(raw(ioc, ph.url(),
              {.method = "POST",
               .target = "/api/action/restartdns",
               .headers = {{"X-FTL-SID", "stale"}},
               .body = R"({"sid":")" + sid + "\"}"})
              .status == 200);
  }
  SUBCASE("DELETE /api/auth: 204 with the sid, 401 session object without one") {
    const auto sid = login(ioc, ph, "correct horse");
    auto none = raw(ioc, ph.url(), {.method = "DELETE", .target = "/api/auth"});
    CHECK(none.status == 401);
    CHECK(none.body.find(R"({"session":{"valid":false)") == 0);
    CHECK(raw(ioc, ph.url(),
              {.method = "DELETE", .target = "/api/auth", .headers = {{"X-FTL-SID", sid}}})
              .status == 204);
    CHECK(raw(ioc, ph.url(),
              {.method = "DELETE", .target = "/api/auth", .headers = {{"X-FTL-SID", sid}}})
              .status == 401);
  }
  SUBCASE("an app-password session reads, but config writes are 403 without app_sudo") {
    auto r = auth(ioc, ph, "app-secret");
    REQUIRE(r.status == 200);
    const auto sid = login(ioc, ph, "app-secret");
    const http::Headers h = {{"X-FTL-SID", sid}};
    CHECK(raw(ioc, ph.url(), {.target = "/api/config/dns/hosts", .headers = h}).status == 200);
    auto put = raw(ioc, ph.url(),
                   {.method = "PUT",
                    .target = "/api/config/dns/hosts/192.0.2.7%20a.example.com",
                    .headers = h});
    CHECK(put.status == 403);
    CHECK(
        put.body.find(
            R"x({"error":{"key":"forbidden","message":"Unable to change configuration (read-only)")x") ==
        0);
    CHECK(ph.hosts().empty());
    FakePihole sudo(ioc.get_executor(), {.app_password = "app-secret", .app_sudo = true});
    const auto sid2 = login(ioc, sudo, "app-secret");
    CHECK(raw(ioc, sudo.url(),
              {.method = "PUT",
               .target = "/api/config/dns/hosts/192.0.2.7%20a.example.com",
               .headers = {{"X-FTL-SID", sid2}}})
              .status == 201);
  }
  SUBCASE("throttle: 429 rate_limiting with Retry-After, as a proxy in front of FTL") {
    const auto sid = login(ioc, ph, "correct horse");
    ph.throttle(2, "7");
    const http::Request get{.target = "/api/config/dns/hosts", .headers = {{"X-FTL-SID", sid}}};
    auto r = raw(ioc, ph.url(), get);
    CHECK(r.status == 429);
    CHECK(l1net::http::findHeader(r.headers, "Retry-After") ==
          std::optional<std::string_view>("7"));
    CHECK(r.body.find(R"({"error":{"key":"rate_limiting")") == 0);
    CHECK(raw(ioc, ph.url(), get).status == 429);
    CHECK(raw(ioc, ph.url(), get).status == 200);
    CHECK(ph.throttled() == 2);
  }
}

TEST_CASE("PiholeProvider: entries, paths, parsing") {
  CHECK(dnsd::piholePath(a("a.example.com", "192.0.2.7")) ==
        "/api/config/dns/hosts/192.0.2.7%20a.example.com");
  CHECK(dnsd::piholePath(Record{RecordType::kCNAME, "w.example.com", "a.example.com", 300}) ==
        "/api/config/dns/cnameRecords/w.example.com%2Ca.example.com%2C300?restart=false");
  const auto st = dnsd::parsePiholeEntries(
      {"192.0.2.7 a.example.com", "192.0.2.8 b.example.com c.example.com",
       "192.0.2.9  d.example.com", "2001:db8::1 e.example.com"},
      {"w.example.com,a.example.com", "v.example.com,a.example.com,60", "bad"});
  std::vector<std::string> got;
  for (const auto& r : st.records) {
    got.push_back(dnsd::describe(r));
  }
  CHECK(got == std::vector<std::string>{"A a.example.com 192.0.2.7",
                                        "AAAA e.example.com 2001:db8::1",
                                        "CNAME w.example.com a.example.com",
                                        "CNAME v.example.com a.example.com ttl=60"});
  CHECK(st.foreign_names ==
        std::set<std::string>{"b.example.com", "c.example.com", "d.example.com", "bad"});
  CHECK(st.entries == 7);
}

TEST_CASE("PiholeProvider against the fixture") {
  asio::io_context ioc;
  FakePihole ph(ioc.get_executor());
  dnsd::PiholeProvider p(ioc.get_executor(), opts(ph), l1net::testing::quietLogger());

  SUBCASE("one login, sid reused, writes, one restartdns per batch, logout") {
    dnsd::Plan plan;
    plan.creates = {a("a.example.com", "192.0.2.7"),
                    Record{RecordType::kCNAME, "w.example.com", "a.example.com", {}},
                    Record{RecordType::kCNAME, "v.example.com", "a.example.com", 60}};
    const auto res = runCoro(ioc, p.apply(plan));
    CHECK(res.ok());
    CHECK(res.created.size() == 3);
    CHECK(ph.hosts() == std::vector<std::string>{"192.0.2.7 a.example.com"});
    CHECK(ph.cnames() == std::vector<std::string>{"w.example.com,a.example.com",
                                                  "v.example.com,a.example.com,60"});
    CHECK(ph.logins() == 1);
    CHECK(ph.restarts() == 1);       // the restartdns call, not one per CNAME
    CHECK(p.stats().requests == 5);  // login + 3 PUT + restartdns
    std::set<std::string> sids;
    for (const auto& c : ph.calls()) {
      if (c.target != "/api/auth") {
        sids.insert(c.sid);
      }
    }
    REQUIRE(sids.size() == 1);  // the one session's sid on every call
    CHECK_FALSE(sids.begin()->empty());
    ioc.run_for(600ms);  // the DNS restart outage
    runVoid(ioc, p.shutdown());
    CHECK(ph.liveSessions() == 0);
    CHECK(p.stats().logouts == 1);
  }
  SUBCASE("400 Item already present and DELETE 404 count as success") {
    ph.hosts() = {"192.0.2.7 a.example.com"};
    dnsd::Plan plan;
    plan.creates = {a("a.example.com", "192.0.2.7")};
    plan.deletes = {a("gone.example.com", "192.0.2.9")};
    const auto res = runCoro(ioc, p.apply(plan));
    CHECK(res.ok());
    CHECK(res.created.size() == 1);
    CHECK(res.deleted.size() == 1);
  }
  SUBCASE("other errors fail that record only") {
    ph.intercept(
        [](const l1net::testing::TestRequest& r) -> std::optional<l1net::testing::TestResponse> {
          if (r.target.find("bad.example.com") != std::string::npos) {
            return l1net::testing::TestResponse{
                .status = 500,
                .body = R"({"error":{"key":"internal","message":"boom","hint":null},"took":0.1})"};
          }
          return std::nullopt;
        });
    dnsd::Plan plan;
    plan.creates = {a("bad.example.com", "192.0.2.1"), a("good.example.com", "192.0.2.2")};
    const auto res = runCoro(ioc, p.apply(plan));
    REQUIRE(res.failed.size() == 1);
    CHECK(res.failed[0].second == "HTTP 500 internal: boom");
    CHECK(res.created.size() == 1);
    CHECK(ph.hosts() == std::vector<std::string>{"192.0.2.2 good.example.com"});
  }
  SUBCASE("a 401 in the middle of a batch: exactly one new login, resent with only the new sid") {
    dnsd::Plan first;
    first.creates = {a("a.example.com", "192.0.2.1")};
    REQUIRE(runCoro(ioc, p.apply(first)).ok());
    const auto old_sid = ph.calls().back().sid;
    ph.expireAllSessions();  // the session times out between two writes
    ph.clearCalls();
    dnsd::Plan second;
    second.creates = {a("b.example.com", "192.0.2.2"), a("c.example.com", "192.0.2.3")};
    const auto res = runCoro(ioc, p.apply(second));
    CHECK(res.ok());
    CHECK(ph.logins() == 2);
    CHECK(p.stats().relogins == 1);
    REQUIRE(ph.calls().size() == 4);  // PUT 401, login, PUT 201, PUT 201
    CHECK(ph.calls()[0].status == 401);
    CHECK(ph.calls()[0].sid == old_sid);
    CHECK(ph.calls()[1].target == "/api/auth");
    CHECK(ph.calls()[2].status == 201);
    CHECK(ph.calls()[2].sid != old_sid);
    CHECK(ph.calls()[3].sid == ph.calls()[2].sid);
  }
  SUBCASE("wrong password: a clear error, no write") {
    dnsd::PiholeProvider bad(ioc.get_executor(),
                             {.url = ph.url(), .password = "wrong", .timeout = 3s},
                             l1net::testing::quietLogger());
    std::string why;
    const auto st = runCoro(ioc, bad.read(&why));
    CHECK_FALSE(st.has_value());
    CHECK(why.find("HTTP 401") != std::string::npos);
    CHECK(why.find("wrong") == std::string::npos);  // the password never appears
  }
  SUBCASE("an app password without app_sudo: reads work, each write fails with FTL's 403") {
    FakePihole app(ioc.get_executor(), {.app_password = "app-secret"});
    dnsd::PiholeProvider ap(ioc.get_executor(),
                            {.url = app.url(), .password = "app-secret", .timeout = 3s},
                            l1net::testing::quietLogger());
    std::string why;
    CHECK(runCoro(ioc, ap.read(&why)).has_value());
    dnsd::Plan plan;
    plan.creates = {a("a.example.com", "192.0.2.7")};
    const auto res = runCoro(ioc, ap.apply(plan));
    REQUIRE(res.failed.size() == 1);
    CHECK(res.failed[0].second.find("HTTP 403 forbidden: Unable to change configuration "
                                    "(read-only)") == 0);
    CHECK(res.failed[0].second.find("webserver.api.app_sudo") != std::string::npos);
    CHECK(app.logins() == 1);  // a 403 is not a session problem: no new login
    runVoid(ioc, ap.shutdown());
    CHECK(app.liveSessions() == 0);
  }
  SUBCASE("seats exhausted: 429 api_seats_exceeded is reported") {
    for (int i = 0; i < 16; ++i) {
      REQUIRE_FALSE(login(ioc, ph, "correct horse").empty());
    }
    std::string why;
    CHECK_FALSE(runCoro(ioc, p.read(&why)).has_value());
    CHECK(why.find("api_seats_exceeded") != std::string::npos);
  }
}

TEST_CASE(
    "PiholeProvider backs off on 429: Retry-After, growing jittered waits, no leak, no loss") {
  asio::io_context ioc;
  FakePihole ph(ioc.get_executor());
  dnsd::PiholeProvider p(ioc.get_executor(), opts(ph), l1net::testing::quietLogger());
  dnsd::Plan plan;
  plan.creates = {a("a.example.com", "192.0.2.1"), a("b.example.com", "192.0.2.2"),
                  a("c.example.com", "192.0.2.3")};

  SUBCASE("Retry-After within the budget: waited out, the same request sent again") {
    auto o = opts(ph);
    o.max_wait_per_call = 5s;
    dnsd::PiholeProvider slow(ioc.get_executor(), o, l1net::testing::quietLogger());
    std::string why;
    REQUIRE(runCoro(ioc, slow.read(&why)).has_value());
    ph.throttle(1, "1");
    ph.clearCalls();
    const auto t0 = std::chrono::steady_clock::now();
    const auto res = runCoro(ioc, slow.apply(plan));
    CHECK(std::chrono::steady_clock::now() - t0 >= 1s);
    CHECK(res.ok());
    CHECK(ph.hosts().size() == 3);
    REQUIRE(ph.calls().size() == 4);  // PUT 429, the same PUT again, two more PUTs
    CHECK(ph.calls()[0].status == 429);
    CHECK(ph.calls()[1].target == ph.calls()[0].target);
    CHECK(ph.calls()[1].status == 201);
    CHECK(ph.logins() == 1);
    CHECK(slow.stats().rate_limited == 1);
    runVoid(ioc, slow.shutdown());
    CHECK(ph.liveSessions() == 0);
  }
  SUBCASE("without Retry-After: waits grow (20, 40, 80, 100 ms, equal jitter), then succeed") {
    std::string why;
    REQUIRE(runCoro(ioc, p.read(&why)).has_value());
    std::vector<std::chrono::steady_clock::time_point> at;
    ph.intercept(
        [&](const l1net::testing::TestRequest&) -> std::optional<l1net::testing::TestResponse> {
          at.push_back(std::chrono::steady_clock::now());
          return std::nullopt;
        });
    ph.throttle(4);
    const auto res = runCoro(ioc, p.apply(plan));
    CHECK(res.ok());
    CHECK(ph.hosts().size() == 3);
    REQUIRE(at.size() == 7);  // 4 x 429 on the first PUT, then three PUTs
    // Equal jitter: each wait is at least half its step (10, 20, 40, 50 ms).
    const std::chrono::milliseconds min_wait[] = {10ms, 20ms, 40ms, 50ms};
    for (std::size_t i = 0; i < 4; ++i) {
      CHECK(at[i + 1] - at[i] >= min_wait[i]);
    }
    CHECK(p.stats().rate_limited == 4);
    CHECK(ph.logins() == 1);
  }
  SUBCASE("a wait beyond the budget: the rest is not sent, nothing is lost, retried later") {
    l1net::metrics::Registry reg;
    dnsd::Syncer s({&p}, {}, l1net::testing::quietLogger(), reg);
    dnsd::DesiredRecords desired;
    desired.records = plan.creates;
    desired.endpoints = 3;
    bool armed = false;
    ph.intercept(
        [&](const l1net::testing::TestRequest& r) -> std::optional<l1net::testing::TestResponse> {
          if (r.method == "PUT" && !armed) {
            armed = true;
            ph.throttle(1, "2");  // the first write: 429, Retry-After 2 s > the 300 ms budget
          }
          return std::nullopt;
        });
    auto rep = runCoro(ioc, s.runCycle(desired, 1001));
    CHECK_FALSE(rep.ok);
    CHECK(rep.failed == 3);
    CHECK(rep.creates == 0);
    CHECK(s.ledger().instances.at(p.id()).empty());  // nothing recorded that was not written
    std::size_t puts = 0;
    for (const auto& c : ph.calls()) {
      puts += c.method == "PUT" ? 1U : 0U;
    }
    CHECK(puts == 1);  // the 429; the other two were not sent
    CHECK(p.stats().backoff_skips == 2);
    // Before the Retry-After is over, a cycle sends nothing at all.
    ph.clearCalls();
    auto blocked = runCoro(ioc, s.runCycle(desired, 1002));
    CHECK_FALSE(blocked.ok);
    CHECK(ph.calls().empty());
    // After it, everything is created, in the same session.
    ioc.run_for(2100ms);
    auto after = runCoro(ioc, s.runCycle(desired, 1004));
    CHECK(after.ok);
    CHECK(after.creates == 3);
    CHECK(s.ledger().instances.at(p.id()).size() == 3);
    CHECK(ph.logins() == 1);
    runVoid(ioc, p.shutdown());
    CHECK(ph.liveSessions() == 0);
  }
  SUBCASE("429 rate_limiting on login (FTL's body, no Retry-After): backed off, one session") {
    int login_tries = 0;
    ph.intercept([&](const l1net::testing::TestRequest& r)
                     -> std::optional<l1net::testing::TestResponse> {
      if (r.target == "/api/auth" && r.method == "POST" && ++login_tries <= 2) {
        return l1net::testing::TestResponse{
            .status = 429,
            .body =
                R"({"error":{"key":"rate_limiting","message":"Rate-limiting login attempts","hint":null},"took":0.25})"};
      }
      return std::nullopt;
    });
    std::string why;
    CHECK(runCoro(ioc, p.read(&why)).has_value());
    CHECK(login_tries == 3);
    CHECK(ph.logins() == 1);
    CHECK(ph.liveSessions() == 1);
    runVoid(ioc, p.shutdown());
    CHECK(ph.liveSessions() == 0);
  }
  SUBCASE("a restartdns answered 429 beyond the budget is sent by the next read") {
    dnsd::Plan cn;
    cn.creates = {Record{RecordType::kCNAME, "w.example.com", "a.example.com", {}}};
    std::string why;
    REQUIRE(runCoro(ioc, p.read(&why)).has_value());
    ph.intercept(
        [&](const l1net::testing::TestRequest& r) -> std::optional<l1net::testing::TestResponse> {
          if (r.target == "/api/action/restartdns" && ph.restarts() == 0 && ph.throttled() == 0) {
            ph.throttle(1, "1");
          }
          return std::nullopt;
        });
    const auto res = runCoro(ioc, p.apply(cn));
    CHECK(res.ok());  // the record is written; only its activation waits
    CHECK(ph.restarts() == 0);
    ioc.run_for(1100ms);
    REQUIRE(runCoro(ioc, p.read(&why)).has_value());
    CHECK(ph.restarts() == 1);
  }
  SUBCASE("shutdown waits out a short 429 so the session is closed") {
    std::string why;
    REQUIRE(runCoro(ioc, p.read(&why)).has_value());
    ph.throttle(1, "1");
    runVoid(ioc, p.shutdown());
    CHECK(ph.liveSessions() == 0);
    CHECK(p.stats().logouts == 1);
  }
}

TEST_CASE("Syncer: ledger, foreign records, several Pi-holes, drift, dry-run") {
  asio::io_context ioc;
  l1net::testing::TempDir dir;
  FakePihole ph1(ioc.get_executor());
  FakePihole ph2(ioc.get_executor());
  dnsd::PiholeProvider p1(ioc.get_executor(), opts(ph1), l1net::testing::quietLogger());
  dnsd::PiholeProvider p2(ioc.get_executor(), opts(ph2), l1net::testing::quietLogger());
  l1net::metrics::Registry reg;
  const auto ledger_path = dir.file("ledger.json");
  dnsd::DesiredRecords desired;
  desired.records = {a("app.example.com", "192.0.2.7"), a("new.example.com", "192.0.2.8")};
  desired.endpoints = 2;
  // Foreign: a manual record in the same domain and one on a desired name.
  ph1.hosts() = {"192.0.2.50 manual.example.com"};
  ph2.hosts() = {"192.0.2.50 manual.example.com"};

  SUBCASE("sync creates on both, keeps foreign records, persists the ledger") {
    dnsd::Syncer s({&p1, &p2}, {.ledger_path = ledger_path}, l1net::testing::quietLogger(), reg);
    auto rep = runCoro(ioc, s.runCycle(desired, 1000));
    CHECK(rep.ok);
    CHECK(rep.creates == 4);
    for (auto* ph : {&ph1, &ph2}) {
      CHECK(ph->hosts() == std::vector<std::string>{"192.0.2.50 manual.example.com",
                                                    "192.0.2.7 app.example.com",
                                                    "192.0.2.8 new.example.com"});
    }
    CHECK(reg.find("external_dns_controller_last_sync_timestamp_seconds")->value() == 1000);
    // Desired shrinks: only our record goes, the manual one stays (sync).
    desired.records = {a("app.example.com", "192.0.2.7")};
    rep = runCoro(ioc, s.runCycle(desired, 1001));
    CHECK(rep.deletes == 2);
    CHECK(ph1.hosts() ==
          std::vector<std::string>{"192.0.2.50 manual.example.com", "192.0.2.7 app.example.com"});
    // A new Syncer (restart) reads the ledger back.
    dnsd::Syncer again({&p1, &p2}, {.ledger_path = ledger_path}, l1net::testing::quietLogger(),
                       reg);
    CHECK(again.ledger() == s.ledger());
    CHECK(again.ledger().instances.at(p1.id()).size() == 1);
  }
  SUBCASE("drift on one instance is repaired next cycle") {
    dnsd::Syncer s({&p1, &p2}, {}, l1net::testing::quietLogger(), reg);
    REQUIRE(runCoro(ioc, s.runCycle(desired, 1)).ok);
    ph2.hosts().erase(ph2.hosts().begin() + 1);  // someone deletes app.example.com on ph2
    const auto rep = runCoro(ioc, s.runCycle(desired, 2));
    CHECK(rep.creates == 1);
    CHECK(ph2.hosts().size() == 3);
  }
  SUBCASE("one instance down does not block the other") {
    ph1.server().stop();
    dnsd::Syncer s({&p1, &p2}, {}, l1net::testing::quietLogger(), reg);
    const auto rep = runCoro(ioc, s.runCycle(desired, 1));
    CHECK_FALSE(rep.ok);
    CHECK(ph2.hosts().size() == 3);
    CHECK(reg.find("external_dns_registry_errors_total")->value({{"instance", p1.id()}}) == 1);
  }
  SUBCASE("a wildcard and a multi-target CNAME fail alone; the rest of the batch is written") {
    const auto loaded = l1net::manifest::loadManifestText(R"(apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: t
  annotations:
    external-dns.kubernetes.io/hostname: "*.wild.example.com, ok.example.com"
spec:
  type: LoadBalancer
  ports: [{port: 80}]
status:
  loadBalancer:
    ingress: [{ip: 192.0.2.30}]
---
apiVersion: v1
kind: Service
metadata:
  name: multi
  namespace: t
  annotations:
    external-dns.alpha.kubernetes.io/hostname: alias.example.com
    external-dns.alpha.kubernetes.io/target: a.example.net, b.example.net
spec:
  type: LoadBalancer
  ports: [{port: 80}]
)",
                                                          "batch.yaml");
    REQUIRE(loaded.ok());
    const auto d = dnsd::desiredRecords(loaded.set, {});
    dnsd::Syncer s({&p1}, {}, l1net::testing::quietLogger(), reg);
    const auto rep = runCoro(ioc, s.runCycle(d, 1));
    CHECK(rep.creates == 1);
    CHECK(ph1.hosts() ==
          std::vector<std::string>{"192.0.2.50 manual.example.com", "192.0.2.30 ok.example.com"});
    CHECK(ph1.cnames().empty());
    CHECK(reg.find("external_dns_source_errors_total")->value() == 2);  // one per bad record
  }
  SUBCASE("a foreign record on a desired name is never touched; --adopt takes exact matches") {
    ph1.hosts() = {"192.0.2.7 app.example.com", "192.0.2.99 new.example.com"};
    dnsd::Syncer s({&p1}, {}, l1net::testing::quietLogger(), reg);
    auto rep = runCoro(ioc, s.runCycle(desired, 1));
    CHECK(rep.creates == 0);
    CHECK(rep.foreign_skipped == 2);
    CHECK(ph1.hosts() ==
          std::vector<std::string>{"192.0.2.7 app.example.com", "192.0.2.99 new.example.com"});
    CHECK(reg.find("l1net_dnsd_foreign_records_skipped")->value() == 2);
    dnsd::Syncer adopt({&p1}, {.adopt = true}, l1net::testing::quietLogger(), reg);
    rep = runCoro(ioc, adopt.runCycle(desired, 2));
    CHECK(adopt.ledger().instances.at(p1.id()).size() == 1);  // app only; new stays foreign
    desired.records.clear();
    rep = runCoro(ioc, adopt.runCycle(desired, 3));
    CHECK(ph1.hosts() == std::vector<std::string>{"192.0.2.99 new.example.com"});
  }
  SUBCASE("dry-run reads, lists the calls, writes nothing") {
    dnsd::Syncer s({&p1}, {.dry_run = true, .ledger_path = ledger_path},
                   l1net::testing::quietLogger(), reg);
    const auto rep = runCoro(ioc, s.runCycle(desired, 1));
    CHECK(rep.calls.size() == 2);
    CHECK(rep.calls[0].rfind(
              "PUT " + ph1.url() + "/api/config/dns/hosts/192.0.2.7%20app.example.com", 0) == 0);
    CHECK(ph1.hosts().size() == 1);
    for (const auto& c : ph1.calls()) {
      CHECK((c.method == "GET" || c.target == "/api/auth"));
    }
    CHECK_FALSE(std::filesystem::exists(ledger_path));
  }
  SUBCASE("an unreadable ledger refuses to start") {
    dir.write("ledger.json", "{\"version\":1,\"instances\":{\"x\":[{\"type\":\"TXT\"}]}}");
    CHECK_THROWS_WITH_AS(
        dnsd::Syncer({&p1}, {.ledger_path = ledger_path}, l1net::testing::quietLogger(), reg),
        doctest::Contains("instances.\"x\"[0].type"), std::runtime_error);
  }
  runVoid(ioc, p1.shutdown());
  runVoid(ioc, p2.shutdown());
}

TEST_CASE("Syncer verifies changed names through the DnsTransport seam") {
  asio::io_context ioc;
  FakePihole ph(ioc.get_executor());
  dnsd::PiholeProvider p(ioc.get_executor(), opts(ph), l1net::testing::quietLogger());
  l1net::metrics::Registry reg;
  l1net::testing::FakeDnsTransport dns;
  dnsd::DesiredRecords desired;
  desired.records = {a("ok.example.com", "192.0.2.7"), a("stale.example.com", "192.0.2.8")};
  dns.answers[{"ok.example.com", RecordType::kA}] = {"192.0.2.7"};
  dns.answers[{"stale.example.com", RecordType::kA}] = {"192.0.2.99"};  // server disagrees
  dnsd::Syncer s({&p}, {}, l1net::testing::quietLogger(), reg, &dns);
  const auto rep = runCoro(ioc, s.runCycle(desired, 1));
  CHECK(rep.creates == 2);
  CHECK(rep.verify_mismatches == 1);
  CHECK(reg.find("l1net_dnsd_verify_mismatches_total")->value() == 1);
  // The mismatch is asked again (servers apply changes late) before it counts.
  CHECK(std::count(dns.queries.begin(), dns.queries.end(), "A stale.example.com") == 6);
  CHECK(std::count(dns.queries.begin(), dns.queries.end(), "A ok.example.com") == 1);
  SUBCASE("a failing query is an error, not a mismatch; unchanged names are not queried") {
    dns.queries.clear();
    desired.records.push_back(a("new.example.com", "192.0.2.9"));
    dns.failures["new.example.com"] = make_error_code(std::errc::timed_out);
    const auto rep2 = runCoro(ioc, s.runCycle(desired, 2));
    CHECK(rep2.verify_mismatches == 0);
    CHECK(reg.find("l1net_dnsd_verify_errors_total")->value() == 1);
    CHECK(dns.queries == std::vector<std::string>{"A new.example.com"});
  }
  SUBCASE("after the server fails to answer, the other checks of the cycle are skipped") {
    dns.queries.clear();
    for (const char* n : {"n1.example.com", "n2.example.com", "n3.example.com"}) {
      desired.records.push_back(a(n, "192.0.2.10"));
      dns.failures[n] = make_error_code(std::errc::timed_out);
    }
    const auto rep2 = runCoro(ioc, s.runCycle(desired, 2));
    CHECK(rep2.creates == 3);
    CHECK(dns.queries == std::vector<std::string>{"A n1.example.com"});
    CHECK(rep2.verify_skipped == 2);
    CHECK(reg.find("l1net_dnsd_verify_errors_total")->value() == 1);
  }
  runVoid(ioc, p.shutdown());
}

TEST_CASE("PiholeProvider over TLS: verified with --pihole-ca-file, refused without") {
  asio::io_context ioc;
  const auto id = l1net::testing::makeSelfSignedIdentity("pi.hole");
  FakePihole ph(ioc.get_executor(), {}, id);
  l1net::testing::TempDir dir;
  const auto ca = dir.write("ca.pem", id.cert_pem);
  std::string why;
  dnsd::PiholeProvider verified(
      ioc.get_executor(),
      {.url = ph.url(), .password = "correct horse", .tls = {.ca_file = ca}, .timeout = 3s},
      l1net::testing::quietLogger());
  CHECK(runCoro(ioc, verified.read(&why)).has_value());
  dnsd::PiholeProvider unverified(ioc.get_executor(),
                                  {.url = ph.url(), .password = "correct horse", .timeout = 3s},
                                  l1net::testing::quietLogger());
  CHECK_FALSE(runCoro(ioc, unverified.read(&why)).has_value());
  CHECK(why.find("login") != std::string::npos);
  dnsd::PiholeProvider skip(
      ioc.get_executor(),
      {.url = ph.url(), .password = "correct horse", .tls = {.verify = false}, .timeout = 3s},
      l1net::testing::quietLogger());
  CHECK(runCoro(ioc, skip.read(&why)).has_value());
  CHECK(ph.logins() == 2);
  runVoid(ioc, verified.shutdown());
  runVoid(ioc, skip.shutdown());
  CHECK(ph.liveSessions() == 0);
}

namespace {

// An in-memory LedgerStore (the shape of the Kubernetes-mode ConfigMap store).
class MemoryLedgerStore final : public dnsd::LedgerStore {
 public:
  std::string text;
  bool fail_load = false;
  int saves = 0;
  asio::awaitable<l1net::Result<std::string>> load(std::string* why) override {
    if (fail_load) {
      *why = "configmap l1net-dnsd-ledger: HTTP 403";
      co_return make_error_code(std::errc::permission_denied);
    }
    co_return text;
  }
  asio::awaitable<l1net::Result<std::string>> save(std::string t, std::string* /*why*/) override {
    text = std::move(t);
    ++saves;
    co_return text;
  }
};

}  // namespace

TEST_CASE("Syncer with a LedgerStore: loaded before the first cycle, nothing changes without it") {
  asio::io_context ioc;
  FakePihole ph(ioc.get_executor());
  dnsd::PiholeProvider p(ioc.get_executor(), opts(ph), l1net::testing::quietLogger());
  l1net::metrics::Registry reg;
  MemoryLedgerStore store;
  dnsd::DesiredRecords desired;
  desired.records = {a("app.example.com", "192.0.2.7")};
  dnsd::Syncer s({&p}, {.ledger_store = &store}, l1net::testing::quietLogger(), reg);
  SUBCASE("unreadable store: no call to the provider") {
    store.fail_load = true;
    CHECK_FALSE(runCoro(ioc, s.runCycle(desired, 1)).ok);
    CHECK(ph.calls().empty());
    store.fail_load = false;
    CHECK(runCoro(ioc, s.runCycle(desired, 2)).ok);
    CHECK(ph.hosts() == std::vector<std::string>{"192.0.2.7 app.example.com"});
    CHECK(store.saves == 1);
    CHECK(store.text.find("\"app.example.com\"") != std::string::npos);
  }
  SUBCASE("a damaged stored ledger is never overwritten") {
    store.text = "{not json";
    CHECK_FALSE(runCoro(ioc, s.runCycle(desired, 1)).ok);
    CHECK(store.saves == 0);
    CHECK(ph.hosts().empty());
  }
  SUBCASE("the stored ledger decides ownership") {
    ph.hosts() = {"192.0.2.5 old.example.com"};
    dnsd::Ledger l;
    l.instances[p.id()] = {a("old.example.com", "192.0.2.5")};
    store.text = dnsd::renderLedger(l);
    CHECK(runCoro(ioc, s.runCycle(desired, 1)).ok);
    CHECK(ph.hosts() == std::vector<std::string>{"192.0.2.7 app.example.com"});  // old was ours
  }
  runVoid(ioc, p.shutdown());
}
