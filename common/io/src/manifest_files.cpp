#include "l1net/io/manifest_files.hpp"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

namespace l1net::io {
namespace {

namespace fs = std::filesystem;

bool isManifestName(const fs::path& name) {
  const auto s = name.string();
  const auto ext = name.extension().string();
  return !s.empty() && s.front() != '.' && (ext == ".yaml" || ext == ".yml");
}

}  // namespace

bool operator==(const ManifestRead& a, const ManifestRead& b) {
  return a.files == b.files &&
         std::equal(a.expand_errors.begin(), a.expand_errors.end(), b.expand_errors.begin(),
                    b.expand_errors.end(),
                    [](const auto& x, const auto& y) { return x.format() == y.format(); });
}

std::vector<std::string> expandManifestPaths(const std::vector<std::string>& paths,
                                             std::vector<manifest::Diagnostic>& errors) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    const auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      errors.push_back(manifest::Diagnostic{{p, 0}, "", "", "no such file or directory"});
      continue;
    }
    if (!fs::is_directory(st)) {
      out.push_back(p);
      continue;
    }
    std::vector<std::string> names;
    fs::directory_iterator it(p, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const auto name = it->path().filename();
      std::error_code st_ec;
      if (isManifestName(name) && fs::is_regular_file(it->status(st_ec)) && !st_ec) {
        names.push_back(name.string());
      }
    }
    if (ec) {
      errors.push_back(
          manifest::Diagnostic{{p, 0}, "", "", "cannot list directory: " + ec.message()});
      continue;
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      out.push_back((fs::path(p) / n).string());
    }
  }
  return out;
}

bool readManifestFile(const std::string& file, const manifest::LoadOptions& opts, std::string& text,
                      std::string& error) {
  text.clear();
  std::error_code ec;
  const auto st = fs::status(file, ec);
  if (ec) {
    error = "cannot read file: " + ec.message();
    return false;
  }
  if (!fs::is_regular_file(st)) {
    const char* what = fs::is_character_file(st) ? "a character device"
                       : fs::is_block_file(st)   ? "a block device"
                       : fs::is_fifo(st)         ? "a FIFO"
                       : fs::is_socket(st)       ? "a socket"
                       : fs::is_directory(st)    ? "a directory"
                                                 : "not a regular file";
    error = std::string("not a regular file (") + what + "); manifests must be regular files";
    return false;
  }
  const auto limit_text = [&] {
    return "over the limit of " + std::to_string(opts.max_file_bytes) +
           " bytes per manifest file (raise it with --max-manifest-bytes)";
  };
  const auto size = fs::file_size(file, ec);
  if (!ec && size > opts.max_file_bytes) {
    error = "file is " + std::to_string(size) + " bytes, " + limit_text();
    return false;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    error = "cannot read file";
    return false;
  }
  // Read at most limit + 1 bytes: the file may grow while it is read.
  text.resize(std::min<std::uintmax_t>(ec ? 0 : size, opts.max_file_bytes) + 1);
  std::size_t got = 0;
  for (;;) {
    in.read(text.data() + got, static_cast<std::streamsize>(text.size() - got));
    got += static_cast<std::size_t>(in.gcount());
    if (!in || got > opts.max_file_bytes) {
      break;
    }
    if (got == text.size()) {
      text.resize(std::min(text.size() * 2, opts.max_file_bytes + 1));
    }
  }
  if (in.bad()) {
    error = "cannot read file";
    return false;
  }
  if (got > opts.max_file_bytes) {
    error =
        "file is larger than " + std::to_string(opts.max_file_bytes) + " bytes, " + limit_text();
    text.clear();
    return false;
  }
  text.resize(got);
  return true;
}

ManifestRead readManifests(const std::vector<std::string>& paths,
                           const manifest::LoadOptions& opts) {
  ManifestRead read;
  for (auto& name : expandManifestPaths(paths, read.expand_errors)) {
    manifest::ManifestFile f;
    f.name = std::move(name);
    if (!readManifestFile(f.name, opts, f.text, f.read_error)) {
      f.text.clear();
    }
    read.files.push_back(std::move(f));
  }
  return read;
}

manifest::LoadResult loadManifestPaths(const std::vector<std::string>& paths,
                                       const manifest::LoadOptions& opts) {
  auto read = readManifests(paths, opts);
  return manifest::loadManifestFiles(read.files, std::move(read.expand_errors));
}

}  // namespace l1net::io
