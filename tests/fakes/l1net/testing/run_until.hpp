// Driving an io_context from a test until a condition holds.
#pragma once

#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>

namespace l1net::testing {

// Runs `ioc` in 2 ms slices, calling `each` after every slice, until pred() holds or `timeout`
// has passed (steady clock). Returns pred() as last seen.
inline bool runUntil(
    boost::asio::io_context& ioc, const std::function<bool()>& pred,
    std::chrono::milliseconds timeout, const std::function<void()>& each = [] {}) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) {
      return true;
    }
    if (ioc.stopped()) {
      ioc.restart();  // it ran out of work (e.g. a server stopped); later work must still run
    }
    ioc.run_for(std::chrono::milliseconds(2));
    each();
  }
  return pred();
}

}  // namespace l1net::testing
