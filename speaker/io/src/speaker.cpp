#include "l1net/speaker/io/speaker.hpp"

#include <algorithm>
#include <ctime>
#include <iterator>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <spdlog/spdlog.h>

#include "l1net/metrics/registry.hpp"
#include "l1net/speaker/gratuitous.hpp"

namespace l1net::speaker {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kProtocol = "layer2";
constexpr std::size_t kFrameBuffer = 2048;
constexpr std::chrono::milliseconds kReceiveErrorBackoff{100};
constexpr std::chrono::seconds kOpenRetry{1};

std::string isoTime(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::array<char, 32> buf{};
  const auto n = std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {buf.data(), n};
}

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

}  // namespace

// ---- OwnedSet ----

bool OwnedSet::owns(const net::IpAddress& ip, int ifindex) const {
  const auto it = by_ip_.find(ip);
  return it != by_ip_.end() && std::binary_search(it->second.begin(), it->second.end(), ifindex);
}

void OwnedSet::set(const net::IpAddress& ip, std::vector<int> ifindexes) {
  std::sort(ifindexes.begin(), ifindexes.end());
  by_ip_[ip] = std::move(ifindexes);
}

// ---- one announcing interface ----

struct Speaker::Port {
  Speaker* speaker = nullptr;  // valid while !closed
  int ifindex = 0;
  std::string name;
  net::MacAddress mac;
  std::unique_ptr<FrameSocket> socket;  // never reset while the responder may use it
  std::set<net::IpAddress> ips;
  std::map<net::Ipv6Address, int> groups;  // solicited-node group -> owned IPs needing it
  AnnounceSchedule schedule;
  bool closed = false;

  void close() {
    closed = true;
    speaker = nullptr;
    socket->close();
  }

  // The data plane: frames in, planReply, replies out. Reads only the OwnedSet.
  static asio::awaitable<void> respond(std::shared_ptr<Port> port) {
    std::vector<std::uint8_t> buf(kFrameBuffer);
    for (;;) {
      const auto n = co_await port->socket->receive(buf);
      if (port->closed) {
        co_return;
      }
      Speaker& s = *port->speaker;
      if (!n) {
        if (n.error() == asio::error::operation_aborted) {
          co_return;
        }
        ++s.stats_.receive_errors;
        s.errors_metric_.inc({{"kind", "receive"}});
        s.log_.l2->warn("{}: receive failed: {}", port->name, n.error().message());
        asio::steady_timer backoff(s.ex_, kReceiveErrorBackoff);
        boost::system::error_code ignored;
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        if (port->closed) {
          co_return;
        }
        continue;
      }
      const int ifindex = port->ifindex;
      // NAs leave from the VIP itself, as Linux's ndisc_send_na does for its own addresses:
      // ndisc6 (and other tools) ignore an NA whose source is not the target.
      const InterfaceView view{.mac = port->mac, .link_local = std::nullopt};
      const auto decision =
          planReply(std::span<const std::uint8_t>(buf).first(*n), view,
                    [&s, ifindex](const net::IpAddress& ip) { return s.owned_.owns(ip, ifindex); });
      if (decision.target && s.owned_.owns(*decision.target, ifindex)) {
        const auto ip = decision.target->to_string();
        ++s.stats_.ips[*decision.target].requests_received;
        s.requests_metric_.inc({{"ip", ip}});
      }
      if (!decision.reply) {
        ++s.stats_.drops.at(static_cast<std::size_t>(decision.drop));
        s.drops_metric_.inc({{"reason", std::string(dropReasonName(decision.drop))}});
        s.log_.l2->debug("{}: dropped {}-byte frame: {}", port->name, *n,
                         dropReasonName(decision.drop));
        continue;
      }
      if (const auto sent = port->socket->send(*decision.reply); !sent) {
        ++s.stats_.send_errors;
        s.errors_metric_.inc({{"kind", "send"}});
        s.log_.l2->warn("{}: reply for {} failed: {}", port->name,
                        decision.target ? decision.target->to_string() : "?",
                        sent.error().message());
        continue;
      }
      if (decision.target) {
        ++s.stats_.ips[*decision.target].responses_sent;
        s.responses_metric_.inc({{"ip", decision.target->to_string()}});
        s.log_.l2->debug("{}: answered for {}", port->name, decision.target->to_string());
      }
    }
  }
};

struct Speaker::Timer {
  explicit Timer(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  Speaker* owner = nullptr;
};

// ---- Speaker ----

Speaker::Speaker(asio::any_io_executor ex, FrameSocketFactory& sockets, metrics::Registry& registry,
                 Loggers loggers, Options options)
    : ex_(std::move(ex)),
      sockets_(sockets),
      registry_(registry),
      log_(std::move(loggers)),
      options_(std::move(options)),
      filter_(options_.exclude_patterns),
      policy_(std::make_shared<LocalOwnershipPolicy>()),
      timer_(std::make_shared<Timer>(ex_)),
      announced_metric_(registry.gauge("metallb_speaker_announced",
                                       "Services being announced from this node. This is "
                                       "desired state, it does not guarantee that the routing "
                                       "protocols have converged.")),
      requests_metric_(registry.counter("metallb_layer2_requests_received",
                                        "Number of layer2 requests received for owned IPs")),
      responses_metric_(registry.counter("metallb_layer2_responses_sent",
                                         "Number of layer2 responses sent for owned IPs")),
      gratuitous_metric_(
          registry.counter("metallb_layer2_gratuitous_sent",
                           "Number of gratuitous layer2 packets sent for owned IPs")),
      drops_metric_(registry.counter("l1net_layer2_dropped_total",
                                     "Received ARP/NDP frames not answered, by reason")),
      errors_metric_(registry.counter("l1net_layer2_errors_total",
                                      "Socket errors handled by the speaker, by kind")),
      interfaces_metric_(registry.gauge("l1net_speaker_interfaces",
                                        "Interfaces seen by the speaker, by usability state")),
      announce_failed_metric_(registry.gauge(
          "l1net_speaker_announce_failed",
          "L2Advertisement interfaces that cannot announce an IP (missing or unusable)")),
      node_unknown_metric_(registry.gauge(
          "l1net_speaker_node_unknown",
          "1 when Node objects exist and none is named like --node: nothing is announced")) {
  timer_->owner = this;
  node_unknown_metric_.set({}, 0);
  if (!log_.main) {
    log_.main = spdlog::default_logger();
  }
  if (!log_.l2) {
    log_.l2 = log_.main;
  }
}

Speaker::~Speaker() { stop(); }

void Speaker::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;
  owned_.clear();
  for (auto& [index, port] : ports_) {
    port->close();
  }
  ports_.clear();
  timer_->owner = nullptr;
  timer_->timer.cancel();
}

void Speaker::setManifests(manifest::ManifestSet set) {
  manifests_ = std::move(set);
  recompute();
}

void Speaker::setLinks(std::vector<Link> links) {
  std::map<std::string, std::string> before;
  for (const auto& l : links_) {
    before[l.name] = std::string(usabilityName(filter_.classify(l).usability));
  }
  for (const auto& l : links) {
    const auto state = std::string(usabilityName(filter_.classify(l).usability));
    const auto it = before.find(l.name);
    if (it == before.end()) {
      log_.main->info("interface {} appeared: {} ({})", l.name, state, l.mac.toString());
    } else if (it->second != state) {
      log_.main->info("interface {} is now {}", l.name, state);
    }
    before.erase(l.name);
  }
  for (const auto& [name, state] : before) {
    log_.main->info("interface {} disappeared", name);
  }
  const bool was_usable = hasUsableInterface();
  links_ = std::move(links);
  recompute();
  if (on_usable_change_ && hasUsableInterface() != was_usable) {
    on_usable_change_(!was_usable);
  }
}

bool Speaker::hasUsableInterface() const {
  return std::any_of(links_.begin(), links_.end(), [this](const Link& l) {
    return filter_.classify(l).usability == LinkUsability::kUsable;
  });
}

void Speaker::onUsableChange(std::function<void(bool usable)> handler) {
  on_usable_change_ = std::move(handler);
}

void Speaker::setOwnershipPolicy(std::shared_ptr<const OwnershipPolicy> policy) {
  policy_ = policy ? std::move(policy) : std::make_shared<LocalOwnershipPolicy>();
  recompute();
}

const Link* Speaker::findLink(int ifindex) const {
  const auto it = std::find_if(links_.begin(), links_.end(),
                               [ifindex](const Link& l) { return l.index == ifindex; });
  return it == links_.end() ? nullptr : &*it;
}

std::string Speaker::linkName(int ifindex) const {
  const Link* l = findLink(ifindex);
  return l != nullptr ? l->name : "if" + std::to_string(ifindex);
}

std::vector<int> Speaker::openInterfaces() const {
  std::vector<int> out;
  for (const auto& [index, port] : ports_) {
    out.push_back(index);
  }
  return out;
}

void Speaker::recompute() {
  if (stopped_) {
    return;
  }
  const auto plan = planAnnouncements(manifests_, options_.node, *policy_, options_.announce);
  noteUnknownNode(plan.node_unknown);
  for (const auto& bad : plan.invalid) {
    log_.main->debug("service {}: invalid LoadBalancer IP \"{}\"", bad.service, bad.text);
  }
  std::map<net::IpAddress, Announced> next;
  std::set<net::IpAddress> unrestricted;
  for (const auto& e : plan.announced()) {
    auto& a = next[e.ip];
    a.services.insert(e.service);
    if (e.interfaces.empty()) {
      unrestricted.insert(e.ip);
    }
    a.restriction.insert(a.restriction.end(), e.interfaces.begin(), e.interfaces.end());
  }
  OwnedSet owned;
  for (auto& [ip, a] : next) {
    if (unrestricted.contains(ip)) {
      a.restriction.clear();  // one applicable ad without interfaces = any interface
    }
    std::sort(a.restriction.begin(), a.restriction.end());
    a.restriction.erase(std::unique(a.restriction.begin(), a.restriction.end()),
                        a.restriction.end());
    a.choice = chooseInterfaces(ip, links_, filter_, a.restriction, options_.subnet_aware);
    const auto prev = announced_.find(ip);
    a.since = prev != announced_.end() ? prev->second.since : std::chrono::system_clock::now();
    owned.set(ip, a.choice.ifindexes);

    std::vector<std::string> names;
    for (const int i : a.choice.ifindexes) {
      names.push_back(linkName(i));
    }
    const bool was = prev != announced_.end();
    if (!was || prev->second.choice.ifindexes != a.choice.ifindexes) {
      if (names.empty()) {
        log_.main->warn("{} ({}) is ours but no interface can announce it", ip.to_string(),
                        joinNames({a.services.begin(), a.services.end()}));
      } else {
        log_.main->info("announcing {} ({}) on {} [{}]", ip.to_string(),
                        joinNames({a.services.begin(), a.services.end()}), joinNames(names),
                        interfaceRuleName(a.choice.rule));
      }
    }
    if (!was || prev->second.choice.rejected != a.choice.rejected) {
      for (const auto& r : a.choice.rejected) {
        log_.main->warn("announceFailed: {} cannot be announced on {}: {}", ip.to_string(), r.name,
                        r.reason);
      }
    }
  }
  for (const auto& [ip, a] : announced_) {
    if (!next.contains(ip)) {
      log_.main->info("no longer announcing {} ({})", ip.to_string(),
                      joinNames({a.services.begin(), a.services.end()}));
    }
  }
  owned_ = std::move(owned);  // from here on the data plane answers only for the new set
  applyPorts(next);
  updateMetrics(next);
  announced_ = std::move(next);
  tick();
}

void Speaker::applyPorts(const std::map<net::IpAddress, Announced>& next) {
  std::map<int, std::set<net::IpAddress>> wanted;
  for (const auto& [ip, a] : next) {
    for (const int i : a.choice.ifindexes) {
      wanted[i].insert(ip);
    }
  }
  for (auto it = ports_.begin(); it != ports_.end();) {
    if (!wanted.contains(it->first)) {
      log_.l2->debug("closing socket on {}", it->second->name);
      it->second->close();
      it = ports_.erase(it);
    } else {
      ++it;
    }
  }
  const auto now = options_.now();
  for (const auto& [index, ips] : wanted) {
    const Link* link = findLink(index);
    if (link == nullptr) {
      continue;
    }
    auto pit = ports_.find(index);
    if (pit == ports_.end()) {
      auto sock = sockets_.open(index, link->name);
      if (!sock) {
        retry_at_ = now + kOpenRetry;
        ++stats_.socket_errors;
        errors_metric_.inc({{"kind", "socket"}});
        log_.main->warn("cannot open a packet socket on {}: {} (retrying in 1 s)", link->name,
                        sock.error().message());
        continue;
      }
      auto port = std::make_shared<Port>();
      port->speaker = this;
      port->ifindex = index;
      port->name = link->name;
      port->mac = link->mac;
      port->socket = std::move(*sock);
      port->schedule = AnnounceSchedule(options_.schedule);
      asio::co_spawn(ex_, Port::respond(port), asio::detached);
      log_.l2->debug("opened socket on {}", link->name);
      pit = ports_.emplace(index, std::move(port)).first;
    }
    Port& port = *pit->second;
    port.name = link->name;
    if (port.mac != link->mac) {
      log_.main->info("{} changed MAC {} -> {}: announcing again", link->name, port.mac.toString(),
                      link->mac.toString());
      port.mac = link->mac;
      port.schedule.triggerAll(now);
    }
    for (auto ip = port.ips.begin(); ip != port.ips.end();) {
      if (ips.contains(*ip)) {
        ++ip;
        continue;
      }
      port.schedule.lost(*ip);
      if (ip->is_v6()) {
        const auto group = net::solicitedNodeAddress(ip->to_v6());
        if (--port.groups[group] <= 0) {
          port.groups.erase(group);
          leaveGroup(port, group);
        }
      }
      ip = port.ips.erase(ip);
    }
    for (const auto& ip : ips) {
      if (!port.ips.insert(ip).second) {
        continue;
      }
      port.schedule.gained(ip, now);
      if (ip.is_v6()) {
        const auto group = net::solicitedNodeAddress(ip.to_v6());
        if (port.groups[group]++ == 0) {
          joinGroup(port, group);
        }
      }
    }
  }
}

void Speaker::joinGroup(Port& port, const net::Ipv6Address& group) {
  const auto mac = net::multicastMac(group);
  if (const auto r = port.socket->joinMulticast(mac); !r) {
    ++stats_.socket_errors;
    errors_metric_.inc({{"kind", "socket"}});
    log_.main->warn("{}: joining {} ({}) failed: {}", port.name, group.to_string(), mac.toString(),
                    r.error().message());
  }
  // MLD, so snooping switches forward the group to us; best effort (IPv6 may be off here).
  if (const auto r = port.socket->joinIpv6Group(group); !r) {
    log_.l2->debug("{}: no MLD membership for {}: {}", port.name, group.to_string(),
                   r.error().message());
  }
}

void Speaker::leaveGroup(Port& port, const net::Ipv6Address& group) {
  if (const auto r = port.socket->leaveMulticast(net::multicastMac(group)); !r) {
    log_.l2->warn("{}: leaving {} failed: {}", port.name, group.to_string(), r.error().message());
  }
  (void)port.socket->leaveIpv6Group(group);  // fails when the join did: nothing to undo
}

void Speaker::updateMetrics(const std::map<net::IpAddress, Announced>& next) {
  announced_metric_.clear();
  announce_failed_metric_.clear();
  for (const auto& [ip, a] : next) {
    const auto text = ip.to_string();
    for (const auto& r : a.choice.rejected) {
      announce_failed_metric_.set({{"ip", text}, {"interface", r.name}}, 1);
    }
    if (a.choice.ifindexes.empty()) {
      continue;
    }
    for (const auto& svc : a.services) {
      announced_metric_.set({{"service", svc},
                             {"protocol", std::string(kProtocol)},
                             {"node", options_.node},
                             {"ip", text}},
                            1);
    }
    stats_.ips.try_emplace(ip);
  }
  for (auto it = stats_.ips.begin(); it != stats_.ips.end();) {
    if (next.contains(it->first)) {
      ++it;
      continue;
    }
    const metrics::Labels labels{{"ip", it->first.to_string()}};
    requests_metric_.remove(labels);
    responses_metric_.remove(labels);
    gratuitous_metric_.remove(labels);
    it = stats_.ips.erase(it);
  }
  interfaces_metric_.clear();
  for (const auto& l : links_) {
    interfaces_metric_.set({{"interface", l.name},
                            {"state", std::string(usabilityName(filter_.classify(l).usability))}},
                           1);
  }
}

void Speaker::sendRound(Port& port, const net::IpAddress& ip) {
  for (const auto& frame : gratuitousFrames(ip, port.mac, std::nullopt)) {  // source = VIP
    if (const auto sent = port.socket->send(frame); !sent) {
      ++stats_.send_errors;
      errors_metric_.inc({{"kind", "send"}});
      log_.l2->warn("{}: gratuitous frame for {} failed: {}", port.name, ip.to_string(),
                    sent.error().message());
      continue;
    }
    ++stats_.ips[ip].gratuitous_sent;
    gratuitous_metric_.inc({{"ip", ip.to_string()}});
  }
  log_.l2->debug("{}: gratuitous round for {}", port.name, ip.to_string());
}

void Speaker::tick() {
  if (stopped_) {
    return;
  }
  const auto now = options_.now();
  if (retry_at_ && *retry_at_ <= now) {
    retry_at_.reset();
    applyPorts(announced_);  // sets retry_at_ again if an open still fails
  }
  for (auto& [index, port] : ports_) {
    for (const auto& ip : port->schedule.due(now)) {
      sendRound(*port, ip);
    }
  }
  rearm();
}

void Speaker::rearm() {
  std::optional<Clock::time_point> next = retry_at_;
  for (const auto& [index, port] : ports_) {
    if (const auto d = port->schedule.nextDeadline(); d && (!next || *d < *next)) {
      next = d;
    }
  }
  timer_->timer.cancel();
  if (!next) {
    return;
  }
  const auto delay = std::max(*next - options_.now(), Clock::duration::zero());
  timer_->timer.expires_after(delay);
  timer_->timer.async_wait([t = timer_](const boost::system::error_code& ec) {
    if (!ec && t->owner != nullptr) {
      t->owner->tick();
    }
  });
}

void Speaker::reannounce() {
  if (stopped_) {
    return;
  }
  const auto now = options_.now();
  for (auto& [index, port] : ports_) {
    port->schedule.triggerAll(now);
  }
  tick();
}

Result<json::value> Speaker::garp(const net::IpAddress& ip) {
  const auto it = owned_.entries().find(ip);
  if (it == owned_.entries().end() || it->second.empty()) {
    return Errc::kNotFound;
  }
  json::array ifaces;
  std::uint64_t before = stats_.ips[ip].gratuitous_sent;
  for (const int index : it->second) {
    const auto pit = ports_.find(index);
    if (pit == ports_.end()) {
      continue;
    }
    sendRound(*pit->second, ip);
    ifaces.emplace_back(pit->second->name);
  }
  json::object out;
  out["ip"] = ip.to_string();
  out["interfaces"] = std::move(ifaces);
  out["frames"] = stats_.ips[ip].gratuitous_sent - before;
  log_.main->info("gratuitous round for {} requested over the control socket", ip.to_string());
  return json::value(std::move(out));
}

// One error when --node stops matching a Node (or the known names change), one info line when
// it matches again; the gauge follows.
void Speaker::noteUnknownNode(const std::optional<UnknownNode>& unknown) {
  node_unknown_metric_.set({}, unknown ? 1 : 0);
  if (unknown == node_unknown_) {
    return;
  }
  if (unknown) {
    log_.main->error(
        "--node {} matches none of the {} Node object(s) ({}): announcing nothing until it does",
        unknown->node, unknown->known.size(), joinNames(unknown->known));
  } else if (node_unknown_) {
    log_.main->info("--node {} now matches a Node object", options_.node);
  }
  node_unknown_ = unknown;
}

// ---- control-socket views ----

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
          manifests_.services.begin(), manifests_.services.end(), [&](const manifest::Service& s) {
            return s.meta.ns + "/" + s.meta.name == entry.service &&
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
  for (const auto& [ip, c] : stats_.ips) {
    ips.emplace_back(json::object{{"ip", ip.to_string()},
                                  {"requests_received", c.requests_received},
                                  {"responses_sent", c.responses_sent},
                                  {"gratuitous_sent", c.gratuitous_sent}});
  }
  out["ips"] = std::move(ips);
  json::object drops;
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto r = static_cast<DropReason>(i);
    if (r == DropReason::kNone) {
      continue;
    }
    drops[dropReasonName(r)] = stats_.drops.at(i);
  }
  out["drops"] = std::move(drops);
  out["receive_errors"] = stats_.receive_errors;
  out["send_errors"] = stats_.send_errors;
  out["socket_errors"] = stats_.socket_errors;
  return out;
}

}  // namespace l1net::speaker
