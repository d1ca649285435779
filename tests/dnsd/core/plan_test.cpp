#include "l1net/dnsd/plan.hpp"

#include <set>
#include <string>
#include <vector>

#include "l1net/dnsd/ledger.hpp"
#include "l1net/dnsd/verify.hpp"
#include "l1net/testing/doctest.hpp"

namespace dnsd = l1net::dnsd;
using dnsd::Policy;
using dnsd::Record;
using dnsd::RecordType;

namespace {

Record a(const std::string& name, const std::string& ip) {
  return Record{RecordType::kA, name, ip, {}};
}
Record cname(const std::string& name, const std::string& target) {
  return Record{RecordType::kCNAME, name, target, {}};
}

std::vector<std::string> show(const std::vector<Record>& v) {
  std::vector<std::string> out;
  for (const auto& r : v) {
    out.push_back(dnsd::describe(r));
  }
  return out;
}

}  // namespace

TEST_CASE("DomainFilter") {
  struct Case {
    const char* name;
    std::vector<std::string> include;
    std::vector<std::string> exclude;
    const char* host;
    bool want;
  };
  const std::vector<Case> cases = {
      {"no filter matches all", {}, {}, "x.example.org", true},
      {"exact domain", {"example.com"}, {}, "example.com", true},
      {"subdomain", {"example.com"}, {}, "a.b.example.com", true},
      {"not on a label boundary", {"example.com"}, {}, "badexample.com", false},
      {"leading dot: subdomains only", {".example.com"}, {}, "example.com", false},
      {"leading dot: subdomain matches", {".example.com"}, {}, "a.example.com", true},
      {"case and trailing dot ignored", {"Example.COM."}, {}, "A.example.com.", true},
      {"exclusion wins", {"example.com"}, {"lab.example.com"}, "x.lab.example.com", false},
      {"exclusion alone", {}, {"lab.example.com"}, "www.example.com", true},
      {"second include", {"example.org", "example.com"}, {}, "a.example.com", true},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(dnsd::DomainFilter(c.include, c.exclude).matches(c.host) == c.want); }
  }
}

TEST_CASE("planChanges") {
  struct Case {
    const char* name;
    std::vector<Record> desired;
    std::vector<Record> current;
    std::vector<Record> owned;
    Policy policy;
    bool adopt;
    std::vector<std::string> want_deletes;
    std::vector<std::string> want_creates;
    std::size_t want_foreign;
    std::size_t want_issues;
  };
  const auto x7 = a("x.example.com", "192.0.2.7");
  const auto x8 = a("x.example.com", "192.0.2.8");
  const auto y7 = a("y.example.com", "192.0.2.7");
  const std::vector<Case> cases = {
      {"create missing",
       {x7},
       {},
       {},
       Policy::kSync,
       false,
       {},
       {"A x.example.com 192.0.2.7"},
       0,
       0},
      {"in sync: nothing", {x7}, {x7}, {x7}, Policy::kSync, false, {}, {}, 0, 0},
      {"order-insensitive targets: nothing",
       {x8, x7},
       {x7, x8},
       {x7, x8},
       Policy::kSync,
       false,
       {},
       {},
       0,
       0},
      {"update = delete old, create new",
       {x8},
       {x7},
       {x7},
       Policy::kSync,
       false,
       {"A x.example.com 192.0.2.7"},
       {"A x.example.com 192.0.2.8"},
       0,
       0},
      {"sync deletes owned records no longer desired",
       {},
       {x7},
       {x7},
       Policy::kSync,
       false,
       {"A x.example.com 192.0.2.7"},
       {},
       0,
       0},
      {"sync never deletes foreign records", {}, {x7}, {}, Policy::kSync, false, {}, {}, 0, 0},
      {"upsert-only keeps owned records of names no longer desired",
       {},
       {x7},
       {x7},
       Policy::kUpsertOnly,
       false,
       {},
       {},
       0,
       0},
      {"upsert-only updates",
       {x8},
       {x7},
       {x7},
       Policy::kUpsertOnly,
       false,
       {"A x.example.com 192.0.2.7"},
       {"A x.example.com 192.0.2.8"},
       0,
       0},
      {"create-only does not touch a name that has records",
       {x8},
       {x7},
       {x7},
       Policy::kCreateOnly,
       false,
       {},
       {},
       0,
       0},
      {"create-only creates new names",
       {y7},
       {x7},
       {x7},
       Policy::kCreateOnly,
       false,
       {},
       {"A y.example.com 192.0.2.7"},
       0,
       0},
      {"foreign exact match: left alone, counted",
       {x7},
       {x7},
       {},
       Policy::kSync,
       false,
       {},
       {},
       1,
       0},
      {"foreign record on a desired name: name not written",
       {x8},
       {x7},
       {},
       Policy::kSync,
       false,
       {},
       {},
       1,
       1},
      {"foreign name blocks every policy",
       {x8},
       {x7},
       {},
       Policy::kUpsertOnly,
       false,
       {},
       {},
       1,
       1},
      {"owned record deleted behind our back is recreated",
       {x7},
       {},
       {x7},
       Policy::kSync,
       false,
       {},
       {"A x.example.com 192.0.2.7"},
       0,
       0},
      {"CNAME ttl change: delete and create",
       {Record{RecordType::kCNAME, "w.example.com", "x.example.com", 300}},
       {cname("w.example.com", "x.example.com")},
       {cname("w.example.com", "x.example.com")},
       Policy::kSync,
       false,
       {"CNAME w.example.com x.example.com"},
       {"CNAME w.example.com x.example.com ttl=300"},
       0,
       0},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      dnsd::PlanInput in{.desired = c.desired,
                         .current = c.current,
                         .owned = {c.owned.begin(), c.owned.end()},
                         .policy = c.policy,
                         .adopt = c.adopt};
      const auto p = dnsd::planChanges(in);
      CHECK(show(p.deletes) == c.want_deletes);
      CHECK(show(p.creates) == c.want_creates);
      CHECK(p.foreign_skipped == c.want_foreign);
      CHECK(p.issues.size() == c.want_issues);
    }
  }
}

TEST_CASE("planChanges: adopt, forget, filter, multi-name entries") {
  const auto x7 = a("x.example.com", "192.0.2.7");
  SUBCASE("--adopt takes over an exact match without a call") {
    const auto p = dnsd::planChanges({.desired = {x7}, .current = {x7}, .adopt = true});
    CHECK(p.empty());
    CHECK(show(p.adopted) == std::vector<std::string>{"A x.example.com 192.0.2.7"});
    CHECK(p.foreign_skipped == 0);
  }
  SUBCASE("--adopt does not take over a non-matching record") {
    const auto p = dnsd::planChanges(
        {.desired = {x7}, .current = {a("x.example.com", "192.0.2.9")}, .adopt = true});
    CHECK(p.empty());
    CHECK(p.adopted.empty());
    CHECK(p.issues.size() == 1);
  }
  SUBCASE("ledger record gone and not desired is forgotten") {
    const auto p = dnsd::planChanges({.owned = {x7}});
    CHECK(show(p.forget) == std::vector<std::string>{"A x.example.com 192.0.2.7"});
  }
  SUBCASE("names outside the filter are never touched") {
    const auto p = dnsd::planChanges({.desired = {a("a.other.org", "192.0.2.1")},
                                      .current = {x7},
                                      .owned = {x7},
                                      .filter = dnsd::DomainFilter({"other.org"}, {})});
    CHECK(p.deletes.empty());
    CHECK(show(p.creates) == std::vector<std::string>{"A a.other.org 192.0.2.1"});
  }
  SUBCASE("a multi-name entry makes its names foreign") {
    const auto p = dnsd::planChanges({.desired = {x7}, .foreign_names = {"x.example.com"}});
    CHECK(p.creates.empty());
    CHECK(p.issues.size() == 1);
  }
  SUBCASE("parsePolicy") {
    Policy pol{};
    CHECK(dnsd::parsePolicy("upsert-only", pol));
    CHECK(pol == Policy::kUpsertOnly);
    CHECK_FALSE(dnsd::parsePolicy("delete-all", pol));
  }
}

TEST_CASE("Ledger round trip and errors") {
  dnsd::Ledger l;
  l.instances["pihole http://192.0.2.10"] = {
      a("x.example.com", "192.0.2.7"),
      Record{RecordType::kCNAME, "w.example.com", "x.example.com", 60}};
  l.instances["pihole http://192.0.2.11"] = {};
  const auto text = dnsd::renderLedger(l);
  const auto back = dnsd::parseLedger(text);
  REQUIRE(back.error.empty());
  CHECK(back.ledger == l);
  CHECK(dnsd::parseLedger("").error.empty());
  struct Case {
    const char* name;
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"not json", "{", "not JSON"},
      {"no version", R"({"instances":{}})", "version"},
      {"bad type", R"({"version":1,"instances":{"p":[{"type":"MX","name":"a","target":"b"}]}})",
       "instances.\"p\"[0].type"},
      {"empty name", R"({"version":1,"instances":{"p":[{"type":"A","name":"","target":"b"}]}})",
       "instances.\"p\"[0].name"},
      {"bad ttl",
       R"({"version":1,"instances":{"p":[{"type":"CNAME","name":"a","target":"b","ttl":0}]}})",
       "instances.\"p\"[0].ttl"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = dnsd::parseLedger(c.text);
      CHECK(r.error.find(c.want) != std::string::npos);
    }
  }
}

TEST_CASE("verifyQueries and compareAnswer") {
  const std::vector<Record> desired = {
      a("x.example.com", "192.0.2.8"), a("x.example.com", "192.0.2.7"),
      Record{RecordType::kAAAA, "x.example.com", "2001:db8::7", {}},
      a("y.example.com", "192.0.2.9")};
  const auto qs = dnsd::verifyQueries(desired, {"x.example.com", "gone.example.com"});
  REQUIRE(qs.size() == 3);
  CHECK(qs[0].name == "x.example.com");
  CHECK(qs[0].want == std::vector<std::string>{"192.0.2.7", "192.0.2.8"});
  CHECK(dnsd::toString(qs[1].type) == "AAAA");
  CHECK(qs[2].name == "gone.example.com");
  CHECK(qs[2].want.empty());
  CHECK_FALSE(dnsd::compareAnswer(qs[0], {"192.0.2.8", "192.0.2.7"}).has_value());
  CHECK(dnsd::compareAnswer(qs[0], {"192.0.2.7"}).value() ==
        "A x.example.com: want 192.0.2.7,192.0.2.8, got 192.0.2.7");
  CHECK(dnsd::compareAnswer(qs[2], {"192.0.2.1"}).has_value());
  CHECK_FALSE(dnsd::compareAnswer(qs[2], {}).has_value());
}

TEST_CASE("planChanges: a foreign record is never deleted or shadowed, under every policy") {
  // Each situation a foreign record can be in, crossed with every policy and --adopt off/on:
  // no plan ever deletes a record outside the ledger, and no create lands on a name whose record
  // is foreign (only --adopt of an exact match changes ownership, without a call).
  const auto x7 = a("x.example.com", "192.0.2.7");
  const auto x8 = a("x.example.com", "192.0.2.8");
  const auto y7 = a("y.example.com", "192.0.2.7");
  const auto w = cname("w.example.com", "x.example.com");
  struct Situation {
    const char* name;
    std::vector<Record> desired;
    std::vector<Record> current;  // everything here is foreign (the ledger is empty)
    std::set<std::string> foreign_names;
  };
  const std::vector<Situation> situations = {
      {"exact match of a desired record", {x7}, {x7}, {}},
      {"another target on a desired name", {x8}, {x7}, {}},
      {"a name no longer desired", {}, {x7, y7}, {}},
      {"a CNAME on a desired name", {x7}, {cname("x.example.com", "lb.example.net")}, {}},
      {"an A record where a CNAME is desired", {w}, {a("w.example.com", "192.0.2.1")}, {}},
      {"a multi-name entry", {x7}, {}, {"x.example.com"}},
  };
  for (const auto policy : {Policy::kSync, Policy::kUpsertOnly, Policy::kCreateOnly}) {
    for (const bool adopt : {false, true}) {
      for (const auto& s : situations) {
        CAPTURE(s.name);
        CAPTURE(static_cast<int>(policy));
        CAPTURE(adopt);
        const auto p = dnsd::planChanges({.desired = s.desired,
                                          .current = s.current,
                                          .foreign_names = s.foreign_names,
                                          .policy = policy,
                                          .adopt = adopt});
        CHECK(p.deletes.empty());
        std::set<std::string> foreign = s.foreign_names;
        for (const auto& r : s.current) {
          foreign.insert(r.name);
        }
        for (const auto& r : p.creates) {
          CHECK_MESSAGE(!foreign.contains(r.name), dnsd::describe(r));
        }
        if (!adopt) {
          CHECK(p.adopted.empty());
        }
      }
    }
  }
}
