// Kubernetes mode: dnsd's objects from the API server through informers (list, then watch;
// kubeapi::Informer): Services and Ingresses (networking.k8s.io/v1) in every namespace and, for
// --require-announced, the speakers' ServiceL2Status objects (metallb.io/v1beta1) in the l1net
// namespace. After every batch of changes on_change() runs (the daemon then syncs, at least
// --min-event-interval after the last sync).
//
// Nothing is lost across disconnects: an informer resumes its watch from the last
// resourceVersion, relists after a 410 (the relist yields exactly what changed meanwhile,
// deletions included), and keeps its last view while the API server is away. view() is only
// meaningful once synced() (every informer has listed): before that a sync would see a partial
// world and delete records it still owns.
// Not thread-safe: run on the ApiClient's executor.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "l1net/kube/cache.hpp"
#include "l1net/kubeapi/informer.hpp"
#include "l1net/manifest/objects.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::dnsd {

struct KubeView {
  manifest::ManifestSet set;            // services and ingresses
  std::set<std::string> announced;      // "namespace/name" of Services with a ServiceL2Status
  std::set<std::string> announced_ips;  // their status.loadBalancer.ingress IPs
};

// "namespace/name" of the Service a ServiceL2Status names (status.serviceNamespace and
// status.serviceName); "" when it names none.
[[nodiscard]] std::string l2StatusService(const boost::json::value& obj);
// The announced IPs: status.loadBalancer.ingress[].ip of the Services named in `announced`.
[[nodiscard]] std::set<std::string> announcedIps(const std::vector<manifest::Service>& services,
                                                 const std::set<std::string>& announced);

struct KubeSourceOptions {
  std::string ns = "l1net-system";  // where the ServiceL2Status objects live
  bool with_l2_status = true;       // --require-announced
  kube::Backoff::Options backoff;   // the informers' retry backoff
};

class KubeSource {
 public:
  KubeSource(kubeapi::ApiClient& client, KubeSourceOptions opts,
             std::shared_ptr<spdlog::logger> logger, std::function<void()> on_change);
  ~KubeSource();
  KubeSource(const KubeSource&) = delete;
  KubeSource& operator=(const KubeSource&) = delete;

  void start();  // spawns the informers on the client's executor
  void stop();   // no on_change after this; the informers end at their next suspension point
  [[nodiscard]] bool stopped() const noexcept;  // every informer's run() has returned

  [[nodiscard]] bool synced() const;
  [[nodiscard]] KubeView view() const;
  // "" while every informer is healthy, else "<collection>: <last error>" of a failing one.
  [[nodiscard]] std::string healthProblem() const;
  // The informers' counters summed (lists, watches, relists, failures, events, deltas).
  [[nodiscard]] kubeapi::InformerStats stats() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace l1net::dnsd
