#include "l1net/speaker/mesh_message.hpp"

#include <algorithm>
#include <string>

#include "l1net/speaker/sha256.hpp"

namespace l1net::speaker {
namespace {

constexpr std::uint8_t kFlagEligible = 0x01;
constexpr std::uint8_t kFlagInsecure = 0x02;
constexpr std::uint8_t kKnownFlags = kFlagEligible | kFlagInsecure;
constexpr std::size_t kHeaderSize = 7;  // magic, version, type, flags
constexpr std::size_t kU64Fields = 6;

class MeshCategory final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "l1net.mesh"; }
  [[nodiscard]] std::string message(int ev) const override {
    return std::string(meshDropName(static_cast<MeshDrop>(ev)));
  }
};

std::uint64_t load64(std::span<const std::uint8_t> in, std::size_t at) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    v = (v << 8U) | in[at + i];
  }
  return v;
}

void store64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>((v >> static_cast<unsigned>(shift)) & 0xffU));
  }
}

// HMAC-SHA256 of data under key (the empty key in insecure mode).
Sha256Digest mac(const MeshKey& key, std::span<const std::uint8_t> data) {
  static_assert(std::tuple_size_v<Sha256Digest> == kMeshMacSize);
  return hmacSha256(key.bytes, data);
}

}  // namespace

std::string_view meshDropName(MeshDrop d) noexcept {
  switch (d) {
    case MeshDrop::kNone:
      return "none";
    case MeshDrop::kTruncated:
      return "truncated";
    case MeshDrop::kBadMagic:
      return "bad_magic";
    case MeshDrop::kBadVersion:
      return "bad_version";
    case MeshDrop::kMalformed:
      return "malformed";
    case MeshDrop::kBadType:
      return "bad_type";
    case MeshDrop::kAuthMismatch:
      return "auth_mismatch";
    case MeshDrop::kForged:
      return "forged";
    case MeshDrop::kSelf:
      return "self";
    case MeshDrop::kNotForUs:
      return "not_for_us";
    case MeshDrop::kUnknownNode:
      return "unknown_node";
    case MeshDrop::kAddressMismatch:
      return "address_mismatch";
    case MeshDrop::kStale:
      return "stale";
    case MeshDrop::kReplay:
      return "replay";
    case MeshDrop::kHandshake:
      return "handshake";
  }
  return "unknown";
}

const std::error_category& meshCategory() noexcept {
  static const MeshCategory kCategory;
  return kCategory;
}

std::error_code make_error_code(MeshDrop d) noexcept {
  return {static_cast<int>(d), meshCategory()};
}

MeshDrop meshDropOf(const boost::system::error_code& ec) noexcept {
  const std::error_code sec = ec;
  if (sec.category() == meshCategory() && sec.value() > 0 &&
      static_cast<std::size_t>(sec.value()) < kMeshDropCount) {
    return static_cast<MeshDrop>(sec.value());
  }
  return MeshDrop::kMalformed;
}

Result<MeshKey> parseMeshKey(std::span<const std::uint8_t> contents) {
  auto end = contents.size();
  while (end > 0 && (contents[end - 1] == '\n' || contents[end - 1] == '\r')) {
    --end;
  }
  if (end < kMeshMinKeySize || end > kMeshMaxKeySize) {
    return Errc::kInvalidArgument;
  }
  MeshKey key;
  key.bytes.assign(contents.begin(), contents.begin() + static_cast<std::ptrdiff_t>(end));
  return key;
}

bool isValidMeshName(std::string_view name) noexcept {
  return !name.empty() && name.size() <= kMeshMaxNameSize;
}

Result<std::vector<std::uint8_t>> encodeMeshMessage(const MeshMessage& msg, const MeshKey& key) {
  if (!isValidMeshName(msg.from) || !isValidMeshName(msg.to)) {
    return Errc::kInvalidArgument;
  }
  if (msg.type != MeshMessageType::kHeartbeat && msg.type != MeshMessageType::kLeave) {
    return Errc::kInvalidArgument;
  }
  std::vector<std::uint8_t> out;
  out.reserve(kMeshFixedSize + msg.from.size() + msg.to.size());
  out.insert(out.end(), kMeshMagic.begin(), kMeshMagic.end());
  out.push_back(kMeshVersion);
  out.push_back(static_cast<std::uint8_t>(msg.type));
  std::uint8_t flags = 0;
  if (msg.eligible) {
    flags |= kFlagEligible;
  }
  if (key.insecure()) {
    flags |= kFlagInsecure;
  }
  out.push_back(flags);
  for (const auto* name : {&msg.from, &msg.to}) {
    out.push_back(static_cast<std::uint8_t>(name->size()));
    out.insert(out.end(), name->begin(), name->end());
  }
  for (const auto v : {msg.incarnation, msg.sequence, msg.to_incarnation, msg.send_time_ns,
                       msg.echo_time_ns, msg.echo_delay_ns}) {
    store64(out, v);
  }
  const auto m = mac(key, out);
  out.insert(out.end(), m.begin(), m.end());
  return out;
}

Result<MeshMessage> decodeMeshMessage(std::span<const std::uint8_t> in, const MeshKey& key) {
  if (in.size() < kHeaderSize) {
    return MeshDrop::kTruncated;
  }
  if (!std::equal(kMeshMagic.begin(), kMeshMagic.end(), in.begin())) {
    return MeshDrop::kBadMagic;
  }
  if (in[4] != kMeshVersion) {
    return MeshDrop::kBadVersion;
  }
  if (in.size() < kMeshFixedSize) {
    return MeshDrop::kTruncated;
  }
  // Both lengths are one byte, so every offset below stays far from overflow; each read is
  // preceded by a check that it ends inside `in`.
  std::size_t at = kHeaderSize;
  const std::size_t from_len = in[at];
  at += 1;
  if (at + from_len + 1 > in.size()) {
    return MeshDrop::kTruncated;
  }
  const std::size_t from_at = at;
  at += from_len;
  const std::size_t to_len = in[at];
  at += 1;
  const std::size_t to_at = at;
  at += to_len;
  const std::size_t mac_at = at + kU64Fields * 8;
  if (mac_at + kMeshMacSize > in.size()) {
    return MeshDrop::kTruncated;
  }
  if (mac_at + kMeshMacSize != in.size()) {
    return MeshDrop::kMalformed;
  }
  if (from_len == 0 || to_len == 0 || from_len > kMeshMaxNameSize || to_len > kMeshMaxNameSize) {
    return MeshDrop::kMalformed;
  }
  const std::uint8_t flags = in[6];
  if ((flags & ~kKnownFlags) != 0) {
    return MeshDrop::kMalformed;
  }
  if (((flags & kFlagInsecure) != 0) != key.insecure()) {
    return MeshDrop::kAuthMismatch;
  }
  if (!constantTimeEqual(mac(key, in.first(mac_at)), in.subspan(mac_at, kMeshMacSize))) {
    return MeshDrop::kForged;
  }
  const auto type = in[5];
  if (type != static_cast<std::uint8_t>(MeshMessageType::kHeartbeat) &&
      type != static_cast<std::uint8_t>(MeshMessageType::kLeave)) {
    return MeshDrop::kBadType;
  }
  MeshMessage msg;
  msg.type = static_cast<MeshMessageType>(type);
  msg.eligible = (flags & kFlagEligible) != 0;
  const auto name = [&in](std::size_t off, std::size_t len) {
    const auto bytes = in.subspan(off, len);
    return std::string(bytes.begin(), bytes.end());
  };
  msg.from = name(from_at, from_len);
  msg.to = name(to_at, to_len);
  msg.incarnation = load64(in, at);
  msg.sequence = load64(in, at + 8);
  msg.to_incarnation = load64(in, at + 16);
  msg.send_time_ns = load64(in, at + 24);
  msg.echo_time_ns = load64(in, at + 32);
  msg.echo_delay_ns = load64(in, at + 40);
  return msg;
}

}  // namespace l1net::speaker
