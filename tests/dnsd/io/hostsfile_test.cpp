#include "l1net/dnsd/providers/hostsfile.hpp"

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_until.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace asio = boost::asio;
namespace dnsd = l1net::dnsd;
using dnsd::Record;
using dnsd::RecordType;
using namespace std::chrono_literals;

namespace {

template <class T>
T runCoro(asio::io_context& ioc, asio::awaitable<T> aw) {
  std::optional<T> out;
  ioc.restart();  // nothing else keeps this io_context busy between calls
  asio::co_spawn(ioc, std::move(aw),
                 [&](const std::exception_ptr&, T v) { out.emplace(std::move(v)); });
  REQUIRE(l1net::testing::runUntil(
      ioc, [&] { return out.has_value(); }, 10s));
  return std::move(*out);
}

Record a(const std::string& name, const std::string& ip) {
  return Record{RecordType::kA, name, ip, {}};
}

}  // namespace

TEST_CASE(
    "hosts file block: render keeps everything outside, parse finds records and foreign names") {
  const std::string outside =
      "127.0.0.1 localhost\n# a comment\n192.0.2.50 manual.example.com alias.example.com\n";
  const auto text = dnsd::renderHostsFile(
      outside, {a("a.example.com", "192.0.2.7"),
                Record{RecordType::kAAAA, "a.example.com", "2001:db8::7", {}}});
  CHECK(text.rfind(outside, 0) == 0);
  CHECK(text.find("# BEGIN l1net-dnsd") != std::string::npos);
  CHECK(text.find("192.0.2.7 a.example.com\n2001:db8::7 a.example.com\n# END l1net-dnsd\n") !=
        std::string::npos);
  const auto st = dnsd::parseHostsFile(text);
  REQUIRE(st.records.size() == 2);
  CHECK(st.records[0] == a("a.example.com", "192.0.2.7"));
  CHECK(st.foreign_names ==
        std::set<std::string>{"localhost", "manual.example.com", "alias.example.com"});
  // Re-rendering replaces the block in place, once.
  const auto again = dnsd::renderHostsFile(text + "198.51.100.1 after.example.com\n", {});
  CHECK(again.find("192.0.2.7") == std::string::npos);
  CHECK(again.find("after.example.com") != std::string::npos);
  CHECK(again.find("# BEGIN") == again.rfind("# BEGIN"));
}

TEST_CASE("HostsFileProvider apply: atomic rewrite, CNAME refused per record, pid file") {
  asio::io_context ioc;
  l1net::testing::TempDir dir;
  const auto path = dir.write("hosts", "192.0.2.50 manual.example.com\n");
  dnsd::HostsFileProvider p({.path = path, .dnsmasq_pid_file = dir.file("missing.pid")},
                            l1net::testing::quietLogger());
  dnsd::Plan plan;
  plan.creates = {a("a.example.com", "192.0.2.7"),
                  Record{RecordType::kCNAME, "w.example.com", "a.example.com", {}}};
  const auto res = runCoro(ioc, p.apply(plan));
  CHECK(res.created.size() == 1);
  REQUIRE(res.failed.size() == 1);
  CHECK(res.failed[0].second == "hosts files cannot hold CNAME records");
  const auto text = l1net::testing::readFile(path);
  CHECK(text.rfind("192.0.2.50 manual.example.com\n", 0) == 0);
  CHECK(text.find("192.0.2.7 a.example.com") != std::string::npos);
  std::string why;
  const auto st = runCoro(ioc, p.read(&why));
  REQUIRE(st.has_value());
  CHECK(st->records.size() == 1);
  dnsd::Plan del;
  del.deletes = {a("a.example.com", "192.0.2.7")};
  CHECK(runCoro(ioc, p.apply(del)).ok());
  CHECK(l1net::testing::readFile(path).find("192.0.2.7") == std::string::npos);
}
