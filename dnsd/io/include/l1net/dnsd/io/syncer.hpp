// One sync cycle of l1net-dnsd, for every provider instance: read what it holds, plan against
// the desired records and the ledger (core), log the plan's issues, apply it (or, with dry_run,
// log each call and write nothing), update and persist the ledger, verify changed names, and
// update the metrics. A failing instance is logged and counted and does not stop the others; the
// next cycle repairs whatever drifted.
//
// Not thread-safe: run on one executor.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "l1net/dnsd/io/dns_transport.hpp"
#include "l1net/dnsd/ledger.hpp"
#include "l1net/dnsd/plan.hpp"
#include "l1net/dnsd/providers/provider.hpp"
#include "l1net/dnsd/sources.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::metrics {
class Registry;
}  // namespace l1net::metrics

namespace l1net::dnsd {

// Where the ledger lives when it is not a local file: the Kubernetes-mode ConfigMap
// (--ledger-configmap) implements this. Both calls run on the Syncer's executor.
class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  LedgerStore() = default;
  LedgerStore(const LedgerStore&) = delete;
  LedgerStore& operator=(const LedgerStore&) = delete;
  // The stored ledger text; "" when nothing is stored yet. On error, *why says why.
  virtual boost::asio::awaitable<Result<std::string>> load(std::string* why) = 0;
  // Stores `text`; returns the text now stored, which differs from `text` when another writer
  // changed the store since the last load/save and the two were merged (mergeLedger). The
  // Syncer continues from the returned ledger.
  virtual boost::asio::awaitable<Result<std::string>> save(std::string text, std::string* why) = 0;
};

struct SyncOptions {
  Policy policy = Policy::kSync;
  DomainFilter filter;
  bool adopt = false;
  bool dry_run = false;
  std::string ledger_path;  // --state FILE; empty = ledger kept in memory only
  // When set, the ledger is loaded from and saved to this store instead of ledger_path. It is
  // loaded at the start of the first cycle; until a load succeeds and parses, cycles change
  // nothing (a ledger dnsd cannot read must never be overwritten).
  LedgerStore* ledger_store = nullptr;
};

struct CycleReport {
  bool ok = true;  // every instance read and applied without a failed record
  std::size_t creates = 0;
  std::size_t deletes = 0;
  std::size_t failed = 0;
  std::size_t foreign_skipped = 0;
  std::size_t verify_mismatches = 0;
  std::size_t verify_skipped = 0;  // checks not made after the verify server failed to answer
  std::vector<std::string> calls;  // dry_run: the calls that would have been made
};

class Syncer {
 public:
  // Loads the ledger from opts.ledger_path (missing file = empty). Throws std::runtime_error
  // naming the file and the field when it cannot be parsed (start-up error: never overwrite a
  // ledger we cannot read, or dnsd would forget what it owns).
  Syncer(std::vector<Provider*> providers, SyncOptions opts, std::shared_ptr<spdlog::logger> logger,
         metrics::Registry& registry, DnsTransport* verifier = nullptr);

  boost::asio::awaitable<CycleReport> runCycle(const DesiredRecords& desired, double now_unix);

  [[nodiscard]] const Ledger& ledger() const noexcept { return ledger_; }

 private:
  std::vector<Provider*> providers_;
  SyncOptions opts_;
  std::shared_ptr<spdlog::logger> log_;
  metrics::Registry& registry_;
  DnsTransport* verifier_;
  Ledger ledger_;
  bool ledger_loaded_ = false;
};

}  // namespace l1net::dnsd
