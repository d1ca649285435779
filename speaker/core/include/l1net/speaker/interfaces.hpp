// Which interfaces may carry announcements, and which of them announce a given IP.
//
// Pure (no I/O): decisions over the Link snapshots (link.hpp) the Netlink seam delivers.
//
// A link is usable when it is up with carrier, broadcast-capable, ARP-capable, not loopback, not
// enslaved to a bridge/bond (the master announces instead), and its name matches none of the
// exclusion patterns. The default patterns are MetalLB's (its excludel2 ConfigMap); they are
// ECMAScript regexes searched anywhere in the name, like Go's regexp.MatchString.
//
// chooseInterfaces() picks the announcing interfaces for one IP:
//   1. candidates = usable links, restricted to L2Advertisement.interfaces when that is set
//      (names listed there that do not exist or are unusable are reported, MetalLB's
//      announceFailed);
//   2. subnet-aware (default; off = MetalLB's behaviour): when some candidate has an address
//      whose subnet contains the IP, only those announce (a node with several NICs on one LAN
//      would otherwise answer with several MACs, MetalLB #531); otherwise every candidate
//      announces. Two NICs carrying the same subnet both answer (as Linux with arp_ignore=0);
//      pin one with L2Advertisement.interfaces.
#pragma once

#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/net/address.hpp"
#include "l1net/speaker/link.hpp"

namespace l1net::speaker {

enum class LinkUsability : std::uint8_t {
  kUsable,
  kDown,       // administratively down
  kNoCarrier,  // up but no carrier (cable out, veth peer down)
  kLoopback,
  kNotBroadcast,  // point-to-point, tunnels
  kNoArp,         // IFF_NOARP
  kEnslaved,      // member of a bridge or bond
  kExcluded,      // name matches an exclusion pattern
};

[[nodiscard]] std::string_view usabilityName(LinkUsability u) noexcept;  // "usable", "down", ...

struct LinkVerdict {
  LinkUsability usability = LinkUsability::kUsable;
  std::string detail;  // the matching pattern for kExcluded, the master's ifindex for kEnslaved
};

class InterfaceFilter {
 public:
  // MetalLB's defaults: ^docker.*, ^cbr.*, ^dummy.*, ^virbr.*, ^lxcbr.*, ^veth.*, ^lo$, ^cali.*,
  // ^tunl.*, ^flannel.*, ^kube-ipvs.*, ^cni.*, ^nodelocaldns.*
  [[nodiscard]] static const std::vector<std::string>& defaultExcludes();

  // Throws std::invalid_argument naming the pattern when one is not a valid regex (start-up).
  explicit InterfaceFilter(std::vector<std::string> exclude_patterns = defaultExcludes());

  [[nodiscard]] LinkVerdict classify(const Link& link) const;
  [[nodiscard]] const std::vector<std::string>& patterns() const noexcept { return patterns_; }

 private:
  std::vector<std::string> patterns_;
  std::vector<std::regex> regexes_;
};

enum class InterfaceRule : std::uint8_t {
  kSubnet,     // only the interfaces whose subnet contains the IP
  kAllUsable,  // no interface carries the IP's subnet (or subnet-awareness is off): all
  kNone,       // no candidate at all
};

[[nodiscard]] std::string_view interfaceRuleName(InterfaceRule r) noexcept;

struct RejectedInterface {
  std::string name;
  std::string reason;  // "does not exist", or usabilityName (+ detail)
  friend bool operator==(const RejectedInterface&, const RejectedInterface&) = default;
};

struct InterfaceChoice {
  std::vector<int> ifindexes;  // announcing interfaces, in ifindex order
  InterfaceRule rule = InterfaceRule::kNone;
  bool restricted = false;                  // L2Advertisement.interfaces narrowed the candidates
  std::optional<net::Cidr> matched_subnet;  // for kSubnet: the first matching subnet
  std::vector<RejectedInterface> rejected;  // named in the restriction but unusable or missing
};

// restriction: the union of L2Advertisement.interfaces of the applicable advertisements; empty =
// every usable interface.
[[nodiscard]] InterfaceChoice chooseInterfaces(const net::IpAddress& ip,
                                               const std::vector<Link>& links,
                                               const InterfaceFilter& filter,
                                               const std::vector<std::string>& restriction,
                                               bool subnet_aware = true);

// The filter's verdict on each link, in the links' order. For many IPs over the same links,
// classify once and use the overload below: the exclusion patterns are regexes.
[[nodiscard]] std::vector<LinkVerdict> classifyLinks(const std::vector<Link>& links,
                                                     const InterfaceFilter& filter);
[[nodiscard]] InterfaceChoice chooseInterfaces(const net::IpAddress& ip,
                                               const std::vector<Link>& links,
                                               const std::vector<LinkVerdict>& verdicts,
                                               const std::vector<std::string>& restriction,
                                               bool subnet_aware);

}  // namespace l1net::speaker
