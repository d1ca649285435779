#include "l1net/testing/fake_pihole.hpp"

#include <algorithm>

#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>

#include "l1net/http/url.hpp"

namespace l1net::testing {

namespace json = boost::json;

namespace {

constexpr std::string_view kHosts = "/api/config/dns/hosts";
constexpr std::string_view kCnames = "/api/config/dns/cnameRecords";

TestResponse jsonResponse(unsigned status, const json::value& v) {
  return TestResponse{.status = status,
                      .headers = {{"Content-Type", "application/json; charset=utf-8"}},
                      .body = json::serialize(v)};
}

TestResponse error(unsigned status, const char* key, const char* message, const char* hint) {
  json::object e;
  e["key"] = key;
  e["message"] = message;
  e["hint"] = hint == nullptr ? json::value(nullptr) : json::value(hint);
  json::object root;
  root["error"] = std::move(e);
  root["took"] = 0.0001;
  return jsonResponse(status, root);
}

std::string queryParam(const std::string& query, const std::string& key) {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    const auto amp = query.find('&', pos);
    const auto part = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (part.rfind(key + "=", 0) == 0) {
      return part.substr(key.size() + 1);
    }
    if (amp == std::string::npos) {
      break;
    }
    pos = amp + 1;
  }
  return {};
}

bool validHost(const std::string& v) {
  const auto sp = v.find(' ');
  if (sp == std::string::npos || sp + 1 >= v.size()) {
    return false;
  }
  boost::system::error_code ec;
  (void)boost::asio::ip::make_address(v.substr(0, sp), ec);
  return !ec;
}

bool validCname(const std::string& v) {
  const auto c = v.find(',');
  return c != std::string::npos && c > 0 && c + 1 < v.size();
}

}  // namespace

FakePihole::FakePihole(boost::asio::any_io_executor ex, FakePiholeOptions opts,
                       std::optional<TlsIdentity> tls)
    : opts_(std::move(opts)),
      server_(
          ex, [this](const TestRequest& r) { return handle(r); }, std::move(tls)) {}

std::string FakePihole::url() const { return server_.url(); }

std::chrono::steady_clock::time_point FakePihole::now() const {
  return std::chrono::steady_clock::now() + offset_;
}

std::size_t FakePihole::liveSessions() const {
  const auto t = now();
  return static_cast<std::size_t>(std::count_if(
      sessions_.begin(), sessions_.end(), [&](const auto& s) { return s.second.expiry > t; }));
}

std::string FakePihole::csrfOf(const std::string& sid) const {
  const auto it = sessions_.find(sid);
  return it == sessions_.end() ? std::string() : it->second.csrf;
}

bool FakePihole::countPasswordCheck() {
  const auto second = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch() + offset_)
                          .count();
  if (second == attempt_second_) {
    return ++attempts_in_second_ <= opts_.max_login_attempts_per_second;
  }
  attempt_second_ = second;
  attempts_in_second_ = 1;
  return true;
}

TestResponse FakePihole::handle(const TestRequest& req) {
  Call call{req.method, req.target, "", "", 0};
  std::string path = req.target;
  std::string query;
  if (const auto q = path.find('?'); q != std::string::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  // Where FTL's check_client_auth() looks for the sid, in its order.
  json::value body_json;
  {
    boost::system::error_code ec;
    body_json = json::parse(req.body, ec);
    if (ec) {
      body_json = nullptr;
    }
  }
  if (body_json.is_object()) {
    if (const auto* s = body_json.as_object().if_contains("sid"); s != nullptr && s->is_string()) {
      call.sid = std::string(s->as_string());
      call.sid_source = "json";
    }
  }
  if (call.sid_source.empty()) {
    for (const char* h : {"sid", "X-FTL-SID"}) {
      if (const auto v = req.headerValues(h); !v.empty()) {
        call.sid = v.front();
        call.sid_source = "header";
        break;
      }
    }
  }
  if (call.sid_source.empty()) {
    for (const auto& cookies : req.headerValues("Cookie")) {
      std::size_t pos = 0;
      while (pos < cookies.size()) {
        const auto semi = cookies.find(';', pos);
        auto part = cookies.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos);
        part.erase(0, part.find_first_not_of(' '));
        if (part.rfind("sid=", 0) == 0) {
          call.sid = part.substr(4);
          call.sid_source = "cookie";
          break;
        }
        if (semi == std::string::npos) {
          break;
        }
        pos = semi + 1;
      }
      if (!call.sid_source.empty()) {
        break;
      }
    }
  }
  if (call.sid_source.empty()) {
    call.sid = queryParam(query, "sid");
    if (!call.sid.empty()) {
      call.sid_source = "query";
    }
  }
  auto finish = [&](TestResponse res) {
    call.status = res.drop ? 0 : res.status;
    calls_.push_back(call);
    return res;
  };
  if (std::chrono::steady_clock::now() < unavailable_until_) {
    return finish(TestResponse{.drop = true});  // FTL restarting: nobody answers
  }
  if (intercept_) {
    if (auto r = intercept_(req)) {
      return finish(*r);
    }
  }
  const auto t = now();
  std::erase_if(sessions_, [&](const auto& s) { return s.second.expiry <= t; });
  if (path == "/__fixture/state") {  // test introspection, not part of FTL's API
    json::array h(hosts_.begin(), hosts_.end());
    json::array c(cnames_.begin(), cnames_.end());
    return finish(jsonResponse(200, json::object{{"live_sessions", sessions_.size()},
                                                 {"logins", logins_},
                                                 {"restarts", restarts_},
                                                 {"requests", calls_.size()},
                                                 {"throttled", throttled_},
                                                 {"hosts", h},
                                                 {"cnames", c}}));
  }
  auto invalidSession = [](unsigned status, const char* message = nullptr) {
    json::object s{{"valid", false}, {"totp", false}, {"sid", nullptr}, {"validity", -1}};
    if (message != nullptr) {
      s["message"] = message;
    }
    return jsonResponse(status, json::object{{"session", s}, {"took", 0.0001}});
  };

  if (path == "/api/auth" && req.method == "POST") {
    const json::value* pw = nullptr;
    if (body_json.is_object()) {
      pw = body_json.as_object().if_contains("password");
    }
    if (pw == nullptr) {
      return finish(error(400, "bad_request", "No password found in JSON payload", nullptr));
    }
    if (!pw->is_string()) {
      return finish(
          error(400, "bad_request", "Field password has to be of type 'string'", nullptr));
    }
    const std::string given(pw->as_string());
    bool app = false;
    bool correct = false;
    if (!given.empty()) {
      if (!countPasswordCheck()) {
        auto r = error(429, "rate_limiting", "Rate-limiting login attempts", nullptr);
        r.delay = std::chrono::milliseconds(250);  // FTL sleeps before answering
        return finish(r);
      }
      correct = given == opts_.password;
      if (correct) {
        --attempts_in_second_;  // successful logins do not count
      } else if (!opts_.app_password.empty() && countPasswordCheck()) {
        app = correct = given == opts_.app_password;
        if (correct) {
          --attempts_in_second_;
        }
      }
    }
    if (!correct) {
      auto r = invalidSession(401, "password incorrect");
      r.headers.emplace_back("Set-Cookie", "sid=deleted; Path=/; Max-Age=-1");
      return finish(r);
    }
    if (sessions_.size() >= opts_.max_sessions) {
      return finish(error(429, "api_seats_exceeded", "API seats exceeded",
                          "increase webserver.api.max_sessions"));
    }
    const auto sid = "sid-" + std::to_string(next_sid_) + "-fake";
    const auto csrf = "csrf-" + std::to_string(next_sid_++) + "-fake";
    sessions_[sid] = Session{t + opts_.session_timeout, csrf, app};
    ++logins_;
    const auto timeout = static_cast<std::int64_t>(opts_.session_timeout.count());
    json::object s{{"valid", true}, {"totp", false},       {"sid", sid},
                   {"csrf", csrf},  {"validity", timeout}, {"message", "app-password correct"}};
    if (!app) {
      s["message"] = "password correct";
    }
    auto r = jsonResponse(200, json::object{{"session", s}, {"took", 0.0001}});
    r.headers.emplace_back("Set-Cookie", "sid=" + sid + "; SameSite=Strict; Path=/; Max-Age=" +
                                             std::to_string(timeout) + "; HttpOnly");
    return finish(r);
  }

  auto it = sessions_.find(call.sid);
  if (it != sessions_.end() && call.sid_source == "cookie" && path != "/api/auth" &&
      req.header("X-CSRF-TOKEN") != it->second.csrf) {
    it = sessions_.end();  // cookie authentication needs the session's CSRF token
  }
  if (it == sessions_.end()) {
    if (path == "/api/auth") {  // DELETE or GET without a valid session
      auto r = invalidSession(401);
      r.headers.emplace_back("Set-Cookie", "sid=deleted; Path=/; Max-Age=-1");
      return finish(r);
    }
    return finish(error(401, "unauthorized", "Unauthorized", nullptr));
  }
  if (throttle_left_ > 0) {
    --throttle_left_;
    ++throttled_;
    auto r = error(429, "rate_limiting", "Rate-limiting API requests", "retry later");
    if (!throttle_retry_after_.empty()) {
      r.headers.emplace_back("Retry-After", throttle_retry_after_);
    }
    return finish(r);  // a proxy answered: the session was not refreshed
  }
  it->second.expiry = t + opts_.session_timeout;  // sliding timeout

  if (path == "/api/auth" && req.method == "DELETE") {
    sessions_.erase(it);
    return finish(TestResponse{.status = 204,
                               .headers = {{"Set-Cookie", "sid=deleted; Path=/; Max-Age=-1"}}});
  }
  if (path == "/api/action/restartdns" && req.method == "POST") {
    ++restarts_;
    unavailable_until_ = std::chrono::steady_clock::now() + opts_.restart_outage;
    return finish(jsonResponse(200, json::object{{"status", "success"}, {"took", 0.0001}}));
  }
  for (const auto base : {kHosts, kCnames}) {
    const bool cname = base == kCnames;
    auto& list = cname ? cnames_ : hosts_;
    const char* key = cname ? "cnameRecords" : "hosts";
    if (path == base && req.method == "GET") {
      json::array arr;
      for (const auto& e : list) {
        arr.emplace_back(e);
      }
      json::object dns{{key, arr}};
      return finish(jsonResponse(
          200, json::object{{"config", json::object{{"dns", dns}}}, {"took", 0.0001}}));
    }
    if (path.size() > base.size() + 1 && path.starts_with(base) && path[base.size()] == '/') {
      if (it->second.app && !opts_.app_sudo && req.method != "GET") {
        return finish(error(403, "forbidden", "Unable to change configuration (read-only)",
                            "The current app session is not allowed to modify Pi-hole config "
                            "settings (webserver.api.app_sudo is false)"));
      }
      const auto decoded = http::percentDecode(path.substr(base.size() + 1), true);
      if (!decoded) {
        return finish(error(400, "bad_request", "Invalid request", "malformed escape"));
      }
      const auto& value = *decoded;
      const auto pos = std::find(list.begin(), list.end(), value);
      const bool restart = cname && queryParam(query, "restart") != "false";
      if (req.method == "PUT") {
        if (!(cname ? validCname(value) : validHost(value))) {
          return finish(error(400, "bad_request", "Invalid value", "expected \"IP HOSTNAME\""));
        }
        if (pos != list.end()) {
          return finish(
              error(400, "bad_request", "Item already present", "Uniqueness of items is enforced"));
        }
        list.push_back(value);
        if (restart) {
          ++restarts_;
          unavailable_until_ = std::chrono::steady_clock::now() + opts_.restart_outage;
        }
        json::object dns{{key, json::array{json::value(value)}}};
        return finish(jsonResponse(
            201, json::object{{"config", json::object{{"dns", dns}}}, {"took", 0.0001}}));
      }
      if (req.method == "DELETE") {
        if (pos == list.end()) {
          return finish(error(404, "not_found", "Item not found", nullptr));
        }
        list.erase(pos);
        if (restart) {
          ++restarts_;
          unavailable_until_ = std::chrono::steady_clock::now() + opts_.restart_outage;
        }
        return finish(TestResponse{.status = 204});
      }
    }
  }
  return finish(error(404, "not_found", "Not found", path.c_str()));
}

}  // namespace l1net::testing
