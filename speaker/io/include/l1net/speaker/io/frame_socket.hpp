// The seam between the speaker's data plane and the kernel: one link-layer socket per interface.
//
// Contract:
//  - A FrameSocket is bound to one interface. receive() yields only frames the kernel received on
//    it (never frames this host sent) that passed net::neighborRequestFilter(): ARP Requests and
//    ICMPv6 Neighbor Solicitations. The planners re-check everything in user space.
//  - send() hands one whole Ethernet frame to the kernel without blocking. A full socket buffer is
//    an error (the frame is dropped and counted by the caller), never a wait: a responder must
//    not stall behind a slow NIC.
//  - joinMulticast()/leaveMulticast() add/remove a link-layer multicast address to the
//    interface's receive filter (PACKET_ADD_MEMBERSHIP); memberships are reference counted by the
//    kernel per socket and vanish when the socket is closed.
//  - joinIpv6Group()/leaveIpv6Group() join an IPv6 multicast group at the IP layer
//    (IPV6_ADD_MEMBERSHIP on companion UDP sockets of at most 256 groups each, as one socket's
//    option memory holds only a few thousand), so the kernel sends MLD reports and
//    MLD-snooping switches forward the group's traffic (NS to the VIP's solicited-node group) to
//    this port. MetalLB joins the same way. It fails when IPv6 is disabled on the link; the
//    link-layer membership alone still works where no snooping switch is in the way.
//    The kernel's own stack then sees those NSs too and ignores them (the VIP is not local).
//  - close() makes a pending or later receive() finish with asio::error::operation_aborted.
//  - Single-threaded: use from the executor the socket was opened on.
//
// RawFrameSocketFactory opens AF_PACKET/SOCK_RAW sockets (ETH_P_ALL, bound to the ifindex,
// PACKET_IGNORE_OUTGOING, PACKET_QDISC_BYPASS, a 4 MiB receive queue when SO_RCVBUFFORCE is
// allowed (CAP_NET_ADMIN) else the largest net.core.rmem_max allows, the classic BPF filter
// attached). That needs CAP_NET_RAW and nothing
// else: SO_ATTACH_FILTER, PACKET_ADD_MEMBERSHIP and IPV6_ADD_MEMBERSHIP are per-socket and
// unprivileged (tests/integration/speaker_caps_test.sh runs the speaker with CAP_NET_RAW only).
// Tests use l1net::testing::FakeFrameSocketFactory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "l1net/error.hpp"
#include "l1net/net/address.hpp"

namespace l1net::speaker {

class FrameSocket {
 public:
  FrameSocket() = default;
  virtual ~FrameSocket() = default;
  FrameSocket(const FrameSocket&) = delete;
  FrameSocket& operator=(const FrameSocket&) = delete;

  // Copies the next admitted frame into buf and returns its length (a longer frame is cut to
  // buf.size()). Errors: asio::error::operation_aborted after close(), or the receive errno.
  virtual boost::asio::awaitable<Result<std::size_t>> receive(std::span<std::uint8_t> buf) = 0;
  virtual Result<void> send(std::span<const std::uint8_t> frame) = 0;
  virtual Result<void> joinMulticast(const net::MacAddress& group) = 0;
  virtual Result<void> leaveMulticast(const net::MacAddress& group) = 0;
  virtual Result<void> joinIpv6Group(const net::Ipv6Address& group) = 0;
  virtual Result<void> leaveIpv6Group(const net::Ipv6Address& group) = 0;
  virtual void close() = 0;

  // Narrows the kernel filter to ARP Requests whose target is one of `targets` (the IPv4
  // addresses announced on this interface), so requests for other hosts never wake the speaker
  // (net::neighborRequestFilter with ranges; more ranges than it holds keep every ARP Request).
  // The planners still check ownership. Default: nothing to narrow.
  virtual Result<void> setArpTargets(const std::vector<net::Ipv4Address>& /*targets*/) {
    return {};
  }

  // What the kernel counted for this socket since the last call (PACKET_STATISTICS, which resets
  // on read): frames queued to it and frames dropped because its queue was full.
  struct KernelCounts {
    std::uint64_t packets = 0;
    std::uint64_t drops = 0;
  };
  virtual KernelCounts takeKernelCounts() { return {}; }
};

class FrameSocketFactory {
 public:
  FrameSocketFactory() = default;
  virtual ~FrameSocketFactory() = default;
  FrameSocketFactory(const FrameSocketFactory&) = delete;
  FrameSocketFactory& operator=(const FrameSocketFactory&) = delete;

  // Opens a socket on interface `ifindex` (`name` is for errors and fakes only).
  virtual Result<std::unique_ptr<FrameSocket>> open(int ifindex, const std::string& name) = 0;
};

class RawFrameSocketFactory final : public FrameSocketFactory {
 public:
  explicit RawFrameSocketFactory(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  Result<std::unique_ptr<FrameSocket>> open(int ifindex, const std::string& name) override;

 private:
  boost::asio::any_io_executor ex_;
};

}  // namespace l1net::speaker
