// The small node interface the manifest decoder reads documents through, so that one decoder
// serves YAML manifests (libyaml, via yaml_stream.hpp; yaml-cpp for the reference path) and API
// objects (Boost.JSON) alike. Read-only views; a node
// never outlives the document it points into. Pure; no I/O.
//
// Interface (what decode.cpp's Decoder<N> uses):
//   isNull()    absent or null            isMap() / isSeq() / isScalar()
//   scalar()    text of a scalar (JSON numbers and booleans as their JSON text)
//   line()      1-based source line, 0 when unknown (always 0 for JSON)
//   get(key)    mapping member, nullopt when absent, null, or this is no mapping
//   forEachItem(f(N))  forEachMember(f(N key, N value))
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>
#include <yaml-cpp/yaml.h>

namespace l1net::manifest {

class YamlNode {
 public:
  explicit YamlNode(YAML::Node n) : n_(std::move(n)) {}

  [[nodiscard]] bool isNull() const { return !n_.IsDefined() || n_.IsNull(); }
  [[nodiscard]] bool isMap() const { return n_.IsMap(); }
  [[nodiscard]] bool isSeq() const { return n_.IsSequence(); }
  [[nodiscard]] bool isScalar() const { return n_.IsScalar(); }
  [[nodiscard]] const std::string& scalar() const { return n_.Scalar(); }
  // Mark() throws on invalid nodes, IsDefined() does not.
  [[nodiscard]] int line() const {
    if (!n_.IsDefined()) {
      return 0;
    }
    const auto mark = n_.Mark();
    return mark.line < 0 ? 0 : mark.line + 1;
  }
  [[nodiscard]] std::optional<YamlNode> get(std::string_view key) const {
    if (!n_.IsMap()) {
      return std::nullopt;
    }
    for (const auto& kv : n_) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) {
        if (!kv.second.IsDefined() || kv.second.IsNull()) {
          return std::nullopt;
        }
        return YamlNode(kv.second);
      }
    }
    return std::nullopt;
  }
  template <class F>
  void forEachItem(F&& f) const {
    for (const auto& item : n_) {
      f(YamlNode(item));
    }
  }
  template <class F>
  void forEachMember(F&& f) const {
    for (const auto& kv : n_) {
      f(YamlNode(kv.first), YamlNode(kv.second));
    }
  }

 private:
  YAML::Node n_;
};

// One YAML document as libyaml parsed it (yaml_stream.hpp), held as an arena: 16 bytes per node
// plus the scalars' text. An alias is its anchor's node index, so aliases cost nothing and the
// document is a DAG, never a cycle (an anchor is usable only once its node is complete).
struct YamlTree {
  enum class Kind : std::uint8_t { kNull, kScalar, kMap, kSeq };
  struct Node {
    Kind kind = Kind::kNull;
    std::int32_t line = 0;    // 1-based
    std::uint32_t first = 0;  // scalar: offset in text; map/seq: offset in children
    std::uint32_t size = 0;   // scalar: bytes; seq: items; map: 2 x members (key, value, ...)
  };
  std::vector<Node> nodes;
  std::vector<std::uint32_t> children;
  std::string text;
};

class YamlTreeNode {
 public:
  YamlTreeNode(const YamlTree& tree, std::uint32_t index) : t_(&tree), i_(index) {}

  [[nodiscard]] bool isNull() const { return node().kind == YamlTree::Kind::kNull; }
  [[nodiscard]] bool isMap() const { return node().kind == YamlTree::Kind::kMap; }
  [[nodiscard]] bool isSeq() const { return node().kind == YamlTree::Kind::kSeq; }
  [[nodiscard]] bool isScalar() const { return node().kind == YamlTree::Kind::kScalar; }
  [[nodiscard]] std::string scalar() const { return std::string(view()); }
  [[nodiscard]] int line() const { return node().line; }
  [[nodiscard]] std::optional<YamlTreeNode> get(std::string_view key) const {
    if (!isMap()) {
      return std::nullopt;
    }
    for (std::uint32_t k = 0; k < node().size; k += 2) {
      const YamlTreeNode name = child(k);
      if (name.isScalar() && name.view() == key) {
        const YamlTreeNode value = child(k + 1);
        return value.isNull() ? std::nullopt : std::optional(value);
      }
    }
    return std::nullopt;
  }
  template <class F>
  void forEachItem(F&& f) const {
    if (isSeq()) {
      for (std::uint32_t k = 0; k < node().size; ++k) {
        f(child(k));
      }
    }
  }
  template <class F>
  void forEachMember(F&& f) const {
    if (isMap()) {
      for (std::uint32_t k = 0; k < node().size; k += 2) {
        f(child(k), child(k + 1));
      }
    }
  }

 private:
  [[nodiscard]] const YamlTree::Node& node() const { return t_->nodes[i_]; }
  [[nodiscard]] YamlTreeNode child(std::uint32_t k) const {
    return {*t_, t_->children[node().first + k]};
  }
  [[nodiscard]] std::string_view view() const {
    if (!isScalar()) {
      return {};
    }
    return std::string_view(t_->text).substr(node().first, node().size);
  }
  const YamlTree* t_;
  std::uint32_t i_;
};

// A view of a boost::json::value, or of an object key (keys are string scalars).
class JsonNode {
 public:
  explicit JsonNode(const boost::json::value* v) : v_(v) {}

  [[nodiscard]] bool isNull() const { return v_ == nullptr ? false : v_->is_null(); }
  [[nodiscard]] bool isMap() const { return v_ != nullptr && v_->is_object(); }
  [[nodiscard]] bool isSeq() const { return v_ != nullptr && v_->is_array(); }
  [[nodiscard]] bool isScalar() const {
    return v_ == nullptr || v_->is_string() || v_->is_number() || v_->is_bool();
  }
  [[nodiscard]] std::string scalar() const;
  [[nodiscard]] static int line() { return 0; }
  [[nodiscard]] std::optional<JsonNode> get(std::string_view key) const {
    if (!isMap()) {
      return std::nullopt;
    }
    const auto* found = v_->get_object().if_contains(key);
    if (found == nullptr || found->is_null()) {
      return std::nullopt;
    }
    return JsonNode(found);
  }
  template <class F>
  void forEachItem(F&& f) const {
    for (const auto& item : v_->get_array()) {
      f(JsonNode(&item));
    }
  }
  template <class F>
  void forEachMember(F&& f) const {
    for (const auto& kv : v_->get_object()) {
      f(JsonNode(kv.key()), JsonNode(&kv.value()));
    }
  }

 private:
  explicit JsonNode(std::string_view key) : key_(key) {}
  const boost::json::value* v_ = nullptr;  // nullptr: this node is an object key
  std::string_view key_;
};

}  // namespace l1net::manifest
