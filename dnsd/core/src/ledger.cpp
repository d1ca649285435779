#include "l1net/dnsd/ledger.hpp"

#include <limits>
#include <set>
#include <utility>

#include <boost/json.hpp>

namespace l1net::dnsd {

namespace json = boost::json;

std::string_view toString(RecordType t) noexcept {
  switch (t) {
    case RecordType::kA:
      return "A";
    case RecordType::kAAAA:
      return "AAAA";
    case RecordType::kCNAME:
      return "CNAME";
  }
  return "?";
}

std::string describe(const Record& r) {
  std::string out = std::string(toString(r.type)) + " " + r.name + " " + r.target;
  if (r.ttl) {
    out += " ttl=" + std::to_string(*r.ttl);
  }
  return out;
}

std::string renderLedger(const Ledger& ledger) {
  json::object instances;
  for (const auto& [id, records] : ledger.instances) {
    json::array arr;
    for (const auto& r : records) {
      json::object o;
      o["type"] = toString(r.type);
      o["name"] = r.name;
      o["target"] = r.target;
      if (r.ttl) {
        o["ttl"] = *r.ttl;
      }
      arr.push_back(std::move(o));
    }
    instances[id] = std::move(arr);
  }
  json::object root;
  root["version"] = 1;
  root["instances"] = std::move(instances);
  return json::serialize(root) + "\n";
}

LedgerParse parseLedger(std::string_view text) {
  LedgerParse out;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return out;
  }
  boost::system::error_code ec;
  const auto v = json::parse(text, ec);
  if (ec) {
    out.error = "not JSON: " + ec.message();
    return out;
  }
  const auto* root = v.if_object();
  if (root == nullptr) {
    out.error = "top level: want an object";
    return out;
  }
  const auto* ver = root->if_contains("version");
  if (ver == nullptr || !ver->is_int64() || ver->as_int64() != 1) {
    out.error = "version: want 1";
    return out;
  }
  const auto* inst = root->if_contains("instances");
  if (inst == nullptr || !inst->is_object()) {
    out.error = "instances: want an object";
    return out;
  }
  for (const auto& [key, val] : inst->as_object()) {
    const std::string where = "instances.\"" + std::string(key) + "\"";
    if (!val.is_array()) {
      out.error = where + ": want an array";
      return out;
    }
    auto& set = out.ledger.instances[std::string(key)];
    std::size_t i = 0;
    for (const auto& e : val.as_array()) {
      const std::string at = where + "[" + std::to_string(i++) + "]";
      const auto* o = e.if_object();
      if (o == nullptr) {
        out.error = at + ": want an object";
        return out;
      }
      Record r;
      const auto* type = o->if_contains("type");
      const auto* name = o->if_contains("name");
      const auto* target = o->if_contains("target");
      if (type == nullptr || !type->is_string()) {
        out.error = at + ".type: want a string";
        return out;
      }
      const auto t = type->as_string();
      if (t == "A") {
        r.type = RecordType::kA;
      } else if (t == "AAAA") {
        r.type = RecordType::kAAAA;
      } else if (t == "CNAME") {
        r.type = RecordType::kCNAME;
      } else {
        out.error = at + ".type: want A, AAAA or CNAME";
        return out;
      }
      if (name == nullptr || !name->is_string() || name->as_string().empty()) {
        out.error = at + ".name: want a non-empty string";
        return out;
      }
      if (target == nullptr || !target->is_string() || target->as_string().empty()) {
        out.error = at + ".target: want a non-empty string";
        return out;
      }
      r.name = std::string(name->as_string());
      r.target = std::string(target->as_string());
      if (const auto* ttl = o->if_contains("ttl")) {
        if (!ttl->is_int64() || ttl->as_int64() < 1 ||
            ttl->as_int64() > std::numeric_limits<std::int32_t>::max()) {
          out.error = at + ".ttl: want 1..2147483647";
          return out;
        }
        r.ttl = static_cast<std::uint32_t>(ttl->as_int64());
      }
      set.insert(std::move(r));
    }
  }
  return out;
}

Ledger mergeLedger(const Ledger& base, const Ledger& ours, const Ledger& theirs) {
  static const std::set<Record> kNone;
  auto recordsOf = [](const Ledger& l, const std::string& id) -> const std::set<Record>& {
    const auto it = l.instances.find(id);
    return it == l.instances.end() ? kNone : it->second;
  };
  Ledger out = theirs;
  std::set<std::string> ids;
  for (const auto* l : {&base, &ours}) {
    for (const auto& [id, recs] : l->instances) {
      ids.insert(id);
    }
  }
  for (const auto& id : ids) {
    const auto& b = recordsOf(base, id);
    const auto& o = recordsOf(ours, id);
    auto& r = out.instances[id];
    for (const auto& rec : o) {
      if (!b.contains(rec)) {
        r.insert(rec);  // added by us
      }
    }
    for (const auto& rec : b) {
      if (!o.contains(rec)) {
        r.erase(rec);  // removed by us
      }
    }
  }
  std::erase_if(out.instances, [](const auto& kv) { return kv.second.empty(); });
  return out;
}

}  // namespace l1net::dnsd
