#include "l1net/speaker/l2_status.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <map>
#include <set>
#include <tuple>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

namespace l1net::speaker {

namespace json = boost::json;

namespace {

// "ns/name" -> {ns, name}; a key without '/' is a name in "default" (not produced by the plan).
std::pair<std::string, std::string> splitKey(const std::string& key) {
  const auto slash = key.find('/');
  if (slash == std::string::npos) {
    return {"default", key};
  }
  return {key.substr(0, slash), key.substr(slash + 1)};
}

const json::object* objectAt(const json::object& o, std::string_view key, bool& bad) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    return nullptr;
  }
  if (!v->is_object()) {
    bad = true;
    return nullptr;
  }
  return &v->get_object();
}

std::string stringAt(const json::object* o, std::string_view key, bool& bad) {
  if (o == nullptr) {
    return {};
  }
  const auto* v = o->if_contains(key);
  if (v == nullptr || v->is_null()) {
    return {};
  }
  if (!v->is_string()) {
    bad = true;
    return {};
  }
  return std::string(v->get_string());
}

const json::array* arrayAt(const json::object* o, std::string_view key, bool& bad) {
  if (o == nullptr) {
    return nullptr;
  }
  const auto* v = o->if_contains(key);
  if (v == nullptr || v->is_null()) {
    return nullptr;
  }
  if (!v->is_array()) {
    bad = true;
    return nullptr;
  }
  return &v->get_array();
}

json::object labelsOf(const AnnouncedService& svc, std::string_view node) {
  return json::object{
      {kLabelAnnounceNode, node}, {kLabelServiceName, svc.name}, {kLabelServiceNamespace, svc.ns}};
}

json::object statusOf(const AnnouncedService& svc, std::string_view node) {
  json::object s{{"node", node}, {"serviceName", svc.name}, {"serviceNamespace", svc.ns}};
  if (svc.interfaces.empty()) {
    s["interfaces"] = nullptr;
  } else {
    json::array ifs;
    for (const auto& i : svc.interfaces) {
      ifs.push_back(json::object{{"name", i}});
    }
    s["interfaces"] = std::move(ifs);
  }
  return s;
}

json::array ownerRefsOf(const OwnerPod& owner) {
  return json::array{json::object{
      {"apiVersion", "v1"}, {"kind", "Pod"}, {"name", owner.name}, {"uid", owner.uid}}};
}

bool ownedBy(const L2StatusObject& o, const OwnerPod& owner) {
  return o.owner_uids.size() == 1 && o.owner_uids.front() == owner.uid;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return std::string(buf.data(), n);
}

}  // namespace

std::vector<AnnouncedService> announcedServices(const Announcements& a) {
  struct Acc {
    std::set<std::string> interfaces;
    bool any = false;  // some IP may use every interface
  };
  std::map<std::string, Acc> by_key;
  for (const auto& [ip, ann] : a) {
    if (ann.choice.ifindexes.empty()) {
      continue;
    }
    for (const auto& key : ann.services) {
      auto& acc = by_key[key];
      if (ann.restriction.empty()) {
        acc.any = true;
      }
      acc.interfaces.insert(ann.restriction.begin(), ann.restriction.end());
    }
  }
  std::vector<AnnouncedService> out;
  out.reserve(by_key.size());
  for (const auto& [key, acc] : by_key) {
    auto [ns, name] = splitKey(key);
    AnnouncedService s{std::move(ns), std::move(name), {}};
    if (!acc.any) {
      s.interfaces.assign(acc.interfaces.begin(), acc.interfaces.end());
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<L2StatusObject> decodeL2Status(const json::value& v) {
  if (!v.is_object()) {
    return Errc::kInvalidArgument;
  }
  bool bad = false;
  const auto& o = v.get_object();
  const auto* meta = objectAt(o, "metadata", bad);
  const auto* labels = meta != nullptr ? objectAt(*meta, "labels", bad) : nullptr;
  const auto* status = objectAt(o, "status", bad);
  L2StatusObject out;
  out.name = stringAt(meta, "name", bad);
  out.label_node = stringAt(labels, kLabelAnnounceNode, bad);
  out.label_service_name = stringAt(labels, kLabelServiceName, bad);
  out.label_service_namespace = stringAt(labels, kLabelServiceNamespace, bad);
  out.node = stringAt(status, "node", bad);
  out.service_name = stringAt(status, "serviceName", bad);
  out.service_namespace = stringAt(status, "serviceNamespace", bad);
  if (const auto* ifs = arrayAt(status, "interfaces", bad)) {
    for (const auto& i : *ifs) {
      if (!i.is_object()) {
        bad = true;
        break;
      }
      out.interfaces.push_back(stringAt(&i.get_object(), "name", bad));
    }
  }
  if (const auto* refs = arrayAt(meta, "ownerReferences", bad)) {
    for (const auto& r : *refs) {
      if (!r.is_object()) {
        bad = true;
        break;
      }
      out.owner_uids.push_back(stringAt(&r.get_object(), "uid", bad));
    }
  }
  if (bad || out.name.empty()) {
    return Errc::kInvalidArgument;
  }
  return out;
}

Result<std::vector<L2StatusObject>> decodeL2StatusList(const json::value& v) {
  if (!v.is_object()) {
    return Errc::kInvalidArgument;
  }
  bool bad = false;
  const auto* items = arrayAt(&v.get_object(), "items", bad);
  if (bad) {
    return Errc::kInvalidArgument;
  }
  std::vector<L2StatusObject> out;
  if (items == nullptr) {
    return out;
  }
  out.reserve(items->size());
  for (const auto& item : *items) {
    auto o = decodeL2Status(item);
    if (!o) {
      return o.error();
    }
    out.push_back(std::move(*o));
  }
  return out;
}

L2StatusPlan planL2Statuses(const std::vector<AnnouncedService>& announced,
                            const std::vector<L2StatusObject>& observed, std::string_view node,
                            const OwnerPod& owner) {
  using Key = std::pair<std::string, std::string>;  // namespace, name
  std::map<Key, const AnnouncedService*> want;
  for (const auto& s : announced) {
    want.emplace(Key{s.ns, s.name}, &s);
  }
  std::vector<const L2StatusObject*> sorted;
  for (const auto& o : observed) {
    if (!o.label_node.empty() && !o.label_service_name.empty() &&
        !o.label_service_namespace.empty()) {
      sorted.push_back(&o);  // objects without the three labels are not ours
    }
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });

  L2StatusPlan plan;
  std::set<Key> kept;  // announced services that already have our object
  for (const auto* o : sorted) {
    const Key key{o->label_service_namespace, o->label_service_name};
    const auto it = want.find(key);
    if (it == want.end()) {
      if (o->label_node == node) {
        plan.remove.push_back(o->name);  // we no longer announce it
      }
      continue;  // another node's object for a service we do not announce: theirs
    }
    if (o->label_node != node || !kept.insert(key).second) {
      plan.remove.push_back(o->name);  // another node's, or a duplicate of ours
      continue;
    }
    const auto& svc = *it->second;
    if (o->node != node || o->service_name != svc.name || o->service_namespace != svc.ns ||
        o->interfaces != svc.interfaces) {
      plan.set_status.emplace_back(o->name, svc);
    }
    if (!ownedBy(*o, owner)) {
      plan.set_meta.emplace_back(o->name, svc);
    }
  }
  for (const auto& [key, svc] : want) {
    if (!kept.contains(key)) {
      plan.create.push_back(*svc);
    }
  }
  std::sort(plan.remove.begin(), plan.remove.end());
  return plan;
}

std::vector<AnnouncedService> newlyAnnounced(const std::vector<AnnouncedService>& before,
                                             const std::vector<AnnouncedService>& now) {
  std::set<std::pair<std::string_view, std::string_view>> had;
  for (const auto& s : before) {
    had.emplace(s.ns, s.name);
  }
  std::vector<AnnouncedService> out;
  for (const auto& s : now) {
    if (!had.contains({s.ns, s.name})) {
      out.push_back(s);
    }
  }
  return out;
}

json::object renderL2StatusCreate(const AnnouncedService& svc, std::string_view node,
                                  std::string_view ns, const OwnerPod& owner) {
  return json::object{
      {"apiVersion", kL2StatusApiVersion},
      {"kind", kL2StatusKind},
      {"metadata", json::object{{"generateName", kL2StatusGenerateName},
                                {"namespace", ns},
                                {"labels", labelsOf(svc, node)},
                                {"ownerReferences", ownerRefsOf(owner)}}},
      {"status", statusOf(svc, node)},
  };
}

json::object renderL2StatusPatch(const AnnouncedService& svc, std::string_view node) {
  return json::object{{"status", statusOf(svc, node)}};
}

json::object renderL2StatusMetaPatch(const AnnouncedService& svc, std::string_view node,
                                     const OwnerPod& owner) {
  return json::object{{"metadata", json::object{{"labels", labelsOf(svc, node)},
                                                {"ownerReferences", ownerRefsOf(owner)}}}};
}

json::object renderNodeAssignedEvent(const AnnouncedService& svc, std::string_view node,
                                     std::string_view service_uid,
                                     std::chrono::system_clock::time_point now) {
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
  std::array<char, 24> hex{};
  const int n = std::snprintf(hex.data(), hex.size(), "%llx",
                              static_cast<unsigned long long>(nanos.count()));  // NOLINT
  const auto stamp = rfc3339(now);
  json::object involved{
      {"apiVersion", "v1"}, {"kind", "Service"}, {"namespace", svc.ns}, {"name", svc.name}};
  if (!service_uid.empty()) {
    involved["uid"] = service_uid;
  }
  std::string message = "announcing from node \"";
  message.append(node).append("\" with protocol \"layer2\"");
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata",
       json::object{{"name", svc.name + "." + std::string(hex.data(), static_cast<std::size_t>(n))},
                    {"namespace", svc.ns}}},
      {"involvedObject", std::move(involved)},
      {"reason", kNodeAssignedReason},
      {"message", std::move(message)},
      {"type", "Normal"},
      {"source", json::object{{"component", kSpeakerComponent}, {"host", node}}},
      {"reportingComponent", kSpeakerComponent},
      {"reportingInstance", node},
      {"firstTimestamp", stamp},
      {"lastTimestamp", stamp},
      {"count", 1},
  };
}

}  // namespace l1net::speaker
