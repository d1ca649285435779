#include "l1net/kube/cache.hpp"

#include <array>
#include <string>

#include <boost/json.hpp>

#include "l1net/manifest/json.hpp"

namespace l1net::kube {
namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 5> kKeptPrefixes = {
    "metallb.io/", "metallb.universe.tf/", "l1net.io/", "external-dns.kubernetes.io/",
    "external-dns.alpha.kubernetes.io/"};

// The API omits apiVersion/kind on items of a typed list; the kind is known from the request.
struct KindInfo {
  std::string_view api_version;
  std::string_view kind;
};
constexpr std::array<KindInfo, 8> kKinds = {{
    {"v1", "Service"},
    {"v1", "Node"},
    {"discovery.k8s.io/v1", "EndpointSlice"},
    {"metallb.io/v1beta1", "IPAddressPool"},
    {"metallb.io/v1beta1", "L2Advertisement"},
    {"v1", "Namespace"},
    {"networking.k8s.io/v1", "Ingress"},
    {"v1", "Pod"},
}};

template <class T>
bool store(std::map<std::string, T>& m, const Delta& d, std::vector<T>& decoded) {
  if (d.kind == Delta::Kind::kDelete || decoded.size() != 1) {
    m.erase(d.key);
    return d.kind == Delta::Kind::kDelete;
  }
  auto obj = std::move(decoded.front());
  trimMeta(obj.meta);
  m.insert_or_assign(d.key, std::move(obj));
  return true;
}

template <class T>
void copyOut(const std::map<std::string, T>& m, std::vector<T>& out) {
  out.reserve(m.size());
  for (const auto& [k, v] : m) {
    out.push_back(v);
  }
}

}  // namespace

bool keepAnnotation(std::string_view key) noexcept {
  for (const auto p : kKeptPrefixes) {
    if (key.starts_with(p)) {
      return true;
    }
  }
  return false;
}

void trimMeta(manifest::ObjectMeta& meta) {
  std::erase_if(meta.annotations, [](const auto& kv) { return !keepAnnotation(kv.first); });
  meta.field_lines.clear();
  meta.source.file.clear();
}

bool Cache::apply(Kind kind, const Delta& d, std::vector<manifest::Diagnostic>& errors) {
  if (kind == Kind::kUncached) {
    return true;
  }
  manifest::ManifestSet set;
  if (d.kind == Delta::Kind::kUpsert) {
    const auto& info = kKinds.at(static_cast<std::size_t>(kind));
    json::value obj = d.object;
    if (auto* o = obj.if_object()) {
      (*o)["apiVersion"] = info.api_version;
      (*o)["kind"] = info.kind;
    }
    std::vector<manifest::Diagnostic> warnings;
    manifest::decodeJsonDocument(obj, "watch " + std::string(info.kind), set, errors, warnings);
  }
  switch (kind) {
    case Kind::kService:
      return store(services_, d, set.services);
    case Kind::kNode:
      return store(nodes_, d, set.nodes);
    case Kind::kEndpointSlice:
      return store(slices_, d, set.endpoint_slices);
    case Kind::kIpAddressPool:
      return store(pools_, d, set.pools);
    case Kind::kL2Advertisement:
      return store(ads_, d, set.l2_advertisements);
    case Kind::kNamespace:
      return store(namespaces_, d, set.namespaces);
    case Kind::kIngress:
      return store(ingresses_, d, set.ingresses);
    case Kind::kPod:
      return store(pods_, d, set.pods);
    case Kind::kUncached:
      return true;
  }
  return false;
}

manifest::ManifestSet Cache::snapshot() const {
  manifest::ManifestSet s;
  copyOut(services_, s.services);
  copyOut(nodes_, s.nodes);
  copyOut(slices_, s.endpoint_slices);
  copyOut(pools_, s.pools);
  copyOut(ads_, s.l2_advertisements);
  copyOut(namespaces_, s.namespaces);
  copyOut(ingresses_, s.ingresses);
  copyOut(pods_, s.pods);
  return s;
}

std::size_t Cache::size(Kind kind) const {
  switch (kind) {
    case Kind::kService:
      return services_.size();
    case Kind::kNode:
      return nodes_.size();
    case Kind::kEndpointSlice:
      return slices_.size();
    case Kind::kIpAddressPool:
      return pools_.size();
    case Kind::kL2Advertisement:
      return ads_.size();
    case Kind::kNamespace:
      return namespaces_.size();
    case Kind::kIngress:
      return ingresses_.size();
    case Kind::kPod:
      return pods_.size();
    case Kind::kUncached:
      return 0;
  }
  return 0;
}

}  // namespace l1net::kube
