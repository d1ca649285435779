#include "l1net/net/checksum.hpp"

#include <array>

namespace l1net::net {

namespace {
constexpr std::uint8_t kNextHeaderIcmpv6 = 58;
}  // namespace

std::uint32_t checksumAdd(std::span<const std::uint8_t> bytes, std::uint32_t sum) noexcept {
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    sum += static_cast<std::uint32_t>((bytes[i] << 8U) | bytes[i + 1]);
    sum = (sum & 0xffffU) + (sum >> 16U);  // keep carries folded: never overflows
  }
  if (i < bytes.size()) {
    sum += static_cast<std::uint32_t>(bytes[i] << 8U);
    sum = (sum & 0xffffU) + (sum >> 16U);
  }
  return sum;
}

std::uint16_t checksumFinish(std::uint32_t sum) noexcept {
  while ((sum >> 16U) != 0) {
    sum = (sum & 0xffffU) + (sum >> 16U);
  }
  return static_cast<std::uint16_t>(~sum & 0xffffU);
}

std::uint16_t internetChecksum(std::span<const std::uint8_t> bytes) noexcept {
  return checksumFinish(checksumAdd(bytes));
}

std::uint16_t icmpv6Checksum(const Ipv6Address& src, const Ipv6Address& dst,
                             std::span<const std::uint8_t> icmp) noexcept {
  const auto s = src.to_bytes();
  const auto d = dst.to_bytes();
  const auto len = static_cast<std::uint32_t>(icmp.size());
  const std::array<std::uint8_t, 8> tail{static_cast<std::uint8_t>(len >> 24U),
                                         static_cast<std::uint8_t>((len >> 16U) & 0xffU),
                                         static_cast<std::uint8_t>((len >> 8U) & 0xffU),
                                         static_cast<std::uint8_t>(len & 0xffU),
                                         0,
                                         0,
                                         0,
                                         kNextHeaderIcmpv6};
  std::uint32_t sum = checksumAdd(s);
  sum = checksumAdd(d, sum);
  sum = checksumAdd(tail, sum);
  sum = checksumAdd(icmp, sum);
  return checksumFinish(sum);
}

}  // namespace l1net::net
