// The ownership ledger: per provider instance, the records dnsd created (or adopted). Pure: text
// in, text out; the io layer stores it in --state FILE or a ConfigMap.
//
// Format (JSON, stable order):
//   {"version":1,"instances":{"pihole http://pi.example":[{"type":"A","name":"a.example",
//    "target":"192.0.2.7"},{"type":"CNAME","name":"w.example","target":"a.example","ttl":300}]}}
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "l1net/dnsd/records.hpp"
#include "l1net/error.hpp"

namespace l1net::dnsd {

struct Ledger {
  std::map<std::string, std::set<Record>> instances;  // key: Provider::id()
  friend bool operator==(const Ledger&, const Ledger&) = default;
};

[[nodiscard]] std::string renderLedger(const Ledger& ledger);

struct LedgerParse {
  Ledger ledger;
  std::string error;  // "" = ok; else names the field: "instances.\"x\"[2].type: ..."
};
// Empty text is an empty ledger (first start).
[[nodiscard]] LedgerParse parseLedger(std::string_view text);

// Three-way merge for a ledger stored where another writer may change it (the Kubernetes-mode
// ConfigMap, on a 409): `base` is what this writer last read or wrote, `ours` what it wants to
// store now, `theirs` what is stored now. The result is theirs plus what we added since base,
// minus what we removed since base: another writer's entries are never lost, and an entry is
// only dropped when this writer dropped it. Instances left empty are removed.
[[nodiscard]] Ledger mergeLedger(const Ledger& base, const Ledger& ours, const Ledger& theirs);

}  // namespace l1net::dnsd
