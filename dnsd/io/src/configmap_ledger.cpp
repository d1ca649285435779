#include "l1net/dnsd/io/configmap_ledger.hpp"

#include <utility>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "l1net/http/client.hpp"

namespace l1net::dnsd {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kDataKey = "ledger.json";

// "HTTP 409 Conflict: <message>" from a Kubernetes Status body, else the status and a prefix.
std::string describeStatus(const KubeReply& r) {
  boost::system::error_code ec;
  const auto v = json::parse(r.body, ec);
  std::string out = "HTTP " + std::to_string(r.status);
  if (!ec && v.is_object()) {
    const auto& o = v.as_object();
    if (const auto* reason = o.if_contains("reason"); reason != nullptr && reason->is_string()) {
      out += " " + std::string(reason->as_string());
    }
    if (const auto* m = o.if_contains("message"); m != nullptr && m->is_string()) {
      out += ": " + std::string(m->as_string());
    }
    return out;
  }
  return out + " " + r.body.substr(0, 120);
}

}  // namespace

KubeCall httpKubeCall(std::shared_ptr<http::Client> client, std::string bearer_token) {
  return [client = std::move(client), token = std::move(bearer_token)](
             std::string method, std::string target,
             std::string body) -> asio::awaitable<Result<KubeReply>> {
    http::Request req{.method = std::move(method), .target = std::move(target)};
    req.headers.push_back({"Accept", "application/json"});
    if (!body.empty()) {
      req.headers.push_back({"Content-Type", "application/json"});
      req.body = std::move(body);
    }
    if (!token.empty()) {
      req.headers.push_back({"Authorization", "Bearer " + token});
    }
    auto res = co_await client->request(std::move(req));
    if (!res) {
      co_return res.error();
    }
    co_return KubeReply{res->status, std::move(res->body)};
  };
}

ConfigMapLedgerStore::ConfigMapLedgerStore(KubeCall call, ConfigMapLedgerOptions opts,
                                           std::shared_ptr<spdlog::logger> logger)
    : call_(std::move(call)), opts_(std::move(opts)), log_(std::move(logger)) {}

std::string ConfigMapLedgerStore::path() const {
  return "/api/v1/namespaces/" + opts_.ns + "/configmaps/" + opts_.name;
}

asio::awaitable<Result<std::string>> ConfigMapLedgerStore::fetch(std::string* why) {
  auto r = co_await call_("GET", path(), {});
  if (!r) {
    *why = "configmap " + opts_.ns + "/" + opts_.name + ": " + r.error().message();
    co_return r.error();
  }
  if (r->status == 404) {
    exists_ = false;
    object_ = {};
    co_return std::string();
  }
  if (r->status != 200) {
    *why = "configmap " + opts_.ns + "/" + opts_.name + ": " + describeStatus(*r);
    co_return Errc::kConflict;
  }
  boost::system::error_code ec;
  auto v = json::parse(r->body, ec);
  if (ec || !v.is_object()) {
    *why = "configmap " + opts_.ns + "/" + opts_.name + ": reply is not a JSON object";
    co_return Errc::kMalformed;
  }
  object_ = std::move(v.as_object());
  exists_ = true;
  const auto* data = object_.if_contains("data");
  if (data == nullptr || data->is_null()) {
    co_return std::string();
  }
  if (!data->is_object()) {
    *why = "configmap " + opts_.ns + "/" + opts_.name + ": data is not an object";
    co_return Errc::kMalformed;
  }
  const auto* text = data->as_object().if_contains(kDataKey);
  if (text == nullptr) {
    co_return std::string();
  }
  if (!text->is_string()) {
    *why = "configmap " + opts_.ns + "/" + opts_.name + ": data.ledger.json is not a string";
    co_return Errc::kMalformed;
  }
  co_return std::string(text->as_string());
}

asio::awaitable<Result<std::string>> ConfigMapLedgerStore::load(std::string* why) {
  auto text = co_await fetch(why);
  if (!text) {
    co_return text.error();
  }
  auto parsed = parseLedger(*text);
  base_ = parsed.error.empty() ? std::move(parsed.ledger) : Ledger{};
  co_return text;
}

asio::awaitable<Result<std::string>> ConfigMapLedgerStore::save(std::string text,
                                                                std::string* why) {
  auto ours = parseLedger(text);
  if (!ours.error.empty()) {
    *why = "ledger to store does not parse: " + ours.error;
    co_return Errc::kMalformed;
  }
  for (int attempt = 0; attempt <= opts_.max_conflict_retries; ++attempt) {
    Result<KubeReply> r = Errc::kConflict;
    if (!exists_) {
      json::object cm{
          {"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata",
           json::object{{"name", opts_.name},
                        {"namespace", opts_.ns},
                        {"labels", json::object{{"app.kubernetes.io/managed-by", "l1net-dnsd"}}}}},
          {"data", json::object{{kDataKey, text}}}};
      r = co_await call_("POST", "/api/v1/namespaces/" + opts_.ns + "/configmaps",
                         json::serialize(cm));
    } else {
      json::object cm = object_;
      auto& data = cm["data"];
      if (!data.is_object()) {
        data = json::object{};
      }
      data.as_object()[kDataKey] = text;
      r = co_await call_("PUT", path(), json::serialize(cm));  // carries metadata.resourceVersion
    }
    if (!r) {
      *why = "configmap " + opts_.ns + "/" + opts_.name + ": " + r.error().message();
      co_return r.error();
    }
    if (r->status == 200 || r->status == 201) {
      boost::system::error_code ec;
      auto v = json::parse(r->body, ec);
      if (!ec && v.is_object()) {
        object_ = std::move(v.as_object());
      }
      (exists_ ? stats_.updates : stats_.creates) += 1;
      exists_ = true;
      base_ = ours.ledger;
      co_return text;
    }
    if (r->status == 404 && exists_) {  // deleted behind our back: create it again
      exists_ = false;
      continue;
    }
    if (r->status != 409) {
      *why = "configmap " + opts_.ns + "/" + opts_.name + ": " + describeStatus(*r);
      co_return Errc::kConflict;
    }
    // Another writer was first: read what is stored, merge, write again.
    ++stats_.conflicts;
    log_->info("configmap {}/{}: {}; reading it again and merging", opts_.ns, opts_.name,
               describeStatus(*r));
    auto stored = co_await fetch(why);
    if (!stored) {
      co_return stored.error();
    }
    auto theirs = parseLedger(*stored);
    if (!theirs.error.empty()) {
      // Never overwrite a ledger we cannot read: it may hold what another writer owns.
      *why = "configmap " + opts_.ns + "/" + opts_.name +
             ": stored ledger does not parse: " + theirs.error;
      co_return Errc::kMalformed;
    }
    ours.ledger = mergeLedger(base_, ours.ledger, theirs.ledger);
    base_ = std::move(theirs.ledger);
    text = renderLedger(ours.ledger);
  }
  *why = "configmap " + opts_.ns + "/" + opts_.name + ": still conflicting after " +
         std::to_string(opts_.max_conflict_retries) + " retries";
  co_return Errc::kConflict;
}

}  // namespace l1net::dnsd
