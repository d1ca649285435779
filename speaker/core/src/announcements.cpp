#include "l1net/speaker/announcements.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace l1net::speaker {

namespace {

using PortIps = std::map<int, std::vector<net::IpAddress>>;

PortIps byPort(const Announcements& set) {
  PortIps out;
  for (const auto& [ip, a] : set) {  // map order: each vector ends up sorted
    for (const int i : a.choice.ifindexes) {
      out[i].push_back(ip);
    }
  }
  return out;
}

template <class T>
std::vector<T> minus(const std::vector<T>& a, const std::vector<T>& b) {  // both sorted
  std::vector<T> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

std::vector<net::Ipv6Address> solicitedGroups(const std::vector<net::IpAddress>& ips) {
  std::vector<net::Ipv6Address> out;
  for (const auto& ip : ips) {
    if (ip.is_v6()) {
      out.push_back(net::solicitedNodeAddress(ip.to_v6()));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

AnnouncementDiff diffAnnouncements(const Announcements& prev,
                                   const std::vector<AnnounceEntry>& announced,
                                   const std::vector<Link>& links, const InterfaceFilter& filter,
                                   bool subnet_aware, std::chrono::system_clock::time_point now) {
  AnnouncementDiff d;
  const auto verdicts = classifyLinks(links, filter);
  std::set<net::IpAddress> unrestricted;
  for (const auto& e : announced) {
    auto& a = d.next[e.ip];
    a.services.insert(e.service);
    if (e.interfaces.empty()) {
      unrestricted.insert(e.ip);
    }
    a.restriction.insert(a.restriction.end(), e.interfaces.begin(), e.interfaces.end());
  }
  for (auto& [ip, a] : d.next) {
    if (unrestricted.contains(ip)) {
      a.restriction.clear();  // one applicable ad without interfaces = any interface
    }
    std::sort(a.restriction.begin(), a.restriction.end());
    a.restriction.erase(std::unique(a.restriction.begin(), a.restriction.end()),
                        a.restriction.end());
    a.choice = chooseInterfaces(ip, links, verdicts, a.restriction, subnet_aware);
    const auto was = prev.find(ip);
    a.since = was != prev.end() ? was->second.since : now;
    if (was == prev.end() || was->second.choice.ifindexes != a.choice.ifindexes) {
      d.placed.push_back(ip);
    }
    if (was == prev.end() ? !a.choice.rejected.empty()
                          : was->second.choice.rejected != a.choice.rejected) {
      d.rejected.push_back(ip);
    }
  }
  for (const auto& [ip, a] : prev) {
    if (!d.next.contains(ip)) {
      d.withdrawn.push_back(ip);
    }
  }
  const auto before = byPort(prev);
  auto after = byPort(d.next);
  for (const auto& [index, ips] : before) {
    if (!after.contains(index)) {
      d.close.push_back(index);
    }
  }
  for (auto& [index, ips] : after) {
    PortDelta p;
    p.ifindex = index;
    p.groups = solicitedGroups(ips);
    const auto was = before.find(index);
    if (was == before.end()) {
      p.gained = ips;
      p.join = p.groups;
    } else {
      p.gained = minus(ips, was->second);
      p.lost = minus(was->second, ips);
      const auto old_groups = solicitedGroups(was->second);
      p.join = minus(p.groups, old_groups);
      p.leave = minus(old_groups, p.groups);
    }
    p.ips = std::move(ips);
    d.ports.push_back(std::move(p));
  }
  return d;
}

}  // namespace l1net::speaker
