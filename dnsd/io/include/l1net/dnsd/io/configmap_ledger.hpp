// The Kubernetes-mode ownership ledger: a ConfigMap (--ledger-configmap, default
// l1net-dnsd-ledger, in --namespace) whose data key "ledger.json" holds the ledger text.
//
//  - load(): GET the ConfigMap; 404 = nothing stored yet ("").
//  - save(): kubeapi::updateWith (read-modify-write with optimistic concurrency: created with
//    POST the first time, then PUT with the resourceVersion just read; a 409 reads again). Each
//    write merges three-way against what is stored (mergeLedger: another writer's entries are
//    never lost, an entry is only dropped when this writer dropped it). Other data keys, labels
//    and annotations are kept. A stored ledger that does not parse is never overwritten.
//  - Requests go through the shared Kubernetes API client (kubeapi::ApiClient: auth, TLS).
// Not thread-safe: run on the Syncer's executor (the client's).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "l1net/dnsd/io/syncer.hpp"
#include "l1net/dnsd/ledger.hpp"
#include "l1net/error.hpp"

namespace l1net::kubeapi {
class ApiClient;
}  // namespace l1net::kubeapi

namespace l1net::dnsd {

struct ConfigMapLedgerOptions {
  std::string ns = "l1net-system";
  std::string name = "l1net-dnsd-ledger";
};

struct ConfigMapLedgerStats {
  std::uint64_t creates = 0;
  std::uint64_t updates = 0;
  std::uint64_t merges = 0;     // saves that merged another writer's change into ours
  std::uint64_t conflicts = 0;  // 409 answers handled by reading again
};

class ConfigMapLedgerStore final : public LedgerStore {
 public:
  ConfigMapLedgerStore(kubeapi::ApiClient& client, ConfigMapLedgerOptions opts,
                       std::shared_ptr<spdlog::logger> logger);

  boost::asio::awaitable<Result<std::string>> load(std::string* why) override;
  boost::asio::awaitable<Result<std::string>> save(std::string text, std::string* why) override;

  [[nodiscard]] const ConfigMapLedgerStats& stats() const noexcept { return stats_; }
  [[nodiscard]] std::string collection() const;  // "/api/v1/namespaces/<ns>/configmaps"

 private:
  kubeapi::ApiClient& client_;
  ConfigMapLedgerOptions opts_;
  std::shared_ptr<spdlog::logger> log_;
  Ledger base_;  // the ledger as last read or written
  ConfigMapLedgerStats stats_;
};

}  // namespace l1net::dnsd
