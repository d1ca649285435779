// GuardedSource: the API source's snapshots pass through ConfigGuard before the daemon sees them.
#include "l1net/controller/io/guarded_source.hpp"

#include <string>
#include <vector>

#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_object_source.hpp"
#include "l1net/testing/quiet_logger.hpp"

namespace ctl = l1net::controller;
namespace manifest = l1net::manifest;

namespace {

std::string pool(const std::string& name, const std::string& addr) {
  return "---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " + name +
         ", namespace: l1net-system}\nspec:\n  addresses: [" + addr + "]\n";
}

std::string svc(const std::string& name) {
  return "---\napiVersion: v1\nkind: Service\nmetadata: {name: " + name +
         ", namespace: default}\nspec: {type: LoadBalancer, ports: [{port: 80}]}\n";
}

// The decoder only, as the API cache (the guard validates).
manifest::ManifestSet decode(const std::string& yaml) {
  return manifest::loadManifestText(yaml, "api").set;
}

}  // namespace

TEST_CASE("GuardedSource: what the daemon sees for each API snapshot") {
  struct Step {
    const char* name;
    std::string yaml;
    bool want_delivered;
    std::string want_pool_addr;  // spec.addresses[0] of the pool delivered ("" = none)
    std::size_t want_services;
    std::size_t want_invalid;
    bool want_healthy;
  };
  const std::vector<Step> steps = {
      {"invalid before anything valid: held back", pool("lan", "banana") + svc("web"), false, "", 0,
       1, false},
      {"valid: delivered with its pool", pool("lan", "198.51.100.0/29") + svc("web"), true,
       "198.51.100.0/29", 1, 0, true},
      {"invalid again: the last valid pool, current services",
       pool("lan", "198.51.100.300/29") + svc("web") + svc("db"), true, "198.51.100.0/29", 2, 1,
       false},
      {"fixed: the new pool", pool("lan", "198.51.100.8/29") + svc("db"), true, "198.51.100.8/29",
       1, 0, true},
  };
  l1net::testing::FakeObjectSource inner;
  std::vector<std::size_t> reported;
  ctl::GuardedSource guarded(
      inner, l1net::testing::quietLogger(),
      [&](const std::vector<ctl::InvalidObject>& invalid) { reported.push_back(invalid.size()); });
  std::vector<manifest::ManifestSet> delivered;
  bool synced = false;
  guarded.initialSync([&](const l1net::io::SyncOutcome& o) { synced = o.ok; });
  REQUIRE(synced);
  guarded.start([&](const manifest::ManifestSet& set) { delivered.push_back(set); });
  for (const auto& s : steps) {
    CAPTURE(s.name);
    const auto before = delivered.size();
    REQUIRE(inner.push(decode(s.yaml)));
    CHECK(reported.back() == s.want_invalid);
    CHECK(guarded.invalid().size() == s.want_invalid);
    CHECK(guarded.healthProblem().empty() == s.want_healthy);
    if (!s.want_healthy) {
      CHECK(guarded.healthProblem().find("IPAddressPool l1net-system/lan") != std::string::npos);
    }
    REQUIRE((delivered.size() == before + 1) == s.want_delivered);
    if (s.want_delivered) {
      const auto& got = delivered.back();
      REQUIRE(got.pools.size() == 1);
      CHECK(got.pools[0].addresses.at(0).text == s.want_pool_addr);
      CHECK_FALSE(got.pools[0].addresses.at(0).cidrs.empty());  // validated: ready to allocate
      CHECK(got.services.size() == s.want_services);
    }
  }
  CHECK(guarded.heldBack() == 1);
  guarded.stop();
  CHECK_FALSE(inner.started());
}
