// Pi-hole v6 REST provider (FTL v6.4.1 behaviour; see docs/dnsd.md).
//
//  - Session: POST /api/auth {"password"} once, then X-FTL-SID on every call. A 401 means the
//    session expired: log in again exactly once and resend carrying only the new sid. Wrong
//    passwords are clear errors. shutdown() sends DELETE /api/auth so restarts never leak a
//    session.
//  - 429 (FTL: api_seats_exceeded, rate_limiting on login; a proxy: any call): back off (see
//    backoff.hpp: growing, jittered, capped, at least the Retry-After). While the wait fits the
//    call's budget (max_wait_per_call, per read() and per apply()) dnsd waits and resends the same
//    request; otherwise the instance is blocked until the wait is over: the rest of the batch
//    fails without being sent (those records stay desired, deletes stay in the ledger: the next
//    cycle retries them) and calls before then fail at once. The session is kept (no new login),
//    and a restartdns that could not be sent is sent by the next read().
//  - Read: GET /api/config/dns/hosts and /api/config/dns/cnameRecords. "IP NAME" (one space) and
//    "name,target[,ttl]" are records dnsd may own; any other entry's names are foreign.
//  - Write: PUT/DELETE /api/config/dns/hosts/{percent-encoded "IP NAME"} and
//    cnameRecords/{percent-encoded "name,target[,ttl]"}?restart=false. PUT 201 or 400 "Item already
//    present" = present; DELETE 204 or 404 = gone; anything else fails that record only. After a
//    batch with a successful CNAME change, one POST /api/action/restartdns.
//  - The password is never logged.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/dnsd/backoff.hpp"
#include "l1net/dnsd/providers/provider.hpp"
#include "l1net/http/client.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::dnsd {

struct PiholeOptions {
  std::string url;       // "http://192.0.2.10", "https://pi.hole:443"
  std::string password;  // never logged
  http::TlsOptions tls;
  std::chrono::milliseconds timeout{10'000};
  BackoffPolicy backoff;
  std::chrono::milliseconds max_wait_per_call{30'000};
};

struct PiholeStats {
  std::uint64_t logins = 0;         // sessions opened (POST /api/auth 200)
  std::uint64_t logouts = 0;        // DELETE /api/auth 204
  std::uint64_t relogins = 0;       // logins after a 401
  std::uint64_t requests = 0;       // HTTP requests sent
  std::uint64_t errors = 0;         // failed calls
  std::uint64_t rate_limited = 0;   // 429 answers
  std::uint64_t backoff_skips = 0;  // calls not sent because the instance was backing off
};

class PiholeProvider final : public Provider {
 public:
  // Throws std::invalid_argument for a bad URL or TLS setup (start-up configuration).
  PiholeProvider(boost::asio::any_io_executor ex, PiholeOptions opts,
                 std::shared_ptr<spdlog::logger> logger);
  ~PiholeProvider() override;

  [[nodiscard]] const std::string& id() const noexcept override;
  boost::asio::awaitable<Result<ProviderState>> read(std::string* why) override;
  boost::asio::awaitable<ApplyResult> apply(const Plan& plan) override;
  [[nodiscard]] std::vector<std::string> describeCalls(const Plan& plan) const override;
  boost::asio::awaitable<void> shutdown() override;

  [[nodiscard]] const PiholeStats& stats() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Pure helpers, exposed for tests: the entry text and the API path for a record.
[[nodiscard]] std::string piholeEntry(const Record& r);
[[nodiscard]] std::string piholePath(const Record& r);  // "/api/config/dns/hosts/..."
// Parses the entries of the two lists into a ProviderState.
[[nodiscard]] ProviderState parsePiholeEntries(const std::vector<std::string>& hosts,
                                               const std::vector<std::string>& cnames);

}  // namespace l1net::dnsd
