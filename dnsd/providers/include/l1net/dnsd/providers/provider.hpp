// The provider seam of l1net-dnsd: where records are stored (Pi-hole v6 REST, a dnsmasq hosts
// file). The sync loop reads, plans (core), then applies; providers never decide what to change.
//
// Contract: every call runs on the executor's thread; no exception escapes; a failed call leaves
// the provider usable for the next cycle.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "l1net/dnsd/plan.hpp"
#include "l1net/dnsd/records.hpp"
#include "l1net/error.hpp"

namespace l1net::dnsd {

// What a provider holds now.
struct ProviderState {
  std::vector<Record> records;          // entries dnsd could own (canonical form)
  std::set<std::string> foreign_names;  // names in entries dnsd can never own ("IP a b", odd text)
  std::size_t entries = 0;              // raw entries read (for the registry metric)
};

struct ApplyResult {
  std::vector<Record> deleted;  // gone now (404 included)
  std::vector<Record> created;  // present now ("Item already present" included)
  std::vector<std::pair<Record, std::string>> failed;  // record, one-line reason
  std::size_t requests = 0;
  [[nodiscard]] bool ok() const noexcept { return failed.empty(); }
};

class Provider {
 public:
  virtual ~Provider() = default;
  Provider() = default;
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  // The instance's key in the ledger and its label in logs and metrics: "pihole http://pi.example"
  [[nodiscard]] virtual const std::string& id() const noexcept = 0;

  // Errors carry a message for the log in `*why` (never secrets).
  virtual boost::asio::awaitable<Result<ProviderState>> read(std::string* why) = 0;

  // Deletes, then creates; each record independently.
  virtual boost::asio::awaitable<ApplyResult> apply(const Plan& plan) = 0;

  // The calls apply(plan) would make, one line each ("PUT /api/config/dns/hosts/..."), for
  // --dry-run.
  [[nodiscard]] virtual std::vector<std::string> describeCalls(const Plan& plan) const = 0;

  // Releases what the provider holds (Pi-hole: DELETE /api/auth). Idempotent.
  virtual boost::asio::awaitable<void> shutdown() = 0;
};

}  // namespace l1net::dnsd
