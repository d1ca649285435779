#include "l1net/kube/cache.hpp"

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
  CHECK_FALSE(kube::keepAnnotation("kubectl.kubernetes.io/last-applied-configuration"));
}
