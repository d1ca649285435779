// MetalLB's webhook rules (internal/config: addressPoolFromCR, poolsFor, l2AdvertisementFromCR,
// validateLabelSelectorDuplicate), reported with file, line and field path instead of stopping at
// the first problem.
#include "l1net/manifest/validate.hpp"

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "l1net/net/address.hpp"

namespace l1net::manifest {
namespace {

using Op = LabelSelectorRequirement::Operator;

constexpr std::int32_t kMinWeight = 1;
constexpr std::int32_t kMaxWeight = 100;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string indexed(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string where(const SourceRef& s) {
  return s.line > 0 ? s.file + ":" + std::to_string(s.line) : s.file;
}

// Line of a field path: the deepest recorded prefix, else the object's own line.
int lineFor(const ObjectMeta& meta, std::string path) {
  while (!path.empty()) {
    if (const auto it = meta.field_lines.find(path);
        it != meta.field_lines.end() && it->second > 0) {
      return it->second;
    }
    const auto cut = path.find_last_of(".[");
    if (cut == std::string::npos) {
      break;
    }
    path.resize(cut);
  }
  return meta.source.line;
}

// One pool entry parsed as MetalLB's ParseCIDR does: with a '-' it is a range, else a CIDR.
struct ParsedEntry {
  net::IpRange range;
  std::vector<net::Cidr> cidrs;
};

std::string trimmed(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) {
    return {};
  }
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

// The parsed entry, or the reason it is invalid.
std::pair<std::optional<ParsedEntry>, std::string> parseEntry(const std::string& text) {
  const auto dash = text.find('-');
  if (dash == std::string::npos) {
    const auto c = net::parseCidr(text);
    if (!c) {
      return {std::nullopt, "invalid CIDR " + quoted(text)};
    }
    return {ParsedEntry{net::toRange(*c), {*c}}, ""};
  }
  const auto r = net::parseRange(text);
  if (r) {
    return {ParsedEntry{*r, net::summarise(*r)}, ""};
  }
  const auto start = trimmed(std::string_view(text).substr(0, dash));
  const auto end = trimmed(std::string_view(text).substr(dash + 1));
  const auto a = net::parseIp(start);
  const auto b = net::parseIp(end);
  std::string why;
  if (!a) {
    why = "invalid start IP " + quoted(start);
  } else if (!b) {
    why = "invalid end IP " + quoted(end);
  } else if (net::familyOf(*a) != net::familyOf(*b)) {
    why = "start and end are of different address families";
  } else {
    why = "start IP " + quoted(start) + " is after the end IP " + quoted(end);
  }
  return {std::nullopt, "invalid IP range " + quoted(text) + ": " + why};
}

// A selector with every expression's values sorted: two selectors are duplicates when their
// normal forms are equal (MetalLB compares String() after sorting the values).
LabelSelector normalised(LabelSelector s) {
  for (auto& r : s.match_expressions) {
    std::sort(r.values.begin(), r.values.end());
  }
  return s;
}

class Validator {
 public:
  std::vector<Diagnostic> run(ManifestSet& set) {
    pools(set.pools);
    for (const auto& ad : set.l2_advertisements) {
      l2Advertisement(ad);
    }
    services(set.services);
    return std::move(out_);
  }

 private:
  void report(const ObjectMeta& meta, const std::string& object, const std::string& field,
              std::string message, int line = 0) {
    out_.push_back(Diagnostic{{meta.source.file, line > 0 ? line : lineFor(meta, field)},
                              object,
                              field,
                              std::move(message)});
  }

  void pools(std::vector<IpAddressPool>& pools);
  void services(const std::vector<Service>& services);
  void l2Advertisement(const L2Advertisement& ad);
  void selector(const ObjectMeta& meta, const std::string& object, const std::string& path,
                const LabelSelector& sel);
  void selectors(const ObjectMeta& meta, const std::string& object, const std::string& path,
                 const std::vector<LabelSelector>& sels);
  void uniqueStrings(const ObjectMeta& meta, const std::string& object, const std::string& path,
                     const std::vector<std::string>& values, std::string_view what);

  std::vector<Diagnostic> out_;
};

void Validator::uniqueStrings(const ObjectMeta& meta, const std::string& object,
                              const std::string& path, const std::vector<std::string>& values,
                              std::string_view what) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto first = std::find(values.begin(), values.end(), values[i]);
    if (first != values.begin() + static_cast<std::ptrdiff_t>(i)) {
      report(meta, object, indexed(path, i),
             "duplicate definition of " + std::string(what) + " " + quoted(values[i]) + " (also " +
                 indexed(path, static_cast<std::size_t>(first - values.begin())) + ")");
    }
  }
}

void Validator::selector(const ObjectMeta& meta, const std::string& object, const std::string& path,
                         const LabelSelector& sel) {
  const auto& exprs = sel.match_expressions;
  for (std::size_t j = 0; j < exprs.size(); ++j) {
    const auto& r = exprs[j];
    const auto epath = indexed(path + ".matchExpressions", j);
    if (r.key.empty()) {
      report(meta, object, epath + ".key", "must not be empty");
    }
    const bool set_based = r.op == Op::kIn || r.op == Op::kNotIn;
    if (set_based && r.values.empty()) {
      report(meta, object, epath + ".values", "must be specified when operator is In or NotIn");
    } else if (!set_based && !r.values.empty()) {
      report(meta, object, epath + ".values",
             "may not be specified when operator is Exists or DoesNotExist");
    }
    uniqueStrings(meta, object, epath + ".values", r.values, "match expression value");
    for (std::size_t k = 0; k < j; ++k) {
      if (normalised(LabelSelector{{}, {exprs[k]}}) == normalised(LabelSelector{{}, {r}})) {
        report(meta, object, epath,
               "duplicate definition of match expression (also " +
                   indexed(path + ".matchExpressions", k) + ")");
        break;
      }
    }
  }
}

void Validator::selectors(const ObjectMeta& meta, const std::string& object,
                          const std::string& path, const std::vector<LabelSelector>& sels) {
  const auto kind = path.substr(path.find_last_of('.') + 1);  // e.g. nodeSelectors
  for (std::size_t i = 0; i < sels.size(); ++i) {
    const auto ipath = indexed(path, i);
    selector(meta, object, ipath, sels[i]);
    const auto norm = normalised(sels[i]);
    for (std::size_t k = 0; k < i; ++k) {
      if (normalised(sels[k]) == norm) {
        const auto text = sels[i].toString();
        report(meta, object, ipath,
               "duplicate definition of " + kind + " " + quoted(text.empty() ? "<all>" : text) +
                   " (also " + indexed(path, k) + ")");
        break;
      }
    }
  }
}

void Validator::pools(std::vector<IpAddressPool>& pools) {
  struct Seen {
    const IpAddressPool* pool;
    std::size_t index;
    net::IpRange range;
  };
  std::map<std::string, const IpAddressPool*> by_name;
  std::vector<Seen> seen;  // valid entries of pools checked so far, for overlap
  for (auto& pool : pools) {
    const auto& meta = pool.meta;
    const auto object = "IPAddressPool " + quoted(meta.name);
    const auto [it, fresh] = by_name.emplace(meta.name, &pool);
    if (!fresh) {
      report(meta, object, "metadata.name",
             "duplicate definition of pool " + quoted(meta.name) + " (first at " +
                 where(it->second->meta.source) + ")");
    }
    if (pool.addresses.empty()) {
      report(meta, object, "spec.addresses", "pool has no addresses");
    }
    for (std::size_t j = 0; j < pool.addresses.size(); ++j) {
      auto& entry = pool.addresses[j];
      const auto path = indexed("spec.addresses", j);
      entry.cidrs.clear();
      auto result = parseEntry(entry.text);
      if (!result.first) {
        report(meta, object, path, std::move(result.second), entry.line);
        continue;
      }
      const ParsedEntry& parsed = *result.first;
      entry.cidrs = parsed.cidrs;
      if (!fresh) {
        continue;  // a duplicate pool would only repeat the first one's overlaps
      }
      const auto other = std::find_if(
          seen.begin(), seen.end(), [&](const Seen& s) { return s.range.overlaps(parsed.range); });
      if (other != seen.end()) {
        const auto& o = other->pool->addresses[other->index];
        report(meta, object, path,
               entry.text + " overlaps pool " + quoted(other->pool->meta.name) + " (" +
                   indexed("spec.addresses", other->index) + " " + o.text + " at " +
                   where(SourceRef{other->pool->meta.source.file, o.line}) + ")",
               entry.line);
      }
      seen.push_back(Seen{&pool, j, parsed.range});
    }
    if (pool.service_allocation) {
      const auto& sa = *pool.service_allocation;
      const std::string base = "spec.serviceAllocation";
      uniqueStrings(meta, object, base + ".namespaces", sa.namespaces, "namespace");
      selectors(meta, object, base + ".namespaceSelectors", sa.namespace_selectors);
      selectors(meta, object, base + ".serviceSelectors", sa.service_selectors);
    }
  }
}

// Two Services with one namespace/name (in one file or two): Kubernetes holds one object per key,
// so which one is meant is ambiguous; both positions are named.
void Validator::services(const std::vector<Service>& services) {
  std::map<std::pair<std::string, std::string>, const Service*> by_key;
  for (const auto& svc : services) {
    const auto& meta = svc.meta;
    const std::string ns = meta.ns.empty() ? "default" : meta.ns;
    const auto [it, fresh] = by_key.emplace(std::make_pair(ns, meta.name), &svc);
    if (!fresh) {
      const std::string key = quoted(ns + "/" + meta.name);
      report(meta, "Service " + key, "metadata.name",
             "duplicate definition of Service " + key + " (first at " +
                 where(it->second->meta.source) + ", again at " + where(meta.source) + ")",
             meta.source.line);
    }
  }
}

void Validator::l2Advertisement(const L2Advertisement& ad) {
  const auto& meta = ad.meta;
  const auto object = "L2Advertisement " + quoted(meta.name);
  uniqueStrings(meta, object, "spec.ipAddressPools", ad.ip_address_pools, "pool");
  selectors(meta, object, "spec.ipAddressPoolSelectors", ad.ip_address_pool_selectors);
  selectors(meta, object, "spec.nodeSelectors", ad.node_selectors);
  selectors(meta, object, "spec.serviceSelectors", ad.service_selectors);
  for (std::size_t i = 0; i < ad.preferred_node_selectors.size(); ++i) {
    const auto& pref = ad.preferred_node_selectors[i];
    const auto path = indexed("spec.preferredNodeSelectors", i);
    if (pref.weight < kMinWeight || pref.weight > kMaxWeight) {
      report(meta, object, path + ".weight",
             "must be between " + std::to_string(kMinWeight) + " and " +
                 std::to_string(kMaxWeight) + ", not " + std::to_string(pref.weight));
    }
    selector(meta, object, path + ".preference", pref.preference);
  }
}

}  // namespace

std::vector<Diagnostic> validate(ManifestSet& set) { return Validator().run(set); }

}  // namespace l1net::manifest
