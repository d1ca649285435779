#include "l1net/speaker/mesh_membership.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using l1net::speaker::MemberChange;
using l1net::speaker::MemberInfo;
using l1net::speaker::Membership;
using l1net::speaker::MembershipConfig;
using l1net::speaker::MemberState;
using l1net::speaker::MeshDrop;
using l1net::speaker::MeshKey;
using l1net::speaker::MeshMessage;
using l1net::speaker::MeshMessageType;
using l1net::speaker::MeshOutgoing;
using l1net::speaker::MeshPeer;
using l1net::speaker::MeshTime;

const MeshTime kT0 = MeshTime{} + 1000s;  // the steady clock's epoch is boot; any base works
constexpr std::chrono::milliseconds kInterval{100};

MeshKey testKey() {
  const std::string k = "0123456789abcdef";
  return MeshKey{{k.begin(), k.end()}};
}

boost::asio::ip::address ipOf(const std::string& name) {
  return make_address(name == "a" ? "127.0.0.1" : name == "b" ? "127.0.0.2" : "127.0.0.3");
}

MembershipConfig configFor(const std::string& self, std::uint64_t incarnation,
                           const std::vector<std::string>& peers = {"a", "b", "c"}) {
  MembershipConfig cfg;
  cfg.self_name = self;
  cfg.incarnation = incarnation;
  cfg.timing.interval = kInterval;
  cfg.timing.multiplier = 5;
  for (const auto& p : peers) {
    cfg.peers.push_back({p, ipOf(p), 7947});
  }
  return cfg;
}

Membership make(const std::string& self, std::uint64_t incarnation, MeshTime now = kT0,
                MeshKey key = testKey()) {
  return Membership(configFor(self, incarnation, {"a", "b"}), std::move(key), now);
}

// The datagram `from` addresses to `to` in one heartbeats() (or leaves()) round.
std::vector<std::uint8_t> datagramTo(std::vector<MeshOutgoing> round, const std::string& to) {
  for (auto& o : round) {
    if (o.peer == to) {
      return std::move(o.bytes);
    }
  }
  FAIL("no datagram for " << to);
  return {};
}

l1net::speaker::MeshReceive send(Membership& from, Membership& to, MeshTime now) {
  return to.onDatagram(datagramTo(from.heartbeats(now), to.selfName()), ipOf(from.selfName()), now);
}

// a and b, both past the handshake and alive to each other at kT0 + 2 ms.
struct Pair {
  Membership a = make("a", 100);
  Membership b = make("b", 200);
  Pair() {
    CHECK(send(a, b, kT0).drop == MeshDrop::kHandshake);  // a has not heard b yet
    CHECK(send(b, a, kT0 + 1ms).drop == MeshDrop::kNone);
    CHECK(send(a, b, kT0 + 2ms).drop == MeshDrop::kNone);
  }
};

MemberInfo infoOf(const Membership& m, const std::string& name) {
  for (const auto& i : m.members()) {
    if (i.name == name) {
      return i;
    }
  }
  FAIL("no member " << name);
  return {};
}

}  // namespace

TEST_CASE("Membership: handshake makes both sides alive within two messages") {
  Membership a = make("a", 100);
  Membership b = make("b", 200);
  CHECK_FALSE(a.settled());
  CHECK(a.candidates() == std::vector<std::string>{"a"});

  const auto first = send(a, b, kT0);
  CHECK(first.drop == MeshDrop::kHandshake);
  CHECK_FALSE(first.change.has_value());
  CHECK(infoOf(b, "a").state == MemberState::kUnknown);

  const auto second = send(b, a, kT0 + 1ms);  // b learnt a's incarnation from the first
  CHECK(second.drop == MeshDrop::kNone);
  REQUIRE(second.change.has_value());
  CHECK(*second.change ==
        MemberChange{"b", MemberState::kUnknown, MemberState::kAlive, false, true, false});
  CHECK(a.settled());
  CHECK(a.candidates() == std::vector<std::string>{"a", "b"});

  CHECK(send(a, b, kT0 + 2ms).drop == MeshDrop::kNone);
  CHECK(b.candidates() == std::vector<std::string>{"a", "b"});
  const auto info = infoOf(b, "a");
  CHECK(info.incarnation == 100);
  CHECK(info.accepted == 1);
  CHECK(info.rejected == 1);  // the handshake drop
  CHECK(info.last_heard == kT0 + 2ms);
}

TEST_CASE("Membership: silence moves alive -> suspect -> dead at exact deadlines") {
  struct Case {
    const char* name;
    std::chrono::nanoseconds silence;  // since a's last accepted message at kT0 + 2 ms
    MemberState want;
    bool candidate;
  };
  const std::vector<Case> cases = {
      {"just heard", 0ns, MemberState::kAlive, true},
      {"one interval", kInterval, MemberState::kAlive, true},
      {"just under two", 2 * kInterval - 1ns, MemberState::kAlive, true},
      {"two intervals: suspect, still a candidate", 2 * kInterval, MemberState::kSuspect, true},
      {"just under five", 5 * kInterval - 1ns, MemberState::kSuspect, true},
      {"five intervals: dead", 5 * kInterval, MemberState::kDead, false},
      {"much later", 60s, MemberState::kDead, false},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Pair p;
      const auto changes = p.b.tick(kT0 + 2ms + c.silence);
      CHECK(infoOf(p.b, "a").state == c.want);
      CHECK(infoOf(p.b, "a").candidate == c.candidate);
      if (c.want == MemberState::kAlive) {
        CHECK(changes.empty());
      } else {
        REQUIRE(changes.size() == 1);
        CHECK(changes[0].from == MemberState::kAlive);  // a sparse tick may skip suspect
        CHECK(changes[0].to == c.want);
        CHECK(changes[0].affectsOwnership() == !c.candidate);
      }
    }
  }
}

TEST_CASE("Membership: nextDeadline is exact and a heartbeat resets it") {
  Pair p;
  CHECK(p.b.nextDeadline() == kT0 + 2ms + 2 * kInterval);
  CHECK(p.b.tick(kT0 + 2ms + 2 * kInterval).size() == 1);  // suspect
  CHECK(p.b.nextDeadline() == kT0 + 2ms + 5 * kInterval);
  const auto back = send(p.a, p.b, kT0 + 300ms);
  REQUIRE(back.change.has_value());
  CHECK(back.change->from == MemberState::kSuspect);
  CHECK(back.change->to == MemberState::kAlive);
  CHECK_FALSE(back.change->affectsOwnership());
  CHECK(p.b.nextDeadline() == kT0 + 300ms + 2 * kInterval);
  CHECK(p.b.tick(kT0 + 300ms + 5 * kInterval).size() == 1);  // dead
  CHECK_FALSE(p.b.nextDeadline().has_value());
}

TEST_CASE("Membership: an unheard peer turns dead after the dead time and then it is settled") {
  Membership a = make("a", 100);
  CHECK(a.nextDeadline() == kT0 + 5 * kInterval);
  CHECK(a.tick(kT0 + 5 * kInterval - 1ns).empty());
  CHECK_FALSE(a.settled());
  const auto changes = a.tick(kT0 + 5 * kInterval);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0] ==
        MemberChange{"b", MemberState::kUnknown, MemberState::kDead, false, false, false});
  CHECK(a.settled());
}

TEST_CASE("Membership: drop reasons") {
  // Each case starts from an established pair (b has accepted a's sequence N, incarnation 100)
  // and hands b one message built from `base` (the next a -> b heartbeat) after `edit`.
  struct Case {
    const char* name;
    void (*edit)(MeshMessage&, std::uint64_t last_sequence);
    const char* from_ip;
    MeshDrop want;
  };
  const std::vector<Case> cases = {
      {"valid", [](MeshMessage&, std::uint64_t) {}, "127.0.0.1", MeshDrop::kNone},
      {"claims to be us", [](MeshMessage& m, std::uint64_t) { m.from = "b"; }, "127.0.0.1",
       MeshDrop::kSelf},
      {"addressed to c", [](MeshMessage& m, std::uint64_t) { m.to = "c"; }, "127.0.0.1",
       MeshDrop::kNotForUs},
      {"unknown sender", [](MeshMessage& m, std::uint64_t) { m.from = "z"; }, "127.0.0.1",
       MeshDrop::kUnknownNode},
      {"wrong source address", [](MeshMessage&, std::uint64_t) {}, "127.0.0.9",
       MeshDrop::kAddressMismatch},
      {"older incarnation", [](MeshMessage& m, std::uint64_t) { m.incarnation = 99; }, "127.0.0.1",
       MeshDrop::kStale},
      {"same sequence again", [](MeshMessage& m, std::uint64_t last) { m.sequence = last; },
       "127.0.0.1", MeshDrop::kReplay},
      {"older sequence", [](MeshMessage& m, std::uint64_t) { m.sequence = 0; }, "127.0.0.1",
       MeshDrop::kReplay},
      {"names an old incarnation of b",
       [](MeshMessage& m, std::uint64_t) { m.to_incarnation = 199; }, "127.0.0.1",
       MeshDrop::kHandshake},
      {"newer incarnation, lower sequence",
       [](MeshMessage& m, std::uint64_t) {
         m.incarnation = 101;
         m.sequence = 1;
       },
       "127.0.0.1", MeshDrop::kNone},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Pair p;
      // Decode the real next heartbeat so the fields are the ones a would send.
      const auto bytes = datagramTo(p.a.heartbeats(kT0 + 10ms), "b");
      auto msg = l1net::speaker::decodeMeshMessage(bytes, testKey()).value();
      c.edit(msg, infoOf(p.b, "a").sequence);
      const auto got = p.b.onMessage(msg, make_address(c.from_ip), kT0 + 10ms);
      CHECK(got.drop == c.want);
      CHECK_FALSE(got.change.has_value());  // a was alive and stays so (or nothing happened)
      CHECK(infoOf(p.b, "a").state == MemberState::kAlive);
    }
  }
}

TEST_CASE("Membership: source check can be turned off") {
  auto cfg = configFor("b", 200, {"a", "b"});
  cfg.verify_source_ip = false;
  Membership b(cfg, testKey(), kT0);
  Membership a = make("a", 100);
  CHECK(send(a, b, kT0).drop == MeshDrop::kHandshake);
  CHECK(send(b, a, kT0).drop == MeshDrop::kNone);
  const auto bytes = datagramTo(a.heartbeats(kT0 + 1ms), "b");
  CHECK(b.onDatagram(bytes, make_address("127.0.0.9"), kT0 + 1ms).drop == MeshDrop::kNone);
}

TEST_CASE("Membership: forged or replayed datagrams never revive a dead peer") {
  Pair p;
  const auto captured = datagramTo(p.a.heartbeats(kT0 + 50ms), "b");
  CHECK(p.b.onDatagram(captured, ipOf("a"), kT0 + 50ms).drop == MeshDrop::kNone);
  CHECK(p.b.tick(kT0 + 50ms + 5 * kInterval).size() == 1);
  REQUIRE(infoOf(p.b, "a").state == MemberState::kDead);

  struct Case {
    const char* name;
    std::vector<std::uint8_t> bytes;
    MeshDrop want;
  };
  auto wrong_key = make(
      "a", 100, kT0,
      MeshKey{{'w', 'r', 'o', 'n', 'g', '-', 'k', 'e', 'y', '-', '0', '1', '2', '3', '4', '5'}});
  auto insecure = make("a", 100, kT0, MeshKey{});
  const std::vector<Case> cases = {
      {"wrong key", datagramTo(wrong_key.heartbeats(kT0 + 1s), "b"), MeshDrop::kForged},
      {"insecure sender", datagramTo(insecure.heartbeats(kT0 + 1s), "b"), MeshDrop::kAuthMismatch},
      {"replayed capture", captured, MeshDrop::kReplay},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      CHECK(p.b.onDatagram(c.bytes, ipOf("a"), kT0 + 1s).drop == c.want);
      CHECK(infoOf(p.b, "a").state == MemberState::kDead);
      CHECK(p.b.candidates() == std::vector<std::string>{"b"});
    }
  }
}

TEST_CASE("Membership: captures cannot be replayed to another node or to a restarted receiver") {
  Pair p;
  const auto captured = datagramTo(p.a.heartbeats(kT0 + 10ms), "b");
  auto c = Membership(configFor("c", 300), testKey(), kT0);
  CHECK(c.onDatagram(captured, ipOf("a"), kT0 + 11ms).drop == MeshDrop::kNotForUs);

  Membership b2 = make("b", 201, kT0 + 20ms);  // b restarted
  CHECK(b2.onDatagram(captured, ipOf("a"), kT0 + 21ms).drop == MeshDrop::kHandshake);
  CHECK(infoOf(b2, "a").state == MemberState::kUnknown);
  // The live a hears b2 and is accepted from its next heartbeat on.
  CHECK(send(b2, p.a, kT0 + 30ms).drop == MeshDrop::kNone);
  CHECK(send(p.a, b2, kT0 + 40ms).drop == MeshDrop::kNone);
  CHECK(infoOf(b2, "a").state == MemberState::kAlive);
}

TEST_CASE("Membership: leave marks left at once; a restart comes back") {
  Pair p;
  const auto leaves = p.a.leaves(kT0 + 10ms);
  const auto leave = datagramTo(leaves, "b");
  const auto got = p.b.onDatagram(leave, ipOf("a"), kT0 + 10ms);
  CHECK(got.drop == MeshDrop::kNone);
  REQUIRE(got.change.has_value());
  CHECK(*got.change ==
        MemberChange{"a", MemberState::kAlive, MemberState::kLeft, true, false, false});
  CHECK(p.b.candidates() == std::vector<std::string>{"b"});
  CHECK_FALSE(p.b.nextDeadline().has_value());
  CHECK(p.b.tick(kT0 + 10s).empty());  // left stays left

  // The second and third copies are accepted silently; a late heartbeat is stale.
  for (int i = 0; i < 2; ++i) {
    const auto again =
        p.b.onDatagram(datagramTo(p.a.leaves(kT0 + 11ms), "b"), ipOf("a"), kT0 + 11ms);
    CHECK(again.drop == MeshDrop::kNone);
    CHECK_FALSE(again.change.has_value());
  }
  CHECK(send(p.a, p.b, kT0 + 12ms).drop == MeshDrop::kStale);
  CHECK(infoOf(p.b, "a").state == MemberState::kLeft);

  // a restarts with a larger incarnation.
  Membership a2 = make("a", 101, kT0 + 1s);
  CHECK(send(a2, p.b, kT0 + 1s).drop == MeshDrop::kHandshake);
  CHECK(send(p.b, a2, kT0 + 1s + 1ms).drop == MeshDrop::kNone);
  const auto back = send(a2, p.b, kT0 + 1s + 2ms);
  CHECK(back.drop == MeshDrop::kNone);
  REQUIRE(back.change.has_value());
  CHECK(back.change->to == MemberState::kAlive);
  CHECK(back.change->affectsOwnership());
  CHECK(infoOf(p.b, "a").incarnation == 101);
  // The old incarnation is stale from now on.
  CHECK(send(p.a, p.b, kT0 + 1s + 3ms).drop == MeshDrop::kStale);
}

TEST_CASE("Membership: eligibility") {
  Pair p;
  CHECK_FALSE(p.a.setEligible(true).has_value());  // unchanged
  const auto self_change = p.a.setEligible(false);
  REQUIRE(self_change.has_value());
  CHECK(*self_change ==
        MemberChange{"a", MemberState::kAlive, MemberState::kAlive, true, false, false});
  CHECK(p.a.candidates() == std::vector<std::string>{"b"});

  const auto got = send(p.a, p.b, kT0 + 10ms);
  REQUIRE(got.change.has_value());
  CHECK(*got.change ==
        MemberChange{"a", MemberState::kAlive, MemberState::kAlive, true, false, false});
  CHECK(p.b.candidates() == std::vector<std::string>{"b"});
  CHECK(infoOf(p.b, "a").state == MemberState::kAlive);
  CHECK_FALSE(infoOf(p.b, "a").eligible);

  CHECK_FALSE(send(p.a, p.b, kT0 + 20ms).change.has_value());  // no change, no event
  REQUIRE(p.a.setEligible(true).has_value());
  const auto again = send(p.a, p.b, kT0 + 30ms);
  REQUIRE(again.change.has_value());
  CHECK(again.change->candidate_after);
  CHECK(p.b.candidates() == std::vector<std::string>{"a", "b"});
}

TEST_CASE("Membership: round-trip time from echoed timestamps") {
  Pair p;  // a accepted b's message sent at kT0 + 1 ms
  // b -> a at T+10ms; a holds it 25 ms, then a -> b at T+35ms arrives at T+38ms:
  // RTT = 38 - 10 - 25 = 3 ms (the 25 ms hold is not network time).
  CHECK(p.a.onDatagram(datagramTo(p.b.heartbeats(kT0 + 10ms), "a"), ipOf("b"), kT0 + 11ms).drop ==
        MeshDrop::kNone);
  CHECK(p.b.onDatagram(datagramTo(p.a.heartbeats(kT0 + 36ms), "b"), ipOf("a"), kT0 + 38ms).drop ==
        MeshDrop::kNone);
  const auto info = infoOf(p.b, "a");
  REQUIRE(info.rtt_last.has_value());
  CHECK(*info.rtt_last == 3ms);
  REQUIRE(info.rtt_smoothed.has_value());
}

TEST_CASE("Membership: setPeers adds and keeps and removes peers") {
  Pair p;
  auto cfg = configFor("b", 200, {"a", "c"});
  cfg.peers[0].port = 9000;  // a moved port: keeps its state
  const auto changes = p.b.setPeers(cfg.peers, kT0 + 5ms);
  REQUIRE(changes.has_value());
  REQUIRE(changes->size() == 1);
  CHECK((*changes)[0] ==
        MemberChange{"c", MemberState::kUnknown, MemberState::kUnknown, false, false, false});
  CHECK(infoOf(p.b, "a").state == MemberState::kAlive);
  CHECK(infoOf(p.b, "a").port == 9000);
  CHECK_FALSE(p.b.settled());

  const auto removed = p.b.setPeers({{"c", ipOf("c"), 7947}}, kT0 + 6ms);
  REQUIRE(removed.has_value());
  REQUIRE(removed->size() == 1);
  CHECK((*removed)[0] ==
        MemberChange{"a", MemberState::kAlive, MemberState::kAlive, true, false, true});
  CHECK((*removed)[0].affectsOwnership());
  CHECK(p.b.candidates() == std::vector<std::string>{"b"});

  const auto dup = p.b.setPeers({{"c", ipOf("c"), 1}, {"c", ipOf("c"), 2}}, kT0 + 7ms);
  CHECK_FALSE(dup.has_value());
  CHECK(p.b.members().size() == 2);  // unchanged: self + c
}

TEST_CASE("validateMembershipConfig") {
  struct Case {
    const char* name;
    void (*edit)(MembershipConfig&);
    bool ok;
  };
  const std::vector<Case> cases = {
      {"default (self is among the peers)", [](MembershipConfig&) {}, true},
      {"empty self", [](MembershipConfig& c) { c.self_name.clear(); }, false},
      {"zero interval", [](MembershipConfig& c) { c.timing.interval = 0ms; }, false},
      {"multiplier 1", [](MembershipConfig& c) { c.timing.multiplier = 1; }, false},
      {"multiplier 2", [](MembershipConfig& c) { c.timing.multiplier = 2; }, true},
      {"duplicate peer", [](MembershipConfig& c) { c.peers.push_back(c.peers[1]); }, false},
      {"long peer name", [](MembershipConfig& c) { c.peers[1].name = std::string(254, 'x'); },
       false},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto cfg = configFor("a", 1);
      c.edit(cfg);
      CHECK(l1net::speaker::validateMembershipConfig(cfg).has_value() == c.ok);
    }
  }
  auto bad = configFor("a", 1);
  bad.timing.multiplier = 1;
  CHECK_THROWS_AS(Membership(bad, testKey(), kT0), std::invalid_argument);
}

TEST_CASE("MeshTiming: suspect stays below dead") {
  l1net::speaker::MeshTiming t{100ms, 2, 2};
  CHECK(t.deadAfter() == 200ms);
  CHECK(t.suspectAfter() == 100ms);
  t.multiplier = 10;
  t.suspect_multiplier = 3;
  CHECK(t.suspectAfter() == 300ms);
}

TEST_CASE("parseMeshPeer") {
  struct Case {
    const char* text;
    std::optional<MeshPeer> want;
    l1net::Errc err{};
  };
  const std::vector<Case> cases = {
      {"b=127.0.0.1:7948", MeshPeer{"b", make_address("127.0.0.1"), 7948}},
      {"b=127.0.0.1", MeshPeer{"b", make_address("127.0.0.1"), 7947}},
      {"c=[::1]:7949", MeshPeer{"c", make_address("::1"), 7949}},
      {"c=[::1]", MeshPeer{"c", make_address("::1"), 7947}},
      {"c=::1", MeshPeer{"c", make_address("::1"), 7947}},
      {"no-equals", std::nullopt, l1net::Errc::kInvalidArgument},
      {"=127.0.0.1:1", std::nullopt, l1net::Errc::kInvalidArgument},
      {"b=127.0.0.1:", std::nullopt, l1net::Errc::kInvalidArgument},
      {"b=127.0.0.1:0", std::nullopt, l1net::Errc::kInvalidArgument},
      {"b=127.0.0.1:65536", std::nullopt, l1net::Errc::kInvalidArgument},
      {"b=127.0.0.1:7x", std::nullopt, l1net::Errc::kInvalidArgument},
      {"b=host:7947", std::nullopt, l1net::Errc::kInvalidAddress},
      {"b=[::1", std::nullopt, l1net::Errc::kInvalidAddress},
      {"b=[::1]x", std::nullopt, l1net::Errc::kInvalidArgument},
  };
  for (const auto& c : cases) {
    SUBCASE(c.text) {
      const auto got = l1net::speaker::parseMeshPeer(c.text);
      if (c.want) {
        REQUIRE(got.has_value());
        CHECK(*got == *c.want);
      } else {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == make_error_code(c.err));
      }
    }
  }
}

TEST_CASE("meshPeersFromNodes") {
  const auto node = [](std::string name, std::vector<l1net::manifest::NodeAddress> addrs) {
    l1net::manifest::Node n;
    n.meta.name = std::move(name);
    n.addresses = std::move(addrs);
    return n;
  };
  const std::vector<l1net::manifest::Node> nodes = {
      node("self", {{"InternalIP", "127.0.0.1"}}),
      node("b", {{"Hostname", "b"}, {"InternalIP", "::1"}, {"InternalIP", "127.0.0.2"}}),
      node("c", {{"InternalIP", "::1"}}),
      node("d", {{"ExternalIP", "127.0.0.4"}}),
      node("e", {{"InternalIP", "not-an-ip"}}),
      node("f", {{"InternalIP", "127.0.0.6"}}),
  };
  const std::vector<MeshPeer> overrides = {{"f", make_address("127.0.0.1"), 8000},
                                           {"g", make_address("127.0.0.1"), 8001},
                                           {"self", make_address("127.0.0.1"), 1}};
  const auto got = l1net::speaker::meshPeersFromNodes(nodes, "self", 7000, overrides);
  const std::vector<MeshPeer> want = {
      {"b", make_address("127.0.0.2"), 7000},  // IPv4 preferred
      {"c", make_address("::1"), 7000},
      {"f", make_address("127.0.0.1"), 8000},
      {"g", make_address("127.0.0.1"), 8001},
  };
  CHECK(got.peers == want);
  CHECK(got.skipped == std::vector<std::string>{"d", "e"});
}

TEST_CASE(
    "Membership: a dead peer may come back with a smaller incarnation if it proves it is live") {
  struct Case {
    const char* name;
    std::chrono::milliseconds reply_after;  // how long the restarted a holds b's heartbeat
    MeshDrop want;
  };
  const std::vector<Case> cases = {
      {"echo within the dead time", 100ms, MeshDrop::kNone},
      {"echo older than the dead time", 600ms, MeshDrop::kStale},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Pair p;
      CHECK(p.b.tick(kT0 + 1s).size() == 1);    // a crashed: dead
      Membership a2 = make("a", 50, kT0 + 2s);  // its clock stepped back
      CHECK(send(a2, p.b, kT0 + 2s).drop == MeshDrop::kStale);
      CHECK(send(p.b, a2, kT0 + 2s + 1ms).drop == MeshDrop::kNone);  // b names incarnation 50
      const auto got = send(a2, p.b, kT0 + 2s + 1ms + c.reply_after);
      CHECK(got.drop == c.want);
      CHECK(infoOf(p.b, "a").state ==
            (c.want == MeshDrop::kNone ? MemberState::kAlive : MemberState::kDead));
      if (c.want == MeshDrop::kNone) {
        CHECK(infoOf(p.b, "a").incarnation == 50);
        CHECK(send(a2, p.b, kT0 + 2s + 200ms).drop == MeshDrop::kNone);
      }
    }
  }
}

TEST_CASE("Membership: a live peer's smaller incarnation is stale even with a fresh echo") {
  Pair p;
  Membership a_old = make("a", 99, kT0);
  CHECK(send(p.b, a_old, kT0 + 3ms).drop == MeshDrop::kHandshake);  // b named a's 100
  CHECK(send(a_old, p.b, kT0 + 4ms).drop == MeshDrop::kStale);
  CHECK(infoOf(p.b, "a").incarnation == 100);
}
