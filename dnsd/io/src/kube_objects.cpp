#include "l1net/dnsd/io/kube_objects.hpp"

#include <utility>

#include <boost/json.hpp>

#include "l1net/manifest/load.hpp"

namespace l1net::dnsd {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string str(const json::value* v) {
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The items of a List reply at `target`.
asio::awaitable<Result<json::array>> listItems(const KubeCall& call, const std::string& target,
                                               std::string* why) {
  auto r = co_await call("GET", target, {});
  if (!r) {
    *why = "list " + target + ": " + r.error().message();
    co_return r.error();
  }
  if (r->status != 200) {
    *why = "list " + target + ": HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 200);
    co_return Errc::kConflict;
  }
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  if (ec || !v.is_object() || v.as_object().if_contains("items") == nullptr ||
      !(v.as_object().at("items").is_array() || v.as_object().at("items").is_null())) {
    *why = "list " + target + ": reply is not a List";
    co_return Errc::kMalformed;
  }
  auto& items = v.as_object()["items"];
  co_return items.is_null() ? json::array{} : std::move(items.as_array());
}

}  // namespace

asio::awaitable<Result<KubeObjects>> listKubeObjects(const KubeCall& call,
                                                     const std::string& l1net_namespace,
                                                     bool with_l2_status, std::string* why) {
  KubeObjects out;
  struct Collection {
    const char* target;
    const char* api_version;
    const char* kind;
  };
  for (const Collection c :
       {Collection{"/api/v1/services", "v1", "Service"},
        Collection{"/apis/networking.k8s.io/v1/ingresses", "networking.k8s.io/v1", "Ingress"}}) {
    auto items = co_await listItems(call, c.target, why);
    if (!items) {
      co_return items.error();
    }
    for (auto& item : *items) {
      if (!item.is_object()) {
        continue;
      }
      auto& o = item.as_object();
      o["apiVersion"] = c.api_version;  // list items carry neither
      o["kind"] = c.kind;
      std::string where = std::string(c.kind) + " ";
      if (const auto* m = o.if_contains("metadata"); m != nullptr && m->is_object()) {
        where += str(m->as_object().if_contains("namespace")) + "/" +
                 str(m->as_object().if_contains("name"));
      }
      auto loaded = manifest::loadManifestText(json::serialize(o), where);
      if (!loaded.ok()) {
        out.object_errors.push_back(where + ": " + loaded.errors.front().format());
        continue;
      }
      for (auto& s : loaded.set.services) {
        out.set.services.push_back(std::move(s));
      }
      for (auto& i : loaded.set.ingresses) {
        out.set.ingresses.push_back(std::move(i));
      }
    }
  }
  if (with_l2_status) {
    auto items = co_await listItems(
        call, "/apis/metallb.io/v1beta1/namespaces/" + l1net_namespace + "/servicel2statuses", why);
    if (!items) {
      co_return items.error();
    }
    for (const auto& item : *items) {
      const auto* st = item.is_object() ? item.as_object().if_contains("status") : nullptr;
      if (st == nullptr || !st->is_object()) {
        continue;
      }
      const auto ns = str(st->as_object().if_contains("serviceNamespace"));
      const auto name = str(st->as_object().if_contains("serviceName"));
      if (!ns.empty() && !name.empty()) {
        out.announced.insert(ns + "/" + name);
      }
    }
    for (const auto& s : out.set.services) {
      if (out.announced.contains(s.meta.ns + "/" + s.meta.name)) {
        for (const auto& ing : s.ingress) {
          if (!ing.ip.empty()) {
            out.announced_ips.insert(ing.ip);
          }
        }
      }
    }
  }
  co_return out;
}

}  // namespace l1net::dnsd
