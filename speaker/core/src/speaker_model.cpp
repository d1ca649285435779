#include "l1net/speaker/speaker_model.hpp"

#include <string>
#include <string_view>

namespace l1net::speaker {
namespace {

constexpr std::string_view kIpsAnnotation = "metallb.io/loadBalancerIPs";
constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";

manifest::ObjectMeta slimMeta(const manifest::ObjectMeta& m, bool labels) {
  manifest::ObjectMeta out;
  out.name = m.name;
  out.ns = m.ns;
  if (labels) {
    out.labels = m.labels;
  }
  return out;
}

}  // namespace

manifest::ManifestSet slimForSpeaker(const manifest::ManifestSet& set) {
  manifest::ManifestSet out;
  for (const auto& s : set.services) {
    if (s.type != manifest::ServiceType::kLoadBalancer) {
      continue;
    }
    manifest::Service slim;
    slim.meta = slimMeta(s.meta, true);
    if (const auto it = s.meta.annotations.find(std::string(kIpsAnnotation));
        it != s.meta.annotations.end()) {
      slim.meta.annotations.emplace(it->first, it->second);
    }
    slim.type = s.type;
    slim.load_balancer_ip = s.load_balancer_ip;
    slim.load_balancer_class = s.load_balancer_class;
    slim.external_traffic_policy = s.external_traffic_policy;
    slim.ingress = s.ingress;
    out.services.push_back(std::move(slim));
  }
  out.services.shrink_to_fit();
  out.nodes.reserve(set.nodes.size());
  for (const auto& n : set.nodes) {
    out.nodes.push_back(manifest::Node{
        .meta = slimMeta(n.meta, true), .conditions = n.conditions, .addresses = n.addresses});
  }
  for (const auto& e : set.endpoint_slices) {
    const auto it = e.meta.labels.find(std::string(kServiceNameLabel));
    manifest::EndpointSlice slim;
    slim.meta = slimMeta(e.meta, false);
    if (it != e.meta.labels.end()) {
      slim.meta.labels.emplace(it->first, it->second);
    }
    slim.endpoints.reserve(e.endpoints.size());
    for (const auto& ep : e.endpoints) {
      slim.endpoints.push_back(manifest::Endpoint{
          .addresses = {}, .conditions = ep.conditions, .node_name = ep.node_name});
    }
    out.endpoint_slices.push_back(std::move(slim));
  }
  out.endpoint_slices.shrink_to_fit();
  out.pools = set.pools;
  out.l2_advertisements = set.l2_advertisements;
  return out;
}

}  // namespace l1net::speaker
