#include "l1net/kube/api_path.hpp"

#include <optional>
#include <string>

#include "l1net/testing/doctest.hpp"

namespace kube = l1net::kube;

TEST_CASE("parseApiPath: core, grouped, namespaced, cluster-scoped and invalid paths") {
  struct Case {
    const char* path;
    std::optional<kube::ApiPath> want;
  };
  const Case cases[] = {
      {"/api/v1/namespaces/default/services/web/status",
       kube::ApiPath{"", "v1", "default", "services", "web", "status"}},
      {"/api/v1/services", kube::ApiPath{"", "v1", "", "services", "", ""}},
      {"/apis/metallb.io/v1beta1/namespaces/l1net-system/ipaddresspools",
       kube::ApiPath{"metallb.io", "v1beta1", "l1net-system", "ipaddresspools", "", ""}},
      {"/apis/coordination.k8s.io/v1/namespaces/ns/leases/l1net-controller",
       kube::ApiPath{"coordination.k8s.io", "v1", "ns", "leases", "l1net-controller", ""}},
      {"/api/v1/nodes/n1", kube::ApiPath{"", "v1", "", "nodes", "n1", ""}},
      // The Namespace kind itself: too short to be a namespaced path.
      {"/api/v1/namespaces/default", kube::ApiPath{"", "v1", "", "namespaces", "default", ""}},
      {"/api/v1", std::nullopt},
      {"/apis/metallb.io", std::nullopt},
      {"/healthz", std::nullopt},
      {"api/v1/services", std::nullopt},
      {"", std::nullopt},
      {"/api/v1/namespaces/default/services//status", std::nullopt},
      {"/api/v1/namespaces/default/services/web/status/extra", std::nullopt},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    CHECK(kube::parseApiPath(c.path) == c.want);
  }
}

TEST_CASE("describeRequest: verb, resource and object for logs") {
  struct Case {
    const char* method;
    const char* path;
    const char* want;
  };
  const Case cases[] = {
      {"PATCH", "/api/v1/namespaces/default/services/web/status",
       "PATCH services default/web/status"},
      {"POST", "/api/v1/namespaces/default/events", "POST events default"},
      {"GET", "/api/v1/nodes?watch=1", "GET nodes"},
      {"PUT", "/apis/coordination.k8s.io/v1/namespaces/ns/leases/l", "PUT leases ns/l"},
      {"GET", "/version", "GET /version"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    CHECK(kube::describeRequest(c.method, c.path) == c.want);
  }
}
