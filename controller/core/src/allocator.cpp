#include "l1net/controller/allocator.hpp"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

namespace l1net::controller {
namespace {

bool sharingOk(const std::string& existing_sharing, const std::string& existing_backend,
               const std::string& sharing, const std::string& backend) {
  return !existing_sharing.empty() && !sharing.empty() && existing_sharing == sharing &&
         existing_backend == backend;
}

std::string portText(const Port& p) { return p.protocol + "/" + std::to_string(p.port); }

AllocFailure noIpsInPool(const std::string& pool, ServiceFamily f) {
  return {Errc::kPoolExhausted,
          "no available IPs in pool " + pool + " for " + std::string(familyText(f)) + " IPFamily"};
}

ServiceFamily toServiceFamily(net::Family f) noexcept {
  return f == net::Family::kV4 ? ServiceFamily::kV4 : ServiceFamily::kV6;
}

}  // namespace

std::optional<ServiceFamily> familyOfIps(const IpList& ips) {
  if (ips.size() == 1) {
    return ips[0].is_v4() ? ServiceFamily::kV4 : ServiceFamily::kV6;
  }
  if (ips.size() == 2 && ips[0].is_v4() != ips[1].is_v4()) {
    return ServiceFamily::kDual;
  }
  return std::nullopt;
}

std::string_view familyText(ServiceFamily f) noexcept {
  switch (f) {
    case ServiceFamily::kV4:
      return "ipv4";
    case ServiceFamily::kV6:
      return "ipv6";
    case ServiceFamily::kDual:
      return "dual";
  }
  return "unknown";
}

std::string goQuote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string goQuoteList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i != 0) {
      out += ' ';
    }
    out += goQuote(items[i]);
  }
  out += ']';
  return out;
}

std::string goQuoteIps(const IpList& ips) {
  std::vector<std::string> items;
  items.reserve(ips.size());
  for (const auto& ip : ips) {
    items.push_back(ip.to_string());
  }
  return goQuoteList(items);
}

PoolConfig poolConfigFrom(const manifest::IpAddressPool& pool,
                          const std::vector<manifest::Namespace>& namespaces) {
  PoolConfig out;
  out.name = pool.meta.name;
  out.auto_assign = pool.auto_assign;
  out.avoid_buggy_ips = pool.avoid_buggy_ips;
  for (const auto& a : pool.addresses) {
    if (!a.cidrs.empty()) {
      out.cidrs.insert(out.cidrs.end(), a.cidrs.begin(), a.cidrs.end());
    } else if (auto parsed = net::parsePoolAddresses(a.text)) {
      out.cidrs.insert(out.cidrs.end(), parsed->begin(), parsed->end());
    }
  }
  if (pool.service_allocation) {
    const auto& sa = *pool.service_allocation;
    out.has_service_allocation = true;
    out.priority = sa.priority;
    out.namespaces.insert(sa.namespaces.begin(), sa.namespaces.end());
    for (const auto& sel : sa.namespace_selectors) {
      for (const auto& ns : namespaces) {
        if (sel.matches(ns.meta.labels)) {
          out.namespaces.insert(ns.meta.name);
        }
      }
    }
    out.service_selectors = sa.service_selectors;
  }
  return out;
}

net::Uint128 PoolUsage::total() const noexcept {
  const net::Uint128 sum = total_v4 + total_v6;
  return sum < total_v6 ? ~net::Uint128{0} : sum;  // saturate
}

PoolUsage poolCapacity(const PoolConfig& pool) {
  PoolUsage u;
  u.name = pool.name;
  for (const auto& c : pool.cidrs) {
    net::Uint128 size = c.size();
    if (c.family() == net::Family::kV4 && pool.avoid_buggy_ips) {
      if (c.prefix <= 24) {
        size -= net::Uint128{2} << (24U - c.prefix);  // a .0 and a .255 per /24
      } else if (c.first() == c.last()) {
        size -= net::isBuggyIp(c.first()) ? 1U : 0U;
      } else {
        size -= (net::isBuggyIp(c.first()) ? 1U : 0U) + (net::isBuggyIp(c.last()) ? 1U : 0U);
      }
    }
    if (c.family() == net::Family::kV4) {
      u.total_v4 += size;
    } else {
      const net::Uint128 sum = u.total_v6 + size;
      u.total_v6 = sum < size ? ~net::Uint128{0} : sum;
    }
  }
  return u;
}

// ---- UsedSet ----

void Allocator::UsedSet::insert(net::Uint128 v) {
  auto next = ranges_.upper_bound(v);
  if (next != ranges_.begin()) {
    const auto prev = std::prev(next);
    if (prev->second >= v) {
      return;
    }
    if (prev->second + 1 == v) {
      prev->second = v;
      if (next != ranges_.end() && next->first == v + 1) {
        prev->second = next->second;
        ranges_.erase(next);
      }
      return;
    }
  }
  net::Uint128 last = v;
  if (next != ranges_.end() && next->first == v + 1) {
    last = next->second;
    ranges_.erase(next);
  }
  ranges_.emplace(v, last);
}

void Allocator::UsedSet::erase(net::Uint128 v) {
  auto it = ranges_.upper_bound(v);
  if (it == ranges_.begin()) {
    return;
  }
  --it;
  if (it->second < v) {
    return;
  }
  const net::Uint128 first = it->first;
  const net::Uint128 last = it->second;
  ranges_.erase(it);
  if (first < v) {
    ranges_.emplace(first, v - 1);
  }
  if (v < last) {
    ranges_.emplace(v + 1, last);
  }
}

std::optional<net::Uint128> Allocator::UsedSet::firstFree(net::Uint128 from,
                                                          net::Uint128 last) const {
  net::Uint128 x = from;
  auto it = ranges_.upper_bound(x);
  if (it != ranges_.begin()) {
    const auto prev = std::prev(it);
    if (prev->second >= x) {
      if (prev->second >= last) {
        return std::nullopt;
      }
      x = prev->second + 1;
    }
  }
  if (x > last) {
    return std::nullopt;
  }
  return x;
}

// ---- Allocator ----

std::size_t Allocator::IpKeyHash::operator()(const IpKey& k) const noexcept {
  const auto lo = static_cast<std::uint64_t>(k.value);
  const auto hi = static_cast<std::uint64_t>(k.value >> 64);
  std::uint64_t h = lo * 0x9e3779b97f4a7c15ULL;
  h ^= hi + 0x632be59bd9b4e019ULL + (h << 6) + (h >> 2);
  h ^= static_cast<std::uint64_t>(k.family);
  return static_cast<std::size_t>(h);
}

Allocator::IpKey Allocator::keyOf(const net::IpAddress& ip) noexcept {
  return IpKey{net::familyOf(ip), net::toInteger(ip)};
}

std::vector<PoolChange> Allocator::setPools(std::vector<PoolConfig> pools) {
  pools_.clear();
  for (auto& p : pools) {
    auto name = p.name;
    pools_.insert_or_assign(std::move(name), std::move(p));
  }
  std::vector<std::string> keys;
  keys.reserve(allocated_.size());
  for (const auto& [k, v] : allocated_) {
    keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<PoolChange> changes;
  for (const auto& k : keys) {
    Alloc alloc = allocated_.at(k);
    const PoolConfig* p = poolFor(alloc.ips);
    if (p == nullptr) {
      unassign(k);
      changes.push_back({k, PoolChange::Kind::kCleared, alloc.pool, ""});
      continue;
    }
    if (p->name != alloc.pool) {
      unassign(k);
      changes.push_back({k, PoolChange::Kind::kRehomed, alloc.pool, p->name});
      alloc.pool = p->name;
      commit(k, std::move(alloc));
    }
  }
  std::erase_if(pool_ips_, [&](const auto& e) { return !pools_.contains(e.first); });
  return changes;
}

bool Allocator::isPoolCompatible(const PoolConfig& pool, const ServiceRequest& svc) const {
  if (!pool.has_service_allocation) {
    return true;
  }
  if (!pool.namespaces.empty() && !pool.namespaces.contains(svc.ns)) {
    return false;
  }
  if (!pool.service_selectors.empty()) {
    return std::any_of(pool.service_selectors.begin(), pool.service_selectors.end(),
                       [&](const auto& s) { return s.matches(svc.labels); });
  }
  return true;
}

const PoolConfig* Allocator::poolFor(const IpList& ips) const {
  if (ips.empty()) {
    return nullptr;
  }
  for (const auto& [name, p] : pools_) {
    std::size_t held = 0;
    for (const auto& ip : ips) {
      if (p.avoid_buggy_ips && net::isBuggyIp(ip)) {
        continue;
      }
      if (std::any_of(p.cidrs.begin(), p.cidrs.end(),
                      [&](const net::Cidr& c) { return c.contains(ip); })) {
        ++held;
      }
    }
    if (held == ips.size()) {
      return &p;
    }
  }
  return nullptr;
}

std::optional<AllocFailure> Allocator::checkSharing(const std::string& svc_key,
                                                    const net::IpAddress& ip, const IpKey& key,
                                                    const std::vector<Port>& ports,
                                                    const std::string& sharing_key,
                                                    const std::string& backend_key) const {
  const auto it = ip_uses_.find(key);
  if (it == ip_uses_.end()) {
    return std::nullopt;
  }
  const IpUse& use = it->second;
  if (!sharingOk(use.sharing_key, use.backend_key, sharing_key, backend_key)) {
    std::string others;
    for (const auto& s : use.services) {
      if (s != svc_key) {
        others += (others.empty() ? "" : ",") + s;
      }
    }
    if (!others.empty()) {
      return AllocFailure{Errc::kConflict, "can't change sharing key for " + goQuote(svc_key) +
                                               ", address also in use by " + others};
    }
  }
  for (const auto& port : ports) {
    const auto p = use.ports.find(port);
    if (p != use.ports.end() && p->second != svc_key) {
      return AllocFailure{Errc::kConflict, "port " + portText(port) + " is already in use on " +
                                               goQuote(ip.to_string())};
    }
  }
  return std::nullopt;
}

std::optional<AllocFailure> Allocator::assign(const std::string& svc_key, const ServiceRequest& svc,
                                              const IpList& ips) {
  if (ips.empty()) {
    return AllocFailure{Errc::kInvalidArgument, "no addresses to assign"};
  }
  const PoolConfig* pool = poolFor(ips);
  if (pool == nullptr) {
    return AllocFailure{Errc::kUnknownPool, goQuoteIps(ips) + " is not allowed in config"};
  }
  if (!isPoolCompatible(*pool, svc)) {
    return AllocFailure{Errc::kConflict,
                        "pool " + pool->name + " not compatible for ip assignment"};
  }
  if (ips.size() > 2) {
    return AllocFailure{Errc::kInvalidArgument, "more than two addresses " + goQuoteIps(ips)};
  }
  if (ips.size() == 2 && ips[0].is_v4() == ips[1].is_v4()) {
    return AllocFailure{
        Errc::kFamilyMismatch,
        goQuote(ips[0].to_string()) + " " + goQuote(ips[1].to_string()) + " has the same family"};
  }
  for (const auto& ip : ips) {
    if (auto err =
            checkSharing(svc_key, ip, keyOf(ip), svc.ports, svc.sharing_key, svc.backend_key)) {
      return err;
    }
  }
  commit(svc_key, Alloc{pool->name, ips, svc.ports, svc.sharing_key, svc.backend_key});
  return std::nullopt;
}

void Allocator::commit(const std::string& svc_key, Alloc alloc) {
  unassign(svc_key);
  for (const auto& ip : alloc.ips) {
    const IpKey k = keyOf(ip);
    auto [it, inserted] = ip_uses_.try_emplace(k);
    IpUse& use = it->second;
    if (inserted) {
      usedSet(k.family).insert(k.value);
    } else if (!use.sharing_key.empty()) {
      auto s = by_sharing_key_.find(use.sharing_key);
      if (s != by_sharing_key_.end()) {
        s->second.erase(k);
        if (s->second.empty()) {
          by_sharing_key_.erase(s);
        }
      }
    }
    use.sharing_key = alloc.sharing_key;
    use.backend_key = alloc.backend_key;
    if (!use.sharing_key.empty()) {
      by_sharing_key_[use.sharing_key].insert(k);
    }
    for (const auto& port : alloc.ports) {
      use.ports[port] = svc_key;
    }
    use.services.insert(svc_key);
    ++pool_ips_[alloc.pool][k];
  }
  allocated_.insert_or_assign(svc_key, std::move(alloc));
}

void Allocator::unassign(const std::string& svc_key) {
  const auto found = allocated_.find(svc_key);
  if (found == allocated_.end()) {
    return;
  }
  const Alloc alloc = std::move(found->second);
  allocated_.erase(found);
  for (const auto& ip : alloc.ips) {
    const IpKey k = keyOf(ip);
    const auto it = ip_uses_.find(k);
    if (it != ip_uses_.end()) {
      IpUse& use = it->second;
      for (const auto& port : alloc.ports) {
        const auto p = use.ports.find(port);
        if (p != use.ports.end() && p->second == svc_key) {
          use.ports.erase(p);
        }
      }
      use.services.erase(svc_key);
      if (use.services.empty()) {
        if (!use.sharing_key.empty()) {
          auto s = by_sharing_key_.find(use.sharing_key);
          if (s != by_sharing_key_.end()) {
            s->second.erase(k);
            if (s->second.empty()) {
              by_sharing_key_.erase(s);
            }
          }
        }
        ip_uses_.erase(it);
        usedSet(k.family).erase(k.value);
      }
    }
    auto pool_it = pool_ips_.find(alloc.pool);
    if (pool_it != pool_ips_.end()) {
      auto ip_it = pool_it->second.find(k);
      if (ip_it != pool_it->second.end() && --ip_it->second <= 0) {
        pool_it->second.erase(ip_it);
      }
    }
  }
}

std::optional<net::IpAddress> Allocator::freeIpInCidr(const net::Cidr& cidr, bool avoid_buggy,
                                                      const std::string& svc_key,
                                                      const ServiceRequest& svc) const {
  const net::Family fam = cidr.family();
  const net::Uint128 first = net::toInteger(cidr.first());
  const net::Uint128 last = net::toInteger(cidr.last());
  std::optional<net::Uint128> best;
  // The first unused address.
  for (net::Uint128 from = first;;) {
    const auto f = usedSet(fam).firstFree(from, last);
    if (!f) {
      break;
    }
    if (avoid_buggy && net::isBuggyIp(net::fromInteger(*f, fam))) {
      if (*f == last) {
        break;
      }
      from = *f + 1;
      continue;
    }
    best = *f;
    break;
  }
  // An earlier address this service may share: same sharing key, or held by the service itself.
  const auto usable = [&](net::Uint128 v) {
    const auto ip = net::fromInteger(v, fam);
    return !(avoid_buggy && net::isBuggyIp(ip)) &&
           !checkSharing(svc_key, ip, IpKey{fam, v}, svc.ports, svc.sharing_key, svc.backend_key);
  };
  if (!svc.sharing_key.empty()) {
    const auto s = by_sharing_key_.find(svc.sharing_key);
    if (s != by_sharing_key_.end()) {
      for (auto it = s->second.lower_bound(IpKey{fam, first});
           it != s->second.end() && it->family == fam && it->value <= last &&
           (!best || it->value < *best);
           ++it) {
        if (usable(it->value)) {
          best = it->value;
          break;
        }
      }
    }
  }
  if (const auto own = allocated_.find(svc_key); own != allocated_.end()) {
    for (const auto& ip : own->second.ips) {
      const IpKey k = keyOf(ip);
      if (k.family == fam && k.value >= first && k.value <= last && (!best || k.value < *best) &&
          usable(k.value)) {
        best = k.value;
      }
    }
  }
  if (!best) {
    return std::nullopt;
  }
  return net::fromInteger(*best, fam);
}

Allocator::Candidate Allocator::freeIpsInPool(const PoolConfig& pool, const std::string& svc_key,
                                              const ServiceRequest& svc) const {
  Candidate c;
  c.pool = &pool;
  for (const auto& cidr : pool.cidrs) {
    auto& slot = cidr.family() == net::Family::kV4 ? c.v4 : c.v6;
    if (slot) {
      continue;
    }
    slot = freeIpInCidr(cidr, pool.avoid_buggy_ips, svc_key, svc);
  }
  return c;
}

namespace {

// MetalLB's selectIPsForFamilyAndPolicy.
AllocResult selectIps(const std::string& pool, const std::optional<net::IpAddress>& v4,
                      const std::optional<net::IpAddress>& v6, ServiceFamily family,
                      manifest::IpFamilyPolicy policy) {
  using Policy = manifest::IpFamilyPolicy;
  if (family == ServiceFamily::kV4 && v4) {
    return {{*v4}, std::nullopt};
  }
  if (family == ServiceFamily::kV6 && v6) {
    return {{*v6}, std::nullopt};
  }
  if (family == ServiceFamily::kDual) {
    if ((policy == Policy::kRequireDualStack || policy == Policy::kPreferDualStack) && v4 && v6) {
      return {{*v4, *v6}, std::nullopt};
    }
    if (policy == Policy::kPreferDualStack && v4) {
      return {{*v4}, std::nullopt};
    }
    if (policy == Policy::kPreferDualStack && v6) {
      return {{*v6}, std::nullopt};
    }
  }
  return {{}, noIpsInPool(pool, family)};
}

}  // namespace

AllocResult Allocator::allocateFromPool(const std::string& svc_key, const ServiceRequest& svc,
                                        const std::string& pool_name) {
  if (const auto it = allocated_.find(svc_key); it != allocated_.end()) {
    const IpList held = it->second.ips;
    const auto held_family = familyOfIps(held);
    if (!held_family) {
      return {{}, AllocFailure{Errc::kFamilyMismatch, "unknown allocated IP Family"}};
    }
    if (svc.policy != manifest::IpFamilyPolicy::kPreferDualStack && *held_family != svc.family) {
      return {{},
              AllocFailure{Errc::kFamilyMismatch, "IP for wrong family assigned alloc " +
                                                      std::string(familyText(*held_family)) +
                                                      " service family " +
                                                      std::string(familyText(svc.family))}};
    }
    if (auto err = assign(svc_key, svc, held)) {
      return {{}, std::move(err)};
    }
    return {held, std::nullopt};
  }
  const auto p = pools_.find(pool_name);
  if (p == pools_.end()) {
    return {{}, AllocFailure{Errc::kUnknownPool, "unknown pool " + goQuote(pool_name)}};
  }
  const Candidate c = freeIpsInPool(p->second, svc_key, svc);
  AllocResult r = selectIps(pool_name, c.v4, c.v6, svc.family, svc.policy);
  if (!r.ok()) {
    return r;
  }
  if (auto err = assign(svc_key, svc, r.ips)) {
    return {{}, std::move(err)};
  }
  return r;
}

std::vector<const PoolConfig*> Allocator::pinnedPools(const ServiceRequest& svc) const {
  std::vector<const PoolConfig*> out;
  for (const auto& [name, p] : pools_) {
    if (!p.has_service_allocation || !p.auto_assign || !isPoolCompatible(p, svc)) {
      continue;
    }
    if (p.namespaces.contains(svc.ns) || !p.service_selectors.empty()) {
      out.push_back(&p);
    }
  }
  // Lower priority number first; 0 (unset) last; then name (MetalLB leaves ties unordered).
  std::stable_sort(out.begin(), out.end(), [](const PoolConfig* a, const PoolConfig* b) {
    const bool a_unset = a->priority <= 0;
    const bool b_unset = b->priority <= 0;
    if (a_unset != b_unset) {
      return b_unset;
    }
    return a->priority < b->priority;
  });
  return out;
}

AllocResult Allocator::allocateFromPools(const std::vector<const PoolConfig*>& pools,
                                         const std::string& svc_key, const ServiceRequest& svc) {
  const net::Family primary = svc.primary;
  std::optional<Candidate> chosen;
  std::optional<Candidate> primary_candidate;
  std::optional<Candidate> secondary_candidate;
  const bool prefer_dual = svc.family == ServiceFamily::kDual &&
                           svc.policy == manifest::IpFamilyPolicy::kPreferDualStack;
  for (const PoolConfig* pool : pools) {
    Candidate c = freeIpsInPool(*pool, svc_key, svc);
    if ((svc.family == ServiceFamily::kV4 && c.v4) || (svc.family == ServiceFamily::kV6 && c.v6)) {
      chosen = c;
      break;
    }
    const auto& p_ip = primary == net::Family::kV4 ? c.v4 : c.v6;
    const auto& s_ip = primary == net::Family::kV4 ? c.v6 : c.v4;
    if (svc.family == ServiceFamily::kDual && p_ip && s_ip) {
      chosen = c;
      break;
    }
    if (!prefer_dual) {
      continue;
    }
    if (p_ip && !primary_candidate) {
      primary_candidate = c;
    }
    if (s_ip && !secondary_candidate) {
      secondary_candidate = c;
    }
  }
  if (!chosen) {
    chosen = primary_candidate ? primary_candidate : secondary_candidate;
  }
  if (!chosen) {
    return {
        {},
        AllocFailure{Errc::kPoolExhausted,
                     "no suitable pool for " + std::string(familyText(svc.family)) + " IPFamily"}};
  }
  AllocResult r = selectIps(chosen->pool->name, chosen->v4, chosen->v6, svc.family, svc.policy);
  if (r.ok() && !assign(svc_key, svc, r.ips)) {
    return r;
  }
  return {{}, AllocFailure{Errc::kPoolExhausted, "no available IPs"}};
}

AllocResult Allocator::allocate(const std::string& svc_key, const ServiceRequest& svc) {
  if (const auto it = allocated_.find(svc_key); it != allocated_.end()) {
    const IpList held = it->second.ips;
    if (auto err = assign(svc_key, svc, held)) {
      return {{}, std::move(err)};
    }
    return {held, std::nullopt};
  }
  if (auto r = allocateFromPools(pinnedPools(svc), svc_key, svc); r.ok()) {
    return r;
  }
  std::vector<const PoolConfig*> others;
  for (const auto& [name, p] : pools_) {
    if (p.auto_assign && !p.has_service_allocation) {
      others.push_back(&p);
    }
  }
  if (auto r = allocateFromPools(others, svc_key, svc); r.ok()) {
    return r;
  }
  return {{}, AllocFailure{Errc::kPoolExhausted, "no available IPs"}};
}

AllocResult Allocator::allocateAdditionalFamily(const std::string& svc_key,
                                                const ServiceRequest& svc,
                                                const net::IpAddress& existing,
                                                const std::string& pool_name) {
  const net::Family additional = existing.is_v4() ? net::Family::kV6 : net::Family::kV4;
  const auto p = pools_.find(pool_name);
  if (p == pools_.end()) {
    return {{}, AllocFailure{Errc::kUnknownPool, "unknown pool " + goQuote(pool_name)}};
  }
  const Candidate c = freeIpsInPool(p->second, svc_key, svc);
  const auto& ip = additional == net::Family::kV4 ? c.v4 : c.v6;
  if (!ip) {
    return {{}, noIpsInPool(pool_name, toServiceFamily(additional))};
  }
  if (auto err = assign(svc_key, svc, IpList{existing, *ip})) {
    return {{}, std::move(err)};
  }
  return {{*ip}, std::nullopt};
}

IpList Allocator::ips(const std::string& svc_key) const {
  const auto it = allocated_.find(svc_key);
  return it == allocated_.end() ? IpList{} : it->second.ips;
}

std::string Allocator::pool(const std::string& svc_key) const {
  const auto it = allocated_.find(svc_key);
  return it == allocated_.end() ? std::string{} : it->second.pool;
}

std::vector<PoolUsage> Allocator::usage() const {
  std::vector<PoolUsage> out;
  out.reserve(pools_.size());
  for (const auto& [name, p] : pools_) {
    PoolUsage u = poolCapacity(p);
    if (const auto it = pool_ips_.find(name); it != pool_ips_.end()) {
      for (const auto& [k, users] : it->second) {
        if (k.family == net::Family::kV4) {
          ++u.in_use_v4;
        } else {
          ++u.in_use_v6;
        }
      }
    }
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace l1net::controller
