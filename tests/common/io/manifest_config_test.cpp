// The example manifests shipped in config/ (the platform's real pool) and the demo manifests must
// load without errors or warnings. Paths are relative to the repository root (ctest's working
// directory); when run from elsewhere they are found from this file's location.
#include <filesystem>
#include <string>
#include <vector>

#include "l1net/io/manifest_files.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/net/address.hpp"
#include "l1net/testing/doctest.hpp"

namespace fs = std::filesystem;
namespace manifest = l1net::manifest;
namespace net = l1net::net;

namespace {

std::string repoPath(const std::string& rel) {
  if (fs::exists(rel)) {
    return rel;
  }
  return (fs::path(__FILE__).parent_path() / "../../.." / rel).lexically_normal().string();
}

}  // namespace

TEST_CASE("shipped manifests load cleanly") {
  struct Case {
    const char* name;
    const char* path;
    std::size_t pools;
    std::size_t ads;
    std::size_t services;
  };
  const std::vector<Case> cases = {
      {"config/", "config", 1, 1, 1},
      {"demo manifests", "scripts/demo/manifests", 2, 1, 4},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = l1net::io::loadManifestPaths({repoPath(c.path)});
      std::string text;
      for (const auto& d : r.errors) {
        text += d.format() + "\n";
      }
      INFO(text);
      CHECK(r.ok());
      CHECK(r.warnings.empty());
      CHECK(r.set.pools.size() == c.pools);
      CHECK(r.set.l2_advertisements.size() == c.ads);
      CHECK(r.set.services.size() == c.services);
    }
  }
}

TEST_CASE("config/ holds the platform pool, its advertisement and whoami") {
  const auto r = l1net::io::loadManifestPaths({repoPath("config")});
  REQUIRE(r.ok());
  REQUIRE(r.set.pools.size() == 1);
  const auto& pool = r.set.pools[0];
  CHECK(pool.meta.name == "default");
  CHECK(pool.meta.ns == "metallb-system");
  CHECK(pool.auto_assign);
  REQUIRE(pool.addresses.size() == 1);
  // The platform range summarises as MetalLB does: /30, /28, /32, contiguous, covering exactly the
  // range written in the file (its text stays in config/; tests use documentation ranges).
  const auto range = net::parseRange(pool.addresses[0].text);
  REQUIRE(range.has_value());
  const auto& cidrs = pool.addresses[0].cidrs;
  REQUIRE(cidrs.size() == 3);
  CHECK(cidrs[0].prefix == 30);
  CHECK(cidrs[1].prefix == 28);
  CHECK(cidrs[2].prefix == 32);
  CHECK(cidrs.front().first() == range->first);
  CHECK(cidrs.back().last() == range->last);
  for (std::size_t i = 1; i < cidrs.size(); ++i) {
    CHECK(net::nextAddress(cidrs[i - 1].last()) == cidrs[i].first());
  }
  CHECK(net::countToString(range->size()) == "21");
  REQUIRE(r.set.l2_advertisements.size() == 1);
  CHECK(r.set.l2_advertisements[0].ip_address_pools == std::vector<std::string>{"default"});
  REQUIRE(r.set.services.size() == 1);
  const auto& svc = r.set.services[0];
  CHECK(svc.meta.name == "whoami");
  CHECK(svc.type == manifest::ServiceType::kLoadBalancer);
  CHECK(svc.meta.annotations.at("external-dns.kubernetes.io/hostname") == "whoami.cell.lan");
}
