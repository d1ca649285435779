#include "l1net/controller/config_guard.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

#include <boost/json/array.hpp>

#include "l1net/manifest/validate.hpp"

namespace l1net::controller {
namespace {

namespace json = boost::json;

template <class T>
const T* findByQuotedName(const std::vector<T>& objs, std::string_view quoted_name) {
  for (const auto& o : objs) {
    if ("\"" + o.meta.name + "\"" == quoted_name) {
      return &o;
    }
  }
  return nullptr;
}

}  // namespace

GuardedSnapshot ConfigGuard::apply(manifest::ManifestSet snapshot) {
  GuardedSnapshot out;
  // Validate only the configuration: pools and advertisements (Services are checked by the API).
  manifest::ManifestSet config;
  config.pools = snapshot.pools;
  config.l2_advertisements = snapshot.l2_advertisements;
  const auto errors = manifest::validate(config);
  std::map<std::tuple<std::string, std::string, std::string>, InvalidObject> invalid;
  for (const auto& d : errors) {
    const auto sp = d.object.find(' ');
    const std::string kind = d.object.substr(0, sp);
    const std::string_view quoted =
        sp == std::string::npos ? std::string_view() : std::string_view(d.object).substr(sp + 1);
    InvalidObject obj{.kind = kind};
    if (kind == "IPAddressPool") {
      if (const auto* p = findByQuotedName(config.pools, quoted)) {
        obj.ns = p->meta.ns;
        obj.name = p->meta.name;
        obj.uid = p->meta.uid;
      }
    } else if (kind == "L2Advertisement") {
      if (const auto* a = findByQuotedName(config.l2_advertisements, quoted)) {
        obj.ns = a->meta.ns;
        obj.name = a->meta.name;
        obj.uid = a->meta.uid;
      }
    }
    auto& slot = invalid.try_emplace({obj.kind, obj.ns, obj.name}, obj).first->second;
    slot.problems.push_back(d.field.empty() ? d.message : d.field + ": " + d.message);
  }
  for (auto& [k, v] : invalid) {
    out.invalid.push_back(std::move(v));
  }
  out.set = std::move(snapshot);
  if (errors.empty()) {
    out.set.pools = std::move(config.pools);  // with PoolAddress::cidrs filled by validate
    pools_ = out.set.pools;
    ads_ = out.set.l2_advertisements;
    return out;
  }
  out.config_valid = false;
  out.have_config = pools_.has_value();
  out.set.pools = pools_.value_or(std::vector<manifest::IpAddressPool>{});
  out.set.l2_advertisements = pools_ ? ads_ : std::vector<manifest::L2Advertisement>{};
  return out;
}

json::object validConditionPatch(const InvalidObject* invalid, const std::string& now_rfc3339) {
  json::object cond{{"type", "Valid"}, {"lastTransitionTime", now_rfc3339}};
  if (invalid == nullptr) {
    cond["status"] = "True";
    cond["reason"] = "Valid";
    cond["message"] = "";
  } else {
    std::string msg;
    for (const auto& p : invalid->problems) {
      msg += (msg.empty() ? "" : "; ") + p;
    }
    cond["status"] = "False";
    cond["reason"] = kInvalidConfigReason;
    cond["message"] = msg + "; the last valid configuration stays in force";
  }
  return json::object{{"status", json::object{{"conditions", json::array{std::move(cond)}}}}};
}

}  // namespace l1net::controller
