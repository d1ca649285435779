// libyaml events -> one YamlTree per document.
#include "l1net/manifest/yaml_stream.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <yaml.h>

namespace l1net::manifest {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view text) {
    yaml_parser_initialize(&p_);
    // libyaml reads the bytes in place; it never writes through the pointer.
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libyaml takes unsigned bytes
    yaml_parser_set_input_string(&p_, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
  }
  ~Parser() { yaml_parser_delete(&p_); }
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;
  Parser(Parser&&) = delete;
  Parser& operator=(Parser&&) = delete;

  yaml_parser_t* get() { return &p_; }

 private:
  yaml_parser_t p_{};
};

class Event {
 public:
  Event() = default;
  ~Event() {
    if (filled_) {
      yaml_event_delete(&e_);
    }
  }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&&) = delete;
  Event& operator=(Event&&) = delete;

  // Reads the next event; false on a parse error.
  bool next(yaml_parser_t* parser) {
    if (filled_) {
      yaml_event_delete(&e_);
      filled_ = false;
    }
    filled_ = yaml_parser_parse(parser, &e_) != 0;
    return filled_;
  }
  const yaml_event_t& operator*() const { return e_; }
  const yaml_event_t* operator->() const { return &e_; }

 private:
  yaml_event_t e_{};
  bool filled_ = false;
};

// libyaml's UTF-8 bytes as text: a NUL-terminated string (anchors), or `length` bytes (scalars).
std::string_view chars(const yaml_char_t* s) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libyaml's UTF-8 bytes
  return s == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(s));
}
std::string_view chars(const yaml_char_t* s, std::size_t length) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libyaml's UTF-8 bytes
  return {reinterpret_cast<const char*>(s), length};
}

// yaml-cpp's reading: an empty node is null whatever its tag; "~" and "null" spelled plain only
// when untagged.
bool isNullScalar(const yaml_event_t& e) {
  const auto& s = e.data.scalar;
  if (s.style != YAML_PLAIN_SCALAR_STYLE) {
    return false;
  }
  const std::string_view v = chars(s.value, s.length);
  return v.empty() || (s.tag == nullptr && (v == "~" || v == "null" || v == "Null" || v == "NULL"));
}

int lineOf(const yaml_mark_t& mark) {
  return mark.line >= static_cast<std::size_t>(std::numeric_limits<int>::max())
             ? 0
             : static_cast<int>(mark.line) + 1;
}

// 1-based line of a byte offset (reader errors carry an offset, not a mark).
int lineAtOffset(std::string_view text, std::size_t offset) {
  const auto end = text.begin() + static_cast<std::ptrdiff_t>(std::min(offset, text.size()));
  return 1 + static_cast<int>(std::count(text.begin(), end, '\n'));
}

YamlStreamError parserError(const yaml_parser_t& p, std::string_view text) {
  YamlStreamError out;
  if (p.error == YAML_MEMORY_ERROR) {
    out.message = "out of memory";
    return out;
  }
  if (p.error == YAML_READER_ERROR) {
    out.line = lineAtOffset(text, p.problem_offset);
    out.message = std::string(p.problem != nullptr ? p.problem : "cannot read the text");
    return out;
  }
  out.line = lineOf(p.problem_mark);
  if (p.context != nullptr) {
    out.message = std::string(p.context) + ", ";
  }
  out.message += p.problem != nullptr ? p.problem : "syntax error";
  return out;
}

// Builds one document's tree from its events.
class Builder {
 public:
  explicit Builder(int max_depth) : max_depth_(max_depth) {}

  void reset() {
    tree_.nodes.clear();
    tree_.children.clear();
    tree_.text.clear();
    anchors_.clear();
    open_.clear();
    pending_.clear();
    root_.reset();
  }
  [[nodiscard]] std::optional<YamlTreeNode> root() const {
    if (!root_) {
      return std::nullopt;
    }
    return YamlTreeNode(tree_, *root_);
  }

  // Adds one node event; returns the error that ends the stream (an undefined alias, nesting past
  // max_depth, a document over 4 GiB of text), or nullopt.
  std::optional<YamlStreamError> add(const yaml_event_t& e) {
    switch (e.type) {
      case YAML_SCALAR_EVENT: {
        YamlTree::Node n{isNullScalar(e) ? YamlTree::Kind::kNull : YamlTree::Kind::kScalar,
                         lineOf(e.start_mark), 0, 0};
        if (n.kind == YamlTree::Kind::kScalar) {
          if (tree_.text.size() + e.data.scalar.length >
              std::numeric_limits<std::uint32_t>::max()) {
            return YamlStreamError{lineOf(e.start_mark), "document too large", false};
          }
          n.first = static_cast<std::uint32_t>(tree_.text.size());
          n.size = static_cast<std::uint32_t>(e.data.scalar.length);
          tree_.text.append(chars(e.data.scalar.value, e.data.scalar.length));
        }
        const auto index = push(n);
        anchor(chars(e.data.scalar.anchor), index);
        attach(index);
        return std::nullopt;
      }
      case YAML_ALIAS_EVENT: {
        const auto found = anchors_.find(std::string(chars(e.data.alias.anchor)));
        if (found == anchors_.end()) {
          return YamlStreamError{
              lineOf(e.start_mark),
              "found undefined alias *" + std::string(chars(e.data.alias.anchor)), false};
        }
        attach(found->second);
        return std::nullopt;
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        if (static_cast<int>(open_.size()) >= max_depth_) {
          return YamlStreamError{lineOf(e.start_mark), "", true};
        }
        const bool seq = e.type == YAML_SEQUENCE_START_EVENT;
        const auto index =
            push({seq ? YamlTree::Kind::kSeq : YamlTree::Kind::kMap, lineOf(e.start_mark), 0, 0});
        open_.push_back(Open{
            index, pending_.size(),
            std::string(chars(seq ? e.data.sequence_start.anchor : e.data.mapping_start.anchor))});
        return std::nullopt;
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        auto done = std::move(open_.back());
        open_.pop_back();
        auto& n = tree_.nodes[done.index];
        n.first = static_cast<std::uint32_t>(tree_.children.size());
        n.size = static_cast<std::uint32_t>(pending_.size() - done.pending_from);
        tree_.children.insert(tree_.children.end(),
                              pending_.begin() + static_cast<std::ptrdiff_t>(done.pending_from),
                              pending_.end());
        pending_.resize(done.pending_from);
        anchor(done.anchor, done.index);
        attach(done.index);
        return std::nullopt;
      }
      default:
        return std::nullopt;
    }
  }

 private:
  struct Open {
    std::uint32_t index;
    std::size_t pending_from;  // this collection's children start here in pending_
    std::string anchor;
  };

  std::uint32_t push(const YamlTree::Node& n) {
    tree_.nodes.push_back(n);
    return static_cast<std::uint32_t>(tree_.nodes.size() - 1);
  }
  void anchor(std::string_view name, std::uint32_t index) {
    if (!name.empty()) {
      anchors_[std::string(name)] = index;
    }
  }
  void attach(std::uint32_t index) {
    if (open_.empty()) {
      root_ = index;
    } else {
      pending_.push_back(index);
    }
  }

  int max_depth_;
  YamlTree tree_;
  std::unordered_map<std::string, std::uint32_t> anchors_;
  std::vector<Open> open_;
  std::vector<std::uint32_t> pending_;  // children of the open collections, innermost last
  std::optional<std::uint32_t> root_;
};

}  // namespace

std::optional<YamlStreamError> parseYamlStream(
    std::string_view text, int max_depth,
    const std::function<void(const YamlTreeNode& root)>& on_document) {
  Parser parser(text);
  Builder builder(max_depth);
  Event event;
  while (true) {
    if (!event.next(parser.get())) {
      return parserError(*parser.get(), text);
    }
    switch (event->type) {
      case YAML_STREAM_END_EVENT:
        return std::nullopt;
      case YAML_DOCUMENT_START_EVENT:
        builder.reset();
        break;
      case YAML_DOCUMENT_END_EVENT:
        if (const auto root = builder.root()) {
          on_document(*root);
        }
        builder.reset();
        break;
      default:
        if (auto error = builder.add(*event)) {
          return error;
        }
    }
  }
}

}  // namespace l1net::manifest
