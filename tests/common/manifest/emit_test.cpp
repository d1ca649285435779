#include "l1net/manifest/emit.hpp"

#include <string>
#include <vector>

#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"

namespace manifest = l1net::manifest;
namespace net = l1net::net;
using manifest::Service;

namespace {

// Field-by-field equality except source and field_lines, which the loader sets from the text.
void checkEqual(const Service& got, const Service& want) {
  CHECK(got.meta.name == want.meta.name);
  CHECK(got.meta.ns == want.meta.ns);
  CHECK(got.meta.labels == want.meta.labels);
  CHECK(got.meta.annotations == want.meta.annotations);
  CHECK(got.meta.uid == want.meta.uid);
  CHECK(got.meta.resource_version == want.meta.resource_version);
  CHECK(got.type == want.type);
  REQUIRE(got.ports.size() == want.ports.size());
  for (std::size_t i = 0; i < got.ports.size(); ++i) {
    CHECK(got.ports[i].name == want.ports[i].name);
    CHECK(got.ports[i].protocol == want.ports[i].protocol);
    CHECK(got.ports[i].port == want.ports[i].port);
    CHECK(got.ports[i].target_port == want.ports[i].target_port);
    CHECK(got.ports[i].node_port == want.ports[i].node_port);
  }
  CHECK(got.selector == want.selector);
  CHECK(got.load_balancer_ip == want.load_balancer_ip);
  CHECK(got.load_balancer_class == want.load_balancer_class);
  CHECK(got.external_traffic_policy == want.external_traffic_policy);
  CHECK(got.ip_families == want.ip_families);
  CHECK(got.ip_family_policy == want.ip_family_policy);
  CHECK(got.cluster_ips == want.cluster_ips);
  REQUIRE(got.ingress.size() == want.ingress.size());
  for (std::size_t i = 0; i < got.ingress.size(); ++i) {
    CHECK(got.ingress[i].ip == want.ingress[i].ip);
    CHECK(got.ingress[i].hostname == want.ingress[i].hostname);
  }
}

Service fullService() {
  Service s;
  s.meta.name = "web";
  s.meta.ns = "shop";
  s.meta.uid = "0b5e-77";
  s.meta.resource_version = "12345";
  s.meta.labels = {{"app", "web"}, {"version", "2"}};
  s.meta.annotations = {{"metallb.io/ip-allocated-from-pool", "lan"},
                        {"metallb.io/allow-shared-ip", "true"},
                        {"note", "a: b, [c] #d"},
                        {"empty", ""},
                        {"kubectl.kubernetes.io/last-applied-configuration", "{\"a\":1}\n"}};
  s.type = manifest::ServiceType::kLoadBalancer;
  s.ports = {
      {"http", "TCP", 80, "8080", 30080}, {"dns", "UDP", 53, "dns", 0}, {"", "SCTP", 9, "", 0}};
  s.selector = {{"app", "web"}};
  s.load_balancer_ip = "198.51.100.7";
  s.load_balancer_class = "metallb.io/l1net";
  s.external_traffic_policy = manifest::TrafficPolicy::kLocal;
  s.ip_families = {net::Family::kV6, net::Family::kV4};
  s.ip_family_policy = manifest::IpFamilyPolicy::kRequireDualStack;
  s.cluster_ips = {"2001:db8::7", "198.51.100.7"};
  s.ingress = {{"198.51.100.7", ""}, {"2001:db8::7", ""}, {"", "lb.example.org"}};
  return s;
}

}  // namespace

TEST_CASE("emitServiceYaml round-trips through loadManifestText") {
  struct Case {
    const char* name;
    Service svc;
  };
  Service minimal;
  minimal.meta.name = "min";
  minimal.meta.ns = "default";
  Service tricky = fullService();
  tricky.meta.name = "tricky";
  tricky.meta.ns = "123";  // a valid namespace that YAML would read as a number
  tricky.meta.labels = {{"yes", "no"}, {"n", "null"}, {"t", "~"},
                        {"f", "1.5"},  {"h", "0x1F"}, {"s", "1:30"}};
  tricky.load_balancer_class = "";
  Service node_port;
  node_port.meta.name = "np";
  node_port.meta.ns = "default";
  node_port.type = manifest::ServiceType::kNodePort;
  node_port.ports = {{"", "TCP", 443, "https", 32443}};
  node_port.ip_family_policy = manifest::IpFamilyPolicy::kSingleStack;
  const std::vector<Case> cases = {
      {"every field", fullService()},
      {"minimal ClusterIP", minimal},
      {"strings that look like other YAML types", tricky},
      {"NodePort", node_port},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto yaml = manifest::emitServiceYaml(c.svc);
      INFO(yaml);
      const auto r = manifest::loadManifestText(yaml, "emitted.yaml");
      CHECK(r.ok());
      CHECK(r.warnings.empty());
      REQUIRE(r.set.services.size() == 1);
      checkEqual(r.set.services[0], c.svc);
    }
  }
}

TEST_CASE("emitServiceYaml looks like kubectl get svc -o yaml") {
  Service s;
  s.meta.name = "whoami";
  s.meta.ns = "test-service";
  s.meta.annotations = {{"external-dns.kubernetes.io/hostname", "whoami.example.org"}};
  s.type = manifest::ServiceType::kLoadBalancer;
  s.ports = {{"http", "TCP", 80, "80", 0}};
  s.selector = {{"app", "whoami"}};
  s.ingress = {{"203.0.113.9", ""}};
  CHECK(manifest::emitServiceYaml(s) == R"(apiVersion: v1
kind: Service
metadata:
  annotations:
    external-dns.kubernetes.io/hostname: whoami.example.org
  name: whoami
  namespace: test-service
spec:
  externalTrafficPolicy: Cluster
  ports:
    - name: http
      port: 80
      protocol: TCP
      targetPort: 80
  selector:
    app: whoami
  type: LoadBalancer
status:
  loadBalancer:
    ingress:
      - ip: 203.0.113.9
)");
}

TEST_CASE("emitServicesYaml writes one document per Service") {
  Service a;
  a.meta.name = "a";
  a.meta.ns = "x";
  Service b = fullService();
  Service c = a;
  c.meta.name = "c";
  const auto yaml = manifest::emitServicesYaml({a, b, c});
  const auto r = manifest::loadManifestText(yaml, "multi.yaml");
  CHECK(r.ok());
  REQUIRE(r.set.services.size() == 3);
  checkEqual(r.set.services[0], a);
  checkEqual(r.set.services[1], b);
  checkEqual(r.set.services[2], c);
  CHECK(r.set.services[1].meta.source.line > r.set.services[0].meta.source.line);
  CHECK(manifest::emitServicesYaml({}).empty());
}

TEST_CASE("emitServiceYaml quotes strings a YAML 1.1 reader would retype") {
  struct Case {
    const char* name;
    std::string value;
    bool quoted;
  };
  const std::vector<Case> cases = {
      {"word", "web", false},
      {"IPv4 address", "198.51.100.7", false},
      {"IPv6 address", "2001:db8::1", false},
      {"hostname with digits", "web1.example.org", false},
      {"lone dot", ".", false},
      {"not base 60", "9:75", false},
      {"empty", "", true},
      {"integer", "12", true},
      {"signed integer", "+7", true},
      {"underscored integer", "1_000", true},
      {"float", "1.5", true},
      {"leading-dot float", ".5", true},
      {"exponent", "1e3", true},
      {"hex", "0x1F", true},
      {"binary", "0b101", true},
      {"base 60", "1:30", true},
      {"infinity", "-.inf", true},
      {"yes", "yes", true},
      {"Off", "Off", true},
      {"null", "null", true},
      {"tilde", "~", true},
      {"200k digits", std::string(200000, '7'), true},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Service s;
      s.meta.name = "q";
      s.meta.ns = "default";
      s.meta.labels = {{"k", c.value}};
      const auto yaml = manifest::emitServiceYaml(s);
      const auto want = "k: " + (c.quoted ? "\"" + c.value + "\"" : c.value) + "\n";
      CHECK(yaml.find(want) != std::string::npos);
      const auto r = manifest::loadManifestText(yaml, "q.yaml");
      REQUIRE(r.set.services.size() == 1);
      CHECK(r.set.services[0].meta.labels.at("k") == c.value);
    }
  }
}
