// What a Service asks of MetalLB, read from its spec and annotations (controller/service.go and
// internal/allocator/k8salloc). Pure functions; error texts are MetalLB's.
//
// File mode has no API server to default spec.clusterIPs, so the service's family comes from,
// in order: spec.clusterIPs (as MetalLB), spec.ipFamilies + spec.ipFamilyPolicy (Prefer/Require
// without ipFamilies = dual, IPv4 first), the family of the requested IPs, else IPv4.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/controller/allocator.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::controller {

inline constexpr std::string_view kAnnotationAddressPool = "metallb.io/address-pool";
inline constexpr std::string_view kAnnotationLoadBalancerIps = "metallb.io/loadBalancerIPs";
inline constexpr std::string_view kAnnotationAllocatedFromPool =
    "metallb.io/ip-allocated-from-pool";
inline constexpr std::string_view kAnnotationAllowSharedIp = "metallb.io/allow-shared-ip";
inline constexpr std::string_view kDeprecatedPrefix = "metallb.universe.tf";
inline constexpr std::string_view kDeprecatedAddressPool = "metallb.universe.tf/address-pool";
inline constexpr std::string_view kDeprecatedLoadBalancerIps =
    "metallb.universe.tf/loadBalancerIPs";
inline constexpr std::string_view kDeprecatedAllowSharedIp = "metallb.universe.tf/allow-shared-ip";

// "ns/name"; an empty namespace is "default".
[[nodiscard]] std::string serviceKey(const manifest::ObjectMeta& meta);

// The stable annotation if present (even empty), else the deprecated one, else "".
[[nodiscard]] std::string annotationValue(const manifest::Labels& annotations,
                                          std::string_view stable, std::string_view deprecated);

[[nodiscard]] std::vector<Port> servicePorts(const manifest::Service& svc);
[[nodiscard]] std::string sharingKey(const manifest::Service& svc);
[[nodiscard]] std::string backendKey(const manifest::Service& svc);  // selector text if ETP=Local

// spec.loadBalancerIP or the loadBalancerIPs annotation (MetalLB's getDesiredLbIPs).
struct DesiredIps {
  IpList ips;
  std::optional<ServiceFamily> family;  // set when ips is non-empty
  std::optional<std::string> error;
};
[[nodiscard]] DesiredIps desiredIps(const manifest::Service& svc);

struct FamilyInfo {
  ServiceFamily family = ServiceFamily::kV4;
  manifest::IpFamilyPolicy policy = manifest::IpFamilyPolicy::kSingleStack;
  net::Family primary = net::Family::kV4;
  std::optional<std::string> error;  // malformed spec.clusterIPs
};
[[nodiscard]] FamilyInfo serviceFamily(const manifest::Service& svc);

// Everything the allocator needs; the family fields come from serviceFamily().
[[nodiscard]] ServiceRequest makeServiceRequest(const manifest::Service& svc,
                                                const FamilyInfo& family);

}  // namespace l1net::controller
