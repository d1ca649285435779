// The controller's file mode end to end through the I/O shell: command line, --once -o json on
// fixture manifests (exact JSON, exit codes 0/2), the state file across restarts, --dry-run.
#include "l1net/controller/io/controller_app.hpp"

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "l1net/controller/io/pool_metrics.hpp"
#include "l1net/controller/io/state_file.hpp"
#include "l1net/io/logging.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace ctl = l1net::controller;
namespace fs = std::filesystem;
using l1net::testing::readFile;
using l1net::testing::TempDir;

namespace {

const char* const kPools = R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: lan
  namespace: metallb-system
spec:
  addresses:
    - 198.51.100.10-198.51.100.30
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: reserved
  namespace: metallb-system
spec:
  addresses:
    - 203.0.113.0/28
  autoAssign: false
)";

const char* const kServices = R"(apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: broken
  namespace: apps
  annotations:
    metallb.io/address-pool: nope
spec:
  type: LoadBalancer
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: internal
  namespace: default
spec:
  type: ClusterIP
  ports: [{port: 80}]
)";

struct Run {
  int code = 0;
  std::string out;
  std::string err;
};

Run runOnce(const ctl::ControllerOptions& opts) {
  std::ostringstream out;
  std::ostringstream err;
  Run r;
  r.code = ctl::runOnce(opts, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

ctl::ControllerOptions options(std::vector<std::string> manifests, std::string state = "",
                               ctl::OutputFormat output = ctl::OutputFormat::kJson) {
  ctl::ControllerOptions o;
  o.manifests = std::move(manifests);
  o.state = std::move(state);
  o.once = true;
  o.output = output;
  return o;
}

struct QuietLogs {
  QuietLogs() { l1net::io::setupLogging({"off", "text"}); }
};

}  // namespace

TEST_CASE("parseCommandLine") {
  struct Case {
    const char* name;
    std::vector<const char*> args;
    int want_code;
    bool want_options;
  };
  const std::vector<Case> cases = {
      {"minimal", {"--manifests", "a.yaml"}, 0, true},
      {"everything",
       {"--manifests", "a.yaml", "b", "--state", "s.yaml", "--once", "--dry-run", "-o", "json",
        "--metrics-addr", "[::1]:0", "--lb-class", "l1net", "--log-level", "debug"},
       0,
       true},
      {"help", {"--help"}, 0, false},
      {"no manifests", {"--once"}, 2, false},
      {"bad output", {"--manifests", "a", "-o", "xml"}, 2, false},
      {"unknown flag", {"--manifests", "a", "--frobnicate"}, 2, false},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      std::vector<const char*> argv = {"l1net-controller"};
      argv.insert(argv.end(), c.args.begin(), c.args.end());
      std::ostringstream out;
      std::ostringstream err;
      const auto cmd = ctl::parseCommandLine(static_cast<int>(argv.size()), argv.data(), out, err);
      CHECK(cmd.options.has_value() == c.want_options);
      CHECK(cmd.exit_code == c.want_code);
    }
  }
  SUBCASE("values") {
    const std::vector<const char*> argv = {"l1net-controller",
                                           "--manifests",
                                           "a",
                                           "b",
                                           "--manifests",
                                           "c",
                                           "-o",
                                           "json",
                                           "--lb-class",
                                           "x"};
    std::ostringstream out;
    std::ostringstream err;
    const auto cmd = ctl::parseCommandLine(static_cast<int>(argv.size()), argv.data(), out, err);
    REQUIRE(cmd.options.has_value());
    CHECK(cmd.options->manifests == std::vector<std::string>{"a", "b", "c"});
    CHECK(cmd.options->output == ctl::OutputFormat::kJson);
    CHECK(cmd.options->lb_class == std::optional<std::string>("x"));
    CHECK(cmd.options->metrics_addr == "127.0.0.1:7472");
    CHECK_FALSE(cmd.options->once);
  }
}

TEST_CASE("--once -o json") {
  const QuietLogs quiet;
  const TempDir dir;
  dir.write("10-pools.yaml", kPools);
  dir.write("20-services.yaml", kServices);

  SUBCASE("valid manifests: exit 0, exact JSON") {
    const auto r = runOnce(options({dir.path().string()}));
    CHECK(r.code == 0);
    CHECK(r.out ==
          "{\"services\":["
          "{\"namespace\":\"apps\",\"name\":\"broken\",\"ips\":[],\"pool\":null,"
          "\"error\":\"Failed to allocate IP for \\\"apps/broken\\\": unknown pool "
          "\\\"nope\\\"\"},"
          "{\"namespace\":\"default\",\"name\":\"web\",\"ips\":[\"198.51.100.10\"],"
          "\"pool\":\"lan\",\"error\":null}],"
          "\"pools\":[{\"name\":\"lan\",\"total\":\"21\",\"inUse\":1},"
          "{\"name\":\"reserved\",\"total\":\"16\",\"inUse\":0}]}\n");
  }

  SUBCASE("invalid manifests: exit 2, message names file:line") {
    const std::string bad = dir.write("30-bad.yaml", R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: bad
  namespace: metallb-system
spec:
  addresses:
    - 198.51.100.40-198.51.100.35
)");
    const auto r = runOnce(options({dir.path().string()}));
    CHECK(r.code == 2);
    CHECK(r.out.empty());
    INFO(r.err);
    CHECK(r.err.find("30-bad.yaml:8:") != std::string::npos);
  }

  SUBCASE("missing manifest path: exit 2") {
    const auto r = runOnce(options({dir.file("nope.yaml")}));
    CHECK(r.code == 2);
    CHECK(r.err.find("nope.yaml") != std::string::npos);
  }
}

TEST_CASE("--state keeps IPs across restarts; --dry-run writes nothing") {
  const QuietLogs quiet;
  const TempDir dir;
  const std::string pools = dir.write("pools.yaml", kPools);
  const std::string services = dir.write("services.yaml", kServices);
  const std::string state = dir.file("state.yaml");

  SUBCASE("dry run") {
    auto opts = options({pools, services}, state);
    opts.dry_run = true;
    const auto r = runOnce(opts);
    CHECK(r.code == 0);
    CHECK_FALSE(fs::exists(state));
  }

  SUBCASE("restart with a new service sorting first") {
    const auto first = runOnce(options({pools, services}, state));
    REQUIRE(first.code == 0);
    REQUIRE(fs::exists(state));
    const std::string written = readFile(state);
    CHECK(written.find("ip: 198.51.100.10") != std::string::npos);
    CHECK(written.find("metallb.io/ip-allocated-from-pool: lan") != std::string::npos);
    CHECK(written.find("name: internal") == std::string::npos);  // not a LoadBalancer

    // A new service "aaa" in namespace "default" sorts before "web": it must not take web's IP.
    dir.write("services.yaml", std::string(kServices) + R"(---
apiVersion: v1
kind: Service
metadata:
  name: aaa
  namespace: default
spec:
  type: LoadBalancer
  ports: [{port: 80}]
)");
    const auto second = runOnce(options({pools, services}, state));
    REQUIRE(second.code == 0);
    CHECK(second.out.find("\"name\":\"web\",\"ips\":[\"198.51.100.10\"]") != std::string::npos);
    CHECK(second.out.find("\"name\":\"aaa\",\"ips\":[\"198.51.100.11\"]") != std::string::npos);

    // Without the state file the same manifests would have moved web.
    const auto fresh = runOnce(options({pools, services}));
    CHECK(fresh.out.find("\"name\":\"aaa\",\"ips\":[\"198.51.100.10\"]") != std::string::npos);
  }

  SUBCASE("damaged state file: exit 1, nothing moves") {
    dir.write("state.yaml", ctl::renderState({}).insert(ctl::kStateMarker.size() + 1,
                                                        "apiVersion: v1\nkind: Service\n"
                                                        "metadata: [not, a, map]\n"));
    const auto r = runOnce(options({pools, services}, state));
    CHECK(r.code == 1);
    CHECK(r.err.find("state file") != std::string::npos);
  }
}

TEST_CASE("restart from the state file: 10,000 services, 0 IP changes") {
  const QuietLogs quiet;
  const TempDir dir;
  std::string pools = R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: a-v4, namespace: metallb-system}
spec:
  addresses: [198.51.100.0/24, 203.0.113.0/24]
  avoidBuggyIPs: true
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: b-dual, namespace: metallb-system}
spec:
  addresses: [192.0.2.0/24, "2001:db8:d::/64"]
  autoAssign: false
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: c-v6, namespace: metallb-system}
spec:
  addresses: ["2001:db8:6::/64"]
)";
  std::string services;
  for (int i = 0; i < 10000; ++i) {
    std::string spec;
    std::string annotations;
    if (i % 20 == 0) {
      annotations =
          "  annotations: {metallb.io/allow-shared-ip: pair-" + std::to_string(i / 40) + "}\n";
      spec = "  ports: [{port: " + std::string(i % 40 == 0 ? "80" : "443") + "}]\n";
    } else if (i % 40 == 1) {
      annotations = "  annotations: {metallb.io/address-pool: b-dual}\n";
      spec =
          "  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv4, IPv6]\n  ports: [{port: 80}]\n";
    } else {
      spec = "  ipFamilies: [IPv6]\n  ports: [{port: 80}]\n";
    }
    services += "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-" + std::to_string(i) +
                "\n  namespace: ns" + std::to_string(i % 7) + "\n" + annotations +
                "spec:\n  type: LoadBalancer\n" + spec;
  }
  const std::string pools_path = dir.write("pools.yaml", pools);
  const std::string services_path = dir.write("services.yaml", services);
  const std::string state = dir.file("state.yaml");

  const auto first = runOnce(options({pools_path, services_path}, state));
  REQUIRE(first.code == 0);
  CHECK(first.out.find("\"error\":\"") == std::string::npos);
  const std::string state_before = readFile(state);

  const auto second = runOnce(options({pools_path, services_path}, state));
  REQUIRE(second.code == 0);
  CHECK(second.out == first.out);          // every service: same IPs, same pool
  CHECK(readFile(state) == state_before);  // and the state file is byte-identical
}

TEST_CASE("PoolMetrics") {
  l1net::metrics::Registry registry;
  ctl::PoolMetrics metrics(registry);
  ctl::PoolUsage lan;
  lan.name = "lan";
  lan.total_v4 = 21;
  lan.total_v6 = l1net::net::Uint128{1} << 64;
  lan.in_use_v4 = 3;
  lan.in_use_v6 = 1;
  ctl::PoolUsage old = lan;
  old.name = "old";
  metrics.update({lan, old});
  metrics.update({lan});
  const std::string text = registry.encode();
  INFO(text);
  CHECK(text.find("metallb_allocator_addresses_in_use_total{pool=\"lan\"} 4") != std::string::npos);
  CHECK(text.find("metallb_allocator_ipv4_addresses_total{pool=\"lan\"} 21") != std::string::npos);
  CHECK(text.find("metallb_allocator_ipv6_addresses_in_use_total{pool=\"lan\"} 1") !=
        std::string::npos);
  CHECK(text.find("metallb_allocator_ipv6_addresses_total{pool=\"lan\"}") != std::string::npos);
  CHECK(text.find("pool=\"old\"") == std::string::npos);
}
