#include "l1net/dnsd/plan.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace l1net::dnsd {

namespace {

std::string normalize(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  while (!out.empty() && out.back() == '.') {
    out.pop_back();
  }
  return out;
}

// `name` equals `domain` or ends with "." + domain; a leading '.' in domain = subdomains only.
bool domainMatch(const std::string& name, const std::string& domain) {
  if (domain.empty()) {
    return false;
  }
  if (domain.front() == '.') {
    return name.size() > domain.size() && name.ends_with(domain);
  }
  if (name == domain) {
    return true;
  }
  return name.size() > domain.size() && name.ends_with(domain) &&
         name[name.size() - domain.size() - 1] == '.';
}

struct NameState {
  std::set<Record> desired;
  std::set<Record> current;
  bool foreign_entry = false;  // an entry dnsd cannot own names this name
};

}  // namespace

bool parsePolicy(std::string_view text, Policy& out) noexcept {
  if (text == "sync") {
    out = Policy::kSync;
  } else if (text == "upsert-only") {
    out = Policy::kUpsertOnly;
  } else if (text == "create-only") {
    out = Policy::kCreateOnly;
  } else {
    return false;
  }
  return true;
}

DomainFilter::DomainFilter(std::vector<std::string> include, std::vector<std::string> exclude) {
  for (const auto& d : include) {
    if (auto n = normalize(d); !n.empty()) {
      include_.push_back(std::move(n));
    }
  }
  for (const auto& d : exclude) {
    if (auto n = normalize(d); !n.empty()) {
      exclude_.push_back(std::move(n));
    }
  }
}

bool DomainFilter::matches(std::string_view name) const {
  const auto n = normalize(name);
  for (const auto& d : exclude_) {
    if (domainMatch(n, d)) {
      return false;
    }
  }
  if (include_.empty()) {
    return true;
  }
  return std::any_of(include_.begin(), include_.end(),
                     [&](const std::string& d) { return domainMatch(n, d); });
}

Plan planChanges(const PlanInput& in) {
  Plan plan;
  std::map<std::string, NameState> names;
  for (const auto& r : in.desired) {
    if (in.filter.matches(r.name)) {
      names[r.name].desired.insert(r);
    }
  }
  for (const auto& r : in.current) {
    if (in.filter.matches(r.name)) {
      names[r.name].current.insert(r);
    }
  }
  for (const auto& n : in.foreign_names) {
    if (in.filter.matches(n)) {
      names[n].foreign_entry = true;
    }
  }
  // Ledger records the provider no longer holds.
  for (const auto& r : in.owned) {
    if (!in.filter.matches(r.name)) {
      continue;
    }
    if (!names[r.name].current.contains(r) && !names[r.name].desired.contains(r)) {
      plan.forget.push_back(r);
    }
  }

  for (auto& [name, st] : names) {
    std::set<Record> owned_here;
    std::set<Record> foreign_here;
    for (const auto& r : st.current) {
      (in.owned.contains(r) ? owned_here : foreign_here).insert(r);
    }
    if (st.desired.empty()) {
      // Not desired (any more): only sync deletes, and only what is ours.
      if (in.policy == Policy::kSync) {
        plan.deletes.insert(plan.deletes.end(), owned_here.begin(), owned_here.end());
      }
      continue;
    }
    // Adoption and foreign exact matches.
    std::set<Record> adopted_here;
    for (const auto& r : foreign_here) {
      if (st.desired.contains(r)) {
        if (in.adopt) {
          adopted_here.insert(r);
          plan.adopted.push_back(r);
        } else {
          ++plan.foreign_skipped;
        }
      }
    }
    std::set<Record> blocking;  // foreign records that are not desired
    for (const auto& r : foreign_here) {
      if (!st.desired.contains(r)) {
        blocking.insert(r);
      }
    }
    if (!blocking.empty() || st.foreign_entry) {
      plan.foreign_skipped += blocking.size() + (st.foreign_entry ? 1 : 0);
      plan.issues.push_back(Issue{Issue::Severity::kWarning, name, "",
                                  "name is held by records dnsd does not own (" +
                                      (blocking.empty() ? std::string("an entry it cannot own")
                                                        : describe(*blocking.begin())) +
                                      "); not writing it"});
      continue;
    }
    if (in.policy == Policy::kCreateOnly && !st.current.empty()) {
      continue;
    }
    for (const auto& r : owned_here) {
      if (!st.desired.contains(r)) {
        plan.deletes.push_back(r);
      }
    }
    for (const auto& r : st.desired) {
      if (!st.current.contains(r)) {
        plan.creates.push_back(r);
      }
    }
  }
  return plan;
}

}  // namespace l1net::dnsd
