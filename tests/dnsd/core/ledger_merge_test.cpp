#include <string>
#include <vector>

#include "l1net/dnsd/ledger.hpp"
#include "l1net/testing/doctest.hpp"

namespace dnsd = l1net::dnsd;
using dnsd::Ledger;
using dnsd::Record;
using dnsd::RecordType;

namespace {

Record a(const std::string& name, const std::string& ip) {
  return Record{RecordType::kA, name, ip, {}};
}

}  // namespace

TEST_CASE("mergeLedger: theirs + what we added - what we removed") {
  const auto x = a("x.example", "192.0.2.1");
  const auto y = a("y.example", "192.0.2.2");
  const auto z = a("z.example", "192.0.2.3");
  const auto w = a("w.example", "192.0.2.4");
  struct Case {
    const char* name;
    Ledger base, ours, theirs, want;
  };
  const std::vector<Case> cases = {
      {"nobody changed anything", {{{"p", {x}}}}, {{{"p", {x}}}}, {{{"p", {x}}}}, {{{"p", {x}}}}},
      {"we added, they added: both kept",
       {{{"p", {x}}}},
       {{{"p", {x, y}}}},
       {{{"p", {x, z}}}},
       {{{"p", {x, y, z}}}}},
      {"we removed one: removed, their addition kept",
       {{{"p", {x, y}}}},
       {{{"p", {x}}}},
       {{{"p", {x, y, z}}}},
       {{{"p", {x, z}}}}},
      {"they removed one we kept unchanged: stays removed",
       {{{"p", {x, y}}}},
       {{{"p", {x, y}}}},
       {{{"p", {x}}}},
       {{{"p", {x}}}}},
      {"another instance only they know: kept",
       {},
       {{{"p", {x}}}},
       {{{"q", {w}}}},
       {{{"p", {x}}, {"q", {w}}}}},
      {"first write raced a create: theirs kept, ours added",
       {},
       {{{"p", {x}}}},
       {{{"p", {z}}}},
       {{{"p", {x, z}}}}},
      {"we emptied an instance: it disappears", {{{"p", {x}}}}, {}, {{{"p", {x}}}}, {}},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(dnsd::mergeLedger(c.base, c.ours, c.theirs) == c.want); }
  }
}
