// Kubernetes mode: the speaker's ObjectSource is the shared kubeapi::KubeObjectSource over the
// informers of the kinds the speaker reads (Services, Nodes, EndpointSlices cluster-wide;
// IPAddressPools, L2Advertisements and the speaker pods in --namespace), into one kube::Cache. A
// snapshot is delivered once every informer has listed, then after every change. While the API
// server is away the informers retry with backoff and deliver nothing: the last snapshot stays in
// force (api_outage.hpp). healthProblem() names the failing informer.
#pragma once

#include <string>
#include <vector>

#include "l1net/kubeapi/informer.hpp"
#include "l1net/kubeapi/object_source.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::speaker {

// The informers of the speaker: namespace ns, speaker pods selected by `selector`.
[[nodiscard]] std::vector<kubeapi::InformerOptions> speakerInformers(
    const std::string& ns, const manifest::Labels& selector);

using KubeSource = kubeapi::KubeObjectSource;

}  // namespace l1net::speaker
