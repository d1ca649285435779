// loadManifestText as it was with yaml-cpp (16 KiB slices of whole documents, a stall check
// before LoadAll): the reference for the libyaml loader. Tests only.
#pragma once

#include <string>
#include <string_view>

#include "l1net/manifest/load.hpp"

namespace l1net::testing {

[[nodiscard]] manifest::LoadResult loadManifestTextYamlCpp(std::string_view yaml,
                                                           const std::string& file);

}  // namespace l1net::testing
