#include "l1net/speaker/announcements.hpp"

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/make_link.hpp"

namespace l1net::speaker {
namespace {

using testing::makeLink;

net::IpAddress ip(const char* text) { return net::parseIp(text).value(); }

AnnounceEntry entry(const char* address, const char* service,
                    std::vector<std::string> interfaces = {}) {
  return {.ip = ip(address),
          .service = service,
          .pool = "p",
          .reason = AnnounceReason::kAnnounced,
          .owner = "n1",
          .interfaces = std::move(interfaces)};
}

const std::vector<Link> kLinks = {makeLink(2, "eth0", "02:00:00:00:00:01", {"192.0.2.10/24"}),
                                  makeLink(3, "eth1", "02:00:00:00:00:02", {"198.51.100.10/24"}),
                                  makeLink(4, "eth2", "02:00:00:00:00:03", {"2001:db8::10/64"})};

std::vector<std::string> strings(const std::vector<net::IpAddress>& ips) {
  std::vector<std::string> out;
  for (const auto& i : ips) {
    out.push_back(i.to_string());
  }
  return out;
}

TEST_CASE("diffAnnouncements: next set and per-port changes") {
  const InterfaceFilter filter(std::vector<std::string>{});
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(100));
  const auto t1 = t0 + std::chrono::seconds(5);
  struct Case {
    const char* name;
    std::vector<AnnounceEntry> before;
    std::vector<AnnounceEntry> after;
    std::vector<std::string> want_placed;
    std::vector<std::string> want_withdrawn;
    std::vector<int> want_close;
    // ifindex -> {gained, lost}
    std::map<int, std::pair<std::vector<std::string>, std::vector<std::string>>> want_ports;
    std::vector<std::string> want_join;   // on any port
    std::vector<std::string> want_leave;  // on any port
  };
  const std::vector<Case> cases = {
      {"first IP on its subnet's interface",
       {},
       {entry("192.0.2.200", "ns/a")},
       {"192.0.2.200"},
       {},
       {},
       {{2, {{"192.0.2.200"}, {}}}},
       {},
       {}},
      {"unchanged set: nothing to do",
       {entry("192.0.2.200", "ns/a")},
       {entry("192.0.2.200", "ns/a")},
       {},
       {},
       {},
       {{2, {{}, {}}}},
       {},
       {}},
      {"IP withdrawn: its only port closes",
       {entry("192.0.2.200", "ns/a")},
       {},
       {},
       {"192.0.2.200"},
       {2},
       {},
       {},
       {}},
      {"IP moves with its restriction",
       {entry("203.0.113.5", "ns/a", {"eth0"})},
       {entry("203.0.113.5", "ns/a", {"eth1"})},
       {"203.0.113.5"},
       {},
       {2},
       {{3, {{"203.0.113.5"}, {}}}},
       {},
       {}},
      {"one ad without interfaces = every usable interface",
       {},
       {entry("203.0.113.5", "ns/a", {"eth0"}), entry("203.0.113.5", "ns/b")},
       {"203.0.113.5"},
       {},
       {},
       {{2, {{"203.0.113.5"}, {}}}, {3, {{"203.0.113.5"}, {}}}, {4, {{"203.0.113.5"}, {}}}},
       {},
       {}},
      {"IPv6 gain joins its solicited-node group once",
       {},
       {entry("2001:db8::5", "ns/a"), entry("2001:db8::1:0:0:5", "ns/b")},
       {"2001:db8::5", "2001:db8::1:0:0:5"},
       {},
       {},
       {{4, {{"2001:db8::5", "2001:db8::1:0:0:5"}, {}}}},
       {"ff02::1:ff00:5"},
       {}},
      {"group left only when no IP needs it",
       {entry("2001:db8::5", "ns/a"), entry("2001:db8::1:0:0:5", "ns/b"),
        entry("2001:db8::7", "ns/c")},
       {entry("2001:db8::5", "ns/a")},
       {},
       {"2001:db8::7", "2001:db8::1:0:0:5"},
       {},
       {{4, {{}, {"2001:db8::7", "2001:db8::1:0:0:5"}}}},
       {},
       {"ff02::1:ff00:7"}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto prev = diffAnnouncements({}, c.before, kLinks, filter, true, t0).next;
      const auto d = diffAnnouncements(prev, c.after, kLinks, filter, true, t1);
      CHECK(strings(d.placed) == c.want_placed);
      CHECK(strings(d.withdrawn) == c.want_withdrawn);
      CHECK(d.close == c.want_close);
      std::map<int, std::pair<std::vector<std::string>, std::vector<std::string>>> ports;
      std::vector<std::string> join;
      std::vector<std::string> leave;
      for (const auto& p : d.ports) {
        ports[p.ifindex] = {strings(p.gained), strings(p.lost)};
        for (const auto& g : p.join) {
          join.push_back(g.to_string());
        }
        for (const auto& g : p.leave) {
          leave.push_back(g.to_string());
        }
      }
      CHECK(ports == c.want_ports);
      CHECK(join == c.want_join);
      CHECK(leave == c.want_leave);
      for (const auto& [address, a] : d.next) {
        CHECK(a.since == (prev.contains(address) ? t0 : t1));  // kept while announced
      }
    }
  }
}

TEST_CASE("diffAnnouncements: a new port carries every IP and group") {
  const InterfaceFilter filter(std::vector<std::string>{});
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1));
  const auto d =
      diffAnnouncements({}, {entry("2001:db8::5", "ns/a"), entry("2001:db8::9", "ns/b", {"eth2"})},
                        kLinks, filter, true, now);
  REQUIRE(d.ports.size() == 1);
  CHECK(strings(d.ports[0].ips) == std::vector<std::string>{"2001:db8::5", "2001:db8::9"});
  CHECK(d.ports[0].groups.size() == 2);
  CHECK(d.next.at(ip("2001:db8::9")).restriction == std::vector<std::string>{"eth2"});
  CHECK(d.next.at(ip("2001:db8::5")).services == std::set<std::string>{"ns/a"});
}

TEST_CASE("diffAnnouncements: rejected restriction names are reported on change only") {
  const InterfaceFilter filter(std::vector<std::string>{});
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1));
  const std::vector<AnnounceEntry> want = {entry("192.0.2.7", "ns/a", {"eth0", "nope"})};
  const auto first = diffAnnouncements({}, want, kLinks, filter, true, now);
  CHECK(strings(first.rejected) == std::vector<std::string>{"192.0.2.7"});
  const auto again = diffAnnouncements(first.next, want, kLinks, filter, true, now);
  CHECK(again.rejected.empty());
}

}  // namespace
}  // namespace l1net::speaker
