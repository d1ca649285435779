#include "l1net/speaker/ranking.hpp"

#include <string>
#include <vector>

#include "l1net/speaker/ownership_policy.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/hex.hpp"

namespace speaker = l1net::speaker;
namespace manifest = l1net::manifest;
using l1net::testing::hexOf;

// Digests computed outside this code base, e.g. `printf 'node-a#198.51.100.10' | sha256sum`.
TEST_CASE("nodeIpDigest matches sha256sum") {
  struct Case {
    const char* node;
    const char* ip;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"node-a", "198.51.100.10",
       "17cc5af78a8b2b3bdc4699970fa1ee457e9f3f4322f2c811d85220dd944bf72e"},
      {"node-b", "198.51.100.10",
       "530fa8b52f9a1e23644173627bbe33e795c1353de5306b1ed463eabc0b594de0"},
      {"node-c", "198.51.100.10",
       "925754ec9a54e2eb87ee424a9481123a085a935f33faae1c5a06b378f877e139"},
      {"node-a", "2001:db8::10",
       "5525059d790ad6c9458aabead6068769eb0cbb13962eae2500ff38eb462569c2"},
      {"node-b", "2001:db8::10",
       "21d5668f18c03bbe00f394da685dde376e0293fd36d5320ac575f592bd70c06b"},
      {"node-c", "2001:db8::10",
       "d30d3eb7a24270e021589e4071ea239bc2d6472ec4bf8f4e965bc63696567392"},
  };
  for (const auto& c : cases) {
    SUBCASE((std::string(c.node) + "#" + c.ip).c_str()) {
      CHECK(hexOf(speaker::nodeIpDigest(c.node, c.ip)) == c.want);
    }
  }
}

TEST_CASE("rankNodes: preference desc, then digest asc") {
  struct Case {
    const char* name;
    const char* ip;
    std::vector<speaker::Candidate> candidates;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"v4 hash order a<b<c",
       "198.51.100.10",
       {{"node-c", 0}, {"node-a", 0}, {"node-b", 0}},
       {"node-a", "node-b", "node-c"}},
      {"v6 hash order b<a<c",
       "2001:db8::10",
       {{"node-a", 0}, {"node-b", 0}, {"node-c", 0}},
       {"node-b", "node-a", "node-c"}},
      {"preference beats hash",
       "198.51.100.10",
       {{"node-a", 0}, {"node-b", 0}, {"node-c", 100}},
       {"node-c", "node-a", "node-b"}},
      {"equal preference falls back to hash",
       "2001:db8::10",
       {{"node-a", 50}, {"node-b", 0}, {"node-c", 50}},
       {"node-a", "node-c", "node-b"}},
      {"negative preference ranks last",
       "198.51.100.10",
       {{"node-a", -1}, {"node-b", 0}},
       {"node-b", "node-a"}},
      {"single", "198.51.100.10", {{"node-b", 0}}, {"node-b"}},
      {"empty", "198.51.100.10", {}, {}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(speaker::rankNodes(c.ip, c.candidates) == c.want); }
  }
}

TEST_CASE("preferenceScore sums matching weights") {
  manifest::L2Advertisement ad;
  ad.preferred_node_selectors = {{60, {{{"zone", "primary"}}, {}}}, {50, {{{"gpu", "true"}}, {}}}};
  struct Case {
    const char* name;
    manifest::Labels labels;
    std::int64_t want;
  };
  const std::vector<Case> cases = {
      {"both", {{"zone", "primary"}, {"gpu", "true"}}, 110},
      {"zone only", {{"zone", "primary"}}, 60},
      {"gpu only", {{"gpu", "true"}}, 50},
      {"none", {{"zone", "secondary"}}, 0},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(speaker::preferenceScore(ad, c.labels) == c.want); }
  }
}

TEST_CASE("ownership policies") {
  const std::vector<speaker::Candidate> eligible = {{"node-a", 0}, {"node-b", 0}, {"node-c", 0}};
  SUBCASE("local: the local node wins when eligible") {
    const speaker::LocalOwnershipPolicy p;
    CHECK(p.members("node-b") == std::vector<std::string>{"node-b"});
    CHECK(p.choose({.ip = "198.51.100.10", .local_node = "node-b", .eligible = eligible}) ==
          "node-b");
    CHECK_FALSE(p.choose({.ip = "198.51.100.10", .local_node = "node-x", .eligible = eligible})
                    .has_value());
  }
  SUBCASE("ranked: MetalLB's first") {
    const speaker::RankedOwnershipPolicy p({"node-a", "node-b", "node-c"});
    CHECK(p.members("node-b").size() == 3);
    CHECK(p.choose({.ip = "198.51.100.10", .local_node = "node-b", .eligible = eligible}) ==
          "node-a");
    CHECK(p.choose({.ip = "2001:db8::10", .local_node = "node-b", .eligible = eligible}) ==
          "node-b");
    CHECK_FALSE(
        p.choose({.ip = "2001:db8::10", .local_node = "node-b", .eligible = {}}).has_value());
  }
}

TEST_CASE("rankNodes: full orders for 198.51.100.200-209 match sha256sum") {
  // Computed outside this code base, as tests/integration/failover_lib.sh l1f_rank does: for each
  // node, printf '%s' "$node#$ip" | sha256sum, then LC_ALL=C sort on the hex digests.
  // Rows such as .200 (0x47.. < 0x87..) fail if digests were compared as signed chars, and .204
  // (0x783d.. < 0x795c..) if only the first byte were compared with the wrong sign.
  struct Case {
    const char* ip;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"198.51.100.200", {"node-b", "node-a", "node-c"}},
      {"198.51.100.201", {"node-a", "node-b", "node-c"}},
      {"198.51.100.202", {"node-a", "node-b", "node-c"}},
      {"198.51.100.203", {"node-b", "node-c", "node-a"}},
      {"198.51.100.204", {"node-c", "node-a", "node-b"}},
      {"198.51.100.205", {"node-a", "node-c", "node-b"}},
      {"198.51.100.206", {"node-b", "node-c", "node-a"}},
      {"198.51.100.207", {"node-b", "node-a", "node-c"}},
      {"198.51.100.208", {"node-b", "node-a", "node-c"}},
      {"198.51.100.209", {"node-c", "node-b", "node-a"}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.ip) {
      CHECK(speaker::rankNodes(c.ip, {{"node-a", 0}, {"node-b", 0}, {"node-c", 0}}) == c.want);
      CHECK(speaker::rankNodes(c.ip, {{"node-c", 0}, {"node-b", 0}, {"node-a", 0}}) == c.want);
      // A member gone from the mesh: the others keep their relative order.
      std::vector<std::string> without_first(c.want.begin() + 1, c.want.end());
      std::vector<speaker::Candidate> rest;
      for (const auto& n : without_first) {
        rest.push_back({n, 0});
      }
      CHECK(speaker::rankNodes(c.ip, rest) == without_first);
    }
  }
}
