// slimForSpeaker: the speaker keeps only what it reads, and plans the same from it.
#include "l1net/speaker/speaker_model.hpp"

#include <string>
#include <string_view>
#include <vector>

#include "l1net/manifest/load.hpp"
#include "l1net/speaker/announce_plan.hpp"
#include "l1net/speaker/ownership_policy.hpp"
#include "l1net/testing/doctest.hpp"

namespace l1net::speaker {
namespace {

constexpr std::string_view kHead = R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system, labels: {tier: public}}
spec:
  addresses: [198.51.100.192/26, "2001:db8:1::/120"]
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: other, namespace: metallb-system}
spec:
  addresses: [203.0.113.0/28]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: lan, namespace: metallb-system}
spec:
  ipAddressPoolSelectors: [{matchLabels: {tier: public}}]
  serviceSelectors: [{matchLabels: {expose: l2}}]
  nodeSelectors: [{matchLabels: {zone: a}}]
  interfaces: [eth0]
---
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {zone: a}, annotations: {note: x}}
status:
  addresses: [{type: InternalIP, address: 198.51.100.10}]
---
apiVersion: v1
kind: Node
metadata: {name: node-b, labels: {zone: a, node.kubernetes.io/exclude-from-external-load-balancers: ""}}
---
apiVersion: v1
kind: Node
metadata: {name: node-c, labels: {zone: b}}
---
apiVersion: v1
kind: Node
metadata: {name: node-d, labels: {zone: a}}
status:
  conditions: [{type: NetworkUnavailable, status: "True"}]
)";

std::string head() { return std::string(kHead); }

// One Service document (and its EndpointSlice when `slice` names a node, "-" for one without a
// node name).
std::string service(const char* name, const char* ip, const char* extra_spec = "",
                    const char* labels = "{expose: l2}", const char* slice = nullptr) {
  std::string y = std::string("---\napiVersion: v1\nkind: Service\nmetadata: {name: ") + name +
                  ", namespace: web, labels: " + labels +
                  ", annotations: {owner: team-a}}\nspec:\n  type: LoadBalancer\n  selector: "
                  "{app: x}\n  ports: [{port: 80, protocol: TCP}]\n" +
                  extra_spec + "status:\n  loadBalancer:\n    ingress: [{ip: \"" + ip + "\"}]\n";
  if (slice != nullptr) {
    y += std::string(
             "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: ") +
         name + "-1, namespace: web, labels: {kubernetes.io/service-name: " + name +
         ", other: y}}\naddressType: IPv4\nendpoints:\n- addresses: [192.0.2.7]\n  conditions: "
         "{ready: true}\n";
    if (std::string(slice) != "-") {
      y += std::string("  nodeName: ") + slice + "\n";
    }
  }
  return y;
}

std::string render(const AnnounceEntry& e) {
  std::string s = e.ip.to_string() + " " + e.service + " " + e.pool + " " +
                  std::string(announceReasonName(e.reason)) + " " + e.owner.value_or("-");
  for (const auto& i : e.interfaces) {
    s += " " + i;
  }
  return s;
}

std::vector<std::string> render(const AnnouncePlan& p) {
  std::vector<std::string> out;
  for (const auto& e : p.entries) {
    out.push_back(render(e));
  }
  for (const auto& i : p.invalid) {
    out.push_back("invalid " + i.service + " " + i.text);
  }
  if (p.node_unknown) {
    out.push_back("unknown " + p.node_unknown->node);
  }
  return out;
}

TEST_CASE("slimForSpeaker plans exactly as the full snapshot") {
  struct Case {
    const char* name;
    std::string yaml;
  };
  const std::vector<Case> cases = {
      {"announced", head() + service("a", "198.51.100.200")},
      {"service selector misses", head() + service("a", "198.51.100.200", "", "{expose: no}")},
      {"no pool", head() + service("a", "192.0.2.99")},
      {"pool not advertised", head() + service("a", "203.0.113.3")},
      {"requested by annotation, not assigned",
       head() +
           "---\napiVersion: v1\nkind: Service\nmetadata: {name: r, namespace: web, labels: "
           "{expose: l2}, annotations: {metallb.io/loadBalancerIPs: 198.51.100.201}}\nspec:\n  "
           "type: LoadBalancer\n  ports: [{port: 80, protocol: TCP}]\n"},
      {"requested by spec.loadBalancerIP, assigned",
       head() + service("a", "198.51.100.202", "  loadBalancerIP: 198.51.100.202\n")},
      {"another class", head() + service("a", "198.51.100.200", "  loadBalancerClass: x/y\n")},
      {"ETP Local, endpoint on node-a",
       head() + service("a", "198.51.100.200", "  externalTrafficPolicy: Local\n", "{expose: l2}",
                        "node-a")},
      {"ETP Local, endpoint on node-c only",
       head() + service("a", "198.51.100.200", "  externalTrafficPolicy: Local\n", "{expose: l2}",
                        "node-c")},
      {"endpoint without node name",
       head() + service("a", "198.51.100.200", "", "{expose: l2}", "-")},
      {"IPv6", head() + service("a", "2001:db8:1::5")},
      {"a ClusterIP service beside",
       head() + service("a", "198.51.100.200") +
           "---\napiVersion: v1\nkind: Service\nmetadata: {name: c, namespace: web}\nspec:\n  "
           "ports: [{port: 80, protocol: TCP}]\n"},
  };
  const LocalOwnershipPolicy local;
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto loaded = manifest::loadManifestText(c.yaml, "case.yaml");
      for (const auto& e : loaded.errors) {
        MESSAGE(e.format());
      }
      REQUIRE(loaded.ok());
      const auto slim = slimForSpeaker(loaded.set);
      for (const char* node : {"node-a", "node-b", "node-c", "node-d", "node-x"}) {
        CAPTURE(node);
        CHECK(render(planAnnouncements(slim, node, local)) ==
              render(planAnnouncements(loaded.set, node, local)));
        AnnounceOptions classed{.ignore_exclude_lb = true, .load_balancer_class = "x/y"};
        CHECK(render(planAnnouncements(slim, node, local, classed)) ==
              render(planAnnouncements(loaded.set, node, local, classed)));
        for (const char* ip : {"198.51.100.200", "198.51.100.201", "2001:db8:1::5"}) {
          const auto addr = net::parseIp(ip).value();
          CHECK(render(explainIp(slim, node, addr, local)) ==
                render(explainIp(loaded.set, node, addr, local)));
        }
      }
    }
  }
}

TEST_CASE("slimForSpeaker keeps the requested IPs and the class") {
  auto loaded = manifest::loadManifestText(
      head() +
          "---\napiVersion: v1\nkind: Service\nmetadata: {name: r, namespace: web, annotations: "
          "{metallb.io/loadBalancerIPs: \"198.51.100.201, 198.51.100.202\"}}\nspec:\n  type: "
          "LoadBalancer\n  loadBalancerClass: x/y\n  externalTrafficPolicy: Local\n  ports: "
          "[{port: 80, protocol: TCP}]\n" +
          service("s", "198.51.100.203", "  loadBalancerIP: 198.51.100.203\n"),
      "case.yaml");
  REQUIRE(loaded.ok());
  const auto slim = slimForSpeaker(loaded.set);
  REQUIRE(slim.services.size() == 2);
  const auto& r = slim.services[0];
  CHECK(r.ips_annotation == "198.51.100.201, 198.51.100.202");
  CHECK(r.load_balancer_class == "x/y");
  CHECK(r.external_traffic_policy == manifest::TrafficPolicy::kLocal);
  CHECK(r.ingress_ips.empty());
  CHECK(requestedIps(r) == std::vector<std::string>{"198.51.100.201", "198.51.100.202"});
  CHECK(requestedIps(slim.services[1]) == std::vector<std::string>{"198.51.100.203"});
  CHECK(requestedIps(r) == requestedIps(loaded.set.services[0]));
  CHECK(serviceIps(slim.services[1]) == serviceIps(loaded.set.services[1]));
}

TEST_CASE("slimForSpeaker drops what the speaker never reads") {
  auto loaded = manifest::loadManifestText(
      head() + service("a", "198.51.100.200", "", "{expose: l2}", "node-a") +
          "---\napiVersion: v1\nkind: Service\nmetadata: {name: c, namespace: web}\nspec:\n  "
          "ports: [{port: 80, protocol: TCP}]\n",
      "case.yaml");
  REQUIRE(loaded.ok());
  const auto slim = slimForSpeaker(loaded.set);
  REQUIRE(slim.services.size() == 1);  // the ClusterIP service is gone
  const auto& svc = slim.services.front();
  CHECK(svc.ns == "web");
  CHECK(svc.name == "a");
  CHECK(svc.labels == manifest::Labels{{"expose", "l2"}});
  CHECK(svc.ips_annotation.empty());  // owner: team-a is not kept
  CHECK(svc.ingress_ips == std::vector<std::string>{"198.51.100.200"});
  REQUIRE(slim.endpoint_slices.size() == 1);
  CHECK(slim.endpoint_slices.front().ns == "web");
  CHECK(slim.endpoint_slices.front().service_name == "a");
  REQUIRE(slim.endpoint_slices.front().endpoints.size() == 1);
  CHECK(slim.endpoint_slices.front().endpoints.front().addresses.empty());
  CHECK(slim.endpoint_slices.front().endpoints.front().node_name == "node-a");
  CHECK(slim.nodes.size() == 4);
  CHECK(slim.nodes.front().meta.annotations.empty());
  CHECK(slim.nodes.front().addresses.size() == 1);
  CHECK(slim.pools.size() == 2);
  CHECK(slim.l2_advertisements.size() == 1);
}

}  // namespace
}  // namespace l1net::speaker
