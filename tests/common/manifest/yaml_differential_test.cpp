// The libyaml loader against the yaml-cpp loader it replaced (tests/fakes/yamlcpp_reference.cpp):
// on the same bytes both must load the same objects with the same diagnostics, or both refuse the
// file, or libyaml refuses bytes YAML forbids (see Verdict). Inputs: the tricky cases below, the
// manifest fuzzer's seed corpus, the example configs, and every file under $L1NET_YAML_CORPUS when
// set (e.g. a long fuzz run's corpus).
//
// Known, intended differences (not compared): the wording and, for some errors, the line of a
// syntax error; an alias used inside its own anchor's node, which yaml-cpp builds as a cycle and
// libyaml's loader refuses as an undefined alias; nesting of exactly 499 flow sequences, which
// yaml-cpp's guard lets through.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "l1net/manifest/load.hpp"
#include "l1net/testing/yamlcpp_reference.hpp"

namespace manifest = l1net::manifest;
namespace fs = std::filesystem;

namespace {

bool refusedForSyntax(const manifest::LoadResult& r) {
  return std::any_of(r.errors.begin(), r.errors.end(), [](const manifest::Diagnostic& d) {
    return d.message.starts_with("YAML syntax error") ||
           d.message.find("nesting limit") != std::string::npos ||
           d.message.starts_with("cannot parse");
  });
}

std::vector<std::string> formatted(const std::vector<manifest::Diagnostic>& ds) {
  std::vector<std::string> out;
  out.reserve(ds.size());
  for (const auto& d : ds) {
    out.push_back(d.format());
  }
  return out;
}

// How the two loaders compare on one text. A daemon takes a load only without errors, so what
// matters is that both accept the same texts and then load the same.
enum class Verdict {
  kSame,         // the same objects, errors and warnings
  kBothRefused,  // both report errors (different ones: e.g. a syntax error one of them tolerates),
                 // and neither keeps an object of a file it refused for its syntax
  kStricter,     // libyaml reports a syntax error where yaml-cpp reported nothing: bytes YAML
                 // forbids (invalid UTF-8, control characters) or syntax yaml-cpp tolerates.
                 // kubectl's parser, go-yaml, is a port of libyaml and refuses these too.
  kDiffer,       // anything else: a bug
};

struct Comparison {
  Verdict verdict;
  std::string detail;
};

Comparison compare(const std::string& text) {
  const auto got = manifest::loadManifestText(text, "d.yaml");
  const auto want = l1net::testing::loadManifestTextYamlCpp(text, "d.yaml");
  const auto first = [](const manifest::LoadResult& r) {
    return r.errors.empty() ? std::string("none") : r.errors[0].format();
  };
  const std::string both = "libyaml: " + first(got) + " / yaml-cpp: " + first(want);
  if (refusedForSyntax(got) && !(got.set == manifest::ManifestSet{})) {
    return {Verdict::kDiffer, "a refused file left objects; " + both};
  }
  if (got.set == want.set && formatted(got.errors) == formatted(want.errors) &&
      formatted(got.warnings) == formatted(want.warnings)) {
    return {Verdict::kSame, ""};
  }
  if (!got.ok() && !want.ok()) {
    return {Verdict::kBothRefused, both};
  }
  if (refusedForSyntax(got) && want.ok()) {
    return {Verdict::kStricter, both};
  }
  return {Verdict::kDiffer, both};
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> filesUnder(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) {
    return out;
  }
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

const char* const kService =
    "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\n"
    "spec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n";

}  // namespace

TEST_CASE("libyaml and yaml-cpp load the same objects and diagnostics") {
  struct Case {
    const char* name;
    std::string yaml;
    Verdict want = Verdict::kSame;
  };
  const std::vector<Case> cases = {
      {"one Service", kService},
      {"documents, comments, a trailing ---", std::string("# head\n---\n") + kService +
                                                  "---\n# only a comment\n---\n" + kService +
                                                  "---\n"},
      {"document end markers", std::string(kService) + "...\n---\n" + kService + "...\n"},
      {"directives", std::string("%YAML 1.1\n---\n") + kService},
      {"CRLF line ends",
       "apiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: a\r\n  labels: {x: y}\r\n"},
      {"UTF-8 byte order mark",
       "\xEF\xBB\xBF"
       "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"},
      {"null forms and quoted null",
       "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  labels:\n    a: ~\n    b: null\n"
       "    c: NULL\n    d:\n    e: 'null'\n    f: \"~\"\n    g: !!str null\n"},
      {"anchors and aliases",
       "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: &n lan, namespace: "
       "metallb-system}\nspec:\n  addresses: &a [192.0.2.0/24]\n---\napiVersion: "
       "metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: l2, namespace: "
       "metallb-system}\nspec: {ipAddressPools: [lan]}\n"},
      {"an alias of a mapping",
       "apiVersion: v1\nkind: Namespace\nmetadata: &m {name: a, labels: &l {k: v}}\n"},
      {"block scalars",
       "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  annotations:\n    lit: |\n"
       "      two\n      lines\n    fold: >-\n      one\n      line\n"},
      {"quoted keys and escapes",
       "\"apiVersion\": v1\n'kind': Namespace\nmetadata: {name: \"a\", labels: {\"k\\u0041\": "
       "'it''s'}}\n"},
      {"duplicate keys: the first wins",
       "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, name: b}\n"},
      {"complex key ignored",
       "? [a, b]\n: c\nkind: Namespace\napiVersion: v1\nmetadata: {name: n}\n"},
      {"labels keyed by a map",
       "kind: Namespace\napiVersion: v1\nmetadata:\n  name: n\n  labels: {? {a: b} : c}\n"},
      {"tags on scalars and collections",
       "apiVersion: !!str v1\nkind: !custom Namespace\nmetadata: !!map {name: !!str 123}\n"},
      {"numbers and booleans as strings",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: LoadBalancer\n"
       "  ports: [{port: 0x50}, {port: 8_0}, {port: +443}]\n  allocateLoadBalancerNodePorts: "
       "yes\n"},
      {"merge key is an ordinary key",
       "apiVersion: v1\nkind: Namespace\nmetadata:\n  <<: {name: a}\n  name: b\n"},
      {"List of objects",
       "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: "
       "{name: a}\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: b}\n"},
      {"errors carry lines",
       "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  type: Nope\n  ports:\n"
       "  - port: x\n"},
      {"unknown kind warns once",
       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: "
       "ConfigMap\nmetadata: {name: b}\n"},
      {"a scalar document", "just text\n"},
      {"a sequence document", "- a\n- b\n"},
      {"empty", ""},
      {"unclosed flow", "apiVersion: v1\nkind: Namespace\nmetadata: {name: [a\n",
       Verdict::kBothRefused},
      {"bad indentation", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n b: c\n",
       Verdict::kBothRefused},
      {"stray comma", "kind: Namespace\n---\n, a\n", Verdict::kBothRefused},
      {"tab indentation", "apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: a\n",
       Verdict::kBothRefused},
      {"undefined alias", "apiVersion: v1\nkind: Namespace\nmetadata: *nope\n",
       Verdict::kBothRefused},
      {"syntax error after good documents", std::string(kService) + "---\nkind: [\n",
       Verdict::kBothRefused},
      {"deep nesting: the same error", std::string(5000, '[')},
      {"nesting at the limit", std::string(498, '[') + std::string(498, ']') + "\n"},
      {"nesting past both limits", std::string(600, '[') + std::string(600, ']') + "\n",
       Verdict::kBothRefused},
      {"binary", std::string("\0\xff\xfe\x01---\n\x80", 9), Verdict::kBothRefused},
      {"invalid UTF-8 in a value",
       "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, annotations: {x: a\xff}}\n",
       Verdict::kStricter},
      {"a control character in a value",
       "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, annotations: {x: a\x01}}\n",
       Verdict::kStricter},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = compare(c.yaml);
      INFO(got.detail);
      CHECK(static_cast<int>(got.verdict) == static_cast<int>(c.want));
    }
  }
}

TEST_CASE(
    "libyaml and yaml-cpp agree on the fuzz seeds, the example configs and $L1NET_YAML_CORPUS") {
  std::vector<fs::path> files = filesUnder("common/fuzz/corpus/manifest_fuzz");
  for (const auto& f : filesUnder("config")) {
    if (f.extension() == ".yaml") {
      files.push_back(f);
    }
  }
  const char* extra = std::getenv("L1NET_YAML_CORPUS");
  if (extra != nullptr) {
    const auto more = filesUnder(extra);
    files.insert(files.end(), more.begin(), more.end());
  }
  REQUIRE(files.size() >= 7);  // the committed seeds at least
  std::array<std::size_t, 4> count{};
  for (const auto& f : files) {
    const auto got = compare(readFile(f));
    CHECK_MESSAGE(got.verdict != Verdict::kDiffer, f.string() << ": " << got.detail);
    ++count.at(static_cast<std::size_t>(got.verdict));
  }
  MESSAGE(files.size() << " files: " << count[0] << " the same, " << count[1]
                       << " refused by both, " << count[2] << " refused by libyaml only, "
                       << count[3] << " different");
}
