// Kubernetes mode's own admission check: invalid pools/advertisements are reported per object and
// the last valid configuration stays in force.
#include "l1net/controller/config_guard.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>

#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"

namespace ctl = l1net::controller;
namespace manifest = l1net::manifest;

namespace {

std::string pool(const std::string& name, const std::string& addr) {
  return "---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: " + name +
         ", namespace: l1net-system, uid: u-" + name + "}\nspec:\n  addresses: [" + addr + "]\n";
}

const char* const kSvc =
    "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\n"
    "spec: {type: LoadBalancer, ports: [{port: 80}]}\n";

// The decoder only; the guard validates (an invalid pool must reach it).
manifest::ManifestSet decode(const std::string& yaml) {
  return manifest::loadManifestText(yaml, "api").set;
}

std::vector<std::string> poolNames(const manifest::ManifestSet& s) {
  std::vector<std::string> out;
  for (const auto& p : s.pools) {
    out.push_back(p.meta.name);
  }
  return out;
}

}  // namespace

TEST_CASE("ConfigGuard keeps the last valid configuration") {
  struct Step {
    const char* name;
    std::string yaml;
    bool want_valid;
    bool want_have_config;
    std::vector<std::string> want_pools;    // in force after the step
    std::vector<std::string> want_invalid;  // "Kind ns/name: problems"
  };
  const std::vector<Step> steps = {
      {"invalid before anything valid: no pools in force",
       pool("bad", "banana") + kSvc,
       false,
       false,
       {},
       {"IPAddressPool l1net-system/bad: spec.addresses[0]: invalid CIDR \"banana\""}},
      {"valid: in force",
       pool("lan", "198.51.100.10-198.51.100.30") + kSvc,
       true,
       true,
       {"lan"},
       {}},
      {"an overlapping pool added: the last valid set stays",
       pool("lan", "198.51.100.10-198.51.100.30") + pool("dup", "198.51.100.20/32") + kSvc,
       false,
       true,
       {"lan"},
       {"IPAddressPool l1net-system/dup"}},
      {"fixed: the new set is in force",
       pool("lan", "198.51.100.10-198.51.100.30") + pool("dmz", "203.0.113.0/28") + kSvc,
       true,
       true,
       {"dmz", "lan"},
       {}},
  };
  ctl::ConfigGuard guard;
  for (const auto& s : steps) {
    INFO(s.name);
    const auto g = guard.apply(decode(s.yaml));
    CHECK(g.config_valid == s.want_valid);
    CHECK(g.have_config == s.want_have_config);
    auto names = poolNames(g.set);
    std::sort(names.begin(), names.end());
    CHECK(names == s.want_pools);
    REQUIRE(g.set.services.size() == 1);  // Services always come from the snapshot
    REQUIRE(g.invalid.size() == s.want_invalid.size());
    for (std::size_t i = 0; i < g.invalid.size(); ++i) {
      const auto& o = g.invalid[i];
      std::string text = o.kind + " " + o.ns + "/" + o.name;
      for (const auto& p : o.problems) {
        text += (text.find(':') == std::string::npos ? ": " : "; ") + p;
      }
      CHECK(text.starts_with(s.want_invalid[i]));
      CHECK(o.uid == "u-" + o.name);
    }
  }
}

TEST_CASE("validConditionPatch") {
  const ctl::InvalidObject bad{.kind = "IPAddressPool",
                               .ns = "l1net-system",
                               .name = "bad",
                               .uid = "",
                               .problems = {"spec.addresses[0]: invalid CIDR \"banana\""}};
  CHECK(boost::json::serialize(ctl::validConditionPatch(&bad, "2026-01-02T03:04:05Z")) ==
        R"({"status":{"conditions":[{"type":"Valid","lastTransitionTime":"2026-01-02T03:04:05Z",)"
        R"("status":"False","reason":"InvalidConfiguration","message":"spec.addresses[0]: invalid )"
        R"(CIDR \"banana\"; the last valid configuration stays in force"}]}})");
  CHECK(boost::json::serialize(ctl::validConditionPatch(nullptr, "2026-01-02T03:04:05Z")) ==
        R"({"status":{"conditions":[{"type":"Valid","lastTransitionTime":"2026-01-02T03:04:05Z",)"
        R"("status":"True","reason":"Valid","message":""}]}})");
}
