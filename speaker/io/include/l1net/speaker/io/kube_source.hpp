// Kubernetes mode: the speaker's ObjectSource. One informer per kind the speaker reads (Services,
// Nodes, EndpointSlices cluster-wide; IPAddressPools, L2Advertisements and the speaker pods in
// --namespace) into one kube::Cache; a snapshot of the cache is delivered once every informer has
// listed, then after every change (changes arriving together are delivered as one snapshot).
// While the API server is away the informers retry with backoff and deliver nothing: the last
// snapshot stays in force (api_outage.hpp). healthProblem() names the failing informer.
// Not thread-safe: the executor's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/io/object_source.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/kubeapi/informer.hpp"
#include "l1net/manifest/objects.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::speaker {

// The informers of the speaker: namespace ns, speaker pods selected by `selector`.
[[nodiscard]] std::vector<kubeapi::InformerOptions> speakerInformers(
    const std::string& ns, const manifest::Labels& selector);

class KubeSource final : public io::ObjectSource {
 public:
  KubeSource(boost::asio::any_io_executor ex, std::shared_ptr<kubeapi::ApiClient> client,
             std::vector<kubeapi::InformerOptions> informers,
             std::shared_ptr<spdlog::logger> logger);
  ~KubeSource() override;

  // done once every informer has listed (list failures are retried with backoff meanwhile, so
  // this waits for the API server; it is never reported as not ok).
  void initialSync(SyncCallback done) override;
  void start(Callback on_snapshot) override;
  void stop() override;
  [[nodiscard]] std::string healthProblem() const override;

  [[nodiscard]] bool synced() const;
  [[nodiscard]] std::uint64_t snapshots() const noexcept;

 private:
  void run();
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace l1net::speaker
