// The seam that decides which node announces an address, once planAnnouncements (announce_plan.hpp)
// has worked out which nodes are eligible. Pure and const; implementations must be deterministic
// so every speaker reaches the same answer from the same inputs.
//
// Single-node mode uses LocalOwnershipPolicy (this node announces whatever it is eligible for).
// Failover replaces it with a policy built from the live members of the heartbeat mesh, e.g.
// RankedOwnershipPolicy, which orders them exactly as MetalLB does (ranking.hpp).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/speaker/ranking.hpp"

namespace l1net::speaker {

struct OwnershipQuery {
  std::string_view ip;       // ranking key: text of the service's first LoadBalancer IP
  std::string_view service;  // "namespace/name"
  std::string_view local_node;
  std::span<const Candidate> eligible;  // the members that passed the checks, in members() order
};

class OwnershipPolicy {
 public:
  OwnershipPolicy() = default;
  OwnershipPolicy(const OwnershipPolicy&) = default;
  OwnershipPolicy& operator=(const OwnershipPolicy&) = default;
  OwnershipPolicy(OwnershipPolicy&&) = default;
  OwnershipPolicy& operator=(OwnershipPolicy&&) = default;
  virtual ~OwnershipPolicy() = default;

  // The nodes that may announce at all (the membership view); each is checked for eligibility.
  [[nodiscard]] virtual std::vector<std::string> members(std::string_view local_node) const = 0;
  // The winner among the eligible candidates; nullopt when nobody should announce.
  [[nodiscard]] virtual std::optional<std::string> choose(const OwnershipQuery& q) const = 0;
};

// Members = {local node}; the local node wins whenever it is eligible.
class LocalOwnershipPolicy final : public OwnershipPolicy {
 public:
  [[nodiscard]] std::vector<std::string> members(std::string_view local_node) const override;
  [[nodiscard]] std::optional<std::string> choose(const OwnershipQuery& q) const override;
};

// Members = a fixed list (e.g. live mesh members); the winner is rankNodes()'s first.
class RankedOwnershipPolicy final : public OwnershipPolicy {
 public:
  explicit RankedOwnershipPolicy(std::vector<std::string> members);
  [[nodiscard]] std::vector<std::string> members(std::string_view local_node) const override;
  [[nodiscard]] std::optional<std::string> choose(const OwnershipQuery& q) const override;

 private:
  std::vector<std::string> members_;
};

}  // namespace l1net::speaker
