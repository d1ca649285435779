#include "l1net/speaker/mesh_message.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/hex.hpp"

namespace {

using l1net::speaker::decodeMeshMessage;
using l1net::speaker::encodeMeshMessage;
using l1net::speaker::MeshDrop;
using l1net::speaker::MeshKey;
using l1net::speaker::MeshMessage;
using l1net::speaker::MeshMessageType;
using l1net::testing::hex;

std::vector<std::uint8_t> bytesOf(std::string_view s) { return {s.begin(), s.end()}; }

MeshKey testKey() { return MeshKey{bytesOf("0123456789abcdef")}; }

MeshMessage goldenMessage(MeshMessageType type, bool eligible) {
  MeshMessage m;
  m.type = type;
  m.eligible = eligible;
  m.from = "node-a";
  m.to = "node-b";
  m.incarnation = 0x0102030405060708ULL;
  m.sequence = 42;
  m.to_incarnation = 7;
  m.send_time_ns = 1000;
  m.echo_time_ns = 900;
  m.echo_delay_ns = 50;
  return m;
}

// Body of the golden message; the MACs below were computed independently:
//   printf '<body>' | xxd -r -p > m.bin
//   openssl dgst -sha256 -mac HMAC -macopt hexkey:30313233343536373839616263646566 m.bin
// and, for the empty key (the openssl CLI refuses one), with Python's hashlib by the RFC 2104
// construction: sha256((k^opad) || sha256((k^ipad) || m)) with k = 64 zero bytes.
constexpr std::string_view kBodyTail =
    "066e6f64652d61066e6f64652d620102030405060708000000000000002a0000000000000007"
    "00000000000003e800000000000003840000000000000032";
constexpr std::string_view kHeartbeatKeyed = "4c314e4d010101";  // heartbeat, eligible
constexpr std::string_view kHeartbeatMac =
    "5025370b444a5cd1abceeccf62d30312ffbb1a7ac7db0a9bcb7c557b84570890";
constexpr std::string_view kLeaveInsecure = "4c314e4d010202";  // leave, not eligible, insecure
constexpr std::string_view kLeaveInsecureMac =
    "b48b62fcad181ed2803a45731b3615096a3b2f3d194e0220724291cc393a8440";
constexpr std::string_view kType3Keyed = "4c314e4d010301";  // unknown type 3, valid MAC
constexpr std::string_view kType3Mac =
    "3d12b23c27e0f25dd311b337299e601e029bab31b34611de6c55885b6a346646";

std::vector<std::uint8_t> golden(std::string_view head, std::string_view mac) {
  return hex(std::string(head) + std::string(kBodyTail) + std::string(mac));
}

}  // namespace

TEST_CASE("mesh codec: golden bytes") {
  struct Case {
    const char* name;
    MeshMessage msg;
    MeshKey key;
    std::vector<std::uint8_t> want;
  };
  const std::vector<Case> cases = {
      {"keyed eligible heartbeat", goldenMessage(MeshMessageType::kHeartbeat, true), testKey(),
       golden(kHeartbeatKeyed, kHeartbeatMac)},
      {"insecure ineligible leave", goldenMessage(MeshMessageType::kLeave, false), MeshKey{},
       golden(kLeaveInsecure, kLeaveInsecureMac)},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = encodeMeshMessage(c.msg, c.key);
      REQUIRE(got.has_value());
      CHECK(*got == c.want);
      CHECK(got->size() == l1net::speaker::kMeshFixedSize + 12);
      const auto back = decodeMeshMessage(c.want, c.key);
      REQUIRE(back.has_value());
      CHECK(*back == c.msg);
    }
  }
}

TEST_CASE("mesh codec: decode rejects with a reason") {
  const auto good = golden(kHeartbeatKeyed, kHeartbeatMac);
  const auto mutate = [&good](auto f) {
    auto b = good;
    f(b);
    return b;
  };
  struct Case {
    const char* name;
    std::vector<std::uint8_t> bytes;
    MeshKey key;
    MeshDrop want;
  };
  const std::vector<Case> cases = {
      {"empty", {}, testKey(), MeshDrop::kTruncated},
      {"three bytes", {0x4c, 0x31, 0x4e}, testKey(), MeshDrop::kTruncated},
      {"bad magic", mutate([](auto& b) { b[0] = 'X'; }), testKey(), MeshDrop::kBadMagic},
      {"version 2", mutate([](auto& b) { b[4] = 2; }), testKey(), MeshDrop::kBadVersion},
      {"header only", hex("4c314e4d010101"), testKey(), MeshDrop::kTruncated},
      {"one byte short", mutate([](auto& b) { b.pop_back(); }), testKey(), MeshDrop::kTruncated},
      {"trailing byte", mutate([](auto& b) { b.push_back(0); }), testKey(), MeshDrop::kMalformed},
      {"from length past the end", mutate([](auto& b) { b[7] = 250; }), testKey(),
       MeshDrop::kTruncated},
      {"to length past the end", mutate([](auto& b) { b[14] = 250; }), testKey(),
       MeshDrop::kTruncated},
      {"unknown flag bit", mutate([](auto& b) { b[6] |= 0x80; }), testKey(), MeshDrop::kMalformed},
      {"insecure message, keyed receiver", golden(kLeaveInsecure, kLeaveInsecureMac), testKey(),
       MeshDrop::kAuthMismatch},
      {"keyed message, insecure receiver", good, MeshKey{}, MeshDrop::kAuthMismatch},
      {"wrong key", good, MeshKey{bytesOf("fedcba9876543210")}, MeshDrop::kForged},
      {"flipped name byte", mutate([](auto& b) { b[8] ^= 0x01; }), testKey(), MeshDrop::kForged},
      {"flipped sequence", mutate([](auto& b) { b[29] ^= 0x01; }), testKey(), MeshDrop::kForged},
      {"eligible bit cleared", mutate([](auto& b) { b[6] = 0; }), testKey(), MeshDrop::kForged},
      {"flipped mac", mutate([](auto& b) { b.back() ^= 0x80; }), testKey(), MeshDrop::kForged},
      {"unknown type with valid mac", golden(kType3Keyed, kType3Mac), testKey(),
       MeshDrop::kBadType},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = decodeMeshMessage(c.bytes, c.key);
      REQUIRE_FALSE(got.has_value());
      CHECK(got.error() == make_error_code(c.want));
      CHECK(l1net::speaker::meshDropOf(got.error()) == c.want);
    }
  }
}

TEST_CASE("mesh codec: zero-length names are malformed") {
  // A hand-built datagram with F = 0 and T = 6; the length check comes before the MAC.
  auto b =
      hex("4c314e4d010101"
          "00"
          "066e6f64652d62");
  b.resize(b.size() + 48 + 32, 0);
  const auto got = decodeMeshMessage(b, testKey());
  REQUIRE_FALSE(got.has_value());
  CHECK(got.error() == make_error_code(MeshDrop::kMalformed));
}

TEST_CASE("mesh codec: every prefix of a valid datagram is rejected without reading past it") {
  const auto good = golden(kHeartbeatKeyed, kHeartbeatMac);
  for (std::size_t n = 0; n < good.size(); ++n) {
    const std::vector<std::uint8_t> prefix(good.begin(), good.begin() + static_cast<long>(n));
    const auto got = decodeMeshMessage(prefix, testKey());
    CHECK_FALSE(got.has_value());
  }
}

TEST_CASE("mesh codec: longest names round-trip") {
  auto msg = goldenMessage(MeshMessageType::kHeartbeat, true);
  msg.from = std::string(l1net::speaker::kMeshMaxNameSize, 'a');
  msg.to = std::string(l1net::speaker::kMeshMaxNameSize, 'b');
  const auto bytes = encodeMeshMessage(msg, testKey());
  REQUIRE(bytes.has_value());
  CHECK(bytes->size() == l1net::speaker::kMeshMaxMessageSize);
  const auto back = decodeMeshMessage(*bytes, testKey());
  REQUIRE(back.has_value());
  CHECK(*back == msg);
}

TEST_CASE("mesh codec: encode refuses invalid names") {
  struct Case {
    const char* name;
    std::string from;
    std::string to;
  };
  const std::vector<Case> cases = {
      {"empty sender", "", "b"},
      {"empty receiver", "a", ""},
      {"sender too long", std::string(254, 'a'), "b"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      auto msg = goldenMessage(MeshMessageType::kHeartbeat, true);
      msg.from = c.from;
      msg.to = c.to;
      const auto got = encodeMeshMessage(msg, testKey());
      REQUIRE_FALSE(got.has_value());
      CHECK(got.error() == make_error_code(l1net::Errc::kInvalidArgument));
    }
  }
}

TEST_CASE("parseMeshKey") {
  struct Case {
    const char* name;
    std::string contents;
    std::string want;  // empty = error
  };
  const std::vector<Case> cases = {
      {"16 bytes", "0123456789abcdef", "0123456789abcdef"},
      {"trailing newline trimmed", "0123456789abcdef\n", "0123456789abcdef"},
      {"trailing CRLF trimmed", "0123456789abcdef\r\n", "0123456789abcdef"},
      {"hex text is used as text", std::string(64, 'f') + "\n", std::string(64, 'f')},
      {"inner newline kept", "01234567\n89abcdef\n", "01234567\n89abcdef"},
      {"binary bytes", std::string("\x00\x01\x02\xff", 4) + std::string(12, '\x7f'),
       std::string("\x00\x01\x02\xff", 4) + std::string(12, '\x7f')},
      {"15 bytes", "0123456789abcde", ""},
      {"15 bytes plus newline", "0123456789abcde\n", ""},
      {"empty", "", ""},
      {"too long", std::string(4097, 'k'), ""},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = l1net::speaker::parseMeshKey(bytesOf(c.contents));
      if (c.want.empty()) {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == make_error_code(l1net::Errc::kInvalidArgument));
      } else {
        REQUIRE(got.has_value());
        CHECK(got->bytes == bytesOf(c.want));
        CHECK_FALSE(got->insecure());
      }
    }
  }
}

TEST_CASE("meshDropName: every reason has its own metric label") {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < l1net::speaker::kMeshDropCount; ++i) {
    const auto name = l1net::speaker::meshDropName(static_cast<MeshDrop>(i));
    CHECK(name != "unknown");
    CHECK(seen.insert(name).second);
  }
  CHECK(l1net::speaker::meshDropName(MeshDrop::kForged) == "forged");
  CHECK(make_error_code(MeshDrop::kReplay).message() == "replay");
}
