// Two real MeshService instances over UDP on 127.0.0.1 in one io_context. B reaches A through a
// relay socket the test controls, so it can capture B's datagrams and replay them, and inject
// forgeries from B's address.
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>

#include "l1net/speaker/mesh_membership.hpp"
#include "l1net/speaker/mesh_message.hpp"
#include "l1net/speaker/mesh_service.hpp"
#include "l1net/speaker/mesh_transport.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_until.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using udp = asio::ip::udp;
using l1net::speaker::MemberInfo;
using l1net::speaker::MemberState;
using l1net::speaker::MeshClock;
using l1net::speaker::MeshDrop;
using l1net::speaker::MeshKey;
using l1net::speaker::MeshService;
using l1net::speaker::MeshServiceOptions;
using l1net::speaker::UdpMeshTransport;
using l1net::testing::quietLogger;
using l1net::testing::runUntil;

// Loose enough for a loaded 2-core CI box; the dead time is what the assertions are about.
constexpr std::chrono::milliseconds kInterval{25};
constexpr unsigned kMultiplier = 5;
constexpr auto kDeadAfter = kInterval * kMultiplier;
const auto kLoopback = asio::ip::make_address("127.0.0.1");

MeshKey keyOf(const std::string& k) { return MeshKey{{k.begin(), k.end()}}; }

std::unique_ptr<UdpMeshTransport> openLoopback(asio::io_context& ioc, std::uint16_t port = 0) {
  auto t = UdpMeshTransport::open(ioc.get_executor(), udp::endpoint(kLoopback, port));
  REQUIRE(t.has_value());
  return std::move(*t);
}

MeshServiceOptions optionsFor(const std::string& self, std::uint64_t incarnation,
                              const std::string& peer, std::uint16_t peer_port) {
  MeshServiceOptions o;
  o.membership.self_name = self;
  o.membership.incarnation = incarnation;
  o.membership.timing.interval = kInterval;
  o.membership.timing.multiplier = kMultiplier;
  o.membership.peers = {{peer, kLoopback, peer_port}};
  o.key = keyOf("loopback-test-key-0123");
  return o;
}

std::optional<MemberInfo> peerInfo(const MeshService& svc, const std::string& name) {
  for (const auto& m : svc.members()) {
    if (m.name == name) {
      return m;
    }
  }
  return std::nullopt;
}

MemberState stateOf(const MeshService& svc, const std::string& name) {
  const auto m = peerInfo(svc, name);
  REQUIRE(m.has_value());
  return m->state;
}

}  // namespace

TEST_CASE("mesh over loopback: alive then replay and forgery then crash and restart and leave") {
  asio::io_context ioc;
  auto a_transport = openLoopback(ioc);
  auto b_transport = openLoopback(ioc);
  auto relay = openLoopback(ioc);
  const auto a_port = a_transport->localEndpoint().port();
  const auto b_port = b_transport->localEndpoint().port();
  const udp::endpoint a_ep(kLoopback, a_port);

  // A sends to B directly; B sends to A via the relay, which forwards and keeps copies.
  MeshService a(ioc.get_executor(), std::move(a_transport), optionsFor("a", 100, "b", b_port),
                quietLogger());
  auto b = std::make_unique<MeshService>(ioc.get_executor(), std::move(b_transport),
                                         optionsFor("b", 200, "a", relay->localEndpoint().port()),
                                         quietLogger());
  std::vector<std::vector<std::uint8_t>> captured;
  const auto pump = [&] {
    std::array<std::uint8_t, 2048> buf{};
    udp::endpoint from;
    for (auto n = relay->tryReceive(buf, from); n; n = relay->tryReceive(buf, from)) {
      const std::vector<std::uint8_t> bytes(buf.begin(), buf.begin() + static_cast<long>(*n));
      captured.push_back(bytes);
      CHECK(relay->send(bytes, a_ep).has_value());
    }
  };
  std::vector<l1net::speaker::MemberChange> a_changes;
  a.onChange([&](const auto& c) { a_changes.insert(a_changes.end(), c.begin(), c.end()); });

  a.start();
  b->start();
  const auto t_start = MeshClock::now();
  REQUIRE(runUntil(
      ioc,
      [&] {
        return a.candidates() == std::vector<std::string>{"a", "b"} &&
               b->candidates() == std::vector<std::string>{"a", "b"};
      },
      2s, pump));
  MESSAGE(
      "both alive after "
      << std::chrono::duration_cast<std::chrono::milliseconds>(MeshClock::now() - t_start).count()
      << " ms");
  CHECK(a.settled());
  CHECK(b->settled());
  // RTT shows up after a few rounds.
  CHECK(runUntil(
      ioc, [&] { return peerInfo(a, "b")->rtt_smoothed.has_value(); }, 1s, pump));

  SUBCASE("replayed capture and forged datagrams are dropped and counted") {
    REQUIRE_FALSE(captured.empty());
    CHECK(relay->send(captured.front(), a_ep).has_value());
    CHECK(runUntil(
        ioc, [&] { return a.stats().droppedFor(MeshDrop::kReplay) >= 1; }, 1s, pump));

    l1net::speaker::Membership forger(optionsFor("b", 200, "a", a_port).membership,
                                      keyOf("not-the-real-key-000"), MeshClock::now());
    for (const auto& o : forger.heartbeats(MeshClock::now())) {
      CHECK(relay->send(o.bytes, a_ep).has_value());
    }
    CHECK(runUntil(
        ioc, [&] { return a.stats().droppedFor(MeshDrop::kForged) >= 1; }, 1s, pump));
    CHECK(stateOf(a, "b") == MemberState::kAlive);
  }

  SUBCASE("a crashed peer is dead after multiplier x interval; forgeries do not keep it alive") {
    b->stop();  // no leave: silence, as after a crash
    const auto t_stop = MeshClock::now();
    l1net::speaker::Membership forger(optionsFor("b", 200, "a", a_port).membership,
                                      keyOf("not-the-real-key-000"), MeshClock::now());
    const auto forge = [&] {
      pump();
      for (const auto& o : forger.heartbeats(MeshClock::now())) {
        (void)relay->send(o.bytes, a_ep);
      }
    };
    REQUIRE(runUntil(
        ioc, [&] { return stateOf(a, "b") == MemberState::kDead; }, 2s, forge));
    const auto t_dead = MeshClock::now();
    const auto last_heard = peerInfo(a, "b")->last_heard;
    REQUIRE(last_heard.has_value());
    const auto silence = t_dead - *last_heard;
    MESSAGE(
        "dead " << std::chrono::duration_cast<std::chrono::milliseconds>(t_dead - t_stop).count()
                << " ms after the stop, "
                << std::chrono::duration_cast<std::chrono::milliseconds>(silence).count()
                << " ms after the last heartbeat");
    CHECK(silence >= kDeadAfter);
    CHECK(t_dead - t_stop >= kDeadAfter - kInterval - 5ms);  // last heartbeat <= 1 interval ago
    CHECK(t_dead - t_stop < 2s);
    CHECK(a.stats().droppedFor(MeshDrop::kForged) >= 1);
    CHECK(a.candidates() == std::vector<std::string>{"a"});
    REQUIRE_FALSE(a_changes.empty());
    CHECK(a_changes.back().name == "b");
    CHECK(a_changes.back().to == MemberState::kDead);
    CHECK(a_changes.back().affectsOwnership());

    // B restarts (new incarnation, same port) and is alive again; then it leaves gracefully.
    b.reset();
    b = std::make_unique<MeshService>(ioc.get_executor(), openLoopback(ioc, b_port),
                                      optionsFor("b", 201, "a", a_port), quietLogger());
    b->start();
    REQUIRE(runUntil(
        ioc, [&] { return stateOf(a, "b") == MemberState::kAlive; }, 2s, pump));
    CHECK(peerInfo(a, "b")->incarnation == 201);

    b->leave();
    const auto t_leave = MeshClock::now();
    REQUIRE(runUntil(
        ioc, [&] { return stateOf(a, "b") != MemberState::kAlive; }, 2s, pump));
    CHECK(stateOf(a, "b") == MemberState::kLeft);  // not a timeout: the leave arrived
    MESSAGE(
        "left after "
        << std::chrono::duration_cast<std::chrono::microseconds>(MeshClock::now() - t_leave).count()
        << " us");
    CHECK(a.candidates() == std::vector<std::string>{"a"});
  }

  a.stop();
  if (b) {
    b->stop();
  }
  ioc.run_for(10ms);
}
