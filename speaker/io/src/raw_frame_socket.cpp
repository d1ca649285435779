// AF_PACKET implementation of FrameSocket (see frame_socket.hpp).
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "l1net/net/bpf.hpp"
#include "l1net/speaker/io/frame_socket.hpp"

namespace l1net::speaker {
namespace {

static_assert(sizeof(net::BpfInsn) == sizeof(sock_filter));
static_assert(offsetof(net::BpfInsn, k) == offsetof(sock_filter, k));

#ifndef PACKET_IGNORE_OUTGOING
constexpr int PACKET_IGNORE_OUTGOING = 23;  // NOLINT: Linux >= 4.20 value, older headers lack it
#endif

boost::system::error_code lastError() { return {errno, boost::system::system_category()}; }

constexpr int kReceiveBuffer = 4 << 20;  // ~3,000 queued requests at the kernel's truesize

Result<void> attachFilter(int fd, std::vector<net::BpfInsn> program) {
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(program.size());
  prog.filter = reinterpret_cast<sock_filter*>(program.data());
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0) {
    return lastError();
  }
  return {};
}

class RawFrameSocket final : public FrameSocket {
 public:
  RawFrameSocket(const boost::asio::any_io_executor& ex, int fd, int ifindex)
      : descriptor_(ex, fd), ifindex_(ifindex) {
    for (std::size_t i = 0; i < kBatch; ++i) {
      iov_[i] = {.iov_base = slots_[i].data(), .iov_len = kSlot};
      msgs_[i].msg_hdr.msg_name = &from_[i];
      msgs_[i].msg_hdr.msg_iov = &iov_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
    }
  }
  // The batch's headers point into this object.
  RawFrameSocket(const RawFrameSocket&) = delete;
  RawFrameSocket& operator=(const RawFrameSocket&) = delete;
  ~RawFrameSocket() override { close(); }

  // Frames come from the kernel up to kBatch at a time (recvmmsg): one system call, not one per
  // frame, while a burst is queued. Each is copied into `buf` when asked for.
  boost::asio::awaitable<Result<std::size_t>> receive(std::span<std::uint8_t> buf) override {
    for (;;) {
      if (!descriptor_.is_open()) {
        co_return boost::system::error_code(boost::asio::error::operation_aborted);
      }
      while (next_ < count_) {
        const std::size_t i = next_++;
        // Kernels before 4.20 ignore PACKET_IGNORE_OUTGOING: skip our own transmissions here.
        if (from_[i].sll_pkttype == PACKET_OUTGOING) {
          continue;
        }
        // msg_len is the frame's length (MSG_TRUNC); longer than a slot, it is cut to one.
        const std::size_t n = std::min({std::size_t{msgs_[i].msg_len}, kSlot, buf.size()});
        std::memcpy(buf.data(), slots_[i].data(), n);
        co_return n;
      }
      next_ = count_ = 0;
      for (auto& m : msgs_) {
        m.msg_hdr.msg_namelen = sizeof(sockaddr_ll);  // the kernel wrote the last address's length
      }
      const int got = ::recvmmsg(descriptor_.native_handle(), msgs_.data(), kBatch,
                                 MSG_DONTWAIT | MSG_TRUNC, nullptr);
      if (got > 0) {
        count_ = static_cast<std::size_t>(got);
        continue;
      }
      if (got < 0 && errno == EINTR) {
        continue;
      }
      if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        co_return lastError();
      }
      boost::system::error_code ec;
      co_await descriptor_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                                      boost::asio::redirect_error(boost::asio::use_awaitable, ec));
      if (ec) {
        co_return ec;
      }
    }
  }

  Result<void> send(std::span<const std::uint8_t> frame) override {
    if (!descriptor_.is_open()) {
      return boost::system::error_code(boost::asio::error::bad_descriptor);
    }
    for (;;) {
      const auto n = ::send(descriptor_.native_handle(), frame.data(), frame.size(), MSG_DONTWAIT);
      if (n >= 0) {
        return {};
      }
      if (errno != EINTR) {
        return lastError();
      }
    }
  }

  Result<void> joinMulticast(const net::MacAddress& group) override {
    return membership(PACKET_ADD_MEMBERSHIP, group);
  }
  Result<void> leaveMulticast(const net::MacAddress& group) override {
    return membership(PACKET_DROP_MEMBERSHIP, group);
  }

  Result<void> joinIpv6Group(const net::Ipv6Address& group) override { return joinIpv6(group); }
  Result<void> leaveIpv6Group(const net::Ipv6Address& group) override { return leaveIpv6(group); }

  Result<void> setArpTargets(const std::vector<net::Ipv4Address>& targets) override {
    if (!descriptor_.is_open()) {
      return boost::system::error_code(boost::asio::error::bad_descriptor);
    }
    auto program = net::neighborRequestFilter(net::ipv4Ranges(targets));
    return attachFilter(descriptor_.native_handle(),
                        program ? *program : net::neighborRequestFilter());
  }

  KernelCounts takeKernelCounts() override {
    tpacket_stats st{};
    socklen_t len = sizeof(st);
    if (!descriptor_.is_open() ||
        ::getsockopt(descriptor_.native_handle(), SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0) {
      return {};
    }
    // tp_packets counts every frame the filter passed, dropped ones included.
    return {.packets = st.tp_packets, .drops = st.tp_drops};
  }

  void close() override {
    boost::system::error_code ignored;
    descriptor_.close(ignored);
    for (auto& m : mld_) {
      ::close(m.fd);  // drops its groups: the kernel sends MLD Done
    }
    mld_.clear();
    mld_of_.clear();
  }

 private:
  Result<void> membership(int op, const net::MacAddress& group) {
    if (!descriptor_.is_open()) {
      return boost::system::error_code(boost::asio::error::bad_descriptor);
    }
    packet_mreq mreq{};
    mreq.mr_ifindex = ifindex_;
    mreq.mr_type = PACKET_MR_MULTICAST;
    mreq.mr_alen = static_cast<unsigned short>(group.bytes.size());
    std::memcpy(mreq.mr_address, group.bytes.data(), group.bytes.size());
    if (::setsockopt(descriptor_.native_handle(), SOL_PACKET, op, &mreq, sizeof(mreq)) != 0) {
      return lastError();
    }
    return {};
  }

  // IP-level memberships are spread over several AF_INET6 sockets, at most kGroupsPerMldSocket
  // each: the kernel charges each to the socket's option memory (net.core.optmem_max, about 2,000
  // groups at 128 KiB and 300 at the older 20 KiB default; past it a join fails with ENOMEM), and
  // a join walks the socket's whole list, so one socket for 10,000 groups costs O(n^2).
  Result<void> joinIpv6(const net::Ipv6Address& group) {
    if (!descriptor_.is_open()) {
      return boost::system::error_code(boost::asio::error::bad_descriptor);
    }
    const auto key = group.to_bytes();
    if (mld_of_.contains(key)) {
      return {};
    }
    const auto mreq = ipv6Request(key);
    for (bool fresh = false;; fresh = true) {
      auto room = std::find_if(mld_.begin(), mld_.end(),
                               [](const MldSocket& m) { return m.groups < kGroupsPerMldSocket; });
      if (fresh || room == mld_.end()) {
        const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
          return lastError();
        }
        mld_.push_back({.fd = fd});
        room = std::prev(mld_.end());
      }
      if (::setsockopt(room->fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) == 0) {
        ++room->groups;
        mld_of_.emplace(key, room->fd);
        return {};
      }
      // A socket out of option memory: once more on a new one (optmem_max below our guess).
      if ((errno != ENOMEM && errno != ENOBUFS) || fresh || room->groups == 0) {
        return lastError();
      }
    }
  }

  Result<void> leaveIpv6(const net::Ipv6Address& group) {
    const auto key = group.to_bytes();
    const auto it = mld_of_.find(key);
    if (it == mld_of_.end()) {
      return boost::system::error_code(EADDRNOTAVAIL, boost::system::system_category());
    }
    const int fd = it->second;
    mld_of_.erase(it);
    const auto mreq = ipv6Request(key);
    Result<void> result;
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP, &mreq, sizeof(mreq)) != 0) {
      result = lastError();
    }
    const auto m =
        std::find_if(mld_.begin(), mld_.end(), [fd](const MldSocket& s) { return s.fd == fd; });
    if (--m->groups == 0) {
      ::close(fd);
      mld_.erase(m);
    }
    return result;
  }

  ipv6_mreq ipv6Request(const net::Ipv6Address::bytes_type& group) const {
    ipv6_mreq mreq{};
    std::memcpy(&mreq.ipv6mr_multiaddr, group.data(), group.size());
    mreq.ipv6mr_interface = static_cast<unsigned>(ifindex_);
    return mreq;
  }

  // ARP is 42-60 bytes and an NS well under 200; a frame longer than a slot is cut to it.
  static constexpr std::size_t kSlot = 512;
  static constexpr std::size_t kBatch = 16;

  boost::asio::posix::stream_descriptor descriptor_;
  int ifindex_;
  static constexpr std::size_t kGroupsPerMldSocket = 256;
  struct MldSocket {
    int fd = -1;  // AF_INET6 datagram socket holding IP-level group memberships
    std::size_t groups = 0;
  };
  std::vector<MldSocket> mld_;
  std::map<net::Ipv6Address::bytes_type, int> mld_of_;  // group -> the fd that joined it
  // The last recvmmsg's frames: count_ of them, next_ is the next to hand out.
  std::array<std::array<std::uint8_t, kSlot>, kBatch> slots_{};
  std::array<iovec, kBatch> iov_{};
  std::array<sockaddr_ll, kBatch> from_{};
  std::array<mmsghdr, kBatch> msgs_{};
  std::size_t next_ = 0;
  std::size_t count_ = 0;
};

// Closes the fd on every early return of open().
struct FdGuard {
  explicit FdGuard(int f) : fd(f) {}
  int fd = -1;
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  ~FdGuard() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  int release() { return std::exchange(fd, -1); }
};

}  // namespace

Result<std::unique_ptr<FrameSocket>> RawFrameSocketFactory::open(int ifindex,
                                                                 const std::string& /*name*/) {
  const auto protocol = htons(ETH_P_ALL);
  FdGuard guard(::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (guard.fd < 0) {
    return lastError();
  }
  // Attach the filter before binding so no unfiltered frame is ever queued (the socket was created
  // with protocol 0, which receives nothing until bind).
  // Until the speaker names its targets (setArpTargets): no ARP Request at all.
  if (auto r = attachFilter(guard.fd, *net::neighborRequestFilter(std::vector<net::Ipv4Range>{}));
      !r) {
    return r.error();
  }
  // A burst must queue, not drop: the default queue holds ~200 small frames. FORCE needs
  // CAP_NET_ADMIN; without it the kernel caps SO_RCVBUF at net.core.rmem_max.
  if (::setsockopt(guard.fd, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBuffer, sizeof(kReceiveBuffer)) !=
      0) {
    (void)::setsockopt(guard.fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof(kReceiveBuffer));
  }
  const int one = 1;
  // Replies skip the qdisc layer (best effort; they are few and small).
  (void)::setsockopt(guard.fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
  // Best effort: recvfrom() also skips PACKET_OUTGOING on kernels without this option.
  (void)::setsockopt(guard.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = protocol;
  addr.sll_ifindex = ifindex;
  if (::bind(guard.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return lastError();
  }
  return std::unique_ptr<FrameSocket>(
      std::make_unique<RawFrameSocket>(ex_, guard.release(), ifindex));
}

}  // namespace l1net::speaker
