#include "l1net/net/address.hpp"

#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace net = l1net::net;
using l1net::Errc;
using l1net::make_error_code;

namespace {

std::vector<std::string> cidrStrings(const std::vector<net::Cidr>& cidrs) {
  std::vector<std::string> out;
  for (const auto& c : cidrs) {
    out.push_back(c.toString());
  }
  return out;
}

}  // namespace

TEST_CASE("parseIp") {
  struct Case {
    const char* name;
    const char* text;
    bool ok;
    net::Family family;
  };
  const std::vector<Case> cases = {
      {"ipv4", "198.51.100.7", true, net::Family::kV4},
      {"ipv4 .0", "198.51.100.0", true, net::Family::kV4},
      {"ipv4 .255", "198.51.100.255", true, net::Family::kV4},
      {"ipv6", "2001:db8::1", true, net::Family::kV6},
      {"ipv4-mapped stays v6", "::ffff:198.51.100.1", true, net::Family::kV6},
      {"empty", "", false, {}},
      {"octet too big", "198.51.100.256", false, {}},
      {"trailing space", "198.51.100.1 ", false, {}},
      {"zone id", "fe80::1%eth0", false, {}},
      {"garbage", "web", false, {}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = net::parseIp(c.text);
      REQUIRE(got.has_value() == c.ok);
      if (c.ok) {
        CHECK(net::familyOf(*got) == c.family);
      } else {
        CHECK(got.error() == make_error_code(Errc::kInvalidAddress));
      }
    }
  }
}

TEST_CASE("parseCidr") {
  struct Case {
    const char* name;
    const char* text;
    const char* want;  // nullptr = error
    const char* first;
    const char* last;
    const char* size;
  };
  const std::vector<Case> cases = {
      {"v4 /24", "198.51.100.0/24", "198.51.100.0/24", "198.51.100.0", "198.51.100.255", "256"},
      {"v4 host bits cleared", "198.51.100.77/30", "198.51.100.76/30", "198.51.100.76",
       "198.51.100.79", "4"},
      {"v4 /32", "203.0.113.9/32", "203.0.113.9/32", "203.0.113.9", "203.0.113.9", "1"},
      {"v4 /0", "0.0.0.0/0", "0.0.0.0/0", "0.0.0.0", "255.255.255.255", "4294967296"},
      {"v6 /64 counts 2^64", "2001:db8::/64", "2001:db8::/64",
       "2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", "18446744073709551616"},
      {"v6 /128", "2001:db8::200/128", "2001:db8::200/128", "2001:db8::200", "2001:db8::200", "1"},
      {"v6 /0 saturates", "::/0", "::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
       "340282366920938463463374607431768211455"},
      {"prefix too long v4", "198.51.100.0/33", nullptr, "", "", ""},
      {"prefix too long v6", "2001:db8::/129", nullptr, "", "", ""},
      {"no prefix", "198.51.100.0", nullptr, "", "", ""},
      {"empty prefix", "198.51.100.0/", nullptr, "", "", ""},
      {"negative prefix", "198.51.100.0/-1", nullptr, "", "", ""},
      {"bad address", "198.51.100/24", nullptr, "", "", ""},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = net::parseCidr(c.text);
      if (c.want == nullptr) {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == make_error_code(Errc::kInvalidCidr));
        continue;
      }
      REQUIRE(got.has_value());
      CHECK(got->toString() == c.want);
      CHECK(got->first().to_string() == c.first);
      CHECK(got->last().to_string() == c.last);
      CHECK(net::countToString(got->size()) == c.size);
    }
  }
}

TEST_CASE("parseRange") {
  struct Case {
    const char* name;
    const char* text;
    const char* want;
    Errc err;
  };
  const std::vector<Case> cases = {
      {"v4", "198.51.100.220-198.51.100.240", "198.51.100.220-198.51.100.240", {}},
      {"spaces around dash", "198.51.100.1 - 198.51.100.2", "198.51.100.1-198.51.100.2", {}},
      {"single address", "203.0.113.5-203.0.113.5", "203.0.113.5-203.0.113.5", {}},
      {"v6", "2001:db8::10-2001:db8::20", "2001:db8::10-2001:db8::20", {}},
      {"start after end", "198.51.100.9-198.51.100.1", nullptr, Errc::kInvalidRange},
      {"mixed families", "198.51.100.1-2001:db8::1", nullptr, Errc::kFamilyMismatch},
      {"bad address", "198.51.100.1-nope", nullptr, Errc::kInvalidAddress},
      {"no dash", "198.51.100.1", nullptr, Errc::kInvalidRange},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = net::parseRange(c.text);
      if (c.want == nullptr) {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == make_error_code(c.err));
      } else {
        REQUIRE(got.has_value());
        CHECK(got->toString() == c.want);
      }
    }
  }
}

TEST_CASE("summarise a range into the minimal CIDR list") {
  struct Case {
    const char* name;
    const char* range;
    std::vector<std::string> want;
    const char* count;
  };
  const std::vector<Case> cases = {
      // The platform pool's shape (.220-.240 -> /30, /28, /32) in a documentation range; the
      // platform's own pool is checked from config/ by config_test.
      {"platform pool shape",
       "198.51.100.220-198.51.100.240",
       {"198.51.100.220/30", "198.51.100.224/28", "198.51.100.240/32"},
       "21"},
      {"single address", "203.0.113.7-203.0.113.7", {"203.0.113.7/32"}, "1"},
      {"whole /24 incl .0 and .255", "198.51.100.0-198.51.100.255", {"198.51.100.0/24"}, "256"},
      {"across an octet boundary",
       "198.51.100.255-198.51.101.0",
       {"198.51.100.255/32", "198.51.101.0/32"},
       "2"},
      {"whole v4 space", "0.0.0.0-255.255.255.255", {"0.0.0.0/0"}, "4294967296"},
      {"top of v4 space", "255.255.255.254-255.255.255.255", {"255.255.255.254/31"}, "2"},
      {"v6 small",
       "2001:db8::1-2001:db8::6",
       {"2001:db8::1/128", "2001:db8::2/127", "2001:db8::4/127", "2001:db8::6/128"},
       "6"},
      {"v6 /64 as range",
       "2001:db8::-2001:db8::ffff:ffff:ffff:ffff",
       {"2001:db8::/64"},
       "18446744073709551616"},
      {"v6 across 64-bit boundary",
       "2001:db8::ffff:ffff:ffff:ffff-2001:db8:0:1::",
       {"2001:db8::ffff:ffff:ffff:ffff/128", "2001:db8:0:1::/128"},
       "2"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = net::parseRange(c.range);
      REQUIRE(r.has_value());
      const auto cidrs = net::summarise(*r);
      CHECK(cidrStrings(cidrs) == c.want);
      CHECK(net::countToString(r->size()) == c.count);
      net::Uint128 total = 0;
      for (const auto& cidr : cidrs) {
        total += cidr.size();
      }
      CHECK(net::countToString(total) == c.count);
    }
  }
}

TEST_CASE("parsePoolAddresses accepts a CIDR or a range") {
  CHECK(cidrStrings(net::parsePoolAddresses("198.51.100.0/30").value()) ==
        std::vector<std::string>{"198.51.100.0/30"});
  CHECK(cidrStrings(net::parsePoolAddresses(" 198.51.100.1-198.51.100.2 ").value()) ==
        std::vector<std::string>{"198.51.100.1/32", "198.51.100.2/32"});
  CHECK(net::parsePoolAddresses("198.51.100.1").error() == make_error_code(Errc::kInvalidCidr));
  CHECK(net::parsePoolAddresses("198.51.100.9-198.51.100.1").error() ==
        make_error_code(Errc::kInvalidRange));
}

TEST_CASE("iteration and edges") {
  struct Case {
    const char* name;
    const char* ip;
    const char* next;  // nullptr = end of family space
    const char* prev;
  };
  const std::vector<Case> cases = {
      {"v4 .255 rolls into next octet", "198.51.100.255", "198.51.101.0", "198.51.100.254"},
      {"v4 .0", "198.51.100.0", "198.51.100.1", "198.51.99.255"},
      {"v4 last", "255.255.255.255", nullptr, "255.255.255.254"},
      {"v4 first", "0.0.0.0", "0.0.0.1", nullptr},
      {"v6 64-bit carry", "2001:db8::ffff:ffff:ffff:ffff",
       "2001:db8:0:1::", "2001:db8::ffff:ffff:ffff:fffe"},
      {"v6 last", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", nullptr,
       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto ip = net::parseIp(c.ip).value();
      const auto next = net::nextAddress(ip);
      const auto prev = net::previousAddress(ip);
      if (c.next == nullptr) {
        CHECK_FALSE(next.has_value());
      } else {
        REQUIRE(next.has_value());
        CHECK(next->to_string() == c.next);
      }
      if (c.prev == nullptr) {
        CHECK_FALSE(prev.has_value());
      } else {
        REQUIRE(prev.has_value());
        CHECK(prev->to_string() == c.prev);
      }
    }
  }
}

TEST_CASE("buggy IPs, containment, overlap and ordering") {
  CHECK(net::isBuggyIp(net::parseIp("198.51.100.0").value()));
  CHECK(net::isBuggyIp(net::parseIp("198.51.100.255").value()));
  CHECK_FALSE(net::isBuggyIp(net::parseIp("198.51.100.1").value()));
  CHECK_FALSE(net::isBuggyIp(net::parseIp("2001:db8::ff").value()));

  const auto c = net::parseCidr("198.51.100.0/30").value();
  CHECK(c.contains(net::parseIp("198.51.100.3").value()));
  CHECK_FALSE(c.contains(net::parseIp("198.51.100.4").value()));
  CHECK_FALSE(c.contains(net::parseIp("2001:db8::1").value()));

  const auto a = net::parseRange("198.51.100.1-198.51.100.10").value();
  const auto b = net::parseRange("198.51.100.10-198.51.100.20").value();
  const auto d = net::parseRange("198.51.100.11-198.51.100.20").value();
  const auto v6 = net::parseRange("2001:db8::1-2001:db8::a").value();
  CHECK(a.overlaps(b));
  CHECK_FALSE(a.overlaps(d));
  CHECK_FALSE(a.overlaps(v6));

  CHECK(net::compareAddress(net::parseIp("255.255.255.255").value(), net::parseIp("::").value()) ==
        std::strong_ordering::less);
  CHECK(net::compareAddress(net::parseIp("198.51.100.2").value(),
                            net::parseIp("198.51.100.10").value()) == std::strong_ordering::less);
}

TEST_CASE("MAC addresses and solicited-node multicast") {
  struct Case {
    const char* name;
    const char* text;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"colon lower", "02:00:5e:10:00:01", "02:00:5e:10:00:01"},
      {"dash upper", "02-00-5E-10-00-0A", "02:00:5e:10:00:0a"},
      {"too short", "02:00:5e:10:00", nullptr},
      {"mixed separators", "02:00-5e:10:00:01", nullptr},
      {"not hex", "0g:00:5e:10:00:01", nullptr},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = net::parseMac(c.text);
      if (c.want == nullptr) {
        REQUIRE_FALSE(got.has_value());
        CHECK(got.error() == make_error_code(Errc::kInvalidMac));
      } else {
        REQUIRE(got.has_value());
        CHECK(got->toString() == c.want);
      }
    }
  }
  CHECK(net::kBroadcastMac.isBroadcast());
  const auto group = net::solicitedNodeAddress(net::parseIp("2001:db8::1:2:200").value().to_v6());
  CHECK(group.to_string() == "ff02::1:ff02:200");
  CHECK(net::multicastMac(group).toString() == "33:33:ff:02:02:00");
}
