#include "l1net/controller/allocator.hpp"

#include <string>
#include <vector>

#include "l1net/controller/service_request.hpp"
#include "l1net/testing/doctest.hpp"

#include "builders.hpp"

namespace ctl = l1net::controller;
namespace m = l1net::manifest;
namespace net = l1net::net;
using l1net::Errc;

namespace {

ctl::PoolConfig poolOf(const m::IpAddressPool& p) { return ctl::poolConfigFrom(p, {}); }

ctl::ServiceRequest request(ctl::ServiceFamily family = ctl::ServiceFamily::kV4,
                            std::vector<ctl::Port> ports = {{"TCP", 80}},
                            std::string sharing = "") {
  ctl::ServiceRequest r;
  r.ns = "default";
  r.ports = std::move(ports);
  r.sharing_key = std::move(sharing);
  r.family = family;
  r.policy = family == ctl::ServiceFamily::kDual ? m::IpFamilyPolicy::kRequireDualStack
                                                 : m::IpFamilyPolicy::kSingleStack;
  return r;
}

std::string ipText(const ctl::AllocResult& r) {
  std::string out;
  for (const auto& ip : r.ips) {
    out += (out.empty() ? "" : ",") + ip.to_string();
  }
  return r.ok() ? out : "error: " + r.failure->message;
}

net::IpAddress ip(const char* text) { return net::parseIp(text).value(); }

}  // namespace

TEST_CASE("Allocator: freed IPs are reused first-free") {
  struct Case {
    const char* name;
    std::vector<std::string> allocate;  // keys allocated in order
    std::vector<std::string> release;   // then unassigned
    std::string want;                   // next allocation
  };
  const std::vector<Case> cases = {
      {"empty pool", {}, {}, "198.51.100.10"},
      {"after three", {"a", "b", "c"}, {}, "198.51.100.13"},
      {"hole in the middle", {"a", "b", "c"}, {"b"}, "198.51.100.11"},
      {"hole at the start", {"a", "b", "c"}, {"a"}, "198.51.100.10"},
      {"two holes: lowest", {"a", "b", "c", "d"}, {"d", "b"}, "198.51.100.11"},
      {"all released", {"a", "b"}, {"a", "b"}, "198.51.100.10"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      ctl::Allocator alloc;
      alloc.setPools({poolOf(l1net::testing::pool("lan", {"198.51.100.10-198.51.100.30"}))});
      for (const auto& k : c.allocate) {
        REQUIRE(alloc.allocate(k, request()).ok());
      }
      for (const auto& k : c.release) {
        alloc.unassign(k);
        CHECK(alloc.ips(k).empty());
      }
      CHECK(ipText(alloc.allocate("new", request())) == c.want);
    }
  }
}

TEST_CASE("Allocator::assign errors") {
  struct Case {
    const char* name;
    std::vector<std::string> ips;
    Errc want_code;
    std::string want_message;
  };
  const std::vector<Case> cases = {
      {"outside pools",
       {"203.0.113.1"},
       Errc::kUnknownPool,
       "[\"203.0.113.1\"] is not allowed in config"},
      {"more than two",
       {"198.51.100.11", "2001:db8:1::1", "198.51.100.12"},
       Errc::kInvalidArgument,
       "more than two addresses [\"198.51.100.11\" \"2001:db8:1::1\" \"198.51.100.12\"]"},
      {"same family",
       {"198.51.100.11", "198.51.100.12"},
       Errc::kFamilyMismatch,
       "\"198.51.100.11\" \"198.51.100.12\" has the same family"},
      {"held exclusively",
       {"198.51.100.10"},
       Errc::kConflict,
       "can't change sharing key for \"svc\", address also in use by held"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      ctl::Allocator alloc;
      alloc.setPools({poolOf(
          l1net::testing::pool("dual", {"198.51.100.10-198.51.100.30", "2001:db8:1::/64"}))});
      REQUIRE(!alloc.assign("held", request(), {ip("198.51.100.10")}));
      ctl::IpList ips;
      for (const auto& t : c.ips) {
        ips.push_back(ip(t.c_str()));
      }
      const auto err = alloc.assign("svc", request(), ips);
      REQUIRE(err.has_value());
      CHECK(err->code == c.want_code);
      CHECK(err->message == c.want_message);
      CHECK(alloc.ips("svc").empty());
    }
  }
}

TEST_CASE("Allocator::setPools") {
  ctl::Allocator alloc;
  alloc.setPools({poolOf(l1net::testing::pool("lan", {"198.51.100.10-198.51.100.30"})),
                  poolOf(l1net::testing::pool("other", {"203.0.113.0/28"}))});
  REQUIRE(!alloc.assign("ns/a", request(), {ip("198.51.100.10")}));
  REQUIRE(!alloc.assign("ns/b", request(), {ip("203.0.113.1")}));
  const auto changes =
      alloc.setPools({poolOf(l1net::testing::pool("renamed", {"198.51.100.0/24"}))});
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].service == "ns/a");
  CHECK(changes[0].kind == ctl::PoolChange::Kind::kRehomed);
  CHECK(changes[0].from_pool == "lan");
  CHECK(changes[0].to_pool == "renamed");
  CHECK(changes[1].service == "ns/b");
  CHECK(changes[1].kind == ctl::PoolChange::Kind::kCleared);
  CHECK(alloc.pool("ns/a") == "renamed");
  CHECK(alloc.ips("ns/b").empty());
  const auto usage = alloc.usage();
  REQUIRE(usage.size() == 1);
  CHECK(usage[0].inUse() == 1);
  // b's old IP is gone from the books: a new pool holding it hands it out again.
  alloc.setPools({poolOf(l1net::testing::pool("renamed", {"198.51.100.0/24"})),
                  poolOf(l1net::testing::pool("back", {"203.0.113.1/32"}))});
  CHECK(ipText(alloc.allocateFromPool("ns/c", request(), "back")) == "203.0.113.1");
}

TEST_CASE("poolCapacity and usage") {
  struct Case {
    const char* name;
    m::IpAddressPool pool;
    std::string want_total;
  };
  using l1net::testing::pool;
  const std::vector<Case> cases = {
      {"range", pool("p", {"198.51.100.10-198.51.100.30"}), "21"},
      {"/24", pool("p", {"198.51.100.0/24"}), "256"},
      {"/24 avoiding buggy IPs", pool("p", {"198.51.100.0/24"}).avoidBuggy(), "254"},
      {"/23 avoiding buggy IPs", pool("p", {"198.51.100.0/23"}).avoidBuggy(), "508"},
      {"range ending in .255, avoiding", pool("p", {"198.51.100.250-198.51.100.255"}).avoidBuggy(),
       "5"},
      {"single .0, avoiding", pool("p", {"198.51.100.0/32"}).avoidBuggy(), "0"},
      {"IPv6 /64 is exact", pool("p", {"2001:db8:1::/64"}), "18446744073709551616"},
      {"dual", pool("p", {"192.0.2.0/28", "2001:db8:1::/120"}), "272"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      CHECK(net::countToString(ctl::poolCapacity(poolOf(c.pool)).total()) == c.want_total);
    }
  }

  SUBCASE("in use counts shared IPs once, per family") {
    ctl::Allocator alloc;
    alloc.setPools({poolOf(pool("p", {"192.0.2.0/28", "2001:db8:1::/120"}))});
    REQUIRE(alloc.allocate("a", request(ctl::ServiceFamily::kV4, {{"TCP", 80}}, "k")).ok());
    REQUIRE(alloc.allocate("b", request(ctl::ServiceFamily::kV4, {{"TCP", 443}}, "k")).ok());
    REQUIRE(alloc.allocate("c", request(ctl::ServiceFamily::kDual)).ok());
    const auto u = alloc.usage().at(0);
    CHECK(u.in_use_v4 == 2);
    CHECK(u.in_use_v6 == 1);
    CHECK(alloc.ips("a") == alloc.ips("b"));
  }
}

TEST_CASE("Allocator: an IPv6 /64 is never enumerated") {
  ctl::Allocator alloc;
  alloc.setPools({poolOf(l1net::testing::pool("v6", {"2001:db8:1::/64"}))});
  for (int i = 0; i < 10000; ++i) {
    REQUIRE(alloc.allocate("svc" + std::to_string(i), request(ctl::ServiceFamily::kV6)).ok());
  }
  CHECK(alloc.ips("svc9999").at(0).to_string() == "2001:db8:1::270f");
  alloc.unassign("svc5000");
  CHECK(ipText(alloc.allocate("again", request(ctl::ServiceFamily::kV6))) == "2001:db8:1::1388");
  CHECK(alloc.usage().at(0).in_use_v6 == 10000);
}

TEST_CASE("Allocator::allocateAdditionalFamily") {
  ctl::Allocator alloc;
  alloc.setPools({poolOf(l1net::testing::pool("dual", {"192.0.2.0/28", "2001:db8:1::/64"})),
                  poolOf(l1net::testing::pool("v4", {"198.51.100.0/28"}))});
  auto req = request(ctl::ServiceFamily::kV4);
  req.policy = m::IpFamilyPolicy::kPreferDualStack;
  REQUIRE(!alloc.assign("a", req, {ip("192.0.2.5")}));
  const auto added = alloc.allocateAdditionalFamily("a", req, ip("192.0.2.5"), "dual");
  CHECK(ipText(added) == "2001:db8:1::");
  CHECK(alloc.ips("a").size() == 2);

  REQUIRE(!alloc.assign("b", req, {ip("198.51.100.5")}));
  const auto none = alloc.allocateAdditionalFamily("b", req, ip("198.51.100.5"), "v4");
  CHECK(ipText(none) == "error: no available IPs in pool v4 for ipv6 IPFamily");
  CHECK(alloc.ips("b").size() == 1);
}

TEST_CASE("service_request: family derivation") {
  using l1net::testing::svc;
  struct Case {
    const char* name;
    m::Service service;
    ctl::ServiceFamily want_family;
    m::IpFamilyPolicy want_policy;
    net::Family want_primary;
  };
  const auto with_cluster_ips = [](std::vector<std::string> ips) {
    m::Service s = svc("web");
    s.cluster_ips = std::move(ips);
    return s;
  };
  using P = m::IpFamilyPolicy;
  using F = ctl::ServiceFamily;
  const std::vector<Case> cases = {
      {"nothing: IPv4", svc("web"), F::kV4, P::kSingleStack, net::Family::kV4},
      {"clusterIP v6", with_cluster_ips({"2001:db8::1"}), F::kV6, P::kSingleStack,
       net::Family::kV6},
      {"clusterIPs dual", with_cluster_ips({"2001:db8::1", "192.0.2.1"}), F::kDual,
       P::kRequireDualStack, net::Family::kV6},
      {"ipFamilies v6", svc("web").v6(), F::kV6, P::kSingleStack, net::Family::kV6},
      {"PreferDualStack", svc("web").preferDual(), F::kDual, P::kPreferDualStack, net::Family::kV4},
      {"requested v6", svc("web").lbIp("2001:db8::9"), F::kV6, P::kSingleStack, net::Family::kV6},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto f = ctl::serviceFamily(c.service);
      CHECK_FALSE(f.error.has_value());
      CHECK(f.family == c.want_family);
      CHECK(f.policy == c.want_policy);
      CHECK(f.primary == c.want_primary);
    }
  }
  SUBCASE("malformed clusterIPs") {
    const auto f = ctl::serviceFamily(with_cluster_ips({"nope"}));
    REQUIRE(f.error.has_value());
    CHECK(*f.error == "IPFamilyForAddresses: Invalid address [\"nope\"]");
  }
  SUBCASE("backend key is the selector for ETP=Local only") {
    CHECK(ctl::backendKey(svc("web")).empty());
    m::Service local = svc("web").local("app1");
    local.selector["tier"] = "fe";
    CHECK(ctl::backendKey(local) == "app=app1,tier=fe");
  }
}
