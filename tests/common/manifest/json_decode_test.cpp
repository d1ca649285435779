// The JSON route (decodeJsonDocument over Boost.JSON through the node interface) must decode
// exactly what the YAML route decodes from the same object, and report bad API JSON by field path.
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "l1net/manifest/json.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"

namespace json = boost::json;
namespace manifest = l1net::manifest;
using manifest::Diagnostic;
using manifest::ManifestSet;

namespace {

// YAML -> JSON the way the API server would serialise the object: plain integers become numbers,
// plain true/false booleans, null null, everything else (and every quoted scalar) a string.
json::value toJson(const YAML::Node& n) {
  if (n.IsMap()) {
    json::object o;
    for (const auto& kv : n) {
      o[kv.first.Scalar()] = toJson(kv.second);
    }
    return o;
  }
  if (n.IsSequence()) {
    json::array a;
    for (const auto& item : n) {
      a.push_back(toJson(item));
    }
    return a;
  }
  if (!n.IsDefined() || n.IsNull()) {
    return nullptr;
  }
  const auto& s = n.Scalar();
  if (n.Tag() == "?") {  // plain scalar
    if (s == "true" || s == "false") {
      return s == "true";
    }
    try {
      std::size_t used = 0;
      const long long v = std::stoll(s, &used);
      if (used == s.size()) {
        return v;
      }
    } catch (const std::exception&) {  // not an integer: a string
    }
  }
  return json::string(s);
}

// Lines and file differ by construction (JSON has none); everything else must be equal.
template <class T>
void forgetSource(std::vector<T>& objs) {
  for (auto& o : objs) {
    o.meta.source = {};
    o.meta.field_lines.clear();
    if constexpr (requires { o.addresses.front().line; }) {
      for (auto& a : o.addresses) {
        a.line = 0;
      }
    }
  }
}
void forgetSource(ManifestSet& s) {
  forgetSource(s.namespaces);
  forgetSource(s.services);
  forgetSource(s.nodes);
  forgetSource(s.endpoint_slices);
  forgetSource(s.ingresses);
  forgetSource(s.pools);
  forgetSource(s.l2_advertisements);
}

std::string formatAll(const std::vector<Diagnostic>& ds) {
  std::string out;
  for (const auto& d : ds) {
    out += d.format() + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("decodeJsonDocument decodes exactly what the YAML decoder decodes") {
  struct Case {
    const char* name;
    const char* yaml;
    std::size_t objects;
  };
  const std::vector<Case> cases = {
      {"Service with every field", R"(apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, uid: u-1, resourceVersion: "42",
  labels: {app: web, tier: "1"}, annotations: {metallb.io/address-pool: lan, empty: ""}}
spec:
  type: LoadBalancer
  ports: [{name: http, protocol: TCP, port: 80, targetPort: 8080, nodePort: 30080},
          {port: 53, protocol: UDP, targetPort: dns}]
  selector: {app: web}
  loadBalancerIP: 192.0.2.10
  loadBalancerClass: l1net.io/lb
  externalTrafficPolicy: Local
  ipFamilies: [IPv4, IPv6]
  ipFamilyPolicy: PreferDualStack
  clusterIP: 203.0.113.7
  clusterIPs: [203.0.113.7, "2001:db8::7"]
status: {loadBalancer: {ingress: [{ip: 192.0.2.10}, {hostname: web.example}]}}
)",
       1},
      {"Node", R"(apiVersion: v1
kind: Node
metadata: {name: n1, labels: {kubernetes.io/hostname: n1}}
status:
  conditions: [{type: Ready, status: "True"}, {type: NetworkUnavailable, status: "False"}]
  addresses: [{type: InternalIP, address: 192.0.2.1}, {type: Hostname, address: n1}]
)",
       1},
      {"EndpointSlice", R"(apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
- {addresses: [198.51.100.5], conditions: {ready: true, serving: true, terminating: false},
   nodeName: n1}
- {addresses: [198.51.100.6], conditions: {ready: false}}
)",
       1},
      {"IPAddressPool", R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: l1net-system}
spec:
  addresses: [192.0.2.0/28, 198.51.100.10-198.51.100.20]
  autoAssign: false
  avoidBuggyIPs: true
  serviceAllocation:
    priority: -5
    namespaces: [shop]
    namespaceSelectors: [{matchLabels: {team: a}}]
    serviceSelectors: [{matchExpressions: [{key: app, operator: In, values: [web, api]}]}]
)",
       1},
      {"L2Advertisement", R"(apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: ad, namespace: l1net-system}
spec:
  ipAddressPools: [lan]
  ipAddressPoolSelectors: [{matchLabels: {zone: a}}]
  nodeSelectors: [{matchExpressions: [{key: role, operator: DoesNotExist}]}]
  interfaces: [eth0]
  preferredNodeSelectors: [{weight: 10, preference: {matchLabels: {fast: "yes"}}}]
)",
       1},
      {"ServiceList from the API (items without kind)", R"(apiVersion: v1
kind: ServiceList
metadata: {resourceVersion: "900"}
items:
- metadata: {name: a, namespace: default}
  spec: {type: LoadBalancer, ports: [{port: 80}]}
- metadata: {name: b, namespace: default}
  spec: {type: ClusterIP}
)",
       2},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      ManifestSet want;
      std::vector<Diagnostic> yaml_errors;
      std::vector<Diagnostic> yaml_warnings;
      manifest::decodeDocument(YAML::Load(c.yaml), "obj.yaml", want, yaml_errors, yaml_warnings);
      REQUIRE_MESSAGE(yaml_errors.empty(), formatAll(yaml_errors));
      const json::value doc = toJson(YAML::Load(c.yaml));
      ManifestSet from_json;
      std::vector<Diagnostic> errors;
      std::vector<Diagnostic> warnings;
      manifest::decodeJsonDocument(doc, "GET /test", from_json, errors, warnings);
      INFO(json::serialize(doc));
      CHECK_MESSAGE(errors.empty(), formatAll(errors));
      CHECK(warnings.empty());
      forgetSource(want);
      forgetSource(from_json);
      const std::size_t n = from_json.services.size() + from_json.nodes.size() +
                            from_json.endpoint_slices.size() + from_json.pools.size() +
                            from_json.l2_advertisements.size();
      CHECK(n == c.objects);
      CHECK(from_json == want);
    }
  }
}

TEST_CASE("decodeJsonDocument reports bad API JSON by object and field path") {
  struct Case {
    const char* name;
    const char* json;
    const char* want;  // the one expected diagnostic, formatted
  };
  const std::vector<Case> cases = {
      {"port is a string",
       R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"a","namespace":"x"},
           "spec":{"ports":[{"port":"http"}]}})",
       R"(GET /x: Service "x/a" spec.ports[0].port: must be an integer, not "http")"},
      {"port out of range",
       R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"a","namespace":"x"},
           "spec":{"ports":[{"port":70000}]}})",
       R"(GET /x: Service "x/a" spec.ports[0].port: must be between 1 and 65535, not 70000)"},
      {"fractional number for an integer",
       R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"a","namespace":"x"},
           "spec":{"ports":[{"port":1.5}]}})",
       R"(GET /x: Service "x/a" spec.ports[0].port: must be an integer, not "1.5E0")"},
      {"labels not an object",
       R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"n","labels":[1]}})",
       R"(GET /x: Node "n" metadata.labels: must be a mapping)"},
      {"label value an object",
       R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"n","labels":{"a":{}}}})",
       R"(GET /x: Node "n" metadata.labels.a: must be a string)"},
      {"bool field a number",
       R"({"apiVersion":"metallb.io/v1beta1","kind":"IPAddressPool","metadata":{"name":"p"},
           "spec":{"addresses":["192.0.2.0/24"],"autoAssign":1}})",
       R"(GET /x: IPAddressPool "p" spec.autoAssign: must be true or false, not "1")"},
      {"missing name", R"({"apiVersion":"v1","kind":"Node","metadata":{}})",
       R"(GET /x: Node metadata.name: required)"},
      {"not an object", R"([1,2])",
       R"(GET /x: a document must be a mapping (a Kubernetes object))"},
      {"items not a list", R"({"apiVersion":"v1","kind":"ServiceList","items":{}})",
       R"(GET /x: items: must be a list)"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      ManifestSet set;
      std::vector<Diagnostic> errors;
      std::vector<Diagnostic> warnings;
      manifest::decodeJsonDocument(json::parse(c.json), "GET /x", set, errors, warnings);
      REQUIRE(errors.size() == 1);
      CHECK(errors[0].format() == c.want);
      CHECK(set.services.empty());
      CHECK(set.nodes.empty());
      CHECK(set.pools.empty());
    }
  }
}

TEST_CASE("decodeJsonDocument: unknown kinds are warned once, nulls mean absent") {
  ManifestSet set;
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
  const auto doc = json::parse(R"({"apiVersion":"v1","kind":"List","items":[
      {"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"p1"}},
      {"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"p2"}},
      {"apiVersion":"v1","kind":"Service","metadata":{"name":"s","namespace":null,
       "labels":null},"spec":{"loadBalancerClass":null,"type":"LoadBalancer"}}]})");
  manifest::decodeJsonDocument(doc, "GET /x", set, errors, warnings);
  CHECK(errors.empty());
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].message ==
        "unknown kind ReplicationController (apiVersion v1); documents skipped");
  REQUIRE(set.services.size() == 1);
  CHECK(set.services[0].meta.ns == "default");
  CHECK_FALSE(set.services[0].load_balancer_class.has_value());
}
