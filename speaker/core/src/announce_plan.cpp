#include "l1net/speaker/announce_plan.hpp"

#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "l1net/speaker/ranking.hpp"

namespace l1net::speaker {

namespace {

constexpr std::string_view kExcludeLbLabel =
    "node.kubernetes.io/exclude-from-external-load-balancers";
constexpr std::string_view kNetworkUnavailable = "NetworkUnavailable";

std::string_view trim(std::string_view s) noexcept {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) {
    return {};
  }
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

bool anyMatches(const std::vector<manifest::LabelSelector>& selectors,
                const manifest::Labels& labels) {
  return std::any_of(selectors.begin(), selectors.end(),
                     [&](const manifest::LabelSelector& s) { return s.matches(labels); });
}

bool poolContains(const manifest::IpAddressPool& pool, const net::IpAddress& ip) {
  for (const auto& a : pool.addresses) {
    if (!a.cidrs.empty()) {
      if (std::any_of(a.cidrs.begin(), a.cidrs.end(),
                      [&](const net::Cidr& c) { return c.contains(ip); })) {
        return true;
      }
      continue;
    }
    const auto parsed = net::parsePoolAddresses(a.text);
    if (parsed && std::any_of(parsed->begin(), parsed->end(),
                              [&](const net::Cidr& c) { return c.contains(ip); })) {
      return true;
    }
  }
  return false;
}

bool adSelectsPool(const manifest::L2Advertisement& ad, const manifest::IpAddressPool& pool) {
  if (ad.ip_address_pools.empty() && ad.ip_address_pool_selectors.empty()) {
    return true;
  }
  return std::find(ad.ip_address_pools.begin(), ad.ip_address_pools.end(), pool.meta.name) !=
             ad.ip_address_pools.end() ||
         anyMatches(ad.ip_address_pool_selectors, pool.meta.labels);
}

bool adCoversNode(const manifest::L2Advertisement& ad, const manifest::Node* node) {
  if (ad.node_selectors.empty()) {
    return true;
  }
  return node != nullptr && anyMatches(ad.node_selectors, node->meta.labels);
}

bool endpointServes(const manifest::Endpoint& ep) {
  const auto& c = ep.conditions;
  return !c.ready || *c.ready || (c.serving && *c.serving);
}

// The planner reads either a full manifest::ManifestSet or the speaker's SpeakerModel, through
// these accessors; everything else is the same code (templates instantiated for both below).
const std::string& nsOf(const manifest::Service& s) { return s.meta.ns; }
const std::string& nsOf(const ModelService& s) { return s.ns; }
const std::string& nameOf(const manifest::Service& s) { return s.meta.name; }
const std::string& nameOf(const ModelService& s) { return s.name; }
const manifest::Labels& labelsOf(const manifest::Service& s) { return s.meta.labels; }
const manifest::Labels& labelsOf(const ModelService& s) { return s.labels; }
bool isLoadBalancer(const manifest::Service& s) {
  return s.type == manifest::ServiceType::kLoadBalancer;
}
bool isLoadBalancer(const ModelService& /*s*/) { return true; }  // slimForSpeaker kept only those
const std::string& nsOf(const manifest::EndpointSlice& e) { return e.meta.ns; }
const std::string& nsOf(const ModelEndpointSlice& e) { return e.ns; }
const std::string* serviceNameOf(const manifest::EndpointSlice& e) {
  const auto it = e.meta.labels.find(std::string(kServiceNameLabel));
  return it == e.meta.labels.end() ? nullptr : &it->second;
}
const std::string* serviceNameOf(const ModelEndpointSlice& e) {
  return e.service_name ? &*e.service_name : nullptr;
}

std::vector<std::string> parseIpList(std::string_view rest) {
  std::vector<std::string> out;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto item = trim(rest.substr(0, comma));
    if (!item.empty()) {
      out.emplace_back(item);
    }
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return out;
}

template <class Set>
const manifest::Node* findNode(const Set& set, std::string_view name) {
  const auto it = std::find_if(set.nodes.begin(), set.nodes.end(),
                               [&](const manifest::Node& n) { return n.meta.name == name; });
  return it == set.nodes.end() ? nullptr : &*it;
}

bool nodeExcluded(const manifest::Node* node, const AnnounceOptions& options) {
  if (node == nullptr) {
    return false;
  }
  if (!options.ignore_exclude_lb && node->meta.labels.contains(std::string(kExcludeLbLabel))) {
    return true;
  }
  return std::any_of(node->conditions.begin(), node->conditions.end(),
                     [](const manifest::NodeCondition& c) {
                       return c.type == kNetworkUnavailable && c.status == "True";
                     });
}

// Everything about one service that does not depend on the IP.
template <class Svc>
struct ServiceView {
  const Svc* svc = nullptr;
  std::string key;
  bool serving_anywhere = false;
  bool any_slices = false;
  std::set<std::string> serving_nodes;
};

// The endpoint slices of each service, by "namespace/name" (the kubernetes.io/service-name
// label): built once per plan, so that a plan is linear in services plus slices.
template <class Set>
auto indexSlices(const Set& set) {
  using Slice = typename std::decay_t<decltype(set.endpoint_slices)>::value_type;
  std::unordered_map<std::string, std::vector<const Slice*>> out;
  for (const auto& slice : set.endpoint_slices) {
    if (const std::string* service_name = serviceNameOf(slice)) {
      out[nsOf(slice) + "/" + *service_name].push_back(&slice);
    }
  }
  return out;
}

template <class Set, class Svc, class SliceIndex>
ServiceView<Svc> viewService(const Set& set, const SliceIndex& slices, const Svc& svc) {
  ServiceView<Svc> v{.svc = &svc, .key = nsOf(svc) + "/" + nameOf(svc)};
  v.any_slices = !set.endpoint_slices.empty();
  v.serving_anywhere = !v.any_slices;
  const auto mine = slices.find(v.key);
  if (mine == slices.end()) {
    return v;
  }
  for (const auto* slice : mine->second) {
    for (const auto& ep : slice->endpoints) {
      if (!endpointServes(ep)) {
        continue;
      }
      v.serving_anywhere = true;
      if (ep.node_name) {
        v.serving_nodes.insert(*ep.node_name);
      }
    }
  }
  return v;
}

struct NodeCheck {
  AnnounceReason reason = AnnounceReason::kAnnounced;  // kAnnounced = eligible
  std::int64_t preference = 0;
  std::vector<std::string> interfaces;
  bool all_interfaces = false;
};

template <class Set, class Svc>
NodeCheck checkNode(const Set& set, const ServiceView<Svc>& sv,
                    const std::vector<const manifest::L2Advertisement*>& ads,
                    std::string_view node_name, const AnnounceOptions& options) {
  NodeCheck out;
  const auto* node = findNode(set, node_name);
  if (nodeExcluded(node, options)) {
    out.reason = AnnounceReason::kNodeExcluded;
    return out;
  }
  bool covered = false;
  for (const auto* ad : ads) {
    if (!adCoversNode(*ad, node)) {
      continue;
    }
    covered = true;
    if (node != nullptr) {
      out.preference += preferenceScore(*ad, node->meta.labels);
    }
    if (ad->interfaces.empty()) {
      out.all_interfaces = true;
    }
    out.interfaces.insert(out.interfaces.end(), ad->interfaces.begin(), ad->interfaces.end());
  }
  if (!covered) {
    out.reason = AnnounceReason::kNodeNotSelected;
    return out;
  }
  if (sv.svc->external_traffic_policy == manifest::TrafficPolicy::kLocal && sv.any_slices &&
      !sv.serving_nodes.contains(std::string(node_name))) {
    out.reason = AnnounceReason::kNoServingEndpoints;
  }
  return out;
}

template <class Svc>
bool serviceApplies(const Svc& svc, const AnnounceOptions& options) {
  return isLoadBalancer(svc) && svc.load_balancer_class == options.load_balancer_class;
}

template <class Set, class Svc>
AnnounceEntry decide(const Set& set, const ServiceView<Svc>& sv, const net::IpAddress& ip,
                     std::string_view ranking_key, std::string_view local_node,
                     const OwnershipPolicy& policy, const AnnounceOptions& options) {
  AnnounceEntry e{.ip = ip, .service = sv.key};
  const auto pool =
      std::find_if(set.pools.begin(), set.pools.end(),
                   [&](const manifest::IpAddressPool& p) { return poolContains(p, ip); });
  if (pool == set.pools.end()) {
    e.reason = AnnounceReason::kNoPool;
    return e;
  }
  e.pool = pool->meta.name;
  std::vector<const manifest::L2Advertisement*> ads;
  for (const auto& ad : set.l2_advertisements) {
    if (adSelectsPool(ad, *pool) &&
        (ad.service_selectors.empty() || anyMatches(ad.service_selectors, labelsOf(*sv.svc)))) {
      ads.push_back(&ad);
    }
  }
  if (ads.empty()) {
    e.reason = AnnounceReason::kPoolNotAdvertised;
    return e;
  }
  if (!sv.serving_anywhere) {
    e.reason = AnnounceReason::kNoServingEndpoints;
    return e;
  }
  const NodeCheck local = checkNode(set, sv, ads, local_node, options);
  if (local.reason != AnnounceReason::kAnnounced) {
    e.reason = local.reason;
    return e;
  }
  std::vector<Candidate> eligible;
  for (auto& member : policy.members(local_node)) {
    const NodeCheck c = member == local_node ? local : checkNode(set, sv, ads, member, options);
    if (c.reason == AnnounceReason::kAnnounced) {
      eligible.push_back({.node = std::move(member), .preference = c.preference});
    }
  }
  e.owner = policy.choose(
      {.ip = ranking_key, .service = sv.key, .local_node = local_node, .eligible = eligible});
  if (!e.owner || *e.owner != local_node) {
    e.reason = AnnounceReason::kNotOwner;
    return e;
  }
  e.reason = AnnounceReason::kAnnounced;
  if (!local.all_interfaces) {
    e.interfaces = local.interfaces;
    std::sort(e.interfaces.begin(), e.interfaces.end());
    e.interfaces.erase(std::unique(e.interfaces.begin(), e.interfaces.end()), e.interfaces.end());
  }
  return e;
}

}  // namespace

std::string_view announceReasonName(AnnounceReason r) noexcept {
  switch (r) {
    case AnnounceReason::kAnnounced:
      return "announced";
    case AnnounceReason::kNoService:
      return "no_service";
    case AnnounceReason::kNoPool:
      return "no_pool";
    case AnnounceReason::kPoolNotAdvertised:
      return "pool_not_advertised";
    case AnnounceReason::kNoServingEndpoints:
      return "no_serving_endpoints";
    case AnnounceReason::kNodeExcluded:
      return "node_excluded";
    case AnnounceReason::kNodeNotSelected:
      return "node_not_selected";
    case AnnounceReason::kNotOwner:
      return "not_owner";
    case AnnounceReason::kNotAssigned:
      return "not_assigned";
    case AnnounceReason::kNodeUnknown:
      return "node_unknown";
  }
  return "unknown";
}

std::vector<AnnounceEntry> AnnouncePlan::announced() const {
  std::vector<AnnounceEntry> out;
  std::copy_if(entries.begin(), entries.end(), std::back_inserter(out),
               [](const AnnounceEntry& e) { return e.reason == AnnounceReason::kAnnounced; });
  return out;
}

std::vector<std::string> serviceIps(const manifest::Service& svc) {
  std::vector<std::string> out;
  for (const auto& ing : svc.ingress) {
    if (!ing.ip.empty()) {
      out.push_back(ing.ip);
    }
  }
  return out;
}

std::vector<std::string> serviceIps(const ModelService& svc) { return svc.ingress_ips; }

std::vector<std::string> requestedIps(const manifest::Service& svc) {
  if (!svc.load_balancer_ip.empty()) {
    return {svc.load_balancer_ip};
  }
  const auto it = svc.meta.annotations.find(std::string(kIpsAnnotation));
  if (it == svc.meta.annotations.end()) {
    return {};
  }
  return parseIpList(it->second);
}

std::vector<std::string> requestedIps(const ModelService& svc) {
  if (!svc.load_balancer_ip.empty()) {
    return {svc.load_balancer_ip};
  }
  return parseIpList(svc.ips_annotation);
}

namespace {

template <class Set>
std::optional<UnknownNode> findUnknownNodeIn(const Set& set, std::string_view local_node) {
  if (set.nodes.empty() || findNode(set, local_node) != nullptr) {
    return std::nullopt;
  }
  UnknownNode out{.node = std::string(local_node), .known = {}};
  for (const auto& n : set.nodes) {
    out.known.push_back(n.meta.name);
  }
  std::sort(out.known.begin(), out.known.end());
  out.known.erase(std::unique(out.known.begin(), out.known.end()), out.known.end());
  return out;
}

template <class Set>
AnnouncePlan planIn(const Set& set, std::string_view local_node, const OwnershipPolicy& policy,
                    const AnnounceOptions& options) {
  AnnouncePlan plan;
  plan.node_unknown = findUnknownNodeIn(set, local_node);
  const auto slices = indexSlices(set);
  for (const auto& svc : set.services) {
    if (!serviceApplies(svc, options)) {
      continue;
    }
    const auto sv = viewService(set, slices, svc);
    std::vector<net::IpAddress> ips;
    for (const auto& text : serviceIps(svc)) {
      const auto ip = net::parseIp(text);
      if (ip) {
        ips.push_back(*ip);
      } else {
        plan.invalid.push_back({.service = sv.key, .text = text});
      }
    }
    if (!ips.empty()) {
      const std::string ranking_key = ips.front().to_string();
      for (const auto& ip : ips) {
        if (plan.node_unknown) {
          plan.entries.push_back(
              {.ip = ip, .service = sv.key, .reason = AnnounceReason::kNodeUnknown});
          continue;
        }
        plan.entries.push_back(decide(set, sv, ip, ranking_key, local_node, policy, options));
      }
    }
    // Requested but not assigned (refused by the controller, or not allocated yet): explained,
    // never announced.
    for (const auto& text : requestedIps(svc)) {
      const auto ip = net::parseIp(text);
      if (ip && std::find(ips.begin(), ips.end(), *ip) == ips.end()) {
        plan.entries.push_back(
            {.ip = *ip, .service = sv.key, .reason = AnnounceReason::kNotAssigned});
      }
    }
  }
  return plan;
}

template <class Set>
AnnounceEntry explainIn(const Set& set, std::string_view local_node, const net::IpAddress& ip,
                        const OwnershipPolicy& policy, const AnnounceOptions& options) {
  const auto plan = planIn(set, local_node, policy, options);
  std::optional<AnnounceEntry> first;
  std::optional<AnnounceEntry> requested;  // an IP assigned elsewhere explains better
  for (const auto& e : plan.entries) {
    if (e.ip != ip) {
      continue;
    }
    if (e.reason == AnnounceReason::kAnnounced) {
      return e;
    }
    auto& slot = e.reason == AnnounceReason::kNotAssigned ? requested : first;
    if (!slot) {
      slot = e;
    }
  }
  if (first) {
    return *first;
  }
  if (requested) {
    return *requested;
  }
  return {.ip = ip, .reason = AnnounceReason::kNoService};
}

}  // namespace

std::optional<UnknownNode> findUnknownNode(const manifest::ManifestSet& set,
                                           std::string_view local_node) {
  return findUnknownNodeIn(set, local_node);
}

std::optional<UnknownNode> findUnknownNode(const SpeakerModel& model, std::string_view local_node) {
  return findUnknownNodeIn(model, local_node);
}

AnnouncePlan planAnnouncements(const manifest::ManifestSet& set, std::string_view local_node,
                               const OwnershipPolicy& policy, const AnnounceOptions& options) {
  return planIn(set, local_node, policy, options);
}

AnnouncePlan planAnnouncements(const SpeakerModel& model, std::string_view local_node,
                               const OwnershipPolicy& policy, const AnnounceOptions& options) {
  return planIn(model, local_node, policy, options);
}

AnnounceEntry explainIp(const manifest::ManifestSet& set, std::string_view local_node,
                        const net::IpAddress& ip, const OwnershipPolicy& policy,
                        const AnnounceOptions& options) {
  return explainIn(set, local_node, ip, policy, options);
}

AnnounceEntry explainIp(const SpeakerModel& model, std::string_view local_node,
                        const net::IpAddress& ip, const OwnershipPolicy& policy,
                        const AnnounceOptions& options) {
  return explainIn(model, local_node, ip, policy, options);
}

}  // namespace l1net::speaker
