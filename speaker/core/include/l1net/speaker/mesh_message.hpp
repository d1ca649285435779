// Heartbeat mesh wire format: the datagrams speakers exchange over UDP (default port 7947) so each
// knows within `multiplier` heartbeat intervals which peers are alive and eligible to announce.
//
// Design note: the mesh replaces MetalLB's memberlist (failover 5-7 s) with a plain full-mesh
// heartbeat: every speaker sends every peer one authenticated datagram per interval. This file is
// the pure codec; mesh_membership.hpp is the state machine that consumes decoded messages; the
// UDP shell is speaker/io mesh_service.hpp.
//
// Wire format, version 1 (all integers big-endian; every datagram is exactly this long):
//   off  size  field
//   0    4     magic "L1NM"
//   4    1     version (1)
//   5    1     type: 1 heartbeat, 2 leave
//   6    1     flags: bit 0 eligible (the sender may announce), bit 1 insecure (no shared key);
//              other bits must be 0
//   7    1     F = length of the sender's node name, 1..253
//   8    F     sender node name (bytes, not NUL-terminated)
//   8+F  1     T = length of the receiver's node name, 1..253
//   9+F  T     receiver node name: a datagram is addressed to exactly one peer, so a capture
//              cannot be replayed to another node
//   +0   8     incarnation of the sender (chosen at start; a restarted node has a larger one)
//   +8   8     sequence, strictly increasing per sender incarnation
//   +16  8     to_incarnation: the receiver's incarnation as last heard by the sender (0 = none
//              yet). Receivers drop messages naming another incarnation of themselves, so
//              traffic captured before a receiver restarted cannot be replayed to it.
//   +24  8     send_time_ns: the sender's monotonic clock when sending
//   +32  8     echo_time_ns: send_time_ns of the last message the sender accepted from the
//              receiver (0 = none), in the receiver's clock
//   +40  8     echo_delay_ns: how long the sender held that message before sending this one;
//              the receiver computes RTT = now - echo_time_ns - echo_delay_ns (as NTP does)
//   +48  32    HMAC-SHA256 over every byte before it
//
// Authentication: with a shared key (>= 16 bytes, --mesh-key-file) the MAC is HMAC-SHA256 under
// that key and the insecure flag is clear. With --insecure-mesh there is no key: the insecure flag
// is set and the MAC is HMAC-SHA256 under the empty key, which catches corruption but proves
// nothing. A receiver accepts a message only when both ends are in the same mode: a keyed
// receiver drops insecure messages, an insecure receiver drops keyed ones (kAuthMismatch), so one
// misconfigured node cannot join (or be joined to) an authenticated mesh. MACs are compared in
// constant time (constantTimeEqual, sha256.hpp).
//
// Contract: pure (no I/O, clocks or logging); decodeMeshMessage never reads outside its input.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "l1net/error.hpp"

namespace l1net::speaker {

inline constexpr std::uint16_t kDefaultMeshPort = 7947;
inline constexpr std::uint8_t kMeshVersion = 1;
inline constexpr std::array<std::uint8_t, 4> kMeshMagic = {'L', '1', 'N', 'M'};
inline constexpr std::size_t kMeshMacSize = 32;
inline constexpr std::size_t kMeshMaxNameSize = 253;  // a Kubernetes node name (DNS subdomain)
inline constexpr std::size_t kMeshMinKeySize = 16;
inline constexpr std::size_t kMeshMaxKeySize = 4096;
// Fixed part: magic, version, type, flags, two length bytes, six u64 fields, the MAC.
inline constexpr std::size_t kMeshFixedSize = 4 + 1 + 1 + 1 + 1 + 1 + 6 * 8 + kMeshMacSize;
inline constexpr std::size_t kMeshMaxMessageSize = kMeshFixedSize + 2 * kMeshMaxNameSize;

enum class MeshMessageType : std::uint8_t { kHeartbeat = 1, kLeave = 2 };

struct MeshMessage {
  MeshMessageType type = MeshMessageType::kHeartbeat;
  bool eligible = true;
  std::string from;
  std::string to;
  std::uint64_t incarnation = 0;
  std::uint64_t sequence = 0;
  std::uint64_t to_incarnation = 0;
  std::uint64_t send_time_ns = 0;
  std::uint64_t echo_time_ns = 0;
  std::uint64_t echo_delay_ns = 0;
  friend bool operator==(const MeshMessage&, const MeshMessage&) = default;
};

// Why a datagram was not accepted, for counters (l1net_mesh_dropped_total{reason}) and debug
// logs. kNone means accepted. The codec reports kTruncated..kForged; Membership the rest.
// It is also an error-code enum (category "l1net.mesh") so decodeMeshMessage returns Result<T>.
enum class MeshDrop {
  kNone = 0,
  kTruncated,        // shorter than its fixed part or its name lengths say
  kBadMagic,         // not an l1net mesh datagram
  kBadVersion,       // a wire version we do not speak
  kMalformed,        // trailing bytes, empty name, unknown flag bits
  kBadType,          // unknown message type (checked after the MAC)
  kAuthMismatch,     // sender and receiver disagree on keyed vs --insecure-mesh
  kForged,           // MAC does not verify under our key
  kSelf,             // claims to come from this node
  kNotForUs,         // addressed to another node
  kUnknownNode,      // sender is not a configured peer
  kAddressMismatch,  // source IP is not the peer's configured address
  kStale,            // older incarnation than the peer's current one, or a left incarnation
  kReplay,           // sequence not above the last accepted one of that incarnation
  kHandshake,        // names another incarnation of us: the sender has not heard us since we
                     // (re)started; normal for about one interval after a start
};
inline constexpr std::size_t kMeshDropCount = static_cast<std::size_t>(MeshDrop::kHandshake) + 1;

// Metric label: "none", "truncated", "bad_magic", "bad_version", "malformed", "bad_type",
// "auth_mismatch", "forged", "self", "not_for_us", "unknown_node", "address_mismatch", "stale",
// "replay", "handshake".
[[nodiscard]] std::string_view meshDropName(MeshDrop d) noexcept;

// NOLINTNEXTLINE(readability-identifier-naming): ADL hook, name fixed by <system_error>
std::error_code make_error_code(MeshDrop d) noexcept;
[[nodiscard]] const std::error_category& meshCategory() noexcept;
// The MeshDrop an error from decodeMeshMessage stands for; kMalformed for foreign errors.
[[nodiscard]] MeshDrop meshDropOf(const boost::system::error_code& ec) noexcept;

// The shared secret. Empty = insecure mode (--insecure-mesh).
struct MeshKey {
  std::vector<std::uint8_t> bytes;
  [[nodiscard]] bool insecure() const noexcept { return bytes.empty(); }
};

// The key from a key file's contents: the bytes as they are, minus trailing '\n' / '\r' (so
// `echo secret > file`, `openssl rand -hex 32 > file` and a raw binary file all work; every node
// reads the same file the same way). Errors: Errc::kInvalidArgument when fewer than
// kMeshMinKeySize or more than kMeshMaxKeySize bytes remain.
[[nodiscard]] Result<MeshKey> parseMeshKey(std::span<const std::uint8_t> contents);

// A valid node name for the wire: 1..253 bytes.
[[nodiscard]] bool isValidMeshName(std::string_view name) noexcept;

// The datagram for msg, authenticated under key (insecure flag set when key is empty).
// Errors: Errc::kInvalidArgument when a name is not isValidMeshName, or the type is unknown;
// Errc::kUnsupported if OpenSSL fails to compute the MAC.
[[nodiscard]] Result<std::vector<std::uint8_t>> encodeMeshMessage(const MeshMessage& msg,
                                                                  const MeshKey& key);

// Parses and authenticates one datagram. Checks in this order: size, magic, version, lengths,
// exact size, flags, auth mode, MAC, type. Errors are MeshDrop values (kTruncated .. kForged).
[[nodiscard]] Result<MeshMessage> decodeMeshMessage(std::span<const std::uint8_t> in,
                                                    const MeshKey& key);

}  // namespace l1net::speaker

template <>
struct std::is_error_code_enum<l1net::speaker::MeshDrop> : std::true_type {};
