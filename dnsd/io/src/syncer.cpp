#include "l1net/dnsd/io/syncer.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "l1net/dnsd/verify.hpp"
#include "l1net/io/atomic_file.hpp"
#include "l1net/metrics/registry.hpp"

namespace l1net::dnsd {

namespace asio = boost::asio;

namespace {

void logIssue(spdlog::logger& log, const std::string& where, const Issue& i) {
  const auto level =
      i.severity == Issue::Severity::kError ? spdlog::level::err : spdlog::level::warn;
  log.log(level, "{}{}{}{}{}", where.empty() ? "" : where + ": ",
          i.origin.empty() ? "" : i.origin + ": ", i.name.empty() ? "" : i.name + ": ", i.message,
          "");
}

}  // namespace

Syncer::Syncer(std::vector<Provider*> providers, SyncOptions opts,
               std::shared_ptr<spdlog::logger> logger, metrics::Registry& registry,
               DnsTransport* verifier)
    : providers_(std::move(providers)),
      opts_(std::move(opts)),
      log_(std::move(logger)),
      registry_(registry),
      verifier_(verifier) {
  ledger_loaded_ = opts_.ledger_store == nullptr;
  if (opts_.ledger_store == nullptr && !opts_.ledger_path.empty()) {
    std::ifstream in(opts_.ledger_path, std::ios::binary);
    if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      auto parsed = parseLedger(ss.str());
      if (!parsed.error.empty()) {
        throw std::runtime_error(opts_.ledger_path + ": " + parsed.error);
      }
      ledger_ = std::move(parsed.ledger);
    }
  }
  registry_.gauge("external_dns_controller_last_sync_timestamp_seconds",
                  "Timestamp of the last successful sync with the DNS provider.");
  registry_.gauge("external_dns_registry_endpoints_total",
                  "Number of records the providers hold (all instances, foreign included).");
  registry_.gauge("external_dns_source_endpoints_total", "Number of names from the sources.");
  registry_.counter("external_dns_registry_errors_total",
                    "Number of provider reads or writes that failed.");
  registry_.counter("external_dns_source_errors_total",
                    "Number of per-record source errors (wildcards, multi-target CNAMEs).");
  registry_.counter("external_dns_controller_no_op_runs_total",
                    "Sync cycles that changed nothing.");
  registry_.gauge("l1net_dnsd_foreign_records_skipped",
                  "Foreign records (not in the ledger) that matched a desired name and were left "
                  "alone in the last cycle.");
  registry_.counter("l1net_dnsd_changes_total", "Records created or deleted, by operation.");
  registry_.counter("l1net_dnsd_change_failures_total", "Record changes that failed.");
  registry_.gauge("l1net_dnsd_owned_records", "Records in the ownership ledger, per instance.");
  registry_.counter("l1net_dnsd_verify_mismatches_total",
                    "Names whose DNS answer did not match after applying.");
  registry_.counter("l1net_dnsd_verify_errors_total", "Verification queries that failed.");
}

asio::awaitable<CycleReport> Syncer::runCycle(const DesiredRecords& desired, double now_unix) {
  CycleReport rep;
  if (!ledger_loaded_) {
    std::string why;
    auto text = co_await opts_.ledger_store->load(&why);
    auto parsed = text ? parseLedger(*text) : LedgerParse{};
    if (!text || !parsed.error.empty()) {
      log_->error("ownership ledger: {}; changing nothing until it can be read",
                  text ? parsed.error : why);
      rep.ok = false;
      co_return rep;
    }
    ledger_ = std::move(parsed.ledger);
    ledger_loaded_ = true;
  }
  registry_.gauge("external_dns_source_endpoints_total", "")
      .set({}, static_cast<double>(desired.endpoints));
  for (const auto& i : desired.issues) {
    logIssue(*log_, "", i);
    if (i.severity == Issue::Severity::kError) {
      registry_.counter("external_dns_source_errors_total", "").inc();
    }
  }
  bool ledger_changed = false;
  double registry_entries = 0;
  std::vector<std::string> changed_names;
  for (auto* p : providers_) {
    const auto& id = p->id();
    std::string why;
    auto state = co_await p->read(&why);
    if (!state) {
      rep.ok = false;
      registry_.counter("external_dns_registry_errors_total", "").inc({{"instance", id}});
      if (!opts_.dry_run) {
        log_->warn("{}: read failed: {}; retrying next cycle", id, why);
        continue;
      }
      // A dry run still shows what it would do: against an empty provider.
      log_->warn("{}: read failed: {}; dry-run: planning against an empty record set", id, why);
      state = ProviderState{};
    }
    registry_entries += static_cast<double>(state->entries);
    auto& owned = ledger_.instances[id];
    PlanInput in{.desired = desired.records,
                 .current = state->records,
                 .foreign_names = state->foreign_names,
                 .owned = owned,
                 .policy = opts_.policy,
                 .filter = opts_.filter,
                 .adopt = opts_.adopt};
    const Plan plan = planChanges(in);
    for (const auto& i : plan.issues) {
      logIssue(*log_, id, i);
    }
    rep.foreign_skipped += plan.foreign_skipped;
    for (const auto& r : plan.forget) {
      log_->info("{}: {} is gone from the provider and no longer desired; forgetting it", id,
                 describe(r));
    }
    if (opts_.dry_run) {
      for (const auto& r : plan.adopted) {
        log_->info("{}: dry-run: would adopt {}", id, describe(r));
      }
      for (auto& c : p->describeCalls(plan)) {
        log_->info("{}: dry-run: {}", id, c);
        rep.calls.push_back(std::move(c));
      }
      rep.creates += plan.creates.size();
      rep.deletes += plan.deletes.size();
      continue;
    }
    for (const auto& r : plan.adopted) {
      log_->info("{}: adopting {} (--adopt): dnsd owns it from now on", id, describe(r));
      owned.insert(r);
      ledger_changed = true;
    }
    for (const auto& r : plan.forget) {
      owned.erase(r);
      ledger_changed = true;
    }
    if (plan.empty()) {
      continue;
    }
    const auto res = co_await p->apply(plan);
    for (const auto& r : res.deleted) {
      log_->info("{}: deleted {}", id, describe(r));
      owned.erase(r);
      changed_names.push_back(r.name);
      registry_.counter("l1net_dnsd_changes_total", "").inc({{"instance", id}, {"op", "delete"}});
    }
    for (const auto& r : res.created) {
      log_->info("{}: created {}", id, describe(r));
      owned.insert(r);
      changed_names.push_back(r.name);
      registry_.counter("l1net_dnsd_changes_total", "").inc({{"instance", id}, {"op", "create"}});
    }
    for (const auto& [r, reason] : res.failed) {
      log_->warn("{}: {} failed: {}; retrying next cycle", id, describe(r), reason);
      registry_.counter("l1net_dnsd_change_failures_total", "").inc({{"instance", id}});
    }
    if (!res.failed.empty()) {
      registry_.counter("external_dns_registry_errors_total", "").inc({{"instance", id}});
    }
    ledger_changed |= !res.deleted.empty() || !res.created.empty();
    rep.creates += res.created.size();
    rep.deletes += res.deleted.size();
    rep.failed += res.failed.size();
    rep.ok = rep.ok && res.ok();
  }
  for (const auto& [id, owned] : ledger_.instances) {
    registry_.gauge("l1net_dnsd_owned_records", "")
        .set({{"instance", id}}, static_cast<double>(owned.size()));
  }
  registry_.gauge("external_dns_registry_endpoints_total", "").set({}, registry_entries);
  registry_.gauge("l1net_dnsd_foreign_records_skipped", "")
      .set({}, static_cast<double>(rep.foreign_skipped));
  if (ledger_changed && opts_.ledger_store != nullptr) {
    std::string why;
    if (auto w = co_await opts_.ledger_store->save(renderLedger(ledger_), &why); !w) {
      rep.ok = false;
      log_->error("ownership ledger: save failed: {}", why);
    } else if (auto stored = parseLedger(*w); stored.error.empty()) {
      if (!(stored.ledger == ledger_)) {
        log_->info("ownership ledger: merged with another writer's changes");
      }
      ledger_ = std::move(stored.ledger);
    }
  } else if (ledger_changed && !opts_.ledger_path.empty()) {
    if (auto w = io::writeFileAtomically(opts_.ledger_path, renderLedger(ledger_)); !w) {
      rep.ok = false;
      log_->error("ledger {}: write failed: {}", opts_.ledger_path, w.error().message());
    }
  }
  if (verifier_ != nullptr && !changed_names.empty()) {
    const auto queries = verifyQueries(desired.records, changed_names);
    for (std::size_t qi = 0; qi < queries.size(); ++qi) {
      const auto& q = queries[qi];
      auto got = co_await verifier_->query(q.name, q.type);
      // Servers apply changes a moment later (dnsmasq after SIGHUP, FTL after restartdns): a
      // mismatch is asked again a few times before it counts.
      for (int attempt = 0; attempt < 5 && got && compareAnswer(q, *got); ++attempt) {
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(300));
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        got = co_await verifier_->query(q.name, q.type);
      }
      if (!got) {
        // The server did not answer (timeout, refused): asking it about every other name would
        // only hold the cycle up for timeout x tries each. Skip them; the next change asks again.
        registry_.counter("l1net_dnsd_verify_errors_total", "").inc();
        log_->warn("verify {} {}: query failed: {}; skipping the {} other check(s) this cycle",
                   toString(q.type), q.name, got.error().message(), queries.size() - qi - 1);
        rep.verify_skipped = queries.size() - qi - 1;
        break;
      }
      if (auto mismatch = compareAnswer(q, *got)) {
        ++rep.verify_mismatches;
        registry_.counter("l1net_dnsd_verify_mismatches_total", "").inc();
        log_->warn("verify: {}", *mismatch);
      } else {
        log_->debug("verify {} {}: ok", toString(q.type), q.name);
      }
    }
  }
  if (rep.ok) {
    registry_.gauge("external_dns_controller_last_sync_timestamp_seconds", "").set({}, now_unix);
    if (rep.creates == 0 && rep.deletes == 0) {
      registry_.counter("external_dns_controller_no_op_runs_total", "").inc();
    }
  }
  co_return rep;
}

}  // namespace l1net::dnsd
