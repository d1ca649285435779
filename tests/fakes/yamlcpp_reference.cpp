// The yaml-cpp manifest loader l1net used before libyaml (moved here unchanged): the reference
// the libyaml path is checked against (yaml_differential_test.cpp).
#include "l1net/testing/yamlcpp_reference.hpp"

#include <exception>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "l1net/manifest/validate.hpp"

namespace l1net::testing {
namespace {

using manifest::Diagnostic;
using manifest::kMaxYamlDepth;
using manifest::LoadResult;

// yaml-cpp 0.7's LoadAll loops forever, allocating, when a document starts with a token no node
// can start with (a stray ',', ']' or '}'): the token is never consumed and every pass yields one
// more null document. This first pass over the parser's events finds such a stall (a document
// starting where the previous one started) so that LoadAll only ever sees streams that progress.
class StallDetector final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    stalled_ = started_ && mark.pos == last_.pos;
    started_ = true;
    last_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  [[nodiscard]] bool stalled() const { return stalled_; }
  [[nodiscard]] const YAML::Mark& mark() const { return last_; }

 private:
  bool started_ = false;
  bool stalled_ = false;
  YAML::Mark last_;
};

// Throws YAML::ParserException at the first token where parsing stops making progress.
void checkProgress(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  StallDetector detector;
  while (parser.HandleNextDocument(detector)) {
    if (detector.stalled()) {
      throw YAML::ParserException(detector.mark(), "unexpected character at start of a node");
    }
  }
}

// Whether `line` (with or without its '\n') is a document start marker: "---" followed by the end
// of the line or a blank.
bool isDocumentStart(std::string_view line) {
  return line.starts_with("---") && (line.size() == 3 || line[3] == '\n' || line[3] == ' ' ||
                                     line[3] == '\t' || line[3] == '\r');
}

// Whether a chunk holds only blank lines, comments and directives (so far): a "---" right after
// such lines starts the chunk's first document rather than a new one.
bool onlyPreamble(std::string_view chunk) {
  std::size_t pos = 0;
  while (pos < chunk.size()) {
    const auto eol = chunk.find('\n', pos);
    auto line = chunk.substr(pos, eol == std::string_view::npos ? chunk.npos : eol - pos);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t' || line.front() == '\r')) {
      line.remove_prefix(1);
    }
    if (!line.empty() && line.front() != '#' && line.front() != '%') {
      return false;
    }
    if (eol == std::string_view::npos) {
      break;
    }
    pos = eol + 1;
  }
  return true;
}

// Parses one slice of the file (one document, as split by parseInto) starting at `first_line`
// (0-based). Returns false after a syntax error (reported), which ends the file.
bool parseChunk(std::string_view chunk, int first_line, const std::string& file,
                LoadResult& result) {
  const auto syntax = [&](const YAML::Mark& mark, const std::string& msg) {
    const int line = mark.is_null() || mark.line < 0 ? 0 : mark.line + 1 + first_line;
    result.errors.push_back(Diagnostic{{file, line}, "", "", msg});
  };
  std::vector<YAML::Node> docs;
  try {
    const std::string text(chunk);
    checkProgress(text);
    docs = YAML::LoadAll(text);
  } catch (const YAML::DeepRecursion& e) {
    syntax(e.mark, "YAML nesting deeper than " + std::to_string(kMaxYamlDepth) +
                       " levels (the nesting limit); the file is refused");
    return false;
  } catch (const YAML::Exception& e) {
    syntax(e.mark, "YAML syntax error: " + e.msg);
    return false;
  } catch (const std::exception& e) {
    result.errors.push_back(
        Diagnostic{{file, first_line + 1}, "", "", std::string("cannot parse: ") + e.what()});
    return false;
  }
  for (const auto& doc : docs) {
    manifest::decodeDocument(doc, file, result.set, result.errors, result.warnings, first_line);
  }
  return true;
}

// Bytes of text parsed at once (whole documents; a larger document is parsed alone).
constexpr std::size_t kChunkBytes = std::size_t{16} * 1024;

// Parses every document of one text into result.set; syntax errors go to result.errors.
// Documents are parsed in slices of whole documents of about kChunkBytes, so that only a small
// yaml-cpp node tree is alive: a node tree costs ~50x its text, which for a whole 16 MiB file
// would be close to a gigabyte. (One parse per document would cost a parser set-up per "---":
// 1,000 empty documents in 4 KB took 330 ms under the fuzzer's sanitizers.) A syntax error
// anywhere refuses the whole file as one parse of it would: what its earlier documents added
// (objects, their errors and warnings) is taken back and only the syntax error remains
// (`result` holds this text only).
void parseInto(std::string_view yaml, const std::string& file, LoadResult& result) {
  const auto chunk = [&](std::string_view text, int first_line) {
    const std::size_t errors = result.errors.size();
    if (parseChunk(text, first_line, file, result)) {
      return true;
    }
    auto syntax = std::move(result.errors.at(errors));
    result = LoadResult{};
    result.errors.push_back(std::move(syntax));
    return false;
  };
  std::size_t chunk_start = 0;
  int chunk_line = 0;
  int line = 0;
  std::size_t pos = 0;
  while (pos < yaml.size()) {
    const auto eol = yaml.find('\n', pos);
    const auto next = eol == std::string_view::npos ? yaml.size() : eol + 1;
    if (pos - chunk_start >= kChunkBytes && isDocumentStart(yaml.substr(pos, next - pos)) &&
        !onlyPreamble(yaml.substr(chunk_start, pos - chunk_start))) {
      if (!chunk(yaml.substr(chunk_start, pos - chunk_start), chunk_line)) {
        return;
      }
      chunk_start = pos;
      chunk_line = line;
    }
    ++line;
    pos = next;
  }
  chunk(yaml.substr(chunk_start), chunk_line);
}

}  // namespace

manifest::LoadResult loadManifestTextYamlCpp(std::string_view yaml, const std::string& file) {
  LoadResult result;
  parseInto(yaml, file, result);
  auto errors = manifest::validate(result.set);
  result.errors.insert(result.errors.end(), std::make_move_iterator(errors.begin()),
                       std::make_move_iterator(errors.end()));
  return result;
}

}  // namespace l1net::testing
