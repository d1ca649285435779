// Failover: turns the heartbeat mesh (mesh_service.hpp) into the speaker's ownership decision.
//
// Design note. MetalLB ranks the nodes of its memberlist; l1net ranks the live members of the
// heartbeat mesh the same way (RankedOwnershipPolicy, ranking.hpp), so a crashed owner is replaced
// as soon as the mesh declares it dead (multiplier x interval, 500 ms by default) instead of
// memberlist's 5-7 s. Failover owns the MeshService and decides, from its state, which
// OwnershipPolicy the Speaker must use; the Speaker applies it (setOwnershipPolicy) and does the
// rest (gratuitous round for gained IPs, silence for lost ones). The decisions are pure functions
// below (failoverMembers, memberJoined); the class is the thin shell around them:
//
//   * Until the mesh has settled() once (every configured peer heard or timed out) the policy
//     has no members: a starting node announces nothing rather than briefly claiming every IP.
//     Peers added later (new Node objects) start unknown, which only keeps them out of the
//     candidates until they are heard.
//   * After that, the policy's members are mesh.candidates() (self included while eligible), and
//     a new policy is applied only when that list changes (one recompute per ownership change).
//   * When a member joins or comes back (a restart, a healed partition) the node announces what
//     it still owns again, as MetalLB re-announces on every memberlist change: the other side of
//     a partition may have moved clients to itself meanwhile.
//   * Link health: the node is eligible while at least one interface can announce
//     (Speaker::hasUsableInterface); when the last one goes down it tells its peers at once
//     (mesh.setEligible(false)) and drops itself from its own candidates.
//   * Node objects (file mode) give the peers: InternalIP on the mesh port, --mesh-peer overrides.
//   * leave() (SIGTERM) sends the mesh's leave so peers take over without a detection delay.
//
// Threading: everything runs on the executor's single thread, like the Speaker. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>

#include "l1net/manifest/objects.hpp"
#include "l1net/speaker/control.hpp"
#include "l1net/speaker/io/speaker.hpp"
#include "l1net/speaker/kube_peers.hpp"
#include "l1net/speaker/mesh_membership.hpp"
#include "l1net/speaker/mesh_service.hpp"
#include "l1net/speaker/mesh_transport.hpp"
#include "l1net/speaker/ownership_policy.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::metrics {
class Registry;
}  // namespace l1net::metrics

namespace l1net::speaker {

// The members the ownership policy ranks: none until the mesh is settled, then its candidates.
// Pure.
[[nodiscard]] std::vector<std::string> failoverMembers(bool settled,
                                                       std::vector<std::string> candidates);

// True when `after` names a member `before` did not, and `before` was a settled, non-empty view
// (the first settle is not a join: the speaker announces its gains anyway). Both sorted. Pure.
[[nodiscard]] bool memberJoined(const std::vector<std::string>& before,
                                const std::vector<std::string>& after);

class Failover {
 public:
  // Where decisions go; in production the Speaker (failoverSinks).
  struct Sinks {
    // Each new policy: Speaker::setOwnershipPolicy.
    std::function<void(std::shared_ptr<const OwnershipPolicy>)> policy;
    // A member joined: announce the owned IPs again (Speaker::reannounce). May be empty.
    std::function<void()> reannounce;
  };

  struct Options {
    std::string node;
    std::uint16_t mesh_port = kDefaultMeshPort;  // peers derived from Node objects use this port
    std::vector<MeshPeer> overrides;             // --mesh-peer
  };

  // mesh must pass validateMembershipConfig (std::invalid_argument otherwise). Nothing is sent
  // before start().
  Failover(boost::asio::any_io_executor ex, std::unique_ptr<MeshTransport> transport,
           MeshServiceOptions mesh, Options options, Sinks sinks,
           std::shared_ptr<spdlog::logger> logger);
  ~Failover();
  Failover(const Failover&) = delete;
  Failover& operator=(const Failover&) = delete;

  // Applies the empty policy (announce nothing), then starts the mesh. Call before the speaker
  // gets its first manifests, so it never announces on the single-node default.
  void start();
  // Peers from Node objects (meshPeersFromNodes + overrides); the mesh is told only on a change.
  void setNodes(std::span<const manifest::Node> nodes);
  // Kubernetes mode: peers are the nodes running a speaker pod (meshPeersFromSpeakerPods +
  // overrides); as setNodes, the mesh is told only on a change. Call before start() with the
  // first synced snapshot so the start waits for those peers.
  void setSpeakerPods(std::span<const SpeakerPod> pods, std::span<const manifest::Node> nodes,
                      const manifest::Labels& selector);
  // Link health (Speaker::onUsableChange): false when no interface can announce.
  void setEligible(bool usable);
  // Graceful stop: the mesh's leave rounds, then the mesh stops. Call after the speaker stopped
  // answering. Idempotent; stop() is the silent variant.
  void leave();
  void stop();

  // `speakerctl members` payload (membersJson at now).
  [[nodiscard]] boost::json::value membersJson() const;
  // Mirrors the mesh's counters and member gauges into registry (before serving /metrics).
  void exportMetrics(metrics::Registry& registry) const;

  // The members of the policy last applied; nullopt before start().
  [[nodiscard]] const std::optional<std::vector<std::string>>& applied() const noexcept {
    return applied_;
  }
  [[nodiscard]] bool eligible() const noexcept { return eligible_; }
  [[nodiscard]] std::uint64_t policyChanges() const noexcept { return policy_changes_; }
  [[nodiscard]] std::uint64_t reannouncements() const noexcept { return reannouncements_; }
  [[nodiscard]] MeshService& mesh() noexcept { return mesh_; }
  [[nodiscard]] const MeshService& mesh() const noexcept { return mesh_; }

 private:
  void reevaluate();
  void applyPeers(std::vector<MeshPeer> peers);

  Options options_;
  Sinks sinks_;
  std::shared_ptr<spdlog::logger> log_;
  MeshService mesh_;
  std::vector<MeshPeer> peers_;
  std::optional<std::vector<std::string>> applied_;
  bool eligible_ = true;
  bool settled_ = false;  // the mesh has settled once since start()
  bool started_ = false;
  bool stopped_ = false;
  std::uint64_t policy_changes_ = 0;
  std::uint64_t reannouncements_ = 0;
};

// Start-up wiring of the mesh (the recipe of mesh_service.hpp): peers from `nodes` (skipped ones
// logged) with the --mesh-peer overrides, service options from `settings` (parseMeshFlags, run
// once by main), the UDP socket bound to --mesh-bind. Throws std::invalid_argument for an invalid
// node or peer name (exit 2) and std::system_error when the socket cannot be bound (exit 1).
[[nodiscard]] std::unique_ptr<Failover> makeFailover(const boost::asio::any_io_executor& ex,
                                                     const MeshSettings& settings,
                                                     const std::string& node,
                                                     std::span<const manifest::Node> nodes,
                                                     Failover::Sinks sinks,
                                                     std::shared_ptr<spdlog::logger> logger);

// The sinks that apply decisions to `speaker` (which must outlive the Failover): policies go to
// setOwnershipPolicy, re-announcements to reannounce().
[[nodiscard]] Failover::Sinks failoverSinks(Speaker& speaker);

// Registers `members` (speakerctl members: membersJson) on the control socket; `failover` must
// outlive `server`'s use of it.
void registerFailoverCommands(ControlServer& server, const Failover& failover);

}  // namespace l1net::speaker
