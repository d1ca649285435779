// The plan: what to delete and create at one provider instance so it holds the desired records,
// touching only what dnsd owns. Pure.
//
// Rules, per name inside the domain filter (names outside it are never looked at):
//  - A current record that is not in the ledger is foreign and never deleted, under every policy.
//    A desired record that exists but is foreign stays foreign (counted in foreign_skipped) unless
//    `adopt`, which moves it into the ledger without a call (listed in `adopted`).
//  - A desired name that holds foreign records other than the desired ones is not written at all
//    (one warning Issue): dnsd does not add an IP next to someone else's.
//  - sync: create missing desired records; delete owned records that are no longer desired
//    (update = delete the old record, then create the new one). upsert-only: as sync, but owned
//    records of names that are no longer desired at all stay. create-only: only create records of
//    names that hold no record yet.
//  - An owned ledger record missing at the provider (deleted behind dnsd's back) is recreated
//    when still desired and forgotten otherwise (`forget`).
//  - Same targets in another order are the same records: no change.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/dnsd/records.hpp"

namespace l1net::dnsd {

enum class Policy : std::uint8_t { kSync, kUpsertOnly, kCreateOnly };

// "sync", "upsert-only", "create-only"; false for anything else.
[[nodiscard]] bool parsePolicy(std::string_view text, Policy& out) noexcept;

// external-dns --domain-filter / --exclude-domains. Empty include list = every name.
// "example.com" matches example.com and a.example.com, not badexample.com; ".example.com" matches
// only subdomains. Exclusions win. Matching ignores case and a trailing dot.
class DomainFilter {
 public:
  DomainFilter() = default;
  DomainFilter(std::vector<std::string> include, std::vector<std::string> exclude);
  [[nodiscard]] bool matches(std::string_view name) const;

 private:
  std::vector<std::string> include_;
  std::vector<std::string> exclude_;
};

struct PlanInput {
  std::vector<Record> desired;  // from desiredRecords()
  std::vector<Record> current;  // what the provider holds now (exact, canonical records)
  // Names the provider holds in entries dnsd cannot own (an entry listing several names,
  // odd spacing): treated as foreign records of those names.
  std::set<std::string> foreign_names;
  std::set<Record> owned;  // the ledger's records for this provider instance
  Policy policy = Policy::kSync;
  DomainFilter filter;
  bool adopt = false;
};

struct Plan {
  std::vector<Record> deletes;  // first
  std::vector<Record> creates;  // then
  std::vector<Record> adopted;  // foreign exact matches taken into the ledger (adopt)
  std::vector<Record> forget;   // ledger records gone from the provider and not desired
  std::vector<Issue> issues;
  std::size_t foreign_skipped = 0;  // foreign records that matched a desired name

  [[nodiscard]] bool empty() const noexcept { return deletes.empty() && creates.empty(); }
};

[[nodiscard]] Plan planChanges(const PlanInput& in);

}  // namespace l1net::dnsd
