#include "l1net/kubeapi/informer.hpp"

// GCC 12 at -O2 reports -Wmismatched-new-delete for Asio's coroutine frames (awaitable_frame_base
// has a matching class-specific operator new/delete: a GCC 12 false positive on coroutines).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <random>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "l1net/http/url.hpp"

namespace l1net::kubeapi {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// The body of a refused watch (a Status), read within a bound.
asio::awaitable<std::string> readSmallBody(http::ResponseStream& s) {
  std::string body;
  while (body.size() < 64U * 1024U) {
    auto chunk = co_await s.readSome(10s);
    if (!chunk || chunk->empty()) {
      break;
    }
    body += *chunk;
  }
  co_return body;
}

}  // namespace

Informer::Informer(ApiClient& client, InformerOptions opts, kube::Cache& cache,
                   std::shared_ptr<spdlog::logger> logger, OnChange on_change)
    : client_(client),
      opts_(std::move(opts)),
      cache_(cache),
      logger_(std::move(logger)),
      on_change_(std::move(on_change)),
      reflector_(opts_.backoff) {}

void Informer::stop() {
  stopped_ = true;
  if (timer_) {
    timer_->cancel();
  }
  if (stream_ != nullptr) {
    stream_->cancel();
  }
}

std::string Informer::target(const kube::Request& req) const {
  std::string t = opts_.collection + "?";
  if (req.kind == kube::Request::Kind::kWatch) {
    t += "watch=1&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(req.timeout_seconds) +
         "&";
  }
  t += "resourceVersion=" + http::percentEncode(req.resource_version);
  if (!opts_.label_selector.empty()) {
    t += "&labelSelector=" + http::percentEncode(opts_.label_selector);
  }
  if (!opts_.field_selector.empty()) {
    t += "&fieldSelector=" + http::percentEncode(opts_.field_selector);
  }
  return t;
}

void Informer::apply(kube::Outcome& o) {
  if (o.failure) {
    ++stats_.failures;
    last_error_ = o.error;
    if (!failing_since_) {
      failing_since_ = std::chrono::system_clock::now();
    }
    logger_->warn("{}: {}", opts_.collection, o.error);
  } else if (o.relist) {
    ++stats_.relists;
    logger_->info("{}: {}; relisting", opts_.collection, o.error);
  }
  if (o.deltas.empty()) {
    return;
  }
  std::vector<manifest::Diagnostic> errors;
  for (const auto& d : o.deltas) {
    if (!cache_.apply(opts_.kind, d, errors)) {
      ++stats_.decode_errors;
    }
  }
  for (const auto& e : errors) {
    logger_->warn("{}: object left out: {}", opts_.collection, e.format());
  }
  stats_.deltas += o.deltas.size();
  on_change_(o.deltas);
}

asio::awaitable<void> Informer::list(const kube::Request& req) {
  ++stats_.lists;
  auto r = co_await client_.call("GET", target(req));
  if (stopped_) {
    co_return;
  }
  if (r && r->status == 404 && !opts_.fallback_collections.empty()) {
    auto next = std::move(opts_.fallback_collections.front());
    opts_.fallback_collections.erase(opts_.fallback_collections.begin());
    logger_->info("{}: not served by this API server (404); using {}", opts_.collection, next);
    opts_.collection = std::move(next);
    co_await list(req);
    co_return;
  }
  kube::Outcome o;
  if (!r) {
    o = reflector_.onRequestFailed(kube::Clock::now(), "list: " + r.error().message());
  } else {
    if (r->status == 200 || r->status == 410) {
      failing_since_.reset();
    }
    o = reflector_.onList(kube::Clock::now(), r->status, std::move(r->body));
  }
  const bool first = reflector_.synced() && !announced_;
  apply(o);
  if (first) {
    announced_ = true;
    logger_->info("{}: synced ({} objects)", opts_.collection, reflector_.size());
    if (o.deltas.empty()) {
      on_change_({});
    }
  }
}

asio::awaitable<void> Informer::watch(const kube::Request& req) {
  ++stats_.watches;
  auto s = co_await client_.stream(target(req));
  if (stopped_) {
    co_return;
  }
  if (!s) {
    auto o = reflector_.onRequestFailed(kube::Clock::now(), "watch: " + s.error().message());
    apply(o);
    co_return;
  }
  auto& stream = **s;
  if (stream.status() != 200) {
    const auto body = co_await readSmallBody(stream);
    auto o = reflector_.onWatchRejected(kube::Clock::now(), stream.status(),
                                        kube::statusFromBody(stream.status(), body));
    apply(o);
    co_return;
  }
  failing_since_.reset();
  stream_ = &stream;
  struct Forget {
    http::ResponseStream*& p;
    ~Forget() { p = nullptr; }
  } forget{stream_};
  kube::WatchStreamParser parser;
  std::vector<kube::WatchEvent> events;
  // Bookmarks and timeoutSeconds bound the silence of a healthy stream.
  const auto idle = std::chrono::seconds(req.timeout_seconds) + 30s;
  for (;;) {
    auto chunk = co_await stream.readSome(idle);
    if (stopped_) {
      co_return;
    }
    if (!chunk || chunk->empty()) {
      const bool clean = chunk.has_value() && parser.pending() == 0;
      const std::string why = !chunk ? chunk.error().message()
                                     : (clean ? "" : "stream ended in the middle of an event");
      auto o = reflector_.onWatchEnd(kube::Clock::now(), clean, why);
      apply(o);
      co_return;
    }
    events.clear();
    const auto err = parser.feed(*chunk, events);
    kube::Outcome batch;
    for (auto& ev : events) {
      ++stats_.events;
      auto o = reflector_.onEvent(kube::Clock::now(), std::move(ev));
      for (auto& d : o.deltas) {
        batch.deltas.push_back(std::move(d));
      }
      if (o.relist || o.failure) {
        batch.relist = o.relist;
        batch.failure = o.failure;
        batch.error = std::move(o.error);
        apply(batch);
        co_return;  // drop the stream: the reflector asks for a relist or a re-watch
      }
    }
    apply(batch);  // events completed before any bad bytes are good
    if (err) {
      auto o = reflector_.onWatchEnd(kube::Clock::now(), false, err->message);
      apply(o);
      co_return;
    }
  }
}

asio::awaitable<void> Informer::run() {
  std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  timer_ = std::make_shared<asio::steady_timer>(client_.executor());
  while (!stopped_) {
    const auto req = reflector_.next(kube::Clock::now(), uniform(rng));
    if (req.delay > 0ms) {
      timer_->expires_after(req.delay);
      co_await timer_->async_wait(asio::as_tuple(asio::use_awaitable));
      if (stopped_) {
        break;
      }
    }
    if (req.kind == kube::Request::Kind::kList) {
      co_await list(req);
    } else {
      co_await watch(req);
    }
  }
}

}  // namespace l1net::kubeapi
