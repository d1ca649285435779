// The slim speaker model: of a manifest snapshot, only what the speaker reads.
//
// planAnnouncements, explainIp and the speakerctl views read, and slimForSpeaker keeps:
//   * LoadBalancer Services: namespace, name, labels (serviceSelectors), the
//     metallb.io/loadBalancerIPs annotation, spec.loadBalancerIP, loadBalancerClass,
//     externalTrafficPolicy and the IPs of status.loadBalancer.ingress;
//   * Nodes: name, labels, conditions, addresses;
//   * EndpointSlices: namespace, the kubernetes.io/service-name label, and per endpoint its
//     conditions and nodeName;
//   * IPAddressPools and L2Advertisements whole (a handful of objects).
// Everything else (ports, selectors, cluster IPs, other annotations, uids, resource versions,
// source positions, field lines, endpoint addresses, Namespaces, Ingresses, Pods, non-LoadBalancer
// Services) is dropped. Services and EndpointSlices, the objects that come by the thousand, are
// kept in types of their own (a ModelService is ~250 bytes where a manifest::Service is ~550
// plus its ingress entries). planAnnouncements(slimForSpeaker(s)) == planAnnouncements(s) for
// every s (tests/speaker/core/speaker_model_test.cpp checks it over the plan tests' fixtures).
// Pure; copies only the kept fields, so the caller's full set can be released right after.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/manifest/objects.hpp"

namespace l1net::speaker {

// The names the speaker reads: MetalLB's requested-IPs annotation on a Service, and the label
// that ties an EndpointSlice to its Service.
inline constexpr std::string_view kIpsAnnotation = "metallb.io/loadBalancerIPs";
inline constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";

// A LoadBalancer Service, as the speaker reads it.
struct ModelService {
  std::string ns;
  std::string name;
  manifest::Labels labels;                         // for serviceSelectors
  std::string load_balancer_ip;                    // spec.loadBalancerIP
  std::string ips_annotation;                      // metallb.io/loadBalancerIPs; "" = none
  std::optional<std::string> load_balancer_class;  // spec.loadBalancerClass
  manifest::TrafficPolicy external_traffic_policy = manifest::TrafficPolicy::kCluster;
  std::vector<std::string> ingress_ips;  // status.loadBalancer.ingress[].ip, the non-empty ones
  friend bool operator==(const ModelService&, const ModelService&) = default;
};

struct ModelEndpointSlice {
  std::string ns;
  std::optional<std::string> service_name;    // the kubernetes.io/service-name label
  std::vector<manifest::Endpoint> endpoints;  // conditions and nodeName only
  friend bool operator==(const ModelEndpointSlice&, const ModelEndpointSlice&) = default;
};

struct SpeakerModel {
  std::vector<ModelService> services;  // LoadBalancer Services only, in load order
  std::vector<manifest::Node> nodes;   // name, labels, conditions, addresses
  std::vector<ModelEndpointSlice> endpoint_slices;
  std::vector<manifest::IpAddressPool> pools;
  std::vector<manifest::L2Advertisement> l2_advertisements;
  friend bool operator==(const SpeakerModel&, const SpeakerModel&) = default;
};

[[nodiscard]] SpeakerModel slimForSpeaker(const manifest::ManifestSet& set);

}  // namespace l1net::speaker
