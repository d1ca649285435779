// decodeDocument: one parsed YAML document -> typed objects. Every type problem becomes a
// Diagnostic; nothing throws out of here and unknown content is ignored, so any input is safe.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "l1net/manifest/doc_node.hpp"
#include "l1net/manifest/json.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::manifest {
namespace {

constexpr int kMaxListDepth = 4;  // List inside List inside ... (kubectl never nests; be bounded)

constexpr std::array<std::string_view, 11> kTrueWords = {
    "true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON"};
constexpr std::array<std::string_view, 11> kFalseWords = {
    "false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF"};

template <class E>
struct EnumName {
  std::string_view name;
  E value;
};

constexpr std::array<EnumName<ServiceType>, 4> kServiceTypes = {{
    {"ClusterIP", ServiceType::kClusterIP},
    {"NodePort", ServiceType::kNodePort},
    {"LoadBalancer", ServiceType::kLoadBalancer},
    {"ExternalName", ServiceType::kExternalName},
}};
constexpr std::array<EnumName<TrafficPolicy>, 2> kTrafficPolicies = {{
    {"Cluster", TrafficPolicy::kCluster},
    {"Local", TrafficPolicy::kLocal},
}};
constexpr std::array<EnumName<IpFamilyPolicy>, 3> kIpFamilyPolicies = {{
    {"SingleStack", IpFamilyPolicy::kSingleStack},
    {"PreferDualStack", IpFamilyPolicy::kPreferDualStack},
    {"RequireDualStack", IpFamilyPolicy::kRequireDualStack},
}};
constexpr std::array<EnumName<net::Family>, 2> kIpFamilies = {{
    {"IPv4", net::Family::kV4},
    {"IPv6", net::Family::kV6},
}};
constexpr std::array<EnumName<std::string_view>, 3> kProtocols = {{
    {"TCP", "TCP"},
    {"UDP", "UDP"},
    {"SCTP", "SCTP"},
}};
constexpr std::array<EnumName<LabelSelectorRequirement::Operator>, 4> kOperators = {{
    {"In", LabelSelectorRequirement::Operator::kIn},
    {"NotIn", LabelSelectorRequirement::Operator::kNotIn},
    {"Exists", LabelSelectorRequirement::Operator::kExists},
    {"DoesNotExist", LabelSelectorRequirement::Operator::kDoesNotExist},
}};

// Kubernetes' name rules (apimachinery validation.IsDNS1123Label / IsDNS1035Label /
// IsDNS1123Subdomain), with its messages. Returns "" when `v` is valid.
bool lowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string checkDns1123Label(std::string_view v) {
  std::string out;
  if (v.size() > 63) {
    out = "must be no more than 63 characters";
  }
  const bool ok = !v.empty() && lowerAlnum(v.front()) && lowerAlnum(v.back()) &&
                  std::all_of(v.begin(), v.end(), [](char c) { return lowerAlnum(c) || c == '-'; });
  if (!ok) {
    out += std::string(out.empty() ? "" : "; ") +
           "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
           "'-', and must start and end with an alphanumeric character (e.g. 'my-name', or "
           "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
  }
  return out;
}

std::string checkDns1035Label(std::string_view v) {
  std::string out;
  if (v.size() > 63) {
    out = "must be no more than 63 characters";
  }
  const bool ok = !v.empty() && v.front() >= 'a' && v.front() <= 'z' && lowerAlnum(v.back()) &&
                  std::all_of(v.begin(), v.end(), [](char c) { return lowerAlnum(c) || c == '-'; });
  if (!ok) {
    out += std::string(out.empty() ? "" : "; ") +
           "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
           "with an alphabetic character, and end with an alphanumeric character (e.g. "
           "'my-name', or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
  }
  return out;
}

std::string checkDns1123Subdomain(std::string_view v) {
  std::string out;
  if (v.size() > 253) {
    out = "must be no more than 253 characters";
  }
  bool ok = !v.empty();
  for (std::size_t start = 0; ok && start <= v.size();) {
    const auto dot = v.find('.', start);
    const auto part = v.substr(start, dot == std::string_view::npos ? v.npos : dot - start);
    ok = !part.empty() && lowerAlnum(part.front()) && lowerAlnum(part.back()) &&
         std::all_of(part.begin(), part.end(), [](char c) { return lowerAlnum(c) || c == '-'; });
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (!ok) {
    out += std::string(out.empty() ? "" : "; ") +
           "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
           "'-' or '.', and must start and end with an alphanumeric character (e.g. "
           "'example.com', regex used for validation is "
           "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  }
  return out;
}

template <class N>
int lineOf(const N& n) {
  return n.line();
}

// The value under key in a mapping; nullopt when the node is no mapping, the key is absent or its
// value is null (Kubernetes treats an explicit null as "not set").
template <class N>
std::optional<N> child(const N& map, std::string_view key) {
  return map.get(key);
}

std::string join(const std::string& base, std::string_view key) {
  if (base.empty()) {
    return std::string(key);
  }
  return base + "." + std::string(key);
}

std::string indexed(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::optional<std::int64_t> parseInteger(std::string_view s) {
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') {
      return std::nullopt;
    }
  }
  std::int64_t v = 0;
  const auto* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return v;
}

// Decodes documents of one file. The current object's label and line give context to errors.
template <class N>
class Decoder {
 public:
  Decoder(const std::string& file, std::vector<Diagnostic>& errors,
          std::vector<Diagnostic>& warnings, int line_offset)
      : file_(file), errors_(errors), warnings_(warnings), line_offset_(line_offset) {}

  void document(const N& doc, ManifestSet& set, const std::string& default_api,
                const std::string& default_kind, int depth);

 private:
  void error(const N& at, const std::string& field, std::string message) {
    const int line = lineAt(at);
    errors_.push_back(
        Diagnostic{{file_, line > 0 ? line : object_line_}, object_, field, std::move(message)});
  }
  void warnOnce(const N& at, std::string message) {
    const bool seen = std::any_of(warnings_.begin(), warnings_.end(),
                                  [&](const Diagnostic& d) { return d.message == message; });
    if (!seen) {
      warnings_.push_back(Diagnostic{{file_, lineAt(at)}, object_, "", std::move(message)});
    }
  }

  // ---- typed readers: an error is recorded and nullopt returned on a type mismatch ----
  std::optional<std::string> text(const N& n, const std::string& path) {
    if (!n.isScalar()) {
      error(n, path, "must be a string");
      return std::nullopt;
    }
    return n.scalar();
  }
  std::optional<bool> boolean(const N& n, const std::string& path) {
    if (n.isScalar()) {
      const std::string& s = n.scalar();
      if (std::find(kTrueWords.begin(), kTrueWords.end(), s) != kTrueWords.end()) {
        return true;
      }
      if (std::find(kFalseWords.begin(), kFalseWords.end(), s) != kFalseWords.end()) {
        return false;
      }
      error(n, path, "must be true or false, not " + quoted(s));
      return std::nullopt;
    }
    error(n, path, "must be true or false");
    return std::nullopt;
  }
  std::optional<std::int64_t> integer(const N& n, const std::string& path, std::int64_t lo,
                                      std::int64_t hi) {
    if (!n.isScalar()) {
      error(n, path, "must be an integer");
      return std::nullopt;
    }
    const auto v = parseInteger(n.scalar());
    if (!v) {
      error(n, path, "must be an integer, not " + quoted(n.scalar()));
      return std::nullopt;
    }
    if (*v < lo || *v > hi) {
      error(n, path,
            "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", not " +
                std::to_string(*v));
      return std::nullopt;
    }
    return v;
  }
  template <class E, std::size_t K>
  std::optional<E> enumeration(const N& n, const std::string& path,
                               const std::array<EnumName<E>, K>& names) {
    const auto s = text(n, path);
    if (!s) {
      return std::nullopt;
    }
    for (const auto& e : names) {
      if (e.name == *s) {
        return e.value;
      }
    }
    std::string supported;
    for (const auto& e : names) {
      supported += supported.empty() ? "" : ", ";
      supported += quoted(e.name);
    }
    error(n, path, "unsupported value " + quoted(*s) + ": supported values: " + supported);
    return std::nullopt;
  }
  bool isMap(const N& n, const std::string& path) {
    if (n.isMap()) {
      return true;
    }
    error(n, path, "must be a mapping");
    return false;
  }
  bool isList(const N& n, const std::string& path) {
    if (n.isSeq()) {
      return true;
    }
    error(n, path, "must be a list");
    return false;
  }

  // ---- field readers over a parent mapping ----
  std::optional<std::string> getText(const N& map, std::string_view key, const std::string& base) {
    if (const auto v = child(map, key)) {
      return text(*v, join(base, key));
    }
    return std::nullopt;
  }
  std::optional<bool> getBool(const N& map, std::string_view key, const std::string& base) {
    if (const auto v = child(map, key)) {
      return boolean(*v, join(base, key));
    }
    return std::nullopt;
  }
  std::optional<std::int64_t> getInt(const N& map, std::string_view key, const std::string& base,
                                     std::int64_t lo, std::int64_t hi) {
    if (const auto v = child(map, key)) {
      return integer(*v, join(base, key), lo, hi);
    }
    return std::nullopt;
  }
  template <class E, std::size_t K>
  std::optional<E> getEnum(const N& map, std::string_view key, const std::string& base,
                           const std::array<EnumName<E>, K>& names) {
    if (const auto v = child(map, key)) {
      return enumeration(*v, join(base, key), names);
    }
    return std::nullopt;
  }
  // The mapping under key; nullopt (with an error if present but of another type) otherwise.
  std::optional<N> getMap(const N& map, std::string_view key, const std::string& base) {
    if (auto v = child(map, key); v && isMap(*v, join(base, key))) {
      return v;
    }
    return std::nullopt;
  }
  // Calls f(item, path, index) for each entry of the list under key.
  void forEach(const N& map, std::string_view key, const std::string& base,
               const std::function<void(const N&, const std::string&, std::size_t)>& f) {
    const auto v = child(map, key);
    const auto path = join(base, key);
    if (!v || !isList(*v, path)) {
      return;
    }
    std::size_t i = 0;
    v->forEachItem([&](const N& item) {
      f(item, indexed(path, i), i);
      ++i;
    });
  }
  // Same, for lists of mappings: entries of another type are errors and skipped.
  void forEachMap(const N& map, std::string_view key, const std::string& base,
                  const std::function<void(const N&, const std::string&)>& f) {
    forEach(map, key, base, [&](const N& item, const std::string& path, std::size_t) {
      if (isMap(item, path)) {
        f(item, path);
      }
    });
  }
  Labels getLabels(const N& map, std::string_view key, const std::string& base) {
    Labels out;
    const auto m = getMap(map, key, base);
    if (!m) {
      return out;
    }
    const auto path = join(base, key);
    m->forEachMember([&](const N& k, const N& v) {
      if (!k.isScalar()) {
        error(k, path, "keys must be strings");
        return;
      }
      if (v.isNull()) {
        out[k.scalar()];  // k: (null) is the empty string, as JSON's "k": ""
        return;
      }
      if (const auto t = text(v, join(path, k.scalar()))) {
        out[k.scalar()] = *t;
      }
    });
    return out;
  }
  // A list of strings; with meta, records each entry's line under its path.
  std::vector<std::string> getStrings(const N& map, std::string_view key, const std::string& base,
                                      ObjectMeta* meta = nullptr) {
    std::vector<std::string> out;
    forEach(map, key, base, [&](const N& item, const std::string& path, std::size_t) {
      if (const auto s = text(item, path)) {
        out.push_back(*s);
        noteLine(meta, path, item);
      }
    });
    return out;
  }
  void noteLine(ObjectMeta* meta, const std::string& path, const N& n) {
    if (meta != nullptr) {
      meta->field_lines[path] = lineAt(n);
    }
  }
  void noteField(ObjectMeta& meta, const N& map, std::string_view key, const std::string& base) {
    if (const auto v = child(map, key)) {
      noteLine(&meta, join(base, key), *v);
    }
  }

  LabelSelector selector(const N& n, const std::string& path, ObjectMeta& meta);
  std::vector<LabelSelector> getSelectors(const N& map, std::string_view key,
                                          const std::string& base, ObjectMeta& meta) {
    std::vector<LabelSelector> out;
    forEach(map, key, base, [&](const N& item, const std::string& path, std::size_t) {
      if (isMap(item, path)) {
        out.push_back(selector(item, path, meta));
      }
    });
    return out;
  }
  std::vector<LoadBalancerIngress> getLbIngress(const N& doc);

  void metadata(const N& doc, ObjectMeta& meta, std::string_view kind, bool namespaced);
  void service(const N& doc, ManifestSet& set);
  void node(const N& doc, ManifestSet& set);
  void namespaceObject(const N& doc, ManifestSet& set);
  void endpointSlice(const N& doc, ManifestSet& set);
  void ingress(const N& doc, ManifestSet& set);
  void pod(const N& doc, ManifestSet& set);
  void pool(const N& doc, ManifestSet& set);
  void l2Advertisement(const N& doc, ManifestSet& set);

  // The node's line in the file (the document may have been parsed from a slice of it).
  [[nodiscard]] int lineAt(const N& n) const {
    const int l = lineOf(n);
    return l > 0 ? l + line_offset_ : 0;
  }

  const std::string& file_;
  std::vector<Diagnostic>& errors_;
  std::vector<Diagnostic>& warnings_;
  int line_offset_ = 0;
  std::string object_;               // label of the object being decoded, e.g. IPAddressPool "lan"
  int object_line_ = 0;              // line of the object being decoded
  std::size_t errors_at_start_ = 0;  // errors_.size() when the current object started

  // Whether the current object decoded without error (only such objects join the set).
  [[nodiscard]] bool clean() const { return errors_.size() == errors_at_start_; }
};

template <class N>
LabelSelector Decoder<N>::selector(const N& n, const std::string& path, ObjectMeta& meta) {
  LabelSelector sel;
  noteLine(&meta, path, n);
  sel.match_labels = getLabels(n, "matchLabels", path);
  forEachMap(n, "matchExpressions", path, [&](const N& e, const std::string& epath) {
    noteLine(&meta, epath, e);
    LabelSelectorRequirement r;
    const auto key = getText(e, "key", epath);
    if (!key) {
      if (!child(e, "key")) {
        error(e, join(epath, "key"), "required");
      }
      return;
    }
    r.key = *key;
    const auto op = getEnum(e, "operator", epath, kOperators);
    if (!op) {
      if (!child(e, "operator")) {
        error(e, join(epath, "operator"), "required");
      }
      return;
    }
    r.op = *op;
    r.values = getStrings(e, "values", epath);
    sel.match_expressions.push_back(std::move(r));
  });
  return sel;
}

template <class N>
std::vector<LoadBalancerIngress> Decoder<N>::getLbIngress(const N& doc) {
  std::vector<LoadBalancerIngress> out;
  const auto status = getMap(doc, "status", "");
  if (!status) {
    return out;
  }
  const auto lb = getMap(*status, "loadBalancer", "status");
  if (!lb) {
    return out;
  }
  forEachMap(*lb, "ingress", "status.loadBalancer", [&](const N& i, const auto& path) {
    LoadBalancerIngress ing;
    ing.ip = getText(i, "ip", path).value_or("");
    ing.hostname = getText(i, "hostname", path).value_or("");
    out.push_back(std::move(ing));
  });
  return out;
}

template <class N>
void Decoder<N>::metadata(const N& doc, ObjectMeta& meta, std::string_view kind, bool namespaced) {
  meta.source = SourceRef{file_, object_line_};
  object_ = std::string(kind);
  const auto md = getMap(doc, "metadata", "");
  if (md) {
    meta.name = getText(*md, "name", "metadata").value_or("");
    meta.ns = getText(*md, "namespace", "metadata").value_or("");
  }
  if (namespaced && meta.ns.empty()) {
    meta.ns = "default";
  }
  if (!meta.name.empty()) {
    object_ += " " + quoted(namespaced ? meta.ns + "/" + meta.name : meta.name);
  }
  if (!md) {
    error(doc, "metadata.name", "required");
    return;
  }
  if (meta.name.empty()) {
    error(*md, "metadata.name", "required");
  } else {
    // As the API server: Services and Namespaces are DNS labels, other objects DNS subdomains.
    const std::string problem = kind == "Service"     ? checkDns1035Label(meta.name)
                                : kind == "Namespace" ? checkDns1123Label(meta.name)
                                                      : checkDns1123Subdomain(meta.name);
    if (!problem.empty()) {
      const auto at = child(*md, "name");
      error(at ? *at : *md, "metadata.name", "invalid name: " + problem);
    }
  }
  if (namespaced) {
    if (const std::string problem = checkDns1123Label(meta.ns); !problem.empty()) {
      const auto at = child(*md, "namespace");
      error(at ? *at : *md, "metadata.namespace", "invalid namespace: " + problem);
    }
  }
  noteField(meta, *md, "name", "metadata");
  meta.labels = getLabels(*md, "labels", "metadata");
  meta.annotations = getLabels(*md, "annotations", "metadata");
  meta.uid = getText(*md, "uid", "metadata").value_or("");
  meta.resource_version = getText(*md, "resourceVersion", "metadata").value_or("");
}

template <class N>
void Decoder<N>::service(const N& doc, ManifestSet& set) {
  Service svc;
  metadata(doc, svc.meta, "Service", true);
  if (const auto spec = getMap(doc, "spec", "")) {
    const std::string base = "spec";
    svc.type = getEnum(*spec, "type", base, kServiceTypes).value_or(ServiceType::kClusterIP);
    forEachMap(*spec, "ports", base, [&](const N& p, const std::string& path) {
      ServicePort port;
      port.name = getText(p, "name", path).value_or("");
      port.protocol = std::string(getEnum(p, "protocol", path, kProtocols).value_or("TCP"));
      if (const auto v = getInt(p, "port", path, 1, 65535)) {
        port.port = static_cast<int>(*v);
      } else if (!child(p, "port")) {
        error(p, join(path, "port"), "required");
      }
      if (const auto tp = child(p, "targetPort")) {  // IntOrString: kept as text
        port.target_port = text(*tp, join(path, "targetPort")).value_or("");
      }
      port.node_port = static_cast<int>(getInt(p, "nodePort", path, 0, 65535).value_or(0));
      svc.ports.push_back(std::move(port));
    });
    svc.selector = getLabels(*spec, "selector", base);
    svc.load_balancer_ip = getText(*spec, "loadBalancerIP", base).value_or("");
    svc.load_balancer_class = getText(*spec, "loadBalancerClass", base);
    svc.external_traffic_policy = getEnum(*spec, "externalTrafficPolicy", base, kTrafficPolicies)
                                      .value_or(TrafficPolicy::kCluster);
    forEach(*spec, "ipFamilies", base, [&](const N& f, const std::string& path, std::size_t) {
      if (const auto fam = enumeration(f, path, kIpFamilies)) {
        svc.ip_families.push_back(*fam);
      }
    });
    svc.ip_family_policy =
        getEnum(*spec, "ipFamilyPolicy", base, kIpFamilyPolicies).value_or(IpFamilyPolicy::kUnset);
    svc.cluster_ips = getStrings(*spec, "clusterIPs", base);
    const auto cluster_ip = getText(*spec, "clusterIP", base);
    if (svc.cluster_ips.empty() && cluster_ip && !cluster_ip->empty()) {
      svc.cluster_ips.push_back(*cluster_ip);
    }
  }
  svc.ingress = getLbIngress(doc);
  if (clean()) {
    set.services.push_back(std::move(svc));
  }
}

template <class N>
void Decoder<N>::node(const N& doc, ManifestSet& set) {
  Node n;
  metadata(doc, n.meta, "Node", false);
  if (const auto status = getMap(doc, "status", "")) {
    forEachMap(*status, "conditions", "status", [&](const N& c, const auto& path) {
      n.conditions.push_back(NodeCondition{getText(c, "type", path).value_or(""),
                                           getText(c, "status", path).value_or("")});
    });
    forEachMap(*status, "addresses", "status", [&](const N& a, const auto& path) {
      n.addresses.push_back(NodeAddress{getText(a, "type", path).value_or(""),
                                        getText(a, "address", path).value_or("")});
    });
  }
  if (clean()) {
    set.nodes.push_back(std::move(n));
  }
}

template <class N>
void Decoder<N>::namespaceObject(const N& doc, ManifestSet& set) {
  Namespace ns;
  metadata(doc, ns.meta, "Namespace", false);
  if (clean()) {
    set.namespaces.push_back(std::move(ns));
  }
}

template <class N>
void Decoder<N>::endpointSlice(const N& doc, ManifestSet& set) {
  EndpointSlice slice;
  metadata(doc, slice.meta, "EndpointSlice", true);
  slice.address_type = getText(doc, "addressType", "").value_or("");
  forEachMap(doc, "endpoints", "", [&](const N& e, const std::string& path) {
    Endpoint ep;
    ep.addresses = getStrings(e, "addresses", path);
    if (const auto c = getMap(e, "conditions", path)) {
      const auto cpath = join(path, "conditions");
      ep.conditions.ready = getBool(*c, "ready", cpath);
      ep.conditions.serving = getBool(*c, "serving", cpath);
      ep.conditions.terminating = getBool(*c, "terminating", cpath);
    }
    ep.node_name = getText(e, "nodeName", path);
    if (!ep.node_name) {  // discovery.k8s.io/v1beta1 (kube-apiserver < 1.21): the node in topology
      const auto topology = getLabels(e, "topology", path);
      if (const auto it = topology.find("kubernetes.io/hostname"); it != topology.end()) {
        ep.node_name = it->second;
      }
    }
    slice.endpoints.push_back(std::move(ep));
  });
  if (clean()) {
    set.endpoint_slices.push_back(std::move(slice));
  }
}

template <class N>
void Decoder<N>::ingress(const N& doc, ManifestSet& set) {
  Ingress ing;
  metadata(doc, ing.meta, "Ingress", true);
  if (const auto spec = getMap(doc, "spec", "")) {
    ing.ingress_class_name = getText(*spec, "ingressClassName", "spec");
    forEachMap(*spec, "rules", "spec", [&](const N& r, const std::string& path) {
      ing.rules.push_back(IngressRule{getText(r, "host", path).value_or("")});
    });
    forEachMap(*spec, "tls", "spec", [&](const N& t, const std::string& path) {
      ing.tls.push_back(IngressTls{getStrings(t, "hosts", path)});
    });
  }
  ing.ingress = getLbIngress(doc);
  if (clean()) {
    set.ingresses.push_back(std::move(ing));
  }
}

template <class N>
void Decoder<N>::pod(const N& doc, ManifestSet& set) {
  Pod p;
  metadata(doc, p.meta, "Pod", true);
  if (const auto spec = getMap(doc, "spec", "")) {
    p.node_name = getText(*spec, "nodeName", "spec").value_or("");
  }
  if (const auto status = getMap(doc, "status", "")) {
    p.phase = getText(*status, "phase", "status").value_or("");
    p.pod_ip = getText(*status, "podIP", "status").value_or("");
  }
  if (clean()) {
    set.pods.push_back(std::move(p));
  }
}

template <class N>
void Decoder<N>::pool(const N& doc, ManifestSet& set) {
  IpAddressPool p;
  metadata(doc, p.meta, "IPAddressPool", false);
  if (const auto spec = getMap(doc, "spec", "")) {
    const std::string base = "spec";
    noteLine(&p.meta, base, *spec);
    noteField(p.meta, *spec, "addresses", base);
    forEach(*spec, "addresses", base, [&](const N& a, const std::string& path, std::size_t) {
      if (const auto s = text(a, path)) {
        p.addresses.push_back(PoolAddress{*s, lineAt(a), {}});
        noteLine(&p.meta, path, a);
      }
    });
    p.auto_assign = getBool(*spec, "autoAssign", base).value_or(true);
    p.avoid_buggy_ips = getBool(*spec, "avoidBuggyIPs", base).value_or(false);
    if (const auto alloc = getMap(*spec, "serviceAllocation", base)) {
      const auto apath = join(base, "serviceAllocation");
      ServiceAllocation sa;
      sa.priority =
          static_cast<int>(getInt(*alloc, "priority", apath, INT32_MIN, INT32_MAX).value_or(0));
      sa.namespaces = getStrings(*alloc, "namespaces", apath, &p.meta);
      sa.namespace_selectors = getSelectors(*alloc, "namespaceSelectors", apath, p.meta);
      sa.service_selectors = getSelectors(*alloc, "serviceSelectors", apath, p.meta);
      p.service_allocation = std::move(sa);
    }
  }
  if (clean()) {
    set.pools.push_back(std::move(p));
  }
}

template <class N>
void Decoder<N>::l2Advertisement(const N& doc, ManifestSet& set) {
  L2Advertisement ad;
  metadata(doc, ad.meta, "L2Advertisement", false);
  if (const auto spec = getMap(doc, "spec", "")) {
    const std::string base = "spec";
    noteLine(&ad.meta, base, *spec);
    ad.ip_address_pools = getStrings(*spec, "ipAddressPools", base, &ad.meta);
    ad.ip_address_pool_selectors = getSelectors(*spec, "ipAddressPoolSelectors", base, ad.meta);
    ad.node_selectors = getSelectors(*spec, "nodeSelectors", base, ad.meta);
    ad.interfaces = getStrings(*spec, "interfaces", base, &ad.meta);
    ad.service_selectors = getSelectors(*spec, "serviceSelectors", base, ad.meta);
    forEachMap(*spec, "preferredNodeSelectors", base, [&](const N& pn, const std::string& path) {
      noteLine(&ad.meta, path, pn);
      noteField(ad.meta, pn, "weight", path);
      PreferredNodeSelector pref;
      if (const auto w = getInt(pn, "weight", path, INT32_MIN, INT32_MAX)) {
        pref.weight = static_cast<std::int32_t>(*w);
      } else if (!child(pn, "weight")) {
        error(pn, join(path, "weight"), "required");
      }
      const auto ppath = join(path, "preference");
      if (const auto sel = getMap(pn, "preference", path)) {
        pref.preference = selector(*sel, ppath, ad.meta);
      }
      ad.preferred_node_selectors.push_back(std::move(pref));
    });
  }
  if (clean()) {
    set.l2_advertisements.push_back(std::move(ad));
  }
}

template <class N>
struct Handler {
  std::string_view api_version;
  std::string_view kind;
  void (Decoder<N>::*fn)(const N&, ManifestSet&);
};

template <class N>
void Decoder<N>::document(const N& doc, ManifestSet& set, const std::string& default_api,
                          const std::string& default_kind, int depth) {
  static const std::array<Handler<N>, 8> kHandlers = {{
      {"v1", "Pod", &Decoder<N>::pod},
      {"v1", "Service", &Decoder<N>::service},
      {"v1", "Node", &Decoder<N>::node},
      {"v1", "Namespace", &Decoder<N>::namespaceObject},
      {"discovery.k8s.io/v1", "EndpointSlice", &Decoder<N>::endpointSlice},
      {"networking.k8s.io/v1", "Ingress", &Decoder<N>::ingress},
      {"metallb.io/v1beta1", "IPAddressPool", &Decoder<N>::pool},
      {"metallb.io/v1beta1", "L2Advertisement", &Decoder<N>::l2Advertisement},
  }};
  if (doc.isNull()) {
    return;  // empty document, e.g. after a trailing "---"
  }
  object_.clear();
  object_line_ = lineAt(doc);
  if (!doc.isMap()) {
    error(doc, "", "a document must be a mapping (a Kubernetes object)");
    return;
  }
  const auto api = getText(doc, "apiVersion", "").value_or(default_api);
  const auto kind = getText(doc, "kind", "").value_or(default_kind);
  if (kind.empty()) {
    error(doc, "kind", "required");
    return;
  }
  constexpr std::string_view kList = "List";
  const bool is_list =
      kind == kList || (kind.size() > kList.size() && kind.ends_with(kList) && child(doc, "items"));
  if (is_list) {
    if (depth >= kMaxListDepth) {
      error(doc, "items", "lists nested too deeply");
      return;
    }
    // Items of a typed list (ServiceList from the API) may omit apiVersion and kind.
    const std::string item_api = kind == kList ? "" : api;
    const std::string item_kind = kind == kList ? "" : kind.substr(0, kind.size() - kList.size());
    forEach(doc, "items", "", [&](const N& item, const std::string&, std::size_t) {
      document(item, set, item_api, item_kind, depth + 1);
    });
    return;
  }
  if (api.empty()) {
    error(doc, "apiVersion", "required");
    return;
  }
  for (const auto& h : kHandlers) {
    if (h.api_version == api && h.kind == kind) {
      errors_at_start_ = errors_.size();
      (this->*h.fn)(doc, set);
      return;
    }
  }
  const bool known_kind = std::any_of(kHandlers.begin(), kHandlers.end(),
                                      [&](const Handler<N>& h) { return h.kind == kind; });
  warnOnce(doc, known_kind
                    ? "unsupported apiVersion " + quoted(api) + " for kind " + kind +
                          "; documents skipped"
                    : "unknown kind " + kind + " (apiVersion " + api + "); documents skipped");
}

template <class N>
void decodeWith(const N& doc, const std::string& file, ManifestSet& set,
                std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings,
                int line_offset) {
  Decoder<N> decoder(file, errors, warnings, line_offset);
  try {
    decoder.document(doc, set, "", "", 0);
  } catch (const std::exception& e) {  // a node shape we did not foresee
    errors.push_back(Diagnostic{{file, lineOf(doc) > 0 ? lineOf(doc) + line_offset : 0},
                                "",
                                "",
                                std::string("cannot decode: ") + e.what()});
  }
}

}  // namespace

void decodeDocument(const YAML::Node& doc, const std::string& file, ManifestSet& set,
                    std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings,
                    int line_offset) {
  decodeWith(YamlNode(doc), file, set, errors, warnings, line_offset);
}

void decodeTreeDocument(const YamlTreeNode& doc, const std::string& file, ManifestSet& set,
                        std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings) {
  decodeWith(doc, file, set, errors, warnings, 0);
}

void decodeJsonDocument(const boost::json::value& doc, const std::string& file, ManifestSet& set,
                        std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings) {
  decodeWith(JsonNode(&doc), file, set, errors, warnings, 0);
}

}  // namespace l1net::manifest
