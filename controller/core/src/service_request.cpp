#include "l1net/controller/service_request.hpp"

#include <cctype>
#include <string>
#include <vector>

namespace l1net::controller {
namespace {

std::string_view trimSpace(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string> splitComma(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto pos = s.find(',', start);
    out.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) {
      return out;
    }
    start = pos + 1;
  }
}

// ipfamily.ForAddresses: one address -> its family, two of different families -> dual.
std::optional<ServiceFamily> familyForAddresses(const std::vector<std::string>& texts,
                                                std::string& error) {
  std::vector<net::IpAddress> ips;
  for (const auto& t : texts) {
    auto ip = net::parseIp(t);
    if (!ip && texts.size() <= 2) {
      error = "IPFamilyForAddresses: Invalid address " + goQuoteList(texts);
      return std::nullopt;
    }
    if (ip) {
      ips.push_back(*ip);
    }
  }
  if (texts.size() == 1) {
    return ips[0].is_v4() ? ServiceFamily::kV4 : ServiceFamily::kV6;
  }
  if (texts.size() == 2) {
    if (ips[0].is_v4() == ips[1].is_v4()) {
      error = "IPFamilyForAddresses: same address family " + goQuoteList(texts);
      return std::nullopt;
    }
    return ServiceFamily::kDual;
  }
  error = "IPFamilyForAddresses: invalid ips length " + std::to_string(texts.size()) + " " +
          goQuoteList(texts);
  return std::nullopt;
}

}  // namespace

std::string serviceKey(const manifest::ObjectMeta& meta) {
  return (meta.ns.empty() ? std::string("default") : meta.ns) + "/" + meta.name;
}

std::string annotationValue(const manifest::Labels& annotations, std::string_view stable,
                            std::string_view deprecated) {
  if (const auto it = annotations.find(std::string(stable)); it != annotations.end()) {
    return it->second;
  }
  if (const auto it = annotations.find(std::string(deprecated)); it != annotations.end()) {
    return it->second;
  }
  return {};
}

std::vector<Port> servicePorts(const manifest::Service& svc) {
  std::vector<Port> out;
  out.reserve(svc.ports.size());
  for (const auto& p : svc.ports) {
    out.push_back(Port{p.protocol.empty() ? std::string("TCP") : p.protocol, p.port});
  }
  return out;
}

std::string sharingKey(const manifest::Service& svc) {
  return annotationValue(svc.meta.annotations, kAnnotationAllowSharedIp, kDeprecatedAllowSharedIp);
}

std::string backendKey(const manifest::Service& svc) {
  if (svc.external_traffic_policy == manifest::TrafficPolicy::kLocal) {
    return manifest::LabelSelector{svc.selector, {}}.toString();
  }
  return {};
}

DesiredIps desiredIps(const manifest::Service& svc) {
  DesiredIps out;
  const std::string annotated =
      annotationValue(svc.meta.annotations, kAnnotationLoadBalancerIps, kDeprecatedLoadBalancerIps);
  if (annotated.empty() && svc.load_balancer_ip.empty()) {
    return out;
  }
  if (!annotated.empty() && !svc.load_balancer_ip.empty()) {
    out.error = "service can not have both " + std::string(kAnnotationLoadBalancerIps) +
                " and svc.Spec.LoadBalancerIP";
    return out;
  }
  if (!annotated.empty()) {
    std::vector<std::string> texts;
    for (const auto& part : splitComma(annotated)) {
      const auto ip = net::parseIp(trimSpace(part));
      if (!ip) {
        out.error =
            "invalid " + std::string(kAnnotationLoadBalancerIps) + ": " + goQuote(annotated);
        out.ips.clear();
        return out;
      }
      out.ips.push_back(*ip);
      texts.push_back(ip->to_string());
    }
    std::string err;
    out.family = familyForAddresses(texts, err);
    if (!out.family) {
      out.error = err;
      out.ips.clear();
    }
    return out;
  }
  const auto ip = net::parseIp(svc.load_balancer_ip);
  if (!ip) {
    out.error = "invalid spec.loadBalancerIP " + goQuote(svc.load_balancer_ip);
    return out;
  }
  out.ips.push_back(*ip);
  out.family = ip->is_v4() ? ServiceFamily::kV4 : ServiceFamily::kV6;
  return out;
}

FamilyInfo serviceFamily(const manifest::Service& svc) {
  using Policy = manifest::IpFamilyPolicy;
  FamilyInfo out;
  out.policy = svc.ip_family_policy;
  if (!svc.ip_families.empty()) {
    out.primary = svc.ip_families.front();
  }
  if (!svc.cluster_ips.empty()) {
    std::string err;
    const auto f = familyForAddresses(svc.cluster_ips, err);
    if (!f) {
      out.error = err;
      return out;
    }
    out.family = *f;
    if (svc.ip_families.empty()) {
      const auto first = net::parseIp(svc.cluster_ips.front());
      out.primary = first && first->is_v6() ? net::Family::kV6 : net::Family::kV4;
    }
  } else if (svc.ip_family_policy == Policy::kRequireDualStack ||
             svc.ip_family_policy == Policy::kPreferDualStack || svc.ip_families.size() >= 2) {
    out.family = ServiceFamily::kDual;
  } else if (!svc.ip_families.empty()) {
    out.family =
        svc.ip_families.front() == net::Family::kV4 ? ServiceFamily::kV4 : ServiceFamily::kV6;
  } else if (const auto desired = desiredIps(svc); desired.family) {
    out.family = *desired.family;
    if (out.family == ServiceFamily::kDual) {
      out.policy = Policy::kRequireDualStack;
    }
    out.primary = desired.ips.front().is_v4() ? net::Family::kV4 : net::Family::kV6;
  }
  if (out.policy == Policy::kUnset) {
    out.policy =
        out.family == ServiceFamily::kDual ? Policy::kRequireDualStack : Policy::kSingleStack;
  }
  return out;
}

ServiceRequest makeServiceRequest(const manifest::Service& svc, const FamilyInfo& family) {
  ServiceRequest r;
  r.ns = svc.meta.ns.empty() ? std::string("default") : svc.meta.ns;
  r.labels = svc.meta.labels;
  r.ports = servicePorts(svc);
  r.sharing_key = sharingKey(svc);
  r.backend_key = backendKey(svc);
  r.family = family.family;
  r.policy = family.policy;
  r.primary = family.primary;
  return r;
}

}  // namespace l1net::controller
