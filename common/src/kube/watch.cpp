#include "l1net/kube/watch.hpp"

#include <array>
#include <string>

#include <boost/json.hpp>

namespace l1net::kube {
namespace json = boost::json;

namespace {
constexpr std::array<std::string_view, 5> kTypeNames = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK",
                                                        "ERROR"};
}  // namespace

std::string_view eventTypeName(EventType t) noexcept {
  return kTypeNames.at(static_cast<std::size_t>(t));
}

std::optional<ApiStatus> parseStatus(const json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) {
    return std::nullopt;
  }
  const auto* kind = o->if_contains("kind");
  if (kind == nullptr || !kind->is_string() || kind->get_string() != "Status") {
    return std::nullopt;
  }
  ApiStatus s;
  if (const auto* c = o->if_contains("code"); c != nullptr && c->is_int64()) {
    s.code = static_cast<int>(c->get_int64());
  }
  if (const auto* r = o->if_contains("reason"); r != nullptr && r->is_string()) {
    s.reason = std::string(r->get_string());
  }
  if (const auto* m = o->if_contains("message"); m != nullptr && m->is_string()) {
    s.message = std::string(m->get_string());
  }
  return s;
}

ApiStatus statusFromBody(unsigned http_status, std::string_view body) {
  json::error_code ec;
  const auto v = json::parse(body, ec);
  if (!ec) {
    if (auto s = parseStatus(v)) {
      if (s->code == 0) {
        s->code = static_cast<int>(http_status);
      }
      return *s;
    }
  }
  return ApiStatus{static_cast<int>(http_status), "", std::string(body.substr(0, 200))};
}

std::variant<WatchEvent, StreamError> parseWatchEvent(std::string_view line) {
  json::error_code ec;
  auto v = json::parse(line, ec);
  if (ec) {
    return StreamError{"watch event is not JSON: " + ec.message()};
  }
  auto* o = v.if_object();
  if (o == nullptr) {
    return StreamError{"watch event is not a JSON object"};
  }
  const auto* type = o->if_contains("type");
  if (type == nullptr || !type->is_string()) {
    return StreamError{"watch event has no type"};
  }
  WatchEvent ev;
  bool known = false;
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (type->get_string() == kTypeNames.at(i)) {
      ev.type = static_cast<EventType>(i);
      known = true;
    }
  }
  if (!known) {
    return StreamError{"watch event has unknown type \"" + std::string(type->get_string()) + "\""};
  }
  auto* object = o->if_contains("object");
  if (object == nullptr || !object->is_object()) {
    return StreamError{"watch event " + std::string(type->get_string()) + " has no object"};
  }
  ev.object = std::move(*object);
  return ev;
}

std::optional<StreamError> WatchStreamParser::feed(std::string_view bytes,
                                                   std::vector<WatchEvent>& out) {
  if (failed_) {
    return failed_;
  }
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    const auto take = bytes.substr(0, nl);
    if (buf_.size() + take.size() > max_line_bytes_) {
      failed_ =
          StreamError{"watch event larger than " + std::to_string(max_line_bytes_) + " bytes"};
      buf_.clear();
      return failed_;
    }
    buf_.append(take);
    if (nl == std::string_view::npos) {
      break;
    }
    bytes.remove_prefix(nl + 1);
    std::string_view line = buf_;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
      line.remove_suffix(1);
    }
    if (!line.empty()) {
      auto parsed = parseWatchEvent(line);
      if (auto* err = std::get_if<StreamError>(&parsed)) {
        failed_ = *err;
        buf_.clear();
        return failed_;
      }
      out.push_back(std::move(std::get<WatchEvent>(parsed)));
    }
    buf_.clear();
  }
  return std::nullopt;
}

}  // namespace l1net::kube
