#include "l1net/speaker/mesh_transport.hpp"

#include <exception>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace l1net::speaker {

namespace asio = boost::asio;

namespace {

// A dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d; peers are configured with plain
// IPv4 addresses, so unmap before anyone compares.
asio::ip::udp::endpoint unmapped(const asio::ip::udp::endpoint& ep) noexcept {
  try {
    const auto a = ep.address();
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
      const auto b = a.to_v6().to_bytes();
      return {asio::ip::address_v4(asio::ip::address_v4::bytes_type{b[12], b[13], b[14], b[15]}),
              ep.port()};
    }
  } catch (const std::exception&) {  // to_v6() cannot throw after is_v6(); keep noexcept honest
  }
  return ep;
}

}  // namespace

UdpMeshTransport::UdpMeshTransport(asio::ip::udp::socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ec;
  local_ = socket_.local_endpoint(ec);
}

UdpMeshTransport::~UdpMeshTransport() { close(); }

Result<std::unique_ptr<UdpMeshTransport>> UdpMeshTransport::open(
    const asio::any_io_executor& ex, const asio::ip::udp::endpoint& bind) {
  asio::ip::udp::socket socket(ex);
  boost::system::error_code ec;
  socket.open(bind.protocol(), ec);
  if (ec) {
    return ec;
  }
  if (bind.address().is_v6()) {
    socket.set_option(asio::ip::v6_only(false), ec);  // best effort: dual-stack
    ec.clear();
  }
  socket.bind(bind, ec);
  if (!ec) {
    socket.non_blocking(true, ec);
  }
  if (ec) {
    return ec;
  }
  return std::unique_ptr<UdpMeshTransport>(new UdpMeshTransport(std::move(socket)));
}

asio::awaitable<boost::system::error_code> UdpMeshTransport::waitReadable() {
  if (!socket_.is_open()) {
    co_return asio::error::operation_aborted;
  }
  auto [ec] = co_await socket_.async_wait(asio::ip::udp::socket::wait_read,
                                          asio::as_tuple(asio::use_awaitable));
  if (!socket_.is_open()) {
    co_return asio::error::operation_aborted;
  }
  co_return ec;
}

Result<std::size_t> UdpMeshTransport::tryReceive(std::span<std::uint8_t> buf,
                                                 asio::ip::udp::endpoint& from) noexcept {
  if (!socket_.is_open()) {
    return make_error_code(asio::error::bad_descriptor);
  }
  boost::system::error_code ec;
  asio::ip::udp::endpoint sender;
  const auto n = socket_.receive_from(asio::buffer(buf.data(), buf.size()), sender, 0, ec);
  if (ec) {
    return ec;
  }
  from = unmapped(sender);
  return n;
}

Result<void> UdpMeshTransport::send(std::span<const std::uint8_t> bytes,
                                    const asio::ip::udp::endpoint& to) noexcept {
  if (!socket_.is_open()) {
    return make_error_code(asio::error::bad_descriptor);
  }
  auto dest = to;
  if (local_.address().is_v6() && to.address().is_v4()) {
    dest = asio::ip::udp::endpoint(
        asio::ip::make_address_v6(asio::ip::v4_mapped, to.address().to_v4()), to.port());
  }
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(bytes.data(), bytes.size()), dest, 0, ec);
  if (ec) {
    return ec;
  }
  return {};
}

void UdpMeshTransport::close() noexcept {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

asio::ip::udp::endpoint UdpMeshTransport::localEndpoint() const noexcept { return local_; }

}  // namespace l1net::speaker
