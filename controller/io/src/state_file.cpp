#include "l1net/controller/io/state_file.hpp"

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "l1net/io/atomic_file.hpp"
#include "l1net/manifest/emit.hpp"
#include "l1net/manifest/load.hpp"

namespace l1net::controller {

StateRead readStateFile(const std::string& path) {
  StateRead out;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) {
    return out;
  }
  auto loaded = manifest::loadManifestPaths({path});
  for (const auto& d : loaded.errors) {
    out.errors.push_back(d.format());
  }
  if (out.errors.empty()) {
    out.services = std::move(loaded.set.services);
  }
  return out;
}

std::string renderState(const std::vector<manifest::Service>& services) {
  return manifest::emitServicesYaml(services);
}

Result<void> writeStateFile(const std::string& path, const std::string& text) {
  return l1net::io::writeFileAtomically(path, text);
}

}  // namespace l1net::controller
