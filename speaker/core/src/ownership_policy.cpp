#include "l1net/speaker/ownership_policy.hpp"

#include <utility>

#include "l1net/speaker/ranking.hpp"

namespace l1net::speaker {

std::vector<std::string> LocalOwnershipPolicy::members(std::string_view local_node) const {
  return {std::string(local_node)};
}

std::optional<std::string> LocalOwnershipPolicy::choose(const OwnershipQuery& q) const {
  for (const auto& c : q.eligible) {
    if (c.node == q.local_node) {
      return c.node;
    }
  }
  return std::nullopt;
}

RankedOwnershipPolicy::RankedOwnershipPolicy(std::vector<std::string> members)
    : members_(std::move(members)) {}

std::vector<std::string> RankedOwnershipPolicy::members(std::string_view /*local_node*/) const {
  return members_;
}

std::optional<std::string> RankedOwnershipPolicy::choose(const OwnershipQuery& q) const {
  if (q.eligible.empty()) {
    return std::nullopt;
  }
  auto ranked = rankNodes(q.ip, {q.eligible.begin(), q.eligible.end()});
  return std::move(ranked.front());
}

}  // namespace l1net::speaker
