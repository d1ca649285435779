// A Pi-hole v6 API fixture that behaves as FTL v6.4.1 does for what l1net-dnsd uses (see
// /work/shared/reference/pihole-externaldns.md and docs/dnsd.md):
//  - POST /api/auth {"password"}: 200 {"session":{"valid":true,"sid","csrf","validity":1800,...}};
//    wrong password 401 {"session":{"valid":false,...,"message":"password incorrect"}}; more than
//    max_sessions live sessions 429 api_seats_exceeded. DELETE /api/auth 204 (401 without a valid
//    sid). Sessions expire after 1800 s without use (sliding; the fixture's clock can be advanced).
//  - The sid is looked for where FTL's check_client_auth() looks, in its order: a "sid" member of a
//    JSON body, the "sid" header, the "X-FTL-SID" header, the "sid" cookie, then ?sid=. A sid from
//    the cookie counts only with an "X-CSRF-TOKEN" header equal to the session's csrf (FTL's
//    header name; clients that send X-FTL-CSRF send a header FTL ignores). Without a valid sid
//    every other endpoint answers 401 {"error":{"key":"unauthorized",...}}. Login answers carry
//    Set-Cookie: sid=...; SameSite=Strict; Path=/; Max-Age=1800; HttpOnly, as FTL's do.
//  - Login rate limiting (FTL's verify_password): password checks are counted per wall-clock
//    second; the 4th and later in the same second answer, after 250 ms, 429
//    {"error":{"key":"rate_limiting","message":"Rate-limiting login attempts","hint":null}} even
//    for the right password; a successful check does not count. FTL sends no Retry-After.
//  - App password (webserver.api.app_pwhash): logs in like the password; such a session may read
//    but gets 403 {"error":{"key":"forbidden","message":"Unable to change configuration
//    (read-only)",...}} on config writes unless app_sudo (webserver.api.app_sudo) is set.
//  - throttle(n, retry_after): the next n authenticated requests answer 429 as a rate-limiting
//    reverse proxy in front of FTL would (FTL's own error shape, key "rate_limiting", and a
//    Retry-After header when given). FTL itself never rate-limits non-login requests.
//  - GET /api/config/dns/hosts and /cnameRecords: {"config":{"dns":{"hosts":[...]}},"took"}.
//  - PUT .../{value} 201; duplicate 400 "Item already present"; invalid 400 "Invalid value";
//    DELETE 204, 404 when absent. Exact, case-sensitive string matching; '+' and %20 both decode to
//    a space. A cnameRecords write without ?restart=false, and POST /api/action/restartdns, restart
//    DNS: the API (and DNS) is unavailable for restart_outage (connections dropped).
//  - Errors are {"error":{"key","message","hint"},"took"}.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/testing/http_test_server.hpp"

namespace l1net::testing {

struct FakePiholeOptions {
  std::string password = "correct horse";
  std::size_t max_sessions = 16;
  std::chrono::seconds session_timeout{1800};
  std::chrono::milliseconds restart_outage{550};
  std::string app_password;  // "" = none set
  bool app_sudo = false;     // webserver.api.app_sudo
  unsigned max_login_attempts_per_second = 3;
};

class FakePihole {
 public:
  struct Call {
    std::string method;
    std::string target;      // as sent
    std::string sid;         // the sid the request carried ("" none)
    std::string sid_source;  // "json", "header", "cookie", "query" or ""
    unsigned status = 0;     // 0 = dropped
  };

  FakePihole(boost::asio::any_io_executor ex, FakePiholeOptions opts = {},
             std::optional<TlsIdentity> tls = std::nullopt);

  [[nodiscard]] std::string url() const;
  std::vector<std::string>& hosts() noexcept { return hosts_; }
  std::vector<std::string>& cnames() noexcept { return cnames_; }

  [[nodiscard]] std::size_t liveSessions() const;
  void advance(std::chrono::seconds s) noexcept { offset_ += s; }  // the fixture's clock
  void expireAllSessions() noexcept { sessions_.clear(); }
  // The csrf token of a live session ("" when unknown).
  [[nodiscard]] std::string csrfOf(const std::string& sid) const;
  // The next n authenticated requests answer 429 (see above); retry_after "" = no header.
  void throttle(std::size_t n, std::string retry_after = {}) {
    throttle_left_ = n;
    throttle_retry_after_ = std::move(retry_after);
  }
  [[nodiscard]] std::size_t throttled() const noexcept { return throttled_; }
  [[nodiscard]] std::size_t logins() const noexcept { return logins_; }
  [[nodiscard]] std::size_t restarts() const noexcept { return restarts_; }
  [[nodiscard]] const std::vector<Call>& calls() const noexcept { return calls_; }
  void clearCalls() noexcept { calls_.clear(); }
  // When set and it returns a response, that response is sent instead (error injection).
  void intercept(std::function<std::optional<TestResponse>(const TestRequest&)> f) {
    intercept_ = std::move(f);
  }
  [[nodiscard]] HttpTestServer& server() noexcept { return server_; }

 private:
  TestResponse handle(const TestRequest& req);
  [[nodiscard]] std::chrono::steady_clock::time_point now() const;

  FakePiholeOptions opts_;
  std::vector<std::string> hosts_;
  std::vector<std::string> cnames_;
  struct Session {
    std::chrono::steady_clock::time_point expiry;
    std::string csrf;
    bool app = false;
  };
  // One password check against FTL's per-second limit: false = rate limited.
  bool countPasswordCheck();

  std::map<std::string, Session> sessions_;  // by sid
  std::int64_t attempt_second_ = -1;
  unsigned attempts_in_second_ = 0;
  std::size_t throttle_left_ = 0;
  std::string throttle_retry_after_;
  std::size_t throttled_ = 0;
  std::chrono::seconds offset_{0};
  std::chrono::steady_clock::time_point unavailable_until_{};
  std::size_t logins_ = 0;
  std::size_t restarts_ = 0;
  std::size_t next_sid_ = 1;
  std::vector<Call> calls_;
  std::function<std::optional<TestResponse>(const TestRequest&)> intercept_;
  HttpTestServer server_;
};

}  // namespace l1net::testing
