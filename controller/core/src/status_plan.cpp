#include "l1net/controller/status_plan.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <utility>

#include <boost/json/array.hpp>

#include "l1net/controller/service_request.hpp"

namespace l1net::controller {
namespace {

namespace json = boost::json;

std::vector<std::string> ingressIps(const manifest::Service& s) {
  std::vector<std::string> out;
  for (const auto& i : s.ingress) {
    if (!i.ip.empty()) {
      out.push_back(i.ip);
    }
  }
  return out;
}

std::string annotation(const manifest::Service& s, std::string_view key) {
  const auto it = s.meta.annotations.find(std::string(key));
  return it == s.meta.annotations.end() ? std::string() : it->second;
}

std::int64_t saturate(net::Uint128 n) {
  constexpr auto kMax = static_cast<net::Uint128>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(n, kMax));
}

json::object statusPatch(const std::vector<std::string>& ips) {
  json::object lb;
  if (ips.empty()) {
    lb["ingress"] = nullptr;  // merge patch: remove the list
  } else {
    json::array ingress;
    for (const auto& ip : ips) {
      ingress.push_back(json::object{{"ip", ip}});
    }
    lb["ingress"] = std::move(ingress);
  }
  return json::object{{"status", json::object{{"loadBalancer", std::move(lb)}}}};
}

json::object annotationPatch(const std::string& pool) {
  json::object ann;
  if (pool.empty()) {
    ann[kAnnotationAllocatedFromPool] = nullptr;
  } else {
    ann[kAnnotationAllocatedFromPool] = pool;
  }
  return json::object{{"metadata", json::object{{"annotations", std::move(ann)}}}};
}

}  // namespace

PoolStatus poolStatus(const PoolUsage& usage) {
  const auto free_v4 = usage.total_v4 > usage.in_use_v4 ? usage.total_v4 - usage.in_use_v4 : 0;
  const auto free_v6 = usage.total_v6 > usage.in_use_v6 ? usage.total_v6 - usage.in_use_v6 : 0;
  return PoolStatus{.assigned_v4 = saturate(usage.in_use_v4),
                    .assigned_v6 = saturate(usage.in_use_v6),
                    .available_v4 = saturate(free_v4),
                    .available_v6 = saturate(free_v6)};
}

json::object poolStatusPatch(const PoolStatus& s) {
  return json::object{{"status", json::object{{"assignedIPv4", s.assigned_v4},
                                              {"assignedIPv6", s.assigned_v6},
                                              {"availableIPv4", s.available_v4},
                                              {"availableIPv6", s.available_v6}}}};
}

StatusPlan planStatusWrites(const ReconcileResult& result,
                            const std::vector<manifest::Service>& observed, Written& written) {
  std::map<std::string, const manifest::Service*> by_key;
  for (const auto& s : observed) {
    by_key.emplace(s.meta.ns + "/" + s.meta.name, &s);
  }
  StatusPlan plan;
  std::set<std::string> seen;
  for (const auto& d : result.services) {
    if (d.disposition == ServiceDisposition::kOtherClass) {
      continue;
    }
    const auto it = by_key.find(d.key);
    if (it == by_key.end()) {
      continue;  // not in the API's view (deleted meanwhile): nothing to write on
    }
    seen.insert(d.key);
    const manifest::Service& obs = *it->second;

    // Events first: each (type, reason, message) once until the Service's events change.
    auto& last_events = written.events[d.key];
    for (const auto& e : d.events) {
      if (std::find(last_events.begin(), last_events.end(), e) == last_events.end()) {
        plan.events.push_back(EventWrite{.ns = obs.meta.ns,
                                         .name = obs.meta.name,
                                         .uid = obs.meta.uid,
                                         .type = e.type,
                                         .reason = e.reason,
                                         .message = e.message});
      }
    }
    last_events = d.events;

    const auto want_ips =
        d.disposition == ServiceDisposition::kManaged ? d.ips : std::vector<std::string>{};
    const auto want_pool = d.disposition == ServiceDisposition::kManaged ? d.pool : std::string();
    const bool status_ok = ingressIps(obs) == want_ips;
    const bool pool_ok = annotation(obs, kAnnotationAllocatedFromPool) == want_pool;
    if (status_ok && pool_ok) {
      written.services.erase(d.key);  // the API shows it
      continue;
    }
    const auto w = written.services.find(d.key);
    if (w != written.services.end() && w->second.ips == want_ips && w->second.pool == want_pool &&
        w->second.observed_rv == obs.meta.resource_version) {
      continue;  // sent; the informer has not shown it yet
    }
    ServiceWrite sw{.ns = obs.meta.ns, .name = obs.meta.name, .key = d.key};
    if (!status_ok) {
      sw.status_patch = statusPatch(want_ips);
    }
    if (!pool_ok) {
      sw.annotation_patch = annotationPatch(want_pool);
    }
    plan.services.push_back(std::move(sw));
    written.services[d.key] = Written::Service{want_ips, want_pool, obs.meta.resource_version};
  }
  std::erase_if(written.services, [&](const auto& kv) { return !seen.contains(kv.first); });
  std::erase_if(written.events, [&](const auto& kv) { return !seen.contains(kv.first); });

  std::set<std::string> pools_seen;
  for (const auto& usage : result.pools) {
    pools_seen.insert(usage.name);
    const auto status = poolStatus(usage);
    const auto w = written.pools.find(usage.name);
    if (w != written.pools.end() && w->second == status) {
      continue;
    }
    plan.pools.push_back(PoolStatusWrite{usage.name, status, poolStatusPatch(status)});
    written.pools[usage.name] = status;
  }
  std::erase_if(written.pools, [&](const auto& kv) { return !pools_seen.contains(kv.first); });
  return plan;
}

void forgetServiceWrite(Written& written, const std::string& key) { written.services.erase(key); }

json::object eventObject(const EventWrite& e, const std::string& component,
                         const std::string& now_rfc3339) {
  json::object involved{
      {"apiVersion", "v1"}, {"kind", "Service"}, {"namespace", e.ns}, {"name", e.name}};
  if (!e.uid.empty()) {
    involved["uid"] = e.uid;
  }
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", json::object{{"generateName", e.name + "."}, {"namespace", e.ns}}},
      {"involvedObject", std::move(involved)},
      {"type", e.type == EventType::kWarning ? "Warning" : "Normal"},
      {"reason", e.reason},
      {"message", e.message},
      {"source", json::object{{"component", component}}},
      {"firstTimestamp", now_rfc3339},
      {"lastTimestamp", now_rfc3339},
      {"count", 1},
      {"reportingComponent", component}};
}

}  // namespace l1net::controller
