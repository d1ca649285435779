#include "l1net/controller/reconciler.hpp"

#include <algorithm>
#include <initializer_list>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "l1net/controller/service_request.hpp"

namespace l1net::controller {
namespace {

using Policy = manifest::IpFamilyPolicy;

// MetalLB's serviceFamilyChanged.
bool familyChanged(std::optional<ServiceFamily> lb, ServiceFamily cluster, Policy policy) {
  if (!lb) {
    return true;
  }
  if (*lb == cluster) {
    return false;
  }
  return !(cluster == ServiceFamily::kDual && policy == Policy::kPreferDualStack);
}

bool sameIps(const IpList& a, const IpList& b) {
  const auto texts = [](const IpList& ips) {
    std::vector<std::string> out;
    for (const auto& ip : ips) {
      out.push_back(ip.to_string());
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  return texts(a) == texts(b);
}

bool sameIngress(const std::vector<manifest::LoadBalancerIngress>& a,
                 const std::vector<manifest::LoadBalancerIngress>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.ip == y.ip && x.hostname == y.hostname;
  });
}

bool isManagedClass(const manifest::Service& svc, const std::optional<std::string>& lb_class) {
  if (lb_class) {
    return svc.load_balancer_class && *svc.load_balancer_class == *lb_class;
  }
  return !svc.load_balancer_class;
}

Event normal(std::string reason, std::string message) {
  return Event{EventType::kNormal, std::move(reason), std::move(message)};
}
Event warning(std::string reason, std::string message) {
  return Event{EventType::kWarning, std::move(reason), std::move(message)};
}

class Converger {
 public:
  explicit Converger(Allocator& alloc) : alloc_(alloc) {}

  // convergeBalancer for one LoadBalancer service of our class (svc: the decision's object).
  void converge(ServiceDecision& d, manifest::Service& svc) {
    const std::string& key = d.key;
    IpList lb_ips;
    const auto clear = [&] {
      alloc_.unassign(key);
      svc.meta.annotations.erase(std::string(kAnnotationAllocatedFromPool));
      svc.ingress.clear();
      lb_ips.clear();
    };

    if (alloc_.pools().empty()) {
      clear();
      d.error = "no IPAddressPool configured";
      return;
    }

    std::vector<std::string> ingress_texts;
    bool ingress_ok = true;
    for (const auto& ing : svc.ingress) {
      if (ing.ip.empty()) {
        continue;
      }
      ingress_texts.push_back(ing.ip);
      if (auto ip = net::parseIp(ing.ip)) {
        lb_ips.push_back(*ip);
      } else {
        ingress_ok = false;
      }
    }
    const FamilyInfo fam = serviceFamily(svc);
    const ServiceRequest req = makeServiceRequest(svc, fam);

    if (ingress_texts.empty()) {
      clear();
    } else {
      auto lb_family = ingress_ok ? familyOfIps(lb_ips) : std::nullopt;
      if (!lb_family) {
        d.events.push_back(warning("nolbIPsIPFamily", "Failed to retrieve LBIPs IPFamily for " +
                                                          goQuoteList(ingress_texts) +
                                                          ": invalid addresses"));
      }
      if (fam.error) {
        const std::string msg = "Failed to retrieve ClusterIPs IPFamily for " +
                                goQuoteList(svc.cluster_ips) + " " + svc.cluster_ips.front() +
                                ": " + *fam.error;
        d.events.push_back(warning("noclusterIPsIPFamily", msg));
        d.error = msg;
        return;
      }
      if (familyChanged(lb_family, fam.family, fam.policy)) {
        clear();
      }
    }

    if (!lb_ips.empty()) {
      if (auto err = alloc_.assign(key, req, lb_ips)) {
        d.events.push_back(normal("ClearAssignment", "current IP for " + goQuote(key) +
                                                         " not allowed by config, will attempt "
                                                         "for new IP assignment: " +
                                                         err->message));
        clear();
      }
      const std::string desired_pool =
          annotationValue(svc.meta.annotations, kAnnotationAddressPool, kDeprecatedAddressPool);
      if (!lb_ips.empty() && !desired_pool.empty() && alloc_.pool(key) != desired_pool) {
        clear();  // the user asked for a different pool
      }
      const DesiredIps desired = desiredIps(svc);
      if (desired.error) {
        const std::string msg = "invalid requested loadbalancer IPs: " + *desired.error;
        d.events.push_back(warning("LoadBalancerFailed", msg));
        d.error = msg;
        return;
      }
      if (!desired.ips.empty() && !sameIps(lb_ips, desired.ips)) {
        clear();  // the user asked for different IPs
      }
    }

    if (lb_ips.size() == 1 && fam.policy == Policy::kPreferDualStack) {
      const auto added = alloc_.allocateAdditionalFamily(key, req, lb_ips[0], alloc_.pool(key));
      if (!added.ok()) {
        d.events.push_back(
            normal("AdditionalAssignFailed",
                   "cannot assign additional IP in PreferDualStack: " + added.failure->message));
      } else {
        lb_ips.push_back(added.ips.front());
        d.events.push_back(
            normal("IPAllocated", "Assigned additional IP " + goQuote(added.ips[0].to_string())));
      }
    }

    if (lb_ips.empty()) {
      AllocResult r = allocateIps(key, svc, req, fam);
      if (!r.ok()) {
        const std::string msg =
            "Failed to allocate IP for " + goQuote(key) + ": " + r.failure->message;
        d.events.push_back(warning("AllocationFailed", msg));
        d.error = msg;
        return;
      }
      lb_ips = std::move(r.ips);
      d.events.push_back(normal("IPAllocated", "Assigned IP " + goQuoteIps(lb_ips)));
    }

    const std::string pool = alloc_.pool(key);
    if (pool.empty()) {
      const std::string msg = "allocated an IP that has no pool";
      d.events.push_back(warning("InternalError", msg));
      d.error = msg;
      clear();
      return;
    }
    svc.ingress.clear();
    for (const auto& ip : lb_ips) {
      svc.ingress.push_back(manifest::LoadBalancerIngress{ip.to_string(), {}});
    }
    svc.meta.annotations[std::string(kAnnotationAllocatedFromPool)] = pool;
  }

 private:
  // MetalLB's allocateIPs.
  AllocResult allocateIps(const std::string& key, const manifest::Service& svc,
                          const ServiceRequest& req, const FamilyInfo& fam) {
    if (fam.error) {
      return {{}, AllocFailure{Errc::kInvalidArgument, *fam.error}};
    }
    const DesiredIps desired = desiredIps(svc);
    if (desired.error) {
      return {{}, AllocFailure{Errc::kInvalidArgument, *desired.error}};
    }
    const std::string desired_pool =
        annotationValue(svc.meta.annotations, kAnnotationAddressPool, kDeprecatedAddressPool);
    if (!desired.ips.empty()) {
      if (desired.family != fam.family) {
        return {{},
                AllocFailure{Errc::kFamilyMismatch,
                             "requested loadBalancer IP(s) " + goQuoteIps(desired.ips) +
                                 " does not match the ipFamily of the service"}};
      }
      if (auto err = alloc_.assign(key, req, desired.ips)) {
        return {{}, std::move(err)};
      }
      if (!desired_pool.empty() && alloc_.pool(key) != desired_pool) {
        alloc_.unassign(key);
        return {{},
                AllocFailure{Errc::kConflict,
                             "requested loadBalancer IP(s) " + goQuoteIps(desired.ips) +
                                 " is not compatible with requested address pool " + desired_pool}};
      }
      return {desired.ips, std::nullopt};
    }
    if (!desired_pool.empty()) {
      return alloc_.allocateFromPool(key, req, desired_pool);
    }
    return alloc_.allocate(key, req);
  }

  Allocator& alloc_;
};

bool hasIngressIp(const manifest::Service& svc) {
  return std::any_of(svc.ingress.begin(), svc.ingress.end(),
                     [](const auto& i) { return !i.ip.empty(); });
}

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(static_cast<unsigned char>(c) >> 4) & 0xfU];
          out += kHex[static_cast<unsigned char>(c) & 0xfU];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

}  // namespace

const manifest::Service& ReconcileResult::serviceOf(const ServiceDecision& d) const {
  return objects.at(static_cast<std::size_t>(&d - services.data()));
}

const ServiceDecision* ReconcileResult::find(const std::string& key) const {
  const auto it =
      std::lower_bound(services.begin(), services.end(), key,
                       [](const ServiceDecision& d, const std::string& k) { return d.key < k; });
  return it != services.end() && it->key == key ? &*it : nullptr;
}

namespace {

// mergePreviousInto over several lists of previous objects; for a key in more than one, the
// first list's object wins.
void mergePreviousLists(std::vector<manifest::Service>& services,
                        std::initializer_list<const std::vector<manifest::Service>*> lists) {
  std::unordered_map<std::string, const manifest::Service*> by_key;
  for (const auto* list : lists) {
    for (const auto& p : *list) {
      by_key.emplace(serviceKey(p.meta), &p);
    }
  }
  const std::string pool_key(kAnnotationAllocatedFromPool);
  for (auto& merged : services) {
    const auto it = by_key.find(serviceKey(merged.meta));
    if (it == by_key.end()) {
      continue;
    }
    merged.ingress = it->second->ingress;
    const auto& prev_annotations = it->second->meta.annotations;
    if (const auto a = prev_annotations.find(pool_key); a != prev_annotations.end()) {
      merged.meta.annotations[pool_key] = a->second;
    } else {
      merged.meta.annotations.erase(pool_key);
    }
  }
}

}  // namespace

void mergePreviousInto(std::vector<manifest::Service>& services,
                       const std::vector<manifest::Service>& previous) {
  mergePreviousLists(services, {&previous});
}

std::vector<manifest::Service> mergePrevious(const std::vector<manifest::Service>& services,
                                             const std::vector<manifest::Service>& previous) {
  std::vector<manifest::Service> out = services;
  mergePreviousInto(out, previous);
  return out;
}

namespace {

// Sorts services by key and keeps only the first definition of each key (a duplicate object: the
// first one wins), in place: an index permutation applied by following its cycles. Returns the
// kept services' keys, in the same order.
std::vector<std::string> sortUniqueByKey(std::vector<manifest::Service>& services) {
  std::vector<std::string> keys;
  keys.reserve(services.size());
  for (const auto& s : services) {
    keys.push_back(serviceKey(s.meta));
  }
  std::vector<std::size_t> from(services.size());
  std::iota(from.begin(), from.end(), std::size_t{0});
  std::stable_sort(from.begin(), from.end(),
                   [&keys](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  // Slot i takes the service now at from[i].
  std::vector<bool> placed(services.size(), false);
  for (std::size_t start = 0; start < services.size(); ++start) {
    if (placed[start]) {
      continue;
    }
    manifest::Service held = std::move(services[start]);
    std::string held_key = std::move(keys[start]);
    std::size_t slot = start;
    while (true) {
      placed[slot] = true;
      const std::size_t src = from[slot];
      if (src == start) {
        services[slot] = std::move(held);
        keys[slot] = std::move(held_key);
        break;
      }
      services[slot] = std::move(services[src]);
      keys[slot] = std::move(keys[src]);
      slot = src;
    }
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < services.size(); ++i) {
    if (kept > 0 && keys[i] == keys[kept - 1]) {
      continue;
    }
    if (kept != i) {
      services[kept] = std::move(services[i]);
      keys[kept] = std::move(keys[i]);
    }
    ++kept;
  }
  services.erase(services.begin() + static_cast<std::ptrdiff_t>(kept), services.end());
  keys.resize(kept);
  return keys;
}

}  // namespace

ReconcileResult reconcile(ReconcileInput input) {
  ReconcileResult result;
  Allocator alloc;
  std::vector<PoolConfig> pools;
  pools.reserve(input.pools.size());
  for (const auto& p : input.pools) {
    pools.push_back(poolConfigFrom(p, input.namespaces));
  }
  alloc.setPools(std::move(pools));

  std::set<std::string> present;
  for (const auto& s : input.services) {
    present.insert(serviceKey(s.meta));
  }
  // Merged in place: the services are the input's own (moved in by the caller, or a copy).
  std::vector<manifest::Service> services = std::move(input.services);
  mergePreviousLists(services, {&input.held, &input.previous});  // held: a service that reappears

  // Held IPs are reserved before anyone converges, so no other service can take them.
  std::set<std::string> released;
  std::map<std::string, const manifest::Service*> to_hold;
  for (const auto& h : input.held) {
    to_hold.emplace(serviceKey(h.meta), &h);
  }
  if (input.hold_vanished) {
    for (const auto& p : input.previous) {
      to_hold.emplace(serviceKey(p.meta), &p);
    }
  }
  for (const auto& [key, svc] : to_hold) {
    if (present.contains(key) || !hasIngressIp(*svc)) {
      continue;
    }
    IpList ips;
    bool parsed = true;
    for (const auto& ing : svc->ingress) {
      if (auto ip = net::parseIp(ing.ip)) {
        ips.push_back(*ip);
      } else if (!ing.ip.empty()) {
        parsed = false;
      }
    }
    const FamilyInfo fam = serviceFamily(*svc);
    if (parsed && !fam.error && !alloc.assign(key, makeServiceRequest(*svc, fam), ips)) {
      result.held.push_back(*svc);
    } else {
      released.insert(key);
    }
  }

  // Deleted services that are not held give their IPs back. The previous objects are not needed
  // past this point: freed before converging, so that a reload holds the old set and the new one
  // at once only until here.
  for (const auto& p : input.previous) {
    auto key = serviceKey(p.meta);
    if (!present.contains(key) && hasIngressIp(p) && !to_hold.contains(key)) {
      released.insert(std::move(key));
    }
  }
  to_hold.clear();
  std::vector<manifest::Service>().swap(input.previous);
  std::vector<manifest::Service>().swap(input.held);

  // The objects: each key's first definition, in key order, sorted in place (a permutation of
  // indices), so that a large set is neither copied nor held twice. decisions[i] is objects[i]'s.
  auto keys = sortUniqueByKey(services);
  std::vector<ServiceDecision> decisions(services.size());
  for (std::size_t i = 0; i < services.size(); ++i) {
    ServiceDecision& d = decisions[i];
    d.key = std::move(keys[i]);
    if (!isManagedClass(services[i], input.lb_class)) {
      d.disposition = ServiceDisposition::kOtherClass;
    } else if (services[i].type != manifest::ServiceType::kLoadBalancer) {
      d.disposition = ServiceDisposition::kNotLoadBalancer;
    }
  }

  // Converge services that already hold IPs first, so nobody can take theirs; then services that
  // ask for specific IPs, so an automatic allocation never takes a requested IP; then the rest.
  // (MetalLB's order is the informer's, i.e. unspecified; each group here is in key order.)
  const auto rank = [&](std::size_t i) {
    if (decisions[i].disposition != ServiceDisposition::kManaged) {
      return 3;
    }
    if (hasIngressIp(services[i])) {
      return 0;
    }
    return desiredIps(services[i]).ips.empty() ? 2 : 1;
  };
  std::vector<std::pair<int, std::size_t>> ranked;
  ranked.reserve(decisions.size());
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    ranked.emplace_back(rank(i), i);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });

  Converger converger(alloc);
  for (const auto& [r, i] : ranked) {
    ServiceDecision* d = &decisions[i];
    manifest::Service& svc = services[i];
    const manifest::Service before = svc;
    switch (d->disposition) {
      case ServiceDisposition::kOtherClass:
        break;
      case ServiceDisposition::kNotLoadBalancer:
        svc.ingress.clear();
        svc.meta.annotations.erase(std::string(kAnnotationAllocatedFromPool));
        break;
      case ServiceDisposition::kManaged:
        converger.converge(*d, svc);
        break;
    }
    d->changed = !sameIngress(before.ingress, svc.ingress) ||
                 before.meta.annotations != svc.meta.annotations;
    if (d->changed) {
      for (const auto& [k, v] : before.meta.annotations) {
        if (k.starts_with(kDeprecatedPrefix)) {
          d->events.push_back(
              warning("deprecatedAnnotation", "Service uses deprecated annotation " + k));
        }
      }
    }
    for (const auto& ing : svc.ingress) {
      if (!ing.ip.empty()) {
        d->ips.push_back(ing.ip);
      }
    }
    const auto& ann = svc.meta.annotations;
    if (const auto it = ann.find(std::string(kAnnotationAllocatedFromPool)); it != ann.end()) {
      d->pool = it->second;
    }
  }

  result.released.assign(released.begin(), released.end());
  result.objects = std::move(services);
  result.services = std::move(decisions);
  result.pools = alloc.usage();
  return result;
}

ReconcileInput makeInput(const manifest::ManifestSet& set, std::vector<manifest::Service> previous,
                         std::optional<std::string> lb_class) {
  ReconcileInput in;
  in.services = set.services;
  in.previous = std::move(previous);
  in.pools = set.pools;
  in.namespaces = set.namespaces;
  in.lb_class = std::move(lb_class);
  return in;
}

ReconcileInput makeInput(manifest::ManifestSet&& set, std::vector<manifest::Service> previous,
                         std::optional<std::string> lb_class) {
  ReconcileInput in;
  in.services = std::move(set.services);
  in.previous = std::move(previous);
  in.pools = std::move(set.pools);
  in.namespaces = std::move(set.namespaces);
  in.lb_class = std::move(lb_class);
  return in;
}

namespace {

std::size_t countManaged(const ReconcileResult& result) {
  return static_cast<std::size_t>(std::count_if(
      result.services.begin(), result.services.end(),
      [](const ServiceDecision& d) { return d.disposition == ServiceDisposition::kManaged; }));
}

}  // namespace

std::vector<manifest::Service> stateServices(const ReconcileResult& result) {
  std::vector<manifest::Service> out;
  out.reserve(countManaged(result));
  forEachStateService(result, [&out](const manifest::Service& s) { out.push_back(s); });
  return out;
}

std::vector<manifest::Service> stateServices(ReconcileResult&& result) {
  auto& objects = result.objects;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < objects.size() && i < result.services.size(); ++i) {
    if (result.services[i].disposition != ServiceDisposition::kManaged) {
      continue;
    }
    if (kept != i) {
      objects[kept] = std::move(objects[i]);
    }
    ++kept;
  }
  objects.erase(objects.begin() + static_cast<std::ptrdiff_t>(kept), objects.end());
  return std::move(objects);
}

std::string formatResultJson(const ReconcileResult& result) {
  std::string out = "{\"services\":[";
  bool first = true;
  for (const auto& d : result.services) {
    if (d.disposition != ServiceDisposition::kManaged) {
      continue;
    }
    out += first ? "" : ",";
    first = false;
    const auto& svc = result.serviceOf(d);
    const auto& ns = svc.meta.ns;
    out += "{\"namespace\":";
    appendJsonString(out, ns.empty() ? std::string_view("default") : std::string_view(ns));
    out += ",\"name\":";
    appendJsonString(out, svc.meta.name);
    out += ",\"ips\":[";
    for (std::size_t i = 0; i < d.ips.size(); ++i) {
      out += i == 0 ? "" : ",";
      appendJsonString(out, d.ips[i]);
    }
    out += "],\"pool\":";
    if (d.pool.empty()) {
      out += "null";
    } else {
      appendJsonString(out, d.pool);
    }
    out += ",\"error\":";
    if (d.error) {
      appendJsonString(out, *d.error);
    } else {
      out += "null";
    }
    out += '}';
  }
  out += "],\"pools\":[";
  for (std::size_t i = 0; i < result.pools.size(); ++i) {
    const auto& p = result.pools[i];
    out += i == 0 ? "{\"name\":" : ",{\"name\":";
    appendJsonString(out, p.name);
    // A decimal string: totals reach 2^128-1 (::/0), beyond what JSON numbers keep exactly.
    out += ",\"total\":\"" + net::countToString(p.total()) + "\"";
    out += ",\"inUse\":" + std::to_string(p.inUse()) + "}";
  }
  out += "]}";
  return out;
}

}  // namespace l1net::controller
