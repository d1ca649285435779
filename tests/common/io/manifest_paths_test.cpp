#include <string>
#include <vector>

#include "l1net/io/manifest_files.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace manifest = l1net::manifest;
using l1net::testing::TempDir;

namespace {

std::string poolYaml(const std::string& name, const std::string& cidr) {
  return "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n  name: " + name +
         "\nspec:\n  addresses:\n    - " + cidr + "\n";
}

}  // namespace

TEST_CASE("expandManifestPaths") {
  TempDir dir;
  dir.write("m/20-b.yml", "");
  dir.write("m/10-a.yaml", "");
  dir.write("m/30-c.txt", "");
  dir.write("m/40-d.json", "");
  dir.write("m/.hidden.yaml", "");
  dir.write("m/sub/nested.yaml", "");
  dir.write("m/15-dir.yaml/inner.yaml", "");
  dir.write("m/05-z.yaml", "");
  dir.write("other.txt", "");
  dir.write("empty/README", "");

  struct Case {
    const char* name;
    std::vector<std::string> args;  // relative to the scratch directory
    std::vector<std::string> want;
    std::size_t errors;
  };
  const std::vector<Case> cases = {
      {"directory: *.yaml and *.yml in name order, not recursive, no dot files",
       {"m"},
       {"m/05-z.yaml", "m/10-a.yaml", "m/20-b.yml"},
       0},
      {"file is taken whatever its name", {"other.txt"}, {"other.txt"}, 0},
      {"argument order is kept",
       {"other.txt", "m/20-b.yml", "m"},
       {"other.txt", "m/20-b.yml", "m/05-z.yaml", "m/10-a.yaml", "m/20-b.yml"},
       0},
      {"directory without manifests", {"empty"}, {}, 0},
      {"missing path is an error", {"nope.yaml", "other.txt"}, {"other.txt"}, 1},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      std::vector<std::string> args;
      for (const auto& a : c.args) {
        args.push_back(dir.file(a));
      }
      std::vector<manifest::Diagnostic> errors;
      const auto got = l1net::io::expandManifestPaths(args, errors);
      std::vector<std::string> want;
      for (const auto& w : c.want) {
        want.push_back(dir.file(w));
      }
      CHECK(got == want);
      REQUIRE(errors.size() == c.errors);
      if (c.errors > 0) {
        CHECK(errors[0].format() == dir.file("nope.yaml") + ": no such file or directory");
      }
    }
  }
}

TEST_CASE("loadManifestPaths validates the union of all files") {
  TempDir dir;
  dir.write("m/10-dmz.yaml", poolYaml("dmz", "198.51.100.224/28"));
  dir.write("m/20-lan.yml", "# lan\n" + poolYaml("lan", "198.51.100.230/31"));
  dir.write("m/notes.txt", "not yaml: [");
  dir.write("ok/pool.yaml", poolYaml("lan", "192.0.2.0/28"));
  dir.write("ok/svc.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n");

  struct Case {
    const char* name;
    std::vector<std::string> args;
    std::vector<std::string> want_errors;  // formatted, in order; @ = the scratch directory
    std::size_t pools;
  };
  const std::vector<Case> cases = {
      {"overlap across files names both",
       {"m"},
       {"@/m/20-lan.yml:8: IPAddressPool \"lan\" spec.addresses[0]: 198.51.100.230/31 overlaps "
        "pool \"dmz\" (spec.addresses[0] 198.51.100.224/28 at @/m/10-dmz.yaml:7)"},
       2},
      {"duplicate pool across files",
       {"ok", "m/20-lan.yml"},
       {"@/m/20-lan.yml:5: IPAddressPool \"lan\" metadata.name: duplicate definition of pool "
        "\"lan\" (first at @/ok/pool.yaml:1)"},
       2},
      {"clean directory", {"ok"}, {}, 1},
      {"missing path", {"ok", "missing"}, {"@/missing: no such file or directory"}, 1},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      std::vector<std::string> args;
      for (const auto& a : c.args) {
        args.push_back(dir.file(a));
      }
      const auto r = l1net::io::loadManifestPaths(args);
      std::string got;
      for (const auto& e : r.errors) {
        got += e.format() + "\n";
      }
      std::string want;
      for (auto w : c.want_errors) {
        for (auto at = w.find('@'); at != std::string::npos; at = w.find('@')) {
          w.replace(at, 2, dir.file(""));
        }
        want += w + "\n";
      }
      CHECK(got == want);
      CHECK(r.set.pools.size() == c.pools);
    }
  }
}
