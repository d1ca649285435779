// Link values for tests (core and io): header-only, depends only on speaker core's link.hpp.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "l1net/net/address.hpp"
#include "l1net/speaker/link.hpp"

namespace l1net::testing {

// An up, running, broadcast Ethernet link; addresses as "198.51.100.10/24".
inline speaker::Link makeLink(int index, std::string name, std::string_view mac,
                              const std::vector<std::string>& cidrs = {}) {
  speaker::Link l;
  l.index = index;
  l.name = std::move(name);
  l.kind = "veth";
  l.mac = net::parseMac(mac).value();
  l.up = true;
  l.running = true;
  l.broadcast = true;
  for (const auto& c : cidrs) {
    const auto slash = c.find('/');
    l.addresses.push_back({.ip = net::parseIp(c.substr(0, slash)).value(),
                           .prefix = static_cast<unsigned>(std::stoul(c.substr(slash + 1)))});
  }
  return l;
}

}  // namespace l1net::testing
