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
#include "l1net/testing/make_link.hpp"

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

}  // namespace l1net::testing
