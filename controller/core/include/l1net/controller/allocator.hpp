// The IP allocator: MetalLB's internal/allocator as an in-memory state machine.
//
// Design note. The allocator owns the address pools, one assignment per service key ("ns/name")
// and, per IP, who uses it (sharing key, backend key, ports). It answers MetalLB's questions —
// may this service hold these IPs (assign), give it IPs from this pool / from the best pool
// (allocateFromPool / allocate), add the missing family (allocateAdditionalFamily) — and returns
// the reason as a MetalLB-worded message when it cannot. It never logs and never reads a clock.
//
// Determinism. Where MetalLB iterates a Go map (pool order in allocate(), poolFor) l1net uses
// pool name order; pools pinned by serviceAllocation sort by priority (lower wins, 0 = lowest),
// then by name. Pools never overlap after validation, so poolFor is order-independent anyway.
//
// As MetalLB's code (not its docs): a pool with a serviceAllocation takes part in automatic
// allocation only for the namespaces it lists (namespaceSelectors resolved against Namespace
// objects) and the services its serviceSelectors match; one whose lists end up empty (priority
// only, or selectors matching no namespace) is used only when a service names it.
//
// Efficiency. Addresses are never enumerated: IPs with at least one user live in an ordered
// interval set per family, so "first free IP of a CIDR" is O(log n) even for an IPv6 /64, and
// IPs open to sharing are indexed by sharing key. 10,000 allocations are O(n log n).
//
// Deviation. MetalLB forgets an IP's sharing key once no port uses it (services without ports);
// l1net keeps it until no service uses the IP, so a port-less service never silently shares.
//
// Thread-safety: none; one owner.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "l1net/error.hpp"
#include "l1net/manifest/objects.hpp"
#include "l1net/net/address.hpp"

namespace l1net::controller {

using IpList = std::vector<net::IpAddress>;

// One (protocol, port) a service listens on; two services on one IP may not overlap.
struct Port {
  std::string protocol;  // "TCP", "UDP", "SCTP"
  int port = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend auto operator<=>(const Port&, const Port&) = default;
};

// Which families a service needs: from spec.clusterIPs / spec.ipFamilies (see service_request.hpp).
enum class ServiceFamily : std::uint8_t { kV4, kV6, kDual };

// What the allocator needs to know about a service.
struct ServiceRequest {
  std::string ns;
  manifest::Labels labels;
  std::vector<Port> ports;
  std::string sharing_key;  // metallb.io/allow-shared-ip; empty = exclusive
  std::string backend_key;  // "" for ETP=Cluster, the selector text for ETP=Local
  ServiceFamily family = ServiceFamily::kV4;
  manifest::IpFamilyPolicy policy = manifest::IpFamilyPolicy::kSingleStack;  // never kUnset
  net::Family primary = net::Family::kV4;                                    // spec.ipFamilies[0]
};

// An IPAddressPool as the allocator sees it; serviceAllocation namespace selectors are already
// resolved to namespace names (as MetalLB's config does).
struct PoolConfig {
  std::string name;
  std::vector<net::Cidr> cidrs;
  bool auto_assign = true;
  bool avoid_buggy_ips = false;
  bool has_service_allocation = false;
  int priority = 0;
  std::set<std::string> namespaces;
  std::vector<manifest::LabelSelector> service_selectors;
};

// The pool as the allocator uses it. Namespace selectors are matched against `namespaces`.
[[nodiscard]] PoolConfig poolConfigFrom(const manifest::IpAddressPool& pool,
                                        const std::vector<manifest::Namespace>& namespaces);

// Why an allocator call failed: a code for programs and MetalLB's message for people.
struct AllocFailure {
  Errc code = Errc::kConflict;
  std::string message;
};

struct AllocResult {
  IpList ips;  // empty on failure
  std::optional<AllocFailure> failure;
  [[nodiscard]] bool ok() const noexcept { return !failure.has_value(); }
};

// A service whose assignment setPools changed.
struct PoolChange {
  enum class Kind : std::uint8_t { kCleared, kRehomed };
  std::string service;
  Kind kind = Kind::kCleared;
  std::string from_pool;
  std::string to_pool;  // empty when cleared
};

struct PoolUsage {
  std::string name;
  net::Uint128 total_v4 = 0;  // addresses that may be handed out (buggy IPs excluded if avoided)
  net::Uint128 total_v6 = 0;
  std::uint64_t in_use_v4 = 0;  // distinct addresses with at least one user
  std::uint64_t in_use_v6 = 0;
  [[nodiscard]] net::Uint128 total() const noexcept;
  [[nodiscard]] std::uint64_t inUse() const noexcept { return in_use_v4 + in_use_v6; }
};

// Addresses in a pool a user can be given (MetalLB's poolCount, but exact for huge IPv6 CIDRs).
[[nodiscard]] PoolUsage poolCapacity(const PoolConfig& pool);

class Allocator {
 public:
  // Replaces the pools. Assignments that fit no pool are dropped; assignments whose IPs now fall
  // in a differently named pool move to it. Returns those changes in service key order.
  std::vector<PoolChange> setPools(std::vector<PoolConfig> pools);

  // Gives svc exactly `ips` if configuration and sharing allow it (MetalLB's Assign).
  std::optional<AllocFailure> assign(const std::string& svc_key, const ServiceRequest& svc,
                                     const IpList& ips);
  // Frees whatever svc holds; freed IPs are reusable at once.
  void unassign(const std::string& svc_key);

  // First free IP(s) of the named pool for the service's family and policy.
  AllocResult allocateFromPool(const std::string& svc_key, const ServiceRequest& svc,
                               const std::string& pool_name);
  // Best pool: serviceAllocation pools matching the service by priority, then the other
  // autoAssign pools by name.
  AllocResult allocate(const std::string& svc_key, const ServiceRequest& svc);
  // PreferDualStack: add an IP of the missing family from pool_name, keeping `existing`.
  AllocResult allocateAdditionalFamily(const std::string& svc_key, const ServiceRequest& svc,
                                       const net::IpAddress& existing,
                                       const std::string& pool_name);

  [[nodiscard]] IpList ips(const std::string& svc_key) const;
  [[nodiscard]] std::string pool(const std::string& svc_key) const;  // "" if none
  // The pool that holds every one of ips (avoidBuggyIPs pools do not hold .0/.255), or null.
  [[nodiscard]] const PoolConfig* poolFor(const IpList& ips) const;
  [[nodiscard]] const std::map<std::string, PoolConfig>& pools() const noexcept { return pools_; }
  [[nodiscard]] bool isPoolCompatible(const PoolConfig& pool, const ServiceRequest& svc) const;
  // Usage of every pool, in name order.
  [[nodiscard]] std::vector<PoolUsage> usage() const;
  [[nodiscard]] std::size_t assignedServices() const noexcept { return allocated_.size(); }

 private:
  struct IpKey {
    net::Family family = net::Family::kV4;
    net::Uint128 value = 0;
    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
    friend auto operator<=>(const IpKey&, const IpKey&) = default;
    friend bool operator==(const IpKey&, const IpKey&) = default;
  };
  struct IpKeyHash {
    std::size_t operator()(const IpKey& k) const noexcept;
  };
  struct Alloc {
    std::string pool;
    IpList ips;
    std::vector<Port> ports;
    std::string sharing_key;
    std::string backend_key;
  };
  struct IpUse {
    std::string sharing_key;  // of the latest assignment, as MetalLB
    std::string backend_key;
    std::map<Port, std::string> ports;  // port -> service
    std::set<std::string> services;
  };
  // Merged, ordered ranges [first, last] of addresses in use, for one family.
  class UsedSet {
   public:
    void insert(net::Uint128 v);
    void erase(net::Uint128 v);
    // The first address >= from and <= last that is not in use, if any.
    [[nodiscard]] std::optional<net::Uint128> firstFree(net::Uint128 from, net::Uint128 last) const;

   private:
    std::map<net::Uint128, net::Uint128> ranges_;  // first -> last
  };

  static IpKey keyOf(const net::IpAddress& ip) noexcept;
  std::optional<AllocFailure> checkSharing(const std::string& svc_key, const net::IpAddress& ip,
                                           const IpKey& key, const std::vector<Port>& ports,
                                           const std::string& sharing_key,
                                           const std::string& backend_key) const;
  void commit(const std::string& svc_key, Alloc alloc);
  std::optional<net::IpAddress> freeIpInCidr(const net::Cidr& cidr, bool avoid_buggy,
                                             const std::string& svc_key,
                                             const ServiceRequest& svc) const;
  struct Candidate {
    const PoolConfig* pool = nullptr;
    std::optional<net::IpAddress> v4;
    std::optional<net::IpAddress> v6;
  };
  Candidate freeIpsInPool(const PoolConfig& pool, const std::string& svc_key,
                          const ServiceRequest& svc) const;
  AllocResult allocateFromPools(const std::vector<const PoolConfig*>& pools,
                                const std::string& svc_key, const ServiceRequest& svc);
  std::vector<const PoolConfig*> pinnedPools(const ServiceRequest& svc) const;
  UsedSet& usedSet(net::Family f) noexcept { return f == net::Family::kV4 ? used_v4_ : used_v6_; }
  const UsedSet& usedSet(net::Family f) const noexcept {
    return f == net::Family::kV4 ? used_v4_ : used_v6_;
  }

  std::map<std::string, PoolConfig> pools_;
  std::unordered_map<std::string, Alloc> allocated_;
  std::unordered_map<IpKey, IpUse, IpKeyHash> ip_uses_;
  std::map<std::string, std::set<IpKey>> by_sharing_key_;  // non-empty sharing key -> IPs
  std::map<std::string, std::map<IpKey, int>> pool_ips_;   // pool -> IP -> users
  UsedSet used_v4_;
  UsedSet used_v6_;
};

// Go's %q for one string and for a list ("a" / ["a" "b"]), used in MetalLB's messages.
[[nodiscard]] std::string goQuote(std::string_view s);
[[nodiscard]] std::string goQuoteList(const std::vector<std::string>& items);
[[nodiscard]] std::string goQuoteIps(const IpList& ips);
[[nodiscard]] std::string_view familyText(ServiceFamily f) noexcept;  // "ipv4" / "ipv6" / "dual"
// The family of a service's assigned IPs: one IP gives its family, an IPv4 + IPv6 pair gives
// kDual; any other list (none, more than two, two of one family) gives nullopt.
[[nodiscard]] std::optional<ServiceFamily> familyOfIps(const IpList& ips);

}  // namespace l1net::controller
