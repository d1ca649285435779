// The speaker's I/O shell: applies the core's decisions to interfaces and sockets.
//
// Design note. Three inputs arrive on one io_context thread: manifest snapshots (ObjectSource),
// link snapshots (Netlink) and, with failover, a new OwnershipPolicy (membership). On each, the
// Speaker recomputes, in order:
//   1. planAnnouncements() (core)          -> the IPs this node announces and their interface
//                                             restriction (L2Advertisement.interfaces);
//   2. diffAnnouncements() (core)          -> per IP the announcing interfaces (chooseInterfaces:
//                                             usable, restricted, subnet-aware) and what changed
//                                             per interface since the last recompute;
//   3. the OwnedSet (IP -> interfaces)     -> what this node answers for, and from it one
//                                             ResponderTable per interface, published at once.
// and then applies the returned changes: opens/closes one FrameSocket per announcing interface,
// joins the solicited-node multicast MAC of each owned IPv6 address, starts an AnnounceSchedule
// burst for every gained (IP, interface) pair (first round sent before recompute returns), drops
// lost ones (no answer is sent for an IP after the recompute that lost it), and updates metrics
// (series of lost IPs are removed, MetalLB #1972).
// The packet path (one responder coroutine per socket) reads only its interface's
// ResponderTable (core/responder_table.hpp: owned IPs, MAC, per-IP counters), an immutable value
// the recompute builds and publishes whole (io/snapshot.hpp); failover replaces the
// OwnershipPolicy and never touches it.
//
// Never deaf: with Options::responder set (the daemon runs it on a thread of its own), the
// responders never wait for a load, a recompute or a gratuitous round: each frame is answered from
// the table published last. A frame already being answered when a new table is published may
// still get its reply; every frame read after the publish sees the new table. The responders touch
// only the table, the socket and relaxed atomic counters; metrics are copied from the counters by
// collectCounters() (the /metrics handler and `speakerctl stats` call it). Without
// Options::responder everything shares one thread (tests): the responder then yields after 64
// frames in a row, and due gratuitous rounds go out 32 IPs per slice, each slice posted behind the
// replies already waiting. Each socket's kernel filter admits only ARP Requests for the IPv4
// addresses announced on it (setArpTargets).
//
// Gratuitous schedule (AnnounceSchedule, per interface): when an (IP, interface) pair is gained,
// also after a link comes back up or changes MAC, a round goes out at once and again at +250 ms,
// +500 ms, +1 s and +2 s; then one round every Options::schedule.refresh (--garp-refresh, 60 s,
// 0 = off) so switch FDB entries never age out (MetalLB #2910). A round is an ARP Request and an
// ARP Reply (target MAC = our MAC, the form Linux applies even within locktime) to broadcast, or
// an unsolicited NA with Override=1 to ff02::1. NAs (solicited and unsolicited) leave from the
// VIP itself, as Linux sends them for its own addresses; ndisc6 ignores NAs from another source.
// A socket that fails to open is retried every second.
//
// Threading: the Speaker itself (inputs, timers, control-socket views) runs on the executor's
// single thread and is not thread-safe; only the responders may run on Options::responder.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>

#include "l1net/error.hpp"
#include "l1net/manifest/objects.hpp"
#include "l1net/net/address.hpp"
#include "l1net/speaker/announce_plan.hpp"
#include "l1net/speaker/announce_schedule.hpp"
#include "l1net/speaker/announcements.hpp"
#include "l1net/speaker/interfaces.hpp"
#include "l1net/speaker/io/frame_socket.hpp"
#include "l1net/speaker/io/netlink.hpp"
#include "l1net/speaker/ownership_policy.hpp"
#include "l1net/speaker/reply.hpp"
#include "l1net/speaker/responder_table.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::metrics {
class Registry;
class Family;
}  // namespace l1net::metrics

namespace l1net::speaker {

// IP -> announcing interfaces: the only state the data plane reads.
class OwnedSet {
 public:
  [[nodiscard]] bool owns(const net::IpAddress& ip, int ifindex) const;
  [[nodiscard]] bool owns(const net::IpAddress& ip) const { return by_ip_.contains(ip); }
  [[nodiscard]] const std::map<net::IpAddress, std::vector<int>>& entries() const noexcept {
    return by_ip_;
  }
  void set(const net::IpAddress& ip, std::vector<int> ifindexes);
  void clear() noexcept { by_ip_.clear(); }
  friend bool operator==(const OwnedSet&, const OwnedSet&) = default;

 private:
  std::map<net::IpAddress, std::vector<int>> by_ip_;  // ifindexes sorted
};

// Counters. The atomics are bumped by the responders (any thread, relaxed); the rest, and the
// map itself, only on the Speaker's thread.
struct SpeakerStats {
  // Announced IPs only; reset when an IP is lost. The counters are shared with the ResponderTables.
  std::map<net::IpAddress, std::shared_ptr<IpCounters>> ips;
  std::array<std::atomic<std::uint64_t>, kDropReasonCount> drops{};
  std::atomic<std::uint64_t> receive_errors{0};
  std::atomic<std::uint64_t> send_errors{0};
  std::uint64_t socket_errors = 0;  // interfaces we could not open or join a group on
  // PACKET_STATISTICS, summed over the sockets (read by collectCounters and on close):
  std::uint64_t kernel_received = 0;  // frames the kernel filter passed to us
  std::uint64_t kernel_drops = 0;     // of those, dropped because a receive queue was full
};

class Speaker {
 public:
  using Clock = AnnounceSchedule::Clock;

  struct Options {
    std::string node;
    std::vector<std::string> exclude_patterns = InterfaceFilter::defaultExcludes();
    bool subnet_aware = true;  // false: every usable interface answers, as MetalLB
    AnnounceSchedule::Config schedule;
    AnnounceOptions announce;
    std::function<Clock::time_point()> now = [] { return Clock::now(); };  // Clock seam
    // Where the responders run (sockets must be opened on it: the FrameSocketFactory's
    // executor). Empty: the Speaker's own executor, everything on one thread.
    boost::asio::any_io_executor responder;
    std::string responder_scheduling;  // for status: ResponderThread::scheduling()
  };

  struct Loggers {
    std::shared_ptr<spdlog::logger> main;  // "speaker": ownership and interface changes
    std::shared_ptr<spdlog::logger> l2;    // "speaker.l2": per-frame debug, socket errors
  };

  // Throws std::invalid_argument for a bad exclusion pattern (start-up configuration).
  Speaker(boost::asio::any_io_executor ex, FrameSocketFactory& sockets, metrics::Registry& registry,
          Loggers loggers, Options options);
  ~Speaker();
  Speaker(const Speaker&) = delete;
  Speaker& operator=(const Speaker&) = delete;

  // Inputs; each recomputes and applies at once. Of the manifests only the slim speaker model is
  // kept (speaker_model.hpp).
  void setManifests(const manifest::ManifestSet& set);
  void setLinks(std::vector<Link> links);
  // The failover seam: replaces the single-node ownership decision (default LocalOwnershipPolicy).
  void setOwnershipPolicy(std::shared_ptr<const OwnershipPolicy> policy);

  // Whether some link is usable. For failover: a node without one should not be a candidate
  // (MeshService::setEligible). The handler runs after setLinks() when the answer changes.
  [[nodiscard]] bool hasUsableInterface() const;
  void onUsableChange(std::function<void(bool usable)> handler);
  // Runs after every recompute with the announcements in force (Kubernetes mode publishes them as
  // ServiceL2Status objects; the handler compares and ignores repeats).
  void onAnnounced(std::function<void(const Announcements&)> handler);
  [[nodiscard]] const Announcements& announcements() const noexcept { return announced_; }

  // Closes every socket and stops the announcement timer. Idempotent.
  void stop();

  // Sends every gratuitous round due at options.now() and re-arms the timer. The timer calls it;
  // tests call it after moving their clock.
  void tick();

  // Adds what the kernel counted on every socket since the last call (received, dropped) to
  // stats(), and copies stats() (kernel counts, drops, errors) into the metrics, with the per-IP
  // series (metallb_speaker_announced, metallb_layer2_{requests_received,responses_sent,
  // gratuitous_sent}). Those exist only until dropPerIpSeries(): the /metrics handler brackets
  // Registry::encode() with the two, so 10,000 VIPs do not keep 40,000 label sets alive between
  // scrapes (lost IPs never show, MetalLB #1972). The control socket's `stats` calls both too.
  void collectCounters();
  void dropPerIpSeries();

  // Control-socket views (JSON, documented in speakerctl).
  [[nodiscard]] boost::json::value status() const;
  [[nodiscard]] boost::json::value explain(const net::IpAddress& ip) const;
  [[nodiscard]] boost::json::value statsJson() const;
  // Restarts the gratuitous burst (a round now, then +250 ms ... +2 s) for every owned (IP,
  // interface), as after a gain. Failover calls it when a mesh member joins or comes back: the
  // other side of a healed partition may have moved clients to itself.
  void reannounce();
  // Sends one announcement round for ip now on every interface announcing it.
  // Errors: Errc::kNotFound when this node does not announce ip.
  [[nodiscard]] Result<boost::json::value> garp(const net::IpAddress& ip);

  [[nodiscard]] const OwnedSet& owned() const noexcept { return owned_; }
  [[nodiscard]] const SpeakerStats& stats() const noexcept { return *stats_; }
  [[nodiscard]] const std::vector<Link>& links() const noexcept { return links_; }
  // Announcing interfaces with an open socket (ifindexes, sorted).
  [[nodiscard]] std::vector<int> openInterfaces() const;

 private:
  struct Port;

  void recompute();
  void logChanges(const AnnouncementDiff& diff) const;
  // Opens, updates and closes ports. Group leaves are done at once; joins are queued on the
  // port and done in slices (joinPending): each is a syscall and an MLD report, and the kernel
  // walks the interface's whole group list for each, so 10,000 at once would hold this thread
  // (the mesh's heartbeats) for over a second.
  void applyPorts(const AnnouncementDiff& diff);
  // publish: false from applyPorts, whose caller publishes every port's table.
  void openPort(const Link& link, const std::vector<net::IpAddress>& ips,
                const std::vector<net::Ipv6Address>& groups, Clock::time_point now,
                bool publish = true);
  void retryPorts();
  void sendPending();
  void setTargets(Port& port, const std::vector<net::Ipv4Address>& targets);
  void takeKernelCounts(Port& port);
  void updateMetrics(const Announcements& next);
  void publishTable(Port& port) const;
  void closePort(const std::shared_ptr<Port>& port) const;
  [[nodiscard]] IpCounters* countersOf(const net::IpAddress& ip) const;
  void noteUnknownNode(const std::optional<UnknownNode>& unknown);
  void sendRound(Port& port, const net::IpAddress& ip);
  // One slice of the queued group joins; posts the next slice or pause. Only while none is
  // on its way (!join_posted_): tick() checks, the posted slice and the pause clear it first.
  void joinPending();
  void joinGroup(Port& port, const net::Ipv6Address& group);
  void leaveGroup(Port& port, const net::Ipv6Address& group);
  void rearm();
  void releaseHeapSoon();  // malloc_trim once the handlers already queued have run
  void releaseFreedHeap();
  // Runs (this->*step)() after the handlers already queued; *posted keeps it to one in the queue.
  void postOnce(bool Speaker::*posted, void (Speaker::*step)());
  [[nodiscard]] const Link* findLink(int ifindex) const;
  [[nodiscard]] std::string linkName(int ifindex) const;

  boost::asio::any_io_executor ex_;
  FrameSocketFactory& sockets_;
  metrics::Registry& registry_;
  Loggers log_;
  Options options_;
  InterfaceFilter filter_;
  std::shared_ptr<const OwnershipPolicy> policy_;

  SpeakerModel manifests_;  // slimForSpeaker()
  std::vector<Link> links_;
  OwnedSet owned_;
  Announcements announced_;
  std::map<int, std::shared_ptr<Port>> ports_;
  std::shared_ptr<SpeakerStats> stats_ = std::make_shared<SpeakerStats>();  // shared: responders
  std::optional<Clock::time_point> retry_at_;  // re-open sockets that failed to open
  std::function<void(bool)> on_usable_change_;
  std::function<void(const Announcements&)> on_announced_;
  std::optional<UnknownNode> node_unknown_;  // --node matches none of the Node objects
  bool stopped_ = false;
  bool slice_posted_ = false;  // a sendPending() slice is queued on the executor
  bool join_posted_ = false;   // a joinPending() slice is queued, or its pause is running
  std::size_t joins_since_pause_ = 0;
  bool trim_posted_ = false;  // a releaseHeapSoon() trim is queued on the executor

  struct Timer;
  std::shared_ptr<Timer> timer_;

  metrics::Family& announced_metric_;
  metrics::Family& requests_metric_;
  metrics::Family& responses_metric_;
  metrics::Family& gratuitous_metric_;
  metrics::Family& drops_metric_;
  metrics::Family& errors_metric_;
  metrics::Family& interfaces_metric_;
  metrics::Family& kernel_drops_metric_;
  metrics::Family& kernel_received_metric_;
  metrics::Family& announce_failed_metric_;
  metrics::Family& node_unknown_metric_;
};

}  // namespace l1net::speaker
