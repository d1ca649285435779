#include "l1net/speaker/kube_peers.hpp"

#include <map>
#include <set>
#include <utility>

#include "l1net/error.hpp"
#include "l1net/net/address.hpp"
#include "l1net/speaker/mesh_message.hpp"

namespace l1net::speaker {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// The node's first InternalIP that parses, IPv4 preferred.
std::optional<boost::asio::ip::address> internalIp(const manifest::Node& node) {
  std::optional<boost::asio::ip::address> v6;
  for (const auto& a : node.addresses) {
    if (a.type != "InternalIP") {
      continue;
    }
    const auto ip = net::parseIp(a.address);
    if (!ip) {
      continue;
    }
    if (ip->is_v4()) {
      return *ip;
    }
    if (!v6) {
      v6 = *ip;
    }
  }
  return v6;
}

}  // namespace

std::string_view peerSkipReasonName(PeerSkipReason r) noexcept {
  switch (r) {
    case PeerSkipReason::kNotScheduled:
      return "not_scheduled";
    case PeerSkipReason::kNotRunning:
      return "not_running";
    case PeerSkipReason::kNodeMissing:
      return "node_missing";
    case PeerSkipReason::kNoInternalIp:
      return "no_internal_ip";
    case PeerSkipReason::kInvalidName:
      return "invalid_name";
  }
  return "unknown";
}

Result<manifest::Labels> parseEqualitySelector(std::string_view text) {
  manifest::Labels out;
  if (trim(text).empty()) {
    return out;
  }
  while (true) {
    const auto comma = text.find(',');
    const auto term = trim(text.substr(0, comma));
    const auto eq = term.find('=');
    if (eq == std::string_view::npos) {
      return Errc::kInvalidArgument;
    }
    const auto key = trim(term.substr(0, eq));
    auto value = term.substr(eq + 1);
    if (!value.empty() && value.front() == '=') {
      value.remove_prefix(1);  // "k==v"
    }
    if (key.empty() || key.back() == '!') {
      return Errc::kInvalidArgument;  // "!=" is not an equality term
    }
    out[std::string(key)] = std::string(trim(value));
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool selectorMatches(const manifest::Labels& selector, const manifest::Labels& labels) noexcept {
  for (const auto& [k, v] : selector) {
    const auto it = labels.find(k);
    if (it == labels.end() || it->second != v) {
      return false;
    }
  }
  return true;
}

KubeMeshPeers meshPeersFromSpeakerPods(std::span<const SpeakerPod> pods,
                                       std::span<const manifest::Node> nodes,
                                       const manifest::Labels& selector, std::string_view self_name,
                                       std::uint16_t port, std::span<const MeshPeer> overrides) {
  std::map<std::string_view, const manifest::Node*> by_name;
  for (const auto& n : nodes) {
    by_name.emplace(n.meta.name, &n);
  }
  KubeMeshPeers out;
  std::map<std::string, MeshPeer, std::less<>> peers;
  std::set<std::string, std::less<>> seen_nodes;  // each node judged once
  for (const auto& pod : pods) {
    if (!selectorMatches(selector, pod.labels)) {
      continue;
    }
    const auto what = "pod " + pod.ns + "/" + pod.name;
    if (pod.node_name.empty()) {
      out.skipped.push_back({what, PeerSkipReason::kNotScheduled});
      continue;
    }
    if (pod.phase != "Running") {
      out.skipped.push_back({what, PeerSkipReason::kNotRunning});
      continue;
    }
    if (pod.node_name == self_name || !seen_nodes.insert(pod.node_name).second) {
      continue;
    }
    const auto node = by_name.find(pod.node_name);
    if (node == by_name.end()) {
      out.skipped.push_back({what, PeerSkipReason::kNodeMissing});
      continue;
    }
    if (!isValidMeshName(pod.node_name)) {
      out.skipped.push_back({"node " + pod.node_name, PeerSkipReason::kInvalidName});
      continue;
    }
    const auto ip = internalIp(*node->second);
    if (!ip) {
      out.skipped.push_back({"node " + pod.node_name, PeerSkipReason::kNoInternalIp});
      continue;
    }
    peers[pod.node_name] = MeshPeer{pod.node_name, *ip, port};
  }
  for (const auto& o : overrides) {
    if (o.name != self_name) {
      peers[o.name] = o;
    }
  }
  for (auto& [name, p] : peers) {
    out.peers.push_back(std::move(p));
  }
  return out;
}

}  // namespace l1net::speaker
