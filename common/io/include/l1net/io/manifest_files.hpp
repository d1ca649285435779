// Reading manifest files for file mode: --manifests paths expanded to files, each file read once
// within the size limit, then handed as bytes to the pure loader (manifest::loadManifestFiles).
// Everything that touches the file system for manifests lives here, not in l1net::manifest.
#pragma once

#include <string>
#include <vector>

#include "l1net/manifest/diagnostic.hpp"
#include "l1net/manifest/load.hpp"

namespace l1net::io {

// The inputs of one load: expansion errors, then every file's bytes (or read error) in order.
// Two reads compare equal exactly when a load of them gives the same result.
struct ManifestRead {
  std::vector<manifest::Diagnostic> expand_errors;
  std::vector<manifest::ManifestFile> files;
  friend bool operator==(const ManifestRead& a, const ManifestRead& b);
};

// A directory stands for its *.yaml / *.yml regular files (not recursive, dot files skipped) in
// byte order of their names; a file stands for itself whatever its name; a missing path is an
// error. Order of the arguments is kept.
[[nodiscard]] std::vector<std::string> expandManifestPaths(
    const std::vector<std::string>& paths, std::vector<manifest::Diagnostic>& errors);

// Reads one manifest file within opts.max_file_bytes; on failure returns false and sets `error` to
// the reason ("not a regular file ...", "N bytes, over the limit ..."). Never reads more than
// limit + 1 bytes (the file may grow while it is read; /dev/zero is refused before reading).
[[nodiscard]] bool readManifestFile(const std::string& file, const manifest::LoadOptions& opts,
                                    std::string& text, std::string& error);

// Expands `paths` and reads every file once.
[[nodiscard]] ManifestRead readManifests(const std::vector<std::string>& paths,
                                         const manifest::LoadOptions& opts = {});

// readManifests, then manifest::loadManifestFiles: every file read once, decoded and validated.
[[nodiscard]] manifest::LoadResult loadManifestPaths(const std::vector<std::string>& paths,
                                                     const manifest::LoadOptions& opts = {});

}  // namespace l1net::io
