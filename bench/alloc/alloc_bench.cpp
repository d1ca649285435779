// alloc_bench [SERVICES]: allocation and restart figures for the controller core.
//
// Phases, each timed on a monotonic clock, with the process's peak RSS (getrusage) after it:
//   allocate  reconcile SERVICES new services across 3 pools (shared IPv4, named dual-stack, /64)
//   emit      render the state file (Service manifests with status) as YAML
//   load      parse that YAML back as the restarted controller does
//   restart   reconcile the same manifests with the loaded state: must change 0 IPs
//   alloc-only the Allocator alone handing out SERVICES IPv6 addresses from a /64
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "l1net/controller/allocator.hpp"
#include "l1net/controller/reconciler.hpp"
#include "l1net/manifest/emit.hpp"
#include "l1net/manifest/load.hpp"

namespace {

namespace ctl = l1net::controller;
namespace m = l1net::manifest;
namespace net = l1net::net;
using Clock = std::chrono::steady_clock;

long peakRssKiB() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

double msSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void report(const char* phase, double ms, const std::string& note = "") {
  std::printf("%-10s %10.1f ms   peak RSS %7.1f MiB   %s\n", phase, ms,
              static_cast<double>(peakRssKiB()) / 1024.0, note.c_str());
}

m::IpAddressPool makePool(const std::string& name, const std::vector<std::string>& addresses,
                          bool auto_assign, bool avoid_buggy) {
  m::IpAddressPool p;
  p.meta.name = name;
  p.meta.ns = "metallb-system";
  p.auto_assign = auto_assign;
  p.avoid_buggy_ips = avoid_buggy;
  for (const auto& a : addresses) {
    m::PoolAddress pa;
    pa.text = a;
    pa.cidrs = net::parsePoolAddresses(a).value();
    p.addresses.push_back(pa);
  }
  return p;
}

m::Service makeService(int i) {
  m::Service s;
  s.meta.ns = "ns" + std::to_string(i % 7);
  s.meta.name = "svc-" + std::to_string(i);
  s.type = m::ServiceType::kLoadBalancer;
  s.selector = {{"app", s.meta.name}};
  m::ServicePort port;
  port.port = 80;
  if (i % 20 == 0) {  // IPv4, two services per IP
    s.meta.annotations["metallb.io/allow-shared-ip"] = "pair-" + std::to_string(i / 40);
    port.port = i % 40 == 0 ? 80 : 443;
  } else if (i % 40 == 1) {  // dual stack from the named pool
    s.meta.annotations["metallb.io/address-pool"] = "b-dual";
    s.ip_families = {net::Family::kV4, net::Family::kV6};
    s.ip_family_policy = m::IpFamilyPolicy::kRequireDualStack;
  } else {
    s.ip_families = {net::Family::kV6};
  }
  s.ports.push_back(port);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 10000;
  std::printf(
      "alloc_bench: %d services, 3 pools (a-v4 2x/24 avoidBuggyIPs shared by pairs, "
      "b-dual /24+/64 named, c-v6 /64)\n",
      count);
  report("start", 0.0);

  m::ManifestSet set;
  set.pools = {makePool("a-v4", {"198.51.100.0/24", "203.0.113.0/24"}, true, true),
               makePool("b-dual", {"192.0.2.0/24", "2001:db8:d::/64"}, false, false),
               makePool("c-v6", {"2001:db8:6::/64"}, true, false)};
  for (int i = 0; i < count; ++i) {
    set.services.push_back(makeService(i));
  }

  auto t = Clock::now();
  const auto first = ctl::reconcile(ctl::makeInput(set, {}, std::nullopt));
  int failed = 0;
  for (const auto& d : first.services) {
    failed += d.error ? 1 : 0;
  }
  report("allocate", msSince(t), std::to_string(failed) + " failed");

  t = Clock::now();
  const std::string state = m::emitServicesYaml(ctl::stateServices(first));
  report("emit", msSince(t), std::to_string(state.size() / 1024) + " KiB of YAML");

  t = Clock::now();
  auto loaded = m::loadManifestText(state, "state.yaml");
  report("load", msSince(t),
         std::to_string(loaded.set.services.size()) + " services, " +
             std::to_string(loaded.errors.size()) + " errors");

  t = Clock::now();
  const auto again =
      ctl::reconcile(ctl::makeInput(set, std::move(loaded.set.services), std::nullopt));
  int moved = 0;
  int changed = 0;
  for (const auto& d : again.services) {
    const auto* before = first.find(d.key);
    moved += before == nullptr || before->ips != d.ips ? 1 : 0;
    changed += d.changed ? 1 : 0;
  }
  report("restart", msSince(t),
         std::to_string(moved) + " IPs moved, " + std::to_string(changed) + " changed");

  ctl::Allocator alloc;
  alloc.setPools({ctl::poolConfigFrom(makePool("v6", {"2001:db8:1::/64"}, true, false), {})});
  ctl::ServiceRequest req;
  req.ns = "default";
  req.ports = {{"TCP", 80}};
  req.family = ctl::ServiceFamily::kV6;
  t = Clock::now();
  for (int i = 0; i < count; ++i) {
    if (!alloc.allocate("svc-" + std::to_string(i), req).ok()) {
      std::printf("allocation %d failed\n", i);
      return 1;
    }
  }
  report("alloc-only", msSince(t),
         "last " + alloc.ips("svc-" + std::to_string(count - 1))[0].to_string());
  return moved == 0 && failed == 0 ? 0 : 1;
}
