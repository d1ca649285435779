#include "l1net/manifest/validate.hpp"

#include <string>
#include <vector>

#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"

namespace manifest = l1net::manifest;

namespace {

std::string allErrors(const std::vector<manifest::Diagnostic>& errors) {
  std::string out;
  for (const auto& d : errors) {
    out += d.format() + "\n";
  }
  return out;
}

// A pool document whose addresses start on line (first_line + 5).
std::string pool(const std::string& name, const std::vector<std::string>& addresses,
                 const std::string& extra_spec = "") {
  std::string out =
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: " + name +
      "\nspec:\n  addresses:\n";
  for (const auto& a : addresses) {
    out += "    - " + a + "\n";
  }
  return out + extra_spec;
}

std::string ad(const std::string& name, const std::string& spec) {
  return "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata:\n  name: " + name +
         "\nspec:\n" + spec;
}

}  // namespace

TEST_CASE("validate rejects what MetalLB's webhook rejects") {
  struct Case {
    const char* name;
    std::string yaml;
    std::vector<std::string> want;  // substrings of the one formatted error
  };
  const std::vector<Case> cases = {
      {"duplicate pool name",
       pool("lan", {"192.0.2.0/28"}) + "---\n" + pool("lan", {"198.51.100.0/28"}),
       {"p.yaml:12: IPAddressPool \"lan\" metadata.name: duplicate definition of pool \"lan\"",
        "first at p.yaml:1"}},
      {"pool with no addresses",
       pool("empty", {}) + "  autoAssign: true\n",
       {"p.yaml:6: IPAddressPool \"empty\" spec.addresses: pool has no addresses"}},
      {"pool without addresses field",
       "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: none}\n"
       "spec: {autoAssign: false}\n",
       {"IPAddressPool \"none\" spec.addresses: pool has no addresses"}},
      {"invalid CIDR",
       pool("lan", {"192.0.2.0/28", "192.0.2.300/28"}),
       {"p.yaml:8: IPAddressPool \"lan\" spec.addresses[1]: invalid CIDR \"192.0.2.300/28\""}},
      {"CIDR prefix too long",
       pool("lan", {"192.0.2.0/33"}),
       {"p.yaml:7: IPAddressPool \"lan\" spec.addresses[0]: invalid CIDR"}},
      {"bare address is no CIDR",
       pool("lan", {"192.0.2.7"}),
       {"p.yaml:7: IPAddressPool \"lan\" spec.addresses[0]: invalid CIDR \"192.0.2.7\""}},
      {"invalid range start",
       pool("lan", {"192.0.2.x-192.0.2.9"}),
       {"p.yaml:7: IPAddressPool \"lan\" spec.addresses[0]: invalid IP range",
        "invalid start IP \"192.0.2.x\""}},
      {"invalid range end",
       pool("lan", {"192.0.2.1-192.0.2"}),
       {"spec.addresses[0]: invalid IP range", "invalid end IP \"192.0.2\""}},
      {"range of mixed families",
       pool("lan", {"192.0.2.1-2001:db8::1"}),
       {"spec.addresses[0]: invalid IP range", "different address families"}},
      {"range start after end",
       pool("lan", {"198.51.100.0/29", "192.0.2.20-192.0.2.10"}),
       {"p.yaml:8: IPAddressPool \"lan\" spec.addresses[1]: invalid IP range",
        "start IP \"192.0.2.20\" is after the end IP \"192.0.2.10\""}},
      {"overlap within a pool",
       pool("lan", {"192.0.2.0/28", "192.0.2.8-192.0.2.20"}),
       {"p.yaml:8: IPAddressPool \"lan\" spec.addresses[1]: 192.0.2.8-192.0.2.20 overlaps pool "
        "\"lan\"",
        "spec.addresses[0] 192.0.2.0/28 at p.yaml:7"}},
      {"identical entries within a pool",
       pool("lan", {"203.0.113.0/24", "203.0.113.0/24"}),
       {"spec.addresses[1]: 203.0.113.0/24 overlaps pool \"lan\""}},
      {"overlap across pools",
       pool("dmz", {"198.51.100.224/28"}) + "---\n" +
           pool("lan", {"198.51.100.0/28", "198.51.100.230/31"}),
       {"p.yaml:16: IPAddressPool \"lan\" spec.addresses[1]: 198.51.100.230/31 overlaps pool "
        "\"dmz\"",
        "spec.addresses[0] 198.51.100.224/28 at p.yaml:7"}},
      {"IPv6 overlap across pools",
       pool("a", {"2001:db8::/64"}) + "---\n" + pool("b", {"2001:db8::10-2001:db8::20"}),
       {"p.yaml:15: IPAddressPool \"b\" spec.addresses[0]: 2001:db8::10-2001:db8::20 overlaps "
        "pool \"a\""}},
      {"duplicate serviceAllocation namespace",
       pool("lan", {"192.0.2.0/28"},
            "  serviceAllocation:\n    namespaces:\n      - shop\n      - infra\n      - shop\n"),
       {"p.yaml:12: IPAddressPool \"lan\" spec.serviceAllocation.namespaces[2]: duplicate "
        "definition of namespace \"shop\""}},
      {"duplicate namespaceSelectors",
       pool("lan", {"192.0.2.0/28"},
            "  serviceAllocation:\n    namespaceSelectors:\n      - matchLabels: {team: red}\n"
            "      - matchLabels: {team: red}\n"),
       {"p.yaml:11: IPAddressPool \"lan\" spec.serviceAllocation.namespaceSelectors[1]: "
        "duplicate definition of namespaceSelectors \"team=red\""}},
      {"duplicate serviceSelectors with values in another order",
       pool("lan", {"192.0.2.0/28"},
            "  serviceAllocation:\n    serviceSelectors:\n"
            "      - matchExpressions: [{key: a, operator: In, values: [x, y]}]\n"
            "      - matchExpressions: [{key: a, operator: In, values: [y, x]}]\n"),
       {"p.yaml:11: IPAddressPool \"lan\" spec.serviceAllocation.serviceSelectors[1]: duplicate"}},
      {"L2Advertisement names a pool twice",
       ad("l2", "  ipAddressPools:\n    - lan\n    - lan\n"),
       {"p.yaml:8: L2Advertisement \"l2\" spec.ipAddressPools[1]: duplicate definition of pool "
        "\"lan\""}},
      {"duplicate nodeSelectors",
       ad("l2", "  nodeSelectors:\n    - matchLabels: {a: b}\n    - matchLabels: {a: b}\n"),
       {"p.yaml:8: L2Advertisement \"l2\" spec.nodeSelectors[1]: duplicate definition of "
        "nodeSelectors \"a=b\""}},
      {"duplicate ipAddressPoolSelectors",
       ad("l2",
          "  ipAddressPoolSelectors:\n    - matchLabels: {a: b}\n"
          "    - matchLabels: {a: b}\n"),
       {"p.yaml:8: L2Advertisement \"l2\" spec.ipAddressPoolSelectors[1]: duplicate"}},
      {"duplicate serviceSelectors on an ad",
       ad("l2", "  serviceSelectors:\n    - {}\n    - {}\n"),
       {"p.yaml:8: L2Advertisement \"l2\" spec.serviceSelectors[1]: duplicate"}},
      {"duplicate match expression",
       ad("l2",
          "  nodeSelectors:\n    - matchExpressions:\n"
          "        - {key: a, operator: Exists}\n        - {key: a, operator: Exists}\n"),
       {"p.yaml:9: L2Advertisement \"l2\" spec.nodeSelectors[0].matchExpressions[1]: duplicate "
        "definition of match expression"}},
      {"duplicate match expression value",
       ad("l2",
          "  nodeSelectors:\n    - matchExpressions:\n"
          "        - {key: a, operator: In, values: [x, x]}\n"),
       {"p.yaml:8: L2Advertisement \"l2\" spec.nodeSelectors[0].matchExpressions[0].values[1]: "
        "duplicate definition of match expression value \"x\""}},
      {"In without values",
       ad("l2",
          "  nodeSelectors:\n    - matchExpressions:\n"
          "        - {key: a, operator: In, values: []}\n"),
       {"p.yaml:8: L2Advertisement \"l2\" spec.nodeSelectors[0].matchExpressions[0].values: must "
        "be specified"}},
      {"Exists with values",
       ad("l2",
          "  serviceSelectors:\n    - matchExpressions:\n"
          "        - {key: a, operator: Exists, values: [x]}\n"),
       {"spec.serviceSelectors[0].matchExpressions[0].values: may not be specified"}},
      {"preferred node weight out of range",
       ad("l2", "  preferredNodeSelectors:\n    - weight: 0\n      preference: {}\n"),
       {"p.yaml:7: L2Advertisement \"l2\" spec.preferredNodeSelectors[0].weight: must be between "
        "1 and 100, not 0"}},
      {"invalid preference selector",
       ad("l2",
          "  preferredNodeSelectors:\n    - weight: 5\n      preference:\n"
          "        matchExpressions: [{key: r, operator: NotIn}]\n"),
       {"p.yaml:9: L2Advertisement \"l2\" "
        "spec.preferredNodeSelectors[0].preference.matchExpressions[0].values: must be "
        "specified"}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = manifest::loadManifestText(c.yaml, "p.yaml");
      const auto text = allErrors(r.errors);
      INFO(text);
      REQUIRE(r.errors.size() == 1);
      for (const auto& w : c.want) {
        CHECK(text.find(w) != std::string::npos);
      }
    }
  }
}

TEST_CASE("validate accepts valid sets") {
  struct Case {
    const char* name;
    std::string yaml;
  };
  const std::vector<Case> cases = {
      {"adjacent pools do not overlap",
       pool("a", {"192.0.2.0/28"}) + "---\n" + pool("b", {"192.0.2.16-192.0.2.31"})},
      {"v4 and v6 in one pool", pool("a", {"192.0.2.0/28", "2001:db8::/120"})},
      {"same namespaces in different pools",
       pool("a", {"192.0.2.0/28"}, "  serviceAllocation: {namespaces: [shop]}\n") + "---\n" +
           pool("b", {"198.51.100.0/28"}, "  serviceAllocation: {namespaces: [shop]}\n")},
      {"different selectors", ad("l2",
                                 "  nodeSelectors:\n    - matchLabels: {a: b}\n"
                                 "    - matchLabels: {a: c}\n")},
      {"ad naming an unknown pool is not an error", ad("l2", "  ipAddressPools: [nowhere]\n")},
      {"weight bounds", ad("l2",
                           "  preferredNodeSelectors:\n    - {weight: 1, preference: {}}\n"
                           "    - {weight: 100, preference: {matchLabels: {a: b}}}\n")},
      {"range with spaces", pool("a", {"192.0.2.1 - 192.0.2.3"})},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = manifest::loadManifestText(c.yaml, "p.yaml");
      INFO(allErrors(r.errors));
      CHECK(r.ok());
    }
  }
}

TEST_CASE("validate reports every problem, not just the first") {
  const auto r =
      manifest::loadManifestText(pool("a", {"192.0.2.0/24", "bogus"}) + "---\n" + pool("a", {}) +
                                     "---\n" + ad("l2", "  ipAddressPools: [a, a]\n"),
                                 "p.yaml");
  const auto text = allErrors(r.errors);
  INFO(text);
  CHECK(r.errors.size() == 4);  // bogus entry, duplicate name, no addresses, pool named twice
}

TEST_CASE("validate fills PoolAddress::cidrs as MetalLB summarises") {
  manifest::ManifestSet set;
  manifest::IpAddressPool p;
  p.meta.name = "lan";
  p.meta.source = {"x.yaml", 3};
  p.addresses = {
      {"198.51.100.220-198.51.100.240", 0, {}}, {"203.0.113.77/30", 0, {}}, {"nonsense", 0, {{}}}};
  set.pools.push_back(p);
  const auto errors = validate(set);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].format() ==
        "x.yaml:3: IPAddressPool \"lan\" spec.addresses[2]: invalid CIDR \"nonsense\"");
  const auto& a = set.pools[0].addresses;
  REQUIRE(a[0].cidrs.size() == 3);
  CHECK(a[0].cidrs[0].toString() == "198.51.100.220/30");
  CHECK(a[0].cidrs[1].toString() == "198.51.100.224/28");
  CHECK(a[0].cidrs[2].toString() == "198.51.100.240/32");
  REQUIRE(a[1].cidrs.size() == 1);
  CHECK(a[1].cidrs[0].toString() == "203.0.113.76/30");
  CHECK(a[2].cidrs.empty());
}
