#include "l1net/kubeapi/writes.hpp"

// GCC 12 at -O2 reports -Wmismatched-new-delete for Asio's coroutine frames (awaitable_frame_base
// has a matching class-specific operator new/delete: a GCC 12 false positive on coroutines).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <random>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "l1net/kube/api_path.hpp"

namespace l1net::kubeapi {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string rvOf(const json::value& obj) {
  if (const auto* o = obj.if_object()) {
    if (const auto* md = o->if_contains("metadata"); md != nullptr && md->is_object()) {
      if (const auto* rv = md->as_object().if_contains("resourceVersion");
          rv != nullptr && rv->is_string()) {
        return std::string(rv->get_string());
      }
    }
  }
  return {};
}

WriteOutcome failed(const std::string& what, unsigned status, const std::string& detail,
                    int attempts) {
  WriteOutcome w;
  w.status = status;
  w.attempts = attempts;
  w.error = what + ": " + detail;
  return w;
}

WriteOutcome fromResponse(const std::string& what, ApiResponse& r, int attempts) {
  if (r.ok()) {
    WriteOutcome w;
    w.ok = true;
    w.status = r.status;
    w.object = std::move(r.body);
    w.attempts = attempts;
    return w;
  }
  return failed(what, r.status,
                std::to_string(r.status) + " " + r.error.reason + ": " + r.error.message, attempts);
}

// The outcome after kWriteAttempts answers of 409 in a row; last is the final one.
WriteOutcome conflictsExhausted(const std::string& what, const ApiResponse& last) {
  return failed(
      what, 409,
      "409 Conflict after " + std::to_string(kWriteAttempts) + " attempts: " + last.error.message,
      kWriteAttempts);
}

// GET, build the patch from the read state (with its resourceVersion), PATCH; again on 409.
asio::awaitable<WriteOutcome> patchWithRetry(
    ApiClient& c, const std::string& path, const std::string& patch_path,
    const std::function<json::value(const json::value& current)>& make_patch) {
  const auto what = kube::describeRequest("PATCH", patch_path);
  ApiResponse last;
  for (int attempt = 1; attempt <= kWriteAttempts; ++attempt) {
    auto got = co_await c.call("GET", path);
    if (!got) {
      co_return failed(what, 0, got.error().message(), attempt);
    }
    if (!got->ok()) {
      co_return fromResponse(what, *got, attempt);
    }
    auto patch = make_patch(got->body);
    auto& md = patch.as_object()["metadata"];  // may already hold annotations: keep them
    if (!md.is_object()) {
      md = json::object{};
    }
    md.as_object()["resourceVersion"] = rvOf(got->body);
    auto r = co_await c.call("PATCH", patch_path, std::move(patch), kMergePatch);
    if (!r) {
      co_return failed(what, 0, r.error().message(), attempt);
    }
    if (r->status != 409) {
      co_return fromResponse(what, *r, attempt);
    }
    last = std::move(*r);
  }
  co_return conflictsExhausted(what, last);
}

}  // namespace

asio::awaitable<WriteOutcome> patchStatus(ApiClient& c, std::string path, json::value status) {
  co_return co_await patchWithRetry(c, path, path + "/status", [&](const json::value&) {
    json::object p;
    p["status"] = status;
    return json::value(std::move(p));
  });
}

asio::awaitable<WriteOutcome> patchAnnotations(
    ApiClient& c, std::string path, std::map<std::string, std::optional<std::string>> changes) {
  co_return co_await patchWithRetry(c, path, path, [&](const json::value&) {
    json::object ann;
    for (const auto& [k, v] : changes) {
      ann[k] = v ? json::value(*v) : json::value(nullptr);
    }
    json::object md;
    md["annotations"] = std::move(ann);
    json::object p;
    p["metadata"] = std::move(md);
    return json::value(std::move(p));
  });
}

asio::awaitable<WriteOutcome> createOrUpdate(ApiClient& c, std::string collection,
                                             json::value obj) {
  std::string name;
  if (const auto* o = obj.if_object()) {
    if (const auto* md = o->if_contains("metadata"); md != nullptr && md->is_object()) {
      if (const auto* n = md->as_object().if_contains("name"); n != nullptr && n->is_string()) {
        name = std::string(n->get_string());
      }
    }
  }
  const auto path = collection + "/" + name;
  const auto what = kube::describeRequest("PUT", path);
  if (name.empty() || !obj.is_object()) {
    co_return failed(what, 0, "the object has no metadata.name", 0);
  }
  ApiResponse last;
  for (int attempt = 1; attempt <= kWriteAttempts; ++attempt) {
    auto created = co_await c.call("POST", collection, obj);
    if (!created) {
      co_return failed(kube::describeRequest("POST", path), 0, created.error().message(), attempt);
    }
    if (created->status != 409) {
      co_return fromResponse(kube::describeRequest("POST", path), *created, attempt);
    }
    auto got = co_await c.call("GET", path);
    if (!got) {
      co_return failed(what, 0, got.error().message(), attempt);
    }
    if (got->status == 404) {
      continue;  // deleted in between: create again
    }
    if (!got->ok()) {
      co_return fromResponse(what, *got, attempt);
    }
    json::value next = obj;
    next.as_object()["metadata"].as_object()["resourceVersion"] = rvOf(got->body);
    auto r = co_await c.call("PUT", path, std::move(next));
    if (!r) {
      co_return failed(what, 0, r.error().message(), attempt);
    }
    if (r->status != 409) {
      co_return fromResponse(what, *r, attempt);
    }
    last = std::move(*r);
  }
  co_return conflictsExhausted(what, last);
}

asio::awaitable<WriteOutcome> updateWith(ApiClient& c, std::string collection, std::string name,
                                         Mutate mutate) {
  const auto path = collection + "/" + name;
  ApiResponse last;
  for (int attempt = 1; attempt <= kWriteAttempts; ++attempt) {
    auto got = co_await c.call("GET", path);
    if (!got) {
      co_return failed(kube::describeRequest("GET", path), 0, got.error().message(), attempt);
    }
    if (!got->ok() && got->status != 404) {
      co_return fromResponse(kube::describeRequest("GET", path), *got, attempt);
    }
    const bool exists = got->status != 404;
    const json::value current = exists ? std::move(got->body) : json::value(nullptr);
    const auto what = kube::describeRequest(exists ? "PUT" : "POST", path);
    std::string why;
    auto next = mutate(current, why);
    if (!next) {
      co_return failed(what, got->status, why, attempt);
    }
    if (!next->is_object()) {
      co_return failed(what, 0, "the object to store is not a JSON object", attempt);
    }
    auto& md = next->as_object()["metadata"];
    if (!md.is_object()) {
      md = json::object{};
    }
    md.as_object()["name"] = name;
    Result<ApiResponse> r = boost::system::error_code{};
    if (exists) {
      md.as_object()["resourceVersion"] = rvOf(current);
      r = co_await c.call("PUT", path, std::move(*next));
    } else {
      md.as_object().erase("resourceVersion");
      r = co_await c.call("POST", collection, std::move(*next));
    }
    if (!r) {
      co_return failed(what, 0, r.error().message(), attempt);
    }
    if (r->status != 409) {
      co_return fromResponse(what, *r, attempt);
    }
    last = std::move(*r);
  }
  co_return conflictsExhausted(kube::describeRequest("PUT", path), last);
}

asio::awaitable<WriteOutcome> deleteObject(ApiClient& c, std::string path) {
  const auto what = kube::describeRequest("DELETE", path);
  auto r = co_await c.call("DELETE", path);
  if (!r) {
    co_return failed(what, 0, r.error().message(), 1);
  }
  if (r->status == 404) {
    WriteOutcome w;
    w.ok = true;
    w.status = 404;
    w.attempts = 1;
    co_return w;
  }
  co_return fromResponse(what, *r, 1);
}

// ---- Events ----

EventRecorder::EventRecorder(ApiClient& c, std::string component, std::string host,
                             std::shared_ptr<spdlog::logger> logger)
    : client_(c), correlator_(std::move(component), std::move(host)), logger_(std::move(logger)) {}

asio::awaitable<WriteOutcome> EventRecorder::emit(const kube::ObjectRef& obj, kube::EventKind type,
                                                  std::string reason, std::string message) {
  for (int round = 0; round < 2; ++round) {
    auto a = correlator_.observe(obj, type, reason, message, std::chrono::system_clock::now());
    const auto coll = resourcePath("", "v1", "events", a.ns);
    const bool create = a.kind == kube::EventAction::Kind::kCreate;
    const auto path = coll + "/" + a.name;
    // (no co_await inside ?: — GCC 12 miscompiles it)
    Result<ApiResponse> r = boost::system::error_code{};
    if (create) {
      r = co_await client_.call("POST", coll, a.body);
    } else {
      r = co_await client_.call("PATCH", path, a.body, kMergePatch);
    }
    const auto what = kube::describeRequest(create ? "POST" : "PATCH", path);
    if (!r) {
      correlator_.onFailed(a);
      co_return failed(what, 0, r.error().message(), 1);
    }
    if (r->ok()) {
      correlator_.onStored(a);
      co_return fromResponse(what, *r, 1);
    }
    correlator_.onFailed(a);
    if (!create && r->status == 404) {
      continue;  // the Event expired (TTL) or was deleted: create a new one
    }
    co_return fromResponse(what, *r, 1);
  }
  co_return failed("POST events", 0, "gave up", 2);
}

void EventRecorder::record(const kube::ObjectRef& obj, kube::EventKind type, std::string reason,
                           std::string message) {
  queue_.push_back(Item{obj, type, std::move(reason), std::move(message)});
  if (!draining_) {
    draining_ = true;
    asio::co_spawn(client_.executor(), drain(), asio::detached);
  }
}

asio::awaitable<void> EventRecorder::drain() {
  while (!queue_.empty()) {
    auto item = std::move(queue_.front());
    queue_.erase(queue_.begin());
    const auto w = co_await emit(item.obj, item.type, item.reason, item.message);
    if (!w.ok) {
      ++failures_;
      logger_->warn("event {} for {} {}/{} not recorded: {}", item.reason, item.obj.kind,
                    item.obj.ns, item.obj.name, w.error);
    }
  }
  draining_ = false;
}

// ---- leader election ----

LeaderElector::LeaderElector(ApiClient& c, LeaderElectorOptions opts,
                             std::shared_ptr<spdlog::logger> logger,
                             std::function<void()> on_started, std::function<void()> on_stopped)
    : client_(c),
      opts_(std::move(opts)),
      logger_(std::move(logger)),
      on_started_(std::move(on_started)),
      on_stopped_(std::move(on_stopped)),
      machine_(opts_.election) {}

void LeaderElector::stop(bool release) {
  stopped_ = true;
  release_ = release;
  if (timer_) {
    timer_->cancel();
  }
}

void LeaderElector::apply(kube::LeaderElection::Change ch) {
  if (ch == kube::LeaderElection::Change::kStartedLeading) {
    logger_->info("lease {}/{}: acquired by {}", opts_.ns, opts_.name, opts_.election.identity);
    on_started_();
  } else if (ch == kube::LeaderElection::Change::kStoppedLeading) {
    logger_->warn("lease {}/{}: leadership lost (holder now \"{}\")", opts_.ns, opts_.name,
                  machine_.observedHolder());
    on_stopped_();
  }
}

asio::awaitable<void> LeaderElector::step() {
  const auto coll = resourcePath("coordination.k8s.io", "v1", "leases", opts_.ns);
  const auto path = coll + "/" + opts_.name;
  const auto now = kube::LeaderElection::Steady::now();
  auto got = co_await client_.call("GET", path);
  if (!got || (!got->ok() && got->status != 404)) {
    logger_->warn("lease {}/{}: read failed: {}", opts_.ns, opts_.name,
                  !got ? got.error().message() : got->error.message);
    apply(machine_.onNoRenew(kube::LeaderElection::Steady::now()));
    co_return;
  }
  std::optional<kube::LeaseRecord> observed;
  std::string rv;
  if (got->ok()) {
    observed = kube::leaseRecordFrom(got->body);
    rv = rvOf(got->body);
  }
  const auto d = machine_.decide(observed, now, std::chrono::system_clock::now());
  if (d.kind == kube::LeaderElection::Decision::Kind::kWait) {
    apply(machine_.onNoRenew(kube::LeaderElection::Steady::now()));
    co_return;
  }
  const auto body = kube::leaseObject(opts_.ns, opts_.name, d.record, rv);
  Result<ApiResponse> r = boost::system::error_code{};
  if (d.kind == kube::LeaderElection::Decision::Kind::kCreate) {
    r = co_await client_.call("POST", coll, body);
  } else {
    r = co_await client_.call("PUT", path, body);
  }
  const bool ok = r && r->ok();
  if (!ok) {
    logger_->debug("lease {}/{}: write failed: {}", opts_.ns, opts_.name,
                   !r ? r.error().message() : r->error.message);
  }
  apply(machine_.onWrite(ok, kube::LeaderElection::Steady::now()));
}

asio::awaitable<void> LeaderElector::run() {
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.0, 0.2);
  timer_ = std::make_shared<asio::steady_timer>(client_.executor());
  while (!stopped_) {
    co_await step();
    if (stopped_) {
      break;
    }
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(opts_.election.retry_period);
    if (!machine_.leading()) {
      wait += std::chrono::milliseconds(
          static_cast<std::int64_t>(static_cast<double>(wait.count()) * jitter(rng)));
    }
    timer_->expires_after(wait);
    co_await timer_->async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (machine_.leading()) {
    if (release_) {
      // Give the Lease up so that another candidate need not wait for it to expire.
      const auto path =
          resourcePath("coordination.k8s.io", "v1", "leases", opts_.ns) + "/" + opts_.name;
      auto got = co_await client_.call("GET", path);
      if (got && got->ok() &&
          kube::leaseRecordFrom(got->body).holder_identity == opts_.election.identity) {
        auto rec = kube::leaseRecordFrom(got->body);
        rec.holder_identity.clear();
        rec.lease_duration_seconds = 1;
        (void)co_await client_.call("PUT", path,
                                    kube::leaseObject(opts_.ns, opts_.name, rec, rvOf(got->body)));
      }
    }
    on_stopped_();
  }
}

}  // namespace l1net::kubeapi
