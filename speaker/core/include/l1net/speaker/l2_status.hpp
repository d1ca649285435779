// Kubernetes mode: what the speaker publishes about its announcements, as MetalLB's
// Layer2StatusReconciler does (internal/k8s/controllers/layer2_status_controller.go):
//   * one metallb.io/v1beta1 ServiceL2Status per Service this node announces, in the speaker's
//     namespace, named by the API server from generateName "l2-", labelled metallb.io/node,
//     metallb.io/service-name, metallb.io/service-namespace, owned by the speaker Pod (a plain,
//     non-controller ownerReference: the garbage collector removes the objects of a deleted pod);
//     .status = {node, serviceName, serviceNamespace, interfaces[].name} where interfaces are the
//     L2Advertisement interface restriction (absent when the service may use every interface);
//   * the object is deleted when this node stops announcing the service; while this node
//     announces a service, other objects for it (another node's, or a duplicate of ours) are
//     deleted; objects without the three labels are not ours and never touched;
//   * a core/v1 Event with reason nodeAssigned on the Service when this node starts announcing it.
// The CRD has a status subresource, so a new object is created (POST, status ignored by the API)
// and then its status is set with a merge patch of /status.
// Pure: decisions and JSON bodies only; the shell (speaker/io l2_status_publisher) sends them.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "l1net/error.hpp"
#include "l1net/speaker/announcements.hpp"

namespace l1net::speaker {

inline constexpr std::string_view kL2StatusApiVersion = "metallb.io/v1beta1";
inline constexpr std::string_view kL2StatusKind = "ServiceL2Status";
inline constexpr std::string_view kL2StatusResource = "servicel2statuses";
inline constexpr std::string_view kL2StatusGenerateName = "l2-";
inline constexpr std::string_view kLabelAnnounceNode = "metallb.io/node";
inline constexpr std::string_view kLabelServiceName = "metallb.io/service-name";
inline constexpr std::string_view kLabelServiceNamespace = "metallb.io/service-namespace";
inline constexpr std::string_view kNodeAssignedReason = "nodeAssigned";
inline constexpr std::string_view kSpeakerComponent = "l1net-speaker";

// One Service this node announces.
struct AnnouncedService {
  std::string ns;
  std::string name;
  std::vector<std::string> interfaces;  // the restriction, sorted, unique; empty = every interface
  friend bool operator==(const AnnouncedService&, const AnnouncedService&) = default;
  friend auto operator<=>(const AnnouncedService&, const AnnouncedService&) = default;
};

// The services announced in `a` on at least one interface (an IP whose interfaces could not be
// chosen is not being announced), sorted by namespace and name. A service with several IPs gets
// the union of their restrictions, and none when one of them has none.
[[nodiscard]] std::vector<AnnouncedService> announcedServices(const Announcements& a);

// The speaker pod that owns the objects (--pod-name/--pod-uid, from the downward API).
struct OwnerPod {
  std::string name;
  std::string uid;
  friend bool operator==(const OwnerPod&, const OwnerPod&) = default;
};

// A ServiceL2Status as read back from the API (only what the plan compares).
struct L2StatusObject {
  std::string name;
  std::string label_node;  // the three labels ("" when missing)
  std::string label_service_name;
  std::string label_service_namespace;
  std::string node;  // .status
  std::string service_name;
  std::string service_namespace;
  std::vector<std::string> interfaces;
  std::vector<std::string> owner_uids;  // metadata.ownerReferences[].uid
  friend bool operator==(const L2StatusObject&, const L2StatusObject&) = default;
};

// Decodes one object / a ServiceL2StatusList. Errors (Errc::kInvalidArgument): not an object, a
// field of the wrong type, an item without metadata.name. Unknown fields are ignored.
[[nodiscard]] Result<L2StatusObject> decodeL2Status(const boost::json::value& v);
[[nodiscard]] Result<std::vector<L2StatusObject>> decodeL2StatusList(const boost::json::value& v);

struct L2StatusPlan {
  std::vector<AnnouncedService> create;                              // POST, then PATCH /status
  std::vector<std::pair<std::string, AnnouncedService>> set_status;  // existing name: PATCH /status
  std::vector<std::pair<std::string, AnnouncedService>> set_meta;    // labels / ownerReference
  std::vector<std::string> remove;                                   // DELETE by name
  [[nodiscard]] bool empty() const noexcept {
    return create.empty() && set_status.empty() && set_meta.empty() && remove.empty();
  }
  friend bool operator==(const L2StatusPlan&, const L2StatusPlan&) = default;
};

// Turns the announced services and the objects found in the namespace into the writes that make
// them agree (see the rules at the top). Deterministic: output in name order.
[[nodiscard]] L2StatusPlan planL2Statuses(const std::vector<AnnouncedService>& announced,
                                          const std::vector<L2StatusObject>& observed,
                                          std::string_view node, const OwnerPod& owner);

// The services in `now` that are not in `before` (by namespace/name): a nodeAssigned Event each.
[[nodiscard]] std::vector<AnnouncedService> newlyAnnounced(
    const std::vector<AnnouncedService>& before, const std::vector<AnnouncedService>& now);

// Bodies.
// POST /apis/metallb.io/v1beta1/namespaces/{ns}/servicel2statuses
[[nodiscard]] boost::json::object renderL2StatusCreate(const AnnouncedService& svc,
                                                       std::string_view node, std::string_view ns,
                                                       const OwnerPod& owner);
// PATCH .../{name}/status (application/merge-patch+json): {"status": {...}}; interfaces null when
// every interface (a merge patch removes the field).
[[nodiscard]] boost::json::object renderL2StatusPatch(const AnnouncedService& svc,
                                                      std::string_view node);
// PATCH .../{name} (merge patch): the three labels and the ownerReference to the pod.
[[nodiscard]] boost::json::object renderL2StatusMetaPatch(const AnnouncedService& svc,
                                                          std::string_view node,
                                                          const OwnerPod& owner);
// POST /api/v1/namespaces/{svc.ns}/events: Normal nodeAssigned on the Service, message as
// MetalLB's: announcing from node "N" with protocol "layer2".
[[nodiscard]] boost::json::object renderNodeAssignedEvent(
    const AnnouncedService& svc, std::string_view node, std::string_view service_uid,
    std::chrono::system_clock::time_point now);

}  // namespace l1net::speaker
