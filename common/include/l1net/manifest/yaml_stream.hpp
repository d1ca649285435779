// Multi-document YAML parsing with libyaml (the reference C parser): events are built into one
// YamlTree per document (doc_node.hpp), handed over as soon as the document ends, then dropped, so
// only one document's tree is alive at a time. Linear in the text. Pure: bytes in, trees out.
//
// Scalars follow yaml-cpp's reading, which the decoder was written against: an empty plain scalar
// is null, and so is an untagged plain "~", "null", "Null" or "NULL"; every other scalar is its
// text, whatever its tag. Anchors and aliases work; an alias of an anchor that is not complete yet
// (inside its own node) is an error, so a tree never has a cycle. Merge keys ("<<") are ordinary
// keys.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "l1net/manifest/doc_node.hpp"

namespace l1net::manifest {

struct YamlStreamError {
  int line = 0;  // 1-based; 0 when unknown
  std::string message;
  bool too_deep = false;  // nesting beyond max_depth (message names the limit)
};

// Calls on_document(root) for each document of `text`, in order. Stops at the first syntax error
// and returns it; documents before it were already handed over. Collections nested deeper than
// max_depth are an error (too_deep).
[[nodiscard]] std::optional<YamlStreamError> parseYamlStream(
    std::string_view text, int max_depth,
    const std::function<void(const YamlTreeNode& root)>& on_document);

}  // namespace l1net::manifest
