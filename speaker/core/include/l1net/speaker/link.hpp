// The speaker's view of one kernel interface: a value snapshot (pure data, no I/O). The Netlink
// seam (speaker/io netlink.hpp) delivers complete lists of these; core decisions read them.
#pragma once

#include <string>
#include <vector>

#include "l1net/net/address.hpp"

namespace l1net::speaker {

struct LinkAddress {
  net::IpAddress ip;
  unsigned prefix = 0;
  friend bool operator==(const LinkAddress&, const LinkAddress&) = default;
};

struct Link {
  int index = 0;
  std::string name;
  std::string kind;  // rtnl link type ("veth", "bridge", "bond", ...) when known
  net::MacAddress mac;
  bool up = false;         // IFF_UP (administratively up)
  bool running = false;    // IFF_RUNNING (carrier / operationally up)
  bool broadcast = false;  // IFF_BROADCAST
  bool noarp = false;      // IFF_NOARP
  bool loopback = false;   // IFF_LOOPBACK
  int master = 0;          // ifindex of the bridge/bond this link is enslaved to, 0 if none
  std::vector<LinkAddress> addresses;
  friend bool operator==(const Link&, const Link&) = default;
};

}  // namespace l1net::speaker
