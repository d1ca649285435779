#include "l1net/dnsd/io/configmap_ledger.hpp"

#include <optional>
#include <utility>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "l1net/kubeapi/client.hpp"
#include "l1net/kubeapi/writes.hpp"

namespace l1net::dnsd {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::string_view kDataKey = "ledger.json";

// "HTTP 403 Forbidden: <message>" from an API answer.
std::string describeStatus(const kubeapi::ApiResponse& r) {
  std::string out = "HTTP " + std::to_string(r.status);
  if (!r.error.reason.empty()) {
    out += " " + r.error.reason;
  }
  if (!r.error.message.empty()) {
    out += ": " + r.error.message;
  }
  return out;
}

// The ledger text stored in a ConfigMap ("" when it holds none); nullopt (and *why) when the
// data field is not of the expected shape.
std::optional<std::string> ledgerText(const json::value& cm, std::string* why) {
  const auto* o = cm.if_object();
  if (o == nullptr) {
    *why = "reply is not a JSON object";
    return std::nullopt;
  }
  const auto* data = o->if_contains("data");
  if (data == nullptr || data->is_null()) {
    return std::string();
  }
  if (!data->is_object()) {
    *why = "data is not an object";
    return std::nullopt;
  }
  const auto* text = data->as_object().if_contains(kDataKey);
  if (text == nullptr) {
    return std::string();
  }
  if (!text->is_string()) {
    *why = "data.ledger.json is not a string";
    return std::nullopt;
  }
  return std::string(text->as_string());
}

}  // namespace

ConfigMapLedgerStore::ConfigMapLedgerStore(kubeapi::ApiClient& client, ConfigMapLedgerOptions opts,
                                           std::shared_ptr<spdlog::logger> logger)
    : client_(client), opts_(std::move(opts)), log_(std::move(logger)) {}

std::string ConfigMapLedgerStore::collection() const {
  return kubeapi::resourcePath("", "v1", "configmaps", opts_.ns);
}

asio::awaitable<Result<std::string>> ConfigMapLedgerStore::load(std::string* why) {
  const auto where = "configmap " + opts_.ns + "/" + opts_.name;
  auto r = co_await client_.call("GET", collection() + "/" + opts_.name);
  if (!r) {
    *why = where + ": " + r.error().message();
    co_return r.error();
  }
  if (r->status == 404) {
    base_ = {};
    co_return std::string();
  }
  if (!r->ok()) {
    *why = where + ": " + describeStatus(*r);
    co_return Errc::kConflict;
  }
  auto text = ledgerText(r->body, why);
  if (!text) {
    *why = where + ": " + *why;
    co_return Errc::kMalformed;
  }
  auto parsed = parseLedger(*text);
  base_ = parsed.error.empty() ? std::move(parsed.ledger) : Ledger{};
  co_return std::move(*text);
}

asio::awaitable<Result<std::string>> ConfigMapLedgerStore::save(std::string text,
                                                                std::string* why) {
  auto ours = parseLedger(text);
  if (!ours.error.empty()) {
    *why = "ledger to store does not parse: " + ours.error;
    co_return Errc::kMalformed;
  }
  Ledger stored;  // what the successful write holds
  bool merged = false;
  bool created = false;
  auto mutate = [&](const json::value& current, std::string& refuse) -> std::optional<json::value> {
    created = current.is_null();
    json::object cm;
    Ledger theirs;
    if (created) {
      cm = json::object{{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", json::object{{"namespace", opts_.ns},
                                                  {"labels", json::object{{"app.kubernetes.io/"
                                                                           "managed-by",
                                                                           "l1net-dnsd"}}}}}};
    } else {
      auto t = ledgerText(current, &refuse);
      if (!t) {
        return std::nullopt;
      }
      auto parsed = parseLedger(*t);
      if (!parsed.error.empty()) {
        // Never overwrite a ledger we cannot read: it may hold what another writer owns.
        refuse = "stored ledger does not parse: " + parsed.error;
        return std::nullopt;
      }
      theirs = std::move(parsed.ledger);
      cm = current.as_object();
    }
    // Absent (never written, or deleted behind our back): ours as it is, as a merge against
    // "nothing stored" would drop every entry this writer still owns.
    merged = !created && theirs != base_;
    stored = merged ? mergeLedger(base_, ours.ledger, theirs) : ours.ledger;
    auto& data = cm["data"];
    if (!data.is_object()) {
      data = json::object{};
    }
    data.as_object()[kDataKey] = renderLedger(stored);
    return json::value(std::move(cm));
  };
  const auto w = co_await kubeapi::updateWith(client_, collection(), opts_.name, mutate);
  stats_.conflicts += static_cast<std::uint64_t>(w.attempts > 1 ? w.attempts - 1 : 0);
  if (!w.ok) {
    *why = "configmap " + opts_.ns + "/" + opts_.name + ": " + w.error;
    co_return Errc::kConflict;
  }
  (created ? stats_.creates : stats_.updates) += 1;
  if (merged) {
    ++stats_.merges;
    log_->info("configmap {}/{}: another writer changed the ledger; merged, nothing of theirs lost",
               opts_.ns, opts_.name);
  }
  base_ = stored;
  co_return renderLedger(stored);
}

}  // namespace l1net::dnsd
