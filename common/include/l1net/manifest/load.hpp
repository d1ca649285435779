// File-mode manifest loading: multi-document YAML (and `kind: List`) decoded into the typed object
// model of objects.hpp, then validated as MetalLB's webhook does (validate.hpp).
//
// Contract: nothing here throws on bad input and no input crashes (the decoder is fuzzed); every
// problem becomes a Diagnostic naming file, 1-based line and field path. An object with a decoding
// error is left out of the set; unknown kinds produce one warning per kind and are skipped.
// Lenient where Kubernetes' own YAML is lenient: string fields take any scalar, booleans take YAML
// 1.1 forms (yes/no/on/off), null means "absent", unknown fields are ignored.
// Pure apart from loadManifestPaths/expandManifestPaths, which read the file system.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "l1net/manifest/diagnostic.hpp"
#include "l1net/manifest/objects.hpp"

// NOLINTNEXTLINE(readability-identifier-naming): yaml-cpp's namespace, forward-declared
namespace YAML {
class Node;
}  // namespace YAML

namespace l1net::manifest {

struct LoadResult {
  ManifestSet set;
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;

  [[nodiscard]] bool ok() const { return errors.empty(); }
};

// Parses one multi-document YAML text (file = name used in diagnostics), then validates.
[[nodiscard]] LoadResult loadManifestText(std::string_view yaml, const std::string& file);

// Expands paths, reads every file, decodes all documents and validates the union.
[[nodiscard]] LoadResult loadManifestPaths(const std::vector<std::string>& paths);

// A directory stands for its *.yaml / *.yml regular files (not recursive, dot files skipped) in
// byte order of their names; a file stands for itself whatever its name; a missing path is an
// error. Order of the arguments is kept.
[[nodiscard]] std::vector<std::string> expandManifestPaths(const std::vector<std::string>& paths,
                                                           std::vector<Diagnostic>& errors);

// Decodes one already-parsed document (a single object, or a List / <Kind>List with items) into
// set. Kubernetes mode feeds API JSON parsed by yaml-cpp through this. Errors and warnings are
// appended; an unknown kind is warned about only if warnings holds no warning for it yet.
void decodeDocument(const YAML::Node& doc, const std::string& file, ManifestSet& set,
                    std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings);

}  // namespace l1net::manifest
