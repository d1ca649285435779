// The c-ares transport on the Asio executor: answers from a loopback UDP DNS responder, and the
// executor keeps running other work while a query waits (a silent server).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "l1net/dnsd/io/dns_transport.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/run_coro.hpp"

namespace asio = boost::asio;
namespace dnsd = l1net::dnsd;
using asio::ip::udp;
using dnsd::RecordType;
using namespace std::chrono_literals;

namespace {

// Answers A/AAAA from a table (no answer = NXDOMAIN); when silent, reads and never answers.
class UdpDnsResponder {
 public:
  UdpDnsResponder(asio::io_context& ioc, bool silent)
      : sock_(ioc, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), silent_(silent) {
    receive();
  }
  [[nodiscard]] std::string server() const {
    return "127.0.0.1:" + std::to_string(sock_.local_endpoint().port());
  }
  std::map<std::pair<std::string, std::uint16_t>, std::vector<std::string>> table;
  std::size_t queries = 0;

 private:
  void receive() {
    sock_.async_receive_from(asio::buffer(buf_), peer_,
                             [this](const boost::system::error_code& ec, std::size_t n) {
                               if (ec) {
                                 return;
                               }
                               ++queries;
                               if (!silent_ && n > 12) {
                                 answer(n);
                               }
                               receive();
                             });
  }
  void answer(std::size_t n) {
    // Question name (labels) and type, right after the 12-byte header.
    std::string name;
    std::size_t i = 12;
    while (i < n && buf_.at(i) != 0) {
      const std::size_t len = buf_.at(i);
      if (!name.empty()) {
        name += '.';
      }
      name.append(reinterpret_cast<const char*>(&buf_.at(i + 1)), len);
      i += len + 1;
    }
    const std::size_t qend = i + 5;  // zero label, type, class
    if (qend > n) {
      return;
    }
    const auto qtype = static_cast<std::uint16_t>(buf_.at(i + 1) << 8 | buf_.at(i + 2));
    std::vector<std::uint8_t> out(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(qend));
    out[2] = 0x81;  // QR, RD
    out[3] = 0x80;  // RA, NOERROR
    out[6] = out[7] = out[8] = out[9] = out[10] = out[11] = 0;
    const auto it = table.find({name, qtype});
    if (it == table.end()) {
      out[3] = 0x83;  // NXDOMAIN
    } else {
      out[7] = static_cast<std::uint8_t>(it->second.size());
      for (const auto& ip : it->second) {
        const auto addr = asio::ip::make_address(ip);
        out.insert(out.end(), {0xC0, 0x0C, 0, static_cast<std::uint8_t>(qtype), 0, 1, 0, 0, 0, 0});
        if (addr.is_v4()) {
          const auto b = addr.to_v4().to_bytes();
          out.insert(out.end(), {0, 4});
          out.insert(out.end(), b.begin(), b.end());
        } else {
          const auto b = addr.to_v6().to_bytes();
          out.insert(out.end(), {0, 16});
          out.insert(out.end(), b.begin(), b.end());
        }
      }
    }
    sock_.send_to(asio::buffer(out), peer_);
  }

  udp::socket sock_;
  bool silent_;
  std::array<std::uint8_t, 512> buf_{};
  udp::endpoint peer_;
};

}  // namespace

TEST_CASE("CaresTransport answers through c-ares on the Asio executor") {
  asio::io_context ioc;
  UdpDnsResponder dns(ioc, false);
  dns.table[{"app.example.test", 1}] = {"192.0.2.7", "192.0.2.8"};
  dns.table[{"app.example.test", 28}] = {"2001:db8::7"};
  auto t = dnsd::makeCaresTransport(ioc.get_executor(), dns.server(), 500ms);
  for (int round = 0; round < 50; ++round) {  // channels are made and destroyed cleanly
    auto a = l1net::testing::runCoro(ioc, t->query("app.example.test", RecordType::kA), 5s);
    REQUIRE(a.has_value());
    std::sort(a->begin(), a->end());
    CHECK(*a == std::vector<std::string>{"192.0.2.7", "192.0.2.8"});
  }
  auto aaaa = l1net::testing::runCoro(ioc, t->query("app.example.test", RecordType::kAAAA), 5s);
  REQUIRE(aaaa.has_value());
  CHECK(*aaaa == std::vector<std::string>{"2001:db8::7"});
  auto none = l1net::testing::runCoro(ioc, t->query("gone.example.test", RecordType::kA), 5s);
  REQUIRE(none.has_value());
  CHECK(none->empty());  // NXDOMAIN is an empty answer, not an error
}

TEST_CASE("CaresTransport never blocks the executor: a silent server times out while work runs") {
  asio::io_context ioc;
  UdpDnsResponder silent(ioc, true);
  auto t = dnsd::makeCaresTransport(ioc.get_executor(), silent.server(), 300ms);
  // A ticker on the same single-threaded executor.
  std::size_t ticks = 0;
  bool stop = false;
  asio::steady_timer tick(ioc);
  std::function<void()> arm = [&] {
    tick.expires_after(10ms);
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (!ec && !stop) {
        ++ticks;
        arm();
      }
    });
  };
  arm();
  const auto t0 = std::chrono::steady_clock::now();
  auto r = l1net::testing::runCoro(ioc, t->query("app.example.test", RecordType::kA), 10s);
  const auto took = std::chrono::steady_clock::now() - t0;
  stop = true;
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error() == make_error_code(std::errc::timed_out));
  CHECK(silent.queries >= 2);  // c-ares tried again
  CHECK(took >= 500ms);        // 300 ms x 2 tries (c-ares' first timeout may be shorter)
  // The ticker ran all along: with a blocking query it could not have run at all.
  CHECK(ticks >= 10);
}
