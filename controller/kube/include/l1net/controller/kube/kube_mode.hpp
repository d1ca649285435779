// l1net-controller --mode kubernetes: the daemon on the API's seams.
//   source: kubeapi::KubeObjectSource (informers: Services and Namespaces cluster-wide,
//           IPAddressPools and L2Advertisements in --namespace) wrapped in GuardedSource (invalid
//           pools/advertisements rejected, the last valid configuration kept, Warning Events);
//   sink:   KubeStatusSink over ApiStatusWriter (Service status, the pool annotation, Events,
//           IPAddressPool status counts), written only while leading;
//   leader: kubeapi::LeaderElector on Lease l1net-controller in --namespace, identity POD_NAME
//           (else the host name); with --leader-elect=false this replica always writes.
// Deletes are explicit in the API, so IPs are released at once (no release hold). The previous
// assignments are the Services' own status, so a restart, a relist or a new leader moves no IP.
// API errors (401/403 included) are logged naming verb, resource and object, and retried with
// backoff; the daemon keeps running.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/controller/io/controller_app.hpp"
#include "l1net/controller/io/controller_daemon.hpp"
#include "l1net/kube/leader_election.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/kubeapi/informer.hpp"

namespace l1net::controller {

// The controller's informers for namespace `ns`.
[[nodiscard]] std::vector<kubeapi::InformerOptions> controllerInformers(const std::string& ns);

// The leader identity: $POD_NAME, else the host name.
[[nodiscard]] std::string leaderIdentity();

struct KubeControllerOptions {
  std::string ns = "l1net-system";      // --namespace
  std::optional<std::string> lb_class;  // --lb-class
  bool leader_elect = true;             // --leader-elect
  // identity (POD_NAME) and timings of the Lease l1net-controller (client-go's 15/10/2 s).
  kube::ElectionConfig election;
  std::chrono::milliseconds write_retry_initial{500};  // failed writes: backoff from here
  std::chrono::milliseconds write_retry_max{30'000};
};

// The whole mode on one executor and one API client (runKubeDaemon adds signals and /metrics;
// tests run several in one process). The client must outlive it.
class KubeController {
 public:
  KubeController(boost::asio::any_io_executor ex, std::shared_ptr<kubeapi::ApiClient> client,
                 KubeControllerOptions opts, metrics::Registry& registry);
  ~KubeController();
  KubeController(const KubeController&) = delete;
  KubeController& operator=(const KubeController&) = delete;

  // Starts the informers, the daemon and the election (or leads at once without one).
  void start(ControllerDaemon::FatalCallback on_fatal);
  // Stops everything; with release_lease a leader clears the Lease holder on the way out so
  // another replica takes over at once (false: as a crash, the Lease runs out).
  void stop(bool release_lease = true);

  [[nodiscard]] bool leading() const noexcept;
  [[nodiscard]] bool reconciled() const noexcept;
  [[nodiscard]] std::uint64_t reconciles() const noexcept;
  [[nodiscard]] std::uint64_t writes() const noexcept;  // API writes sent by the sink
  [[nodiscard]] std::size_t inFlight() const noexcept;  // sink writes and Events not yet done
  [[nodiscard]] std::string healthProblem() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Runs until SIGINT/SIGTERM; returns the exit code (2: unusable kubeconfig or options; 1: the
// metrics address cannot be bound).
[[nodiscard]] int runKubeDaemon(const ControllerOptions& opts);

}  // namespace l1net::controller
