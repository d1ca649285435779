#include "l1net/speaker/speaker_model.hpp"

#include <string>
#include <string_view>

namespace l1net::speaker {
namespace {

manifest::ObjectMeta slimMeta(const manifest::ObjectMeta& m) {
  manifest::ObjectMeta out;
  out.name = m.name;
  out.ns = m.ns;
  out.labels = m.labels;
  return out;
}

}  // namespace

SpeakerModel slimForSpeaker(const manifest::ManifestSet& set) {
  SpeakerModel out;
  std::size_t lb = 0;
  for (const auto& s : set.services) {
    lb += s.type == manifest::ServiceType::kLoadBalancer ? 1 : 0;
  }
  out.services.reserve(lb);
  for (const auto& s : set.services) {
    if (s.type != manifest::ServiceType::kLoadBalancer) {
      continue;
    }
    ModelService slim{.ns = s.meta.ns,
                      .name = s.meta.name,
                      .labels = s.meta.labels,
                      .load_balancer_ip = s.load_balancer_ip,
                      .ips_annotation = {},
                      .load_balancer_class = s.load_balancer_class,
                      .external_traffic_policy = s.external_traffic_policy,
                      .ingress_ips = {}};
    if (const auto it = s.meta.annotations.find(std::string(kIpsAnnotation));
        it != s.meta.annotations.end()) {
      slim.ips_annotation = it->second;
    }
    for (const auto& ing : s.ingress) {
      if (!ing.ip.empty()) {
        slim.ingress_ips.push_back(ing.ip);
      }
    }
    out.services.push_back(std::move(slim));
  }
  out.nodes.reserve(set.nodes.size());
  for (const auto& n : set.nodes) {
    out.nodes.push_back(manifest::Node{
        .meta = slimMeta(n.meta), .conditions = n.conditions, .addresses = n.addresses});
  }
  out.endpoint_slices.reserve(set.endpoint_slices.size());
  for (const auto& e : set.endpoint_slices) {
    ModelEndpointSlice slim{.ns = e.meta.ns, .service_name = std::nullopt, .endpoints = {}};
    if (const auto it = e.meta.labels.find(std::string(kServiceNameLabel));
        it != e.meta.labels.end()) {
      slim.service_name = it->second;
    }
    slim.endpoints.reserve(e.endpoints.size());
    for (const auto& ep : e.endpoints) {
      slim.endpoints.push_back(manifest::Endpoint{
          .addresses = {}, .conditions = ep.conditions, .node_name = ep.node_name});
    }
    out.endpoint_slices.push_back(std::move(slim));
  }
  out.pools = set.pools;
  out.l2_advertisements = set.l2_advertisements;
  return out;
}

}  // namespace l1net::speaker
