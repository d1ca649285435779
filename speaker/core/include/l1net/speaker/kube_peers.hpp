// Kubernetes mode: the heartbeat mesh's peers are the nodes that run a speaker pod, reached on
// their InternalIP (as MetalLB's memberlist joins the speaker pods' host IPs). Pure.
//
// Rules:
//   * A pod counts when its labels match the speaker selector (--speaker-selector, the labels the
//     chart's DaemonSet sets), it is scheduled (spec.nodeName set) and its phase is Running. A
//     terminating pod (deletionTimestamp set) still counts while Running: it heartbeats until it
//     leaves, and its leave message removes it at once.
//   * One peer per node (a rolling update briefly runs two pods on one node); the local node is
//     never its own peer.
//   * The node must exist and have an InternalIP that parses (IPv4 preferred, as file mode).
//   * --mesh-peer overrides replace the entry of the same name or add one (as file mode).
//   * Pods and nodes left out are listed with a reason, once each, for one log line per change.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/manifest/objects.hpp"
#include "l1net/speaker/mesh_membership.hpp"

namespace l1net::speaker {

// What the mesh needs of a core/v1 Pod.
struct SpeakerPod {
  std::string name;
  std::string ns;
  manifest::Labels labels;
  std::string node_name;  // spec.nodeName; empty = not scheduled yet
  std::string phase;      // status.phase: Pending, Running, Succeeded, Failed, Unknown
  friend bool operator==(const SpeakerPod&, const SpeakerPod&) = default;
};

enum class PeerSkipReason : std::uint8_t {
  kNotScheduled,  // pod: no spec.nodeName
  kNotRunning,    // pod: phase is not Running
  kNodeMissing,   // pod: its node has no Node object
  kNoInternalIp,  // node: no InternalIP that parses
  kInvalidName,   // node: not a valid mesh member name
};

[[nodiscard]] std::string_view peerSkipReasonName(PeerSkipReason r) noexcept;  // "not_running"

struct SkippedPeer {
  std::string what;  // "pod NS/NAME" or "node NAME"
  PeerSkipReason reason = PeerSkipReason::kNotRunning;
  friend bool operator==(const SkippedPeer&, const SkippedPeer&) = default;
};

struct KubeMeshPeers {
  std::vector<MeshPeer> peers;  // sorted by name
  std::vector<SkippedPeer> skipped;
  friend bool operator==(const KubeMeshPeers&, const KubeMeshPeers&) = default;
};

// The default --speaker-selector: the labels platform/l1net's DaemonSet puts on speaker pods
// (l1net.selector with component "speaker"; the chart also passes its release's instance label).
inline constexpr std::string_view kDefaultSpeakerSelector =
    "app.kubernetes.io/name=l1net,app.kubernetes.io/component=speaker";

// Parses an equality-based selector "k=v,k2=v2" (also "k==v"); empty text = everything.
// Errors: Errc::kInvalidArgument (a term without '=', an empty key).
[[nodiscard]] Result<manifest::Labels> parseEqualitySelector(std::string_view text);

[[nodiscard]] bool selectorMatches(const manifest::Labels& selector,
                                   const manifest::Labels& labels) noexcept;

[[nodiscard]] KubeMeshPeers meshPeersFromSpeakerPods(std::span<const SpeakerPod> pods,
                                                     std::span<const manifest::Node> nodes,
                                                     const manifest::Labels& selector,
                                                     std::string_view self_name,
                                                     std::uint16_t port = kDefaultMeshPort,
                                                     std::span<const MeshPeer> overrides = {});

}  // namespace l1net::speaker
