#include "l1net/net/address.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <string>

namespace l1net::net {
namespace {

constexpr Uint128 kAllOnes = ~Uint128{0};

Uint128 maskFor(unsigned prefix, Family f) noexcept {
  const unsigned bits = bitsOf(f);
  if (prefix == 0) {
    return 0;
  }
  const Uint128 width_mask = bits == 128 ? kAllOnes : ((Uint128{1} << bits) - 1);
  return (width_mask << (bits - prefix)) & width_mask;
}

Uint128 familyMax(Family f) noexcept { return f == Family::kV4 ? Uint128{0xffffffffU} : kAllOnes; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) {
    s.remove_suffix(1);
  }
  return s;
}

// Number of addresses from a to b inclusive, saturating at 2^128-1.
Uint128 spanCount(Uint128 a, Uint128 b) noexcept {
  const Uint128 diff = b - a;
  return diff == kAllOnes ? kAllOnes : diff + 1;
}

unsigned trailingZeros(Uint128 v) noexcept {
  const auto low = static_cast<std::uint64_t>(v);
  if (low != 0) {
    return static_cast<unsigned>(std::countr_zero(low));
  }
  return 64U + static_cast<unsigned>(std::countr_zero(static_cast<std::uint64_t>(v >> 64)));
}

// Last address of the block of 2^host_bits addresses starting at lo.
Uint128 blockLast(Uint128 lo, unsigned host_bits) noexcept {
  return host_bits >= 128 ? kAllOnes : lo + ((Uint128{1} << host_bits) - 1);
}

}  // namespace

Family familyOf(const IpAddress& ip) noexcept { return ip.is_v4() ? Family::kV4 : Family::kV6; }

std::string_view familyName(Family f) noexcept { return f == Family::kV4 ? "IPv4" : "IPv6"; }

unsigned bitsOf(Family f) noexcept { return f == Family::kV4 ? 32U : 128U; }

Result<IpAddress> parseIp(std::string_view text) noexcept {
  if (text.empty() || text.size() > 64 || text.find('%') != std::string_view::npos) {
    return Errc::kInvalidAddress;
  }
  boost::system::error_code ec;
  const auto ip = boost::asio::ip::make_address(std::string(text), ec);
  if (ec) {
    return Errc::kInvalidAddress;
  }
  return ip;
}

Uint128 toInteger(const IpAddress& ip) noexcept {
  if (ip.is_v4()) {
    return ip.to_v4().to_uint();
  }
  Uint128 v = 0;
  for (const auto b : ip.to_v6().to_bytes()) {
    v = (v << 8) | b;
  }
  return v;
}

IpAddress fromInteger(Uint128 value, Family family) noexcept {
  if (family == Family::kV4) {
    return Ipv4Address(static_cast<std::uint32_t>(value));
  }
  Ipv6Address::bytes_type bytes{};
  for (std::size_t i = bytes.size(); i-- > 0;) {
    bytes[i] = static_cast<std::uint8_t>(value & 0xffU);
    value >>= 8;
  }
  return Ipv6Address(bytes);
}

std::optional<IpAddress> nextAddress(const IpAddress& ip) noexcept {
  const auto f = familyOf(ip);
  const auto v = toInteger(ip);
  if (v == familyMax(f)) {
    return std::nullopt;
  }
  return fromInteger(v + 1, f);
}

std::optional<IpAddress> previousAddress(const IpAddress& ip) noexcept {
  const auto v = toInteger(ip);
  if (v == 0) {
    return std::nullopt;
  }
  return fromInteger(v - 1, familyOf(ip));
}

std::strong_ordering compareAddress(const IpAddress& a, const IpAddress& b) noexcept {
  if (a.is_v4() != b.is_v4()) {
    return a.is_v4() ? std::strong_ordering::less : std::strong_ordering::greater;
  }
  const auto x = toInteger(a);
  const auto y = toInteger(b);
  if (x == y) {
    return std::strong_ordering::equal;
  }
  return x < y ? std::strong_ordering::less : std::strong_ordering::greater;
}

IpAddress Cidr::last() const noexcept {
  const auto f = family();
  return fromInteger(toInteger(network) | (~maskFor(prefix, f) & familyMax(f)), f);
}

Uint128 Cidr::size() const noexcept { return spanCount(toInteger(network), toInteger(last())); }

bool Cidr::contains(const IpAddress& ip) const noexcept {
  return familyOf(ip) == family() &&
         (toInteger(ip) & maskFor(prefix, family())) == toInteger(network);
}

std::string Cidr::toString() const { return network.to_string() + "/" + std::to_string(prefix); }

Result<Cidr> parseCidr(std::string_view text) noexcept {
  text = trim(text);
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return Errc::kInvalidCidr;
  }
  const auto ip = parseIp(text.substr(0, slash));
  if (!ip) {
    return Errc::kInvalidCidr;
  }
  const auto digits = text.substr(slash + 1);
  unsigned prefix = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
  const auto f = familyOf(*ip);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
      digits.size() > 3 || prefix > bitsOf(f)) {
    return Errc::kInvalidCidr;
  }
  return Cidr{fromInteger(toInteger(*ip) & maskFor(prefix, f), f), prefix};
}

Cidr hostCidr(const IpAddress& ip) noexcept { return Cidr{ip, bitsOf(familyOf(ip))}; }

Uint128 IpRange::size() const noexcept { return spanCount(toInteger(first), toInteger(last)); }

bool IpRange::contains(const IpAddress& ip) const noexcept {
  return familyOf(ip) == family() && toInteger(first) <= toInteger(ip) &&
         toInteger(ip) <= toInteger(last);
}

bool IpRange::overlaps(const IpRange& other) const noexcept {
  return family() == other.family() && toInteger(first) <= toInteger(other.last) &&
         toInteger(other.first) <= toInteger(last);
}

std::string IpRange::toString() const { return first.to_string() + "-" + last.to_string(); }

IpRange toRange(const Cidr& c) noexcept { return IpRange{c.first(), c.last()}; }

Result<IpRange> parseRange(std::string_view text) noexcept {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    return Errc::kInvalidRange;
  }
  const auto a = parseIp(trim(text.substr(0, dash)));
  const auto b = parseIp(trim(text.substr(dash + 1)));
  if (!a || !b) {
    return Errc::kInvalidAddress;
  }
  if (familyOf(*a) != familyOf(*b)) {
    return Errc::kFamilyMismatch;
  }
  if (toInteger(*a) > toInteger(*b)) {
    return Errc::kInvalidRange;
  }
  return IpRange{*a, *b};
}

std::vector<Cidr> summarise(const IpRange& r) {
  std::vector<Cidr> out;
  const auto f = r.family();
  const unsigned bits = bitsOf(f);
  Uint128 lo = toInteger(r.first);
  const Uint128 hi = toInteger(r.last);
  for (;;) {
    // The largest block aligned at lo that ends at or before hi.
    unsigned host_bits = std::min(trailingZeros(lo), bits);
    while (host_bits > 0 && blockLast(lo, host_bits) > hi) {
      --host_bits;
    }
    out.push_back(Cidr{fromInteger(lo, f), bits - host_bits});
    const Uint128 end = blockLast(lo, host_bits);
    if (end >= hi) {
      return out;
    }
    lo = end + 1;
  }
}

Result<std::vector<Cidr>> parsePoolAddresses(std::string_view text) {
  text = trim(text);
  if (text.find('/') != std::string_view::npos) {
    auto c = parseCidr(text);
    if (!c) {
      return c.error();
    }
    return std::vector<Cidr>{*c};
  }
  if (text.find('-') != std::string_view::npos) {
    auto r = parseRange(text);
    if (!r) {
      return r.error();
    }
    return summarise(*r);
  }
  return Errc::kInvalidCidr;
}

bool isBuggyIp(const IpAddress& ip) noexcept {
  if (!ip.is_v4()) {
    return false;
  }
  const auto last = ip.to_v4().to_bytes()[3];
  return last == 0 || last == 255;
}

std::string countToString(Uint128 n) {
  if (n == 0) {
    return "0";
  }
  std::string s;
  while (n != 0) {
    s.push_back(static_cast<char>('0' + static_cast<int>(n % 10)));
    n /= 10;
  }
  std::reverse(s.begin(), s.end());
  return s;
}

std::string MacAddress::toString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(17);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) {
      s.push_back(':');
    }
    s.push_back(kHex[bytes[i] >> 4]);
    s.push_back(kHex[bytes[i] & 0x0f]);
  }
  return s;
}

bool MacAddress::isBroadcast() const noexcept { return *this == kBroadcastMac; }
bool MacAddress::isMulticast() const noexcept { return (bytes[0] & 0x01U) != 0; }
bool MacAddress::isZero() const noexcept {
  return std::all_of(bytes.begin(), bytes.end(), [](auto b) { return b == 0; });
}

Result<MacAddress> parseMac(std::string_view text) noexcept {
  if (text.size() != 17) {
    return Errc::kInvalidMac;
  }
  const char sep = text[2];
  if (sep != ':' && sep != '-') {
    return Errc::kInvalidMac;
  }
  MacAddress mac;
  for (std::size_t i = 0; i < 6; ++i) {
    const auto pos = i * 3;
    if (i != 0 && text[pos - 1] != sep) {
      return Errc::kInvalidMac;
    }
    std::uint8_t v = 0;
    const auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + 2, v, 16);
    if (ec != std::errc{} || end != text.data() + pos + 2) {
      return Errc::kInvalidMac;
    }
    mac.bytes[i] = v;
  }
  return mac;
}

Ipv6Address solicitedNodeAddress(const Ipv6Address& target) noexcept {
  const auto t = target.to_bytes();
  Ipv6Address::bytes_type b{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, t[13], t[14], t[15]};
  return Ipv6Address(b);
}

MacAddress multicastMac(const Ipv6Address& group) noexcept {
  const auto g = group.to_bytes();
  return MacAddress{{0x33, 0x33, g[12], g[13], g[14], g[15]}};
}

}  // namespace l1net::net
