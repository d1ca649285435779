// Failover: the pure decisions (tables), the sinks against a Speaker on fake sockets, then two
// Failover instances over real UDP on 127.0.0.1 in one io_context: settle, link health, silent
// crash, graceful leave, re-announcement on a join, peers from Node objects.
#include "l1net/speaker/io/failover.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <spdlog/logger.h>

#include "l1net/manifest/load.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/speaker/io/speaker.hpp"
#include "l1net/speaker/mesh_membership.hpp"
#include "l1net/speaker/mesh_service.hpp"
#include "l1net/speaker/mesh_transport.hpp"
#include "l1net/speaker/ownership_policy.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_frame_socket.hpp"
#include "l1net/testing/fake_netlink.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_until.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using udp = asio::ip::udp;
using l1net::speaker::Failover;
using l1net::speaker::MeshClock;
using l1net::speaker::MeshKey;
using l1net::speaker::MeshServiceOptions;
using l1net::speaker::OwnershipPolicy;
using l1net::speaker::UdpMeshTransport;
using l1net::testing::quietLogger;
using l1net::testing::runUntil;
using Names = std::vector<std::string>;

constexpr std::chrono::milliseconds kInterval{20};
constexpr unsigned kMultiplier = 10;  // 200 ms: "told at once" checks stay far below it under load
constexpr auto kDeadAfter = kInterval * kMultiplier;
const auto kLoopback = asio::ip::make_address("127.0.0.1");
// Peers derived from Node objects get this port: UDP discard, nothing listens.
constexpr std::uint16_t kUnusedPort = 9;

// One speaker's failover: the policies it was handed, in order.
struct Node {
  std::string name;
  std::unique_ptr<Failover> failover;
  std::vector<Names> policies;  // members() of each policy the sink received
  int reannounced = 0;

  [[nodiscard]] Names current() const { return policies.empty() ? Names{} : policies.back(); }
};

struct Pair {
  asio::io_context ioc;
  Node a{.name = "node-a"};
  Node b{.name = "node-b"};

  Pair() {
    auto ta = open();
    auto tb = open();
    const auto pa = ta->localEndpoint().port();
    const auto pb = tb->localEndpoint().port();
    make(a, std::move(ta), b.name, pb);
    make(b, std::move(tb), a.name, pa);
  }

  std::unique_ptr<UdpMeshTransport> open() {
    auto t = UdpMeshTransport::open(ioc.get_executor(), udp::endpoint(kLoopback, 0));
    REQUIRE(t.has_value());
    return std::move(*t);
  }

  void make(Node& n, std::unique_ptr<UdpMeshTransport> t, const std::string& peer,
            std::uint16_t peer_port) {
    MeshServiceOptions o;
    o.membership.self_name = n.name;
    o.membership.incarnation = 100;
    o.membership.timing.interval = kInterval;
    o.membership.timing.multiplier = kMultiplier;
    o.membership.peers = {{peer, kLoopback, peer_port}};
    const std::string key = "failover-test-key-0123";
    o.key = MeshKey{{key.begin(), key.end()}};
    Node* target = &n;
    n.failover = std::make_unique<Failover>(
        ioc.get_executor(), std::move(t), std::move(o),
        Failover::Options{.node = n.name, .mesh_port = kUnusedPort},
        Failover::Sinks{.policy =
                            [target](std::shared_ptr<const OwnershipPolicy> p) {
                              target->policies.push_back(p->members(target->name));
                            },
                        .reannounce = [target] { ++target->reannounced; }},
        quietLogger());
  }

  bool until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 2s) {
    return runUntil(ioc, pred, timeout);
  }
};

}  // namespace

TEST_CASE("failoverMembers") {
  struct Case {
    const char* name;
    bool settled;
    Names candidates;
    Names want;
  };
  const std::vector<Case> cases = {
      {"not settled: nobody", false, {"node-a", "node-b"}, {}},
      {"settled: the candidates", true, {"node-b", "node-a"}, {"node-a", "node-b"}},
      {"settled alone", true, {"node-a"}, {"node-a"}},
      {"settled, self ineligible and peers dead", true, {}, {}},
      {"duplicates collapse", true, {"node-a", "node-a"}, {"node-a"}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(l1net::speaker::failoverMembers(c.settled, c.candidates) == c.want); }
  }
}

TEST_CASE("memberJoined") {
  struct Case {
    const char* name;
    Names before;
    Names after;
    bool want;
  };
  const std::vector<Case> cases = {
      {"first settle is not a join", {}, {"node-a", "node-b"}, false},
      {"a peer came back", {"node-a"}, {"node-a", "node-b"}, true},
      {"a peer left", {"node-a", "node-b"}, {"node-a"}, false},
      {"one left, another joined", {"node-a", "node-b"}, {"node-a", "node-c"}, true},
      {"unchanged", {"node-a", "node-b"}, {"node-a", "node-b"}, false},
      {"self eligible again", {"node-b"}, {"node-a", "node-b"}, true},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(l1net::speaker::memberJoined(c.before, c.after) == c.want); }
  }
}

TEST_CASE("Failover: nobody until settled, then both agree on the live members") {
  Pair p;
  CHECK_FALSE(p.a.failover->applied().has_value());
  p.a.failover->start();
  REQUIRE(p.a.policies.size() == 1);
  CHECK(p.a.policies[0].empty());  // announce nothing while node-b is unknown
  p.b.failover->start();
  const Names both = {"node-a", "node-b"};
  REQUIRE(p.until([&] { return p.a.current() == both && p.b.current() == both; }));
  // Each change is applied once: the empty start policy, then the settled members.
  CHECK(p.a.policies.size() == 2);
  CHECK(p.a.failover->policyChanges() == 2);

  SUBCASE("members JSON lists self and the peer") {
    const auto j = p.a.failover->membersJson();
    REQUIRE(j.is_array());
    REQUIRE(j.as_array().size() == 2);
    CHECK(j.as_array()[0].as_object().at("name").as_string() == "node-a");
    CHECK(j.as_array()[1].as_object().at("state").as_string() == "alive");
  }

  CHECK(p.a.reannounced == 0);  // the first settle is not a join

  SUBCASE("every interface down: the node drops out everywhere, and comes back") {
    p.b.failover->setEligible(true);  // still eligible: no change
    CHECK(p.b.policies.size() == 2);
    p.b.failover->setEligible(false);
    CHECK_FALSE(p.b.failover->eligible());
    CHECK(p.b.current() == Names{"node-a"});  // at once, locally
    const auto t0 = MeshClock::now();
    REQUIRE(p.until([&] { return p.a.current() == Names{"node-a"}; }));
    CHECK(MeshClock::now() - t0 < kDeadAfter);  // told, not detected by silence
    p.b.failover->setEligible(true);
    REQUIRE(p.until([&] { return p.a.current() == both && p.b.current() == both; }));
    CHECK(p.a.reannounced == 1);  // node-b came back: node-a announces what it owns again
  }

  SUBCASE("silent crash: the survivor takes over after the dead time") {
    const auto t0 = MeshClock::now();
    p.b.failover->stop();
    REQUIRE(p.until([&] { return p.a.current() == Names{"node-a"}; }));
    const auto took = MeshClock::now() - t0;
    CHECK(took >= kDeadAfter - kInterval);  // not before the peer could be dead
  }

  SUBCASE("graceful leave: the survivor takes over without waiting for the dead time") {
    const auto t0 = MeshClock::now();
    p.b.failover->leave();
    REQUIRE(p.until([&] { return p.a.current() == Names{"node-a"}; }));
    CHECK(MeshClock::now() - t0 < kDeadAfter);
    p.b.failover->leave();  // idempotent
  }
}

TEST_CASE("Failover: peers follow Node objects") {
  Pair p;
  p.a.failover->start();
  p.b.failover->start();
  const Names both = {"node-a", "node-b"};
  REQUIRE(p.until([&] { return p.a.current() == both; }));

  l1net::manifest::Node self;
  self.meta.name = "node-a";
  self.addresses = {{"InternalIP", "127.0.0.1"}};
  l1net::manifest::Node other;
  other.meta.name = "node-c";
  other.addresses = {{"InternalIP", "127.0.0.3"}};
  l1net::manifest::Node bare;
  bare.meta.name = "node-d";  // no InternalIP: skipped

  // node-b has no Node object any more, node-c is new. node-a was settled before: the unknown
  // node-c is simply not a candidate (the running node does not withdraw while it waits).
  const std::vector<l1net::manifest::Node> nodes = {self, other, bare};
  p.a.failover->setNodes(nodes);
  const auto changes = p.a.failover->policyChanges();
  CHECK(p.a.current() == Names{"node-a"});
  const auto members = p.a.failover->mesh().members();
  REQUIRE(members.size() == 2);
  CHECK(members[1].name == "node-c");
  CHECK(members[1].state == l1net::speaker::MemberState::kUnknown);
  p.a.failover->setNodes(nodes);  // same peers: nothing happens
  CHECK(p.a.failover->policyChanges() == changes);
  REQUIRE(p.until([&] {
    return p.a.failover->mesh().members()[1].state == l1net::speaker::MemberState::kDead;
  }));
  CHECK(p.a.current() == Names{"node-a"});
  CHECK(p.a.failover->policyChanges() == changes);  // node-c never was a candidate
}

TEST_CASE("Failover: Kubernetes mode peers are the nodes running a speaker pod") {
  Pair p;
  p.a.failover->start();
  p.b.failover->start();
  const Names both = {"node-a", "node-b"};
  REQUIRE(p.until([&] { return p.a.current() == both; }));
  const auto node = [](const char* name, const char* ip) {
    l1net::manifest::Node n;
    n.meta.name = name;
    n.addresses = {{"InternalIP", ip}};
    return n;
  };
  const std::vector<l1net::manifest::Node> nodes = {
      node("node-a", "127.0.0.1"), node("node-c", "127.0.0.3"), node("node-e", "127.0.0.5")};
  const l1net::manifest::Labels labels = {{"app", "speaker"}};
  const auto pod = [&](const char* name, const char* on, const char* phase) {
    return l1net::speaker::SpeakerPod{name, "l1net-system", labels, on, phase};
  };
  // node-c runs a speaker, node-e only a pending one, node-b none any more.
  const std::vector<l1net::speaker::SpeakerPod> pods = {pod("sp-a", "node-a", "Running"),
                                                        pod("sp-c", "node-c", "Running"),
                                                        pod("sp-e", "node-e", "Pending")};
  p.a.failover->setSpeakerPods(pods, nodes, labels);
  const auto members = p.a.failover->mesh().members();
  REQUIRE(members.size() == 2);
  CHECK(members[0].name == "node-a");
  CHECK(members[1].name == "node-c");
  CHECK(members[1].address == asio::ip::make_address("127.0.0.3"));
  CHECK(p.a.current() == Names{"node-a"});  // node-b dropped; node-c unknown, not a candidate
  const auto changes = p.a.failover->policyChanges();
  p.a.failover->setSpeakerPods(pods, nodes, labels);  // same peers: nothing happens
  CHECK(p.a.failover->policyChanges() == changes);
}

TEST_CASE("failoverSinks: policies decide what the speaker announces, reannounce sends at once") {
  asio::io_context io;
  l1net::metrics::Registry registry;
  l1net::testing::FakeFrameSocketFactory sockets{io.get_executor()};
  l1net::testing::FakeNetlink netlink;
  auto now = l1net::speaker::Speaker::Clock::time_point(std::chrono::seconds(1000));
  l1net::speaker::Speaker::Options o;
  o.node = "node-a";
  o.now = [&now] { return now; };
  auto quiet = quietLogger("failover-test");
  l1net::speaker::Speaker speaker(io.get_executor(), sockets, registry,
                                  {.main = quiet, .l2 = quiet}, std::move(o));
  netlink.push({l1net::testing::makeLink(2, "eth0", "02:00:00:00:0a:01", {"198.51.100.10/24"})});
  netlink.start(
      [&speaker](const std::vector<l1net::speaker::Link>& links) { speaker.setLinks(links); });
  const auto sinks = l1net::speaker::failoverSinks(speaker);
  const auto vip = *l1net::net::parseIp("198.51.100.200");
  const auto policy = [](Names members) {
    return std::make_shared<l1net::speaker::RankedOwnershipPolicy>(std::move(members));
  };

  sinks.policy(policy({}));  // Failover::start(): nobody until the mesh settles
  auto loaded = l1net::manifest::loadManifestText(
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: lan, namespace: "
      "metallb-system}\nspec:\n  addresses: [198.51.100.200/29]\n---\n"
      "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: lan, namespace: "
      "metallb-system}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: "
      "demo}\nspec:\n  type: LoadBalancer\n  ports: [{port: 80, protocol: TCP}]\nstatus:\n  "
      "loadBalancer:\n    ingress:\n    - ip: \"198.51.100.200\"\n",
      "test.yaml");
  REQUIRE(loaded.ok());
  speaker.setManifests(std::move(loaded.set));
  CHECK_FALSE(speaker.owned().owns(vip));
  CHECK(sockets.opens == 0);

  // sha256 order for 198.51.100.200: node-b < node-a < node-c.
  sinks.policy(policy({"node-a", "node-c"}));
  REQUIRE(speaker.owned().owns(vip));
  auto eth0 = sockets.socket("eth0");
  REQUIRE(eth0);
  CHECK(eth0->sent.size() == 2);  // the gain's first round (ARP request + reply)

  now += std::chrono::seconds(10);  // past the burst; refresh (60 s) not yet due
  speaker.tick();
  eth0->clearSent();
  sinks.reannounce();
  CHECK(eth0->sent.size() == 2);  // a round at once

  sinks.policy(policy({"node-a", "node-b", "node-c"}));  // node-b is back and wins
  CHECK_FALSE(speaker.owned().owns(vip));
  eth0->clearSent();
  sinks.reannounce();
  CHECK(eth0->sent.empty());
  speaker.stop();
  io.restart();
  io.poll();
}
