// SHA-256 and HMAC-SHA256 (RFC 2104): what the ranking (sha256(node + "#" + ip)) and the mesh MAC
// need. The hash is OpenSSL's, through its low-level SHA256_* interface: OpenSSL 3's EVP and
// HMAC() load and initialise the default provider on first use, which maps ~2 MiB of libcrypto
// into the speaker's resident set for two hashes of a few dozen bytes at a time. HMAC is RFC
// 2104's construction over that hash; constantTimeEqual is OpenSSL's CRYPTO_memcmp.
// Checked against the FIPS 180 and RFC 4231 vectors and against EVP and HMAC() on random inputs
// (tests/speaker/core/sha256_test.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include <openssl/sha.h>

namespace l1net::speaker {

using Sha256Digest = std::array<std::uint8_t, 32>;

class Sha256 {
 public:
  static constexpr std::size_t kBlockSize = 64;

  Sha256() noexcept;
  void update(std::span<const std::uint8_t> data) noexcept;
  void update(std::string_view data) noexcept;
  [[nodiscard]] Sha256Digest finish() noexcept;  // the object is spent afterwards

 private:
  SHA256_CTX ctx_{};
};

[[nodiscard]] Sha256Digest sha256(std::span<const std::uint8_t> data) noexcept;

// HMAC-SHA256 of data under key (any length, empty included).
[[nodiscard]] Sha256Digest hmacSha256(std::span<const std::uint8_t> key,
                                      std::span<const std::uint8_t> data) noexcept;

// a == b in time that depends only on the sizes (MAC comparison).
[[nodiscard]] bool constantTimeEqual(std::span<const std::uint8_t> a,
                                     std::span<const std::uint8_t> b) noexcept;

}  // namespace l1net::speaker
