// Scratch files for tests that touch the file system.
#pragma once

#include <cstdlib>  // mkdtemp
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "l1net/testing/doctest.hpp"

namespace l1net::testing {

// A fresh directory under temp_directory_path(), removed with everything in it when the object
// goes. Construction fails the test (REQUIRE) when the directory cannot be created.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "l1net-test-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  // `rel` inside the directory, as a string; the file need not exist.
  [[nodiscard]] std::string file(const std::string& rel) const { return (path_ / rel).string(); }

  // Writes `text` to `rel` (replacing it; missing parent directories are created) and returns
  // file(rel).
  std::string write(const std::string& rel, const std::string& text) const {
    const auto target = path_ / rel;
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary | std::ios::trunc) << text;
    return target.string();
  }

 private:
  std::filesystem::path path_;
};

// The whole content of `path`; "" when it cannot be read.
inline std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace l1net::testing
