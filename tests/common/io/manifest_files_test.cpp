// Reading manifest files in io: bounded files (issue 8 #9), each file read once per load, and the
// pure loader fed from bytes.
#include "l1net/io/manifest_files.hpp"

#include <string>
#include <vector>

#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace io = l1net::io;
namespace manifest = l1net::manifest;
using l1net::testing::TempDir;

namespace {

std::string svc(const std::string& name, const std::string& ns = "default") {
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n";
}

}  // namespace

TEST_CASE("manifest files are bounded (issue 8 #9)") {
  const TempDir dir;
  SUBCASE("/dev/zero: a clear error, not an endless read") {
    const auto r = io::loadManifestPaths({"/dev/zero"});
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].format() ==
          "/dev/zero: not a regular file (a character device); manifests must be regular files");
  }
  SUBCASE("over the limit") {
    std::string big;
    for (int i = 0; i < 100; ++i) {
      big += "---\n" + svc("s" + std::to_string(i));
    }
    const auto path = dir.write("big.yaml", big);
    const auto r = io::loadManifestPaths({path}, {.max_file_bytes = 1000});
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].format() == path + ": file is " + std::to_string(big.size()) +
                                      " bytes, over the limit of 1000 bytes per manifest file "
                                      "(raise it with --max-manifest-bytes)");
    CHECK(r.set.services.empty());
    const auto raised = io::loadManifestPaths({path}, {.max_file_bytes = big.size()});
    CHECK(raised.ok());
    CHECK(raised.set.services.size() == 100);
  }
  SUBCASE("default limit is 16 MiB") {
    CHECK(manifest::LoadOptions{}.max_file_bytes == 16U * 1024U * 1024U);
  }
}

TEST_CASE("readManifests reads each file once and loads exactly what it read") {
  const TempDir dir;
  const auto a = dir.write("m/a.yaml", svc("web"));
  const auto missing = dir.file("nope.yaml");
  const auto read = io::readManifests({dir.file("m"), missing, "/dev/zero"});
  REQUIRE(read.expand_errors.size() == 1);
  CHECK(read.expand_errors[0].format() == missing + ": no such file or directory");
  REQUIRE(read.files.size() == 2);
  CHECK(read.files[0] == manifest::ManifestFile{a, svc("web"), ""});
  CHECK(read.files[1].name == "/dev/zero");
  CHECK(read.files[1].read_error.find("not a regular file") != std::string::npos);
  // The same inputs compare equal; one changed byte does not.
  CHECK(io::readManifests({dir.file("m"), missing, "/dev/zero"}) == read);
  dir.write("m/a.yaml", svc("wex"));
  CHECK_FALSE(io::readManifests({dir.file("m"), missing, "/dev/zero"}) == read);
  // The loader works on the bytes read, not on the files: the edit above is not seen.
  const auto r = manifest::loadManifestFiles(read.files, read.expand_errors);
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].format() == missing + ": no such file or directory");
  CHECK(r.errors[1].where.file == "/dev/zero");
  REQUIRE(r.set.services.size() == 1);
  CHECK(r.set.services[0].meta.name == "web");
}
