#include "l1net/dnsd/sources.hpp"

#include <string>
#include <vector>

#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"

namespace dnsd = l1net::dnsd;
namespace manifest = l1net::manifest;
using dnsd::RecordType;

namespace {

manifest::ManifestSet load(const std::string& yaml) {
  auto r = manifest::loadManifestText(yaml, "t.yaml");
  std::string text;
  for (const auto& d : r.errors) {
    text += d.format() + "\n";
  }
  INFO(text);
  REQUIRE(r.ok());
  return r.set;
}

std::string svc(const std::string& name, const std::string& annotations,
                const std::string& ingress) {
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
         "\n  namespace: ns\n  annotations:\n" + annotations +
         "spec:\n  type: LoadBalancer\n  ports: [{port: 80}]\nstatus:\n  loadBalancer:\n    "
         "ingress:\n" +
         ingress + "---\n";
}

std::vector<std::string> show(const dnsd::DesiredRecords& d) {
  std::vector<std::string> out;
  for (const auto& r : d.records) {
    out.push_back(dnsd::describe(r));
  }
  return out;
}

}  // namespace

TEST_CASE("desiredRecords from Services") {
  struct Case {
    const char* name;
    std::string yaml;
    std::vector<std::string> want;
    std::size_t errors;
    std::size_t warnings;
  };
  const std::string ip7 = "    - ip: 192.0.2.7\n";
  const std::vector<Case> cases = {
      {"hostname list: trimmed, trailing dot, lower-cased",
       svc("a", "    external-dns.kubernetes.io/hostname: \" A.example.com. , b.example.com\"\n",
           ip7),
       {"A a.example.com 192.0.2.7", "A b.example.com 192.0.2.7"},
       0,
       0},
      {"alpha prefix",
       svc("a", "    external-dns.alpha.kubernetes.io/hostname: a.example.com\n", ip7),
       {"A a.example.com 192.0.2.7"},
       0,
       0},
      {"no hostname annotation: nothing", svc("a", "    other: x\n", ip7), {}, 0, 0},
      {"dual stack ingress: A and AAAA",
       svc("a", "    external-dns.kubernetes.io/hostname: a.example.com\n",
           ip7 + "    - ip: 2001:db8::7\n"),
       {"A a.example.com 192.0.2.7", "AAAA a.example.com 2001:db8::7"},
       0,
       0},
      {"::ffff: mapped address publishes the IPv4 address",
       svc("a", "    external-dns.kubernetes.io/hostname: a.example.com\n",
           "    - ip: ::ffff:192.0.2.9\n"),
       {"A a.example.com 192.0.2.9"},
       0,
       0},
      {"target annotation overrides: IPv4, IPv6, name",
       svc("a",
           "    external-dns.kubernetes.io/hostname: a.example.com\n"
           "    external-dns.kubernetes.io/target: 198.51.100.1, 2001:db8::1\n",
           ip7),
       {"A a.example.com 198.51.100.1", "AAAA a.example.com 2001:db8::1"},
       0,
       0},
      {"target annotation with a name: CNAME with ttl",
       svc("a",
           "    external-dns.kubernetes.io/hostname: www.example.com\n"
           "    external-dns.kubernetes.io/target: Lb.Example.com.\n"
           "    external-dns.kubernetes.io/ttl: 5m\n",
           ip7),
       {"CNAME www.example.com lb.example.com ttl=300"},
       0,
       0},
      {"ingress hostname: CNAME",
       svc("a", "    external-dns.kubernetes.io/hostname: a.example.com\n",
           "    - hostname: lb.example.net\n"),
       {"CNAME a.example.com lb.example.net"},
       0,
       0},
      {"controller annotation other than dns-controller: skipped",
       svc("a",
           "    external-dns.kubernetes.io/hostname: a.example.com\n"
           "    external-dns.kubernetes.io/controller: someone-else\n",
           ip7),
       {},
       0,
       0},
      {"controller dns-controller: kept",
       svc("a",
           "    external-dns.kubernetes.io/hostname: a.example.com\n"
           "    external-dns.kubernetes.io/controller: dns-controller\n",
           ip7),
       {"A a.example.com 192.0.2.7"},
       0,
       0},
      {"bad ttl ignored with a warning",
       svc("a",
           "    external-dns.kubernetes.io/hostname: a.example.com\n"
           "    external-dns.kubernetes.io/ttl: forever\n",
           ip7),
       {"A a.example.com 192.0.2.7"},
       0,
       1},
      {"wildcard name: error for that name only",
       svc("a", "    external-dns.kubernetes.io/hostname: \"*.example.com,ok.example.com\"\n", ip7),
       {"A ok.example.com 192.0.2.7"},
       1,
       0},
      {"CNAME with several targets: error for that name only",
       svc("a",
           "    external-dns.kubernetes.io/hostname: \"multi.example.com\"\n"
           "    external-dns.kubernetes.io/target: \"x.example.net,y.example.net\"\n",
           ip7) +
           svc("b", "    external-dns.kubernetes.io/hostname: fine.example.com\n", ip7),
       {"A fine.example.com 192.0.2.7"},
       1,
       0},
      {"CNAME and A for one name: the CNAME is dropped",
       svc("a", "    external-dns.kubernetes.io/hostname: both.example.com\n", ip7) +
           svc("b", "    external-dns.kubernetes.io/hostname: both.example.com\n",
               "    - hostname: lb.example.net\n"),
       {"A both.example.com 192.0.2.7"},
       0,
       1},
      {"two Services, one name: targets merged",
       svc("a", "    external-dns.kubernetes.io/hostname: rr.example.com\n", ip7) +
           svc("b", "    external-dns.kubernetes.io/hostname: rr.example.com\n",
               "    - ip: 192.0.2.8\n"),
       {"A rr.example.com 192.0.2.7", "A rr.example.com 192.0.2.8"},
       0,
       0},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto d = dnsd::desiredRecords(load(c.yaml), {});
      CHECK(show(d) == c.want);
      std::size_t errors = 0;
      std::size_t warnings = 0;
      for (const auto& i : d.issues) {
        (i.severity == dnsd::Issue::Severity::kError ? errors : warnings)++;
      }
      CHECK(errors == c.errors);
      CHECK(warnings == c.warnings);
    }
  }
}

TEST_CASE("desiredRecords: ClusterIP Services are ignored; announced filter") {
  const auto set = load(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: c\n  namespace: ns\n  annotations:\n"
      "    external-dns.kubernetes.io/hostname: c.example.com\nspec:\n  ports: [{port: "
      "80}]\n---\n" +
      svc("a", "    external-dns.kubernetes.io/hostname: a.example.com\n",
          "    - ip: 192.0.2.7\n    - ip: 192.0.2.8\n"));
  CHECK(show(dnsd::desiredRecords(set, {})) ==
        std::vector<std::string>{"A a.example.com 192.0.2.7", "A a.example.com 192.0.2.8"});
  dnsd::SourceOptions only8;
  only8.announced = std::set<std::string>{"192.0.2.8"};
  CHECK(show(dnsd::desiredRecords(set, only8)) ==
        std::vector<std::string>{"A a.example.com 192.0.2.8"});
  only8.announced = std::set<std::string>{};
  CHECK(dnsd::desiredRecords(set, only8).records.empty());
}

TEST_CASE("desiredRecords from Ingresses") {
  const std::string base =
      "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: ns\n"
      "  annotations:\n    external-dns.kubernetes.io/hostname: extra.example.com\n";
  const std::string spec =
      "spec:\n  rules:\n  - host: rule.example.com\n  tls:\n  - hosts: [tls.example.com]\n"
      "status:\n  loadBalancer:\n    ingress:\n    - ip: 192.0.2.20\n";
  struct Case {
    const char* name;
    std::string source;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"rules, tls and annotation",
       "",
       {"A extra.example.com 192.0.2.20", "A rule.example.com 192.0.2.20",
        "A tls.example.com 192.0.2.20"}},
      {"defined-hosts-only",
       "    external-dns.kubernetes.io/ingress-hostname-source: defined-hosts-only\n",
       {"A rule.example.com 192.0.2.20", "A tls.example.com 192.0.2.20"}},
      {"annotation-only",
       "    external-dns.kubernetes.io/ingress-hostname-source: annotation-only\n",
       {"A extra.example.com 192.0.2.20"}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      CHECK(show(dnsd::desiredRecords(load(base + c.source + spec), {})) == c.want);
    }
  }
}

TEST_CASE("mergeControllerState takes ingress from the state") {
  auto manifests = load(svc("a", "    external-dns.kubernetes.io/hostname: a.example.com\n",
                            "    - ip: 203.0.113.99\n"));
  const auto state = load(svc("a", "    x: y\n", "    - ip: 192.0.2.7\n") +
                          svc("only-in-state", "    x: y\n", "    - ip: 192.0.2.8\n"));
  const auto merged = dnsd::mergeControllerState(manifests, state.services);
  CHECK(show(dnsd::desiredRecords(merged, {})) ==
        std::vector<std::string>{"A a.example.com 192.0.2.7"});
  CHECK(dnsd::announcedIps(state.services) == std::set<std::string>{"192.0.2.7", "192.0.2.8"});
}

TEST_CASE("parseTtl: integer seconds or Go duration, 1..2^31-1") {
  struct Case {
    const char* in;
    std::optional<std::uint32_t> want;
  };
  const Case cases[] = {
      {"60", 60},
      {"1", 1},
      {"2147483647", 2147483647U},
      {"2147483648", {}},
      {"0", {}},
      {"-5", {}},
      {"1h30m", 5400},
      {"90s", 90},
      {"1.5m", 90},
      {"500ms", {}},
      {"1500ms", 1},
      {"10x", {}},
      {"", {}},
      {"abc", {}},
      {"5m ", {}},
      // Go: strconv.ParseInt and time.ParseDuration both take a leading sign; negative is out
      // of range. A fraction may omit either side of the point; a unit is required after it.
      {"+60", 60},
      {"+1m", 60},
      {"-1m", {}},
      {"-60", {}},
      {".5m", 30},
      {"1.s", 1},
      {"1.5", {}},
      {"+", {}},
      {"1h-5m", {}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.in);
    CHECK(dnsd::parseTtl(c.in) == c.want);
  }
}
