// File-mode loading: paths -> files -> YAML documents -> decodeDocument -> validate.
#include "l1net/manifest/load.hpp"

#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "l1net/manifest/validate.hpp"

namespace l1net::manifest {
namespace {

namespace fs = std::filesystem;

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

// Parses every document of one text into result.set; syntax errors go to result.errors.
void parseInto(std::string_view yaml, const std::string& file, LoadResult& result) {
  std::vector<YAML::Node> docs;
  try {
    const std::string text(yaml);
    checkProgress(text);
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.is_null() || e.mark.line < 0 ? 0 : e.mark.line + 1;
    result.errors.push_back(Diagnostic{{file, line}, "", "", "YAML syntax error: " + e.msg});
    return;
  } catch (const std::exception& e) {
    result.errors.push_back(
        Diagnostic{{file, 0}, "", "", std::string("cannot parse: ") + e.what()});
    return;
  }
  for (const auto& doc : docs) {
    decodeDocument(doc, file, result.set, result.errors, result.warnings);
  }
}

void addValidation(LoadResult& result) {
  auto errors = validate(result.set);
  result.errors.insert(result.errors.end(), std::make_move_iterator(errors.begin()),
                       std::make_move_iterator(errors.end()));
}

bool isManifestName(const fs::path& name) {
  const auto s = name.string();
  const auto ext = name.extension().string();
  return !s.empty() && s.front() != '.' && (ext == ".yaml" || ext == ".yml");
}

}  // namespace

LoadResult loadManifestText(std::string_view yaml, const std::string& file) {
  LoadResult result;
  parseInto(yaml, file, result);
  addValidation(result);
  return result;
}

std::vector<std::string> expandManifestPaths(const std::vector<std::string>& paths,
                                             std::vector<Diagnostic>& errors) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    const auto st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      errors.push_back(Diagnostic{{p, 0}, "", "", "no such file or directory"});
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
      errors.push_back(Diagnostic{{p, 0}, "", "", "cannot list directory: " + ec.message()});
      continue;
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      out.push_back((fs::path(p) / n).string());
    }
  }
  return out;
}

LoadResult loadManifestPaths(const std::vector<std::string>& paths) {
  LoadResult result;
  for (const auto& file : expandManifestPaths(paths, result.errors)) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    if (in) {
      text << in.rdbuf();
    }
    if (!in || in.bad()) {
      result.errors.push_back(Diagnostic{{file, 0}, "", "", "cannot read file"});
      continue;
    }
    parseInto(text.str(), file, result);
  }
  addValidation(result);
  return result;
}

}  // namespace l1net::manifest
