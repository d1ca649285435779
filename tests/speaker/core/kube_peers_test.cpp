#include "l1net/speaker/kube_peers.hpp"

#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace {

using boost::asio::ip::make_address;
using l1net::manifest::Labels;
using l1net::manifest::Node;
using l1net::manifest::NodeAddress;
using l1net::speaker::KubeMeshPeers;
using l1net::speaker::MeshPeer;
using l1net::speaker::PeerSkipReason;
using l1net::speaker::SkippedPeer;
using l1net::speaker::SpeakerPod;

const Labels kSpeakerLabels = {{"app.kubernetes.io/name", "l1net"},
                               {"app.kubernetes.io/component", "speaker"},
                               {"app.kubernetes.io/instance", "l1net"}};

SpeakerPod pod(std::string name, std::string node, std::string phase = "Running",
               Labels labels = kSpeakerLabels) {
  return SpeakerPod{std::move(name), "l1net-system", std::move(labels), std::move(node),
                    std::move(phase)};
}

Node node(std::string name, std::vector<NodeAddress> addrs) {
  Node n;
  n.meta.name = std::move(name);
  n.addresses = std::move(addrs);
  return n;
}

const std::string kLongName(300, 'n');  // longer than a mesh name may be

const std::vector<Node> kNodes = {
    node("self", {{"InternalIP", "192.0.2.1"}}),
    node("b", {{"Hostname", "b"}, {"InternalIP", "2001:db8::2"}, {"InternalIP", "192.0.2.2"}}),
    node("c", {{"InternalIP", "2001:db8::3"}}),
    node("d", {{"ExternalIP", "198.51.100.4"}}),
    node("e", {{"InternalIP", "not-an-ip"}}),
    node("f", {{"InternalIP", "192.0.2.6"}}),
    node(kLongName, {{"InternalIP", "192.0.2.7"}}),
    node("g", {{"InternalIP", "192.0.2.8"}}),
};

}  // namespace

TEST_CASE("meshPeersFromSpeakerPods") {
  const auto selector =
      l1net::speaker::parseEqualitySelector(l1net::speaker::kDefaultSpeakerSelector).value();
  struct Case {
    const char* name;
    std::vector<SpeakerPod> pods;
    std::vector<MeshPeer> overrides;
    KubeMeshPeers want;
  };
  const std::vector<Case> cases = {
      {"no pods: no peers", {}, {}, {}},
      {"a running pod on a node with an InternalIP (IPv4 preferred)",
       {pod("sp-b", "b")},
       {},
       {{{"b", make_address("192.0.2.2"), 7946}}, {}}},
      {"IPv6-only node", {pod("sp-c", "c")}, {}, {{{"c", make_address("2001:db8::3"), 7946}}, {}}},
      {"the local node's own pod is not a peer", {pod("sp-self", "self")}, {}, {}},
      {"a node without a speaker pod is not a peer (g has a Node but no pod)",
       {pod("sp-f", "f")},
       {},
       {{{"f", make_address("192.0.2.6"), 7946}}, {}}},
      {"pods of other workloads are ignored",
       {pod("web", "f", "Running", {{"app", "web"}})},
       {},
       {}},
      {"pending and unscheduled pods are skipped with a reason",
       {pod("sp-b", "b", "Pending"), pod("sp-x", "")},
       {},
       {{},
        {{"pod l1net-system/sp-b", PeerSkipReason::kNotRunning},
         {"pod l1net-system/sp-x", PeerSkipReason::kNotScheduled}}}},
      {"failed pod skipped, the running one on the same node counts (rolling update)",
       {pod("old", "b", "Failed"), pod("new", "b")},
       {},
       {{{"b", make_address("192.0.2.2"), 7946}},
        {{"pod l1net-system/old", PeerSkipReason::kNotRunning}}}},
      {"two running pods on one node give one peer",
       {pod("sp-1", "f"), pod("sp-2", "f")},
       {},
       {{{"f", make_address("192.0.2.6"), 7946}}, {}}},
      {"nodes without a usable InternalIP, a missing Node, a name too long for the mesh",
       {pod("sp-d", "d"), pod("sp-e", "e"), pod("sp-z", "zz"), pod("sp-bad", kLongName)},
       {},
       {{},
        {{"node d", PeerSkipReason::kNoInternalIp},
         {"node e", PeerSkipReason::kNoInternalIp},
         {"pod l1net-system/sp-z", PeerSkipReason::kNodeMissing},
         {"node " + kLongName, PeerSkipReason::kInvalidName}}}},
      {"--mesh-peer overrides replace or add, never self",
       {pod("sp-b", "b"), pod("sp-f", "f")},
       {{"f", make_address("198.51.100.6"), 8000},
        {"h", make_address("198.51.100.9"), 8001},
        {"self", make_address("192.0.2.1"), 1}},
       {{{"b", make_address("192.0.2.2"), 7946},
         {"f", make_address("198.51.100.6"), 8000},
         {"h", make_address("198.51.100.9"), 8001}},
        {}}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = l1net::speaker::meshPeersFromSpeakerPods(c.pods, kNodes, selector, "self",
                                                                7946, c.overrides);
      CHECK(got.peers == c.want.peers);
      CHECK(got.skipped == c.want.skipped);
    }
  }
}

TEST_CASE("parseEqualitySelector") {
  struct Case {
    const char* name;
    const char* text;
    bool ok;
    Labels want;
  };
  const std::vector<Case> cases = {
      {"empty = everything", "", true, {}},
      {"one term", "a=b", true, {{"a", "b"}}},
      {"double equals and spaces", " a == b , c=d ", true, {{"a", "b"}, {"c", "d"}}},
      {"empty value", "a=", true, {{"a", ""}}},
      {"no equals", "a", false, {}},
      {"not-equal is not supported", "a!=b", false, {}},
      {"empty key", "=b", false, {}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = l1net::speaker::parseEqualitySelector(c.text);
      REQUIRE(got.has_value() == c.ok);
      if (c.ok) {
        CHECK(*got == c.want);
      }
    }
  }
  CHECK(l1net::speaker::selectorMatches({{"a", "b"}}, {{"a", "b"}, {"c", "d"}}));
  CHECK_FALSE(l1net::speaker::selectorMatches({{"a", "b"}}, {{"a", "x"}}));
  CHECK(l1net::speaker::selectorMatches({}, {}));
}
