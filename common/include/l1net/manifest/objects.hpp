// The one object model of l1net: Kubernetes-shaped objects, loaded from YAML manifests in file
// mode and from the API server in Kubernetes mode. Plain values; no I/O. Fields that users type
// (IPs in a Service) stay text so that a bad value is a per-object error, not a load failure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "l1net/net/address.hpp"

namespace l1net::manifest {

using Labels = std::map<std::string, std::string>;

// Where an object or field was read from: the path as given by the user and a 1-based line.
struct SourceRef {
  std::string file;
  int line = 0;
  friend bool operator==(const SourceRef&, const SourceRef&) = default;
};

struct ObjectMeta {
  std::string name;
  std::string ns;  // metadata.namespace
  Labels labels;
  Labels annotations;
  std::string uid;
  std::string resource_version;
  SourceRef source;
  // 1-based lines of the list entries validation reports on, keyed by field path
  // ("spec.addresses[1]", "spec.nodeSelectors[0].matchExpressions[2]"); filled by the decoder.
  std::map<std::string, int> field_lines;
  friend bool operator==(const ObjectMeta&, const ObjectMeta&) = default;
};

// metav1.LabelSelector. An empty selector matches everything (as Go's LabelSelectorAsSelector).
struct LabelSelectorRequirement {
  enum class Operator : std::uint8_t { kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Operator op = Operator::kIn;
  std::vector<std::string> values;
  friend bool operator==(const LabelSelectorRequirement&,
                         const LabelSelectorRequirement&) = default;
};

struct LabelSelector {
  Labels match_labels;
  std::vector<LabelSelectorRequirement> match_expressions;

  [[nodiscard]] bool empty() const noexcept {
    return match_labels.empty() && match_expressions.empty();
  }
  [[nodiscard]] bool matches(const Labels& labels) const;
  // Canonical text as Go's selector String(): "a=b,c in (x,y),!d" sorted by key.
  [[nodiscard]] std::string toString() const;
  friend bool operator==(const LabelSelector&, const LabelSelector&) = default;
};

// ---- core/v1 ----

struct Namespace {
  ObjectMeta meta;
  friend bool operator==(const Namespace&, const Namespace&) = default;
};

enum class ServiceType : std::uint8_t { kClusterIP, kNodePort, kLoadBalancer, kExternalName };
enum class TrafficPolicy : std::uint8_t { kCluster, kLocal };
enum class IpFamilyPolicy : std::uint8_t {
  kUnset,
  kSingleStack,
  kPreferDualStack,
  kRequireDualStack
};

struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  int port = 0;
  std::string target_port;
  int node_port = 0;
  friend bool operator==(const ServicePort&, const ServicePort&) = default;
};

struct LoadBalancerIngress {
  std::string ip;
  std::string hostname;
  friend bool operator==(const LoadBalancerIngress&, const LoadBalancerIngress&) = default;
};

struct Service {
  ObjectMeta meta;
  ServiceType type = ServiceType::kClusterIP;
  std::vector<ServicePort> ports;
  Labels selector;
  std::string load_balancer_ip;                    // spec.loadBalancerIP (deprecated upstream)
  std::optional<std::string> load_balancer_class;  // spec.loadBalancerClass
  TrafficPolicy external_traffic_policy = TrafficPolicy::kCluster;
  std::vector<net::Family> ip_families;  // spec.ipFamilies
  IpFamilyPolicy ip_family_policy = IpFamilyPolicy::kUnset;
  std::vector<std::string> cluster_ips;      // spec.clusterIPs (spec.clusterIP folded in)
  std::vector<LoadBalancerIngress> ingress;  // status.loadBalancer.ingress
  friend bool operator==(const Service&, const Service&) = default;
};

struct NodeCondition {
  std::string type;
  std::string status;  // "True" / "False" / "Unknown"
  friend bool operator==(const NodeCondition&, const NodeCondition&) = default;
};

struct NodeAddress {
  std::string type;  // InternalIP, ExternalIP, Hostname
  std::string address;
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
};

struct Node {
  ObjectMeta meta;
  std::vector<NodeCondition> conditions;
  std::vector<NodeAddress> addresses;
  friend bool operator==(const Node&, const Node&) = default;
};

// ---- discovery.k8s.io/v1 ----

struct EndpointConditions {
  std::optional<bool> ready;
  std::optional<bool> serving;
  std::optional<bool> terminating;
  friend bool operator==(const EndpointConditions&, const EndpointConditions&) = default;
};

struct Endpoint {
  std::vector<std::string> addresses;
  EndpointConditions conditions;
  std::optional<std::string> node_name;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};

struct EndpointSlice {
  ObjectMeta meta;  // label kubernetes.io/service-name names the Service
  std::string address_type;
  std::vector<Endpoint> endpoints;
  friend bool operator==(const EndpointSlice&, const EndpointSlice&) = default;
};

// ---- networking.k8s.io/v1 ----

struct IngressTls {
  std::vector<std::string> hosts;
  friend bool operator==(const IngressTls&, const IngressTls&) = default;
};

struct IngressRule {
  std::string host;
  friend bool operator==(const IngressRule&, const IngressRule&) = default;
};

struct Ingress {
  ObjectMeta meta;
  std::optional<std::string> ingress_class_name;
  std::vector<IngressRule> rules;
  std::vector<IngressTls> tls;
  std::vector<LoadBalancerIngress> ingress;  // status.loadBalancer.ingress
  friend bool operator==(const Ingress&, const Ingress&) = default;
};

// ---- core/v1 Pod (Kubernetes mode only: the speaker finds its peers by their pods) ----

struct Pod {
  ObjectMeta meta;
  std::string node_name;  // spec.nodeName ("" while unscheduled)
  std::string phase;      // status.phase: Pending, Running, Succeeded, Failed, Unknown
  std::string pod_ip;     // status.podIP ("" until assigned)
  friend bool operator==(const Pod&, const Pod&) = default;
};

// ---- metallb.io/v1beta1 ----

// One entry of IPAddressPool spec.addresses: the text as written, its line, and the prefixes it
// covers (filled by validation; empty when the entry is invalid).
struct PoolAddress {
  std::string text;
  int line = 0;
  std::vector<net::Cidr> cidrs;
  friend bool operator==(const PoolAddress&, const PoolAddress&) = default;
};

struct ServiceAllocation {
  int priority = 0;  // lower wins; 0 = lowest
  std::vector<std::string> namespaces;
  std::vector<LabelSelector> namespace_selectors;
  std::vector<LabelSelector> service_selectors;
  friend bool operator==(const ServiceAllocation&, const ServiceAllocation&) = default;
};

struct IpAddressPool {
  ObjectMeta meta;
  std::vector<PoolAddress> addresses;
  bool auto_assign = true;
  bool avoid_buggy_ips = false;
  std::optional<ServiceAllocation> service_allocation;
  friend bool operator==(const IpAddressPool&, const IpAddressPool&) = default;
};

struct PreferredNodeSelector {
  std::int32_t weight = 0;
  LabelSelector preference;
  friend bool operator==(const PreferredNodeSelector&, const PreferredNodeSelector&) = default;
};

struct L2Advertisement {
  ObjectMeta meta;
  std::vector<std::string> ip_address_pools;
  std::vector<LabelSelector> ip_address_pool_selectors;
  std::vector<LabelSelector> node_selectors;  // empty = all nodes
  std::vector<std::string> interfaces;        // empty = all usable interfaces
  std::vector<LabelSelector> service_selectors;
  std::vector<PreferredNodeSelector> preferred_node_selectors;
  friend bool operator==(const L2Advertisement&, const L2Advertisement&) = default;
};

// Every object of one snapshot, in load order (files in name order, documents in file order).
struct ManifestSet {
  std::vector<Namespace> namespaces;
  std::vector<Service> services;
  std::vector<Node> nodes;
  std::vector<EndpointSlice> endpoint_slices;
  std::vector<Ingress> ingresses;
  std::vector<IpAddressPool> pools;
  std::vector<L2Advertisement> l2_advertisements;
  std::vector<Pod> pods;
  friend bool operator==(const ManifestSet&, const ManifestSet&) = default;
};

}  // namespace l1net::manifest
