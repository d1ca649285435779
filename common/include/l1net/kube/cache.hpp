// The per-kind local cache of an informer: reflector deltas decoded into the typed objects of
// manifest/objects.hpp (through the one manifest decoder) and trimmed to what l1net uses, so that
// memory per object is proportional to the fields l1net reads, not to the object's JSON
// (managedFields, last-applied-configuration and unrelated annotations are never kept).
// Pure; not thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/kube/reflector.hpp"
#include "l1net/manifest/diagnostic.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::kube {

enum class Kind : std::uint8_t {
  kService,
  kNode,
  kEndpointSlice,
  kIpAddressPool,
  kL2Advertisement,
  kNamespace,
  kIngress,  // networking.k8s.io/v1 (dnsd)
  kPod,      // core/v1, trimmed to name/namespace/labels, spec.nodeName, status.phase/podIP
  // Not decoded or cached: an informer's deltas reach only its on_change (kinds the cache does
  // not model, e.g. dnsd's metallb.io/v1beta1 ServiceL2Status).
  kUncached,
};

// Annotations l1net reads; every other annotation is dropped from cached objects.
[[nodiscard]] bool keepAnnotation(std::string_view key) noexcept;
void trimMeta(manifest::ObjectMeta& meta);

// Holds the cached objects of every kind. apply() returns false (and appends a diagnostic naming
// the object and field) when an upserted object does not decode; the previous state of that
// object is then removed, as the API no longer holds it.
class Cache {
 public:
  bool apply(Kind kind, const Delta& d, std::vector<manifest::Diagnostic>& errors);

  // Everything cached, as one snapshot (objects in key order per kind).
  [[nodiscard]] manifest::ManifestSet snapshot() const;
  [[nodiscard]] std::size_t size(Kind kind) const;

 private:
  std::map<std::string, manifest::Service> services_;
  std::map<std::string, manifest::Node> nodes_;
  std::map<std::string, manifest::EndpointSlice> slices_;
  std::map<std::string, manifest::IpAddressPool> pools_;
  std::map<std::string, manifest::L2Advertisement> ads_;
  std::map<std::string, manifest::Namespace> namespaces_;
  std::map<std::string, manifest::Ingress> ingresses_;
  std::map<std::string, manifest::Pod> pods_;
};

}  // namespace l1net::kube
