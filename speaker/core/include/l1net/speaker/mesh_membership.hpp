// Heartbeat mesh membership: which peers are alive and eligible to announce, from the messages
// they send (mesh_message.hpp) and the time that passes.
//
// Design note: every node sends every configured peer one heartbeat per interval (default 100 ms).
// A peer silent for `multiplier` intervals (default 5 -> 500 ms) is dead; a leave marks it left at
// once; a heartbeat with the eligible flag clear keeps it a member but not a candidate (all its
// announcing interfaces are down). The speaker ranks candidates() (self included when eligible)
// to pick each IP's owner, and recomputes only when a returned MemberChange says
// affectsOwnership(). Suspect (silent for suspect_multiplier intervals) is informational: a
// suspect peer is still a candidate, so one lost datagram never moves an IP.
//
// States: kUnknown (configured, not heard since we started or since it was added; not a
// candidate) -> kAlive on an accepted heartbeat, or kDead once it has been silent for the dead
// time since then. kAlive -> kSuspect -> kDead by silence; any accepted heartbeat -> kAlive; an
// accepted leave -> kLeft (later heartbeats of that incarnation are stale; a restarted peer, with
// a larger incarnation, becomes kAlive again). settled() is false while any peer is kUnknown: the
// speaker should not announce before, or a restarting node would briefly claim every IP.
//
// Acceptance, in order (the first failing check is the drop reason): the codec's checks, then
// kSelf, kNotForUs, kUnknownNode, kAddressMismatch (when verify_source_ip), kStale (incarnation
// below the peer's current or <= one it left with), kReplay (same incarnation, sequence not
// above the last accepted), kHandshake (to_incarnation is not ours; the sender's incarnation is
// still learnt, so the next message it sends us names ours). Exception to kStale: while a peer
// is dead or left, a smaller incarnation (its clock stepped back across a restart) is accepted
// once its message echoes one of our heartbeats sent within the dead time, which a capture cannot.
// Replay protection: captures cannot
// be replayed to another node (receiver name), after the sender restarted (incarnation), before
// the next accepted message (sequence) or after the receiver restarted (to_incarnation).
//
// Timing: deadlines are exact; nextDeadline() is the earliest time tick() will change something,
// so a shell that wakes then detects a crash exactly dead-time after the last heartbeat, not up
// to one interval later.
//
// Contract: pure and deterministic; time is passed in; not thread-safe (one owner).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "l1net/error.hpp"
#include "l1net/manifest/objects.hpp"
#include "l1net/speaker/mesh_message.hpp"

namespace l1net::speaker {

using MeshClock = std::chrono::steady_clock;
using MeshTime = MeshClock::time_point;

enum class MemberState { kUnknown, kAlive, kSuspect, kDead, kLeft };

// "unknown", "alive", "suspect", "dead", "left".
[[nodiscard]] std::string_view memberStateName(MemberState s) noexcept;

struct MeshPeer {
  std::string name;
  boost::asio::ip::address address;
  std::uint16_t port = kDefaultMeshPort;
  friend bool operator==(const MeshPeer&, const MeshPeer&) = default;
};

struct MeshTiming {
  std::chrono::milliseconds interval{100};  // --heartbeat-interval
  unsigned multiplier = 5;                  // --heartbeat-multiplier: dead after this many
  unsigned suspect_multiplier = 2;          // suspect after this many (clamped below multiplier)

  [[nodiscard]] std::chrono::nanoseconds deadAfter() const noexcept;
  [[nodiscard]] std::chrono::nanoseconds suspectAfter() const noexcept;
};

struct MembershipConfig {
  std::string self_name;
  // Chosen at start, larger than any earlier run's (the shell uses wall-clock nanoseconds).
  std::uint64_t incarnation = 1;
  MeshTiming timing;
  std::vector<MeshPeer> peers;  // self, if listed, is ignored
  // Drop messages whose source IP is not the peer's configured address (the port is not
  // checked). On by default; with --insecure-mesh it is the only sender check there is.
  bool verify_source_ip = true;
};

// Errors: Errc::kInvalidArgument for an invalid self/peer name (isValidMeshName), a duplicate
// peer name, interval <= 0 or multiplier < 2 (one lost datagram must not kill a peer).
[[nodiscard]] Result<void> validateMembershipConfig(const MembershipConfig& cfg);

// One member's change, returned so the speaker acts (and logs) only on change.
struct MemberChange {
  std::string name;
  MemberState from = MemberState::kUnknown;
  MemberState to = MemberState::kUnknown;
  bool candidate_before = false;
  bool candidate_after = false;
  bool removed = false;  // dropped from the peer list by setPeers()
  [[nodiscard]] bool affectsOwnership() const noexcept {
    return candidate_before != candidate_after;
  }
  friend bool operator==(const MemberChange&, const MemberChange&) = default;
};

// A row of `speakerctl members`.
struct MemberInfo {
  std::string name;
  bool is_self = false;
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  MemberState state = MemberState::kUnknown;
  bool eligible = false;
  bool candidate = false;
  std::optional<MeshTime> last_heard;  // last accepted message
  std::optional<std::chrono::nanoseconds> rtt_last;
  std::optional<std::chrono::nanoseconds> rtt_smoothed;  // EWMA, weight 1/8 (as TCP's SRTT)
  std::uint64_t incarnation = 0;                         // 0 = none accepted yet
  std::uint64_t sequence = 0;                            // last accepted
  std::uint64_t accepted = 0;                            // messages accepted from the peer
  std::uint64_t rejected = 0;  // authenticated messages from it dropped (stale/replay/...)
};

struct MeshReceive {
  MeshDrop drop = MeshDrop::kNone;
  std::optional<MemberChange> change;
};

// A datagram the shell must send.
struct MeshOutgoing {
  std::string peer;
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  std::vector<std::uint8_t> bytes;
};

class Membership {
 public:
  // cfg must pass validateMembershipConfig (throws std::invalid_argument otherwise: start-up
  // configuration). `now` starts every peer's kUnknown period.
  Membership(MembershipConfig cfg, MeshKey key, MeshTime now);

  // Decodes and applies one datagram from (from_ip, from_port).
  [[nodiscard]] MeshReceive onDatagram(std::span<const std::uint8_t> bytes,
                                       const boost::asio::ip::address& from_ip, MeshTime now);
  // Applies one decoded, authenticated message (onDatagram's second half).
  [[nodiscard]] MeshReceive onMessage(const MeshMessage& msg,
                                      const boost::asio::ip::address& from_ip, MeshTime now);

  // Silence-driven transitions due at `now` (kUnknown/kAlive/kSuspect -> kSuspect/kDead).
  [[nodiscard]] std::vector<MemberChange> tick(MeshTime now);
  // Earliest time tick() has something to do; nullopt when nothing is pending.
  [[nodiscard]] std::optional<MeshTime> nextDeadline() const;

  // One heartbeat per configured peer (any state, so dead peers can come back), each with its
  // own sequence number and echo fields.
  [[nodiscard]] std::vector<MeshOutgoing> heartbeats(MeshTime now);
  // One leave per configured peer. Call it `repeats` times for loss tolerance; every copy has a
  // fresh sequence and is accepted silently by a peer that already saw the first.
  [[nodiscard]] std::vector<MeshOutgoing> leaves(MeshTime now);

  // Self eligibility (false when every announcing interface is down). Returns the change when it
  // differs; the shell then sends heartbeats() at once.
  [[nodiscard]] std::optional<MemberChange> setEligible(bool eligible);
  [[nodiscard]] bool eligible() const noexcept { return self_eligible_; }

  // Replaces the peer list (Nodes changed). New peers start kUnknown at `now`; peers whose
  // address changed keep their state; removed peers are reported with removed = true.
  // Errors as validateMembershipConfig; on error nothing changes.
  [[nodiscard]] Result<std::vector<MemberChange>> setPeers(std::vector<MeshPeer> peers,
                                                           MeshTime now);

  // Candidates for ownership: self when eligible, plus alive/suspect eligible peers. Sorted.
  [[nodiscard]] std::vector<std::string> candidates() const;
  // Self first, then peers sorted by name.
  [[nodiscard]] std::vector<MemberInfo> members() const;
  [[nodiscard]] bool settled() const noexcept;

  [[nodiscard]] const std::string& selfName() const noexcept { return cfg_.self_name; }
  [[nodiscard]] std::uint64_t incarnation() const noexcept { return cfg_.incarnation; }
  [[nodiscard]] const MeshTiming& timing() const noexcept { return cfg_.timing; }

 private:
  struct Peer {
    MeshPeer peer;
    MemberState state = MemberState::kUnknown;
    MeshTime since;  // kUnknown: when the wait began; otherwise last accepted message
    bool eligible = false;
    std::optional<MeshTime> last_heard;
    std::uint64_t incarnation = 0;        // accepted
    std::uint64_t sequence = 0;           // last accepted in `incarnation`
    std::uint64_t heard_incarnation = 0;  // largest authenticated
    std::uint64_t to_incarnation = 0;     // what we echo as to_incarnation
    std::uint64_t left_incarnation = 0;   // an incarnation that sent leave; 0 = none
    std::uint64_t echo_time_ns = 0;       // its send_time_ns of the last accepted message
    MeshTime echo_received;               // when we accepted that message
    std::optional<std::chrono::nanoseconds> rtt_last;
    std::optional<std::chrono::nanoseconds> rtt_smoothed;
    std::uint64_t accepted = 0;
    std::uint64_t rejected = 0;
  };

  [[nodiscard]] static bool isCandidate(const Peer& p) noexcept;
  [[nodiscard]] std::vector<MeshOutgoing> build(MeshMessageType type, MeshTime now);
  [[nodiscard]] std::optional<MeshTime> deadlineOf(const Peer& p) const;

  MembershipConfig cfg_;
  MeshKey key_;
  std::uint64_t start_ns_ = 0;
  std::uint64_t next_sequence_ = 1;
  bool self_eligible_ = true;
  std::map<std::string, Peer, std::less<>> peers_;
};

// Peers for file mode: one per Node other than self with an InternalIP (the first that parses;
// IPv4 preferred), on `port`. `overrides` (--mesh-peer name=ip:port) replace the Node-derived
// entry of the same name or add a peer without a Node. Sorted by name. Nodes without a usable
// InternalIP are listed in `skipped`.
struct MeshPeersFromNodes {
  std::vector<MeshPeer> peers;
  std::vector<std::string> skipped;
};
[[nodiscard]] MeshPeersFromNodes meshPeersFromNodes(std::span<const manifest::Node> nodes,
                                                    std::string_view self_name,
                                                    std::uint16_t port = kDefaultMeshPort,
                                                    std::span<const MeshPeer> overrides = {});

// Parses a --mesh-peer value "name=ip:port" ("b=127.0.0.1:7948", "c=[::1]:7949"); the port may be
// omitted (kDefaultMeshPort). Errors: Errc::kInvalidArgument (no '=', bad name or port),
// Errc::kInvalidAddress (not an IP literal).
[[nodiscard]] Result<MeshPeer> parseMeshPeer(std::string_view text);

}  // namespace l1net::speaker
