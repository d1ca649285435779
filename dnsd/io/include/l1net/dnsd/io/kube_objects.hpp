// Kubernetes-mode objects for dnsd, read by LIST through the KubeCall seam (one request per kind
// per cycle): Services (all namespaces), Ingresses (networking.k8s.io/v1, all namespaces) and,
// for --require-announced, the speakers' ServiceL2Status objects (metallb.io/v1beta1) in the
// l1net namespace. Each object is decoded by the one manifest decoder; an object that does not
// decode is reported (kind/namespace/name and the field) and skipped, the others are used.
// Not thread-safe: run on the caller's executor.
#pragma once

#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "l1net/dnsd/io/configmap_ledger.hpp"
#include "l1net/error.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::dnsd {

struct KubeObjects {
  manifest::ManifestSet set;               // services and ingresses
  std::set<std::string> announced;         // "namespace/name" of Services with a ServiceL2Status
  std::set<std::string> announced_ips;     // their status.loadBalancer.ingress IPs
  std::vector<std::string> object_errors;  // objects skipped, one line each
};

// Errors (transport, non-2xx, a reply that is not a List): *why names the collection.
boost::asio::awaitable<Result<KubeObjects>> listKubeObjects(const KubeCall& call,
                                                            const std::string& l1net_namespace,
                                                            bool with_l2_status, std::string* why);

}  // namespace l1net::dnsd
