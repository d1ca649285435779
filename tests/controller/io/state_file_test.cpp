// issue 8 #5, #6, #8: the state file is marked, complete-checked, never overwrites a foreign file,
// and stale temp files of killed writes are removed.
#include "l1net/controller/io/state_file.hpp"

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "l1net/controller/io/controller_app.hpp"
#include "l1net/io/logging.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace ctl = l1net::controller;
namespace m = l1net::manifest;
namespace fs = std::filesystem;
using l1net::testing::readFile;
using l1net::testing::TempDir;

namespace {

std::vector<m::Service> threeServices() {
  std::vector<m::Service> out;
  for (const char* name : {"a", "b", "c"}) {
    m::Service s;
    s.meta.name = name;
    s.meta.ns = "default";
    s.type = m::ServiceType::kLoadBalancer;
    s.ports.push_back(m::ServicePort{"", "TCP", 80, "", 0});
    s.ingress.push_back(m::LoadBalancerIngress{"198.51.100.1", ""});
    s.meta.annotations["metallb.io/ip-allocated-from-pool"] = "lan";
    out.push_back(s);
  }
  out[1].ingress[0].ip = "198.51.100.2";
  out[2].ingress[0].ip = "198.51.100.3";
  return out;
}

const char* const kPools = R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec:
  addresses: [198.51.100.1-198.51.100.3]
)";

std::string services(std::initializer_list<const char*> names) {
  std::string out;
  for (const char* n : names) {
    out += std::string("---\napiVersion: v1\nkind: Service\nmetadata: {name: ") + n +
           ", namespace: default}\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n";
  }
  return out;
}

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run once(ctl::ControllerOptions o) {
  o.once = true;
  o.output = ctl::OutputFormat::kJson;
  std::ostringstream out;
  std::ostringstream err;
  const int code = ctl::runOnce(o, out, err);
  return {code, out.str(), err.str()};
}

struct QuietLogs {
  QuietLogs() { l1net::io::setupLogging({"off", "text"}); }
};

}  // namespace

TEST_CASE("state file: render round-trips and carries marker and trailer") {
  const auto text = ctl::renderState(threeServices());
  CHECK(text.starts_with(std::string(ctl::kStateMarker) + "\n"));
  CHECK(text.find("\n# l1net-state-end services=3 crc32=") != std::string::npos);
  CHECK(text.back() == '\n');
  CHECK(ctl::checkStateText(text).status == ctl::StateStatus::kOk);
  const auto empty = ctl::renderState({});
  CHECK(ctl::checkStateText(empty).status == ctl::StateStatus::kOk);
}

TEST_CASE("state file: every truncation is detected (issue 8 #6)") {
  // Cut the file at every byte: none may pass as complete, though many still parse as YAML.
  const auto text = ctl::renderState(threeServices());
  int parse_ok_but_caught = 0;
  for (std::size_t cut = 1; cut < text.size(); ++cut) {
    const auto check = ctl::checkStateText(std::string_view(text).substr(0, cut));
    INFO("cut at " << cut);
    REQUIRE(check.status != ctl::StateStatus::kOk);
    CHECK(!check.reason.empty());
    if (cut > ctl::kStateMarker.size() + 1 && text[cut - 1] == '\n') {
      ++parse_ok_but_caught;
    }
  }
  CHECK(parse_ok_but_caught > 10);
  // A changed byte in the body is caught by the checksum.
  std::string flipped = text;
  flipped[flipped.find("198.51.100.2")] = '7';
  CHECK(ctl::checkStateText(flipped).status == ctl::StateStatus::kIncomplete);
  CHECK(ctl::checkStateText(flipped).reason.find("checksum") != std::string::npos);
}

TEST_CASE("state file: a truncated state stops the controller unless --state-recover") {
  const QuietLogs quiet;
  const TempDir dir;
  const auto pools = dir.write("pools.yaml", kPools);
  const auto svcs = dir.write("services.yaml", services({"a", "b", "c"}));
  const auto state = dir.file("state.yaml");
  ctl::ControllerOptions o;
  o.manifests = {pools, svcs};
  o.state = state;
  REQUIRE(once(o).code == 0);
  const std::string full = readFile(state);
  // Cut after the second service: what is left still parses, and services "c" would silently be
  // re-allocated, maybe onto another IP.
  const auto cut = full.find("---", full.find("name: b"));
  REQUIRE(cut != std::string::npos);
  const std::string truncated = full.substr(0, cut);
  dir.write("state.yaml", truncated);
  dir.write("services.yaml", services({"a", "b", "c", "aaa"}));  // a newcomer wants an IP

  const auto r = once(o);
  CHECK(r.code == 1);
  CHECK(r.err.find(state) != std::string::npos);
  CHECK(r.err.find("incomplete") != std::string::npos);
  CHECK(r.err.find("--state-recover") != std::string::npos);
  CHECK(readFile(state) == truncated);  // neither rewritten nor started from scratch

  o.state_recover = true;
  const auto rec = once(o);
  CHECK(rec.code == 0);
  CHECK(rec.out.find("\"name\":\"a\",\"ips\":[\"198.51.100.1\"]") != std::string::npos);
  CHECK(rec.out.find("\"name\":\"b\",\"ips\":[\"198.51.100.2\"]") != std::string::npos);
  CHECK(ctl::checkStateText(readFile(state)).status == ctl::StateStatus::kOk);
}

TEST_CASE("state file: never overwrites a foreign file (issue 8 #5)") {
  const QuietLogs quiet;
  const TempDir dir;
  const auto pools = dir.write("pools.yaml", kPools);
  const auto svcs = dir.write("services.yaml", services({"a"}));
  ctl::ControllerOptions o;
  o.manifests = {pools, svcs};
  struct Case {
    const char* name;
    std::string existing;  // "" = absent
    bool absent;
    int want_code;
  };
  const std::vector<Case> cases = {
      {"absent: written", "", true, 0},
      {"empty: written", "", false, 0},
      {"the pools manifest: refused", kPools, false, 1},
      {"one line of text: refused", "x\n", false, 1},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto state = dir.file("target.yaml");
      if (!c.absent) {
        dir.write("target.yaml", c.existing);
      }
      o.state = state;
      const auto r = once(o);
      CHECK(r.code == c.want_code);
      if (c.want_code != 0) {
        CHECK(readFile(state) == c.existing);  // untouched
        CHECK(r.err.find(state) != std::string::npos);
        CHECK(r.err.find("not an l1net state file") != std::string::npos);
        // writeStateFile itself refuses too (the daemon checks at every write).
        const auto w = ctl::writeStateFile(state, ctl::renderState({}));
        REQUIRE_FALSE(w.has_value());
        CHECK(ctl::describeWriteError(state, w.error()).find("refusing to overwrite") !=
              std::string::npos);
        CHECK(readFile(state) == c.existing);
      } else {
        CHECK(ctl::checkStateText(readFile(state)).status == ctl::StateStatus::kOk);
      }
    }
  }
}

TEST_CASE("state file: stale temp files are removed at start (issue 8 #8)") {
  const QuietLogs quiet;
  const TempDir dir;
  const auto pools = dir.write("pools.yaml", kPools);
  const auto svcs = dir.write("services.yaml", services({"a"}));
  const auto state = dir.file("state.yaml");
  // What a kill -9 between mkostemp and rename leaves: full-size temp files.
  dir.write("state.yaml.tmp.AbC123", std::string(4096, 'x'));
  dir.write("state.yaml.tmp.zzzzzz", "partial");
  dir.write("state.yaml.tmp.keep", "not ours: wrong suffix length");
  dir.write("other.yaml.tmp.AbC123", "another file's temp");
  ctl::ControllerOptions o;
  o.manifests = {pools, svcs};
  o.state = state;
  REQUIRE(once(o).code == 0);
  CHECK_FALSE(fs::exists(dir.file("state.yaml.tmp.AbC123")));
  CHECK_FALSE(fs::exists(dir.file("state.yaml.tmp.zzzzzz")));
  CHECK(fs::exists(dir.file("state.yaml.tmp.keep")));
  CHECK(fs::exists(dir.file("other.yaml.tmp.AbC123")));
}
