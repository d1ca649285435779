#include "l1net/kube/cache.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "l1net/testing/doctest.hpp"

namespace json = boost::json;
namespace kube = l1net::kube;

TEST_CASE("Cache keeps decoded, trimmed objects and follows deltas") {
  kube::Cache cache;
  std::vector<l1net::manifest::Diagnostic> errors;
  const auto svc = json::parse(R"({"metadata":{"name":"web","namespace":"shop",
    "resourceVersion":"5","annotations":{"metallb.io/address-pool":"lan",
    "kubectl.kubernetes.io/last-applied-configuration":"{...huge...}"},
    "managedFields":[{"manager":"kubectl"}]},
    "spec":{"type":"LoadBalancer","ports":[{"port":80}]}})");
  REQUIRE(cache.apply(kube::Kind::kService, {kube::Delta::Kind::kUpsert, "shop/web", svc}, errors));
  auto snap = cache.snapshot();
  REQUIRE(snap.services.size() == 1);
  CHECK(snap.services[0].meta.annotations ==
        l1net::manifest::Labels{{"metallb.io/address-pool", "lan"}});
  CHECK(snap.services[0].meta.resource_version == "5");
  CHECK(snap.services[0].type == l1net::manifest::ServiceType::kLoadBalancer);

  // An update that no longer decodes removes the stale state and reports the field.
  const auto bad = json::parse(R"({"metadata":{"name":"web","namespace":"shop"},
    "spec":{"ports":[{"port":"x"}]}})");
  CHECK_FALSE(
      cache.apply(kube::Kind::kService, {kube::Delta::Kind::kUpsert, "shop/web", bad}, errors));
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].format() ==
        R"(watch Service: Service "shop/web" spec.ports[0].port: must be an integer, not "x")");
  CHECK(cache.size(kube::Kind::kService) == 0);

  REQUIRE(cache.apply(kube::Kind::kService, {kube::Delta::Kind::kUpsert, "shop/web", svc}, errors));
  REQUIRE(cache.apply(kube::Kind::kService, {kube::Delta::Kind::kDelete, "shop/web", {}}, errors));
  CHECK(cache.size(kube::Kind::kService) == 0);
}

TEST_CASE("keepAnnotation") {
  CHECK(kube::keepAnnotation("metallb.io/loadBalancerIPs"));
  CHECK(kube::keepAnnotation("metallb.universe.tf/address-pool"));
  CHECK(kube::keepAnnotation("external-dns.alpha.kubernetes.io/hostname"));
  CHECK(kube::keepAnnotation("external-dns.kubernetes.io/hostname"));  // dnsd reads both prefixes
  CHECK(kube::keepAnnotation("external-dns.kubernetes.io/ingress-hostname-source"));
  CHECK_FALSE(kube::keepAnnotation("kubectl.kubernetes.io/last-applied-configuration"));
}

TEST_CASE("Cache decodes every kind l1net watches, with the kind taken from the request") {
  struct Case {
    const char* name;
    kube::Kind kind;
    std::string json;
    std::function<bool(const l1net::manifest::ManifestSet&)> check;
  };
  const std::vector<Case> cases = {
      {"Ingress (dnsd)", kube::Kind::kIngress,
       R"({"metadata":{"name":"web","namespace":"shop"},"spec":{"rules":[{"host":"web.example.org"}]},
          "status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}})",
       [](const auto& s) {
         return s.ingresses.size() == 1 && s.ingresses[0].rules.at(0).host == "web.example.org" &&
                s.ingresses[0].ingress.at(0).ip == "192.0.2.10";
       }},
      {"Pod (speaker peers), trimmed to what the speaker reads", kube::Kind::kPod,
       R"({"metadata":{"name":"speaker-x","namespace":"l1net-system","labels":{"app":"speaker"},
          "annotations":{"kubectl.kubernetes.io/restartedAt":"now"}},
          "spec":{"nodeName":"n1","containers":[{"name":"s","image":"l1net"}]},
          "status":{"phase":"Running","podIP":"192.0.2.21","conditions":[{"type":"Ready"}]}})",
       [](const auto& s) {
         return s.pods.size() == 1 && s.pods[0].node_name == "n1" && s.pods[0].phase == "Running" &&
                s.pods[0].pod_ip == "192.0.2.21" && s.pods[0].meta.labels.at("app") == "speaker" &&
                s.pods[0].meta.annotations.empty();
       }},
      {"Pod not yet scheduled", kube::Kind::kPod,
       R"({"metadata":{"name":"p","namespace":"l1net-system"},"status":{"phase":"Pending"}})",
       [](const auto& s) {
         return s.pods.size() == 1 && s.pods[0].node_name.empty() && s.pods[0].pod_ip.empty();
       }},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      kube::Cache cache;
      std::vector<l1net::manifest::Diagnostic> errors;
      const auto obj = json::parse(c.json);
      REQUIRE(cache.apply(c.kind, {kube::Delta::Kind::kUpsert, kube::objectKey(obj), obj}, errors));
      CHECK(errors.empty());
      CHECK(cache.size(c.kind) == 1);
      CHECK(c.check(cache.snapshot()));
      REQUIRE(cache.apply(c.kind, {kube::Delta::Kind::kDelete, kube::objectKey(obj), {}}, errors));
      CHECK(cache.size(c.kind) == 0);
    }
  }
}

TEST_CASE("Cache: an EndpointSlice's node from v1 nodeName or v1beta1 topology") {
  struct Case {
    const char* name;
    const char* endpoint;
    std::optional<std::string> want_node;
  };
  const Case cases[] = {
      {"v1 nodeName", R"({"addresses":["198.51.100.5"],"nodeName":"n1"})", "n1"},
      {"v1beta1 topology (kube-apiserver 1.20)",
       R"({"addresses":["198.51.100.5"],"topology":{"kubernetes.io/hostname":"n2",
          "topology.kubernetes.io/zone":"z"}})",
       "n2"},
      {"nodeName wins over topology",
       R"({"addresses":["198.51.100.5"],"nodeName":"n1","topology":{"kubernetes.io/hostname":"n2"}})",
       "n1"},
      {"topology without the hostname key",
       R"({"addresses":["198.51.100.5"],"topology":{"z":"a"}})", std::nullopt},
      {"neither", R"({"addresses":["198.51.100.5"]})", std::nullopt},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    kube::Cache cache;
    std::vector<l1net::manifest::Diagnostic> errors;
    const auto slice = json::parse(
        std::string(R"({"metadata":{"name":"web-a","namespace":"shop"},"addressType":"IPv4",)") +
        R"("endpoints":[)" + c.endpoint + "]}");
    REQUIRE(cache.apply(kube::Kind::kEndpointSlice,
                        {kube::Delta::Kind::kUpsert, "shop/web-a", slice}, errors));
    const auto snap = cache.snapshot();
    REQUIRE(snap.endpoint_slices.size() == 1);
    REQUIRE(snap.endpoint_slices[0].endpoints.size() == 1);
    CHECK(snap.endpoint_slices[0].endpoints[0].node_name == c.want_node);
  }
}
