// Address math for pools and packets: IPv4/IPv6 addresses, CIDR prefixes, a-b ranges and MACs.
// Pure: no I/O, no logging. Counting uses 128-bit integers so an IPv6 /64 (2^64 addresses) never
// overflows; only ::/0 saturates at 2^128-1.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "l1net/error.hpp"

namespace l1net::net {

using IpAddress = boost::asio::ip::address;
using Ipv4Address = boost::asio::ip::address_v4;
using Ipv6Address = boost::asio::ip::address_v6;
__extension__ using Uint128 = unsigned __int128;

enum class Family : std::uint8_t { kV4, kV6 };

[[nodiscard]] Family familyOf(const IpAddress& ip) noexcept;
[[nodiscard]] std::string_view familyName(Family f) noexcept;  // "IPv4" / "IPv6"
[[nodiscard]] unsigned bitsOf(Family f) noexcept;              // 32 / 128

// Strict textual parse (no surrounding spaces, no zone id). IPv4-mapped IPv6 stays IPv6.
[[nodiscard]] Result<IpAddress> parseIp(std::string_view text) noexcept;

// The address as an unsigned integer in its family's width, and back.
[[nodiscard]] Uint128 toInteger(const IpAddress& ip) noexcept;
[[nodiscard]] IpAddress fromInteger(Uint128 value, Family family) noexcept;
// Next/previous address in the same family; nullopt past the end of the family space.
[[nodiscard]] std::optional<IpAddress> nextAddress(const IpAddress& ip) noexcept;
[[nodiscard]] std::optional<IpAddress> previousAddress(const IpAddress& ip) noexcept;
// Total order: all IPv4 before all IPv6, then numeric.
[[nodiscard]] std::strong_ordering compareAddress(const IpAddress& a, const IpAddress& b) noexcept;

// A prefix; the network address always has its host bits cleared.
struct Cidr {
  IpAddress network;
  unsigned prefix = 0;

  [[nodiscard]] Family family() const noexcept { return familyOf(network); }
  [[nodiscard]] IpAddress first() const noexcept { return network; }
  [[nodiscard]] IpAddress last() const noexcept;
  [[nodiscard]] Uint128 size() const noexcept;  // saturates for ::/0
  [[nodiscard]] bool contains(const IpAddress& ip) const noexcept;
  [[nodiscard]] std::string toString() const;
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// Parses "a/n". Host bits set below the prefix are cleared (as Go's net.ParseCIDR does).
[[nodiscard]] Result<Cidr> parseCidr(std::string_view text) noexcept;
[[nodiscard]] Cidr hostCidr(const IpAddress& ip) noexcept;  // /32 or /128

// An inclusive range of one family with first <= last.
struct IpRange {
  IpAddress first;
  IpAddress last;

  [[nodiscard]] Family family() const noexcept { return familyOf(first); }
  [[nodiscard]] Uint128 size() const noexcept;  // saturates for the whole IPv6 space
  [[nodiscard]] bool contains(const IpAddress& ip) const noexcept;
  [[nodiscard]] bool overlaps(const IpRange& other) const noexcept;
  [[nodiscard]] std::string toString() const;  // "a-b"
  friend bool operator==(const IpRange&, const IpRange&) = default;
};

[[nodiscard]] IpRange toRange(const Cidr& c) noexcept;
// Parses "a-b" (spaces around '-' allowed). Errors: kInvalidAddress, kFamilyMismatch,
// kInvalidRange (start after end).
[[nodiscard]] Result<IpRange> parseRange(std::string_view text) noexcept;
// The minimal list of prefixes covering exactly the range, in address order.
[[nodiscard]] std::vector<Cidr> summarise(const IpRange& r);
// A MetalLB pool entry: either a CIDR or a range, as the minimal prefix list.
[[nodiscard]] Result<std::vector<Cidr>> parsePoolAddresses(std::string_view text);

// Whether the address is an IPv4 .0 or .255 (MetalLB's avoidBuggyIPs).
[[nodiscard]] bool isBuggyIp(const IpAddress& ip) noexcept;

// Saturating decimal text for a count (Prometheus and JSON want doubles or strings).
[[nodiscard]] std::string countToString(Uint128 n);

struct MacAddress {
  std::array<std::uint8_t, 6> bytes{};

  [[nodiscard]] std::string toString() const;  // "aa:bb:cc:dd:ee:ff"
  [[nodiscard]] bool isBroadcast() const noexcept;
  [[nodiscard]] bool isMulticast() const noexcept;
  [[nodiscard]] bool isZero() const noexcept;
  friend auto operator<=>(const MacAddress&, const MacAddress&) = default;
};

inline constexpr MacAddress kBroadcastMac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

// Accepts "aa:bb:cc:dd:ee:ff" or "aa-bb-cc-dd-ee-ff", either case.
[[nodiscard]] Result<MacAddress> parseMac(std::string_view text) noexcept;

// IPv6 solicited-node multicast address ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX.
[[nodiscard]] Ipv6Address solicitedNodeAddress(const Ipv6Address& target) noexcept;
[[nodiscard]] MacAddress multicastMac(const Ipv6Address& group) noexcept;

}  // namespace l1net::net
