// Kubernetes mode's io::ObjectSource, shared by the controller and the speaker: one Informer per
// kind the daemon reads, all into one kube::Cache; a snapshot of the cache is delivered once every
// informer has listed, then after every change (changes arriving together are delivered as one
// snapshot). While the API server is away the informers retry with backoff and deliver nothing:
// the last snapshot stays in force. healthProblem() names the failing informer and its last error
// (a 403 names the verb, the resource and the identity, as the API server's Status does).
// Not thread-safe: the executor's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/io/object_source.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/kubeapi/informer.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::kubeapi {

class KubeObjectSource final : public io::ObjectSource {
 public:
  KubeObjectSource(boost::asio::any_io_executor ex, std::shared_ptr<ApiClient> client,
                   std::vector<InformerOptions> informers, std::shared_ptr<spdlog::logger> logger);
  ~KubeObjectSource() override;

  // done once every informer has listed (list failures are retried with backoff meanwhile, so
  // this waits for the API server; it is never reported as not ok).
  void initialSync(SyncCallback done) override;
  void start(Callback on_snapshot) override;
  void stop() override;
  [[nodiscard]] std::string healthProblem() const override;

  [[nodiscard]] bool synced() const;
  [[nodiscard]] std::uint64_t snapshots() const noexcept;
  // The informers' counters summed (lists, watches, relists, failures, ...).
  [[nodiscard]] InformerStats stats() const;

 private:
  void run();
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace l1net::kubeapi
