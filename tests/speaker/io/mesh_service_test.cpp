// MeshService against a fake transport (no sockets), plus start-up configuration.
#include "l1net/speaker/mesh_service.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/program_options.hpp>
#include <spdlog/logger.h>

#include "l1net/metrics/registry.hpp"
#include "l1net/speaker/mesh_membership.hpp"
#include "l1net/speaker/mesh_message.hpp"
#include "l1net/speaker/mesh_transport.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using udp = asio::ip::udp;
using l1net::speaker::MemberChange;
using l1net::speaker::Membership;
using l1net::speaker::MembershipConfig;
using l1net::speaker::MemberState;
using l1net::speaker::MeshDrop;
using l1net::speaker::MeshKey;
using l1net::speaker::MeshMessageType;
using l1net::speaker::MeshService;
using l1net::speaker::MeshServiceOptions;
using l1net::testing::quietLogger;

// The fake UDP socket: the test injects datagrams and reads what the service sent. State is
// shared so the test keeps a handle after the service took the transport.
struct FakeNet {
  struct Datagram {
    std::vector<std::uint8_t> bytes;
    udp::endpoint peer;
  };
  std::deque<Datagram> inbox;
  std::vector<Datagram> sent;
  int fail_sends = 0;  // the next N sends fail (Beast's fail_count idea)
  bool open = true;
  asio::steady_timer* signal = nullptr;
};

class FakeMeshTransport final : public l1net::speaker::MeshTransport {
 public:
  FakeMeshTransport(asio::any_io_executor ex, std::shared_ptr<FakeNet> net)
      : net_(std::move(net)), signal_(std::move(ex)) {
    net_->signal = &signal_;
  }
  ~FakeMeshTransport() override { net_->signal = nullptr; }

  asio::awaitable<boost::system::error_code> waitReadable() override {
    for (;;) {
      if (!net_->open) {
        co_return asio::error::operation_aborted;
      }
      if (!net_->inbox.empty()) {
        co_return boost::system::error_code{};
      }
      signal_.expires_at(asio::steady_timer::time_point::max());
      co_await signal_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  l1net::Result<std::size_t> tryReceive(std::span<std::uint8_t> buf,
                                        udp::endpoint& from) noexcept override {
    if (!net_->open) {
      return make_error_code(asio::error::bad_descriptor);
    }
    if (net_->inbox.empty()) {
      return make_error_code(asio::error::would_block);
    }
    auto d = std::move(net_->inbox.front());
    net_->inbox.pop_front();
    const auto n = std::min(buf.size(), d.bytes.size());
    std::copy_n(d.bytes.begin(), n, buf.begin());
    from = d.peer;
    return n;
  }
  l1net::Result<void> send(std::span<const std::uint8_t> bytes,
                           const udp::endpoint& to) noexcept override {
    if (!net_->open) {
      return make_error_code(asio::error::bad_descriptor);
    }
    if (net_->fail_sends > 0) {
      --net_->fail_sends;
      return make_error_code(asio::error::no_buffer_space);
    }
    net_->sent.push_back({{bytes.begin(), bytes.end()}, to});
    return {};
  }
  void close() noexcept override {
    net_->open = false;
    signal_.cancel();
  }
  [[nodiscard]] udp::endpoint localEndpoint() const noexcept override {
    return {asio::ip::make_address("127.0.0.1"), 7947};
  }

 private:
  std::shared_ptr<FakeNet> net_;
  asio::steady_timer signal_;
};

MeshKey testKey() {
  const std::string k = "0123456789abcdef";
  return MeshKey{{k.begin(), k.end()}};
}

const udp::endpoint kEndpointA{asio::ip::make_address("127.0.0.1"), 7947};
const udp::endpoint kEndpointB{asio::ip::make_address("127.0.0.2"), 7947};
const udp::endpoint kEndpointC{asio::ip::make_address("127.0.0.3"), 7947};

MembershipConfig configFor(const std::string& self, std::uint64_t incarnation,
                           std::chrono::milliseconds interval = 10s) {
  MembershipConfig cfg;
  cfg.self_name = self;
  cfg.incarnation = incarnation;
  cfg.timing.interval = interval;
  cfg.peers = {{"a", kEndpointA.address(), 7947},
               {"b", kEndpointB.address(), 7947},
               {"c", kEndpointC.address(), 7947}};
  return cfg;
}

// Service "a" on a fake transport; the interval is long so only start() and explicit actions
// send. Peer "b" is played by a pure Membership.
struct Harness {
  asio::io_context ioc;
  std::shared_ptr<FakeNet> net = std::make_shared<FakeNet>();
  MeshService svc;
  Membership b{configFor("b", 200), testKey(), l1net::speaker::MeshClock::now()};
  std::vector<MemberChange> changes;

  explicit Harness(unsigned leave_copies = 3)
      : svc(ioc.get_executor(), std::make_unique<FakeMeshTransport>(ioc.get_executor(), net),
            MeshServiceOptions{configFor("a", 100), testKey(), leave_copies}, quietLogger()) {
    svc.onChange([this](const std::vector<MemberChange>& c) {
      changes.insert(changes.end(), c.begin(), c.end());
    });
  }

  void inject(std::vector<std::uint8_t> bytes, udp::endpoint from = kEndpointB) {
    net->inbox.push_back({std::move(bytes), from});
    if (net->signal != nullptr) {
      net->signal->cancel();
    }
    ioc.poll();
  }

  // What a sent to b most recently, decoded as b would.
  std::vector<std::uint8_t> lastSentTo(const udp::endpoint& to) {
    for (auto it = net->sent.rbegin(); it != net->sent.rend(); ++it) {
      if (it->peer == to) {
        return it->bytes;
      }
    }
    FAIL("nothing sent to " << to.address().to_string());
    return {};
  }

  // b hears a, then a hears b: a now sees b alive.
  void handshake() {
    const auto now = l1net::speaker::MeshClock::now();
    CHECK(b.onDatagram(lastSentTo(kEndpointB), kEndpointA.address(), now).drop ==
          MeshDrop::kHandshake);
    inject(bToA());
  }

  std::vector<std::uint8_t> bToA() {
    for (auto& o : b.heartbeats(l1net::speaker::MeshClock::now())) {
      if (o.peer == "a") {
        return std::move(o.bytes);
      }
    }
    return {};
  }
};

}  // namespace

TEST_CASE("MeshService: start sends one heartbeat to every peer at once") {
  Harness h;
  h.svc.start();
  h.ioc.poll();
  REQUIRE(h.net->sent.size() == 2);
  CHECK(h.net->sent[0].peer == kEndpointB);
  CHECK(h.net->sent[1].peer == kEndpointC);
  const auto msg = l1net::speaker::decodeMeshMessage(h.net->sent[0].bytes, testKey());
  REQUIRE(msg.has_value());
  CHECK(msg->type == MeshMessageType::kHeartbeat);
  CHECK(msg->from == "a");
  CHECK(msg->to == "b");
  CHECK(msg->incarnation == 100);
  CHECK(h.svc.stats().sent == 2);
  CHECK_FALSE(h.svc.settled());
}

TEST_CASE("MeshService: an accepted heartbeat makes the peer a candidate and reports it once") {
  Harness h;
  h.svc.start();
  h.ioc.poll();
  h.handshake();
  CHECK(h.svc.candidates() == std::vector<std::string>{"a", "b"});
  REQUIRE(h.changes.size() == 1);
  CHECK(h.changes[0].name == "b");
  CHECK(h.changes[0].to == MemberState::kAlive);
  CHECK(h.changes[0].affectsOwnership());
  CHECK(h.svc.stats().accepted == 1);
  h.inject(h.bToA());  // no change, no event
  CHECK(h.changes.size() == 1);
  CHECK(h.svc.stats().accepted == 2);
}

TEST_CASE("MeshService: drops are counted by reason and change nothing") {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> (*make)(Harness&);
    udp::endpoint from;
    MeshDrop want;
  };
  const std::vector<Case> cases = {
      {"junk", [](Harness&) { return std::vector<std::uint8_t>{1, 2, 3, 4, 5, 6, 7, 8}; },
       kEndpointB, MeshDrop::kBadMagic},
      {"wrong key",
       [](Harness&) {
         const std::string k = "another-16-bytes";
         Membership forger(configFor("b", 300), MeshKey{{k.begin(), k.end()}},
                           l1net::speaker::MeshClock::now());
         return forger.heartbeats(l1net::speaker::MeshClock::now()).front().bytes;
       },
       kEndpointB, MeshDrop::kForged},
      {"replayed datagram",
       [](Harness& h) {
         auto bytes = h.bToA();
         h.inject(bytes);
         return bytes;
       },
       kEndpointB, MeshDrop::kReplay},
      {"spoofed source", [](Harness& h) { return h.bToA(); }, kEndpointC,
       MeshDrop::kAddressMismatch},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Harness h;
      h.svc.start();
      h.ioc.poll();
      h.handshake();
      const auto accepted = h.svc.stats().accepted;
      const auto changes = h.changes.size();
      h.inject(c.make(h), c.from);
      CHECK(h.svc.stats().droppedFor(c.want) == 1);
      CHECK(h.svc.stats().accepted == accepted + (c.want == MeshDrop::kReplay ? 1 : 0));
      CHECK(h.changes.size() == changes);

      l1net::metrics::Registry reg;
      h.svc.exportMetrics(reg);
      const auto* fam = reg.find("l1net_mesh_dropped_total");
      REQUIRE(fam != nullptr);
      CHECK(fam->value({{"reason", std::string(l1net::speaker::meshDropName(c.want))}}) == 1);
      CHECK(fam->size() == l1net::speaker::kMeshDropCount - 1);
      CHECK(reg.find("l1net_mesh_members")->value({{"state", "alive"}}) == 1);
      CHECK(reg.find("l1net_mesh_members")->value({{"state", "unknown"}}) == 1);
    }
  }
}

TEST_CASE("MeshService: setEligible sends at once and reports the self change") {
  Harness h;
  h.svc.start();
  h.ioc.poll();
  h.handshake();
  h.changes.clear();
  const auto before = h.net->sent.size();
  h.svc.setEligible(true);  // unchanged: nothing
  CHECK(h.net->sent.size() == before);
  h.svc.setEligible(false);
  CHECK(h.net->sent.size() == before + 2);
  const auto msg = l1net::speaker::decodeMeshMessage(h.lastSentTo(kEndpointB), testKey());
  REQUIRE(msg.has_value());
  CHECK_FALSE(msg->eligible);
  REQUIRE(h.changes.size() == 1);
  CHECK(h.changes[0] ==
        MemberChange{"a", MemberState::kAlive, MemberState::kAlive, true, false, false});
  CHECK(h.svc.candidates() == std::vector<std::string>{"b"});
}

TEST_CASE("MeshService: leave sends every copy and then nothing more is sent or received") {
  struct Case {
    const char* name;
    unsigned copies;
    int fail_sends;
  };
  const std::vector<Case> cases = {{"three copies", 3, 0},
                                   {"one copy", 1, 0},
                                   {"a failed send is counted, the rest go out", 3, 1}};
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Harness h(c.copies);
      h.svc.start();
      h.ioc.poll();
      h.handshake();
      const auto before = h.net->sent.size();
      h.net->fail_sends = c.fail_sends;
      h.svc.leave();
      CHECK(h.net->sent.size() == before + 2 * c.copies - static_cast<std::size_t>(c.fail_sends));
      CHECK(h.svc.stats().send_errors == static_cast<std::uint64_t>(c.fail_sends));
      for (std::size_t i = before; i < h.net->sent.size(); ++i) {
        const auto msg = l1net::speaker::decodeMeshMessage(h.net->sent[i].bytes, testKey());
        REQUIRE(msg.has_value());
        CHECK(msg->type == MeshMessageType::kLeave);
      }
      // b takes the first leave and marks a left.
      const auto got = h.b.onDatagram(h.lastSentTo(kEndpointB), kEndpointA.address(),
                                      l1net::speaker::MeshClock::now());
      CHECK(got.drop == MeshDrop::kNone);
      const auto sent = h.net->sent.size();
      const auto accepted = h.svc.stats().accepted;
      h.svc.leave();  // idempotent
      h.svc.setEligible(false);
      h.net->inbox.push_back({h.bToA(), kEndpointB});
      h.ioc.run_for(20ms);
      CHECK(h.net->sent.size() == sent);
      CHECK(h.svc.stats().accepted == accepted);
    }
  }
}

TEST_CASE("MeshService: a throwing change handler is contained") {
  Harness h;
  h.svc.onChange([](const std::vector<MemberChange>&) { throw std::runtime_error("boom"); });
  h.svc.start();
  h.ioc.poll();
  h.handshake();
  CHECK(h.svc.candidates() == std::vector<std::string>{"a", "b"});
  h.inject(h.bToA());  // the receive loop survived
  CHECK(h.svc.stats().accepted == 2);
}

TEST_CASE("MeshService: setPeers reports added and removed peers") {
  Harness h;
  h.svc.start();
  h.ioc.poll();
  h.handshake();
  h.changes.clear();
  REQUIRE(h.svc.setPeers({{"c", kEndpointC.address(), 7947}}).has_value());
  REQUIRE(h.changes.size() == 1);
  CHECK(h.changes[0].name == "b");
  CHECK(h.changes[0].removed);
  CHECK(h.svc.candidates() == std::vector<std::string>{"a"});
  CHECK_FALSE(h.svc.setPeers({{"", kEndpointC.address(), 7947}}).has_value());
}

TEST_CASE("membersJson: the speakerctl members payload") {
  Harness h;
  h.svc.start();
  h.ioc.poll();
  h.handshake();
  const auto now = l1net::speaker::MeshClock::now();
  const auto v = l1net::speaker::membersJson(h.svc.members(), now);
  const auto& arr = v.as_array();
  REQUIRE(arr.size() == 3);
  const auto& self = arr[0].as_object();
  CHECK(self.at("name").as_string() == "a");
  CHECK(self.at("self").as_bool());
  CHECK(self.at("address").is_null());
  CHECK(self.at("incarnation").to_number<std::uint64_t>() == 100);
  const auto& b = arr[1].as_object();
  CHECK(b.at("name").as_string() == "b");
  CHECK(b.at("state").as_string() == "alive");
  CHECK(b.at("address").as_string() == "127.0.0.2");
  CHECK(b.at("port").to_number<int>() == 7947);
  CHECK(b.at("candidate").as_bool());
  CHECK(b.at("last_heard_ms").to_number<double>() >= 0);
  CHECK(b.at("incarnation").to_number<std::uint64_t>() == 200);
  CHECK(b.at("accepted").to_number<int>() == 1);
  const auto& c = arr[2].as_object();
  CHECK(c.at("state").as_string() == "unknown");
  CHECK(c.at("last_heard_ms").is_null());
  CHECK(c.at("rtt_ms").is_null());
}

// ---- start-up configuration ----

TEST_CASE("loadMeshKeyFile") {
  const l1net::testing::TempDir dir;
  const auto good = dir.write("good.key", "0123456789abcdef0123456789abcdef\n");
  const auto short_key = dir.write("short.key", "too-short\n");
  const auto key = l1net::speaker::loadMeshKeyFile(good);
  REQUIRE(key.has_value());
  CHECK(key->bytes.size() == 32);
  const auto bad = l1net::speaker::loadMeshKeyFile(short_key);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error() == make_error_code(l1net::Errc::kInvalidArgument));
  const auto missing = l1net::speaker::loadMeshKeyFile("/nonexistent/l1net/mesh.key");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error() == boost::system::errc::no_such_file_or_directory);
  // A directory opens as a stream and used to fail with "Input/output error".
  const auto dir_key = l1net::speaker::loadMeshKeyFile(dir.path().string());
  REQUIRE_FALSE(dir_key.has_value());
  CHECK(dir_key.error() == boost::system::errc::is_a_directory);
}

TEST_CASE("makeMeshServiceOptions") {
  const l1net::testing::TempDir dir;
  const auto good = dir.write("good.key", "0123456789abcdef\n");
  const auto short_key = dir.write("short.key", "short\n");
  const std::vector<l1net::speaker::MeshPeer> nodes = {
      {"b", asio::ip::make_address("127.0.0.2"), 7947},
      {"c", asio::ip::make_address("127.0.0.3"), 7947}};
  struct Case {
    const char* name;
    l1net::speaker::MeshCliOptions cli;
    const char* error;  // substring of the exception message; nullptr = ok
  };
  const auto with = [&](auto edit) {
    l1net::speaker::MeshCliOptions cli;
    cli.key_file = good;
    edit(cli);
    return cli;
  };
  const std::vector<Case> cases = {
      {"key file", with([](auto&) {}), nullptr},
      {"insecure", with([](auto& c) {
         c.key_file.clear();
         c.insecure = true;
       }),
       nullptr},
      {"neither key nor insecure", with([](auto& c) { c.key_file.clear(); }),
       "refusing to run an unauthenticated"},
      {"both", with([](auto& c) { c.insecure = true; }), "mutually exclusive"},
      {"short key", with([&](auto& c) { c.key_file = short_key; }), "16 to 4096 bytes"},
      {"missing key file", with([](auto& c) { c.key_file = "/nonexistent/key"; }),
       "--mesh-key-file /nonexistent/key"},
      {"key file is a directory", with([&](auto& c) { c.key_file = dir.path().string(); }),
       "is a directory, not a file holding the key"},
      {"multiplier 1", with([](auto& c) { c.multiplier = 1; }), "--heartbeat-multiplier"},
      {"interval 0", with([](auto& c) { c.interval_ms = 0; }), "--heartbeat-interval"},
      {"bad peer", with([](auto& c) { c.peers = {"b:127.0.0.1"}; }), "--mesh-peer 'b:127.0.0.1'"},
      {"peer override", with([](auto& c) {
         c.peers = {"b=127.0.0.1:9000", "d=::1"};
       }),
       nullptr},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      if (c.error != nullptr) {
        try {
          (void)l1net::speaker::makeMeshServiceOptions(c.cli, "a", nodes, 1);
          FAIL("no exception");
        } catch (const std::invalid_argument& e) {
          CHECK(std::string(e.what()).find(c.error) != std::string::npos);
        }
        continue;
      }
      const auto opts = l1net::speaker::makeMeshServiceOptions(c.cli, "a", nodes, 42);
      CHECK(opts.membership.self_name == "a");
      CHECK(opts.membership.incarnation == 42);
      CHECK(opts.key.insecure() == c.cli.insecure);
      if (c.cli.peers.empty()) {
        CHECK(opts.membership.peers == nodes);
      } else {
        REQUIRE(opts.membership.peers.size() == 3);
        CHECK(opts.membership.peers[0].port == 9000);
        CHECK(opts.membership.peers[2].name == "d");
      }
    }
  }
}

TEST_CASE("addMeshOptions parses the speaker's flags") {
  namespace po = boost::program_options;
  l1net::speaker::MeshCliOptions opts;
  po::options_description desc;
  l1net::speaker::addMeshOptions(desc, opts);
  const char* argv[] = {
      "speaker",          "--heartbeat-interval=50",      "--heartbeat-multiplier=3",
      "--insecure-mesh",  "--mesh-peer=b=127.0.0.1:7948", "--mesh-peer",
      "c=127.0.0.1:7949", "--mesh-bind=127.0.0.1:7947"};
  po::variables_map vm;
  po::store(po::parse_command_line(static_cast<int>(std::size(argv)), argv, desc), vm);
  po::notify(vm);
  CHECK(opts.interval_ms == 50);
  CHECK(opts.multiplier == 3);
  CHECK(opts.insecure);
  CHECK(opts.peers == std::vector<std::string>{"b=127.0.0.1:7948", "c=127.0.0.1:7949"});
  CHECK(opts.bind == "127.0.0.1:7947");
  const auto bind = l1net::speaker::parseMeshBind(opts.bind);
  REQUIRE(bind.has_value());
  CHECK(bind->port() == 7947);
  CHECK(l1net::speaker::newMeshIncarnation() > 1'600'000'000'000'000'000ULL);
}
