// Per-IP announcement decisions and their changes. Pure: no sockets, no logging; time is passed in.
//
// diffAnnouncements() turns an AnnouncePlan (announce_plan.hpp) and the current links into the
// next set of Announcements (IP -> services, interface restriction, chosen interfaces), and
// returns what changed against the previous set, as Katran's Vip returns ring changes: the
// speaker's I/O shell only applies the result (opens/closes packet sockets, joins/leaves
// solicited-node groups, starts/stops gratuitous bursts, logs).
//
// Rules:
//   * The interface restriction of an IP is the union of the `interfaces` of its announced
//     entries, sorted and unique; one entry without interfaces means any interface (MetalLB's
//     AllInterfaces).
//   * The interfaces come from chooseInterfaces() (interfaces.hpp).
//   * `since` is kept from the previous set for an IP still announced, else `now`.
//   * Ports: every ifindex announcing some IP in the next set gets a PortDelta holding all its IPs
//     (for a socket opened now) and the gained/lost IPs and solicited-node groups relative to the
//     previous set (for a socket already open). Ifindexes announcing nothing any more are closed.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "l1net/net/address.hpp"
#include "l1net/speaker/announce_plan.hpp"
#include "l1net/speaker/interfaces.hpp"
#include "l1net/speaker/link.hpp"

namespace l1net::speaker {

struct Announcement {
  std::set<std::string> services;        // "namespace/name"
  std::vector<std::string> restriction;  // sorted, unique; empty = any interface
  InterfaceChoice choice;
  std::chrono::system_clock::time_point since;
};

using Announcements = std::map<net::IpAddress, Announcement>;

struct PortDelta {
  int ifindex = 0;
  std::vector<net::IpAddress> ips;       // every IP announced on it in the next set, sorted
  std::vector<net::Ipv6Address> groups;  // every solicited-node group those IPs need, sorted
  std::vector<net::IpAddress> gained;    // vs the previous set
  std::vector<net::IpAddress> lost;
  std::vector<net::Ipv6Address> join;   // groups first needed now
  std::vector<net::Ipv6Address> leave;  // groups no IP needs any more
};

struct AnnouncementDiff {
  Announcements next;
  std::vector<net::IpAddress> placed;     // new, or announced on other interfaces than before
  std::vector<net::IpAddress> rejected;   // new, or its rejected restriction names changed
  std::vector<net::IpAddress> withdrawn;  // announced before, not now
  std::vector<int> close;                 // ifindexes that announced something and now nothing
  std::vector<PortDelta> ports;           // ifindexes announcing something now, in order
};

// The solicited-node groups the IPv6 addresses among ips need (sorted, unique).
[[nodiscard]] std::vector<net::Ipv6Address> solicitedGroups(const std::vector<net::IpAddress>& ips);

[[nodiscard]] AnnouncementDiff diffAnnouncements(const Announcements& prev,
                                                 const std::vector<AnnounceEntry>& announced,
                                                 const std::vector<Link>& links,
                                                 const InterfaceFilter& filter, bool subnet_aware,
                                                 std::chrono::system_clock::time_point now);

}  // namespace l1net::speaker
