#include "l1net/manifest/diagnostic.hpp"

#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

using l1net::manifest::Diagnostic;

TEST_CASE("Diagnostic::format") {
  struct Case {
    const char* name;
    Diagnostic diag;
    const char* want;
  };
  const std::vector<Case> cases = {
      {"all parts",
       {{"pools.yaml", 7}, "IPAddressPool \"lan\"", "spec.addresses[1]", "overlaps pool \"dmz\""},
       "pools.yaml:7: IPAddressPool \"lan\" spec.addresses[1]: overlaps pool \"dmz\""},
      {"no field",
       {{"pools.yaml", 3}, "IPAddressPool \"lan\"", "", "bad"},
       "pools.yaml:3: IPAddressPool \"lan\": bad"},
      {"no object", {{"pools.yaml", 3}, "", "kind", "required"}, "pools.yaml:3: kind: required"},
      {"no line",
       {{"missing.yaml", 0}, "", "", "no such file or directory"},
       "missing.yaml: no such file or directory"},
      {"no file", {{"", 4}, "", "", "oops"}, "line 4: oops"},
      {"nothing but message", {{}, "", "", "oops"}, "oops"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(c.diag.format() == c.want); }
  }
}
