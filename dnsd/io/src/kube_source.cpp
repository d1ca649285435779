#include "l1net/dnsd/io/kube_source.hpp"

#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "l1net/kubeapi/client.hpp"

namespace l1net::dnsd {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::string l2StatusService(const json::value& obj) {
  const auto* o = obj.if_object();
  const auto* st = o != nullptr ? o->if_contains("status") : nullptr;
  if (st == nullptr || !st->is_object()) {
    return {};
  }
  const auto ns = str(st->as_object(), "serviceNamespace");
  const auto name = str(st->as_object(), "serviceName");
  return ns.empty() || name.empty() ? std::string() : ns + "/" + name;
}

std::set<std::string> announcedIps(const std::vector<manifest::Service>& services,
                                   const std::set<std::string>& announced) {
  std::set<std::string> out;
  for (const auto& s : services) {
    if (announced.contains(s.meta.ns + "/" + s.meta.name)) {
      for (const auto& ing : s.ingress) {
        if (!ing.ip.empty()) {
          out.insert(ing.ip);
        }
      }
    }
  }
  return out;
}

struct KubeSource::State {
  kubeapi::ApiClient* client = nullptr;
  KubeSourceOptions opts;
  std::shared_ptr<spdlog::logger> log;
  std::function<void()> on_change;
  kube::Cache cache;
  std::map<std::string, std::string> l2_status;  // ServiceL2Status key -> "ns/name" it names
  std::vector<std::unique_ptr<kubeapi::Informer>> informers;
  int running = 0;
  bool stopped = false;
};

KubeSource::KubeSource(kubeapi::ApiClient& client, KubeSourceOptions opts,
                       std::shared_ptr<spdlog::logger> logger, std::function<void()> on_change)
    : state_(std::make_shared<State>()) {
  auto& s = *state_;
  s.client = &client;
  s.opts = std::move(opts);
  s.log = std::move(logger);
  s.on_change = std::move(on_change);
  std::weak_ptr<State> weak = state_;
  auto changed = [weak](const std::vector<kube::Delta>& /*deltas*/) {
    if (auto st = weak.lock(); st && !st->stopped && st->on_change) {
      st->on_change();
    }
  };
  s.informers.push_back(std::make_unique<kubeapi::Informer>(
      client,
      kubeapi::InformerOptions{.collection = kubeapi::resourcePath("", "v1", "services", ""),
                               .kind = kube::Kind::kService,
                               .backoff = s.opts.backoff},
      s.cache, s.log, changed));
  s.informers.push_back(std::make_unique<kubeapi::Informer>(
      client,
      kubeapi::InformerOptions{
          .collection = kubeapi::resourcePath("networking.k8s.io", "v1", "ingresses", ""),
          .kind = kube::Kind::kIngress,
          .backoff = s.opts.backoff},
      s.cache, s.log, changed));
  if (s.opts.with_l2_status) {
    s.informers.push_back(std::make_unique<kubeapi::Informer>(
        client,
        kubeapi::InformerOptions{.collection = kubeapi::resourcePath(
                                     "metallb.io", "v1beta1", "servicel2statuses", s.opts.ns),
                                 .kind = kube::Kind::kUncached,
                                 .backoff = s.opts.backoff},
        s.cache, s.log, [weak, changed](const std::vector<kube::Delta>& deltas) {
          if (auto st = weak.lock()) {
            for (const auto& d : deltas) {
              if (d.kind == kube::Delta::Kind::kDelete) {
                st->l2_status.erase(d.key);
              } else {
                st->l2_status.insert_or_assign(d.key, l2StatusService(d.object));
              }
            }
          }
          changed(deltas);
        }));
  }
}

KubeSource::~KubeSource() { stop(); }

void KubeSource::start() {
  auto& s = *state_;
  if (s.running > 0 || s.stopped) {
    return;
  }
  for (auto& inf : s.informers) {
    ++s.running;
    asio::co_spawn(s.client->executor(), inf->run(),
                   [st = state_](const std::exception_ptr& /*e*/) { --st->running; });
  }
}

void KubeSource::stop() {
  auto& s = *state_;
  if (s.stopped) {
    return;
  }
  s.stopped = true;
  for (auto& inf : s.informers) {
    inf->stop();
  }
}

bool KubeSource::stopped() const noexcept { return state_->stopped && state_->running == 0; }

bool KubeSource::synced() const {
  for (const auto& inf : state_->informers) {
    if (!inf->synced()) {
      return false;
    }
  }
  return true;
}

KubeView KubeSource::view() const {
  const auto& s = *state_;
  KubeView v;
  const auto snap = s.cache.snapshot();
  v.set.services = snap.services;
  v.set.ingresses = snap.ingresses;
  for (const auto& [key, svc] : s.l2_status) {
    if (!svc.empty()) {
      v.announced.insert(svc);
    }
  }
  v.announced_ips = announcedIps(v.set.services, v.announced);
  return v;
}

std::string KubeSource::healthProblem() const {
  for (const auto& inf : state_->informers) {
    if (inf->failingSince()) {
      return inf->options().collection + ": " + inf->lastError();
    }
  }
  return {};
}

kubeapi::InformerStats KubeSource::stats() const {
  kubeapi::InformerStats t;
  for (const auto& inf : state_->informers) {
    t += inf->stats();
  }
  return t;
}

}  // namespace l1net::dnsd
