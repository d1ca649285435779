// The heartbeat mesh's one OS resource: a UDP socket. MeshService talks to it through this seam;
// UdpMeshTransport is the real one, tests use a fake (tests/speaker/io/mesh_service_test.cpp).
//
// Contract: single-threaded, on the executor it was opened with. Sends are synchronous and never
// block (a full socket buffer is an error, counted by the caller, never a stall). Receives are
// split into waitReadable() + tryReceive() so the service can drain every queued datagram before
// it judges silence: after a CPU stall (MetalLB #603/#765) the heartbeats that did arrive are read
// before any peer is declared dead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>

#include "l1net/error.hpp"

namespace l1net::speaker {

class MeshTransport {
 public:
  virtual ~MeshTransport() = default;
  MeshTransport() = default;
  MeshTransport(const MeshTransport&) = delete;
  MeshTransport& operator=(const MeshTransport&) = delete;

  // Completes when a datagram can be read (success), or with operation_aborted after close().
  // Never throws.
  virtual boost::asio::awaitable<boost::system::error_code> waitReadable() = 0;
  // The next queued datagram into buf (truncated to buf's size), its size and sender; error
  // would_block when nothing is queued. Never blocks.
  virtual Result<std::size_t> tryReceive(std::span<std::uint8_t> buf,
                                         boost::asio::ip::udp::endpoint& from) noexcept = 0;
  // Sends one datagram now, or fails (would_block included). Never blocks.
  virtual Result<void> send(std::span<const std::uint8_t> bytes,
                            const boost::asio::ip::udp::endpoint& to) noexcept = 0;
  // Cancels waitReadable() and makes later calls fail. Idempotent.
  virtual void close() noexcept = 0;
  // The bound address (with the real port when 0 was asked).
  [[nodiscard]] virtual boost::asio::ip::udp::endpoint localEndpoint() const noexcept = 0;
};

// A non-blocking UDP socket bound to `bind` (SO_REUSEADDR off: two speakers on one port is a
// misconfiguration and must fail). An IPv6 bind address is dual-stack where the OS allows.
class UdpMeshTransport final : public MeshTransport {
 public:
  // Errors: the open/bind error from the OS (e.g. address in use, address not available).
  [[nodiscard]] static Result<std::unique_ptr<UdpMeshTransport>> open(
      const boost::asio::any_io_executor& ex, const boost::asio::ip::udp::endpoint& bind);
  ~UdpMeshTransport() override;

  boost::asio::awaitable<boost::system::error_code> waitReadable() override;
  Result<std::size_t> tryReceive(std::span<std::uint8_t> buf,
                                 boost::asio::ip::udp::endpoint& from) noexcept override;
  Result<void> send(std::span<const std::uint8_t> bytes,
                    const boost::asio::ip::udp::endpoint& to) noexcept override;
  void close() noexcept override;
  [[nodiscard]] boost::asio::ip::udp::endpoint localEndpoint() const noexcept override;

 private:
  explicit UdpMeshTransport(boost::asio::ip::udp::socket socket);

  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint local_;
};

}  // namespace l1net::speaker
