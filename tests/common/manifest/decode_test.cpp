#include <functional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"

namespace manifest = l1net::manifest;
namespace net = l1net::net;
using manifest::ManifestSet;
using Op = manifest::LabelSelectorRequirement::Operator;

namespace {

std::string allErrors(const manifest::LoadResult& r) {
  std::string out;
  for (const auto& d : r.errors) {
    out += d.format() + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("loadManifestText decodes every kind with all fields") {
  struct Case {
    const char* name;
    const char* yaml;
    std::function<void(const ManifestSet&)> check;
  };
  const std::vector<Case> cases = {
      {"Service", R"(apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  uid: 1234-abcd
  resourceVersion: "42"
  labels: {app: web, tier: front}
  annotations:
    metallb.io/loadBalancerIPs: 198.51.100.10
    external-dns.kubernetes.io/hostname: web.example.org
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
    - {name: http, port: 80, protocol: TCP, targetPort: 8080, nodePort: 31080}
    - {name: dns, port: 53, protocol: UDP, targetPort: dns}
  loadBalancerIP: 198.51.100.10
  loadBalancerClass: metallb.io/l1net
  externalTrafficPolicy: Local
  ipFamilies: [IPv4, IPv6]
  ipFamilyPolicy: PreferDualStack
  clusterIP: 198.51.100.10
  clusterIPs: [198.51.100.10, "2001:db8::10"]
status:
  loadBalancer:
    ingress:
      - ip: 198.51.100.10
      - hostname: lb.example.org
)",
       [](const ManifestSet& s) {
         REQUIRE(s.services.size() == 1);
         const auto& svc = s.services[0];
         CHECK(svc.meta.name == "web");
         CHECK(svc.meta.ns == "shop");
         CHECK(svc.meta.uid == "1234-abcd");
         CHECK(svc.meta.resource_version == "42");
         CHECK(svc.meta.labels == manifest::Labels{{"app", "web"}, {"tier", "front"}});
         CHECK(svc.meta.annotations.at("metallb.io/loadBalancerIPs") == "198.51.100.10");
         CHECK(svc.meta.annotations.at("external-dns.kubernetes.io/hostname") == "web.example.org");
         CHECK(svc.meta.source.file == "t.yaml");
         CHECK(svc.meta.source.line == 1);
         CHECK(svc.type == manifest::ServiceType::kLoadBalancer);
         CHECK(svc.selector == manifest::Labels{{"app", "web"}});
         REQUIRE(svc.ports.size() == 2);
         CHECK(svc.ports[0].name == "http");
         CHECK(svc.ports[0].port == 80);
         CHECK(svc.ports[0].protocol == "TCP");
         CHECK(svc.ports[0].target_port == "8080");
         CHECK(svc.ports[0].node_port == 31080);
         CHECK(svc.ports[1].protocol == "UDP");
         CHECK(svc.ports[1].target_port == "dns");
         CHECK(svc.load_balancer_ip == "198.51.100.10");
         CHECK(svc.load_balancer_class == "metallb.io/l1net");
         CHECK(svc.external_traffic_policy == manifest::TrafficPolicy::kLocal);
         CHECK(svc.ip_families == std::vector<net::Family>{net::Family::kV4, net::Family::kV6});
         CHECK(svc.ip_family_policy == manifest::IpFamilyPolicy::kPreferDualStack);
         CHECK(svc.cluster_ips == std::vector<std::string>{"198.51.100.10", "2001:db8::10"});
         REQUIRE(svc.ingress.size() == 2);
         CHECK(svc.ingress[0].ip == "198.51.100.10");
         CHECK(svc.ingress[1].hostname == "lb.example.org");
       }},
      {"Node", R"(apiVersion: v1
kind: Node
metadata:
  name: worker-1
  labels: {kubernetes.io/hostname: worker-1, node.kubernetes.io/exclude-from-external-load-balancers: ""}
status:
  conditions:
    - {type: Ready, status: "True"}
    - {type: NetworkUnavailable, status: "False"}
  addresses:
    - {type: InternalIP, address: 192.0.2.11}
    - {type: Hostname, address: worker-1}
)",
       [](const ManifestSet& s) {
         REQUIRE(s.nodes.size() == 1);
         const auto& n = s.nodes[0];
         CHECK(n.meta.name == "worker-1");
         CHECK(n.meta.ns.empty());
         CHECK(n.meta.labels.at("node.kubernetes.io/exclude-from-external-load-balancers").empty());
         REQUIRE(n.conditions.size() == 2);
         CHECK(n.conditions[0].type == "Ready");
         CHECK(n.conditions[0].status == "True");
         CHECK(n.conditions[1].type == "NetworkUnavailable");
         CHECK(n.conditions[1].status == "False");
         REQUIRE(n.addresses.size() == 2);
         CHECK(n.addresses[0].type == "InternalIP");
         CHECK(n.addresses[0].address == "192.0.2.11");
         CHECK(n.addresses[1].address == "worker-1");
       }},
      {"Namespace", R"(apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {team: red}
)",
       [](const ManifestSet& s) {
         REQUIRE(s.namespaces.size() == 1);
         CHECK(s.namespaces[0].meta.name == "shop");
         CHECK(s.namespaces[0].meta.ns.empty());
         CHECK(s.namespaces[0].meta.labels == manifest::Labels{{"team", "red"}});
       }},
      {"EndpointSlice", R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc12
  namespace: shop
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
  - addresses: [198.51.100.15]
    conditions: {ready: true, serving: true, terminating: false}
    nodeName: worker-1
  - addresses: [198.51.100.27, 198.51.100.28]
    conditions: {ready: false}
ports:
  - {name: http, port: 8080, protocol: TCP}
)",
       [](const ManifestSet& s) {
         REQUIRE(s.endpoint_slices.size() == 1);
         const auto& e = s.endpoint_slices[0];
         CHECK(e.meta.name == "web-abc12");
         CHECK(e.meta.ns == "shop");
         CHECK(e.meta.labels.at("kubernetes.io/service-name") == "web");
         CHECK(e.address_type == "IPv4");
         REQUIRE(e.endpoints.size() == 2);
         CHECK(e.endpoints[0].addresses == std::vector<std::string>{"198.51.100.15"});
         CHECK(e.endpoints[0].conditions.ready == true);
         CHECK(e.endpoints[0].conditions.serving == true);
         CHECK(e.endpoints[0].conditions.terminating == false);
         CHECK(e.endpoints[0].node_name == "worker-1");
         CHECK(e.endpoints[1].addresses.size() == 2);
         CHECK(e.endpoints[1].conditions.ready == false);
         CHECK_FALSE(e.endpoints[1].conditions.serving.has_value());
         CHECK_FALSE(e.endpoints[1].node_name.has_value());
       }},
      {"Ingress", R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: {external-dns.kubernetes.io/target: 198.51.100.10}
spec:
  ingressClassName: nginx
  rules:
    - host: web.example.org
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
    - host: api.example.org
  tls:
    - hosts: [web.example.org, api.example.org]
      secretName: web-tls
status:
  loadBalancer:
    ingress: [{ip: 198.51.100.10}]
)",
       [](const ManifestSet& s) {
         REQUIRE(s.ingresses.size() == 1);
         const auto& i = s.ingresses[0];
         CHECK(i.meta.name == "web");
         CHECK(i.ingress_class_name == "nginx");
         REQUIRE(i.rules.size() == 2);
         CHECK(i.rules[0].host == "web.example.org");
         CHECK(i.rules[1].host == "api.example.org");
         REQUIRE(i.tls.size() == 1);
         CHECK(i.tls[0].hosts == std::vector<std::string>{"web.example.org", "api.example.org"});
         REQUIRE(i.ingress.size() == 1);
         CHECK(i.ingress[0].ip == "198.51.100.10");
       }},
      {"IPAddressPool", R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  namespace: metallb-system
  labels: {zone: a}
spec:
  addresses:
    - 198.51.100.0/28
    - 203.0.113.10-203.0.113.20
    - 2001:db8::/120
  autoAssign: false
  avoidBuggyIPs: true
  serviceAllocation:
    priority: 50
    namespaces: [shop, infra]
    namespaceSelectors:
      - matchLabels: {team: red}
    serviceSelectors:
      - matchExpressions:
          - {key: tier, operator: In, values: [front, edge]}
          - {key: legacy, operator: DoesNotExist}
          - {key: env, operator: NotIn, values: [dev]}
          - {key: app, operator: Exists}
)",
       [](const ManifestSet& s) {
         REQUIRE(s.pools.size() == 1);
         const auto& p = s.pools[0];
         CHECK(p.meta.name == "lan");
         CHECK(p.meta.ns == "metallb-system");
         CHECK(p.meta.labels.at("zone") == "a");
         REQUIRE(p.addresses.size() == 3);
         CHECK(p.addresses[0].text == "198.51.100.0/28");
         CHECK(p.addresses[0].line == 9);
         CHECK(p.addresses[1].text == "203.0.113.10-203.0.113.20");
         CHECK(p.addresses[1].line == 10);
         CHECK(p.addresses[2].line == 11);
         CHECK(p.addresses[0].cidrs.size() == 1);  // filled by validation
         CHECK(p.addresses[1].cidrs.size() == 4);  // .10/31 .12/30 .16/30 .20/32
         CHECK_FALSE(p.auto_assign);
         CHECK(p.avoid_buggy_ips);
         REQUIRE(p.service_allocation.has_value());
         const auto& sa = *p.service_allocation;
         CHECK(sa.priority == 50);
         CHECK(sa.namespaces == std::vector<std::string>{"shop", "infra"});
         REQUIRE(sa.namespace_selectors.size() == 1);
         CHECK(sa.namespace_selectors[0].match_labels == manifest::Labels{{"team", "red"}});
         REQUIRE(sa.service_selectors.size() == 1);
         const auto& ex = sa.service_selectors[0].match_expressions;
         REQUIRE(ex.size() == 4);
         CHECK(ex[0].key == "tier");
         CHECK(ex[0].op == Op::kIn);
         CHECK(ex[0].values == std::vector<std::string>{"front", "edge"});
         CHECK(ex[1].op == Op::kDoesNotExist);
         CHECK(ex[2].op == Op::kNotIn);
         CHECK(ex[3].op == Op::kExists);
         CHECK(sa.service_selectors[0].toString() ==
               "app,env notin (dev),!legacy,tier in (edge,front)");
       }},
      {"L2Advertisement", R"(apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: lan
  namespace: metallb-system
spec:
  ipAddressPools: [lan, dmz]
  ipAddressPoolSelectors:
    - matchLabels: {zone: a}
  nodeSelectors:
    - matchLabels: {kubernetes.io/hostname: worker-1}
    - matchExpressions: [{key: role, operator: In, values: [edge]}]
  interfaces: [eth0, vmbr0]
  serviceSelectors:
    - matchLabels: {expose: lan}
  preferredNodeSelectors:
    - weight: 80
      preference:
        matchLabels: {rack: r1}
    - weight: 20
      preference:
        matchExpressions: [{key: rack, operator: NotIn, values: [r9]}]
)",
       [](const ManifestSet& s) {
         REQUIRE(s.l2_advertisements.size() == 1);
         const auto& a = s.l2_advertisements[0];
         CHECK(a.meta.name == "lan");
         CHECK(a.meta.ns == "metallb-system");
         CHECK(a.ip_address_pools == std::vector<std::string>{"lan", "dmz"});
         REQUIRE(a.ip_address_pool_selectors.size() == 1);
         CHECK(a.ip_address_pool_selectors[0].match_labels.at("zone") == "a");
         REQUIRE(a.node_selectors.size() == 2);
         CHECK(a.node_selectors[1].toString() == "role in (edge)");
         CHECK(a.interfaces == std::vector<std::string>{"eth0", "vmbr0"});
         REQUIRE(a.service_selectors.size() == 1);
         CHECK(a.service_selectors[0].matches({{"expose", "lan"}}));
         REQUIRE(a.preferred_node_selectors.size() == 2);
         CHECK(a.preferred_node_selectors[0].weight == 80);
         CHECK(a.preferred_node_selectors[0].preference.toString() == "rack=r1");
         CHECK(a.preferred_node_selectors[1].weight == 20);
         CHECK(a.preferred_node_selectors[1].preference.toString() == "rack notin (r9)");
       }},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = manifest::loadManifestText(c.yaml, "t.yaml");
      INFO(allErrors(r));
      CHECK(r.ok());
      CHECK(r.warnings.empty());
      c.check(r.set);
    }
  }
}

TEST_CASE("loadManifestText applies defaults") {
  struct Case {
    const char* name;
    const char* yaml;
    std::function<void(const ManifestSet&)> check;
  };
  const std::vector<Case> cases = {
      {"Service: namespace default, ClusterIP, Cluster policy, TCP, no class",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n",
       [](const ManifestSet& s) {
         REQUIRE(s.services.size() == 1);
         const auto& svc = s.services[0];
         CHECK(svc.meta.ns == "default");
         CHECK(svc.type == manifest::ServiceType::kClusterIP);
         CHECK(svc.external_traffic_policy == manifest::TrafficPolicy::kCluster);
         CHECK(svc.ip_family_policy == manifest::IpFamilyPolicy::kUnset);
         CHECK_FALSE(svc.load_balancer_class.has_value());
         REQUIRE(svc.ports.size() == 1);
         CHECK(svc.ports[0].protocol == "TCP");
         CHECK(svc.ports[0].target_port.empty());
         CHECK(svc.ports[0].node_port == 0);
         CHECK(svc.cluster_ips.empty());
         CHECK(svc.ingress.empty());
       }},
      {"Service: clusterIP folds into clusterIPs",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: 198.51.100.7}\n",
       [](const ManifestSet& s) {
         REQUIRE(s.services.size() == 1);
         CHECK(s.services[0].cluster_ips == std::vector<std::string>{"198.51.100.7"});
       }},
      {"Service: clusterIPs win over clusterIP",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
       "spec: {clusterIP: 198.51.100.7, clusterIPs: [198.51.100.8]}\n",
       [](const ManifestSet& s) {
         REQUIRE(s.services.size() == 1);
         CHECK(s.services[0].cluster_ips == std::vector<std::string>{"198.51.100.8"});
       }},
      {"Service: empty loadBalancerClass is kept as set",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {loadBalancerClass: \"\"}\n",
       [](const ManifestSet& s) {
         REQUIRE(s.services.size() == 1);
         CHECK(s.services[0].load_balancer_class == std::string());
       }},
      {"EndpointSlice and Ingress: namespace default",
       "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\n"
       "addressType: IPv4\n---\n"
       "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n",
       [](const ManifestSet& s) {
         REQUIRE(s.endpoint_slices.size() == 1);
         CHECK(s.endpoint_slices[0].meta.ns == "default");
         CHECK(s.endpoint_slices[0].endpoints.empty());
         REQUIRE(s.ingresses.size() == 1);
         CHECK(s.ingresses[0].meta.ns == "default");
         CHECK_FALSE(s.ingresses[0].ingress_class_name.has_value());
       }},
      {"IPAddressPool: autoAssign true, avoidBuggyIPs false, no allocation, namespace kept empty",
       "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\n"
       "spec: {addresses: [192.0.2.0/24]}\n",
       [](const ManifestSet& s) {
         REQUIRE(s.pools.size() == 1);
         CHECK(s.pools[0].meta.ns.empty());
         CHECK(s.pools[0].auto_assign);
         CHECK_FALSE(s.pools[0].avoid_buggy_ips);
         CHECK_FALSE(s.pools[0].service_allocation.has_value());
       }},
      {"IPAddressPool: null autoAssign means default; YAML 1.1 booleans",
       "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: p}\n"
       "spec: {addresses: [192.0.2.0/24], autoAssign: ~, avoidBuggyIPs: yes}\n",
       [](const ManifestSet& s) {
         REQUIRE(s.pools.size() == 1);
         CHECK(s.pools[0].auto_assign);
         CHECK(s.pools[0].avoid_buggy_ips);
       }},
      {"L2Advertisement: empty spec selects everything",
       "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: all}\n",
       [](const ManifestSet& s) {
         REQUIRE(s.l2_advertisements.size() == 1);
         const auto& a = s.l2_advertisements[0];
         CHECK(a.ip_address_pools.empty());
         CHECK(a.ip_address_pool_selectors.empty());
         CHECK(a.node_selectors.empty());
         CHECK(a.interfaces.empty());
         CHECK(a.preferred_node_selectors.empty());
       }},
      {"empty documents and comments are ignored",
       "---\n# nothing\n---\n\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n",
       [](const ManifestSet& s) { CHECK(s.namespaces.size() == 1); }},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = manifest::loadManifestText(c.yaml, "t.yaml");
      INFO(allErrors(r));
      CHECK(r.ok());
      c.check(r.set);
    }
  }
}

TEST_CASE("loadManifestText skips unknown kinds with one warning per kind") {
  const char* yaml = R"(apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: discovery.k8s.io/v1beta1
kind: EndpointSlice
metadata: {name: old}
---
apiVersion: v1
kind: Namespace
metadata: {name: kept}
)";
  const auto r = manifest::loadManifestText(yaml, "t.yaml");
  INFO(allErrors(r));
  CHECK(r.ok());
  REQUIRE(r.warnings.size() == 3);
  CHECK(r.warnings[0].format().find("t.yaml:1:") == 0);
  CHECK(r.warnings[0].message.find("ConfigMap") != std::string::npos);
  CHECK(r.warnings[1].format().find("t.yaml:9:") == 0);
  CHECK(r.warnings[1].message.find("Deployment") != std::string::npos);
  CHECK(r.warnings[2].message.find("discovery.k8s.io/v1beta1") != std::string::npos);
  CHECK(r.set.namespaces.size() == 1);
  CHECK(r.set.endpoint_slices.empty());
}

TEST_CASE("loadManifestText reads kind: List and typed lists") {
  struct Case {
    const char* name;
    const char* yaml;
    std::size_t services;
    std::size_t pools;
  };
  const std::vector<Case> cases = {
      {"kubectl get -o yaml List", R"(apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:
  - apiVersion: v1
    kind: Service
    metadata: {name: a, namespace: x}
  - apiVersion: metallb.io/v1beta1
    kind: IPAddressPool
    metadata: {name: p}
    spec: {addresses: [192.0.2.0/28]}
)",
       1, 1},
      {"API ServiceList items without kind", R"(apiVersion: v1
kind: ServiceList
items:
  - metadata: {name: a}
  - metadata: {name: b}
)",
       2, 0},
      {"empty List", "apiVersion: v1\nkind: List\nitems: []\n", 0, 0},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = manifest::loadManifestText(c.yaml, "t.yaml");
      INFO(allErrors(r));
      CHECK(r.ok());
      CHECK(r.warnings.empty());
      CHECK(r.set.services.size() == c.services);
      CHECK(r.set.pools.size() == c.pools);
    }
  }
}

TEST_CASE("loadManifestText reports type errors with file, line and field") {
  struct Case {
    const char* name;
    const char* yaml;
    const char* want;  // substring of the formatted error
  };
  const std::vector<Case> cases = {
      {"autoAssign: maybe",
       "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: lan}\nspec:\n"
       "  addresses: [192.0.2.0/24]\n  autoAssign: maybe\n",
       "t.yaml:6: IPAddressPool \"lan\" spec.autoAssign: must be true or false, not \"maybe\""},
      {"port: abc",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports:\n"
       "    - port: 80\n    - port: abc\n",
       "t.yaml:7: Service \"default/web\" spec.ports[1].port: must be an integer, not \"abc\""},
      {"port out of range",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 70000}]\n",
       "t.yaml:5: Service \"default/web\" spec.ports[0].port: must be between 1 and 65535"},
      {"port missing",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{name: x}]\n",
       "spec.ports[0].port: required"},
      {"ports not a list",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: 80\n",
       "t.yaml:5: Service \"default/web\" spec.ports: must be a list"},
      {"spec not a mapping", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: [1]\n",
       "t.yaml:4: Service \"default/web\" spec: must be a mapping"},
      {"unknown service type",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: Balanced\n",
       "t.yaml:5: Service \"default/web\" spec.type: unsupported value \"Balanced\""},
      {"unknown traffic policy",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
       "  externalTrafficPolicy: Nearest\n",
       "spec.externalTrafficPolicy: unsupported value \"Nearest\""},
      {"unknown ip family",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ipFamilies: [IPv5]\n",
       "t.yaml:5: Service \"default/web\" spec.ipFamilies[0]: unsupported value \"IPv5\""},
      {"unknown protocol",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n"
       "  ports: [{port: 1, protocol: ICMP}]\n",
       "spec.ports[0].protocol: unsupported value \"ICMP\""},
      {"label value is a list",
       "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    team: [a]\n",
       "t.yaml:6: Namespace \"shop\" metadata.labels.team: must be a string"},
      {"missing name", "apiVersion: v1\nkind: Namespace\nmetadata: {labels: {a: b}}\n",
       "t.yaml:3: Namespace metadata.name: required"},
      {"missing metadata", "apiVersion: v1\nkind: Namespace\n",
       "t.yaml:1: Namespace metadata.name: required"},
      {"missing kind", "apiVersion: v1\nmetadata: {name: x}\n", "t.yaml:1: kind: required"},
      {"missing apiVersion", "kind: Service\nmetadata: {name: x}\n",
       "t.yaml:1: apiVersion: required"},
      {"document is a scalar", "just text\n", "t.yaml:1: a document must be a mapping"},
      {"address entry is a mapping",
       "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: lan}\nspec:\n"
       "  addresses:\n    - 192.0.2.0/28\n    - {cidr: 192.0.2.16/28}\n",
       "t.yaml:7: IPAddressPool \"lan\" spec.addresses[1]: must be a string"},
      {"priority not an integer",
       "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: lan}\nspec:\n"
       "  addresses: [192.0.2.0/28]\n  serviceAllocation:\n    priority: high\n",
       "t.yaml:7: IPAddressPool \"lan\" spec.serviceAllocation.priority: must be an integer"},
      {"unknown selector operator",
       "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\nspec:\n"
       "  nodeSelectors:\n    - matchExpressions:\n        - {key: a, operator: Gt, values: [1]}\n",
       "t.yaml:7: L2Advertisement \"l2\" spec.nodeSelectors[0].matchExpressions[0].operator: "
       "unsupported value \"Gt\""},
      {"selector without operator",
       "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\nspec:\n"
       "  nodeSelectors:\n    - matchExpressions:\n        - {key: a}\n",
       "t.yaml:7: L2Advertisement \"l2\" spec.nodeSelectors[0].matchExpressions[0].operator: "
       "required"},
      {"weight not an integer",
       "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2}\nspec:\n"
       "  preferredNodeSelectors:\n    - weight: heavy\n      preference: {}\n",
       "t.yaml:6: L2Advertisement \"l2\" spec.preferredNodeSelectors[0].weight: must be an "
       "integer"},
      {"endpoint ready not a bool",
       "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\n"
       "endpoints:\n  - addresses: [198.51.100.1]\n    conditions: {ready: sure}\n",
       "t.yaml:6: EndpointSlice \"default/e\" endpoints[0].conditions.ready: must be true or "
       "false"},
      {"List items not a list", "apiVersion: v1\nkind: List\nitems: {a: b}\n",
       "t.yaml:3: items: must be a list"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = manifest::loadManifestText(c.yaml, "t.yaml");
      REQUIRE_FALSE(r.ok());
      const auto text = allErrors(r);
      INFO(text);
      CHECK(text.find(c.want) != std::string::npos);
    }
  }
}

TEST_CASE("an object with a decoding error is left out of the set") {
  const auto r = manifest::loadManifestText(
      "apiVersion: v1\nkind: Service\nmetadata: {name: bad}\nspec: {type: Nope}\n---\n"
      "apiVersion: v1\nkind: Service\nmetadata: {name: good}\n",
      "t.yaml");
  CHECK(r.errors.size() == 1);
  REQUIRE(r.set.services.size() == 1);
  CHECK(r.set.services[0].meta.name == "good");
}

TEST_CASE("loadManifestText reports YAML syntax errors with file and line") {
  struct Case {
    const char* name;
    const char* yaml;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"unclosed flow sequence", "apiVersion: v1\nkind: Namespace\nmetadata: {name: [a\n",
       "t.yaml:4: YAML syntax error"},
      {"bad indentation", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n b: c\n",
       "t.yaml:5: YAML syntax error"},
      {"stray comma starts a document", "kind: Namespace\n---\n, a\n",
       "t.yaml:3: YAML syntax error"},
      {"stray bracket", "]\n", "t.yaml:1: YAML syntax error"},
      {"undefined alias", "apiVersion: v1\nkind: Namespace\nmetadata: *nope\n",
       "t.yaml:3: YAML syntax error"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = manifest::loadManifestText(c.yaml, "t.yaml");
      REQUIRE(r.errors.size() == 1);
      const auto text = r.errors[0].format();
      INFO(text);
      CHECK(text.find(c.want) == 0);
    }
  }
}

TEST_CASE("decodeDocument accepts API JSON parsed by yaml-cpp") {
  const auto doc = YAML::Load(
      R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop",)"
      R"("resourceVersion":"7"},"spec":{"type":"LoadBalancer","ports":[{"port":443,)"
      R"("targetPort":8443}]},"status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.5"}]}}})");
  ManifestSet set;
  std::vector<manifest::Diagnostic> errors;
  std::vector<manifest::Diagnostic> warnings;
  manifest::decodeDocument(doc, "api", set, errors, warnings);
  CHECK(errors.empty());
  CHECK(warnings.empty());
  REQUIRE(set.services.size() == 1);
  CHECK(set.services[0].meta.resource_version == "7");
  CHECK(set.services[0].ports.at(0).port == 443);
  CHECK(set.services[0].ports.at(0).target_port == "8443");
  CHECK(set.services[0].ingress.at(0).ip == "203.0.113.5");

  SUBCASE("a second unknown kind of the same name is not warned again") {
    const auto cm = YAML::Load(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})");
    manifest::decodeDocument(cm, "api", set, errors, warnings);
    manifest::decodeDocument(cm, "api", set, errors, warnings);
    CHECK(warnings.size() == 1);
  }
}

TEST_CASE("loadManifestText survives hostile input") {
  struct Case {
    const char* name;
    std::string yaml;
    bool ok;
  };
  std::string deep(5000, '[');
  std::string aliases = "a: &a [x, x, x, x, x, x, x, x]\n";
  for (int i = 0; i < 30; ++i) {
    aliases += "b" + std::to_string(i) + ": &b" + std::to_string(i) + " [*" +
               (i == 0 ? std::string("a") : "b" + std::to_string(i - 1)) + ", *" +
               (i == 0 ? std::string("a") : "b" + std::to_string(i - 1)) + "]\n";
  }
  aliases +=
      "kind: IPAddressPool\napiVersion: metallb.io/v1beta1\nmetadata: {name: *b29}\n"
      "spec: {addresses: *b29}\n";
  const std::vector<Case> cases = {
      {"deep nesting", deep, false},
      {"alias bomb", aliases, false},
      {"binary", std::string("\0\xff\xfe\x01---\n\x80", 9), false},
      {"unknown key that is a sequence is ignored",
       "? [a, b]\n: c\nkind: Namespace\napiVersion: v1\nmetadata: {name: n}\n", true},
      {"labels keyed by a map",
       "kind: Namespace\napiVersion: v1\nmetadata:\n  name: n\n"
       "  labels: {? {a: b} : c}\n",
       false},
      {"nested Lists",
       "kind: List\nitems:\n- kind: List\n  items:\n  - kind: List\n    items:\n"
       "    - kind: List\n      items:\n      - kind: List\n        items: []\n",
       false},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = manifest::loadManifestText(c.yaml, "t.yaml");
      CHECK(r.ok() == c.ok);
    }
  }
}
