#include "l1net/dnsd/sources.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <utility>

#include <boost/asio/ip/address.hpp>

namespace l1net::dnsd {

namespace {

constexpr std::string_view kPrefixes[] = {"external-dns.kubernetes.io/",
                                          "external-dns.alpha.kubernetes.io/"};

std::optional<std::string> annotation(const manifest::Labels& a, std::string_view key) {
  for (const auto prefix : kPrefixes) {
    if (const auto it = a.find(std::string(prefix) + std::string(key)); it != a.end()) {
      return it->second;
    }
  }
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

std::vector<std::string> splitList(std::string_view text, bool is_name) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    if (is_name && !item.empty() && item.back() == '.') {
      item.remove_suffix(1);
    }
    if (!item.empty()) {
      out.push_back(is_name ? lower(item) : std::string(item));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return out;
}

struct Target {
  RecordType type;
  std::string value;
};

Target classify(std::string_view text) {
  boost::system::error_code ec;
  const auto addr = boost::asio::ip::make_address(std::string(text), ec);
  if (!ec) {
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
      // "::ffff:192.0.2.1" (external-dns #5251): publish the IPv4 address it stands for.
      return {
          RecordType::kA,
          boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6()).to_string()};
    }
    return {addr.is_v4() ? RecordType::kA : RecordType::kAAAA, addr.to_string()};
  }
  std::string name = lower(trim(text));
  if (!name.empty() && name.back() == '.') {
    name.pop_back();
  }
  return {RecordType::kCNAME, name};
}

// One object's contribution: names, targets, ttl.
struct Candidate {
  std::vector<std::string> names;
  std::vector<Target> targets;
  std::optional<std::uint32_t> ttl;
  std::string origin;
};

struct Collector {
  const SourceOptions& opts;
  DesiredRecords out;
  // name -> candidate records with their origins
  std::map<std::string, std::vector<std::pair<Record, std::string>>> by_name;

  void warn(std::string name, std::string origin, std::string message) {
    out.issues.push_back(
        Issue{Issue::Severity::kWarning, std::move(name), std::move(origin), std::move(message)});
  }
  void error(std::string name, std::string origin, std::string message) {
    out.issues.push_back(
        Issue{Issue::Severity::kError, std::move(name), std::move(origin), std::move(message)});
  }

  // Common annotation handling; returns false when the object is skipped.
  bool readAnnotations(const manifest::ObjectMeta& meta, const std::string& origin, Candidate& c,
                       std::optional<std::vector<std::string>>& target_override) {
    if (const auto ctl = annotation(meta.annotations, "controller");
        ctl && trim(*ctl) != "dns-controller") {
      return false;
    }
    if (const auto ttl = annotation(meta.annotations, "ttl")) {
      c.ttl = parseTtl(trim(*ttl));
      if (!c.ttl) {
        warn("", origin, "ignoring ttl annotation \"" + *ttl + "\" (want 1..2147483647 seconds)");
      }
    }
    if (const auto t = annotation(meta.annotations, "target")) {
      target_override = splitList(*t, false);
    }
    return true;
  }

  void addTargetsFromStatus(const std::vector<manifest::LoadBalancerIngress>& ingress,
                            Candidate& c) {
    for (const auto& i : ingress) {
      if (!i.ip.empty()) {
        auto t = classify(i.ip);
        if (t.type == RecordType::kCNAME) {
          continue;  // not an address: ignore (the decoder keeps typed text)
        }
        if (opts.announced && !opts.announced->contains(t.value)) {
          continue;
        }
        c.targets.push_back(std::move(t));
      } else if (!i.hostname.empty()) {
        c.targets.push_back(classify(i.hostname));
      }
    }
  }

  void add(Candidate c) {
    for (const auto& name : c.names) {
      for (const auto& t : c.targets) {
        Record r{t.type, name, t.value, std::nullopt};
        if (t.type == RecordType::kCNAME) {
          r.ttl = c.ttl;
        }
        by_name[name].emplace_back(std::move(r), c.origin);
      }
    }
  }

  void finish() {
    for (auto& [name, cands] : by_name) {
      const auto origin = cands.front().second;
      if (name.find('*') != std::string::npos) {
        error(name, origin, "wildcard names are not supported by Pi-hole or hosts files");
        continue;
      }
      const bool has_addr = std::any_of(cands.begin(), cands.end(), [](const auto& p) {
        return p.first.type != RecordType::kCNAME;
      });
      std::set<Record> records;
      std::set<std::string> cname_targets;
      for (auto& [r, o] : cands) {
        if (r.type == RecordType::kCNAME) {
          if (has_addr) {
            continue;
          }
          cname_targets.insert(r.target);
        }
        records.insert(r);
      }
      if (has_addr && records.size() < cands.size() &&
          std::any_of(cands.begin(), cands.end(),
                      [](const auto& p) { return p.first.type == RecordType::kCNAME; })) {
        warn(name, origin, "name has both CNAME and A/AAAA candidates: dropping the CNAME");
      }
      if (cname_targets.size() > 1) {
        error(name, origin, "CNAME with several targets is not possible; record skipped");
        continue;
      }
      if (!has_addr && records.size() > 1) {
        // Same target with different ttls: keep the first (smallest) one.
        records.erase(std::next(records.begin()), records.end());
      }
      if (records.empty()) {
        continue;
      }
      ++out.endpoints;
      out.records.insert(out.records.end(), records.begin(), records.end());
    }
    std::sort(out.records.begin(), out.records.end());
  }
};

std::string originOf(std::string_view kind, const manifest::ObjectMeta& m) {
  return std::string(kind) + " " + (m.ns.empty() ? std::string("default") : m.ns) + "/" + m.name;
}

}  // namespace

std::optional<std::uint32_t> parseTtl(std::string_view text) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::int32_t>::max();
  // As Go's strconv.ParseInt and time.ParseDuration: one leading sign; negative values are out
  // of range (ttl 1..2^31-1), so only '+' can yield a TTL.
  if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
    if (text.front() == '-') {
      return std::nullopt;
    }
    text.remove_prefix(1);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  if (const auto [p, ec] = std::from_chars(text.data(), end, value);
      ec == std::errc{} && p == end) {
    if (value < 1 || value > kMax) {
      return std::nullopt;
    }
    return static_cast<std::uint32_t>(value);
  }
  // Go time.ParseDuration subset with whole-second results: sequences of <int><unit>.
  double total_ns = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t i = 0;
    while (i < rest.size() && ((rest[i] >= '0' && rest[i] <= '9') || rest[i] == '.')) {
      ++i;
    }
    if (i == 0) {
      return std::nullopt;
    }
    double num = 0;
    const auto [p, ec] = std::from_chars(rest.data(), rest.data() + i, num);
    if (ec != std::errc{} || p != rest.data() + i) {
      return std::nullopt;
    }
    rest.remove_prefix(i);
    std::size_t u = 0;
    while (u < rest.size() && !((rest[u] >= '0' && rest[u] <= '9') || rest[u] == '.')) {
      ++u;
    }
    const auto unit = rest.substr(0, u);
    rest.remove_prefix(u);
    double scale = 0;
    if (unit == "ns") {
      scale = 1;
    } else if (unit == "us" || unit == "\xC2\xB5s") {
      scale = 1e3;
    } else if (unit == "ms") {
      scale = 1e6;
    } else if (unit == "s") {
      scale = 1e9;
    } else if (unit == "m") {
      scale = 60e9;
    } else if (unit == "h") {
      scale = 3600e9;
    } else {
      return std::nullopt;
    }
    total_ns += num * scale;
  }
  const double seconds = total_ns / 1e9;
  if (seconds < 1 || seconds > static_cast<double>(kMax)) {
    return std::nullopt;
  }
  return static_cast<std::uint32_t>(seconds);
}

DesiredRecords desiredRecords(const manifest::ManifestSet& objects, const SourceOptions& opts) {
  Collector col{opts, {}, {}};
  for (const auto& svc : objects.services) {
    if (svc.type != manifest::ServiceType::kLoadBalancer) {
      continue;
    }
    const auto hostnames = annotation(svc.meta.annotations, "hostname");
    if (!hostnames) {
      continue;
    }
    Candidate c;
    c.origin = originOf("Service", svc.meta);
    std::optional<std::vector<std::string>> override_targets;
    if (!col.readAnnotations(svc.meta, c.origin, c, override_targets)) {
      continue;
    }
    c.names = splitList(*hostnames, true);
    if (override_targets) {
      for (const auto& t : *override_targets) {
        c.targets.push_back(classify(t));
      }
    } else {
      col.addTargetsFromStatus(svc.ingress, c);
    }
    col.add(std::move(c));
  }
  for (const auto& ing : objects.ingresses) {
    Candidate c;
    c.origin = originOf("Ingress", ing.meta);
    std::optional<std::vector<std::string>> override_targets;
    if (!col.readAnnotations(ing.meta, c.origin, c, override_targets)) {
      continue;
    }
    const auto source = annotation(ing.meta.annotations, "ingress-hostname-source");
    const bool annotation_only = source && trim(*source) == "annotation-only";
    const bool defined_only = source && trim(*source) == "defined-hosts-only";
    if (!annotation_only) {
      for (const auto& rule : ing.rules) {
        auto n = splitList(rule.host, true);
        c.names.insert(c.names.end(), n.begin(), n.end());
      }
      for (const auto& tls : ing.tls) {
        for (const auto& h : tls.hosts) {
          auto n = splitList(h, true);
          c.names.insert(c.names.end(), n.begin(), n.end());
        }
      }
    }
    if (!defined_only) {
      if (const auto hostnames = annotation(ing.meta.annotations, "hostname")) {
        auto n = splitList(*hostnames, true);
        c.names.insert(c.names.end(), n.begin(), n.end());
      }
    }
    std::sort(c.names.begin(), c.names.end());
    c.names.erase(std::unique(c.names.begin(), c.names.end()), c.names.end());
    if (override_targets) {
      for (const auto& t : *override_targets) {
        c.targets.push_back(classify(t));
      }
    } else {
      col.addTargetsFromStatus(ing.ingress, c);
    }
    col.add(std::move(c));
  }
  col.finish();
  return std::move(col.out);
}

manifest::ManifestSet mergeControllerState(manifest::ManifestSet manifests,
                                           const std::vector<manifest::Service>& state) {
  for (auto& svc : manifests.services) {
    for (const auto& st : state) {
      if (st.meta.name == svc.meta.name && st.meta.ns == svc.meta.ns) {
        svc.ingress = st.ingress;
        break;
      }
    }
  }
  return manifests;
}

std::set<std::string> announcedIps(const std::vector<manifest::Service>& state) {
  std::set<std::string> out;
  for (const auto& svc : state) {
    for (const auto& i : svc.ingress) {
      if (!i.ip.empty()) {
        boost::system::error_code ec;
        const auto a = boost::asio::ip::make_address(i.ip, ec);
        out.insert(ec ? i.ip : a.to_string());
      }
    }
  }
  return out;
}

}  // namespace l1net::dnsd
