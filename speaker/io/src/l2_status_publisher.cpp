#include "l1net/speaker/io/l2_status_publisher.hpp"

#include <algorithm>
#include <deque>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

namespace l1net::speaker {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kMergePatch = "application/merge-patch+json";

std::string statusMessage(const ApiReply& r) {
  if (r.body.is_object()) {
    if (const auto* m = r.body.get_object().if_contains("message"); m && m->is_string()) {
      return std::string(m->get_string());
    }
  }
  return "HTTP " + std::to_string(r.status);
}

bool ok(const ApiReply& r) { return r.status >= 200 && r.status < 300; }

}  // namespace

struct L2StatusPublisher::Impl : std::enable_shared_from_this<Impl> {
  struct PendingEvent {
    AnnouncedService svc;
    std::chrono::system_clock::time_point at;
  };

  Impl(asio::any_io_executor ex, StatusApi& a, Options o, std::shared_ptr<spdlog::logger> l)
      : api(a), options(std::move(o)), log(std::move(l)), wake(ex) {}

  StatusApi& api;
  Options options;
  std::shared_ptr<spdlog::logger> log;
  asio::steady_timer wake;
  std::vector<AnnouncedService> announced;
  std::deque<PendingEvent> events;
  L2StatusPublisherStats stats;
  bool dirty = true;
  bool in_sync = false;
  bool stopped = false;
  bool failing = false;  // the last round failed (log the recovery once)

  [[nodiscard]] std::string collection() const {
    return "/apis/metallb.io/v1beta1/namespaces/" + options.ns + "/servicel2statuses";
  }

  // One request; false (and a warning) on a transport error or an unexpected status.
  asio::awaitable<bool> send(const char* what, std::string method, std::string target,
                             json::value body, std::string_view content_type, ApiReply* reply,
                             unsigned also_ok = 0) {
    auto r = co_await api.call(std::move(method), std::move(target), std::move(body),
                               std::string(content_type));
    if (!r) {
      if (!failing) {
        log->warn("status: {} failed: {}", what, r.error().message());
      }
      co_return false;
    }
    if (!ok(*r) && r->status != also_ok) {
      log->warn("status: {} failed: {} ({})", what, statusMessage(*r), r->status);
      co_return false;
    }
    if (reply != nullptr) {
      *reply = std::move(*r);
    }
    co_return true;
  }

  asio::awaitable<bool> reconcile() {
    ApiReply listed;
    if (!co_await send("list servicel2statuses", "GET", collection(), nullptr, "", &listed)) {
      co_return false;
    }
    auto observed = decodeL2StatusList(listed.body);
    if (!observed) {
      log->warn("status: the ServiceL2Status list does not decode ({})",
                observed.error().message());
      co_return false;
    }
    const auto plan = planL2Statuses(announced, *observed, options.node, options.owner);
    for (const auto& name : plan.remove) {
      if (stopped) {
        co_return false;
      }
      if (!co_await send("delete", "DELETE", collection() + "/" + name, nullptr, "", nullptr,
                         404)) {
        co_return false;
      }
      ++stats.deleted;
      log->debug("status: deleted {}", name);
    }
    for (const auto& svc : plan.create) {
      if (stopped) {
        co_return false;
      }
      ApiReply created;
      if (!co_await send("create", "POST", collection(),
                         renderL2StatusCreate(svc, options.node, options.ns, options.owner),
                         "application/json", &created)) {
        co_return false;
      }
      const auto obj = decodeL2Status(created.body);
      if (!obj) {
        log->warn("status: the created ServiceL2Status does not decode");
        co_return false;
      }
      ++stats.created;
      // The CRD has a status subresource: the status in the POST was dropped.
      if (!co_await send("set status", "PATCH", collection() + "/" + obj->name + "/status",
                         renderL2StatusPatch(svc, options.node), kMergePatch, nullptr)) {
        co_return false;
      }
      log->info("status: {} publishes {}/{} announced from {}", obj->name, svc.ns, svc.name,
                options.node);
    }
    for (const auto& [name, svc] : plan.set_status) {
      if (stopped || !co_await send("set status", "PATCH", collection() + "/" + name + "/status",
                                    renderL2StatusPatch(svc, options.node), kMergePatch, nullptr)) {
        co_return false;
      }
      ++stats.patched;
    }
    for (const auto& [name, svc] : plan.set_meta) {
      if (stopped || !co_await send("set owner", "PATCH", collection() + "/" + name,
                                    renderL2StatusMetaPatch(svc, options.node, options.owner),
                                    kMergePatch, nullptr)) {
        co_return false;
      }
      ++stats.patched;
    }
    co_return true;
  }

  // Sends the queued Events; false when the API could not be reached (kept for later).
  asio::awaitable<bool> sendEvents() {
    while (!events.empty() && !stopped) {
      const auto& e = events.front();
      const auto uid = options.service_uid ? options.service_uid(e.svc.ns, e.svc.name) : "";
      auto r = co_await api.call("POST", "/api/v1/namespaces/" + e.svc.ns + "/events",
                                 renderNodeAssignedEvent(e.svc, options.node, uid, e.at),
                                 "application/json");
      if (!r || r->status >= 500) {
        co_return false;
      }
      if (ok(*r)) {
        ++stats.events_sent;
      } else {
        ++stats.events_dropped;  // 4xx: retrying the same body cannot help
        log->warn("status: nodeAssigned event for {}/{} rejected: {} ({})", e.svc.ns, e.svc.name,
                  statusMessage(*r), r->status);
      }
      events.pop_front();
    }
    co_return true;
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    auto backoff = options.backoff_min;
    while (!stopped) {
      if (!dirty) {
        wake.expires_after(options.resync);
        boost::system::error_code ec;
        co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopped) {
          break;
        }
      }
      dirty = false;
      in_sync = false;
      const bool done = co_await reconcile() && co_await sendEvents();
      if (stopped) {
        break;
      }
      if (done) {
        ++stats.rounds;
        in_sync = !dirty;
        if (failing) {
          log->info("status: the API server answers again; statuses reconciled");
        }
        failing = false;
        backoff = options.backoff_min;
        continue;
      }
      ++stats.failures;
      if (!failing) {
        log->warn("status: publishing failed; announcing goes on, retrying with backoff");
      }
      failing = true;
      dirty = true;
      wake.expires_after(backoff);
      boost::system::error_code ec;
      co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      backoff = std::min(backoff * 2, options.backoff_max);
    }
  }
};

L2StatusPublisher::L2StatusPublisher(asio::any_io_executor ex, StatusApi& api, Options options,
                                     std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_shared<Impl>(std::move(ex), api, std::move(options), std::move(logger))) {}

L2StatusPublisher::~L2StatusPublisher() { stop(); }

void L2StatusPublisher::start() {
  auto impl = impl_;
  asio::co_spawn(impl->wake.get_executor(), impl->run(), [impl](const std::exception_ptr& e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        impl->log->error("status publisher coroutine failed: {}", ex.what());
      }
    }
  });
}

void L2StatusPublisher::stop() {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  impl_->wake.cancel();
}

void L2StatusPublisher::setAnnounced(std::vector<AnnouncedService> services) {
  auto& s = *impl_;
  if (services == s.announced) {
    return;
  }
  const auto now = s.options.now();
  for (auto& svc : newlyAnnounced(s.announced, services)) {
    if (s.events.size() >= s.options.max_events) {
      s.events.pop_front();
      ++s.stats.events_dropped;
    }
    s.events.push_back({std::move(svc), now});
  }
  s.announced = std::move(services);
  s.dirty = true;
  s.in_sync = false;
  if (!s.failing) {
    s.wake.cancel();  // failing: the backoff decides when the next round starts
  }
}

const L2StatusPublisherStats& L2StatusPublisher::stats() const noexcept { return impl_->stats; }

bool L2StatusPublisher::inSync() const noexcept { return impl_->in_sync; }

}  // namespace l1net::speaker
