// Starting a detached coroutine whose failure is logged instead of lost.
#pragma once

#include <memory>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::io {

// Runs `work` on `ex` (boost::asio::co_spawn). An exception escaping it is caught and logged at
// error level on `logger` as "<what> coroutine failed: <message>"; nothing is rethrown.
void spawnLogged(const boost::asio::any_io_executor& ex, boost::asio::awaitable<void> work,
                 std::shared_ptr<spdlog::logger> logger, std::string_view what);

}  // namespace l1net::io
