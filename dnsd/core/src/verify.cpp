#include "l1net/dnsd/verify.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace l1net::dnsd {

std::vector<VerifyQuery> verifyQueries(const std::vector<Record>& desired,
                                       const std::vector<std::string>& changed) {
  const std::set<std::string> names(changed.begin(), changed.end());
  std::map<std::pair<std::string, RecordType>, std::set<std::string>> want;
  std::set<std::string> desired_names;
  for (const auto& r : desired) {
    if (names.contains(r.name)) {
      want[{r.name, r.type}].insert(r.target);
      desired_names.insert(r.name);
    }
  }
  std::vector<VerifyQuery> out;
  for (const auto& [key, targets] : want) {
    out.push_back(VerifyQuery{key.first, key.second, {targets.begin(), targets.end()}});
  }
  for (const auto& n : names) {
    if (!desired_names.contains(n)) {
      out.push_back(VerifyQuery{n, RecordType::kA, {}});
    }
  }
  return out;
}

std::optional<std::string> compareAnswer(const VerifyQuery& q, std::vector<std::string> got) {
  std::sort(got.begin(), got.end());
  got.erase(std::unique(got.begin(), got.end()), got.end());
  if (got == q.want) {
    return std::nullopt;
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) {
      s += (s.empty() ? "" : ",") + x;
    }
    return s.empty() ? std::string("(nothing)") : s;
  };
  return std::string(toString(q.type)) + " " + q.name + ": want " + join(q.want) + ", got " +
         join(got);
}

}  // namespace l1net::dnsd
