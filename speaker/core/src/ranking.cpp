#include "l1net/speaker/ranking.hpp"

#include <algorithm>

#include "l1net/speaker/sha256.hpp"

namespace l1net::speaker {

Sha256Digest nodeIpDigest(std::string_view node, std::string_view ip) {
  Sha256 h;
  h.update(node);
  h.update("#");
  h.update(ip);
  return h.finish();
}

std::vector<std::string> rankNodes(std::string_view ip, std::vector<Candidate> candidates) {
  struct Keyed {
    Candidate candidate;
    Sha256Digest digest;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(candidates.size());
  for (auto& c : candidates) {
    auto digest = nodeIpDigest(c.node, ip);
    keyed.push_back({std::move(c), digest});
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    if (a.candidate.preference != b.candidate.preference) {
      return a.candidate.preference > b.candidate.preference;
    }
    return a.digest < b.digest;  // std::array compares lexicographically = bytewise
  });
  std::vector<std::string> out;
  out.reserve(keyed.size());
  for (auto& k : keyed) {
    out.push_back(std::move(k.candidate.node));
  }
  return out;
}

std::int64_t preferenceScore(const manifest::L2Advertisement& ad,
                             const manifest::Labels& node_labels) {
  std::int64_t score = 0;
  for (const auto& p : ad.preferred_node_selectors) {
    if (p.preference.matches(node_labels)) {
      score += p.weight;
    }
  }
  return score;
}

}  // namespace l1net::speaker
