// Service created -> IP in status, as a client of the API server sees it: creates N LoadBalancer
// Services one after another (--gap-ms apart), watches them through an Informer, and records for
// each the time from just before its POST to the first watch event that shows an IP in
// status.loadBalancer.ingress. Prints BENCH lines (p50, p99, max, missing) and writes the raw
// latencies, one per line in creation order, to --raw FILE. Asserts nothing about time.
//
// Usage: svc_latency --kubeconfig FILE [--namespace bench] [--count 200] [--gap-ms 20]
//                    [--timeout-s 60] [--label fixture] [--raw FILE]

// GCC 12 at -O2 reports -Wmismatched-new-delete for Asio's coroutine frames (a known false
// positive).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "l1net/kube/cache.hpp"
#include "l1net/kubeapi/client.hpp"
#include "l1net/kubeapi/informer.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace kubeapi = l1net::kubeapi;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct Args {
  std::string kubeconfig;
  std::string ns = "bench";
  int count = 200;
  int gap_ms = 20;
  int timeout_s = 60;
  std::string label = "run";
  std::string raw;
};

std::optional<Args> parseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--kubeconfig") {
      a.kubeconfig = v;
    } else if (k == "--namespace") {
      a.ns = v;
    } else if (k == "--count") {
      a.count = std::stoi(v);
    } else if (k == "--gap-ms") {
      a.gap_ms = std::stoi(v);
    } else if (k == "--timeout-s") {
      a.timeout_s = std::stoi(v);
    } else if (k == "--label") {
      a.label = v;
    } else if (k == "--raw") {
      a.raw = v;
    } else {
      std::fprintf(stderr, "svc_latency: unknown option %s\n", k.c_str());
      return std::nullopt;
    }
  }
  if (a.kubeconfig.empty() || a.count <= 0 || argc % 2 == 0) {
    std::fprintf(stderr,
                 "usage: svc_latency --kubeconfig FILE [--namespace NS] [--count N] "
                 "[--gap-ms MS] [--timeout-s S] [--label L] [--raw FILE]\n");
    return std::nullopt;
  }
  return a;
}

bool hasIngress(const json::value& obj) {
  const auto* o = obj.if_object();
  const auto* st = o != nullptr ? o->if_contains("status") : nullptr;
  const auto* lb =
      st != nullptr && st->is_object() ? st->as_object().if_contains("loadBalancer") : nullptr;
  const auto* in =
      lb != nullptr && lb->is_object() ? lb->as_object().if_contains("ingress") : nullptr;
  return in != nullptr && in->is_array() && !in->as_array().empty();
}

json::value serviceObject(const std::string& ns, const std::string& name) {
  return json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":")" + name +
                     R"(","namespace":")" + ns +
                     R"("},"spec":{"type":"LoadBalancer","selector":{"app":"bench"},)"
                     R"("ports":[{"name":"http","port":80,"protocol":"TCP"}]}})");
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const auto idx = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

struct Run {
  std::vector<std::optional<Clock::time_point>> created;
  std::vector<std::optional<double>> latency_ms;
  std::map<std::string, int> index;  // "ns/name" -> creation index
  int seen = 0;
  int post_retries = 0;
  std::string error;
};

asio::awaitable<void> drive(const Args& a, kubeapi::ApiClient& client, kubeapi::Informer& informer,
                            Run& run) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  // The namespace (201 or 409 AlreadyExists are both fine).
  const auto ns_obj = json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" +
                                  a.ns + R"("}})");
  if (auto r = co_await client.call("POST", "/api/v1/namespaces", ns_obj);
      !r || (!r->ok() && r->status != 409)) {
    run.error = "cannot create namespace " + a.ns + ": " +
                (r ? std::to_string(r->status) + " " + r->error.message : r.error().message());
    informer.stop();
    co_return;
  }
  const auto deadline = Clock::now() + std::chrono::seconds(a.timeout_s);
  while (!informer.synced() && Clock::now() < deadline) {
    timer.expires_after(10ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  const auto coll = kubeapi::resourcePath("", "v1", "services", a.ns);
  for (int i = 0; i < a.count && run.error.empty(); ++i) {
    const auto name = "lat-" + std::to_string(i);
    run.index[a.ns + "/" + name] = i;
    run.created[static_cast<std::size_t>(i)] = Clock::now();
    // A 5xx or a transport error is retried, as a client would (the fault run injects them).
    auto r = co_await client.call("POST", coll, serviceObject(a.ns, name));
    for (int retry = 0; retry < 10 && (!r || r->status >= 500); ++retry) {
      ++run.post_retries;
      timer.expires_after(100ms);
      co_await timer.async_wait(asio::use_awaitable);
      r = co_await client.call("POST", coll, serviceObject(a.ns, name));
      if (r && r->status == 409) {  // the first attempt was stored after all
        break;
      }
    }
    if (!r || (!r->ok() && r->status != 409)) {
      run.error = "POST " + name + ": " +
                  (r ? std::to_string(r->status) + " " + r->error.message : r.error().message());
      break;
    }
    timer.expires_after(std::chrono::milliseconds(a.gap_ms));
    co_await timer.async_wait(asio::use_awaitable);
  }
  while (run.seen < a.count && run.error.empty() && Clock::now() < deadline) {
    timer.expires_after(10ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  informer.stop();
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = parseArgs(argc, argv);
  if (!args) {
    return 2;
  }
  auto cfg = kubeapi::loadClusterConfig(args->kubeconfig);
  if (const auto* e = std::get_if<l1net::kube::ConfigError>(&cfg)) {
    std::fprintf(stderr, "svc_latency: %s\n", e->message.c_str());
    return 2;
  }
  asio::io_context ioc;
  auto client =
      kubeapi::ApiClient::create(ioc.get_executor(), std::get<l1net::kube::ClusterConfig>(cfg));
  if (!client) {
    std::fprintf(stderr, "svc_latency: %s\n", client.error().message().c_str());
    return 2;
  }
  auto logger = spdlog::stderr_logger_mt("svc_latency");
  Run run;
  run.created.resize(static_cast<std::size_t>(args->count));
  run.latency_ms.resize(static_cast<std::size_t>(args->count));
  l1net::kube::Cache cache;
  kubeapi::Informer informer(
      **client,
      {.collection = kubeapi::resourcePath("", "v1", "services", args->ns),
       .kind = l1net::kube::Kind::kService},
      cache, logger, [&](const std::vector<l1net::kube::Delta>& deltas) {
        const auto now = Clock::now();
        for (const auto& d : deltas) {
          const auto it = run.index.find(d.key);
          if (d.kind != l1net::kube::Delta::Kind::kUpsert || it == run.index.end() ||
              !hasIngress(d.object)) {
            continue;
          }
          const auto i = static_cast<std::size_t>(it->second);
          if (!run.latency_ms[i] && run.created[i]) {
            run.latency_ms[i] =
                std::chrono::duration<double, std::milli>(now - *run.created[i]).count();
            ++run.seen;
          }
        }
      });
  asio::co_spawn(ioc, informer.run(), asio::detached);
  asio::co_spawn(ioc, drive(*args, **client, informer, run), asio::detached);
  ioc.run();
  if (!run.error.empty()) {
    std::fprintf(stderr, "svc_latency: %s\n", run.error.c_str());
    return 1;
  }
  std::vector<double> got;
  std::ofstream raw;
  if (!args->raw.empty()) {
    raw.open(args->raw);
  }
  for (const auto& l : run.latency_ms) {
    if (l) {
      got.push_back(*l);
    }
    if (raw) {
      raw << (l ? std::to_string(*l) : std::string("missing")) << '\n';
    }
  }
  const auto missing = args->count - static_cast<int>(got.size());
  std::printf("BENCH name=svc_to_ip_missing_%s value=%d unit=services\n", args->label.c_str(),
              missing);
  if (got.empty()) {
    std::printf("svc_latency (%s): no Service got an IP within %d s\n", args->label.c_str(),
                args->timeout_s);
    return 1;
  }
  const auto p50 = percentile(got, 0.50);
  const auto p99 = percentile(got, 0.99);
  const auto max = *std::max_element(got.begin(), got.end());
  std::printf("BENCH name=svc_to_ip_p50_%s value=%.1f unit=ms\n", args->label.c_str(), p50);
  std::printf("BENCH name=svc_to_ip_p99_%s value=%.1f unit=ms\n", args->label.c_str(), p99);
  std::printf("BENCH name=svc_to_ip_max_%s value=%.1f unit=ms\n", args->label.c_str(), max);
  std::printf(
      "svc_latency (%s): %zu of %d Services got an IP; created %d ms apart; from just "
      "before the POST to the watch event showing status.loadBalancer.ingress: p50 %.1f "
      "ms, p99 %.1f ms, max %.1f ms (informer: %llu watches, %llu failures)\n",
      args->label.c_str(), got.size(), args->count, args->gap_ms, p50, p99, max,
      static_cast<unsigned long long>(informer.stats().watches),
      static_cast<unsigned long long>(informer.stats().failures));
  return missing == 0 ? 0 : 1;
}
