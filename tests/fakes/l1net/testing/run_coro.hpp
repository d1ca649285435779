// Running one coroutine to completion from a test.
#pragma once

#include <chrono>
#include <exception>
#include <optional>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include "l1net/testing/run_until.hpp"

namespace l1net::testing {

// Spawns `aw` on `ioc` and runs it until it finishes (REQUIREd within `timeout`); returns its
// value or rethrows its exception.
template <class T>
T runCoro(boost::asio::io_context& ioc, boost::asio::awaitable<T> aw,
          std::chrono::milliseconds timeout) {
  std::optional<T> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(ioc, std::move(aw), [&](std::exception_ptr e, T v) {
    failure = e;
    out.emplace(std::move(v));
  });
  REQUIRE(runUntil(
      ioc, [&] { return out.has_value() || failure; }, timeout));
  if (failure) {
    std::rethrow_exception(failure);
  }
  return std::move(*out);
}

}  // namespace l1net::testing
