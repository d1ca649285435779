#include "l1net/speaker/sha256.hpp"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/hex.hpp"

namespace speaker = l1net::speaker;
using l1net::testing::hex;
using l1net::testing::hexOf;

namespace {

std::vector<std::uint8_t> bytesOf(std::string_view s) { return {s.begin(), s.end()}; }

}  // namespace

// FIPS 180-2 appendix B and the NIST example values.
TEST_CASE("sha256: FIPS 180 vectors") {
  CHECK(hexOf(speaker::sha256({})) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hexOf(speaker::sha256(bytesOf("abc"))) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(
      hexOf(speaker::sha256(bytesOf("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  speaker::Sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) {
    h.update(chunk);
  }
  CHECK(hexOf(h.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// RFC 4231 section 4 (test case 5, a truncated output, is left out).
TEST_CASE("hmacSha256: RFC 4231 vectors") {
  struct Case {
    const char* name;
    std::vector<std::uint8_t> key;
    std::vector<std::uint8_t> data;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"1", std::vector<std::uint8_t>(20, 0x0b), bytesOf("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"2", bytesOf("Jefe"), bytesOf("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"3", std::vector<std::uint8_t>(20, 0xaa), std::vector<std::uint8_t>(50, 0xdd),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"4", hex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
       std::vector<std::uint8_t>(50, 0xcd),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {"6", std::vector<std::uint8_t>(131, 0xaa),
       bytesOf("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"7", std::vector<std::uint8_t>(131, 0xaa),
       bytesOf("This is a test using a larger than block-size key and a larger than block-size "
               "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(hexOf(speaker::hmacSha256(c.key, c.data)) == c.want); }
  }
}

// Every length around the block and padding boundaries, split at every point for the streaming
// API, and keys of every length up to past the block size, against OpenSSL.
TEST_CASE("sha256 and hmacSha256 agree with OpenSSL") {
  std::mt19937 rng(20240531);
  std::uniform_int_distribution<int> byte(0, 255);
  const auto random = [&](std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (auto& b : v) {
      b = static_cast<std::uint8_t>(byte(rng));
    }
    return v;
  };
  for (std::size_t n = 0; n <= 200; ++n) {
    const auto data = random(n);
    speaker::Sha256Digest want{};
    unsigned len = 0;
    REQUIRE(EVP_Digest(data.data(), data.size(), want.data(), &len, EVP_sha256(), nullptr) == 1);
    CHECK(speaker::sha256(data) == want);
    for (std::size_t split = 0; split <= n; split += 7) {
      speaker::Sha256 h;
      h.update(std::span(data).first(split));
      h.update(std::span(data).subspan(split));
      CHECK(h.finish() == want);
    }
    const auto key = random(n % 150);
    static constexpr std::uint8_t kDummy = 0;  // OpenSSL wants a non-null key even when empty
    speaker::Sha256Digest want_mac{};
    REQUIRE(HMAC(EVP_sha256(), key.empty() ? &kDummy : key.data(), static_cast<int>(key.size()),
                 data.data(), data.size(), want_mac.data(), &len) != nullptr);
    CHECK(speaker::hmacSha256(key, data) == want_mac);
  }
}

TEST_CASE("constantTimeEqual") {
  const auto a = hex("00 01 02 03");
  CHECK(speaker::constantTimeEqual(a, hex("00 01 02 03")));
  CHECK_FALSE(speaker::constantTimeEqual(a, hex("00 01 02 04")));
  CHECK_FALSE(speaker::constantTimeEqual(a, hex("80 01 02 03")));
  CHECK_FALSE(speaker::constantTimeEqual(a, hex("00 01 02")));
  CHECK(speaker::constantTimeEqual({}, {}));
}
