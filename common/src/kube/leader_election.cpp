#include "l1net/kube/leader_election.hpp"

#include <cstdio>
#include <ctime>

#include <boost/json.hpp>

namespace l1net::kube {

namespace json = boost::json;

namespace {

std::string formatUtc(std::chrono::system_clock::time_point t, bool micro) {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  if (micro) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<long long>(us));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  return buf;
}

std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t num(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  if (v == nullptr) {
    return 0;
  }
  if (v->is_int64()) {
    return v->get_int64();
  }
  if (v->is_uint64()) {
    return static_cast<std::int64_t>(v->get_uint64());
  }
  return 0;
}

}  // namespace

std::string formatMicroTime(std::chrono::system_clock::time_point t) { return formatUtc(t, true); }
std::string formatTime(std::chrono::system_clock::time_point t) { return formatUtc(t, false); }

LeaseRecord leaseRecordFrom(const json::value& lease) {
  LeaseRecord r;
  const auto* o = lease.if_object();
  const auto* spec = o != nullptr ? o->if_contains("spec") : nullptr;
  if (spec == nullptr || !spec->is_object()) {
    return r;
  }
  const auto& s = spec->as_object();
  r.holder_identity = str(s, "holderIdentity");
  r.lease_duration_seconds = num(s, "leaseDurationSeconds");
  r.acquire_time = str(s, "acquireTime");
  r.renew_time = str(s, "renewTime");
  r.lease_transitions = num(s, "leaseTransitions");
  return r;
}

json::value leaseObject(const std::string& ns, const std::string& name, const LeaseRecord& r,
                        const std::string& resource_version) {
  json::object md;
  md["name"] = name;
  md["namespace"] = ns;
  if (!resource_version.empty()) {
    md["resourceVersion"] = resource_version;
  }
  json::object spec;
  spec["holderIdentity"] = r.holder_identity;
  spec["leaseDurationSeconds"] = r.lease_duration_seconds;
  if (!r.acquire_time.empty()) {
    spec["acquireTime"] = r.acquire_time;
  }
  if (!r.renew_time.empty()) {
    spec["renewTime"] = r.renew_time;
  }
  spec["leaseTransitions"] = r.lease_transitions;
  json::object o;
  o["apiVersion"] = "coordination.k8s.io/v1";
  o["kind"] = "Lease";
  o["metadata"] = std::move(md);
  o["spec"] = std::move(spec);
  return o;
}

LeaderElection::Decision LeaderElection::decide(const std::optional<LeaseRecord>& observed,
                                                Steady::time_point now, Wall::time_point wall) {
  Decision d;
  const auto stamp = formatMicroTime(wall);
  const auto duration = static_cast<std::int64_t>(cfg_.lease_duration.count());
  if (!observed) {
    d.kind = Decision::Kind::kCreate;
    d.record = LeaseRecord{cfg_.identity, duration, stamp, stamp, 0};
    return d;
  }
  if (!observed_at_ || *observed != observed_) {
    observed_ = *observed;
    observed_at_ = now;
  }
  const bool mine = observed->holder_identity == cfg_.identity;
  const bool held = !observed->holder_identity.empty();
  const auto held_for = std::chrono::seconds(
      observed->lease_duration_seconds > 0 ? observed->lease_duration_seconds : duration);
  if (held && !mine && now < *observed_at_ + held_for) {
    lost_ = leading_;  // someone else holds it: we are not the leader (any more)
    d.kind = Decision::Kind::kWait;
    return d;
  }
  d.kind = Decision::Kind::kUpdate;
  d.record.holder_identity = cfg_.identity;
  d.record.lease_duration_seconds = duration;
  d.record.renew_time = stamp;
  if (mine) {
    d.record.acquire_time = observed->acquire_time.empty() ? stamp : observed->acquire_time;
    d.record.lease_transitions = observed->lease_transitions;
  } else {
    d.record.acquire_time = stamp;
    d.record.lease_transitions = observed->lease_transitions + 1;
  }
  return d;
}

LeaderElection::Change LeaderElection::onWrite(bool ok, Steady::time_point now) {
  if (ok) {
    last_renew_ = now;
    lost_ = false;
    if (!leading_) {
      leading_ = true;
      return Change::kStartedLeading;
    }
    return Change::kNone;
  }
  return onNoRenew(now);
}

LeaderElection::Change LeaderElection::onNoRenew(Steady::time_point now) {
  if (leading_ && (lost_ || now - last_renew_ >= cfg_.renew_deadline)) {
    leading_ = false;
    lost_ = false;
    return Change::kStoppedLeading;
  }
  return Change::kNone;
}

}  // namespace l1net::kube
