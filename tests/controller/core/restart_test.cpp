// Restart stability: 10,000 services allocated, then reconciled again from their own status (what
// the state file carries) -> not one IP moves, nothing is reported as changed.
#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "l1net/controller/reconciler.hpp"
#include "l1net/testing/doctest.hpp"

#include "builders.hpp"

namespace ctl = l1net::controller;
namespace m = l1net::manifest;

namespace {

constexpr int kServices = 10000;

// Three pools: shared IPv4, a dual-stack pool used only when named, and a large IPv6 pool.
std::vector<m::IpAddressPool> threePools() {
  using l1net::testing::pool;
  return {pool("a-web4", {"198.51.100.0/24", "203.0.113.0/24"}).avoidBuggy(),
          pool("b-dual", {"192.0.2.0/24", "2001:db8:d::/64"}).noAuto(),
          pool("c-v6", {"2001:db8:6::/64"})};
}

m::Service mixedService(int i) {
  auto b = l1net::testing::svc("ns" + std::to_string(i % 7) + "/svc-" + std::to_string(i));
  if (i % 20 == 0) {  // IPv4, two services per IP
    b.share("pair-" + std::to_string(i / 40)).ports({{"TCP", i % 40 == 0 ? 80 : 443}});
  } else if (i % 40 == 1) {  // dual stack from the named pool
    b.requireDual().pool("b-dual");
  } else {
    b.v6();
  }
  return b;
}

std::vector<m::Service> mixedServices(int count) {
  std::vector<m::Service> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    out.push_back(mixedService(i));
  }
  return out;
}

std::vector<m::Service> stateOf(const ctl::ReconcileResult& r) {
  std::vector<m::Service> out;
  for (const auto& d : r.services) {
    if (d.disposition == ctl::ServiceDisposition::kManaged) {
      out.push_back(r.serviceOf(d));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("restart: 10,000 services keep every IP") {
  ctl::ReconcileInput in;
  in.pools = threePools();
  in.services = mixedServices(kServices);
  const auto first = ctl::reconcile(in);
  REQUIRE(first.services.size() == static_cast<std::size_t>(kServices));
  for (const auto& d : first.services) {
    INFO(d.key);
    REQUIRE_FALSE(d.error.has_value());
    REQUIRE_FALSE(d.ips.empty());
  }
  CHECK(first.find("ns0/svc-0")->ips == first.find("ns6/svc-20")->ips);  // shared pair
  CHECK(first.find("ns1/svc-1")->ips.size() == 2);                       // dual

  const auto compare = [&](const ctl::ReconcileResult& again, bool expect_all) {
    int moved = 0;
    int changed = 0;
    int events = 0;
    for (const auto& d : again.services) {
      const auto* before = first.find(d.key);
      if (before == nullptr) {
        continue;
      }
      moved += d.ips != before->ips ? 1 : 0;
      changed += d.changed ? 1 : 0;
      events += static_cast<int>(d.events.size());
    }
    CHECK(moved == 0);
    CHECK(changed == 0);
    CHECK(events == 0);
    if (expect_all) {
      CHECK(again.services.size() == first.services.size());
    }
  };

  SUBCASE("same manifests, state from the first run") {
    ctl::ReconcileInput restart = in;
    restart.previous = stateOf(first);
    const auto again = ctl::reconcile(restart);
    compare(again, true);
    CHECK(again.pools.size() == first.pools.size());
    for (std::size_t i = 0; i < again.pools.size(); ++i) {
      CHECK(again.pools[i].inUse() == first.pools[i].inUse());
    }
  }

  SUBCASE("manifests in another order") {
    ctl::ReconcileInput restart = in;
    restart.previous = stateOf(first);
    std::mt19937 rng(42);  // NOLINT(cert-msc51-cpp): a fixed seed keeps the test reproducible
    std::shuffle(restart.services.begin(), restart.services.end(), rng);
    std::shuffle(restart.previous.begin(), restart.previous.end(), rng);
    compare(ctl::reconcile(restart), true);
  }

  SUBCASE("some services deleted, new ones added") {
    ctl::ReconcileInput restart = in;
    restart.previous = stateOf(first);
    restart.services.erase(restart.services.begin(), restart.services.begin() + 100);
    for (int i = kServices; i < kServices + 100; ++i) {
      restart.services.push_back(mixedService(i));
    }
    const auto again = ctl::reconcile(restart);
    compare(again, false);
    CHECK(again.released.size() == 100);
    // The new services took freed or fresh IPs without disturbing anyone.
    for (int i = kServices; i < kServices + 100; ++i) {
      const auto* d = again.find("ns" + std::to_string(i % 7) + "/svc-" + std::to_string(i));
      REQUIRE(d != nullptr);
      CHECK_FALSE(d->error.has_value());
    }
  }
}
