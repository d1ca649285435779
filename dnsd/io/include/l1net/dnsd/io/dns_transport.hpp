// The DNS seam of the verifier: ask one server for one name and type. CaresTransport (c-ares,
// UDP then TCP on truncation, its sockets driven by the Asio executor) in production.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "l1net/dnsd/records.hpp"
#include "l1net/error.hpp"

namespace l1net::dnsd {

class DnsTransport {
 public:
  virtual ~DnsTransport() = default;
  DnsTransport() = default;
  DnsTransport(const DnsTransport&) = delete;
  DnsTransport& operator=(const DnsTransport&) = delete;

  // The answers: IP texts for A/AAAA; for CNAME the canonical name the alias resolves to.
  // A name without records of that type (NXDOMAIN, NODATA) is an empty list, not an error.
  // Errors: timeouts, refused, unreachable server.
  virtual boost::asio::awaitable<Result<std::vector<std::string>>> query(std::string name,
                                                                         RecordType type) = 0;
};

// `server` is "IP" or "IP:port" ("[v6]:port" for IPv6). A query never blocks the executor's
// thread; it completes within about timeout x 2 tries. Not thread-safe: run on `ex`. Throws
// std::invalid_argument for a bad server (start-up configuration).
[[nodiscard]] std::unique_ptr<DnsTransport> makeCaresTransport(
    boost::asio::any_io_executor ex, const std::string& server,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace l1net::dnsd
