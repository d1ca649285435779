// The speakerctl JSON views of a Speaker (status, explain, stats): read-only, documented in
// speakerctl. Separate from speaker.cpp, which applies decisions.
#include <algorithm>
#include <array>
#include <ctime>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "l1net/speaker/io/speaker.hpp"

#include "speaker_text.hpp"

namespace l1net::speaker {

namespace json = boost::json;

namespace {

using detail::joinNames;

std::string isoTime(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buf.data(), n};
}

}  // namespace

json::value Speaker::status() const {
  json::object out;
  out["node"] = options_.node;
  if (node_unknown_) {
    json::array known;
    for (const auto& n : node_unknown_->known) {
      known.emplace_back(n);
    }
    out["node_unknown"] = true;
    out["known_nodes"] = std::move(known);
    out["problem"] = "node " + options_.node +
                     " matches no Node object (known: " + joinNames(node_unknown_->known) +
                     "): announcing nothing; check --node";
  }
  if (!options_.responder_scheduling.empty()) {
    out["responder"] = options_.responder_scheduling;
  }
  json::array ifaces;
  for (const auto& l : links_) {
    const auto verdict = filter_.classify(l);
    json::object o;
    o["name"] = l.name;
    o["index"] = l.index;
    o["mac"] = l.mac.toString();
    o["state"] = usabilityName(verdict.usability);
    o["usable"] = verdict.usability == LinkUsability::kUsable;
    if (!verdict.detail.empty()) {
      o["detail"] = verdict.detail;
    }
    o["socket"] = ports_.contains(l.index);
    json::array addrs;
    for (const auto& a : l.addresses) {
      addrs.emplace_back(a.ip.to_string() + "/" + std::to_string(a.prefix));
    }
    o["addresses"] = std::move(addrs);
    ifaces.emplace_back(std::move(o));
  }
  out["interfaces"] = std::move(ifaces);
  json::array announced;
  for (const auto& [ip, a] : announced_) {
    json::object o;
    o["ip"] = ip.to_string();
    json::array services;
    for (const auto& s : a.services) {
      services.emplace_back(s);
    }
    o["services"] = std::move(services);
    json::array names;
    for (const int i : a.choice.ifindexes) {
      names.emplace_back(linkName(i));
    }
    o["interfaces"] = std::move(names);
    o["rule"] = interfaceRuleName(a.choice.rule);
    o["since"] = isoTime(a.since);
    json::array failed;
    for (const auto& r : a.choice.rejected) {
      failed.emplace_back(json::object{{"interface", r.name}, {"reason", r.reason}});
    }
    o["announce_failed"] = std::move(failed);
    announced.emplace_back(std::move(o));
  }
  out["announced"] = std::move(announced);
  return out;
}

json::value Speaker::explain(const net::IpAddress& ip) const {
  const auto entry = explainIp(manifests_, options_.node, ip, *policy_, options_.announce);
  json::object out;
  out["ip"] = ip.to_string();
  out["node"] = options_.node;
  out["service"] = entry.service;
  out["pool"] = entry.pool;
  out["reason"] = announceReasonName(entry.reason);
  if (entry.owner) {
    out["owner"] = *entry.owner;
  }
  const std::string svc = entry.service.empty() ? "" : "service " + entry.service;
  std::string why;
  bool announcing = false;
  switch (entry.reason) {
    case AnnounceReason::kNoService:
      why = "no LoadBalancer service has " + ip.to_string();
      break;
    case AnnounceReason::kNoPool:
      why = svc + " has it, but no IPAddressPool contains it";
      break;
    case AnnounceReason::kPoolNotAdvertised:
      why = "pool " + entry.pool + " is not advertised: no L2Advertisement selects it for " + svc;
      break;
    case AnnounceReason::kNoServingEndpoints: {
      const bool local = std::any_of(
          manifests_.services.begin(), manifests_.services.end(), [&](const ModelService& s) {
            return s.ns + "/" + s.name == entry.service &&
                   s.external_traffic_policy == manifest::TrafficPolicy::kLocal;
          });
      why = local ? svc + " has no serving endpoint on node " + options_.node +
                        " (externalTrafficPolicy Local)"
                  : svc + " has no serving endpoints";
      break;
    }
    case AnnounceReason::kNodeExcluded:
      why = "node " + options_.node +
            " is excluded (exclude-from-external-load-balancers label or NetworkUnavailable)";
      break;
    case AnnounceReason::kNodeNotSelected:
      why = "node " + options_.node +
            " is not selected by the nodeSelectors of the L2Advertisements of pool " + entry.pool;
      break;
    case AnnounceReason::kNotAssigned:
      why = svc +
            " requests it, but it is not assigned (not in status.loadBalancer.ingress: "
            "the controller refused it or has not allocated it yet)";
      break;
    case AnnounceReason::kNodeUnknown:
      why = "node " + options_.node + " matches no Node object (known: " +
            (node_unknown_ ? joinNames(node_unknown_->known) : std::string("?")) +
            "): this speaker announces nothing; check --node";
      break;
    case AnnounceReason::kNotOwner:
      why = entry.owner ? "not the owner: node " + *entry.owner + " announces it"
                        : "not the owner: no node is eligible";
      break;
    case AnnounceReason::kAnnounced: {
      const auto it = announced_.find(ip);
      InterfaceChoice choice =
          it != announced_.end()
              ? it->second.choice
              : chooseInterfaces(ip, links_, filter_, entry.interfaces, options_.subnet_aware);
      std::vector<std::string> names;
      json::array arr;
      for (const int i : choice.ifindexes) {
        names.push_back(linkName(i));
        arr.emplace_back(linkName(i));
      }
      out["interfaces"] = std::move(arr);
      out["rule"] = interfaceRuleName(choice.rule);
      out["restricted"] = choice.restricted;
      json::array failed;
      std::string failures;
      for (const auto& r : choice.rejected) {
        failed.emplace_back(json::object{{"interface", r.name}, {"reason", r.reason}});
        failures += (failures.empty() ? "" : ", ") + r.name + " " + r.reason;
      }
      out["announce_failed"] = std::move(failed);
      const std::string scope =
          choice.restricted ? "L2Advertisement interfaces [" + joinNames(entry.interfaces) + "]"
                            : "usable interfaces";
      switch (choice.rule) {
        case InterfaceRule::kSubnet:
          announcing = true;
          why = "announced on " + joinNames(names) + ": subnet " +
                (choice.matched_subnet ? choice.matched_subnet->toString() : "?") +
                " contains it (subnet rule among " + scope + ")";
          break;
        case InterfaceRule::kAllUsable:
          announcing = true;
          why = "announced on " + joinNames(names) +
                (options_.subnet_aware ? ": no interface carries its subnet, so all "
                                       : ": --all-interfaces, so all ") +
                scope + " announce it";
          break;
        case InterfaceRule::kNone:
          out["reason"] = "no_usable_interface";
          why = svc + " is ours, but no interface can announce it (" + scope + " excluded or down)";
          break;
      }
      if (!failures.empty()) {
        why += "; announceFailed: " + failures;
      }
      break;
    }
  }
  out["announcing"] = announcing;
  out["message"] = why;
  return out;
}

json::value Speaker::statsJson() const {
  json::object out;
  json::array ips;
  for (const auto& [ip, c] : stats_->ips) {
    ips.emplace_back(json::object{{"ip", ip.to_string()},
                                  {"requests_received", c->requests_received.load()},
                                  {"responses_sent", c->responses_sent.load()},
                                  {"gratuitous_sent", c->gratuitous_sent.load()}});
  }
  out["ips"] = std::move(ips);
  json::object drops;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto r = static_cast<DropReason>(i);
    if (r == DropReason::kNone) {
      continue;
    }
    drops[dropReasonName(r)] = stats_->drops.at(i).load();
  }
  out["drops"] = std::move(drops);
  out["receive_errors"] = stats_->receive_errors.load();
  out["send_errors"] = stats_->send_errors.load();
  out["socket_errors"] = stats_->socket_errors;
  out["kernel_received"] = stats_->kernel_received;
  out["kernel_drops"] = stats_->kernel_drops;
  return out;
}

}  // namespace l1net::speaker
