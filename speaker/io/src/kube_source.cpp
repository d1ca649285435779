#include "l1net/speaker/io/kube_source.hpp"

namespace l1net::speaker {

std::vector<kubeapi::InformerOptions> speakerInformers(const std::string& ns,
                                                       const manifest::Labels& selector) {
  std::string labels;
  for (const auto& [k, v] : selector) {
    labels += (labels.empty() ? "" : ",") + k + "=" + v;
  }
  const auto in_ns = [&ns](const char* group_version, const char* resource) {
    return std::string(group_version) + "/namespaces/" + ns + "/" + resource;
  };
  return {
      {.collection = "/api/v1/services", .kind = kube::Kind::kService},
      {.collection = "/api/v1/nodes", .kind = kube::Kind::kNode},
      {.collection = "/apis/discovery.k8s.io/v1/endpointslices",
       .kind = kube::Kind::kEndpointSlice,
       .fallback_collections = {"/apis/discovery.k8s.io/v1beta1/endpointslices"}},
      {.collection = in_ns("/apis/metallb.io/v1beta1", "ipaddresspools"),
       .kind = kube::Kind::kIpAddressPool},
      {.collection = in_ns("/apis/metallb.io/v1beta1", "l2advertisements"),
       .kind = kube::Kind::kL2Advertisement},
      {.collection = in_ns("/api/v1", "pods"), .kind = kube::Kind::kPod, .label_selector = labels},
  };
}

}  // namespace l1net::speaker
