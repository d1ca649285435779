// issue 8 #7, #10, #14: duplicate Services, Kubernetes name rules, the nesting
// limit named, and documents parsed one at a time with the right line numbers (bounded files:
// tests/common/io/manifest_files_test.cpp).
#include <string>
#include <vector>

#include "l1net/manifest/load.hpp"
#include "l1net/testing/doctest.hpp"

namespace manifest = l1net::manifest;

namespace {

std::string svc(const std::string& name, const std::string& ns = "default") {
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
         "\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n";
}

std::string allErrors(const manifest::LoadResult& r) {
  std::string out;
  for (const auto& d : r.errors) {
    out += d.format() + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("duplicate Services name both positions (issue 8 #7)") {
  SUBCASE("one file") {
    const auto r = manifest::loadManifestText(svc("web") + "---\n" + svc("web"), "s.yaml");
    REQUIRE(r.errors.size() == 1);
    const auto text = allErrors(r);
    CHECK(text.find("duplicate definition of Service \"default/web\"") != std::string::npos);
    CHECK(text.find("first at s.yaml:1") != std::string::npos);
    CHECK(text.find("again at s.yaml:10") != std::string::npos);
  }
  SUBCASE("two files") {
    const std::string a = "/m/a.yaml";
    const std::string b = "/m/b.yaml";
    const auto r = manifest::loadManifestFiles(
        {{a, svc("web", "apps"), ""}, {b, svc("other") + "---\n" + svc("web", "apps"), ""}});
    REQUIRE(r.errors.size() == 1);
    const auto text = allErrors(r);
    CHECK(text.find("Service \"apps/web\"") != std::string::npos);
    CHECK(text.find("first at " + a + ":1") != std::string::npos);
    CHECK(text.find("again at " + b + ":10") != std::string::npos);
  }
  SUBCASE("same name, other namespace: fine") {
    const auto r = manifest::loadManifestText(svc("web") + "---\n" + svc("web", "apps"), "s.yaml");
    CHECK(r.ok());
  }
}

TEST_CASE("object names and namespaces follow Kubernetes' DNS rules (issue 8 #10)") {
  struct Case {
    const char* name;
    std::string yaml;
    std::string want;  // substring of the error; "" = valid
  };
  const std::string pool_head = "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata:\n";
  const std::string pool_spec = "spec:\n  addresses: [192.0.2.0/28]\n";
  const std::vector<Case> cases = {
      {"valid service", svc("web-1"), ""},
      {"newline in a service name",
       "apiVersion: v1\nkind: Service\nmetadata:\n  name: \"web\\nforged\"\nspec:\n  type: "
       "LoadBalancer\n  ports: [{port: 80}]\n",
       "s.yaml:4: Service \"default/web\nforged\" metadata.name: invalid name: a DNS-1035 label"},
      {"service name starting with a digit", svc("1web"), "a DNS-1035 label must consist"},
      {"upper case service name", svc("Web"), "a DNS-1035 label"},
      {"64-character service name", svc(std::string(64, 'a')),
       "must be no more than 63 characters"},
      {"bad namespace", svc("web", "Apps_1"),
       "s.yaml:5: Service \"Apps_1/web\" metadata.namespace: invalid namespace: a lowercase RFC "
       "1123 label"},
      {"pool name with dots is fine", pool_head + "  name: lan.v4\n" + pool_spec, ""},
      {"pool name with a space", pool_head + "  name: \"lan v4\"\n" + pool_spec,
       "a lowercase RFC 1123 subdomain must consist"},
      {"pool name with an escape byte", pool_head + "  name: \"lan\\e[31m\"\n" + pool_spec,
       "invalid name: a lowercase RFC 1123 subdomain"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = manifest::loadManifestText(c.yaml, "s.yaml");
      if (c.want.empty()) {
        CHECK_MESSAGE(r.ok(), allErrors(r));
      } else {
        CHECK_MESSAGE(allErrors(r).find(c.want) != std::string::npos, allErrors(r));
      }
    }
  }
}

TEST_CASE("deep nesting says it hit the nesting limit (issue 8 #14)") {
  const std::string deep = "apiVersion: v1\nkind: Service\nmetadata: " + std::string(5000, '[');
  const auto r = manifest::loadManifestText(deep, "deep.yaml");
  REQUIRE(r.errors.size() == 1);
  const auto text = r.errors[0].format();
  CHECK_MESSAGE(text.find("nesting limit") != std::string::npos, text);
  CHECK(text.starts_with("deep.yaml:3: "));
  CHECK(text.find("bad file") == std::string::npos);
}

TEST_CASE("documents parsed one at a time keep their file lines") {
  // Errors in the 3rd document (after a comment-only preamble) point at the right line of the file.
  const std::string text = "# header comment\n---\n" + svc("a") + "---\n" + svc("b") +
                           "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: c\nspec:\n"
                           "  type: LoadBalancer\n  ports: [{port: 99999}]\n";
  const auto r = manifest::loadManifestText(text, "m.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].where.line == 27);
  CHECK(r.set.services.size() == 2);
  const auto syntax = manifest::loadManifestText(svc("a") + "---\nkind: [\n", "m.yaml");
  REQUIRE_FALSE(syntax.ok());
  CHECK(syntax.errors[0].where.line >= 10);  // in the 2nd document, not line 1 of its slice
}
