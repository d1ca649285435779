// File-mode manifest loading: multi-document YAML (and `kind: List`) decoded into the typed object
// model of objects.hpp, then validated as MetalLB's webhook does (validate.hpp).
//
// Contract: nothing here throws on bad input and no input crashes (the decoder is fuzzed); every
// problem becomes a Diagnostic naming file, 1-based line and field path. An object with a decoding
// error is left out of the set; unknown kinds produce one warning per kind and are skipped.
// Lenient where Kubernetes' own YAML is lenient: string fields take any scalar, booleans take YAML
// 1.1 forms (yes/no/on/off), null means "absent", unknown fields are ignored.
// Pure: bytes in, objects and diagnostics out. Reading files (expanding --manifests paths, the
// size limit, the file-system errors) is l1net::io's job (l1net/io/manifest_files.hpp), which
// reads each file once and hands the bytes here.
#pragma once

#include <cstddef>
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

class YamlTreeNode;  // doc_node.hpp

struct LoadResult {
  ManifestSet set;
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;

  [[nodiscard]] bool ok() const { return errors.empty(); }
};

// Default per-file size limit (--max-manifest-bytes).
inline constexpr std::size_t kDefaultMaxManifestBytes = std::size_t{16} * 1024 * 1024;

struct LoadOptions {
  // A file larger than this is an error naming it (nothing of it is loaded); so is a path that is
  // not a regular file (/dev/zero, a FIFO), which could otherwise be read forever.
  std::size_t max_file_bytes = kDefaultMaxManifestBytes;
};

// Parses one multi-document YAML text (file = name used in diagnostics), then validates.
// Parsing is libyaml's (yaml_stream.hpp), linear in the text; only one document's tree is alive at
// once. Nesting deeper than kMaxYamlDepth is an error saying so. A syntax error refuses the file.
[[nodiscard]] LoadResult loadManifestText(std::string_view yaml, const std::string& file);

// The nesting limit: collections nested deeper than this are refused. yaml-cpp's DepthGuard (2000
// guard levels, about four per collection) refused 499 nested collections; the limit keeps that.
inline constexpr int kMaxYamlDepth = 498;

// One manifest file as io read it: its name (as the user gave it; used in diagnostics) and its
// bytes, or why it could not be read (read_error non-empty; text is then ignored).
struct ManifestFile {
  std::string name;
  std::string text;
  std::string read_error;
  friend bool operator==(const ManifestFile&, const ManifestFile&) = default;
};

// Decodes every file's documents in order and validates the union. `errors` are problems found
// before reading (e.g. a missing path); they come first. An unreadable file is one error naming
// it (line 0) and contributes no objects.
[[nodiscard]] LoadResult loadManifestFiles(const std::vector<ManifestFile>& files,
                                           std::vector<Diagnostic> errors = {});

// Decodes one already-parsed document (a single object, or a List / <Kind>List with items) into
// set. Errors and warnings are appended; an unknown kind is warned about only if warnings holds no
// warning for it yet. decodeTreeDocument is the file path (libyaml). decodeDocument takes a
// yaml-cpp node, the reference the libyaml path is checked against; `line_offset` is added to
// every line (the document was parsed from a slice of the file).
void decodeTreeDocument(const YamlTreeNode& doc, const std::string& file, ManifestSet& set,
                        std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings);
void decodeDocument(const YAML::Node& doc, const std::string& file, ManifestSet& set,
                    std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings,
                    int line_offset = 0);

}  // namespace l1net::manifest
