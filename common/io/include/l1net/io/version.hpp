// `--version` for every l1net executable: prints "<name> <version>" and exits 0 (CLI contract).
// L1NET_VERSION comes from the project version; l1net_add_executable defines it for main.cpp.
#pragma once

#include <iostream>
#include <string_view>

#ifndef L1NET_VERSION
#error "L1NET_VERSION is defined by l1net_add_executable (cmake/L1net.cmake)"
#endif

namespace l1net::io {

// True when argv holds --version; the caller then exits 0.
inline bool printVersionIfAsked(int argc, const char* const* argv, std::string_view name) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--version") {
      std::cout << name << " " << L1NET_VERSION << "\n";
      return true;
    }
  }
  return false;
}

}  // namespace l1net::io
