#include "l1net/kube/events.hpp"

#include <cstdio>

#include <boost/json.hpp>

#include "l1net/kube/leader_election.hpp"

namespace l1net::kube {

namespace json = boost::json;

EventAction EventCorrelator::observe(const ObjectRef& obj, EventKind type,
                                     const std::string& reason, const std::string& message,
                                     std::chrono::system_clock::time_point now) {
  const std::string type_name = type == EventKind::kWarning ? "Warning" : "Normal";
  const std::string key = obj.api_version + "\x1f" + obj.kind + "\x1f" + obj.ns + "\x1f" +
                          obj.name + "\x1f" + obj.uid + "\x1f" + type_name + "\x1f" + reason +
                          "\x1f" + message;
  // Forget correlations that left the window (bounded memory).
  std::erase_if(seen_, [&](const auto& kv) { return now - kv.second.last > window_; });
  EventAction a;
  a.key = key;
  a.at = now;
  a.ns = obj.ns.empty() ? "default" : obj.ns;
  const auto stamp = formatTime(now);
  if (const auto it = seen_.find(key); it != seen_.end()) {
    a.kind = EventAction::Kind::kPatch;
    a.name = it->second.name;
    json::object p;
    p["count"] = it->second.count + 1;
    p["lastTimestamp"] = stamp;
    a.body = std::move(p);
    return a;
  }
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
  char hex[32];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(nanos.count()));
  a.kind = EventAction::Kind::kCreate;
  a.name = obj.name + "." + hex;
  json::object involved;
  involved["apiVersion"] = obj.api_version;
  involved["kind"] = obj.kind;
  if (!obj.ns.empty()) {
    involved["namespace"] = obj.ns;
  }
  involved["name"] = obj.name;
  if (!obj.uid.empty()) {
    involved["uid"] = obj.uid;
  }
  json::object source;
  source["component"] = component_;
  if (!host_.empty()) {
    source["host"] = host_;
  }
  json::object md;
  md["name"] = a.name;
  md["namespace"] = a.ns;
  json::object ev;
  ev["apiVersion"] = "v1";
  ev["kind"] = "Event";
  ev["metadata"] = std::move(md);
  ev["involvedObject"] = std::move(involved);
  ev["reason"] = reason;
  ev["message"] = message;
  ev["type"] = type_name;
  ev["source"] = std::move(source);
  ev["firstTimestamp"] = stamp;
  ev["lastTimestamp"] = stamp;
  ev["count"] = 1;
  a.body = std::move(ev);
  return a;
}

void EventCorrelator::onStored(const EventAction& a) {
  const auto* o = a.body.if_object();
  if (o == nullptr) {
    return;
  }
  auto& s = seen_[a.key];
  s.ns = a.ns;
  s.name = a.name;
  const auto* c = o->if_contains("count");
  s.count = c != nullptr && c->is_int64() ? c->get_int64() : s.count + 1;
  s.last = a.at;
}

void EventCorrelator::onFailed(const EventAction& a) { seen_.erase(a.key); }

}  // namespace l1net::kube
