// MeshService: the heartbeat mesh's I/O shell. It owns a MeshTransport (UDP, default
// 0.0.0.0:7947) and a Membership (pure core, mesh_membership.hpp) and only moves bytes and time
// between them: every interval it sends Membership::heartbeats(), it feeds every datagram to
// Membership::onDatagram(), and it wakes at Membership::nextDeadline() so a crashed peer is
// declared dead exactly multiplier x interval after its last heartbeat (500 ms by default).
//
// Contract:
//  - Runs on the executor it is given (the speaker's single io_context thread); every method must
//    be called on that thread. Nothing here is thread-safe.
//  - The change handler is called on that thread with the changes of one step (a drained batch of
//    datagrams, a tick, setEligible, setPeers); never with an empty vector. It may call back into
//    the service (candidates(), stop(), ...). An exception from it is logged and swallowed.
//  - Before start(), and after stop()/leave(), nothing is sent or received.
//  - Every dropped datagram bumps stats().dropped[reason] and logs one debug line (a flood of
//    junk must not flood the journal); send/receive errors bump a counter and log a warning.
//  - The speaker must not announce until settled(): until every peer was heard or timed out, a
//    starting node would otherwise claim every IP for up to one dead time.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/json/value.hpp>

#include "l1net/error.hpp"
#include "l1net/speaker/mesh_membership.hpp"
#include "l1net/speaker/mesh_message.hpp"
#include "l1net/speaker/mesh_transport.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace boost::program_options {
class options_description;
}  // namespace boost::program_options

namespace l1net::metrics {
class Registry;
}  // namespace l1net::metrics

namespace l1net::speaker {

struct MeshServiceOptions {
  MembershipConfig membership;
  MeshKey key;                // empty = --insecure-mesh
  unsigned leave_copies = 3;  // leave() sends this many rounds, for loss tolerance
  // The clock seam, as Speaker::Options::now: every time the service hands the membership or
  // arms its timer from comes from here. Empty = MeshClock::now (steady_clock).
  std::function<MeshTime()> now;
};

struct MeshStats {
  std::array<std::uint64_t, kMeshDropCount> dropped{};  // indexed by MeshDrop; [kNone] stays 0
  std::uint64_t accepted = 0;                           // datagrams accepted
  std::uint64_t sent = 0;                               // datagrams sent
  std::uint64_t send_errors = 0;
  std::uint64_t receive_errors = 0;
  [[nodiscard]] std::uint64_t droppedFor(MeshDrop d) const noexcept {
    return dropped.at(static_cast<std::size_t>(d));
  }
};

class MeshService {
 public:
  using ChangeHandler = std::function<void(const std::vector<MemberChange>&)>;

  // opts.membership must pass validateMembershipConfig (else std::invalid_argument).
  // The membership clock starts at opts.now().
  MeshService(boost::asio::any_io_executor ex, std::unique_ptr<MeshTransport> transport,
              MeshServiceOptions opts, std::shared_ptr<spdlog::logger> logger);
  ~MeshService();  // stop() without leave
  MeshService(const MeshService&) = delete;
  MeshService& operator=(const MeshService&) = delete;

  void onChange(ChangeHandler handler);
  // Sends the first heartbeats at once, then every interval; starts receiving. Once only.
  void start();
  // Graceful stop (SIGTERM): sends leave_copies rounds of leave to every peer, then stop().
  // Peers mark this node left on the first one they get, and take over its IPs at once.
  void leave();
  // Stops sending and receiving without telling anyone (peers see silence). Idempotent.
  void stop();

  // Self eligibility: false when every announcing interface is down. On a change, heartbeats go
  // out at once (peers re-rank within one RTT) and the handler sees the self change.
  void setEligible(bool eligible);
  // Replaces the peer list (Nodes changed). Errors: Errc::kInvalidArgument (see setPeers in
  // mesh_membership.hpp); nothing changes then.
  Result<void> setPeers(std::vector<MeshPeer> peers);

  [[nodiscard]] MeshTime now() const;  // the injected clock
  [[nodiscard]] std::vector<std::string> candidates() const;
  [[nodiscard]] std::vector<MemberInfo> members() const;  // for `speakerctl members`
  [[nodiscard]] bool settled() const;
  [[nodiscard]] const MeshStats& stats() const noexcept;
  [[nodiscard]] boost::asio::ip::udp::endpoint localEndpoint() const noexcept;

  // Mirrors stats and members into `registry`:
  //   l1net_mesh_dropped_total{reason}   counter, every reason (0 included) but "none"
  //   l1net_mesh_accepted_total, l1net_mesh_sent_total, l1net_mesh_send_errors_total,
  //   l1net_mesh_receive_errors_total    counters
  //   l1net_mesh_members{state}          gauge: peers per state (self excluded)
  //   l1net_mesh_peer_rtt_seconds{peer}  gauge: smoothed RTT of peers that have one
  // Series of peers that are gone are removed. Call before serving /metrics.
  void exportMetrics(metrics::Registry& registry) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// The `speakerctl members` payload for the control socket: an array, self first, of
//   {"name", "self", "address" (null for self), "port", "state" (memberStateName), "eligible",
//    "candidate", "last_heard_ms" (ms before `now`, null if never), "rtt_ms", "rtt_smoothed_ms"
//    (fractional ms, null until measured), "incarnation", "sequence", "accepted", "rejected"}.
[[nodiscard]] boost::json::value membersJson(const std::vector<MemberInfo>& members, MeshTime now);

// ---- start-up configuration (flags of l1net-speaker) ----

struct MeshCliOptions {
  std::string bind = "0.0.0.0:7947";  // --mesh-bind
  unsigned interval_ms = 100;         // --heartbeat-interval (milliseconds)
  unsigned multiplier = 5;            // --heartbeat-multiplier
  std::string key_file;               // --mesh-key-file
  bool insecure = false;              // --insecure-mesh
  std::vector<std::string> peers;     // --mesh-peer name=ip:port (repeatable)
};

// Adds the flags above to `desc`, stored into `opts` (current values are the defaults).
void addMeshOptions(boost::program_options::options_description& desc, MeshCliOptions& opts);

// Reads a key file (see parseMeshKey: contents minus trailing newlines, 16..4096 bytes).
// Errors: the OS error opening/reading the file; Errc::kInvalidArgument for a bad size.
[[nodiscard]] Result<MeshKey> loadMeshKeyFile(const std::string& path);

// The mesh flags parsed and checked once, at start-up.
struct MeshSettings {
  boost::asio::ip::udp::endpoint bind;  // --mesh-bind
  MeshTiming timing;                    // --heartbeat-interval, --heartbeat-multiplier
  MeshKey key;                          // --mesh-key-file; empty = --insecure-mesh
  std::vector<MeshPeer> overrides;      // --mesh-peer
};

// Checks every mesh flag once: bind address, interval (>= 1 ms), multiplier (>= 2), the key (or
// --insecure-mesh; both or neither is an error: the speaker refuses to start without a key) and
// the --mesh-peer overrides. Throws std::invalid_argument with a message naming the flag.
[[nodiscard]] MeshSettings parseMeshFlags(const MeshCliOptions& cli);

// The service options: merges the --mesh-peer overrides over `node_peers` (meshPeersFromNodes),
// uses `incarnation` (newMeshIncarnation() in production). Throws std::invalid_argument when a
// node or peer name is invalid (start-up configuration).
[[nodiscard]] MeshServiceOptions makeMeshServiceOptions(const MeshSettings& settings,
                                                        std::string self_name,
                                                        std::vector<MeshPeer> node_peers,
                                                        std::uint64_t incarnation);
// The same from the raw flags (parseMeshFlags first).
[[nodiscard]] MeshServiceOptions makeMeshServiceOptions(const MeshCliOptions& cli,
                                                        std::string self_name,
                                                        std::vector<MeshPeer> node_peers,
                                                        std::uint64_t incarnation);
// The --mesh-peer overrides alone. Throws std::invalid_argument naming the bad value.
[[nodiscard]] std::vector<MeshPeer> parseMeshPeers(const std::vector<std::string>& texts);
// --mesh-bind "HOST:PORT" (io::parseHostPort syntax). Errors as parseHostPort.
[[nodiscard]] Result<boost::asio::ip::udp::endpoint> parseMeshBind(std::string_view text);
// Wall-clock nanoseconds since the epoch: normally larger than any earlier run's, so a restarted
// speaker supersedes its old self at once. If the clock stepped back across a restart, peers take
// the smaller incarnation once the old one is dead or left (see mesh_membership.hpp).
[[nodiscard]] std::uint64_t newMeshIncarnation();

}  // namespace l1net::speaker
