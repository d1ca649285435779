// ResponderTable: the immutable IP -> counters table one interface's responder reads.
#include "l1net/speaker/responder_table.hpp"

#include <memory>
#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace l1net::speaker {
namespace {

net::IpAddress ip(const char* text) { return net::parseIp(text).value(); }

TEST_CASE("ResponderTable::find") {
  struct Case {
    const char* name;
    std::vector<const char*> owned;
    const char* asked;
    bool want;
  };
  const std::vector<Case> cases = {
      {"empty table owns nothing", {}, "198.51.100.200", false},
      {"the only IP", {"198.51.100.200"}, "198.51.100.200", true},
      {"neighbour of an owned IP", {"198.51.100.200"}, "198.51.100.201", false},
      {"unsorted input, first", {"203.0.113.9", "192.0.2.1", "2001:db8::1"}, "203.0.113.9", true},
      {"unsorted input, middle", {"203.0.113.9", "192.0.2.1", "2001:db8::1"}, "192.0.2.1", true},
      {"IPv6", {"203.0.113.9", "2001:db8::1"}, "2001:db8::1", true},
      {"IPv4-mapped form is another address", {"192.0.2.1"}, "::ffff:192.0.2.1", false},
      {"repeated IP kept once", {"192.0.2.1", "192.0.2.1"}, "192.0.2.1", true},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      std::vector<ResponderTable::Entry> entries;
      for (const auto* o : c.owned) {
        entries.push_back({.ip = ip(o), .counters = std::make_shared<IpCounters>()});
      }
      const ResponderTable t(net::parseMac("02:00:00:00:0a:01").value(), "eth0", entries);
      CHECK(t.owns(ip(c.asked)) == c.want);
      CHECK((t.find(ip(c.asked)) != nullptr) == c.want);
      CHECK(t.size() <= c.owned.size());
      CHECK(t.name() == "eth0");
    }
  }
}

TEST_CASE("ResponderTable shares counters with the tables that follow it") {
  auto counters = std::make_shared<IpCounters>();
  const auto mac = net::parseMac("02:00:00:00:0a:01").value();
  const ResponderTable before(mac, "eth0", {{.ip = ip("192.0.2.1"), .counters = counters}});
  before.find(ip("192.0.2.1"))->bump(before.find(ip("192.0.2.1"))->requests_received);
  const ResponderTable after(mac, "eth0",
                             {{.ip = ip("192.0.2.1"), .counters = counters},
                              {.ip = ip("192.0.2.2"), .counters = std::make_shared<IpCounters>()}});
  auto* c = after.find(ip("192.0.2.1"));
  REQUIRE(c != nullptr);
  CHECK(c->requests_received.load() == 1);
  c->bump(c->responses_sent);
  CHECK(counters->responses_sent.load() == 1);
  CHECK(after.find(ip("192.0.2.2"))->requests_received.load() == 0);
}

}  // namespace
}  // namespace l1net::speaker
