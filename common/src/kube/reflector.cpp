#include "l1net/kube/reflector.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include <boost/json.hpp>

namespace l1net::kube {
namespace json = boost::json;

namespace {

constexpr int kMinWatchTimeoutSeconds = 300;  // client-go: minWatchTimeout = 5 min

std::string stringAt(const json::value& obj, std::string_view a, std::string_view b) {
  const auto* o = obj.if_object();
  if (o == nullptr) {
    return {};
  }
  const auto* md = o->if_contains(a);
  if (md == nullptr || !md->is_object()) {
    return {};
  }
  const auto* v = md->get_object().if_contains(b);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::string objectKey(const json::value& obj) {
  const auto ns = stringAt(obj, "metadata", "namespace");
  const auto name = stringAt(obj, "metadata", "name");
  return ns.empty() ? name : ns + "/" + name;
}

std::string objectResourceVersion(const json::value& obj) {
  return stringAt(obj, "metadata", "resourceVersion");
}

std::chrono::milliseconds Backoff::next(Clock::time_point now, double rand01) {
  if (last_failure_ && now - *last_failure_ >= opts_.reset_after) {
    failures_ = 0;
  }
  last_failure_ = now;
  const double base = static_cast<double>(opts_.initial.count()) * std::pow(2.0, failures_);
  const double capped = std::min(base, static_cast<double>(opts_.max.count()));
  if (base < static_cast<double>(opts_.max.count())) {
    ++failures_;
  }
  const double jittered = capped * (1.0 + opts_.jitter * std::clamp(rand01, 0.0, 1.0));
  return std::chrono::milliseconds(static_cast<std::int64_t>(jittered));
}

Request Reflector::next(Clock::time_point now, double rand01) {
  Request r;
  if (failed_) {
    r.delay = backoff_.next(now, rand01);
    failed_ = false;
  }
  if (phase_ == Phase::kList) {
    r.kind = Request::Kind::kList;
    r.resource_version = list_rv_;
    return r;
  }
  r.kind = Request::Kind::kWatch;
  r.resource_version = rv_;
  r.timeout_seconds =
      static_cast<int>(kMinWatchTimeoutSeconds * (1.0 + std::clamp(rand01, 0.0, 0.999)));
  return r;
}

Outcome Reflector::fail(Clock::time_point, std::string why) {
  failed_ = true;
  Outcome o;
  o.failure = true;
  o.error = std::move(why);
  return o;
}

Outcome Reflector::onList(Clock::time_point now, unsigned http_status, json::value body) {
  if (http_status == 410) {
    // The RV asked for is older than etcd's compaction: ask for the most recent state.
    list_rv_ = "";
    Outcome o;
    o.relist = true;
    o.error = "list: " + statusFromBody(http_status, json::serialize(body)).message;
    ++relists_;
    return o;
  }
  if (http_status != 200) {
    const auto st = parseStatus(body);
    return fail(now, "list failed: HTTP " + std::to_string(http_status) +
                         (st ? " " + st->reason + ": " + st->message : std::string()));
  }
  auto* o = body.if_object();
  json::array* items = nullptr;
  if (o != nullptr) {
    if (auto* it = o->if_contains("items"); it != nullptr) {
      items = it->if_array();
      if (items == nullptr && !it->is_null()) {
        return fail(now, "list: items is not an array");
      }
    }
  }
  const auto list_rv = stringAt(body, "metadata", "resourceVersion");
  if (o == nullptr || list_rv.empty()) {
    return fail(now, "list: response has no metadata.resourceVersion");
  }
  Outcome out;
  std::map<std::string, std::string> seen;
  if (items != nullptr) {
    for (auto& item : *items) {
      auto key = objectKey(item);
      auto rv = objectResourceVersion(item);
      if (key.empty()) {
        continue;  // no name: cannot be an API object
      }
      const auto it = known_.find(key);
      if (it == known_.end() || it->second != rv) {
        out.deltas.push_back(Delta{Delta::Kind::kUpsert, key, std::move(item)});
      }
      seen.emplace(std::move(key), std::move(rv));
    }
  }
  for (const auto& [key, rv] : known_) {
    if (!seen.contains(key)) {
      // Deleted while we were not watching: the last state is unknown, send the key only.
      out.deltas.push_back(Delta{Delta::Kind::kDelete, key, json::value()});
    }
  }
  known_ = std::move(seen);
  rv_ = list_rv;
  list_rv_ = "0";
  synced_ = true;
  phase_ = Phase::kWatch;
  backoff_.reset();
  return out;
}

Outcome Reflector::onWatchRejected(Clock::time_point now, unsigned http_status,
                                   const ApiStatus& status) {
  ++reconnects_;
  if (http_status == 410 || status.code == 410) {
    phase_ = Phase::kList;
    list_rv_ = "";
    ++relists_;
    Outcome o;
    o.relist = true;
    o.error = "watch expired: " + status.message;
    return o;
  }
  return fail(now, "watch rejected: HTTP " + std::to_string(http_status) + " " + status.reason +
                       (status.message.empty() ? "" : ": " + status.message));
}

Outcome Reflector::onEvent(Clock::time_point now, WatchEvent ev) {
  Outcome out;
  if (ev.type == EventType::kError) {
    const auto st = parseStatus(ev.object).value_or(ApiStatus{});
    ++reconnects_;
    if (st.code == 410) {
      phase_ = Phase::kList;
      list_rv_ = "";
      ++relists_;
      out.relist = true;
      out.error = "watch expired: " + st.reason + ": " + st.message;
      return out;
    }
    return fail(
        now, "watch error event: " + std::to_string(st.code) + " " + st.reason + ": " + st.message);
  }
  const auto rv = objectResourceVersion(ev.object);
  if (ev.type == EventType::kBookmark) {
    if (!rv.empty()) {
      rv_ = rv;
    }
    return out;
  }
  auto key = objectKey(ev.object);
  if (key.empty()) {
    return out;
  }
  if (!rv.empty()) {
    rv_ = rv;
  }
  if (ev.type == EventType::kDeleted) {
    if (known_.erase(key) > 0) {
      out.deltas.push_back(Delta{Delta::Kind::kDelete, std::move(key), std::move(ev.object)});
    }
    return out;
  }
  auto& have = known_[key];
  if (have == rv && !rv.empty()) {
    return out;  // replay of a state the cache holds
  }
  have = rv;
  out.deltas.push_back(Delta{Delta::Kind::kUpsert, std::move(key), std::move(ev.object)});
  return out;
}

Outcome Reflector::onWatchEnd(Clock::time_point now, bool clean, const std::string& why) {
  ++reconnects_;
  if (clean) {
    return {};
  }
  return fail(now, "watch stream broken: " + why);
}

Outcome Reflector::onRequestFailed(Clock::time_point now, const std::string& why) {
  if (phase_ == Phase::kWatch) {
    ++reconnects_;
  }
  return fail(now, why);
}

}  // namespace l1net::kube
