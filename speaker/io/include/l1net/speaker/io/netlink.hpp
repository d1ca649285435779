// The seam between the speaker and the kernel's interface list (rtnetlink).
//
// Contract:
//  - start() delivers the full list of links (with their addresses) to on_change before it
//    returns, then again after every batch of kernel events that changed a link or an address
//    (link added/removed, up/down, carrier, MAC, master, name; address added/removed). Delivery
//    is event driven (a netlink multicast socket), never polled; each notification is a complete
//    snapshot, so a consumer simply recomputes.
//  - Callbacks run on the executor's thread; none after stop() returns. stop() is idempotent.
//
// LibnlNetlink is the libnl-3 implementation: a cache manager holding route/link and route/addr
// caches, its socket awaited through Asio. Listening to rtnetlink groups needs no capability.
// Tests use l1net::testing::FakeNetlink.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/speaker/link.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::speaker {

class Netlink {
 public:
  using Callback = std::function<void(const std::vector<Link>&)>;

  Netlink() = default;
  virtual ~Netlink() = default;
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;

  // Throws std::system_error when the kernel's interface list cannot be read (start-up error).
  virtual void start(Callback on_change) = 0;
  virtual void stop() = 0;
};

class LibnlNetlink final : public Netlink {
 public:
  LibnlNetlink(boost::asio::any_io_executor ex, std::shared_ptr<spdlog::logger> logger);
  ~LibnlNetlink() override;

  void start(Callback on_change) override;
  void stop() override;

  // Event batches processed, and resynchronisations after a lost event (ENOBUFS).
  [[nodiscard]] std::uint64_t batches() const noexcept;
  [[nodiscard]] std::uint64_t resyncs() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace l1net::speaker
