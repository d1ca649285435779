// Kubernetes mode has no admission webhook (a frequent MetalLB install failure): the controller
// itself checks IPAddressPools and L2Advertisements with MetalLB's webhook rules (validate.hpp).
// When any is invalid, the last valid pools and advertisements stay in force (Services, Nodes and
// the rest always come from the snapshot), and every invalid object is reported so the shell can
// record a Warning Event and set a status condition on it. Pure; not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "l1net/manifest/objects.hpp"

namespace l1net::controller {

inline constexpr std::string_view kInvalidConfigReason = "InvalidConfiguration";

struct InvalidObject {
  std::string kind;  // "IPAddressPool" or "L2Advertisement"
  std::string ns;
  std::string name;
  std::string uid;
  std::vector<std::string> problems;  // "spec.addresses[0]: invalid CIDR \"x\"", in load order
  friend bool operator==(const InvalidObject&, const InvalidObject&) = default;
};

struct GuardedSnapshot {
  manifest::ManifestSet set;  // what to reconcile
  bool config_valid = true;   // false: set holds the last valid pools and advertisements
  bool have_config = true;    // false: invalid and nothing valid seen yet (no pools in force)
  std::vector<InvalidObject> invalid;  // in kind, then namespace/name order
};

class ConfigGuard {
 public:
  // Validates snapshot's pools and advertisements; see the header comment.
  [[nodiscard]] GuardedSnapshot apply(manifest::ManifestSet snapshot);

 private:
  std::optional<std::vector<manifest::IpAddressPool>> pools_;
  std::vector<manifest::L2Advertisement> ads_;
};

// {"status":{"conditions":[{"type":"Valid","status":"False"|"True","reason":..,"message":..,
// "lastTransitionTime":now}]}} for the object's /status (message: the problems joined by "; ").
[[nodiscard]] boost::json::object validConditionPatch(const InvalidObject* invalid,
                                                      const std::string& now_rfc3339);

}  // namespace l1net::controller
