// libFuzzer target: any bytes through the manifest loader (YAML parse, decode, validate) and, for
// what decodes, the Service emitter. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "l1net/manifest/emit.hpp"
#include "l1net/manifest/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = l1net::manifest::loadManifestText(text, "fuzz.yaml");
  for (const auto& d : result.errors) {
    (void)d.format();
  }
  (void)l1net::manifest::emitServicesYaml(result.set.services);
  return 0;
}
