#include "l1net/dnsd/providers/pihole.hpp"

#include <charconv>
#include <random>
#include <stdexcept>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "split_fields.hpp"

namespace l1net::dnsd {

namespace json = boost::json;
namespace asio = boost::asio;

namespace {

constexpr std::string_view kHostsPath = "/api/config/dns/hosts";
constexpr std::string_view kCnamePath = "/api/config/dns/cnameRecords";

// "key: message" from FTL's {"error":{"key","message","hint"}}, or the status and a body prefix.
std::string describeError(const http::Response& res) {
  boost::system::error_code ec;
  const auto v = json::parse(res.body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error"); e != nullptr && e->is_object()) {
      std::string out = "HTTP " + std::to_string(res.status);
      const auto& eo = e->as_object();
      if (const auto* k = eo.if_contains("key"); k != nullptr && k->is_string()) {
        out += " " + std::string(k->as_string());
      }
      if (const auto* m = eo.if_contains("message"); m != nullptr && m->is_string()) {
        out += ": " + std::string(m->as_string());
      }
      if (const auto* h = eo.if_contains("hint"); h != nullptr && h->is_string()) {
        out += " (" + std::string(h->as_string()) + ")";
      }
      return out;
    }
  }
  return "HTTP " + std::to_string(res.status) + " " + res.body.substr(0, 120);
}

std::string errorMessage(const http::Response& res) {
  boost::system::error_code ec;
  const auto v = json::parse(res.body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.as_object().if_contains("error"); e != nullptr && e->is_object()) {
      if (const auto* m = e->as_object().if_contains("message"); m != nullptr && m->is_string()) {
        return std::string(m->as_string());
      }
    }
  }
  return {};
}

// The string array at config.dns.<key>, or an error naming the missing field.
Result<std::vector<std::string>> stringList(const std::string& body, std::string_view key,
                                            std::string* why) {
  boost::system::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec) {
    *why = "reply is not JSON: " + ec.message();
    return Errc::kMalformed;
  }
  const json::value* cur = &v;
  for (const std::string_view part : {std::string_view("config"), std::string_view("dns"), key}) {
    if (!cur->is_object() || cur->as_object().if_contains(part) == nullptr) {
      *why = "reply lacks config.dns." + std::string(key);
      return Errc::kMalformed;
    }
    cur = cur->as_object().if_contains(part);
  }
  if (!cur->is_array()) {
    *why = "config.dns." + std::string(key) + " is not an array";
    return Errc::kMalformed;
  }
  std::vector<std::string> out;
  for (const auto& e : cur->as_array()) {
    if (!e.is_string()) {
      *why = "config.dns." + std::string(key) + " holds a non-string";
      return Errc::kMalformed;
    }
    out.emplace_back(e.as_string());
  }
  return out;
}

bool isIp(const std::string& s, bool& v6) {
  boost::system::error_code ec;
  const auto a = asio::ip::make_address(s, ec);
  if (ec || a.to_string() != s) {
    return false;
  }
  v6 = a.is_v6();
  return true;
}

}  // namespace

std::string piholeEntry(const Record& r) {
  if (r.type == RecordType::kCNAME) {
    std::string e = r.name + "," + r.target;
    if (r.ttl) {
      e += "," + std::to_string(*r.ttl);
    }
    return e;
  }
  return r.target + " " + r.name;
}

std::string piholePath(const Record& r) {
  return std::string(r.type == RecordType::kCNAME ? kCnamePath : kHostsPath) + "/" +
         http::percentEncode(piholeEntry(r)) +
         (r.type == RecordType::kCNAME ? "?restart=false" : "");
}

ProviderState parsePiholeEntries(const std::vector<std::string>& hosts,
                                 const std::vector<std::string>& cnames) {
  ProviderState st;
  st.entries = hosts.size() + cnames.size();
  for (const auto& h : hosts) {
    const auto parts = detail::splitWhitespace(h);
    bool v6 = false;
    if (parts.size() == 2 && isIp(parts[0], v6) && h == parts[0] + " " + parts[1]) {
      st.records.push_back(Record{v6 ? RecordType::kAAAA : RecordType::kA, parts[1], parts[0], {}});
      continue;
    }
    for (std::size_t i = 1; i < parts.size(); ++i) {
      st.foreign_names.insert(parts[i]);
    }
  }
  for (const auto& c : cnames) {
    std::vector<std::string> f;
    std::size_t start = 0;
    for (;;) {
      const auto comma = c.find(',', start);
      f.push_back(c.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
    bool ok = (f.size() == 2 || f.size() == 3) && !f[0].empty() && !f[1].empty() &&
              f[0].find(' ') == std::string::npos && f[1].find(' ') == std::string::npos;
    std::optional<std::uint32_t> ttl;
    if (ok && f.size() == 3) {
      std::uint32_t v = 0;
      const auto* end = f[2].data() + f[2].size();
      const auto [p, ec] = std::from_chars(f[2].data(), end, v);
      ok = ec == std::errc{} && p == end && v > 0 && std::to_string(v) == f[2];
      ttl = v;
    }
    if (ok) {
      st.records.push_back(Record{RecordType::kCNAME, f[0], f[1], ttl});
    } else if (!f.empty() && !f[0].empty()) {
      st.foreign_names.insert(f[0]);
    }
  }
  return st;
}

struct PiholeProvider::Impl {
  using Clock = std::chrono::steady_clock;

  asio::any_io_executor ex;
  PiholeOptions opts;
  std::shared_ptr<spdlog::logger> log;
  std::shared_ptr<http::Client> client;
  std::string id;
  std::string sid;
  PiholeStats stats;
  unsigned rate_limits = 0;  // consecutive 429 answers
  Clock::time_point blocked_until{};
  std::chrono::milliseconds budget{0};  // what this read()/apply() may still wait
  bool restart_pending = false;         // a CNAME change whose restartdns was not sent
  std::mt19937_64 rng{std::random_device{}()};

  asio::awaitable<Result<http::Response>> send(const std::string& method, std::string target,
                                               std::string body) {
    http::Request req{.method = method, .target = std::move(target), .body = std::move(body)};
    if (!req.body.empty()) {
      req.headers.push_back({"Content-Type", "application/json"});
    }
    if (!sid.empty()) {
      req.headers.push_back({"X-FTL-SID", sid});
    }
    req.timeout = opts.timeout;
    ++stats.requests;
    co_return co_await client->request(std::move(req));
  }

  // send(), backing off on 429: waits and resends while the wait fits the budget; else blocks
  // the instance until the wait is over and returns the 429 answer.
  asio::awaitable<Result<http::Response>> sendPaced(const std::string& method,
                                                    const std::string& target,
                                                    const std::string& body) {
    for (;;) {
      auto res = co_await send(method, target, body);
      if (!res) {
        co_return res;
      }
      if (res->status != 429) {
        rate_limits = 0;
        co_return res;
      }
      ++rate_limits;
      ++stats.rate_limited;
      std::optional<std::chrono::seconds> retry_after;
      if (const auto h = http::findHeader(res->headers, "Retry-After")) {
        const auto now_unix = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
        retry_after = parseRetryAfter(*h, now_unix);
      }
      const auto wait =
          rateLimitWait(opts.backoff, rate_limits,
                        std::uniform_real_distribution<double>(0.0, 1.0)(rng), retry_after);
      if (wait > budget) {
        blocked_until = Clock::now() + wait;
        log->warn("{}: {} {}: {}; rate limited {} time(s) in a row, backing off {} ms", id, method,
                  target, describeError(*res), rate_limits, wait.count());
        co_return res;
      }
      log->warn("{}: {} {}: {}; waiting {} ms, then sending it again", id, method, target,
                describeError(*res), wait.count());
      budget -= wait;
      asio::steady_timer t(ex, wait);
      co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }

  // Non-empty while the instance backs off: why nothing is sent.
  [[nodiscard]] std::string backingOff() {
    const auto now = Clock::now();
    if (now >= blocked_until) {
      return {};
    }
    ++stats.backoff_skips;
    return "rate limited by the Pi-hole: backing off for another " +
           std::to_string(
               std::chrono::duration_cast<std::chrono::milliseconds>(blocked_until - now).count()) +
           " ms; not sent";
  }

  // Opens a session. On failure, *why says why (never the password).
  asio::awaitable<bool> login(std::string* why) {
    sid.clear();
    json::object body;
    body["password"] = opts.password;
    auto res = co_await sendPaced("POST", "/api/auth", json::serialize(body));
    if (!res) {
      *why = "login: " + res.error().message();
      co_return false;
    }
    if (res->status != 200) {
      *why = "login refused: " + describeError(*res);
      if (res->status == 429) {
        *why += "; backing off, retrying later";
      }
      co_return false;
    }
    boost::system::error_code ec;
    const auto v = json::parse(res->body, ec);
    const json::value* s = nullptr;
    if (!ec && v.is_object()) {
      if (const auto* sess = v.as_object().if_contains("session");
          sess != nullptr && sess->is_object()) {
        s = sess->as_object().if_contains("sid");
        const auto* valid = sess->as_object().if_contains("valid");
        if (valid == nullptr || !valid->is_bool() || !valid->as_bool()) {
          s = nullptr;
        }
      }
    }
    if (s == nullptr || !s->is_string() || s->as_string().empty()) {
      *why = "login: reply carries no valid session.sid";
      co_return false;
    }
    sid = std::string(s->as_string());
    ++stats.logins;
    log->info("{}: logged in (session opened)", id);
    co_return true;
  }

  // An authenticated call: logs in when needed; on 401 logs in again once and resends. Nothing
  // is sent while the instance backs off after a 429.
  asio::awaitable<Result<http::Response>> call(const std::string& method, const std::string& target,
                                               std::string* why) {
    if (auto b = backingOff(); !b.empty()) {
      *why = b;
      co_return Errc::kConflict;
    }
    if (sid.empty() && !co_await login(why)) {
      ++stats.errors;
      co_return Errc::kConflict;
    }
    auto res = co_await sendPaced(method, target, {});
    if (res && res->status == 401) {
      log->info("{}: session expired (401); logging in again", id);
      if (!co_await login(why)) {
        ++stats.errors;
        co_return Errc::kConflict;
      }
      ++stats.relogins;
      res = co_await sendPaced(method, target, {});
    }
    if (!res) {
      ++stats.errors;
      *why = method + " " + target + ": " + res.error().message();
    }
    co_return res;
  }

  // POST /api/action/restartdns; remembered as pending when it cannot be sent.
  asio::awaitable<void> restartDns() {
    std::string why;
    auto res = co_await call("POST", "/api/action/restartdns", &why);
    restart_pending = !res || res->status / 100 != 2;
    if (restart_pending) {
      log->warn("{}: restartdns failed: {}; sending it with the next read", id,
                res ? describeError(*res) : why);
    }
  }
};

PiholeProvider::PiholeProvider(asio::any_io_executor ex, PiholeOptions opts,
                               std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<Impl>()) {
  auto& s = *impl_;
  s.ex = ex;
  s.log = std::move(logger);
  auto client = http::Client::create(std::move(ex), opts.url,
                                     {.request_timeout = opts.timeout,
                                      .max_body_bytes = 32 * 1024 * 1024,
                                      .user_agent = "l1net-dnsd",
                                      .tls = opts.tls});
  if (!client) {
    throw std::invalid_argument("--pihole-url " + opts.url + ": " + client.error().message());
  }
  s.client = *client;
  s.id = "pihole " + s.client->url().origin() + s.client->url().base_path;
  s.opts = std::move(opts);
}

PiholeProvider::~PiholeProvider() = default;

const std::string& PiholeProvider::id() const noexcept { return impl_->id; }
const PiholeStats& PiholeProvider::stats() const noexcept { return impl_->stats; }

asio::awaitable<Result<ProviderState>> PiholeProvider::read(std::string* why) {
  auto& s = *impl_;
  s.budget = s.opts.max_wait_per_call;
  std::vector<std::string> lists[2];
  const std::string_view paths[2] = {kHostsPath, kCnamePath};
  const std::string_view keys[2] = {"hosts", "cnameRecords"};
  for (int i = 0; i < 2; ++i) {
    auto res = co_await s.call("GET", std::string(paths[i]), why);
    if (!res) {
      co_return res.error();
    }
    if (res->status != 200) {
      ++s.stats.errors;
      *why = "GET " + std::string(paths[i]) + ": " + describeError(*res);
      co_return Errc::kConflict;
    }
    auto list = stringList(res->body, keys[i], why);
    if (!list) {
      ++s.stats.errors;
      *why = "GET " + std::string(paths[i]) + ": " + *why;
      co_return list.error();
    }
    lists[i] = std::move(*list);
  }
  if (s.restart_pending) {
    co_await s.restartDns();
  }
  co_return parsePiholeEntries(lists[0], lists[1]);
}

asio::awaitable<ApplyResult> PiholeProvider::apply(const Plan& plan) {
  auto& s = *impl_;
  ApplyResult out;
  s.budget = s.opts.max_wait_per_call;
  const auto before = s.stats.requests;
  bool cname_changed = false;
  for (const auto& r : plan.deletes) {
    std::string why;
    auto res = co_await s.call("DELETE", piholePath(r), &why);
    if (res && (res->status == 204 || res->status == 404)) {
      out.deleted.push_back(r);
      cname_changed |= r.type == RecordType::kCNAME && res->status == 204;
    } else {
      out.failed.emplace_back(r, res ? describeError(*res) : why);
    }
  }
  for (const auto& r : plan.creates) {
    std::string why;
    auto res = co_await s.call("PUT", piholePath(r), &why);
    if (res && (res->status == 201 || res->status == 200 ||
                (res->status == 400 && errorMessage(*res) == "Item already present"))) {
      out.created.push_back(r);
      cname_changed |= r.type == RecordType::kCNAME && res->status != 400;
    } else {
      out.failed.emplace_back(r, res ? describeError(*res) : why);
    }
  }
  if (cname_changed || s.restart_pending) {
    co_await s.restartDns();
  }
  out.requests = s.stats.requests - before;
  co_return out;
}

std::vector<std::string> PiholeProvider::describeCalls(const Plan& plan) const {
  std::vector<std::string> out;
  const auto origin = impl_->client->url().origin() + impl_->client->url().base_path;
  bool cname = false;
  for (const auto& r : plan.deletes) {
    out.push_back("DELETE " + origin + piholePath(r) + "   # " + describe(r));
    cname |= r.type == RecordType::kCNAME;
  }
  for (const auto& r : plan.creates) {
    out.push_back("PUT " + origin + piholePath(r) + "   # " + describe(r));
    cname |= r.type == RecordType::kCNAME;
  }
  if (cname) {
    out.push_back("POST " + origin + "/api/action/restartdns");
  }
  return out;
}

asio::awaitable<void> PiholeProvider::shutdown() {
  auto& s = *impl_;
  if (s.sid.empty()) {
    co_return;
  }
  // A DNS restart (restartdns just before) makes FTL's API unreachable for about half a second:
  // retry transport errors briefly so a restart never leaks the session.
  // A 429 (a proxy in front of FTL) is waited out for up to 10 s, whatever the back-off state:
  // the session must be closed.
  s.budget = std::chrono::seconds(10);
  auto res = co_await s.sendPaced("DELETE", "/api/auth", {});
  for (int attempt = 0; !res && attempt < 8; ++attempt) {
    asio::steady_timer t(s.ex, std::chrono::milliseconds(250));
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    res = co_await s.sendPaced("DELETE", "/api/auth", {});
  }
  if (res && (res->status == 204 || res->status == 200 || res->status == 410)) {
    ++s.stats.logouts;
    s.log->info("{}: logged out (session closed)", s.id);
  } else {
    s.log->warn("{}: logout failed: {}", s.id, res ? describeError(*res) : res.error().message());
  }
  s.sid.clear();
  s.client->closeIdle();
}

}  // namespace l1net::dnsd
