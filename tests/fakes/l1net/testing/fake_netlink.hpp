// FakeNetlink: the Netlink seam driven by the test. push() plays the kernel sending events (each
// call is one batch, delivered as a full snapshot, synchronously like a batch drained on the
// executor thread). Helpers build Link values. Header-only, see fake_frame_socket.hpp.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "l1net/net/address.hpp"
#include "l1net/speaker/io/netlink.hpp"

namespace l1net::testing {

class FakeNetlink final : public speaker::Netlink {
 public:
  explicit FakeNetlink(std::vector<speaker::Link> links = {}) : links_(std::move(links)) {}

  void start(Callback on_change) override {
    callback_ = std::move(on_change);
    callback_(links_);
  }
  void stop() override { callback_ = nullptr; }

  // Replaces the whole list (one event batch).
  void push(std::vector<speaker::Link> links) {
    links_ = std::move(links);
    if (callback_) {
      callback_(links_);
    }
  }
  // Adds or replaces the link with the same ifindex.
  void upsert(const speaker::Link& link) {
    auto links = links_;
    const auto it = std::find_if(links.begin(), links.end(),
                                 [&](const speaker::Link& l) { return l.index == link.index; });
    if (it == links.end()) {
      links.push_back(link);
    } else {
      *it = link;
    }
    push(std::move(links));
  }
  void remove(int ifindex) {
    auto links = links_;
    std::erase_if(links, [&](const speaker::Link& l) { return l.index == ifindex; });
    push(std::move(links));
  }
  [[nodiscard]] const std::vector<speaker::Link>& links() const noexcept { return links_; }

 private:
  std::vector<speaker::Link> links_;
  Callback callback_;
};

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
