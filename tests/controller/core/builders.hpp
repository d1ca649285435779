// Terse builders for controller tests: services, pools and namespaces as a MetalLB user writes
// them. Documentation ranges only (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "l1net/manifest/objects.hpp"

namespace l1net::testing {

namespace m = l1net::manifest;

struct SvcBuilder {
  m::Service s;

  explicit SvcBuilder(const std::string& ns_name) {
    const auto slash = ns_name.find('/');
    s.meta.ns = slash == std::string::npos ? "default" : ns_name.substr(0, slash);
    s.meta.name = slash == std::string::npos ? ns_name : ns_name.substr(slash + 1);
    s.type = m::ServiceType::kLoadBalancer;
    s.ports.push_back(m::ServicePort{"http", "TCP", 80, "8080", 0});
    s.selector = {{"app", s.meta.name}};
  }
  SvcBuilder& ann(const std::string& k, const std::string& v) {
    s.meta.annotations[k] = v;
    return *this;
  }
  SvcBuilder& label(const std::string& k, const std::string& v) {
    s.meta.labels[k] = v;
    return *this;
  }
  SvcBuilder& lbIp(const std::string& ip) {
    s.load_balancer_ip = ip;
    return *this;
  }
  SvcBuilder& ips(const std::string& comma_list) {
    return ann("metallb.io/loadBalancerIPs", comma_list);
  }
  SvcBuilder& pool(const std::string& name) { return ann("metallb.io/address-pool", name); }
  SvcBuilder& share(const std::string& key) { return ann("metallb.io/allow-shared-ip", key); }
  SvcBuilder& ports(std::initializer_list<std::pair<const char*, int>> list) {
    s.ports.clear();
    for (const auto& [proto, port] : list) {
      s.ports.push_back(m::ServicePort{"", proto, port, "", 0});
    }
    return *this;
  }
  SvcBuilder& local(const std::string& app) {
    s.external_traffic_policy = m::TrafficPolicy::kLocal;
    s.selector = {{"app", app}};
    return *this;
  }
  SvcBuilder& families(std::vector<net::Family> fams, m::IpFamilyPolicy policy) {
    s.ip_families = std::move(fams);
    s.ip_family_policy = policy;
    return *this;
  }
  SvcBuilder& v6() { return families({net::Family::kV6}, m::IpFamilyPolicy::kSingleStack); }
  SvcBuilder& requireDual() {
    return families({net::Family::kV4, net::Family::kV6}, m::IpFamilyPolicy::kRequireDualStack);
  }
  SvcBuilder& preferDual() {
    return families({net::Family::kV4, net::Family::kV6}, m::IpFamilyPolicy::kPreferDualStack);
  }
  SvcBuilder& cls(const std::string& c) {
    s.load_balancer_class = c;
    return *this;
  }
  SvcBuilder& type(m::ServiceType t) {
    s.type = t;
    return *this;
  }
  // Previous status (as the state file carries it) and pool annotation.
  SvcBuilder& status(std::initializer_list<const char*> ips, const std::string& from_pool = "") {
    for (const char* ip : ips) {
      s.ingress.push_back(m::LoadBalancerIngress{ip, ""});
    }
    if (!from_pool.empty()) {
      s.meta.annotations["metallb.io/ip-allocated-from-pool"] = from_pool;
    }
    return *this;
  }
  operator m::Service() const { return s; }  // NOLINT(google-explicit-constructor)
};

inline SvcBuilder svc(const std::string& ns_name) { return SvcBuilder(ns_name); }

struct PoolBuilder {
  m::IpAddressPool p;

  PoolBuilder(const std::string& name, std::initializer_list<const char*> addresses) {
    p.meta.name = name;
    p.meta.ns = "metallb-system";
    for (const char* a : addresses) {
      m::PoolAddress pa;
      pa.text = a;
      if (auto cidrs = net::parsePoolAddresses(a)) {
        pa.cidrs = *cidrs;
      }
      p.addresses.push_back(pa);
    }
  }
  PoolBuilder& noAuto() {
    p.auto_assign = false;
    return *this;
  }
  PoolBuilder& avoidBuggy() {
    p.avoid_buggy_ips = true;
    return *this;
  }
  m::ServiceAllocation& sa() {
    if (!p.service_allocation) {
      p.service_allocation.emplace();
    }
    return *p.service_allocation;
  }
  PoolBuilder& priority(int prio) {
    sa().priority = prio;
    return *this;
  }
  PoolBuilder& namespaces(std::vector<std::string> ns) {
    sa().namespaces = std::move(ns);
    return *this;
  }
  PoolBuilder& namespaceSelector(const std::string& k, const std::string& v) {
    sa().namespace_selectors.push_back(m::LabelSelector{{{k, v}}, {}});
    return *this;
  }
  PoolBuilder& serviceSelector(const std::string& k, const std::string& v) {
    sa().service_selectors.push_back(m::LabelSelector{{{k, v}}, {}});
    return *this;
  }
  operator m::IpAddressPool() const { return p; }  // NOLINT(google-explicit-constructor)
};

inline PoolBuilder pool(const std::string& name, std::initializer_list<const char*> addresses) {
  return PoolBuilder(name, addresses);
}

inline m::Namespace ns(const std::string& name, m::Labels labels = {}) {
  m::Namespace n;
  n.meta.name = name;
  n.meta.labels = std::move(labels);
  return n;
}

}  // namespace l1net::testing
