#include "l1net/io/spawn.hpp"

#include <exception>
#include <string>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

namespace l1net::io {

void spawnLogged(const boost::asio::any_io_executor& ex, boost::asio::awaitable<void> work,
                 std::shared_ptr<spdlog::logger> logger, std::string_view what) {
  boost::asio::co_spawn(
      ex, std::move(work),
      [log = std::move(logger), what = std::string(what)](const std::exception_ptr& e) {
        if (!e) {
          return;
        }
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          log->error("{} coroutine failed: {}", what, x.what());
        } catch (...) {
          log->error("{} coroutine failed", what);
        }
      });
}

}  // namespace l1net::io
