// Kubernetes mode wiring of the speaker (main stays a list of wires): the API client from
// --kubeconfig or the in-cluster service account, the KubeSource (informers), the mesh peers from
// the speaker pods, the ServiceL2Status publisher and the API outage watch.
//
// Start-up: nothing is announced and the mesh is not started before the first complete snapshot
// (every informer listed): the speaker must know its peers before it may claim anything. Then
// every snapshot goes to the failover (peers) and the speaker (plan); every announcement change
// goes to the publisher. While the API server is away the last snapshot stays in force; the outage
// is logged once when it starts and once when it ends, and exported as
// l1net_speaker_api_reachable / l1net_speaker_api_outages_total; it never fails /healthz.
// Not thread-safe: the executor's thread.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/kube/config.hpp"
#include "l1net/speaker/io/cli.hpp"
#include "l1net/speaker/l2_status.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::metrics {
class Registry;
}  // namespace l1net::metrics

namespace l1net::kubeapi {
class ApiClient;
}  // namespace l1net::kubeapi

namespace l1net::speaker {

class Speaker;
class Failover;

// --kubeconfig, else the in-cluster service account. Throws std::invalid_argument (exit 2) with
// one line naming the file and field.
[[nodiscard]] kube::ClusterConfig clusterConfigFromFlags(const SpeakerFlags& flags);

struct KubeModeOptions {
  std::string node;
  std::string ns;
  manifest::Labels speaker_selector;
  OwnerPod owner;
  std::chrono::milliseconds outage_poll{1000};    // how often the source's health is sampled
  std::chrono::milliseconds status_backoff{500};  // publisher retry backoff, first step
};

class KubeMode {
 public:
  KubeMode(boost::asio::any_io_executor ex, KubeModeOptions options,
           std::shared_ptr<kubeapi::ApiClient> client, Speaker& speaker, Failover& failover);
  ~KubeMode();
  KubeMode(const KubeMode&) = delete;
  KubeMode& operator=(const KubeMode&) = delete;

  void start();
  void stop();
  // Before /metrics: the outage gauges and publisher counters.
  void exportMetrics(metrics::Registry& registry) const;
  [[nodiscard]] bool synced() const noexcept;
  [[nodiscard]] bool statusInSync() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace l1net::speaker
