// A Pi-hole v6 API fixture that behaves as FTL v6.4.1 does for what l1net-dnsd uses (see
// /work/shared/reference/pihole-externaldns.md and docs/dnsd.md):
//  - POST /api/auth {"password"}: 200 {"session":{"valid":true,"sid","csrf","validity":1800,...}};
//    wrong password 401 {"session":{"valid":false,...,"message":"password incorrect"}}; more than
//    max_sessions live sessions 429 api_seats_exceeded. DELETE /api/auth 204 (401 without a valid
//    sid). Sessions expire after 1800 s without use (sliding; the fixture's clock can be advanced).
//  - The sid is read from X-FTL-SID or sid headers (first one wins) or ?sid=; without a valid
//    one every other endpoint answers 401 {"error":{"key":"unauthorized",...}}.
//  - GET /api/config/dns/hosts and /cnameRecords: {"config":{"dns":{"hosts":[...]}},"took"}.
//  - PUT .../{value} 201; duplicate 400 "Item already present"; invalid 400 "Invalid value";
//    DELETE 204, 404 when absent. Exact, case-sensitive string matching; '+' and %20 both decode to
//    a space. A cnameRecords write without ?restart=false, and POST /api/action/restartdns, restart
//    DNS: the API (and DNS) is unavailable for restart_outage (connections dropped).
//  - Errors are {"error":{"key","message","hint"},"took"}.
#pragma once

#include <chrono>
#include <cstddef>
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
};

class FakePihole {
 public:
  struct Call {
    std::string method;
    std::string target;   // as sent
    std::string sid;      // the sid the request carried ("" none)
    unsigned status = 0;  // 0 = dropped
  };

  FakePihole(boost::asio::any_io_executor ex, FakePiholeOptions opts = {},
             std::optional<TlsIdentity> tls = std::nullopt);

  [[nodiscard]] std::string url() const;
  std::vector<std::string>& hosts() noexcept { return hosts_; }
  std::vector<std::string>& cnames() noexcept { return cnames_; }

  [[nodiscard]] std::size_t liveSessions() const;
  void advance(std::chrono::seconds s) noexcept { offset_ += s; }  // the fixture's clock
  void expireAllSessions() noexcept { sessions_.clear(); }
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
  std::map<std::string, std::chrono::steady_clock::time_point> sessions_;  // sid -> expiry
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
