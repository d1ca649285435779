// Manifest loading from bytes: files -> YAML documents (libyaml) -> decodeTreeDocument -> validate.
#include "l1net/manifest/load.hpp"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "l1net/manifest/validate.hpp"
#include "l1net/manifest/yaml_stream.hpp"

namespace l1net::manifest {
namespace {

// How much of a LoadResult existed before one file was parsed, to take the file back out.
struct Mark {
  std::size_t namespaces, services, nodes, endpoint_slices, ingresses, pools, l2, pods, errors,
      warnings;

  explicit Mark(const LoadResult& r)
      : namespaces(r.set.namespaces.size()),
        services(r.set.services.size()),
        nodes(r.set.nodes.size()),
        endpoint_slices(r.set.endpoint_slices.size()),
        ingresses(r.set.ingresses.size()),
        pools(r.set.pools.size()),
        l2(r.set.l2_advertisements.size()),
        pods(r.set.pods.size()),
        errors(r.errors.size()),
        warnings(r.warnings.size()) {}

  void rollBack(LoadResult& r) const {
    const auto cut = [](auto& v, std::size_t n) {
      v.erase(v.begin() + static_cast<std::ptrdiff_t>(n), v.end());
    };
    cut(r.set.namespaces, namespaces);
    cut(r.set.services, services);
    cut(r.set.nodes, nodes);
    cut(r.set.endpoint_slices, endpoint_slices);
    cut(r.set.ingresses, ingresses);
    cut(r.set.pools, pools);
    cut(r.set.l2_advertisements, l2);
    cut(r.set.pods, pods);
    cut(r.errors, errors);
    cut(r.warnings, warnings);
  }
};

// Parses every document of one text into result.set (libyaml; one document's tree alive at a
// time). A syntax error anywhere refuses the whole file: what its earlier documents added
// (objects, their errors and warnings) is taken back and only the syntax error remains.
void parseInto(std::string_view yaml, const std::string& file, LoadResult& result) {
  const Mark before(result);
  const auto error = parseYamlStream(yaml, kMaxYamlDepth, [&](const YamlTreeNode& doc) {
    decodeTreeDocument(doc, file, result.set, result.errors, result.warnings);
  });
  if (!error) {
    return;
  }
  before.rollBack(result);
  result.errors.push_back(
      Diagnostic{{file, error->line},
                 "",
                 "",
                 error->too_deep ? "YAML nesting deeper than " + std::to_string(kMaxYamlDepth) +
                                       " levels (the nesting limit); the file is refused"
                                 : "YAML syntax error: " + error->message});
}

// Gives back the vectors' spare capacity: objects are appended one document at a time, so a
// vector of a large set can hold up to twice what it needs (a Service is ~0.5 KB before its
// strings), and the set lives as long as the daemon uses it.
void shrink(ManifestSet& set) {
  set.namespaces.shrink_to_fit();
  set.services.shrink_to_fit();
  set.nodes.shrink_to_fit();
  set.endpoint_slices.shrink_to_fit();
  set.ingresses.shrink_to_fit();
  set.pools.shrink_to_fit();
  set.l2_advertisements.shrink_to_fit();
  set.pods.shrink_to_fit();
}

void addValidation(LoadResult& result) {
  auto errors = validate(result.set);
  result.errors.insert(result.errors.end(), std::make_move_iterator(errors.begin()),
                       std::make_move_iterator(errors.end()));
}

}  // namespace

LoadResult loadManifestText(std::string_view yaml, const std::string& file) {
  LoadResult result;
  parseInto(yaml, file, result);
  shrink(result.set);
  addValidation(result);
  return result;
}

LoadResult loadManifestFiles(const std::vector<ManifestFile>& files,
                             std::vector<Diagnostic> errors) {
  LoadResult result;
  result.errors = std::move(errors);
  for (const auto& f : files) {
    if (!f.read_error.empty()) {
      result.errors.push_back(Diagnostic{{f.name, 0}, "", "", f.read_error});
      continue;
    }
    parseInto(f.text, f.name, result);
  }
  shrink(result.set);
  addValidation(result);
  return result;
}

}  // namespace l1net::manifest
