// libFuzzer target: decodeMeshMessage on arbitrary datagrams, with and without a key, never reads
// out of bounds; what decodes re-encodes and decodes again to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "l1net/speaker/mesh_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sp = l1net::speaker;
  const std::span<const std::uint8_t> in(data, size);
  static const sp::MeshKey kInsecure{};
  static const sp::MeshKey kKey = [] {
    const std::vector<std::uint8_t> secret(32, 0x5a);
    return sp::parseMeshKey(secret).value();
  }();
  for (const sp::MeshKey* key : {&kInsecure, &kKey}) {
    const auto got = sp::decodeMeshMessage(in, *key);
    if (!got) {
      (void)sp::meshDropName(sp::meshDropOf(got.error()));
      continue;
    }
    const auto again = sp::encodeMeshMessage(*got, *key);
    if (!again) {
      std::abort();  // a message we accepted must be one we can send
    }
    if (!sp::decodeMeshMessage(*again, *key)) {
      std::abort();
    }
  }
  return 0;
}
