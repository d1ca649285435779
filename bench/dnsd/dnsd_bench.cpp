// bench/dnsd: l1net-dnsd's Pi-hole provider and sync loop against the FTL v6 fixture on loopback
// (tests/fakes/fake_pihole), in one process: the fixture and dnsd share one io_context thread,
// so the wall time includes the fixture's own work.
//
// Figures:
//  - requests for a first sync of N = 1,000 records (990 A + 10 CNAME) and a logout, counted by
//    the fixture (target <= N + 5: login, two reads, one write per record, one restartdns, one
//    logout) and its wall time;
//  - requests of a second, no-op sync (target 2: the two reads);
//  - live sessions left after 50 restarts (new provider, one sync, shutdown; target 0);
//  - the first sync again against a fixture that answers 429 with Retry-After: 1 to the 200th,
//    500th and 800th write (a rate-limiting proxy): records created (target N), requests (target
//    N + 5 + 3 resent), wall time (at least 3 s of honoured Retry-After) and sessions left.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "l1net/dnsd/io/syncer.hpp"
#include "l1net/dnsd/providers/pihole.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/testing/fake_pihole.hpp"
#include "l1net/testing/quiet_logger.hpp"

namespace asio = boost::asio;
namespace dnsd = l1net::dnsd;
using Clock = std::chrono::steady_clock;

namespace {

template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> aw) {
  std::optional<T> out;
  asio::co_spawn(ioc, std::move(aw), [&](const std::exception_ptr& e, T v) {
    if (e) {
      std::rethrow_exception(e);
    }
    out.emplace(std::move(v));
  });
  while (!out) {
    ioc.run_one();
  }
  return std::move(*out);
}

void runVoid(asio::io_context& ioc, asio::awaitable<void> aw) {
  bool done = false;
  asio::co_spawn(ioc, std::move(aw), [&](const std::exception_ptr&) { done = true; });
  while (!done) {
    ioc.run_one();
  }
}

}  // namespace

int main() {
  constexpr std::size_t kRecords = 1000;
  constexpr std::size_t kCnames = 10;
  constexpr int kRestarts = 50;
  asio::io_context ioc;
  l1net::testing::FakePihole ph(ioc.get_executor());
  const dnsd::PiholeOptions opts{.url = ph.url(), .password = "correct horse"};
  dnsd::DesiredRecords desired;
  for (std::size_t i = 0; i < kRecords - kCnames; ++i) {
    desired.records.push_back(dnsd::Record{dnsd::RecordType::kA,
                                           "r" + std::to_string(i) + ".bench.test",
                                           "198.51.100." + std::to_string(i % 250 + 1),
                                           {}});
  }
  for (std::size_t i = 0; i < kCnames; ++i) {
    desired.records.push_back(dnsd::Record{
        dnsd::RecordType::kCNAME, "c" + std::to_string(i) + ".bench.test", "r0.bench.test", {}});
  }
  std::sort(desired.records.begin(), desired.records.end());
  desired.endpoints = kRecords;
  l1net::metrics::Registry reg;

  std::size_t first_requests = 0;
  std::size_t noop_requests = 0;
  double first_ms = 0;
  std::size_t created = 0;
  {
    dnsd::PiholeProvider p(ioc.get_executor(), opts, l1net::testing::quietLogger());
    dnsd::Syncer s({&p}, {}, l1net::testing::quietLogger(), reg);
    const auto t0 = Clock::now();
    const auto rep = run(ioc, s.runCycle(desired, 0));
    first_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    created = rep.creates;
    // Let the fixture's DNS restart outage (restartdns) pass, as a daemon's next cycle would.
    ioc.run_for(std::chrono::milliseconds(700));
    const auto before_noop = ph.calls().size();
    const auto rep2 = run(ioc, s.runCycle(desired, 1));
    noop_requests = ph.calls().size() - before_noop;
    (void)rep2;
    runVoid(ioc, p.shutdown());
    first_requests = ph.calls().size() - noop_requests;
  }
  ph.clearCalls();
  const auto logins_before = ph.logins();
  for (int i = 0; i < kRestarts; ++i) {
    dnsd::PiholeProvider p(ioc.get_executor(), opts, l1net::testing::quietLogger());
    dnsd::Syncer s({&p}, {}, l1net::testing::quietLogger(), reg);
    (void)run(ioc, s.runCycle(desired, 2));
    runVoid(ioc, p.shutdown());
  }
  const auto sessions_left = ph.liveSessions();

  // Under a rate-limiting proxy.
  l1net::testing::FakePihole tp(ioc.get_executor());
  std::size_t puts = 0;
  tp.intercept(
      [&](const l1net::testing::TestRequest& r) -> std::optional<l1net::testing::TestResponse> {
        if (r.method == "PUT") {
          ++puts;
          if (puts == 200 || puts == 500 || puts == 800) {
            tp.throttle(1, "1");
          }
        }
        return std::nullopt;
      });
  std::size_t throttled_created = 0;
  double throttled_ms = 0;
  {
    dnsd::PiholeProvider p(ioc.get_executor(), {.url = tp.url(), .password = "correct horse"},
                           l1net::testing::quietLogger());
    dnsd::Syncer s({&p}, {}, l1net::testing::quietLogger(), reg);
    const auto t0 = Clock::now();
    const auto rep = run(ioc, s.runCycle(desired, 0));
    throttled_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    throttled_created = rep.creates;
    ioc.run_for(std::chrono::milliseconds(700));
    runVoid(ioc, p.shutdown());
  }
  const auto throttled_requests = tp.calls().size();
  const auto throttled_sessions = tp.liveSessions();
  std::printf(
      "dnsd bench (fixture and dnsd in one process on loopback; machine shared with other "
      "builds)\n");
  std::printf(
      "  first sync of %zu records (%zu CNAME): %zu created, %zu HTTP requests incl. "
      "logout (target <= %zu), %.1f ms\n",
      kRecords, kCnames, created, first_requests, kRecords + 5, first_ms);
  std::printf("  no-op resync: %zu HTTP requests (target 2)\n", noop_requests);
  std::printf("  %d restarts: %zu logins, %zu sessions left open (target 0)\n", kRestarts,
              ph.logins() - logins_before, sessions_left);
  std::printf(
      "  first sync with 3 writes answered 429 (Retry-After: 1): %zu created, %zu HTTP requests "
      "incl. logout (target %zu), %.1f ms, %zu sessions left open\n",
      throttled_created, throttled_requests, kRecords + 5 + 3, throttled_ms, throttled_sessions);
  std::printf("BENCH name=dnsd_first_sync_requests value=%zu unit=requests\n", first_requests);
  std::printf("BENCH name=dnsd_first_sync_wall value=%.1f unit=ms\n", first_ms);
  std::printf("BENCH name=dnsd_noop_sync_requests value=%zu unit=requests\n", noop_requests);
  std::printf("BENCH name=dnsd_sessions_left_after_50_restarts value=%zu unit=sessions\n",
              sessions_left);
  std::printf("BENCH name=dnsd_throttled_sync_created value=%zu unit=records\n", throttled_created);
  std::printf("BENCH name=dnsd_throttled_sync_requests value=%zu unit=requests\n",
              throttled_requests);
  std::printf("BENCH name=dnsd_throttled_sync_wall value=%.1f unit=ms\n", throttled_ms);
  std::printf("BENCH name=dnsd_throttled_sessions_left value=%zu unit=sessions\n",
              throttled_sessions);
  return created == kRecords && throttled_created == kRecords ? 0 : 1;
}
