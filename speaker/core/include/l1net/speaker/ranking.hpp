// MetalLB's L2 ownership order (speaker/layer2_controller.go ShouldAnnounce): candidates sorted by
// preference score descending, then by sha256(nodeName + "#" + ip) ascending bytewise; the first
// one announces. `ip` is the text of the service's first LoadBalancer IP (Go's net.IP.String()),
// so every IP of a shared or dual-stack service lands on the same node. Pure (sha256.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/manifest/objects.hpp"
#include "l1net/speaker/sha256.hpp"

namespace l1net::speaker {

// A node that may announce an address, with its preferredNodeSelectors score.
struct Candidate {
  std::string node;
  std::int64_t preference = 0;  // sum of matching preferredNodeSelectors weights
  friend bool operator==(const Candidate&, const Candidate&) = default;
};

// sha256(node + "#" + ip).
[[nodiscard]] Sha256Digest nodeIpDigest(std::string_view node, std::string_view ip);

// Node names, best first. Equal (node, preference) duplicates keep their input order.
[[nodiscard]] std::vector<std::string> rankNodes(std::string_view ip,
                                                 std::vector<Candidate> candidates);

// MetalLB's preferredNodeSelectors score of a node under one L2Advertisement: the sum of the
// weights of the preferences matching the node's labels. The caller sums over the ads that apply
// to the service and cover the node (an ad never scores nodes outside its nodeSelectors).
[[nodiscard]] std::int64_t preferenceScore(const manifest::L2Advertisement& ad,
                                           const manifest::Labels& node_labels);

}  // namespace l1net::speaker
