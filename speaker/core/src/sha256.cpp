// OpenSSL's SHA-256 through its low-level interface, which OpenSSL 3 deprecates in favour of EVP
// (see sha256.hpp for why not EVP); the deprecation is silenced here only.
#define OPENSSL_SUPPRESS_DEPRECATED  // NOLINT(cppcoreguidelines-macro-usage): before any OpenSSL
                                     // header
#include "l1net/speaker/sha256.hpp"

#include <algorithm>

#include <openssl/crypto.h>

namespace l1net::speaker {

Sha256::Sha256() noexcept { SHA256_Init(&ctx_); }

void Sha256::update(std::span<const std::uint8_t> data) noexcept {
  SHA256_Update(&ctx_, data.data(), data.size());
}

void Sha256::update(std::string_view data) noexcept {
  SHA256_Update(&ctx_, data.data(), data.size());
}

Sha256Digest Sha256::finish() noexcept {
  Sha256Digest out{};
  SHA256_Final(out.data(), &ctx_);
  return out;
}

Sha256Digest sha256(std::span<const std::uint8_t> data) noexcept {
  Sha256 h;
  h.update(data);
  return h.finish();
}

Sha256Digest hmacSha256(std::span<const std::uint8_t> key,
                        std::span<const std::uint8_t> data) noexcept {
  std::array<std::uint8_t, Sha256::kBlockSize> block{};
  if (key.size() > block.size()) {
    const auto k = sha256(key);
    std::copy(k.begin(), k.end(), block.begin());
  } else {
    std::copy(key.begin(), key.end(), block.begin());
  }
  std::array<std::uint8_t, Sha256::kBlockSize> pad{};
  for (std::size_t i = 0; i < pad.size(); ++i) {
    pad[i] = static_cast<std::uint8_t>(block[i] ^ 0x36U);
  }
  Sha256 inner;
  inner.update(pad);
  inner.update(data);
  const auto inner_digest = inner.finish();
  for (std::size_t i = 0; i < pad.size(); ++i) {
    pad[i] = static_cast<std::uint8_t>(block[i] ^ 0x5cU);
  }
  Sha256 outer;
  outer.update(pad);
  outer.update(inner_digest);
  return outer.finish();
}

bool constantTimeEqual(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace l1net::speaker
