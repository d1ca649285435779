#include <algorithm>
#include <string>
#include <vector>

#include "l1net/manifest/objects.hpp"

namespace l1net::manifest {
namespace {

using Op = LabelSelectorRequirement::Operator;

bool requirementMatches(const LabelSelectorRequirement& r, const Labels& labels) {
  const auto it = labels.find(r.key);
  const bool has = it != labels.end();
  const auto in_values = [&] {
    return has && std::find(r.values.begin(), r.values.end(), it->second) != r.values.end();
  };
  switch (r.op) {
    case Op::kIn:
      return in_values();
    case Op::kNotIn:
      return !in_values();
    case Op::kExists:
      return has;
    case Op::kDoesNotExist:
      return !has;
  }
  return false;
}

std::string joinSorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  std::string out;
  for (const auto& v : values) {
    if (!out.empty()) {
      out += ',';
    }
    out += v;
  }
  return out;
}

}  // namespace

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& [k, v] : match_labels) {
    const auto it = labels.find(k);
    if (it == labels.end() || it->second != v) {
      return false;
    }
  }
  return std::all_of(match_expressions.begin(), match_expressions.end(),
                     [&](const auto& r) { return requirementMatches(r, labels); });
}

std::string LabelSelector::toString() const {
  // (key, text) pairs sorted by key, as Go's internalSelector.String().
  std::vector<std::pair<std::string, std::string>> parts;
  for (const auto& [k, v] : match_labels) {
    parts.emplace_back(k, k + "=" + v);
  }
  for (const auto& r : match_expressions) {
    switch (r.op) {
      case Op::kIn:
        parts.emplace_back(r.key, r.key + " in (" + joinSorted(r.values) + ")");
        break;
      case Op::kNotIn:
        parts.emplace_back(r.key, r.key + " notin (" + joinSorted(r.values) + ")");
        break;
      case Op::kExists:
        parts.emplace_back(r.key, r.key);
        break;
      case Op::kDoesNotExist:
        parts.emplace_back(r.key, "!" + r.key);
        break;
    }
  }
  std::stable_sort(parts.begin(), parts.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) {
      out += ',';
    }
    out += p.second;
  }
  return out;
}

}  // namespace l1net::manifest
