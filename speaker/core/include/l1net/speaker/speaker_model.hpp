// The slim speaker model: of a manifest snapshot, only what the speaker reads.
//
// planAnnouncements, explainIp and the speakerctl views read, and slimForSpeaker keeps:
//   * LoadBalancer Services: namespace, name, labels (serviceSelectors), the
//     metallb.io/loadBalancerIPs annotation, spec.loadBalancerIP, loadBalancerClass,
//     externalTrafficPolicy and status.loadBalancer.ingress;
//   * Nodes: name, labels, conditions, addresses;
//   * EndpointSlices: namespace, the kubernetes.io/service-name label, and per endpoint its
//     conditions and nodeName;
//   * IPAddressPools and L2Advertisements whole (a handful of objects).
// Everything else (ports, selectors, cluster IPs, other annotations, uids, resource versions,
// source positions, field lines, endpoint addresses, Namespaces, Ingresses, Pods, non-LoadBalancer
// Services) is dropped. planAnnouncements(slimForSpeaker(s)) == planAnnouncements(s) for every s
// (tests/speaker/core/speaker_model_test.cpp checks it over the plan tests' fixtures).
// Pure; copies only the kept fields, so the caller's full set can be released right after.
#pragma once

#include "l1net/manifest/objects.hpp"

namespace l1net::speaker {

[[nodiscard]] manifest::ManifestSet slimForSpeaker(const manifest::ManifestSet& set);

}  // namespace l1net::speaker
