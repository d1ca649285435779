// FakeFrameSocket: the FrameSocket seam without a kernel. Tests feed frames in, read what was
// sent, see multicast memberships, and make sends or opens fail. Header-only: l1net::testing
// links only l1net::io, and these fakes need l1net::speaker_io's headers.
//
// The state of each opened socket lives in a shared FakeFrameSocketState that outlives the socket
// (the speaker owns and destroys sockets), so a test can assert on a socket after it was closed.
// Single-threaded, like the real socket: feed() and the assertions run on the test's io_context
// thread between poll() calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "l1net/net/address.hpp"
#include "l1net/net/ethernet.hpp"
#include "l1net/speaker/io/frame_socket.hpp"

namespace l1net::testing {

struct FakeFrameSocketState {
  explicit FakeFrameSocketState(const boost::asio::any_io_executor& ex) : wake(ex) {}

  int ifindex = 0;
  std::string name;
  std::deque<net::Frame> inbox;                 // frames receive() will return, in order
  std::vector<net::Frame> sent;                 // every frame send() accepted
  std::multiset<net::MacAddress> groups;        // link-layer memberships
  std::multiset<net::Ipv6Address> ipv6_groups;  // IP-level (MLD) memberships
  bool fail_ipv6_groups = false;                // joinIpv6Group fails (IPv6 disabled on link)
  std::uint64_t joins = 0;
  std::uint64_t leaves = 0;
  int fail_sends = 0;                         // the next N sends fail with ENOBUFS
  std::vector<net::Ipv4Address> arp_targets;  // the last setArpTargets() (the kernel filter)
  speaker::FrameSocket::KernelCounts kernel;  // what takeKernelCounts() returns next (then reset)
  bool closed = false;
  boost::asio::steady_timer wake;  // cancelled to wake a pending receive()

  void feed(net::Frame frame) {
    inbox.push_back(std::move(frame));
    wake.cancel();
  }
  void clearSent() { sent.clear(); }
};

class FakeFrameSocket final : public speaker::FrameSocket {
 public:
  explicit FakeFrameSocket(std::shared_ptr<FakeFrameSocketState> state)
      : state_(std::move(state)) {}
  ~FakeFrameSocket() override { close(); }

  boost::asio::awaitable<Result<std::size_t>> receive(std::span<std::uint8_t> buf) override {
    auto state = state_;
    for (;;) {
      if (state->closed) {
        co_return boost::system::error_code(boost::asio::error::operation_aborted);
      }
      if (!state->inbox.empty()) {
        auto frame = std::move(state->inbox.front());
        state->inbox.pop_front();
        const auto n = std::min(frame.size(), buf.size());
        std::copy_n(frame.begin(), n, buf.begin());
        co_return n;
      }
      state->wake.expires_after(std::chrono::hours(24));
      boost::system::error_code ignored;
      co_await state->wake.async_wait(
          boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
  }

  Result<void> send(std::span<const std::uint8_t> frame) override {
    if (state_->closed) {
      return boost::system::error_code(boost::asio::error::bad_descriptor);
    }
    if (state_->fail_sends > 0) {
      --state_->fail_sends;
      return boost::system::error_code(boost::asio::error::no_buffer_space);
    }
    state_->sent.emplace_back(frame.begin(), frame.end());
    return {};
  }

  Result<void> joinMulticast(const net::MacAddress& group) override {
    ++state_->joins;
    state_->groups.insert(group);
    return {};
  }

  Result<void> leaveMulticast(const net::MacAddress& group) override {
    ++state_->leaves;
    if (const auto it = state_->groups.find(group); it != state_->groups.end()) {
      state_->groups.erase(it);
    }
    return {};
  }

  Result<void> joinIpv6Group(const net::Ipv6Address& group) override {
    if (state_->fail_ipv6_groups) {
      return boost::system::error_code(boost::asio::error::address_family_not_supported);
    }
    state_->ipv6_groups.insert(group);
    return {};
  }

  Result<void> leaveIpv6Group(const net::Ipv6Address& group) override {
    if (const auto it = state_->ipv6_groups.find(group); it != state_->ipv6_groups.end()) {
      state_->ipv6_groups.erase(it);
    }
    return {};
  }

  Result<void> setArpTargets(const std::vector<net::Ipv4Address>& targets) override {
    state_->arp_targets = targets;
    return {};
  }

  KernelCounts takeKernelCounts() override { return std::exchange(state_->kernel, {}); }

  void close() override {
    state_->closed = true;
    state_->groups.clear();  // the kernel drops a socket's memberships when it closes
    state_->ipv6_groups.clear();
    state_->wake.cancel();
  }

 private:
  std::shared_ptr<FakeFrameSocketState> state_;
};

class FakeFrameSocketFactory final : public speaker::FrameSocketFactory {
 public:
  explicit FakeFrameSocketFactory(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}

  Result<std::unique_ptr<speaker::FrameSocket>> open(int ifindex,
                                                     const std::string& name) override {
    ++opens;
    if (fail_open.contains(name)) {
      return boost::system::error_code(boost::asio::error::access_denied);
    }
    auto state = std::make_shared<FakeFrameSocketState>(ex_);
    state->ifindex = ifindex;
    state->name = name;
    sockets[name] = state;
    return std::unique_ptr<speaker::FrameSocket>(std::make_unique<FakeFrameSocket>(state));
  }

  // The latest socket opened on `name`, nullptr if none.
  [[nodiscard]] std::shared_ptr<FakeFrameSocketState> socket(const std::string& name) const {
    const auto it = sockets.find(name);
    return it == sockets.end() ? nullptr : it->second;
  }
  // Whether the latest socket on `name` exists and is open.
  [[nodiscard]] bool isOpen(const std::string& name) const {
    const auto s = socket(name);
    return s && !s->closed;
  }

  std::map<std::string, std::shared_ptr<FakeFrameSocketState>> sockets;
  std::set<std::string> fail_open;
  std::uint64_t opens = 0;

 private:
  boost::asio::any_io_executor ex_;
};

}  // namespace l1net::testing
