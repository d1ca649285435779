#include "l1net/speaker/announce_plan.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace net = l1net::net;
namespace manifest = l1net::manifest;
namespace speaker = l1net::speaker;
using speaker::AnnounceReason;

namespace {

net::IpAddress ip(const char* s) { return boost::asio::ip::make_address(s); }

manifest::LabelSelector sel(manifest::Labels labels) { return {std::move(labels), {}}; }

manifest::Service lbService(const char* ns, const char* name, std::vector<const char*> ips) {
  manifest::Service s;
  s.meta.ns = ns;
  s.meta.name = name;
  s.meta.labels = {{"app", name}};
  s.type = manifest::ServiceType::kLoadBalancer;
  for (const auto* i : ips) {
    s.ingress.push_back({.ip = i});
  }
  return s;
}

manifest::Node node(const char* name, manifest::Labels labels) {
  manifest::Node n;
  n.meta.name = name;
  n.meta.labels = std::move(labels);
  return n;
}

manifest::EndpointSlice slice(const char* service, std::vector<manifest::Endpoint> eps) {
  manifest::EndpointSlice s;
  s.meta.ns = "web";
  s.meta.name = std::string(service) + "-abc";
  s.meta.labels = {{"kubernetes.io/service-name", service}};
  s.endpoints = std::move(eps);
  return s;
}

manifest::Endpoint ep(const char* node_name, std::optional<bool> ready,
                      std::optional<bool> serving = std::nullopt) {
  return {.addresses = {"192.0.2.130"},
          .conditions = {.ready = ready, .serving = serving},
          .node_name = node_name};
}

// Pools: "default" (a range, cidrs left empty as before validation), "doc" (validated cidrs),
// "v6", "unadvertised". One ad for default/doc/v6 on all nodes and interfaces.
manifest::ManifestSet baseSet() {
  manifest::ManifestSet set;
  manifest::IpAddressPool def;
  def.meta.name = "default";
  def.meta.labels = {{"tier", "public"}};
  def.addresses = {{.text = "203.0.113.220-203.0.113.240"}};
  manifest::IpAddressPool doc;
  doc.meta.name = "doc";
  doc.addresses = {{.text = "198.51.100.0/24", .cidrs = {*net::parseCidr("198.51.100.0/24")}}};
  manifest::IpAddressPool v6;
  v6.meta.name = "v6";
  v6.addresses = {{.text = "2001:db8:100::/120"}};
  manifest::IpAddressPool unadvertised;
  unadvertised.meta.name = "unadvertised";
  unadvertised.addresses = {{.text = "192.0.2.0/25"}};
  set.pools = {def, doc, v6, unadvertised};

  manifest::L2Advertisement ad;
  ad.meta.name = "l2";
  ad.ip_address_pools = {"default", "doc", "v6"};
  set.l2_advertisements = {ad};

  manifest::Node unavailable = node("node-y", {});
  unavailable.conditions = {{.type = "NetworkUnavailable", .status = "True"}};
  set.nodes = {node("node-a", {{"role", "lb"}}),
               node("node-b", {{"role", "lb"}, {"zone", "primary"}}),
               node("node-c", {{"role", "lb"}}),
               node("node-w", {{"role", "worker"}}),
               node("node-x", {{"node.kubernetes.io/exclude-from-external-load-balancers", ""}}),
               unavailable};
  set.services = {lbService("web", "frontend", {"203.0.113.220"})};
  return set;
}

using Edit = std::function<void(manifest::ManifestSet&)>;

}  // namespace

TEST_CASE("explainIp: single-node policy") {
  struct Case {
    const char* name;
    Edit edit;
    const char* local;
    const char* ip;
    AnnounceReason want;
    speaker::AnnounceOptions options{};
  };
  const auto ingress = [](const char* i) {
    return [i](manifest::ManifestSet& s) { s.services[0].ingress = {{.ip = i}}; };
  };
  const std::vector<Case> cases = {
      {"announced", [](auto&) {}, "node-a", "203.0.113.220", AnnounceReason::kAnnounced},
      {"IP of no service", [](auto&) {}, "node-a", "203.0.113.221", AnnounceReason::kNoService},
      {"not a LoadBalancer", [](auto& s) { s.services[0].type = manifest::ServiceType::kNodePort; },
       "node-a", "203.0.113.220", AnnounceReason::kNoService},
      {"other loadBalancerClass", [](auto& s) { s.services[0].load_balancer_class = "other"; },
       "node-a", "203.0.113.220", AnnounceReason::kNoService},
      {"our loadBalancerClass",
       [](auto& s) { s.services[0].load_balancer_class = "l1net"; },
       "node-a",
       "203.0.113.220",
       AnnounceReason::kAnnounced,
       {.load_balancer_class = "l1net"}},
      {"IP in no pool", ingress("192.0.2.200"), "node-a", "192.0.2.200", AnnounceReason::kNoPool},
      {"pool without ad", ingress("192.0.2.5"), "node-a", "192.0.2.5",
       AnnounceReason::kPoolNotAdvertised},
      {"ad with neither pools nor selectors covers every pool",
       [&](auto& s) {
         ingress("192.0.2.5")(s);
         s.l2_advertisements[0].ip_address_pools.clear();
       },
       "node-a", "192.0.2.5", AnnounceReason::kAnnounced},
      {"pool selector matches",
       [](auto& s) {
         s.l2_advertisements[0].ip_address_pools.clear();
         s.l2_advertisements[0].ip_address_pool_selectors = {sel({{"tier", "public"}})};
       },
       "node-a", "203.0.113.220", AnnounceReason::kAnnounced},
      {"pool selector does not match",
       [](auto& s) {
         s.l2_advertisements[0].ip_address_pools.clear();
         s.l2_advertisements[0].ip_address_pool_selectors = {sel({{"tier", "private"}})};
       },
       "node-a", "203.0.113.220", AnnounceReason::kPoolNotAdvertised},
      {"service selector does not match",
       [](auto& s) {
         s.l2_advertisements[0].service_selectors = {sel({{"app", "other"}})};
       },
       "node-a", "203.0.113.220", AnnounceReason::kPoolNotAdvertised},
      {"service selectors are ORed",
       [](auto& s) {
         s.l2_advertisements[0].service_selectors = {sel({{"app", "other"}}),
                                                     sel({{"app", "frontend"}})};
       },
       "node-a", "203.0.113.220", AnnounceReason::kAnnounced},
      {"node selector excludes us",
       [](auto& s) {
         s.l2_advertisements[0].node_selectors = {sel({{"role", "lb"}})};
       },
       "node-w", "203.0.113.220", AnnounceReason::kNodeNotSelected},
      {"node selector includes us",
       [](auto& s) {
         s.l2_advertisements[0].node_selectors = {sel({{"role", "lb"}})};
       },
       "node-a", "203.0.113.220", AnnounceReason::kAnnounced},
      // A wrong --node (host name instead of Node name) must not announce beside the real one.
      {"wrong --node while Node objects exist", [](auto&) {}, "node-new", "203.0.113.220",
       AnnounceReason::kNodeUnknown},
      {"wrong --node, ad with nodeSelectors",
       [](auto& s) {
         s.l2_advertisements[0].node_selectors = {
             {{}, {{"role", manifest::LabelSelectorRequirement::Operator::kDoesNotExist, {}}}}};
       },
       "node-new", "203.0.113.220", AnnounceReason::kNodeUnknown},
      {"no Node objects at all: any --node announces", [](auto& s) { s.nodes.clear(); }, "node-new",
       "203.0.113.220", AnnounceReason::kAnnounced},
      {"no Node objects, ad with nodeSelectors",
       [](auto& s) {
         s.nodes.clear();
         s.l2_advertisements[0].node_selectors = {sel({{"role", "lb"}})};
       },
       "node-new", "203.0.113.220", AnnounceReason::kNodeNotSelected},
      // Only status.loadBalancer.ingress is announced: a requested IP the controller refused is
      // explained as not assigned.
      {"requested by spec.loadBalancerIP, not assigned",
       [](auto& s) {
         s.services[0].ingress.clear();
         s.services[0].load_balancer_ip = "203.0.113.225";
       },
       "node-a", "203.0.113.225", AnnounceReason::kNotAssigned},
      {"requested by annotation, not assigned",
       [](auto& s) {
         s.services[0].ingress.clear();
         s.services[0].meta.annotations["metallb.io/loadBalancerIPs"] = "203.0.113.226";
       },
       "node-a", "203.0.113.226", AnnounceReason::kNotAssigned},
      {"requested, another IP assigned",
       [](auto& s) { s.services[0].load_balancer_ip = "203.0.113.225"; }, "node-a", "203.0.113.225",
       AnnounceReason::kNotAssigned},
      {"requested by one service, assigned to another: the assignment explains",
       [](auto& s) {
         auto other = lbService("web", "other", {});
         other.load_balancer_ip = "203.0.113.220";
         s.services.insert(s.services.begin(), other);
       },
       "node-a", "203.0.113.220", AnnounceReason::kAnnounced},
      {"exclude-from-external-load-balancers", [](auto&) {}, "node-x", "203.0.113.220",
       AnnounceReason::kNodeExcluded},
      {"--ignore-exclude-lb",
       [](auto&) {},
       "node-x",
       "203.0.113.220",
       AnnounceReason::kAnnounced,
       {.ignore_exclude_lb = true}},
      {"NetworkUnavailable",
       [](auto&) {},
       "node-y",
       "203.0.113.220",
       AnnounceReason::kNodeExcluded,
       {.ignore_exclude_lb = true}},
      {"slices exist, none for the service",
       [](auto& s) { s.endpoint_slices = {slice("backend", {ep("node-a", true)})}; }, "node-a",
       "203.0.113.220", AnnounceReason::kNoServingEndpoints},
      {"slice in another namespace does not count",
       [](auto& s) {
         s.endpoint_slices = {slice("frontend", {ep("node-a", true)})};
         s.endpoint_slices[0].meta.ns = "other";
       },
       "node-a", "203.0.113.220", AnnounceReason::kNoServingEndpoints},
      {"no ready endpoint",
       [](auto& s) { s.endpoint_slices = {slice("frontend", {ep("node-a", false)})}; }, "node-a",
       "203.0.113.220", AnnounceReason::kNoServingEndpoints},
      {"ready unset counts",
       [](auto& s) { s.endpoint_slices = {slice("frontend", {ep("node-b", std::nullopt)})}; },
       "node-a", "203.0.113.220", AnnounceReason::kAnnounced},
      {"serving while not ready counts",
       [](auto& s) { s.endpoint_slices = {slice("frontend", {ep("node-b", false, true)})}; },
       "node-a", "203.0.113.220", AnnounceReason::kAnnounced},
      {"ETP Local without a local endpoint",
       [](auto& s) {
         s.services[0].external_traffic_policy = manifest::TrafficPolicy::kLocal;
         s.endpoint_slices = {slice("frontend", {ep("node-b", true)})};
       },
       "node-a", "203.0.113.220", AnnounceReason::kNoServingEndpoints},
      {"ETP Local with a local endpoint",
       [](auto& s) {
         s.services[0].external_traffic_policy = manifest::TrafficPolicy::kLocal;
         s.endpoint_slices = {slice("frontend", {ep("node-b", false), ep("node-a", true)})};
       },
       "node-a", "203.0.113.220", AnnounceReason::kAnnounced},
      {"ETP Local without any EndpointSlice in the snapshot",
       [](auto& s) { s.services[0].external_traffic_policy = manifest::TrafficPolicy::kLocal; },
       "node-a", "203.0.113.220", AnnounceReason::kAnnounced},
      {"IPv6 from a pool validated later", ingress("2001:db8:100::10"), "node-a",
       "2001:db8:100::10", AnnounceReason::kAnnounced},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto set = baseSet();
      c.edit(set);
      const speaker::LocalOwnershipPolicy policy;
      const auto e = speaker::explainIp(set, c.local, ip(c.ip), policy, c.options);
      CHECK(announceReasonName(e.reason) == announceReasonName(c.want));
      CHECK(e.ip == ip(c.ip));
      if (c.want == AnnounceReason::kAnnounced) {
        CHECK(e.owner == std::optional<std::string>(c.local));
        CHECK(e.service == "web/frontend");
        CHECK_FALSE(e.pool.empty());
      }
    }
  }
}

TEST_CASE("planAnnouncements: ranked policy picks MetalLB's winner") {
  // sha256 order for "198.51.100.10": node-a < node-b < node-c (see ranking_test.cpp).
  struct Case {
    const char* name;
    Edit edit;
    std::vector<std::string> members;
    const char* local;
    AnnounceReason want;
    std::optional<std::string> want_owner;
  };
  const std::vector<Case> cases = {
      {"hash winner announces",
       [](auto&) {},
       {"node-a", "node-b", "node-c"},
       "node-a",
       AnnounceReason::kAnnounced,
       "node-a"},
      {"others are not owners",
       [](auto&) {},
       {"node-a", "node-b", "node-c"},
       "node-b",
       AnnounceReason::kNotOwner,
       "node-a"},
      {"winner gone from the mesh",
       [](auto&) {},
       {"node-b", "node-c"},
       "node-b",
       AnnounceReason::kAnnounced,
       "node-b"},
      {"excluded member is skipped",
       [](auto& s) {
         s.nodes[0].meta.labels["node.kubernetes.io/exclude-from-external-load-balancers"] = "";
       },
       {"node-a", "node-b", "node-c"},
       "node-b",
       AnnounceReason::kAnnounced,
       "node-b"},
      {"preferredNodeSelectors beat the hash",
       [](auto& s) {
         s.l2_advertisements[0].preferred_node_selectors = {{100, sel({{"zone", "primary"}})}};
       },
       {"node-a", "node-b", "node-c"},
       "node-a",
       AnnounceReason::kNotOwner,
       "node-b"},
      {"preference from an ad not covering the node is ignored",
       [](auto& s) {
         manifest::L2Advertisement other;
         other.meta.name = "workers";
         other.ip_address_pools = {"doc"};
         other.node_selectors = {sel({{"role", "worker"}})};
         other.preferred_node_selectors = {{100, sel({{"zone", "primary"}})}};
         s.l2_advertisements.push_back(other);
       },
       {"node-a", "node-b", "node-c"},
       "node-a",
       AnnounceReason::kAnnounced,
       "node-a"},
      {"ETP Local restricts candidates",
       [](auto& s) {
         s.services[0].external_traffic_policy = manifest::TrafficPolicy::kLocal;
         s.endpoint_slices = {slice("frontend", {ep("node-c", true), ep("node-b", true)})};
       },
       {"node-a", "node-b", "node-c"},
       "node-c",
       AnnounceReason::kNotOwner,
       "node-b"},
      {"local node not a member",
       [](auto&) {},
       {"node-b", "node-c"},
       "node-a",
       AnnounceReason::kNotOwner,
       "node-b"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto set = baseSet();
      set.services[0].ingress = {{.ip = "198.51.100.10"}};
      c.edit(set);
      const speaker::RankedOwnershipPolicy policy(c.members);
      const auto plan = speaker::planAnnouncements(set, c.local, policy);
      REQUIRE(plan.entries.size() == 1);
      CHECK(announceReasonName(plan.entries[0].reason) == announceReasonName(c.want));
      CHECK(plan.entries[0].owner == c.want_owner);
      CHECK(plan.entries[0].pool == "doc");
    }
  }
}

TEST_CASE("planAnnouncements: all IPs of a service follow its first IP") {
  auto set = baseSet();
  set.services = {lbService("web", "dual", {"198.51.100.10", "2001:db8:100::10"})};
  for (const char* local : {"node-a", "node-b", "node-c"}) {
    const speaker::RankedOwnershipPolicy policy({"node-a", "node-b", "node-c"});
    const auto plan = speaker::planAnnouncements(set, local, policy);
    REQUIRE(plan.entries.size() == 2);
    CHECK(plan.entries[0].owner == std::optional<std::string>("node-a"));
    CHECK(plan.entries[1].owner == std::optional<std::string>("node-a"));
    CHECK(plan.announced().size() == (std::string(local) == "node-a" ? 2U : 0U));
  }
}

TEST_CASE("planAnnouncements: interfaces") {
  struct Case {
    const char* name;
    std::vector<std::vector<std::string>> ad_interfaces;  // one ad per entry
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"one ad, any interface", {{}}, {}},
      {"one ad, one interface", {{"eth0"}}, {"eth0"}},
      {"union, sorted and unique",
       {{"eth1", "eth0"}, {"eth0", "bond0"}},
       {"bond0", "eth0", "eth1"}},
      {"an ad without interfaces means any", {{"eth0"}, {}}, {}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto set = baseSet();
      set.l2_advertisements.clear();
      for (const auto& ifs : c.ad_interfaces) {
        manifest::L2Advertisement ad;
        ad.interfaces = ifs;
        set.l2_advertisements.push_back(ad);
      }
      // An ad for other nodes only: its interface must not leak in.
      manifest::L2Advertisement workers;
      workers.node_selectors = {sel({{"role", "worker"}})};
      workers.interfaces = {"eth9"};
      set.l2_advertisements.push_back(workers);
      const auto plan = speaker::planAnnouncements(set, "node-a", speaker::LocalOwnershipPolicy{});
      const auto announced = plan.announced();
      REQUIRE(announced.size() == 1);
      CHECK(announced[0].interfaces == c.want);
    }
  }
}

TEST_CASE("serviceIps is the ingress only; requestedIps the spec or annotation") {
  struct Case {
    const char* name;
    std::vector<const char*> ingress;
    const char* spec_ip;
    const char* annotation;  // nullptr = unset
    std::vector<std::string> want_assigned;
    std::vector<std::string> want_requested;
  };
  const std::vector<Case> cases = {
      {"status",
       {"203.0.113.220"},
       "203.0.113.221",
       "203.0.113.222",
       {"203.0.113.220"},
       {"203.0.113.221"}},
      {"hostname-only ingress assigns nothing",
       {""},
       "203.0.113.221",
       nullptr,
       {},
       {"203.0.113.221"}},
      {"spec.loadBalancerIP is only a request",
       {},
       "203.0.113.221",
       "203.0.113.222",
       {},
       {"203.0.113.221"}},
      {"annotation list is only a request",
       {},
       "",
       " 203.0.113.222 , 2001:db8:100::5,,",
       {},
       {"203.0.113.222", "2001:db8:100::5"}},
      {"nothing", {}, "", nullptr, {}, {}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto svc = lbService("web", "frontend", c.ingress);
      svc.load_balancer_ip = c.spec_ip;
      if (c.annotation != nullptr) {
        svc.meta.annotations["metallb.io/loadBalancerIPs"] = c.annotation;
      }
      CHECK(speaker::serviceIps(svc) == c.want_assigned);
      CHECK(speaker::requestedIps(svc) == c.want_requested);
    }
  }
}

TEST_CASE("planAnnouncements: a refused requested IP is never announced") {
  auto set = baseSet();
  set.services[0].ingress.clear();
  set.services[0].meta.annotations["metallb.io/loadBalancerIPs"] = "203.0.113.225";
  const auto plan = speaker::planAnnouncements(set, "node-a", speaker::LocalOwnershipPolicy{});
  CHECK(plan.announced().empty());
  REQUIRE(plan.entries.size() == 1);
  CHECK(plan.entries[0].reason == AnnounceReason::kNotAssigned);
  CHECK(plan.entries[0].service == "web/frontend");
}

TEST_CASE("planAnnouncements: a wrong --node announces nothing and lists the known nodes") {
  auto set = baseSet();
  set.services.push_back(lbService("web", "api", {"198.51.100.10", "2001:db8:100::10"}));
  const auto plan = speaker::planAnnouncements(set, "host-1", speaker::LocalOwnershipPolicy{});
  CHECK(plan.announced().empty());
  REQUIRE(plan.node_unknown.has_value());
  CHECK(plan.node_unknown->node == "host-1");
  CHECK(plan.node_unknown->known ==
        std::vector<std::string>{"node-a", "node-b", "node-c", "node-w", "node-x", "node-y"});
  REQUIRE(plan.entries.size() == 3);
  for (const auto& e : plan.entries) {
    CHECK(e.reason == AnnounceReason::kNodeUnknown);
  }
  CHECK_FALSE(speaker::planAnnouncements(set, "node-a", speaker::LocalOwnershipPolicy{})
                  .node_unknown.has_value());
  set.nodes.clear();
  const auto no_nodes = speaker::planAnnouncements(set, "host-1", speaker::LocalOwnershipPolicy{});
  CHECK_FALSE(no_nodes.node_unknown.has_value());
  CHECK(no_nodes.announced().size() == 3);
}

TEST_CASE("planAnnouncements: invalid ingress IPs") {
  auto set = baseSet();
  set.services = {lbService("web", "broken", {"not-an-ip", "203.0.113.230"})};
  const auto plan = speaker::planAnnouncements(set, "node-a", speaker::LocalOwnershipPolicy{});
  REQUIRE(plan.invalid.size() == 1);
  CHECK(plan.invalid[0].service == "web/broken");
  CHECK(plan.invalid[0].text == "not-an-ip");
  REQUIRE(plan.entries.size() == 1);
  CHECK(plan.entries[0].reason == AnnounceReason::kAnnounced);
}

TEST_CASE("planAnnouncements: ranked policy, MetalLB edge cases") {
  // sha256 order for "198.51.100.200": node-b < node-a < node-c; for "198.51.100.204":
  // node-c < node-a < node-b (tests/speaker/core/ranking_test.cpp, from sha256sum).
  const std::vector<std::string> members = {"node-a", "node-b", "node-c"};
  struct Case {
    const char* name;
    Edit edit;
    std::vector<std::optional<std::string>> want_owners;  // per plan entry
    std::vector<const char*> announcers;                  // nodes announcing anything
  };
  const std::vector<Case> cases = {
      {"services sharing an IP land on one node",
       [](auto& s) {
         s.services = {lbService("web", "one", {"198.51.100.200"}),
                       lbService("web", "two", {"198.51.100.200"})};
       },
       {"node-b", "node-b"},
       {"node-b"}},
      {"ETP Local, no serving endpoint anywhere: nobody",
       [](auto& s) {
         s.services = {lbService("web", "frontend", {"198.51.100.200"})};
         s.services[0].external_traffic_policy = manifest::TrafficPolicy::kLocal;
         s.endpoint_slices = {slice("frontend", {ep("node-b", false), ep("node-a", false)})};
       },
       {std::nullopt},
       {}},
      {"ETP Local, serving endpoint on a non-member only: nobody",
       [](auto& s) {
         s.services = {lbService("web", "frontend", {"198.51.100.200"})};
         s.services[0].external_traffic_policy = manifest::TrafficPolicy::kLocal;
         s.endpoint_slices = {slice("frontend", {ep("node-w", true)})};
       },
       {std::nullopt},
       {}},
      {"ETP Local, terminating but serving endpoint counts",
       [](auto& s) {
         s.services = {lbService("web", "frontend", {"198.51.100.200"})};
         s.services[0].external_traffic_policy = manifest::TrafficPolicy::kLocal;
         s.endpoint_slices = {slice("frontend", {ep("node-c", false, true)})};
       },
       {"node-c"},
       {"node-c"}},
      {"ETP Cluster ignores where endpoints are",
       [](auto& s) {
         s.services = {lbService("web", "frontend", {"198.51.100.200"})};
         s.endpoint_slices = {slice("frontend", {ep("node-c", true)})};
       },
       {"node-b"},
       {"node-b"}},
      {"NetworkUnavailable winner is skipped",
       [](auto& s) {
         s.services = {lbService("web", "frontend", {"198.51.100.200"})};
         s.nodes[1].conditions = {{.type = "NetworkUnavailable", .status = "True"}};
       },
       {"node-a"},
       {"node-a"}},
      {"NetworkUnavailable=False does not exclude",
       [](auto& s) {
         s.services = {lbService("web", "frontend", {"198.51.100.200"})};
         s.nodes[1].conditions = {{.type = "NetworkUnavailable", .status = "False"}};
       },
       {"node-b"},
       {"node-b"}},
      {"nodeSelectors keep only covered members",
       [](auto& s) {
         s.services = {lbService("web", "frontend", {"198.51.100.200"})};
         s.nodes[1].meta.labels = {{"role", "worker"}};
         s.l2_advertisements[0].node_selectors = {sel({{"role", "lb"}})};
       },
       {"node-a"},
       {"node-a"}},
      {"serviceSelectors: only the matching ad's nodes count",
       [](auto& s) {
         s.services = {lbService("web", "frontend", {"198.51.100.204"})};
         s.l2_advertisements[0].node_selectors = {sel({{"role", "none"}})};
         manifest::L2Advertisement mine;
         mine.meta.name = "frontend-only";
         mine.ip_address_pools = {"doc"};
         mine.service_selectors = {sel({{"app", "frontend"}})};
         mine.node_selectors = {sel({{"zone", "primary"}})};
         s.l2_advertisements.push_back(mine);
       },
       {"node-b"},
       {"node-b"}},
      {"weights add up across selectors and ads",
       [](auto& s) {
         s.services = {lbService("web", "frontend", {"198.51.100.204"})};
         s.nodes[0].meta.labels["gpu"] = "true";
         s.l2_advertisements[0].preferred_node_selectors = {{60, sel({{"zone", "primary"}})},
                                                            {50, sel({{"gpu", "true"}})}};
         manifest::L2Advertisement extra;
         extra.meta.name = "extra";
         extra.ip_address_pools = {"doc"};
         extra.preferred_node_selectors = {{20, sel({{"gpu", "true"}})}};
         s.l2_advertisements.push_back(extra);
       },
       {"node-a"},  // node-a 50 + 20 = 70 > node-b 60 > node-c 0
       {"node-a"}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto set = baseSet();
      c.edit(set);
      const speaker::RankedOwnershipPolicy policy(members);
      std::vector<std::string> announcers;
      for (const auto& local : members) {
        const auto plan = speaker::planAnnouncements(set, local, policy);
        REQUIRE(plan.entries.size() == c.want_owners.size());
        for (std::size_t i = 0; i < plan.entries.size(); ++i) {
          const auto& e = plan.entries[i];
          // Ineligible locals (not selected, no local endpoint) do not rank; the others agree.
          if (e.reason == AnnounceReason::kAnnounced || e.reason == AnnounceReason::kNotOwner) {
            CHECK(e.owner == c.want_owners[i]);
          }
        }
        if (!plan.announced().empty()) {
          announcers.push_back(local);
        }
      }
      CHECK(announcers == std::vector<std::string>(c.announcers.begin(), c.announcers.end()));
    }
  }
}
