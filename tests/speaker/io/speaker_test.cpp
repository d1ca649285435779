// The speaker's shell against FakeFrameSocket and fake links: frames in, replies/drops out,
// gratuitous rounds on gain, ownership changes, link events and metrics.
#include "l1net/speaker/io/speaker.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <spdlog/logger.h>

#include "l1net/manifest/load.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/net/arp.hpp"
#include "l1net/net/ethernet.hpp"
#include "l1net/net/ipv6.hpp"
#include "l1net/net/ndp.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_frame_socket.hpp"
#include "l1net/testing/fake_netlink.hpp"
#include "l1net/testing/quiet_logger.hpp"

namespace l1net::speaker {
namespace {

using testing::FakeFrameSocketFactory;
using testing::FakeNetlink;
using testing::makeLink;

constexpr const char* kNodeMac = "02:00:00:00:0a:01";
constexpr const char* kClientMac = "02:00:00:00:0c:01";

// A pool with the two VIPs, an L2Advertisement (optionally restricted to interfaces) and a
// LoadBalancer service carrying `ips` in its status.
std::string manifests(const std::vector<std::string>& ips,
                      const std::vector<std::string>& ad_interfaces = {}) {
  std::string y =
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: lan, namespace: "
      "metallb-system}\nspec:\n  addresses: [198.51.100.200/29, 2001:db8::200/125]\n---\n"
      "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: lan, namespace: "
      "metallb-system}\nspec:\n  ipAddressPools: [lan]\n";
  if (!ad_interfaces.empty()) {
    y += "  interfaces:\n";
    for (const auto& i : ad_interfaces) {
      y += "  - " + i + "\n";
    }
  }
  if (!ips.empty()) {
    y += "---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: demo}\nspec:\n  "
         "type: LoadBalancer\n  ports: [{port: 80, protocol: TCP}]\nstatus:\n  loadBalancer:\n    "
         "ingress:\n";
    for (const auto& ip : ips) {
      y += "    - ip: \"" + ip + "\"\n";
    }
  }
  return y;
}

manifest::ManifestSet load(const std::string& yaml) {
  auto r = manifest::loadManifestText(yaml, "test.yaml");
  for (const auto& e : r.errors) {
    MESSAGE(e.format());
  }
  REQUIRE(r.ok());
  return std::move(r.set);
}

net::IpAddress ip(const char* text) { return net::parseIp(text).value(); }
net::MacAddress mac(const char* text) { return net::parseMac(text).value(); }

net::Frame arpRequest(const char* target, const char* dst_mac = "ff:ff:ff:ff:ff:ff") {
  return net::encodeArpFrame(mac(dst_mac), mac(kClientMac),
                             {.op = net::ArpOp::kRequest,
                              .sender_mac = mac(kClientMac),
                              .sender_ip = ip("198.51.100.1").to_v4(),
                              .target_mac = {},
                              .target_ip = ip(target).to_v4()});
}

net::Frame neighborSolicitation(const char* target) {
  const auto t = ip(target).to_v6();
  const auto group = net::solicitedNodeAddress(t);
  return net::encodeNdpFrame(
      net::multicastMac(group), mac(kClientMac), ip("2001:db8::1").to_v6(), group,
      {.type = net::NdpType::kNeighborSolicitation, .target = t, .source_ll = mac(kClientMac)});
}

struct Fixture {
  boost::asio::io_context io;
  boost::asio::io_context responder;  // the responders' executor when separate_responder
  metrics::Registry registry;
  FakeFrameSocketFactory sockets;
  FakeNetlink netlink;
  Speaker::Clock::time_point now{std::chrono::seconds(1000)};
  std::unique_ptr<Speaker> speaker;

  // separate_responder: the responders run on `responder` (as on the daemon's responder thread),
  // driven by pollResponder() only; poll() runs the Speaker's executor only.
  explicit Fixture(std::vector<std::string> excludes = {}, bool separate_responder = false)
      : sockets(separate_responder ? responder.get_executor() : io.get_executor()) {
    Speaker::Options o;
    o.node = "node-a";
    o.exclude_patterns = std::move(excludes);
    o.now = [this] { return now; };
    if (separate_responder) {
      o.responder = responder.get_executor();
    }
    auto quiet = l1net::testing::quietLogger("speaker-test");
    speaker = std::make_unique<Speaker>(io.get_executor(), sockets, registry,
                                        Speaker::Loggers{.main = quiet, .l2 = quiet}, std::move(o));
    netlink.push(
        {makeLink(2, "eth0", kNodeMac, {"198.51.100.10/24", "fe80::a01/64", "2001:db8::10/64"})});
    netlink.start([this](const std::vector<Link>& links) { speaker->setLinks(links); });
  }
  ~Fixture() {
    speaker->stop();
    poll();
    pollResponder();
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  void poll() {
    io.restart();
    io.poll();
  }
  void pollResponder() {
    responder.restart();
    responder.poll();
  }
  std::shared_ptr<testing::FakeFrameSocketState> eth0() { return sockets.socket("eth0"); }
  // What /metrics would show: the handler collects the counters first.
  double metric(const char* name, const metrics::Labels& labels) {
    speaker->collectCounters();
    const auto* f = registry.find(name);
    return f == nullptr ? -1 : f->value(labels);
  }
  bool hasSeries(const char* name, const metrics::Labels& labels) {
    speaker->collectCounters();
    const auto* f = registry.find(name);
    return f != nullptr && f->contains(labels);
  }
};

TEST_CASE("gaining an IP opens the interface and sends the first gratuitous round at once") {
  Fixture f;
  CHECK(f.sockets.opens == 0);  // nothing owned yet: no socket
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  REQUIRE(f.eth0());
  const auto& sent = f.eth0()->sent;
  REQUIRE(sent.size() == 2);
  const auto req = net::decodeArp(net::decodeEthernet(sent[0]).value().payload).value();
  const auto rep = net::decodeArp(net::decodeEthernet(sent[1]).value().payload).value();
  CHECK(net::decodeEthernet(sent[0]).value().header.dst == net::kBroadcastMac);
  CHECK(req.op == net::ArpOp::kRequest);
  CHECK(req.sender_ip == req.target_ip);
  CHECK(rep.op == net::ArpOp::kReply);
  CHECK(rep.target_mac == mac(kNodeMac));  // the form Linux applies within locktime
  CHECK(f.metric("metallb_layer2_gratuitous_sent", {{"ip", "198.51.100.200"}}) == 2);
  CHECK(f.metric("metallb_speaker_announced", {{"service", "demo/web"},
                                               {"protocol", "layer2"},
                                               {"node", "node-a"},
                                               {"ip", "198.51.100.200"}}) == 1);
}

TEST_CASE("the burst continues on the timer and then refreshes") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  REQUIRE(f.eth0()->sent.size() == 2);
  f.now += std::chrono::milliseconds(250);
  f.speaker->tick();
  CHECK(f.eth0()->sent.size() == 4);
  f.now += std::chrono::seconds(2);
  f.speaker->tick();  // 500 ms, 1 s and 2 s are all past: one round, not three
  CHECK(f.eth0()->sent.size() == 6);
  f.now += std::chrono::seconds(59);
  f.speaker->tick();
  CHECK(f.eth0()->sent.size() == 6);
  f.now += std::chrono::seconds(2);
  f.speaker->tick();  // 60 s refresh (MetalLB #2910)
  CHECK(f.eth0()->sent.size() == 8);
}

TEST_CASE("ARP requests: owned answered, others dropped and counted") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  auto sock = f.eth0();
  sock->clearSent();
  sock->feed(arpRequest("198.51.100.200"));
  sock->feed(arpRequest("198.51.100.201"));
  f.poll();
  REQUIRE(sock->sent.size() == 1);
  const auto eth = net::decodeEthernet(sock->sent[0]).value();
  const auto rep = net::decodeArp(eth.payload).value();
  CHECK(eth.header.dst == mac(kClientMac));
  CHECK(rep.op == net::ArpOp::kReply);
  CHECK(rep.sender_mac == mac(kNodeMac));
  CHECK(rep.sender_ip.to_string() == "198.51.100.200");
  const auto& st = f.speaker->stats();
  CHECK(st.ips.at(ip("198.51.100.200"))->requests_received == 1);
  CHECK(st.ips.at(ip("198.51.100.200"))->responses_sent == 1);
  CHECK(st.drops.at(static_cast<std::size_t>(DropReason::kNotOwned)) == 1);
  CHECK(f.metric("metallb_layer2_responses_sent", {{"ip", "198.51.100.200"}}) == 1);
  CHECK(f.metric("l1net_layer2_dropped_total", {{"reason", "not_owned"}}) == 1);
  CHECK_FALSE(f.hasSeries("metallb_layer2_requests_received", {{"ip", "198.51.100.201"}}));
}

TEST_CASE("malformed frames are dropped and counted by reason") {
  struct Case {
    const char* name;
    net::Frame frame;
    DropReason want;
  };
  auto truncated = arpRequest("198.51.100.200");
  truncated.resize(30);
  auto bad_hw = arpRequest("198.51.100.200");
  bad_hw[14] = 0x00;
  bad_hw[15] = 0x06;  // IEEE 802 instead of Ethernet
  auto bad_sum = neighborSolicitation("2001:db8::200");
  bad_sum[14 + 40 + 2] ^= 0xff;  // ICMPv6 checksum
  auto reply = arpRequest("198.51.100.200");
  reply[14 + 7] = 2;  // ARP Reply
  auto other_dst = arpRequest("198.51.100.200", "02:00:00:00:00:77");
  const std::vector<Case> cases = {
      {"truncated ARP", truncated, DropReason::kTruncated},
      {"wrong hardware type", bad_hw, DropReason::kUnsupported},
      {"bad ICMPv6 checksum", bad_sum, DropReason::kBadChecksum},
      {"ARP reply", reply, DropReason::kNotRequest},
      {"unicast to another MAC", other_dst, DropReason::kWrongDestination},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Fixture f;
      f.speaker->setManifests(load(manifests({"198.51.100.200", "2001:db8::200"})));
      auto sock = f.eth0();
      sock->clearSent();
      sock->feed(c.frame);
      f.poll();
      CHECK(sock->sent.empty());
      CHECK(f.speaker->stats().drops.at(static_cast<std::size_t>(c.want)) == 1);
      CHECK(f.metric("l1net_layer2_dropped_total",
                     {{"reason", std::string(dropReasonName(c.want))}}) == 1);
    }
  }
}

TEST_CASE("IPv6: solicited-node group joined, NS answered, unsolicited NA on gain") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"2001:db8::200"})));
  auto sock = f.eth0();
  REQUIRE(sock);
  CHECK(sock->groups.count(mac("33:33:ff:00:02:00")) == 1);
  CHECK(sock->ipv6_groups.count(ip("ff02::1:ff00:200").to_v6()) == 1);  // MLD for snooping
  REQUIRE(sock->sent.size() == 1);                                      // unsolicited NA
  const auto na_ip = net::decodeIpv6(net::decodeEthernet(sock->sent[0]).value().payload).value();
  CHECK(na_ip.header.dst.to_string() == "ff02::1");
  const auto na = net::decodeNdp(na_ip.header.src, na_ip.header.dst, na_ip.payload).value();
  CHECK(na.override_flag);
  CHECK_FALSE(na.solicited);
  sock->clearSent();
  sock->feed(neighborSolicitation("2001:db8::200"));
  f.poll();
  REQUIRE(sock->sent.size() == 1);
  const auto eth = net::decodeEthernet(sock->sent[0]).value();
  CHECK(eth.header.dst == mac(kClientMac));
  const auto ip6 = net::decodeIpv6(eth.payload).value();
  const auto msg = net::decodeNdp(ip6.header.src, ip6.header.dst, ip6.payload).value();
  CHECK(msg.type == net::NdpType::kNeighborAdvertisement);
  CHECK(msg.solicited);
  CHECK(msg.target_ll == mac(kNodeMac));
  CHECK(ip6.header.src.to_string() == "2001:db8::200");  // from the VIP, as Linux does
}

// `count` LoadBalancer services of one IPv6 VIP each, 2001:db8:1::1:0 upwards: distinct
// solicited-node groups.
std::string ipv6Services(int count) {
  std::string y =
      "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: lan, namespace: "
      "metallb-system}\nspec:\n  addresses: [\"2001:db8:1::/96\"]\n---\n"
      "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: lan, namespace: "
      "metallb-system}\nspec:\n  ipAddressPools: [lan]\n";
  for (int i = 0; i < count; ++i) {
    auto bytes = ip("2001:db8:1::1:0").to_v6().to_bytes();
    bytes[14] = static_cast<std::uint8_t>(i >> 8);
    bytes[15] = static_cast<std::uint8_t>(i & 0xff);
    const net::Ipv6Address vip(bytes);
    y += "---\napiVersion: v1\nkind: Service\nmetadata: {name: s" + std::to_string(i) +
         ", namespace: demo}\nspec:\n  type: LoadBalancer\n  ports: [{port: 80, protocol: TCP}]\n"
         "status:\n  loadBalancer:\n    ingress: [{ip: \"" +
         vip.to_string() + "\"}]\n";
  }
  return y;
}

TEST_CASE(
    "group joins go out a slice per executor turn; a group lost while queued is never joined") {
  Fixture f;
  f.speaker->setManifests(load(ipv6Services(200)));
  auto sock = f.eth0();
  REQUIRE(sock);
  // The first slice with the recompute (64 joins, fewer past 2 ms), the rest after what is
  // already queued.
  CHECK(sock->ipv6_groups.size() >= 1);
  CHECK(sock->ipv6_groups.size() <= 64);
  CHECK(sock->groups.size() == sock->ipv6_groups.size());
  f.poll();
  CHECK(sock->ipv6_groups.size() == 200);
  CHECK(sock->groups.size() == 200);

  f.speaker->setManifests(load(ipv6Services(1)));    // the port stays open
  f.speaker->setManifests(load(ipv6Services(150)));  // 1..k joined at once, the rest queued
  REQUIRE(f.eth0() == sock);
  const auto k = sock->ipv6_groups.size() - 1;
  CHECK(k < 149);
  const auto leaves = sock->leaves;
  f.speaker->setManifests(load(ipv6Services(10)));  // loses 10..149, of which 10..k were joined
  CHECK(sock->leaves - leaves ==
        (k >= 10 ? k - 9 : 0));  // the queued ones: neither left nor joined
  f.poll();
  CHECK(sock->ipv6_groups.size() == 10);
  CHECK(sock->groups.size() == 10);
  CHECK(sock->ipv6_groups.count(net::solicitedNodeAddress(ip("2001:db8:1::1:9").to_v6())) == 1);
}

TEST_CASE("group joins pause 250 ms after each 512, so the kernel's MLD reports stay small") {
  Fixture f;
  f.speaker->setManifests(load(ipv6Services(600)));
  auto sock = f.eth0();
  REQUIRE(sock);
  f.poll();  // every ready slice, not the pause
  CHECK(sock->ipv6_groups.size() >= 512);
  CHECK(sock->ipv6_groups.size() < 600);
  f.io.restart();
  f.io.run_for(std::chrono::milliseconds(1000));
  CHECK(sock->ipv6_groups.size() == 600);
}

TEST_CASE("losing an IP stops answering at once and removes its series") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"198.51.100.200", "2001:db8::200"})));
  auto sock = f.eth0();
  sock->feed(arpRequest("198.51.100.200"));
  sock->feed(arpRequest("198.51.100.200"));  // queued, not yet read when the IP is lost
  f.poll();
  const auto answered = sock->sent.size();
  f.speaker->setManifests(load(manifests({"2001:db8::200"})));
  sock->feed(arpRequest("198.51.100.200"));
  f.poll();
  CHECK(sock->sent.size() == answered);
  CHECK_FALSE(f.hasSeries("metallb_layer2_responses_sent", {{"ip", "198.51.100.200"}}));
  CHECK_FALSE(f.hasSeries("metallb_speaker_announced", {{"service", "demo/web"},
                                                        {"protocol", "layer2"},
                                                        {"node", "node-a"},
                                                        {"ip", "198.51.100.200"}}));
  CHECK(sock->groups.count(mac("33:33:ff:00:02:00")) == 1);  // v6 still ours
  f.speaker->setManifests(load(manifests({})));
  CHECK(sock->closed);  // nothing left to announce on eth0
  CHECK(sock->groups.empty());
  CHECK(f.speaker->owned().entries().empty());
}

TEST_CASE("link events: down closes, up re-announces, MAC change re-announces, hot-plug") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"192.0.2.0"})));  // not in the pool: nothing
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  auto first = f.eth0();
  REQUIRE(first);
  auto l = f.netlink.links()[0];
  l.up = false;
  l.running = false;
  f.netlink.upsert(l);
  CHECK(first->closed);
  l.up = true;
  l.running = true;
  f.netlink.upsert(l);
  auto second = f.eth0();
  REQUIRE(second != first);
  CHECK(second->sent.size() == 2);  // a fresh burst on the way back
  l.mac = mac("02:00:00:00:0a:02");
  f.netlink.upsert(l);
  REQUIRE(second->sent.size() == 4);
  CHECK(net::decodeEthernet(second->sent[3]).value().header.src == mac("02:00:00:00:0a:02"));
  // Hot-plug: a second NIC on the same subnet joins the announcement.
  f.netlink.upsert(makeLink(3, "eth1", "02:00:00:00:0b:01", {"198.51.100.11/24"}));
  REQUIRE(f.sockets.socket("eth1"));
  CHECK(f.sockets.socket("eth1")->sent.size() == 2);
  f.netlink.remove(3);
  CHECK(f.sockets.socket("eth1")->closed);
}

TEST_CASE("usable-interface changes are reported for failover eligibility") {
  Fixture f;
  std::vector<bool> seen;
  f.speaker->onUsableChange([&](bool usable) { seen.push_back(usable); });
  CHECK(f.speaker->hasUsableInterface());
  auto l = f.netlink.links()[0];
  l.running = false;
  f.netlink.upsert(l);
  f.netlink.upsert(makeLink(3, "veth0", "02:00:00:00:0b:01"));  // excluded: still none usable
  l.running = true;
  f.netlink.upsert(l);
  CHECK(seen == std::vector<bool>{false, true});
}

TEST_CASE("IPv6 without an IP-level group join still announces") {
  Fixture f;
  f.speaker->setManifests(load(manifests({})));
  // The first socket on eth0 is opened by the next set; make its MLD join fail.
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  auto sock = f.eth0();
  sock->fail_ipv6_groups = true;
  f.speaker->setManifests(load(manifests({"198.51.100.200", "2001:db8::200"})));
  CHECK(sock->groups.count(mac("33:33:ff:00:02:00")) == 1);
  CHECK(sock->ipv6_groups.empty());
  CHECK(f.speaker->stats().socket_errors == 0);
  CHECK(f.speaker->owned().owns(ip("2001:db8::200"), 2));
}

TEST_CASE("L2Advertisement.interfaces: a missing interface is reported, then hot-plugged") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"198.51.100.200"}, {"eth-hot"})));
  CHECK(f.sockets.opens == 0);
  CHECK(f.metric("l1net_speaker_announce_failed",
                 {{"ip", "198.51.100.200"}, {"interface", "eth-hot"}}) == 1);
  const auto why = f.speaker->explain(ip("198.51.100.200")).as_object();
  CHECK(why.at("reason").as_string() == "no_usable_interface");
  f.netlink.upsert(makeLink(5, "eth-hot", "02:00:00:00:0d:01"));
  REQUIRE(f.sockets.socket("eth-hot"));
  CHECK(f.sockets.socket("eth-hot")->sent.size() == 2);
  CHECK_FALSE(f.hasSeries("l1net_speaker_announce_failed",
                          {{"ip", "198.51.100.200"}, {"interface", "eth-hot"}}));
  const auto now = f.speaker->explain(ip("198.51.100.200")).as_object();
  CHECK(now.at("announcing").as_bool());
  CHECK(now.at("rule").as_string() == "all-usable");
}

TEST_CASE("explain names the rule and the reason") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  const auto yes = f.speaker->explain(ip("198.51.100.200")).as_object();
  CHECK(yes.at("reason").as_string() == "announced");
  CHECK(yes.at("rule").as_string() == "subnet");
  CHECK(yes.at("interfaces").as_array().at(0).as_string() == "eth0");
  const auto no = f.speaker->explain(ip("198.51.100.9")).as_object();
  CHECK(no.at("reason").as_string() == "no_service");
  CHECK_FALSE(no.at("announcing").as_bool());
}

TEST_CASE("ownership policy swap (failover seam) moves the IP away without touching sockets") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  REQUIRE(f.speaker->owned().owns(ip("198.51.100.200")));
  // Rank between node-a and node-b; pick whichever node the ranking does not favour for us.
  const auto ranked = rankNodes("198.51.100.200", {{"node-a", 0}, {"node-b", 0}});
  f.speaker->setOwnershipPolicy(
      std::make_shared<RankedOwnershipPolicy>(std::vector<std::string>{"node-a", "node-b"}));
  CHECK(f.speaker->owned().owns(ip("198.51.100.200")) == (ranked.front() == "node-a"));
  f.speaker->setOwnershipPolicy(nullptr);  // back to single-node
  CHECK(f.speaker->owned().owns(ip("198.51.100.200")));
}

TEST_CASE("send failures and socket open failures are counted, not fatal") {
  Fixture f;
  f.sockets.fail_open.insert("eth0");
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  CHECK(f.speaker->stats().socket_errors == 1);
  CHECK(f.metric("l1net_layer2_errors_total", {{"kind", "socket"}}) == 1);
  f.sockets.fail_open.clear();
  f.speaker->tick();
  CHECK_FALSE(f.eth0());  // not before the retry delay
  f.now += std::chrono::seconds(1);
  f.speaker->tick();
  REQUIRE(f.eth0());
  CHECK(f.eth0()->sent.size() == 2);  // the burst starts when the socket finally opens
  auto sock = f.eth0();
  sock->fail_sends = 1;
  CHECK(f.speaker->garp(ip("198.51.100.200")).has_value());
  CHECK(f.speaker->stats().send_errors == 1);
  CHECK(f.speaker->garp(ip("198.51.100.9")).error() == make_error_code(Errc::kNotFound));
}

TEST_CASE("status and stats views") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  const auto st = f.speaker->status().as_object();
  CHECK(st.at("node").as_string() == "node-a");
  CHECK(st.at("interfaces").as_array().size() == 1);
  const auto& a = st.at("announced").as_array().at(0).as_object();
  CHECK(a.at("ip").as_string() == "198.51.100.200");
  CHECK(a.at("services").as_array().at(0).as_string() == "demo/web");
  CHECK(a.at("interfaces").as_array().at(0).as_string() == "eth0");
  const auto stats = f.speaker->statsJson().as_object();
  CHECK(stats.at("ips").as_array().at(0).as_object().at("gratuitous_sent").as_uint64() == 2);
  CHECK(stats.at("drops").as_object().contains("not_owned"));
}

}  // namespace
}  // namespace l1net::speaker

namespace l1net::speaker {
namespace {

std::string manyIps(int n) {
  // n IPv4 VIPs in one service (pool 203.0.113.0/24 added to the fixture's manifests).
  std::string y = manifests({});
  y += "---\napiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: wide, "
       "namespace: metallb-system}\nspec:\n  addresses: [203.0.113.0/24]\n---\napiVersion: "
       "metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: wide, namespace: "
       "metallb-system}\nspec:\n  ipAddressPools: [wide]\n";
  for (int i = 0; i < n; ++i) {
    y += "---\napiVersion: v1\nkind: Service\nmetadata: {name: s" + std::to_string(i) +
         ", namespace: demo}\nspec:\n  type: LoadBalancer\n  ports: [{port: 80, protocol: "
         "TCP}]\nstatus:\n  loadBalancer:\n    ingress:\n    - ip: \"203.0.113." +
         std::to_string(i + 1) + "\"\n";
  }
  return y;
}

TEST_CASE("the kernel filter follows the announced IPv4 addresses of each interface") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"198.51.100.200", "198.51.100.201", "2001:db8::200"})));
  REQUIRE(f.eth0());
  CHECK(f.eth0()->arp_targets ==
        std::vector<net::Ipv4Address>{ip("198.51.100.200").to_v4(), ip("198.51.100.201").to_v4()});
  f.speaker->setManifests(load(manifests({"198.51.100.201", "2001:db8::200"})));
  CHECK(f.eth0()->arp_targets == std::vector<net::Ipv4Address>{ip("198.51.100.201").to_v4()});
}

TEST_CASE("kernel receive counts and drops reach stats, metrics and the stats view") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  f.eth0()->kernel = {.packets = 100, .drops = 7};
  f.speaker->collectCounters();
  f.eth0()->kernel = {.packets = 5, .drops = 0};
  f.speaker->collectCounters();
  CHECK(f.speaker->stats().kernel_received == 105);
  CHECK(f.speaker->stats().kernel_drops == 7);
  CHECK(f.metric("l1net_layer2_kernel_drops_total", {}) == 7);
  CHECK(f.metric("l1net_layer2_kernel_received_total", {}) == 105);
  const auto view = f.speaker->statsJson().as_object();
  CHECK(view.at("kernel_drops").as_uint64() == 7);
  CHECK(view.at("kernel_received").as_uint64() == 105);
}

TEST_CASE("a large gratuitous round goes out in slices, replies in between") {
  Fixture f;
  f.speaker->setManifests(
      load(manifests({"198.51.100.200"}) + manyIps(100).substr(manifests({}).size())));
  auto sock = f.eth0();
  REQUIRE(sock);
  // recompute sent the first slice only (32 IPs, 2 frames each); the rest is queued.
  CHECK(sock->sent.size() == 64);
  sock->clearSent();
  sock->feed(arpRequest("198.51.100.200"));
  f.poll();  // the reply and the remaining slices
  REQUIRE(sock->sent.size() == 1 + 2 * (101 - 32));
  bool reply_before_last_slice = false;
  for (std::size_t i = 0; i + 64 < sock->sent.size(); ++i) {
    const auto a = net::decodeArp(net::decodeEthernet(sock->sent[i]).value().payload).value();
    if (a.op == net::ArpOp::kReply && a.target_ip.to_string() == "198.51.100.1") {
      reply_before_last_slice = true;
    }
  }
  CHECK(reply_before_last_slice);
  CHECK(f.metric("metallb_layer2_gratuitous_sent", {{"ip", "203.0.113.100"}}) == 2);
}

}  // namespace
}  // namespace l1net::speaker

namespace l1net::speaker {
namespace {

// With its own executor the responder answers from the table published last, whatever the
// Speaker's executor is doing: here that executor never runs between the frames and the replies.
TEST_CASE("a separate responder answers without the Speaker's executor running") {
  struct Case {
    const char* name;
    std::vector<std::string> first;   // announced before the frames are queued
    std::vector<std::string> second;  // announced after (empty: no second recompute)
    const char* asked;
    bool want_reply;
  };
  const std::vector<Case> cases = {
      {"owned", {"198.51.100.200"}, {}, "198.51.100.200", true},
      {"not owned", {"198.51.100.200"}, {}, "198.51.100.201", false},
      {"gained by a later recompute",
       {"198.51.100.200"},
       {"198.51.100.200", "198.51.100.201"},
       "198.51.100.201",
       true},
      {"lost by a later recompute",
       {"198.51.100.200", "198.51.100.201"},
       {"198.51.100.200"},
       "198.51.100.201",
       false},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Fixture f({}, true);
      f.speaker->setManifests(load(manifests(c.first)));
      f.pollResponder();  // the responder starts and waits for frames
      auto sock = f.eth0();
      REQUIRE(sock);
      if (!c.second.empty()) {
        f.speaker->setManifests(load(manifests(c.second)));
      }
      sock->clearSent();
      sock->feed(arpRequest(c.asked));
      f.pollResponder();  // the Speaker's executor (f.io) does not run
      REQUIRE(sock->sent.size() == (c.want_reply ? 1U : 0U));
      if (c.want_reply) {
        const auto rep = net::decodeArp(net::decodeEthernet(sock->sent[0]).value().payload).value();
        CHECK(rep.sender_ip.to_string() == c.asked);
        CHECK(rep.sender_mac == mac(kNodeMac));
        CHECK(f.metric("metallb_layer2_responses_sent", {{"ip", c.asked}}) == 1);
      } else {
        CHECK(f.metric("l1net_layer2_dropped_total", {{"reason", "not_owned"}}) == 1);
      }
    }
  }
}

TEST_CASE("a separate responder's socket closes on the responder's executor") {
  Fixture f({}, true);
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  f.pollResponder();
  auto sock = f.eth0();
  REQUIRE(sock);
  f.speaker->setManifests(load(manifests({})));
  CHECK_FALSE(sock->closed);  // posted to the responder
  sock->clearSent();
  sock->feed(arpRequest("198.51.100.200"));  // arrives before the close runs: not answered
  f.pollResponder();
  CHECK(sock->closed);
  CHECK(sock->sent.empty());
}

}  // namespace
}  // namespace l1net::speaker

namespace l1net::speaker {
namespace {

// Per-IP series exist only from collectCounters() to dropPerIpSeries() (the /metrics handler
// brackets encode() with them); the counts live in the Speaker's counters meanwhile.
TEST_CASE("per-IP series are built per scrape and dropped after it") {
  Fixture f;
  f.speaker->setManifests(load(manifests({"198.51.100.200"})));
  auto sock = f.eth0();
  sock->feed(arpRequest("198.51.100.200"));
  f.poll();
  const metrics::Labels vip{{"ip", "198.51.100.200"}};
  const metrics::Labels announced{{"service", "demo/web"},
                                  {"protocol", "layer2"},
                                  {"node", "node-a"},
                                  {"ip", "198.51.100.200"}};
  struct Case {
    const char* name;
    bool collect;
    bool drop;
    bool want_series;
  };
  const std::vector<Case> cases = {
      {"before any scrape: none", false, false, false},
      {"collected: present", true, false, true},
      {"collected then dropped: none", true, true, false},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      if (c.collect) {
        f.speaker->collectCounters();
      }
      if (c.drop) {
        f.speaker->dropPerIpSeries();
      }
      const auto* responses = f.registry.find("metallb_layer2_responses_sent");
      const auto* ann = f.registry.find("metallb_speaker_announced");
      REQUIRE(responses != nullptr);
      REQUIRE(ann != nullptr);
      CHECK(responses->contains(vip) == c.want_series);
      CHECK(ann->contains(announced) == c.want_series);
      if (c.want_series) {
        CHECK(responses->value(vip) == 1);
      }
    }
  }
  f.speaker->collectCounters();  // counts survive a drop
  f.speaker->dropPerIpSeries();
  CHECK(f.metric("metallb_layer2_responses_sent", vip) == 1);
  CHECK(f.metric("metallb_layer2_gratuitous_sent", vip) == 2);
}

}  // namespace
}  // namespace l1net::speaker
