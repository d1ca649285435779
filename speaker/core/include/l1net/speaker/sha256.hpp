// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), self-contained: what the ranking
// (sha256(node + "#" + ip)) and the mesh MAC need, without OpenSSL. OpenSSL 3's EVP and HMAC()
// load and initialise its default provider on first use, which maps ~2 MiB of libcrypto into the
// speaker's resident set for two hashes it computes on a few dozen bytes at a time.
//
// Contract: pure; no secret-dependent branches or table indices (SHA-256 has none), and
// constantTimeEqual's running time depends only on the length. Checked against the FIPS 180 and
// RFC 4231 vectors and against OpenSSL on random inputs (tests/speaker/core/sha256_test.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

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
  void compress(const std::uint8_t* block) noexcept;

  std::array<std::uint32_t, 8> state_{};
  std::array<std::uint8_t, kBlockSize> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed so far
};

[[nodiscard]] Sha256Digest sha256(std::span<const std::uint8_t> data) noexcept;

// HMAC-SHA256 of data under key (any length, empty included).
[[nodiscard]] Sha256Digest hmacSha256(std::span<const std::uint8_t> key,
                                      std::span<const std::uint8_t> data) noexcept;

// a == b in time that depends only on the sizes (MAC comparison).
[[nodiscard]] bool constantTimeEqual(std::span<const std::uint8_t> a,
                                     std::span<const std::uint8_t> b) noexcept;

}  // namespace l1net::speaker
