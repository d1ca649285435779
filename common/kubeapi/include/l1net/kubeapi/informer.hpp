// An informer: one list/watch loop for one kind (the pure kube::Reflector decides, this shell
// performs the requests) feeding a kube::Cache shared with other informers.
//
// Contract:
//  - run() lists, then watches with allowWatchBookmarks=true and a timeoutSeconds, resumes after
//    every disconnect from the last resourceVersion with backoff and jitter, relists after a 410
//    (plain HTTP 410 on a list or watch, or an ERROR event with a 410 Status in a 200 stream).
//    Every delta reaches the cache exactly once (a relist yields only what changed).
//  - on_change(deltas) runs after each batch applied to the cache, and once after the first list
//    even when it brought nothing (deltas then empty), so that a caller can count "synced".
//  - Objects that do not decode are logged (the message names the object and field), counted in
//    stats().decode_errors and left out of the cache; nothing throws.
//  - stop() ends run() at its next suspension point: a pending backoff wait or watch read ends at
//    once; a list in flight ends within the client's request timeout.
//  - Not thread-safe: run it on the ApiClient's executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "l1net/kube/cache.hpp"
#include "l1net/kube/reflector.hpp"
#include "l1net/kubeapi/client.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::kubeapi {

struct InformerOptions {
  std::string collection;  // "/api/v1/services", "/apis/metallb.io/v1beta1/namespaces/x/..."
  kube::Kind kind = kube::Kind::kService;
  std::string label_selector;  // e.g. "app=l1net-speaker" ("" = everything)
  std::string field_selector;  // e.g. "metadata.name=l1net-dnsd-ledger"
  // Older API versions of the same kind, tried in order when a list of the current collection
  // answers 404 (e.g. discovery.k8s.io/v1beta1 EndpointSlices on kube-apiserver 1.20). The switch
  // is logged once; options().collection then names the one in use.
  std::vector<std::string> fallback_collections;
  kube::Backoff::Options backoff;
};

struct InformerStats {
  std::uint64_t lists = 0;          // list requests sent
  std::uint64_t watches = 0;        // watch requests sent
  std::uint64_t relists = 0;        // expiries (410) answered with a relist
  std::uint64_t failures = 0;       // failed requests and broken streams (backoff applied)
  std::uint64_t events = 0;         // watch events received (bookmarks included)
  std::uint64_t deltas = 0;         // deltas applied to the cache
  std::uint64_t decode_errors = 0;  // objects left out because they did not decode

  // Sums another informer's counters into these (a source's total over its informers).
  InformerStats& operator+=(const InformerStats& o) noexcept {
    lists += o.lists;
    watches += o.watches;
    relists += o.relists;
    failures += o.failures;
    events += o.events;
    deltas += o.deltas;
    decode_errors += o.decode_errors;
    return *this;
  }
};

class Informer {
 public:
  using OnChange = std::function<void(const std::vector<kube::Delta>&)>;

  Informer(ApiClient& client, InformerOptions opts, kube::Cache& cache,
           std::shared_ptr<spdlog::logger> logger, OnChange on_change);

  // Runs until stop() (or the executor stops). Never throws.
  boost::asio::awaitable<void> run();
  void stop();

  [[nodiscard]] bool synced() const noexcept { return reflector_.synced(); }
  [[nodiscard]] const InformerStats& stats() const noexcept { return stats_; }
  [[nodiscard]] const InformerOptions& options() const noexcept { return opts_; }
  // Since when requests have been failing without a success in between (nullopt = healthy), and
  // the last error seen.
  [[nodiscard]] std::optional<std::chrono::system_clock::time_point> failingSince() const {
    return failing_since_;
  }
  [[nodiscard]] const std::string& lastError() const noexcept { return last_error_; }

 private:
  void apply(kube::Outcome& o);
  boost::asio::awaitable<void> list(const kube::Request& req);
  boost::asio::awaitable<void> watch(const kube::Request& req);
  [[nodiscard]] std::string target(const kube::Request& req) const;

  ApiClient& client_;
  InformerOptions opts_;
  kube::Cache& cache_;
  std::shared_ptr<spdlog::logger> logger_;
  OnChange on_change_;
  kube::Reflector reflector_;
  InformerStats stats_;
  bool stopped_ = false;
  bool announced_ = false;
  std::optional<std::chrono::system_clock::time_point> failing_since_;
  std::string last_error_;
  std::shared_ptr<boost::asio::steady_timer> timer_;
  http::ResponseStream* stream_ = nullptr;  // the open watch, to cancel on stop()
};

}  // namespace l1net::kubeapi
