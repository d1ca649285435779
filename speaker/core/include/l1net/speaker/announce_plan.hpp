// Which LoadBalancer IPs this node should announce over L2, and why not the others. Pure: reads a
// manifest snapshot, returns a plan; the shell diffs plans and feeds AnnounceSchedule.
//
// Rules (MetalLB speaker/layer2_controller.go + internal/config, see reference/metallb-l2.md):
//   * Services: type LoadBalancer; class-less unless AnnounceOptions::load_balancer_class names
//     theirs. IPs: status.loadBalancer.ingress[].ip only, i.e. what the controller assigned (as
//     MetalLB, which announces only assigned IPs). A requested IP (spec.loadBalancerIP or the
//     annotation metallb.io/loadBalancerIPs) that is not in the ingress was refused or is not
//     assigned yet: it gets an entry with kNotAssigned, never an announcement. Unparsable IPs go
//     to Plan::invalid.
//   * Unknown node: when the snapshot holds Node objects and none is named local_node (a wrong
//     --node, e.g. the host name where the Node name differs), every entry is kNodeUnknown and
//     Plan::node_unknown lists the known names: a misnamed speaker must not announce beside the
//     correctly named one. Without any Node object (file mode without Nodes) nothing changes.
//   * Pool: the first IpAddressPool (load order) whose addresses contain the IP
//   (PoolAddress::cidrs,
//     or the text parsed with net::parsePoolAddresses when validation left them empty).
//   * Applicable L2Advertisements: those selecting the pool (ipAddressPools names, or
//     ipAddressPoolSelectors matching pool labels; neither = every pool) whose serviceSelectors
//     match the service labels (empty = all; ORed).
//   * Serving endpoints: EndpointSlices labelled kubernetes.io/service-name in the service's
//     namespace; an endpoint serves when ready is unset/true or serving is true. No serving
//     endpoint anywhere -> not announced. If the snapshot holds no EndpointSlices at all (file mode
//     without them), every node counts as serving.
//   * Per node (each OwnershipPolicy member): excluded when labelled
//     node.kubernetes.io/exclude-from-external-load-balancers (unless ignore_exclude_lb) or
//     NetworkUnavailable=True; must be covered by an applicable ad's nodeSelectors (empty = all; a
//     node missing from the snapshot is covered only by ads without nodeSelectors); with
//     externalTrafficPolicy Local it must host a serving endpoint. Its preference is the sum of
//     preferredNodeSelectors weights of the applicable ads covering it.
//   * The OwnershipPolicy picks the winner among the eligible members, keyed on the service's
//     first IP so all IPs of a service land together.
//   * Interfaces: union of the `interfaces` of the applicable ads covering this node; empty = any
//     (also when one of them lists none, as MetalLB's AllInterfaces).
// Not modelled: MetalLB's refusal of allow-shared-ip with serviceSelectors (#3025).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/manifest/objects.hpp"
#include "l1net/net/address.hpp"
#include "l1net/speaker/ownership_policy.hpp"
#include "l1net/speaker/speaker_model.hpp"

namespace l1net::speaker {

enum class AnnounceReason : std::uint8_t {
  kAnnounced,           // this node announces the IP
  kNoService,           // explainIp: no LoadBalancer service of ours carries the IP
  kNoPool,              // no IPAddressPool contains the IP
  kPoolNotAdvertised,   // no L2Advertisement applies to the pool and service
  kNoServingEndpoints,  // none anywhere, or (ETP Local) none on this node
  kNodeExcluded,        // this node: exclude-from-external-load-balancers or NetworkUnavailable
  kNodeNotSelected,     // this node: no applicable ad's nodeSelectors match it
  kNotOwner,            // eligible, but the policy chose another node (owner; nullopt = nobody)
  kNotAssigned,         // requested (spec.loadBalancerIP / annotation) but not in the ingress
  kNodeUnknown,         // Node objects exist and none is named like this node (--node)
};

[[nodiscard]] std::string_view announceReasonName(AnnounceReason r) noexcept;  // "not_owner", ...

struct AnnounceOptions {
  bool ignore_exclude_lb = false;                  // --ignore-exclude-lb
  std::optional<std::string> load_balancer_class;  // only this class; nullopt = class-less only
};

struct AnnounceEntry {
  net::IpAddress ip;
  std::string service;  // "namespace/name"
  std::string pool;     // empty for kNoPool / kNoService
  AnnounceReason reason = AnnounceReason::kNoService;
  std::optional<std::string> owner;     // kAnnounced: this node; kNotOwner: the winner, if any
  std::vector<std::string> interfaces;  // kAnnounced only; sorted, unique; empty = any
};

struct InvalidServiceIp {
  std::string service;
  std::string text;
};

// Set when Node objects exist but none is the local node: the names that do exist (sorted).
struct UnknownNode {
  std::string node;
  std::vector<std::string> known;
  friend bool operator==(const UnknownNode&, const UnknownNode&) = default;
};

// Pure check used by planAnnouncements: nullopt when the node is known or there are no Nodes.
[[nodiscard]] std::optional<UnknownNode> findUnknownNode(const manifest::ManifestSet& set,
                                                         std::string_view local_node);
[[nodiscard]] std::optional<UnknownNode> findUnknownNode(const SpeakerModel& model,
                                                         std::string_view local_node);

struct AnnouncePlan {
  std::vector<AnnounceEntry> entries;  // one per (service, IP): services in load order
  std::vector<InvalidServiceIp> invalid;
  std::optional<UnknownNode> node_unknown;

  [[nodiscard]] std::vector<AnnounceEntry> announced() const;  // the kAnnounced entries
};

// The assigned LoadBalancer IP texts of a service: status.loadBalancer.ingress[].ip (not
// validated).
[[nodiscard]] std::vector<std::string> serviceIps(const manifest::Service& svc);
[[nodiscard]] std::vector<std::string> serviceIps(const ModelService& svc);
// The requested IP texts: spec.loadBalancerIP, else the metallb.io/loadBalancerIPs annotation
// (comma list), trimmed (not validated).
[[nodiscard]] std::vector<std::string> requestedIps(const manifest::Service& svc);
[[nodiscard]] std::vector<std::string> requestedIps(const ModelService& svc);

// Over a full snapshot or the speaker's slim model (speaker_model.hpp): the same plan.
[[nodiscard]] AnnouncePlan planAnnouncements(const manifest::ManifestSet& set,
                                             std::string_view local_node,
                                             const OwnershipPolicy& policy,
                                             const AnnounceOptions& options = {});
[[nodiscard]] AnnouncePlan planAnnouncements(const SpeakerModel& model, std::string_view local_node,
                                             const OwnershipPolicy& policy,
                                             const AnnounceOptions& options = {});

// The entry for one IP (speakerctl explain). The first service carrying it wins, preferring an
// announced entry; kNoService when no service carries it.
[[nodiscard]] AnnounceEntry explainIp(const manifest::ManifestSet& set, std::string_view local_node,
                                      const net::IpAddress& ip, const OwnershipPolicy& policy,
                                      const AnnounceOptions& options = {});
[[nodiscard]] AnnounceEntry explainIp(const SpeakerModel& model, std::string_view local_node,
                                      const net::IpAddress& ip, const OwnershipPolicy& policy,
                                      const AnnounceOptions& options = {});

}  // namespace l1net::speaker
