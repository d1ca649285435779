#include "l1net/controller/release_hold.hpp"

#include <utility>

#include "l1net/controller/service_request.hpp"

namespace l1net::controller {

std::vector<manifest::Service> ReleaseHold::due(Clock::time_point now,
                                                std::vector<std::string>& expired) {
  std::vector<manifest::Service> out;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (now - it->second.since >= hold_) {
      expired.push_back(it->first);
      it = entries_.erase(it);
    } else {
      out.push_back(it->second.service);
      ++it;
    }
  }
  return out;
}

std::vector<std::string> ReleaseHold::record(const ReconcileResult& result, Clock::time_point now) {
  std::vector<std::string> added;
  std::map<std::string, Entry> next;
  for (const auto& svc : result.held) {
    auto key = serviceKey(svc.meta);
    if (const auto it = entries_.find(key); it != entries_.end()) {
      next.emplace(key, std::move(it->second));
    } else {
      added.push_back(key);
      next.emplace(std::move(key), Entry{svc, now});
    }
  }
  entries_ = std::move(next);
  return added;
}

std::optional<ReleaseHold::Clock::time_point> ReleaseHold::nextExpiry() const {
  std::optional<Clock::time_point> out;
  for (const auto& [key, e] : entries_) {
    const auto at = e.since + hold_;
    if (!out || at < *out) {
      out = at;
    }
  }
  return out;
}

}  // namespace l1net::controller
