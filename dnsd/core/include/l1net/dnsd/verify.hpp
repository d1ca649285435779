// Verification of published records: what a DNS server should answer for a name, compared with
// what it did answer. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "l1net/dnsd/records.hpp"

namespace l1net::dnsd {

struct VerifyQuery {
  std::string name;
  RecordType type = RecordType::kA;
  std::vector<std::string> want;  // sorted; empty = the name must not resolve for this type
};

// The queries that check `desired` for every name in `changed` (names of created or deleted
// records): one per (name, type) that is desired, plus an A query expecting nothing for a name
// no longer desired at all.
[[nodiscard]] std::vector<VerifyQuery> verifyQueries(const std::vector<Record>& desired,
                                                     const std::vector<std::string>& changed);

// nullopt when `got` (any order) equals q.want; else a one-line mismatch description.
[[nodiscard]] std::optional<std::string> compareAnswer(const VerifyQuery& q,
                                                       std::vector<std::string> got);

}  // namespace l1net::dnsd
