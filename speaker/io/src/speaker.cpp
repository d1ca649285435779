#include "l1net/speaker/io/speaker.hpp"

#include <algorithm>
#include <ctime>
#include <deque>
#include <iterator>
#include <set>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <spdlog/spdlog.h>

#include "l1net/io/heap.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/speaker/gratuitous.hpp"
#include "l1net/speaker/io/snapshot.hpp"
#include "l1net/speaker/speaker_model.hpp"

#include "speaker_text.hpp"

namespace l1net::speaker {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using detail::joinNames;

constexpr std::string_view kProtocol = "layer2";
constexpr std::size_t kFrameBuffer = 2048;
constexpr std::chrono::milliseconds kReceiveErrorBackoff{100};
constexpr std::chrono::seconds kOpenRetry{1};
// The responder yields to the rest of the executor after this many frames in a row, and a
// gratuitous round goes out this many IPs (2 frames each) per slice: neither a storm nor a round
// for 10,000 IPs holds the single thread for more than about a millisecond.
constexpr int kFramesPerTurn = 64;
constexpr std::size_t kIpsPerSlice = 32;
// Group joins per turn of the executor: at most 64, and none started after 2 ms (with 10,000
// groups on an interface a join costs the kernel 0.1-0.3 ms of list walks), so each step of a
// heartbeat or a speakerctl request waits at most about that long behind them.
constexpr std::size_t kJoinsPerSlice = 64;
constexpr std::chrono::microseconds kJoinSliceTime{2000};
// After this many joins the next wait kJoinPause. Linux reports the groups joined since its last
// MLD report in one go (two reports, 8 ms after the last join and again within a second); each
// report packet walks the interface's whole group list, non-preemptibly. 9,500 joins in one go
// made the CPU that joined them deaf for 14 ms, twice; bursts of 512 keep a report small.
constexpr std::size_t kJoinsPerBurst = 512;
constexpr std::chrono::milliseconds kJoinPause{250};

std::vector<net::Ipv4Address> ipv4Of(const std::vector<net::IpAddress>& ips) {
  std::vector<net::Ipv4Address> out;
  for (const auto& ip : ips) {
    if (ip.is_v4()) {
      out.push_back(ip.to_v4());
    }
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

// Shared by the Speaker's thread and the responder coroutine. The responder reads only `socket`,
// `table`, `closed`, `stats`, `log` and `executor`; everything else is the Speaker's.
struct Speaker::Port {
  int ifindex = 0;
  std::string name;
  net::MacAddress mac;
  std::unique_ptr<FrameSocket> socket;  // closed on `executor`; never reset
  Snapshot<ResponderTable> table;
  std::shared_ptr<SpeakerStats> stats;
  std::shared_ptr<spdlog::logger> log;
  asio::any_io_executor executor;  // where the responder runs
  bool own_thread = false;         // the responder runs on another thread than the Speaker
  std::atomic<bool> closed{false};
  AnnounceSchedule schedule;
  std::deque<net::IpAddress> pending;  // due gratuitous rounds not sent yet (sliced)
  std::set<net::Ipv6Address> joins;    // solicited-node groups to join, not joined yet (sliced)

  // The data plane: frames in, planReply against the table published last, replies out.
  static asio::awaitable<void> respond(std::shared_ptr<Port> port) {
    std::vector<std::uint8_t> buf(kFrameBuffer);
    SpeakerStats& st = *port->stats;
    for (int turn = 1;; ++turn) {
      if (!port->own_thread && turn % kFramesPerTurn == 0) {  // let timers and the mesh run
        co_await asio::post(port->executor, asio::use_awaitable);
        if (port->closed) {
          co_return;
        }
      }
      const auto n = co_await port->socket->receive(buf);
      if (port->closed) {
        co_return;
      }
      const auto table = port->table.load();
      if (!n) {
        if (n.error() == asio::error::operation_aborted) {
          co_return;
        }
        st.receive_errors.fetch_add(1, std::memory_order_relaxed);
        port->log->warn("{}: receive failed: {}", table->name(), n.error().message());
        asio::steady_timer backoff(port->executor, kReceiveErrorBackoff);
        boost::system::error_code ignored;
        co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        if (port->closed) {
          co_return;
        }
        continue;
      }
      // NAs leave from the VIP itself, as Linux's ndisc_send_na does for its own addresses:
      // ndisc6 (and other tools) ignore an NA whose source is not the target.
      const InterfaceView view{.mac = table->mac(), .link_local = std::nullopt};
      const ResponderTable& owned = *table;
      const auto decision =
          planReply(std::span<const std::uint8_t>(buf).first(*n), view,
                    [&owned](const net::IpAddress& ip) { return owned.owns(ip); });
      IpCounters* counters = decision.target ? owned.find(*decision.target) : nullptr;
      if (counters != nullptr) {
        counters->bump(counters->requests_received);
      }
      if (!decision.reply) {
        st.drops.at(static_cast<std::size_t>(decision.drop))
            .fetch_add(1, std::memory_order_relaxed);
        port->log->debug("{}: dropped {}-byte frame: {}", owned.name(), *n,
                         dropReasonName(decision.drop));
        continue;
      }
      if (const auto sent = port->socket->send(*decision.reply); !sent) {
        st.send_errors.fetch_add(1, std::memory_order_relaxed);
        port->log->warn("{}: reply for {} failed: {}", owned.name(),
                        decision.target ? decision.target->to_string() : "?",
                        sent.error().message());
        continue;
      }
      if (counters != nullptr) {
        counters->bump(counters->responses_sent);
        if (port->log->should_log(spdlog::level::debug)) {  // no per-reply string otherwise
          port->log->debug("{}: answered for {}", owned.name(), decision.target->to_string());
        }
      }
    }
  }
};

struct Speaker::Timer {
  explicit Timer(const asio::any_io_executor& ex) : timer(ex), join_pause(ex) {}
  asio::steady_timer timer;
  asio::steady_timer join_pause;  // between bursts of group joins (joinPending)
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
      kernel_drops_metric_(registry.counter(
          "l1net_layer2_kernel_drops_total",
          "ARP/NDP frames the kernel dropped before the speaker read them (socket queue full, "
          "PACKET_STATISTICS)")),
      kernel_received_metric_(registry.counter(
          "l1net_layer2_kernel_received_total",
          "ARP/NDP frames the kernel filter passed to the speaker's sockets (PACKET_STATISTICS)")),
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
    closePort(port);
  }
  ports_.clear();
  timer_->owner = nullptr;
  timer_->timer.cancel();
  timer_->join_pause.cancel();
}

void Speaker::setManifests(const manifest::ManifestSet& set) {
  manifests_ = slimForSpeaker(set);  // the caller's full set can go right after
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

void Speaker::onAnnounced(std::function<void(const Announcements&)> handler) {
  on_announced_ = std::move(handler);
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
  auto diff = diffAnnouncements(announced_, plan.announced(), links_, filter_,
                                options_.subnet_aware, std::chrono::system_clock::now());
  OwnedSet owned;
  for (const auto& [ip, a] : diff.next) {
    owned.set(ip, a.choice.ifindexes);
  }
  owned_ = std::move(owned);
  updateMetrics(diff.next);  // creates the counters of new IPs, drops those of lost ones
  applyPorts(diff);
  for (auto& [index, port] : ports_) {
    publishTable(*port);  // from here on the data plane answers only for the new set
  }
  logChanges(diff);  // after the publish: 10,000 log lines must not delay the first answer
  announced_ = std::move(diff.next);
  tick();  // the first slice of gratuitous rounds goes out now, then the first slice of joins
  if (on_announced_) {
    on_announced_(announced_);
  }
  releaseHeapSoon();
}

void Speaker::postOnce(bool Speaker::*posted, void (Speaker::*step)()) {
  if (this->*posted) {
    return;
  }
  this->*posted = true;
  asio::post(ex_, [t = timer_, posted, step] {
    if (t->owner != nullptr) {
      t->owner->*posted = false;
      (t->owner->*step)();
    }
  });
}

void Speaker::releaseHeapSoon() {
  // After what is already queued (the gratuitous slices, replies waiting): a recompute frees the
  // previous plan, diff, tables and counters, ~1 MiB at 1,000 VIPs, which glibc would otherwise
  // keep resident between the live blocks.
  postOnce(&Speaker::trim_posted_, &Speaker::releaseFreedHeap);
}

void Speaker::releaseFreedHeap() { io::releaseFreedHeap(); }

void Speaker::logChanges(const AnnouncementDiff& diff) const {
  for (const auto& ip : diff.placed) {
    const auto& a = diff.next.at(ip);
    std::vector<std::string> names;
    for (const int i : a.choice.ifindexes) {
      names.push_back(linkName(i));
    }
    if (names.empty()) {
      log_.main->warn("{} ({}) is ours but no interface can announce it", ip.to_string(),
                      joinNames({a.services.begin(), a.services.end()}));
    } else {
      log_.main->info("announcing {} ({}) on {} [{}]", ip.to_string(),
                      joinNames({a.services.begin(), a.services.end()}), joinNames(names),
                      interfaceRuleName(a.choice.rule));
    }
  }
  for (const auto& ip : diff.rejected) {
    for (const auto& r : diff.next.at(ip).choice.rejected) {
      log_.main->warn("announceFailed: {} cannot be announced on {}: {}", ip.to_string(), r.name,
                      r.reason);
    }
  }
  for (const auto& ip : diff.withdrawn) {
    const auto& a = announced_.at(ip);
    log_.main->info("no longer announcing {} ({})", ip.to_string(),
                    joinNames({a.services.begin(), a.services.end()}));
  }
}

void Speaker::applyPorts(const AnnouncementDiff& diff) {
  for (const int index : diff.close) {
    if (const auto it = ports_.find(index); it != ports_.end()) {
      log_.l2->debug("closing socket on {}", it->second->name);
      takeKernelCounts(*it->second);
      closePort(it->second);
      ports_.erase(it);
    }
  }
  const auto now = options_.now();
  for (const auto& delta : diff.ports) {
    const Link* link = findLink(delta.ifindex);
    if (link == nullptr) {
      continue;
    }
    const auto pit = ports_.find(delta.ifindex);
    if (pit == ports_.end()) {
      openPort(*link, delta.ips, delta.groups, now, /*publish=*/false);
      continue;
    }
    Port& port = *pit->second;
    port.name = link->name;
    if (port.mac != link->mac) {
      log_.main->info("{} changed MAC {} -> {}: announcing again", link->name, port.mac.toString(),
                      link->mac.toString());
      port.mac = link->mac;
      port.schedule.triggerAll(now);
    }
    for (const auto& ip : delta.lost) {
      port.schedule.lost(ip);
    }
    for (const auto& group : delta.leave) {
      leaveGroup(port, group);
    }
    if (!delta.gained.empty() || !delta.lost.empty()) {
      setTargets(port, ipv4Of(delta.ips));
    }
    for (const auto& ip : delta.gained) {
      port.schedule.gained(ip, now);
    }
    port.joins.insert(delta.join.begin(), delta.join.end());
  }
}

void Speaker::openPort(const Link& link, const std::vector<net::IpAddress>& ips,
                       const std::vector<net::Ipv6Address>& groups, Clock::time_point now,
                       bool publish) {
  auto sock = sockets_.open(link.index, link.name);
  if (!sock) {
    retry_at_ = now + kOpenRetry;
    ++stats_->socket_errors;
    log_.main->warn("cannot open a packet socket on {}: {} (retrying in 1 s)", link.name,
                    sock.error().message());
    return;
  }
  auto port = std::make_shared<Port>();
  port->ifindex = link.index;
  port->name = link.name;
  port->mac = link.mac;
  port->socket = std::move(*sock);
  port->stats = stats_;
  port->log = log_.l2;
  port->executor = options_.responder ? options_.responder : ex_;
  port->own_thread = static_cast<bool>(options_.responder);
  port->schedule = AnnounceSchedule(options_.schedule);
  setTargets(*port, ipv4Of(ips));
  // The IPs of owned_ on this interface. From recompute every port's table is published right
  // after, so not twice; until then the port answers nothing (an empty table).
  if (publish) {
    publishTable(*port);
  }
  asio::co_spawn(port->executor, Port::respond(port), asio::detached);
  log_.l2->debug("opened socket on {}", link.name);
  for (const auto& ip : ips) {
    port->schedule.gained(ip, now);
  }
  port->joins.insert(groups.begin(), groups.end());  // joined by joinPending()
  ports_.emplace(link.index, std::move(port));
}

void Speaker::retryPorts() {
  std::map<int, std::vector<net::IpAddress>> wanted;
  for (const auto& [ip, a] : announced_) {
    for (const int i : a.choice.ifindexes) {
      wanted[i].push_back(ip);
    }
  }
  const auto now = options_.now();
  for (const auto& [index, ips] : wanted) {
    const Link* link = findLink(index);
    if (link != nullptr && !ports_.contains(index)) {
      openPort(*link, ips, solicitedGroups(ips), now);  // sets retry_at_ again if it fails
    }
  }
}

void Speaker::joinGroup(Port& port, const net::Ipv6Address& group) {
  const auto mac = net::multicastMac(group);
  if (const auto r = port.socket->joinMulticast(mac); !r) {
    ++stats_->socket_errors;
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
  if (port.joins.erase(group) > 0) {
    return;  // still queued: never joined
  }
  if (const auto r = port.socket->leaveMulticast(net::multicastMac(group)); !r) {
    log_.l2->warn("{}: leaving {} failed: {}", port.name, group.to_string(), r.error().message());
  }
  (void)port.socket->leaveIpv6Group(group);  // fails when the join did: nothing to undo
}

void Speaker::updateMetrics(const Announcements& next) {
  announce_failed_metric_.clear();
  for (const auto& [ip, a] : next) {
    const auto text = ip.to_string();
    for (const auto& r : a.choice.rejected) {
      announce_failed_metric_.set({{"ip", text}, {"interface", r.name}}, 1);
    }
    if (a.choice.ifindexes.empty()) {
      continue;
    }
    if (const auto [it, added] = stats_->ips.try_emplace(ip); added) {
      it->second = std::make_shared<IpCounters>();
    }
  }
  for (auto it = stats_->ips.begin(); it != stats_->ips.end();) {
    if (next.contains(it->first)) {
      ++it;
      continue;
    }
    it = stats_->ips.erase(it);
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
      stats_->send_errors.fetch_add(1, std::memory_order_relaxed);
      log_.l2->warn("{}: gratuitous frame for {} failed: {}", port.name, ip.to_string(),
                    sent.error().message());
      continue;
    }
    if (auto* c = countersOf(ip); c != nullptr) {
      c->bump(c->gratuitous_sent);
    }
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
    retryPorts();
  }
  for (auto& [index, port] : ports_) {
    for (const auto& ip : port->schedule.due(now)) {
      port->pending.push_back(ip);
    }
  }
  sendPending();
  if (!join_posted_) {  // else a slice or a pause between bursts is already on its way
    joinPending();
  }
  rearm();
}

void Speaker::sendPending() {
  std::size_t budget = kIpsPerSlice;
  bool more = false;
  for (auto& [index, port] : ports_) {
    while (!port->pending.empty() && budget > 0) {
      const auto ip = port->pending.front();
      port->pending.pop_front();
      if (owned_.owns(ip, index)) {  // lost meanwhile: nothing to announce
        sendRound(*port, ip);
        --budget;
      }
    }
    more = more || !port->pending.empty();
  }
  if (more) {
    // The next slice runs after what is already queued (replies waiting on the sockets).
    postOnce(&Speaker::slice_posted_, &Speaker::sendPending);
  }
}

void Speaker::joinPending() {
  std::size_t budget = kJoinsPerSlice;
  const auto deadline = std::chrono::steady_clock::now() + kJoinSliceTime;
  bool more = false;
  for (auto& [index, port] : ports_) {
    while (!port->joins.empty() && budget > 0) {
      joinGroup(*port, port->joins.extract(port->joins.begin()).value());
      ++joins_since_pause_;
      budget = std::chrono::steady_clock::now() < deadline ? budget - 1 : 0;
    }
    more = more || !port->joins.empty();
  }
  if (!more) {
    joins_since_pause_ = 0;
    return;
  }
  if (joins_since_pause_ < kJoinsPerBurst) {
    postOnce(&Speaker::join_posted_, &Speaker::joinPending);
    return;
  }
  joins_since_pause_ = 0;
  join_posted_ = true;
  timer_->join_pause.expires_after(kJoinPause);
  timer_->join_pause.async_wait([t = timer_](const boost::system::error_code& ec) {
    if (!ec && t->owner != nullptr) {
      t->owner->join_posted_ = false;
      t->owner->joinPending();
    }
  });
}

void Speaker::setTargets(Port& port, const std::vector<net::Ipv4Address>& targets) {
  if (const auto r = port.socket->setArpTargets(targets); !r) {
    ++stats_->socket_errors;
    log_.main->warn("{}: narrowing the ARP filter failed: {}", port.name, r.error().message());
  }
}

void Speaker::takeKernelCounts(Port& port) {
  const auto c = port.socket->takeKernelCounts();
  stats_->kernel_received += c.packets;
  stats_->kernel_drops += c.drops;
  if (c.drops > 0) {
    kernel_drops_metric_.add({}, static_cast<double>(c.drops));
    log_.l2->warn("{}: the kernel dropped {} frame(s): receive queue full", port.name, c.drops);
  }
  if (c.packets > 0) {
    kernel_received_metric_.add({}, static_cast<double>(c.packets));
  }
}

void Speaker::collectCounters() {
  for (auto& [index, port] : ports_) {
    takeKernelCounts(*port);
  }
  const auto& st = *stats_;
  dropPerIpSeries();
  for (const auto& [ip, a] : announced_) {
    if (a.choice.ifindexes.empty()) {
      continue;
    }
    const auto text = ip.to_string();
    for (const auto& svc : a.services) {
      announced_metric_.set({{"service", svc},
                             {"protocol", std::string(kProtocol)},
                             {"node", options_.node},
                             {"ip", text}},
                            1);
    }
  }
  for (const auto& [ip, c] : st.ips) {
    const metrics::Labels labels{{"ip", ip.to_string()}};
    requests_metric_.set(labels, static_cast<double>(c->requests_received.load()));
    responses_metric_.set(labels, static_cast<double>(c->responses_sent.load()));
    gratuitous_metric_.set(labels, static_cast<double>(c->gratuitous_sent.load()));
  }
  for (std::size_t i = 0; i < kDropReasonCount; ++i) {
    const auto r = static_cast<DropReason>(i);
    if (const auto v = st.drops.at(i).load(); r != DropReason::kNone && v > 0) {
      drops_metric_.set({{"reason", std::string(dropReasonName(r))}}, static_cast<double>(v));
    }
  }
  const std::pair<const char*, std::uint64_t> errors[] = {{"receive", st.receive_errors.load()},
                                                          {"send", st.send_errors.load()},
                                                          {"socket", st.socket_errors}};
  for (const auto& [kind, v] : errors) {
    if (v > 0) {
      errors_metric_.set({{"kind", kind}}, static_cast<double>(v));
    }
  }
}

void Speaker::dropPerIpSeries() {
  announced_metric_.clear();
  requests_metric_.clear();
  responses_metric_.clear();
  gratuitous_metric_.clear();
}

IpCounters* Speaker::countersOf(const net::IpAddress& ip) const {
  const auto it = stats_->ips.find(ip);
  return it == stats_->ips.end() ? nullptr : it->second.get();
}

void Speaker::publishTable(Port& port) const {
  std::vector<ResponderTable::Entry> entries;
  for (const auto& [ip, ifindexes] : owned_.entries()) {
    if (!std::binary_search(ifindexes.begin(), ifindexes.end(), port.ifindex)) {
      continue;
    }
    if (const auto it = stats_->ips.find(ip); it != stats_->ips.end()) {
      entries.push_back({.ip = ip, .counters = it->second});
    }
  }
  port.table.publish(
      std::make_shared<const ResponderTable>(port.mac, port.name, std::move(entries)));
}

// Nothing is answered on the port from here on; the socket closes on the responder's executor
// (at once when that is ours), which ends the responder with operation_aborted.
void Speaker::closePort(const std::shared_ptr<Port>& port) const {
  port->table.publish(std::make_shared<const ResponderTable>(port->mac, port->name,
                                                             std::vector<ResponderTable::Entry>{}));
  port->closed = true;
  if (!port->own_thread) {
    port->socket->close();
    return;
  }
  asio::post(port->executor, [port] { port->socket->close(); });
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
  IpCounters* counters = countersOf(ip);
  const std::uint64_t before = counters != nullptr ? counters->gratuitous_sent.load() : 0;
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
  out["frames"] = counters != nullptr ? counters->gratuitous_sent.load() - before : 0;
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

}  // namespace l1net::speaker
