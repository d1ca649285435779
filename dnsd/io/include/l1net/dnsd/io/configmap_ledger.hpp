// The Kubernetes-mode ownership ledger: a ConfigMap (--ledger-configmap, default
// l1net-dnsd-ledger, in --namespace) whose data key "ledger.json" holds the ledger text.
//
//  - load(): GET the ConfigMap; 404 = nothing stored yet ("").
//  - save(): POST it the first time, then PUT with the resourceVersion last seen (optimistic
//    concurrency). On 409 (Conflict, or AlreadyExists when another writer created it first) the
//    ConfigMap is read again and the ledgers merged three-way (mergeLedger: another writer's
//    entries are never lost, an entry is only dropped when this writer dropped it), then written
//    again, up to max_conflict_retries times. Other data keys, labels and annotations are kept.
//  - Requests go through a KubeCall, the seam to the Kubernetes API client (auth, TLS).
// Not thread-safe: run on the Syncer's executor.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "l1net/dnsd/io/syncer.hpp"
#include "l1net/dnsd/ledger.hpp"
#include "l1net/error.hpp"

namespace l1net::http {
class Client;
}  // namespace l1net::http

namespace l1net::dnsd {

struct KubeReply {
  unsigned status = 0;
  std::string body;
};
// One request to kube-apiserver: method, target ("/api/v1/namespaces/..."), JSON body ("" none).
using KubeCall = std::function<boost::asio::awaitable<Result<KubeReply>>(
    std::string method, std::string target, std::string body)>;

// A KubeCall over the shared HTTP client, with an optional bearer token.
[[nodiscard]] KubeCall httpKubeCall(std::shared_ptr<http::Client> client,
                                    std::string bearer_token = {});

struct ConfigMapLedgerOptions {
  std::string ns = "l1net-system";
  std::string name = "l1net-dnsd-ledger";
  int max_conflict_retries = 5;
};

struct ConfigMapLedgerStats {
  std::uint64_t creates = 0;
  std::uint64_t updates = 0;
  std::uint64_t conflicts = 0;  // 409 answers handled by re-reading and merging
};

class ConfigMapLedgerStore final : public LedgerStore {
 public:
  ConfigMapLedgerStore(KubeCall call, ConfigMapLedgerOptions opts,
                       std::shared_ptr<spdlog::logger> logger);

  boost::asio::awaitable<Result<std::string>> load(std::string* why) override;
  boost::asio::awaitable<Result<std::string>> save(std::string text, std::string* why) override;

  [[nodiscard]] const ConfigMapLedgerStats& stats() const noexcept { return stats_; }
  [[nodiscard]] std::string path() const;  // "/api/v1/namespaces/<ns>/configmaps/<name>"

 private:
  // GETs the ConfigMap into object_/exists_; the stored ledger text ("" when absent).
  boost::asio::awaitable<Result<std::string>> fetch(std::string* why);

  KubeCall call_;
  ConfigMapLedgerOptions opts_;
  std::shared_ptr<spdlog::logger> log_;
  bool exists_ = false;
  boost::json::object object_;  // the ConfigMap as last read or written
  Ledger base_;                 // the ledger as last read or written
  ConfigMapLedgerStats stats_;
};

}  // namespace l1net::dnsd
