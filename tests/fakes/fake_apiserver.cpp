#include "l1net/testing/fake_apiserver.hpp"

#include <algorithm>
#include <array>
#include <list>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "l1net/http/url.hpp"
#include "l1net/kube/api_path.hpp"

namespace l1net::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

struct Reply {
  unsigned status = 200;
  std::string body;
};

struct ResourceInfo {
  std::string_view resource;
  std::string_view group;
  std::string_view version;
  std::string_view kind;
  bool namespaced;
  bool has_status;
};

constexpr std::array<ResourceInfo, 13> kResources = {{
    {"services", "", "v1", "Service", true, true},
    {"pods", "", "v1", "Pod", true, true},
    {"nodes", "", "v1", "Node", false, true},
    {"namespaces", "", "v1", "Namespace", false, true},
    {"configmaps", "", "v1", "ConfigMap", true, false},
    {"events", "", "v1", "Event", true, false},
    {"endpointslices", "discovery.k8s.io", "v1", "EndpointSlice", true, false},
    {"endpointslices", "discovery.k8s.io", "v1beta1", "EndpointSlice", true, false},
    {"ingresses", "networking.k8s.io", "v1", "Ingress", true, true},
    {"leases", "coordination.k8s.io", "v1", "Lease", true, false},
    {"ipaddresspools", "metallb.io", "v1beta1", "IPAddressPool", true, true},
    {"l2advertisements", "metallb.io", "v1beta1", "L2Advertisement", true, true},
    {"servicel2statuses", "metallb.io", "v1beta1", "ServiceL2Status", true, true},
}};

const ResourceInfo* findResource(std::string_view group, std::string_view resource,
                                 std::string_view version) {
  for (const auto& r : kResources) {
    if (r.group == group && r.resource == resource && r.version == version) {
      return &r;
    }
  }
  return nullptr;
}

std::string apiVersionOf(const ResourceInfo& r) {
  return r.group.empty() ? std::string(r.version)
                         : std::string(r.group) + "/" + std::string(r.version);
}

// ---- selectors ----

struct LabelReq {
  enum class Op : std::uint8_t { kEq, kNe, kExists, kNotExists, kIn, kNotIn };
  std::string key;
  Op op = Op::kEq;
  std::vector<std::string> values;
};

std::string trimmed(std::string s) {
  while (!s.empty() && s.front() == ' ') {
    s.erase(s.begin());
  }
  while (!s.empty() && s.back() == ' ') {
    s.pop_back();
  }
  return s;
}

// Splits at commas outside parentheses.
std::vector<std::string> splitTopLevel(const std::string& s) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (const char c : s) {
    if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    }
    if (c == ',' && depth == 0) {
      out.push_back(trimmed(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trimmed(cur).empty()) {
    out.push_back(trimmed(cur));
  }
  return out;
}

std::optional<std::vector<LabelReq>> parseLabelSelector(const std::string& s) {
  std::vector<LabelReq> out;
  for (const auto& term : splitTopLevel(s)) {
    LabelReq r;
    const auto paren = term.find('(');
    if (paren != std::string::npos) {
      if (term.back() != ')') {
        return std::nullopt;
      }
      const auto head = trimmed(term.substr(0, paren));
      const auto sp = head.find(' ');
      if (sp == std::string::npos) {
        return std::nullopt;
      }
      r.key = trimmed(head.substr(0, sp));
      const auto op = trimmed(head.substr(sp + 1));
      if (op == "in") {
        r.op = LabelReq::Op::kIn;
      } else if (op == "notin") {
        r.op = LabelReq::Op::kNotIn;
      } else {
        return std::nullopt;
      }
      std::string inner = term.substr(paren + 1, term.size() - paren - 2);
      std::size_t pos = 0;
      while (pos <= inner.size()) {
        const auto comma = inner.find(',', pos);
        r.values.push_back(trimmed(
            inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos)));
        if (comma == std::string::npos) {
          break;
        }
        pos = comma + 1;
      }
    } else if (const auto ne = term.find("!="); ne != std::string::npos) {
      r.key = trimmed(term.substr(0, ne));
      r.op = LabelReq::Op::kNe;
      r.values.push_back(trimmed(term.substr(ne + 2)));
    } else if (const auto eq = term.find('='); eq != std::string::npos) {
      r.key = trimmed(term.substr(0, eq));
      r.op = LabelReq::Op::kEq;
      const auto v = term.compare(eq, 2, "==") == 0 ? term.substr(eq + 2) : term.substr(eq + 1);
      r.values.push_back(trimmed(v));
    } else if (term.starts_with("!")) {
      r.key = trimmed(term.substr(1));
      r.op = LabelReq::Op::kNotExists;
    } else {
      r.key = term;
      r.op = LabelReq::Op::kExists;
    }
    if (r.key.empty() || r.key.find(' ') != std::string::npos) {
      return std::nullopt;
    }
    out.push_back(std::move(r));
  }
  return out;
}

struct FieldReq {
  std::vector<std::string> path;
  bool equal = true;
  std::string value;
};

std::optional<std::vector<FieldReq>> parseFieldSelector(const std::string& s) {
  std::vector<FieldReq> out;
  for (const auto& term : splitTopLevel(s)) {
    FieldReq r;
    std::string key;
    if (const auto ne = term.find("!="); ne != std::string::npos) {
      key = term.substr(0, ne);
      r.equal = false;
      r.value = term.substr(ne + 2);
    } else if (const auto eq = term.find('='); eq != std::string::npos) {
      key = term.substr(0, eq);
      r.value = term.compare(eq, 2, "==") == 0 ? term.substr(eq + 2) : term.substr(eq + 1);
    } else {
      return std::nullopt;
    }
    std::size_t pos = 0;
    while (pos <= key.size()) {
      const auto dot = key.find('.', pos);
      r.path.push_back(key.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
      if (dot == std::string::npos) {
        break;
      }
      pos = dot + 1;
    }
    out.push_back(std::move(r));
  }
  return out;
}

struct Selector {
  std::vector<LabelReq> labels;
  std::vector<FieldReq> fields;

  [[nodiscard]] bool matches(const json::value& obj) const {
    const json::object* lbl = nullptr;
    if (const auto* md = obj.is_object() ? obj.as_object().if_contains("metadata") : nullptr;
        md != nullptr && md->is_object()) {
      if (const auto* l = md->as_object().if_contains("labels"); l != nullptr && l->is_object()) {
        lbl = &l->as_object();
      }
    }
    for (const auto& r : labels) {
      const json::value* v = lbl != nullptr ? lbl->if_contains(r.key) : nullptr;
      const std::string got = v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
      const bool has = v != nullptr;
      const bool in = has && std::find(r.values.begin(), r.values.end(), got) != r.values.end();
      switch (r.op) {
        case LabelReq::Op::kEq:
        case LabelReq::Op::kIn:
          if (!in) {
            return false;
          }
          break;
        case LabelReq::Op::kNe:
        case LabelReq::Op::kNotIn:
          if (in) {
            return false;
          }
          break;
        case LabelReq::Op::kExists:
          if (!has) {
            return false;
          }
          break;
        case LabelReq::Op::kNotExists:
          if (has) {
            return false;
          }
          break;
      }
    }
    for (const auto& f : fields) {
      const json::value* cur = &obj;
      for (const auto& p : f.path) {
        cur = cur != nullptr && cur->is_object() ? cur->as_object().if_contains(p) : nullptr;
      }
      const std::string got =
          cur != nullptr && cur->is_string() ? std::string(cur->get_string()) : "";
      if ((got == f.value) != f.equal) {
        return false;
      }
    }
    return true;
  }
};

// ---- requests ----

struct Target {
  const ResourceInfo* res = nullptr;
  std::string ns;
  std::string name;
  std::string sub;  // "status" or ""
  std::map<std::string, std::string> query;

  [[nodiscard]] std::string q(const std::string& k) const {
    const auto it = query.find(k);
    return it == query.end() ? std::string() : it->second;
  }
  [[nodiscard]] bool watch() const { return q("watch") == "1" || q("watch") == "true"; }
};

std::optional<Target> parseTarget(const std::string& raw, const FakeApiServerOptions& opts) {
  Target t;
  const auto qpos = raw.find('?');
  const std::string path = raw.substr(0, qpos);
  if (qpos != std::string::npos) {
    const std::string qs = raw.substr(qpos + 1);
    std::size_t pos = 0;
    while (pos <= qs.size()) {
      const auto amp = qs.find('&', pos);
      const auto part = qs.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      const auto eq = part.find('=');
      if (!part.empty()) {
        auto v = http::percentDecode(eq == std::string::npos ? "" : part.substr(eq + 1), true);
        if (!v) {
          return std::nullopt;
        }
        t.query[part.substr(0, eq)] = *v;
      }
      if (amp == std::string::npos) {
        break;
      }
      pos = amp + 1;
    }
  }
  const auto parsed = kube::parseApiPath(path);
  if (!parsed) {
    return std::nullopt;
  }
  t.ns = parsed->ns;
  t.name = parsed->name;
  t.sub = parsed->subresource;
  t.res = findResource(parsed->group, parsed->resource, parsed->version);
  if (t.res == nullptr ||
      (t.res->resource == "endpointslices" && t.res->version != opts.endpoint_slice_version)) {
    return std::nullopt;
  }
  if (!t.res->namespaced && !t.ns.empty()) {
    return std::nullopt;
  }
  if (!t.sub.empty() && (t.sub != "status" || !t.res->has_status)) {
    return std::nullopt;
  }
  if (t.res->namespaced && t.ns.empty() && !t.name.empty()) {
    return std::nullopt;  // a namespaced object needs its namespace
  }
  return t;
}

json::value statusValue(unsigned code, const std::string& reason, const std::string& message) {
  json::object o;
  o["kind"] = "Status";
  o["apiVersion"] = "v1";
  o["metadata"] = json::object{};
  o["status"] = "Failure";
  o["message"] = message;
  o["reason"] = reason;
  o["code"] = code;
  return o;
}

Reply statusReply(unsigned code, const std::string& reason, const std::string& message) {
  return {code, json::serialize(statusValue(code, reason, message))};
}

json::object& meta(json::value& obj) {
  auto& o = obj.as_object();
  if (!o["metadata"].is_object()) {
    o["metadata"] = json::object{};
  }
  return o["metadata"].as_object();
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string metaStr(const json::value& obj, std::string_view key) {
  if (const auto* o = obj.if_object()) {
    if (const auto* md = o->if_contains("metadata"); md != nullptr && md->is_object()) {
      return str(md->as_object(), key);
    }
  }
  return {};
}

// RFC 7386 JSON merge patch.
json::value mergePatch(json::value target, const json::value& patch) {
  if (!patch.is_object()) {
    return patch;
  }
  if (!target.is_object()) {
    target = json::object{};
  }
  auto& t = target.as_object();
  for (const auto& kv : patch.as_object()) {
    if (kv.value().is_null()) {
      t.erase(kv.key());
    } else {
      json::value cur = t.contains(kv.key()) ? t[kv.key()] : json::value();
      t[kv.key()] = mergePatch(std::move(cur), kv.value());
    }
  }
  return target;
}

std::optional<std::size_t> arrayIndex(const std::string& tok) {
  if (tok.empty() || tok.size() > 9 ||
      !std::all_of(tok.begin(), tok.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(std::stoul(tok));
}

// RFC 6902 JSON patch (add, remove, replace, test). Returns an error text, "" on success;
// *test_failed is set when a test op failed.
std::string jsonPatch(json::value& doc, const json::value& ops, bool* test_failed) {
  if (!ops.is_array()) {
    return "a JSON patch must be an array";
  }
  for (const auto& op_v : ops.as_array()) {
    if (!op_v.is_object()) {
      return "a patch operation must be an object";
    }
    const auto& op = op_v.as_object();
    const auto kind = str(op, "op");
    const auto path = str(op, "path");
    if (path.empty() || path.front() != '/') {
      return "invalid path \"" + path + "\"";
    }
    std::vector<std::string> tokens;
    for (std::size_t pos = 1; pos <= path.size();) {
      const auto slash = path.find('/', pos);
      auto tok = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
      for (std::size_t k = 0; (k = tok.find("~1", k)) != std::string::npos;) {
        tok.replace(k, 2, "/");
      }
      for (std::size_t k = 0; (k = tok.find("~0", k)) != std::string::npos;) {
        tok.replace(k, 2, "~");
      }
      tokens.push_back(tok);
      if (slash == std::string::npos) {
        break;
      }
      pos = slash + 1;
    }
    json::value* parent = &doc;
    for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
      json::value* next = nullptr;
      if (parent->is_object()) {
        next = parent->as_object().if_contains(tokens[i]);
      } else if (parent->is_array()) {
        const auto idx = arrayIndex(tokens[i]);
        next = idx && *idx < parent->as_array().size() ? &parent->as_array()[*idx] : nullptr;
      }
      if (next == nullptr) {
        if (kind == "test") {
          *test_failed = true;
          return "testing value " + path + " failed";
        }
        return "doc is missing path: \"" + path + "\"";
      }
      parent = next;
    }
    const auto& last = tokens.back();
    const auto* value = op.if_contains("value");
    json::value* current = nullptr;
    std::optional<std::size_t> idx;
    if (parent->is_object()) {
      current = parent->as_object().if_contains(last);
    } else if (parent->is_array()) {
      idx = arrayIndex(last);
      current = idx && *idx < parent->as_array().size() ? &parent->as_array()[*idx] : nullptr;
    }
    if (kind == "test") {
      if (current == nullptr || value == nullptr || *current != *value) {
        *test_failed = true;
        return "testing value " + path + " failed";
      }
    } else if (kind == "remove") {
      if (current == nullptr) {
        return "doc is missing path: \"" + path + "\"";
      }
      if (parent->is_object()) {
        parent->as_object().erase(last);
      } else {
        auto& a = parent->as_array();
        a.erase(a.begin() + static_cast<std::ptrdiff_t>(*idx));
      }
    } else if (kind == "add" || kind == "replace") {
      if (value == nullptr) {
        return "missing value for " + kind + " of " + path;
      }
      if (kind == "replace" && current == nullptr) {
        return "doc is missing path: \"" + path + "\"";
      }
      if (parent->is_object()) {
        parent->as_object()[last] = *value;
      } else if (parent->is_array()) {
        auto& a = parent->as_array();
        if (kind == "add" && last == "-") {
          a.push_back(*value);
        } else if (kind == "replace") {
          *current = *value;
        } else if (idx && *idx <= a.size()) {
          a.insert(a.begin() + static_cast<std::ptrdiff_t>(*idx), *value);
        } else {
          return "invalid array index in " + path;
        }
      } else {
        return "doc is missing path: \"" + path + "\"";
      }
    } else {
      return "unsupported patch operation \"" + kind + "\"";
    }
  }
  return "";
}

// RFC 3339 MicroTime: normalised to 6 fraction digits and "Z"; nullopt when not a timestamp.
std::optional<std::string> microTime(const std::string& s) {
  static const std::regex kRe(R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.(\d{1,9}))?Z)");
  std::smatch m;
  if (!std::regex_match(s, m, kRe)) {
    return std::nullopt;
  }
  std::string frac = m[3].str();
  frac.resize(6, '0');
  return m[1].str() + "." + frac + "Z";
}

std::string eventLine(std::string_view type, const json::value& obj) {
  json::object o;
  o["type"] = type;
  o["object"] = obj;
  return json::serialize(o) + "\n";
}

std::string bookmarkLine(const ResourceInfo& r, std::int64_t rv) {
  json::object md;
  md["resourceVersion"] = std::to_string(rv);
  json::object o;
  o["kind"] = r.kind;
  o["apiVersion"] = apiVersionOf(r);
  o["metadata"] = std::move(md);
  return eventLine("BOOKMARK", o);
}

std::string expiredLine(std::int64_t asked, std::int64_t compacted) {
  return eventLine("ERROR", statusValue(410, "Expired",
                                        "too old resource version: " + std::to_string(asked) +
                                            " (" + std::to_string(compacted) + ")"));
}

struct Ev {
  std::int64_t rv;
  const ResourceInfo* res;
  std::string ns;
  std::string type;  // ADDED, MODIFIED, DELETED
  json::value obj;   // the new state (DELETED: the last state)
  json::value prev;  // MODIFIED: the state before
};

}  // namespace

struct FakeApiServer::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor ex;
  FakeApiServerOptions opts;
  std::optional<tcp::acceptor> acceptor;
  bool running = false;
  std::int64_t rv = 100;
  std::int64_t compacted = 0;
  std::uint64_t uid = 0;
  std::uint64_t generated = 0;
  std::map<std::string_view, std::map<std::string, json::value>> store;  // resource -> key -> obj
  // Every change, sorted by rv. compact() only moves the compaction point: watches already open
  // keep following (as from the API's watch cache); new requests from before it get 410.
  std::vector<Ev> log;
  std::set<std::pair<std::string, std::string>> forbidden;
  std::string token;
  int fail_next = 0;
  unsigned fail_status = 500;
  std::chrono::milliseconds delay{0};
  std::function<void(const std::string&, const std::string&)> before_handle;
  std::list<std::weak_ptr<tcp::socket>> sockets;
  std::list<std::weak_ptr<asio::steady_timer>> waiters;
  std::size_t open_watches = 0;
  std::uint64_t requests = 0;
  std::uint64_t watches_served = 0;
  std::uint64_t lists_served = 0;
  std::uint64_t drop_generation = 0;
  std::uint64_t end_generation = 0;

  explicit Impl(asio::any_io_executor e, FakeApiServerOptions o) : ex(std::move(e)), opts(o) {}

  void notify() {
    for (auto& w : waiters) {
      if (auto t = w.lock()) {
        t->cancel();
      }
    }
  }

  void record(const Target& t, std::string type, const json::value& obj, json::value prev) {
    log.push_back(Ev{rv, t.res, t.ns, std::move(type), obj, std::move(prev)});
    notify();
  }

  static std::string keyOf(const std::string& ns, const std::string& name) {
    return ns.empty() ? name : ns + "/" + name;
  }

  static std::string verbOf(const std::string& method, const Target& t) {
    if (method == "GET") {
      if (!t.name.empty()) {
        return "get";
      }
      return t.watch() ? "watch" : "list";
    }
    if (method == "POST") {
      return "create";
    }
    if (method == "PUT") {
      return "update";
    }
    if (method == "PATCH") {
      return "patch";
    }
    return method == "DELETE" ? "delete" : "unknown";
  }

  static Reply forbiddenReply(const std::string& verb, const Target& t) {
    const std::string res(t.res->resource);
    const std::string scope =
        t.ns.empty() ? "at the cluster scope" : "in the namespace \"" + t.ns + "\"";
    return statusReply(403, "Forbidden",
                       res + (t.name.empty() ? "" : " \"" + t.name + "\"") +
                           " is forbidden: User \"system:serviceaccount:l1net-system:l1net\" "
                           "cannot " +
                           verb + " resource \"" + res + "\" in API group \"" +
                           std::string(t.res->group) + "\" " + scope);
  }

  static Reply notFound(const Target& t) {
    return statusReply(404, "NotFound",
                       std::string(t.res->resource) + " \"" + t.name + "\" not found");
  }

  static Reply conflict(const Target& t) {
    return statusReply(409, "Conflict",
                       "Operation cannot be fulfilled on " + std::string(t.res->resource) + " \"" +
                           t.name +
                           "\": the object has been modified; please apply your changes to the "
                           "latest version and try again");
  }

  // Checks of HTTP requests only (an administrator's request() skips them); nullopt = go on.
  std::optional<Reply> gate(const std::string& method, const std::string& authorization,
                            const Target& t) {
    if (fail_next > 0) {
      --fail_next;
      switch (fail_status) {
        case 410:
          return statusReply(410, "Expired", "too old resource version: injected fault");
        case 429:
          return statusReply(429, "TooManyRequests", "too many requests: injected fault");
        case 503:
          return statusReply(503, "ServiceUnavailable",
                             "the server is currently unable to "
                             "handle the request: injected fault");
        default:
          return statusReply(fail_status, "InternalError",
                             "Internal error occurred: injected fault");
      }
    }
    if (!token.empty() && authorization != "Bearer " + token) {
      return statusReply(401, "Unauthorized", "Unauthorized");
    }
    const auto verb = verbOf(method, t);
    if (forbidden.contains({verb, std::string(t.res->resource)})) {
      return forbiddenReply(verb, t);
    }
    return std::nullopt;
  }

  std::variant<Selector, Reply> selectorOf(const Target& t) const {
    Selector sel;
    if (const auto l = t.q("labelSelector"); !l.empty()) {
      auto p = parseLabelSelector(l);
      if (!p) {
        return statusReply(400, "BadRequest", "unable to parse requirement: " + l);
      }
      sel.labels = std::move(*p);
    }
    if (const auto f = t.q("fieldSelector"); !f.empty()) {
      auto p = parseFieldSelector(f);
      if (!p) {
        return statusReply(400, "BadRequest", "invalid field selector: " + f);
      }
      sel.fields = std::move(*p);
    }
    return sel;
  }

  bool inScope(const Target& t, const json::value& obj) const {
    return t.ns.empty() || metaStr(obj, "namespace") == t.ns;
  }

  Reply list(const Target& t) {
    const auto asked = t.q("resourceVersion");
    if (!asked.empty() && asked != "0") {
      std::int64_t n = 0;
      try {
        n = std::stoll(asked);
      } catch (const std::exception&) {
        return statusReply(400, "BadRequest", "invalid resource version \"" + asked + "\"");
      }
      if (n < compacted) {
        return statusReply(
            410, "Expired",
            "too old resource version: " + asked + " (" + std::to_string(compacted) + ")");
      }
    }
    auto sel = selectorOf(t);
    if (const auto* bad = std::get_if<Reply>(&sel)) {
      return *bad;
    }
    const auto& selector = std::get<Selector>(sel);
    json::array items;
    for (const auto& [key, obj] : store[t.res->resource]) {
      if (inScope(t, obj) && selector.matches(obj)) {
        json::value item = obj;
        item.as_object().erase("apiVersion");  // as the API: typed-list items omit them
        item.as_object().erase("kind");
        items.push_back(std::move(item));
      }
    }
    json::object md;
    md["resourceVersion"] = std::to_string(rv);
    json::object out;
    out["kind"] = std::string(t.res->kind) + "List";
    out["apiVersion"] = apiVersionOf(*t.res);
    out["metadata"] = std::move(md);
    out["items"] = std::move(items);
    return {200, json::serialize(out)};
  }

  // Checks and normalisations of particular kinds; nullopt = valid.
  static std::optional<Reply> validate(const Target& t, json::value& obj) {
    if (t.res->resource == "leases") {
      auto* spec = obj.as_object().if_contains("spec");
      if (spec == nullptr || !spec->is_object()) {
        return std::nullopt;
      }
      for (const char* f : {"acquireTime", "renewTime"}) {
        auto* v = spec->as_object().if_contains(f);
        if (v == nullptr || v->is_null()) {
          continue;
        }
        const auto mt = v->is_string() ? microTime(std::string(v->get_string())) : std::nullopt;
        if (!mt) {
          return statusReply(400, "BadRequest",
                             std::string("Lease in version \"v1\" cannot be handled as a Lease: "
                                         "v1.Lease.Spec: v1.LeaseSpec.") +
                                 f + ": parsing time failed");
        }
        *v = *mt;
      }
    }
    if (t.res->resource == "events") {
      const auto* inv = obj.as_object().if_contains("involvedObject");
      if (inv == nullptr || !inv->is_object()) {
        return statusReply(
            422, "Invalid",
            "Event \"" + metaStr(obj, "name") + "\" is invalid: involvedObject: Required value");
      }
      const auto inv_ns = str(inv->as_object(), "namespace");
      if (!inv_ns.empty() && inv_ns != metaStr(obj, "namespace")) {
        return statusReply(422, "Invalid",
                           "Event \"" + metaStr(obj, "name") +
                               "\" is invalid: involvedObject.namespace: Invalid value: \"" +
                               inv_ns + "\": does not match event.namespace");
      }
    }
    return std::nullopt;
  }

  std::string generateSuffix() {
    static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    std::string s;
    auto n = ++generated * 7919U + 12345U;
    for (int i = 0; i < 5; ++i) {
      s += kAlphabet[n % kAlphabet.size()];
      n /= kAlphabet.size();
    }
    return s;
  }

  Reply create(const Target& t, json::value obj) {
    if (!t.name.empty() || !t.sub.empty()) {
      return statusReply(405, "MethodNotAllowed", "the server does not allow this method");
    }
    if (!obj.is_object()) {
      return statusReply(400, "BadRequest", "the body must be a JSON object");
    }
    if (t.res->namespaced && t.ns.empty()) {
      return statusReply(404, "NotFound", "the server could not find the requested resource");
    }
    auto& md = meta(obj);
    std::string name = str(md, "name");
    if (name.empty()) {
      const auto gen = str(md, "generateName");
      if (gen.empty()) {
        return statusReply(422, "Invalid",
                           std::string(t.res->kind) +
                               " \"\" is invalid: metadata.name: Required value: name or "
                               "generateName is required");
      }
      name = gen + generateSuffix();
      md["name"] = name;
    }
    const auto body_ns = str(md, "namespace");
    if (!t.ns.empty() && !body_ns.empty() && body_ns != t.ns) {
      return statusReply(400, "BadRequest",
                         "the namespace of the provided object does not match the namespace "
                         "sent on the request");
    }
    if (t.res->namespaced) {
      md["namespace"] = t.ns;
    } else {
      md.erase("namespace");
    }
    auto& coll = store[t.res->resource];
    const auto key = keyOf(t.ns, name);
    if (coll.contains(key)) {
      return statusReply(409, "AlreadyExists",
                         std::string(t.res->resource) + " \"" + name + "\" already exists");
    }
    if (auto bad = validate(t, obj)) {
      return *bad;
    }
    auto& o = obj.as_object();
    if (t.res->has_status && t.res->resource != "nodes") {
      o.erase("status");
      if (t.res->resource == "services" || t.res->resource == "ingresses") {
        json::object lb;
        lb["loadBalancer"] = json::object{};
        o["status"] = std::move(lb);
      } else if (t.res->resource == "pods") {
        json::object st;
        st["phase"] = "Pending";
        o["status"] = std::move(st);
      } else if (t.res->resource == "namespaces") {
        json::object st;
        st["phase"] = "Active";
        o["status"] = std::move(st);
      }
    }
    o["apiVersion"] = apiVersionOf(*t.res);
    o["kind"] = t.res->kind;
    auto& md2 = meta(obj);
    md2.erase("resourceVersion");
    md2["uid"] = "00000000-0000-4000-8000-" + std::to_string(100000000000 + ++uid);
    md2["creationTimestamp"] = "2026-11-30T00:00:00Z";
    md2["resourceVersion"] = std::to_string(++rv);
    coll[key] = obj;
    record(t, "ADDED", obj, nullptr);
    return {201, json::serialize(obj)};
  }

  // Stores `next` as the new state of an existing object: status split, conflict check, no-op
  // detection. `asked_rv` is the resourceVersion the client sent ("" = unconditional).
  Reply commit(const Target& t, json::value& stored, json::value next,
               const std::string& asked_rv) {
    if (!asked_rv.empty() && asked_rv != metaStr(stored, "resourceVersion")) {
      return conflict(t);
    }
    if (!next.is_object()) {
      return statusReply(400, "BadRequest", "the body must be a JSON object");
    }
    json::value result;
    if (t.sub == "status") {
      result = stored;
      if (const auto* s = next.as_object().if_contains("status")) {
        result.as_object()["status"] = *s;
      } else {
        result.as_object().erase("status");
      }
    } else {
      result = next;
      auto& r = result.as_object();
      const auto& old = stored.as_object();
      r["apiVersion"] = old.at("apiVersion");
      r["kind"] = old.at("kind");
      if (t.res->has_status) {
        if (const auto* s = old.if_contains("status")) {
          r["status"] = *s;
        } else {
          r.erase("status");
        }
      }
      json::object md = old.at("metadata").as_object();  // system fields stay
      const json::value* asked_md = next.as_object().if_contains("metadata");
      for (const char* f : {"labels", "annotations", "ownerReferences", "finalizers"}) {
        const json::value* v = asked_md != nullptr && asked_md->is_object()
                                   ? asked_md->as_object().if_contains(f)
                                   : nullptr;
        if (v != nullptr && !v->is_null()) {
          md[f] = *v;
        } else {
          md.erase(f);
        }
      }
      r["metadata"] = std::move(md);
    }
    if (auto bad = validate(t, result)) {
      return *bad;
    }
    if (result == stored) {
      return {200, json::serialize(stored)};  // no-op: no new resourceVersion, no event
    }
    meta(result)["resourceVersion"] = std::to_string(++rv);
    json::value prev = std::move(stored);
    stored = result;
    record(t, "MODIFIED", stored, std::move(prev));
    return {200, json::serialize(stored)};
  }

  Reply handle(const std::string& method, const Target& t, const std::string& body,
               const std::string& content_type) {
    json::value doc;
    if (!body.empty()) {
      json::error_code ec;
      doc = json::parse(body, ec);
      if (ec) {
        return statusReply(400, "BadRequest", "invalid JSON in the request body: " + ec.message());
      }
    }
    auto& coll = store[t.res->resource];
    if (method == "GET" && t.name.empty()) {
      return list(t);
    }
    if (method == "POST") {
      return create(t, std::move(doc));
    }
    if (t.name.empty()) {
      return statusReply(405, "MethodNotAllowed", "the server does not allow this method");
    }
    const auto key = keyOf(t.ns, t.name);
    const auto it = coll.find(key);
    if (it == coll.end()) {
      return notFound(t);
    }
    if (method == "GET") {
      return {200, json::serialize(it->second)};
    }
    if (method == "DELETE") {
      if (doc.is_object()) {
        if (const auto* pre = doc.as_object().if_contains("preconditions");
            pre != nullptr && pre->is_object()) {
          const auto want = str(pre->as_object(), "resourceVersion");
          if (!want.empty() && want != metaStr(it->second, "resourceVersion")) {
            return statusReply(
                409, "Conflict",
                "Operation cannot be fulfilled on " + std::string(t.res->resource) + " \"" +
                    t.name + "\": Precondition failed: ResourceVersion in precondition: " + want +
                    ", ResourceVersion in object meta: " + metaStr(it->second, "resourceVersion"));
          }
        }
      }
      json::value gone = std::move(it->second);
      coll.erase(it);
      meta(gone)["resourceVersion"] = std::to_string(++rv);
      record(t, "DELETED", gone, nullptr);
      return {200, json::serialize(gone)};
    }
    if (method == "PUT") {
      if (!doc.is_object()) {
        return statusReply(400, "BadRequest", "the body must be a JSON object");
      }
      const auto asked = metaStr(doc, "resourceVersion");
      return commit(t, it->second, std::move(doc), asked);
    }
    if (method == "PATCH") {
      json::value next = it->second;
      std::string asked_rv;
      if (content_type.starts_with("application/merge-patch+json") ||
          content_type.starts_with("application/strategic-merge-patch+json")) {
        if (!doc.is_object()) {
          return statusReply(400, "BadRequest", "a merge patch must be a JSON object");
        }
        asked_rv = metaStr(doc, "resourceVersion");
        next = mergePatch(std::move(next), doc);
      } else if (content_type.starts_with("application/json-patch+json")) {
        bool test_failed = false;
        const auto err = jsonPatch(next, doc, &test_failed);
        if (test_failed) {
          return statusReply(422, "Invalid",
                             std::string(t.res->kind) + " \"" + t.name + "\" is invalid: " + err);
        }
        if (!err.empty()) {
          return statusReply(500, "InternalError", err);
        }
      } else {
        return statusReply(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media "
                           "types include: application/json-patch+json, "
                           "application/merge-patch+json, application/apply-patch+yaml");
      }
      if (next.is_object()) {
        meta(next)["resourceVersion"] = metaStr(it->second, "resourceVersion");
      }
      return commit(t, it->second, std::move(next), asked_rv);
    }
    return statusReply(405, "MethodNotAllowed", "the server does not allow this method");
  }

  // ---- transport ----

  static asio::awaitable<bool> writeChunk(tcp::socket& s, const std::string& data) {
    auto [ec, n] = co_await asio::async_write(s, bhttp::make_chunk(asio::buffer(data)), kUseTuple);
    co_return !ec;
  }
  static asio::awaitable<void> writeLast(tcp::socket& s) {
    co_await asio::async_write(s, bhttp::make_chunk_last(), kUseTuple);
  }

  // Which line (if any) a watch with this scope and selector sends for e.
  std::optional<std::string> lineFor(const Target& t, const Selector& sel, const Ev& e) const {
    if (e.res != t.res || (!t.ns.empty() && e.ns != t.ns)) {
      return std::nullopt;
    }
    const bool now = sel.matches(e.obj);
    if (e.type == "MODIFIED") {
      const bool before = sel.matches(e.prev);
      if (now && before) {
        return eventLine("MODIFIED", e.obj);
      }
      if (now) {
        return eventLine("ADDED", e.obj);
      }
      if (before) {
        return eventLine("DELETED", e.obj);
      }
      return std::nullopt;
    }
    return now ? std::optional(eventLine(e.type, e.obj)) : std::nullopt;
  }

  std::size_t firstAfter(std::int64_t after) const {
    const auto it = std::upper_bound(log.begin(), log.end(), after,
                                     [](std::int64_t v, const Ev& e) { return v < e.rv; });
    return static_cast<std::size_t>(it - log.begin());
  }

  asio::awaitable<void> watch(std::shared_ptr<tcp::socket> sock, Target t, Selector sel) {
    // A watch counts as open from here, so the drop/end requests made after openWatches() shows
    // it apply to it: take their generations before the first suspension.
    const auto drop_gen = drop_generation;
    const auto end_gen = end_generation;
    ++open_watches;
    ++watches_served;
    struct Closer {
      std::size_t& n;
      ~Closer() { --n; }
    } closer{open_watches};
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, 11};
    res.set(bhttp::field::content_type, "application/json");
    res.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> sr{res};
    auto [ec, n] = co_await bhttp::async_write_header(*sock, sr, kUseTuple);
    if (ec) {
      co_return;
    }
    const auto asked = t.q("resourceVersion");
    const bool bookmarks = t.q("allowWatchBookmarks") == "true";
    int timeout_s = 1800;
    if (const auto ts = t.q("timeoutSeconds"); !ts.empty()) {
      try {
        timeout_s = std::stoi(ts);
      } catch (const std::exception&) {
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    std::int64_t sent = 0;
    if (asked.empty() || asked == "0") {
      std::vector<std::string> lines;
      for (const auto& [key, obj] : store[t.res->resource]) {
        if (inScope(t, obj) && sel.matches(obj)) {
          lines.push_back(eventLine("ADDED", obj));
        }
      }
      sent = rv;
      for (const auto& line : lines) {
        if (!co_await writeChunk(*sock, line)) {
          co_return;
        }
      }
    } else {
      try {
        sent = std::stoll(asked);
      } catch (const std::exception&) {
        sent = -1;
      }
    }
    if (sent < compacted) {
      if (co_await writeChunk(*sock, expiredLine(sent, compacted))) {
        co_await writeLast(*sock);
      }
      co_return;
    }
    std::int64_t reported = sent;  // resourceVersion this stream has reported (events, bookmarks)
    auto next_bookmark = std::chrono::steady_clock::now() + opts.bookmark_interval;
    auto timer = std::make_shared<asio::steady_timer>(ex);
    for (;;) {
      if (!sock->is_open()) {
        co_return;
      }
      if (end_generation != end_gen) {
        co_await writeLast(*sock);
        co_return;
      }
      for (auto i = firstAfter(sent); i < log.size(); i = firstAfter(sent)) {
        const Ev e = log[i];  // copy: the log may grow or be compacted while this writes
        sent = e.rv;
        auto line = lineFor(t, sel, e);
        if (!line) {
          continue;
        }
        if (drop_generation != drop_gen) {
          line->resize(line->size() / 2);
          co_await writeChunk(*sock, *line);
          beast::error_code ignored;
          sock->shutdown(tcp::socket::shutdown_both, ignored);
          sock->close(ignored);
          co_return;
        }
        if (!co_await writeChunk(*sock, *line)) {
          co_return;
        }
        reported = e.rv;
      }
      sent = std::max(sent, rv);
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        co_await writeLast(*sock);
        co_return;
      }
      if (bookmarks && now >= next_bookmark) {
        next_bookmark = now + opts.bookmark_interval;
        if (rv > reported) {  // a BOOKMARK only after the resourceVersion advanced
          reported = rv;
          if (!co_await writeChunk(*sock, bookmarkLine(*t.res, rv))) {
            co_return;
          }
        }
      }
      timer->expires_at(bookmarks && next_bookmark < deadline ? next_bookmark : deadline);
      waiters.push_back(timer);
      co_await timer->async_wait(kUseTuple);
      waiters.remove_if([&](const auto& w) { return w.expired() || w.lock() == timer; });
    }
  }

  static bhttp::response<bhttp::string_body> makeResponse(const Reply& r, bool keep_alive) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
    res.set(bhttp::field::content_type, "application/json");
    res.keep_alive(keep_alive);
    res.body() = r.body;
    res.prepare_payload();
    return res;
  }

  asio::awaitable<void> session(std::shared_ptr<tcp::socket> sock) {
    beast::flat_buffer buf;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(64U * 1024U * 1024U);
      auto [ec, n] = co_await bhttp::async_read(*sock, buf, parser, kUseTuple);
      if (ec) {
        co_return;
      }
      auto req = parser.release();
      ++requests;
      if (delay.count() > 0) {
        asio::steady_timer timer(ex, delay);
        co_await timer.async_wait(kUseTuple);
        if (!sock->is_open()) {
          co_return;
        }
      }
      const std::string target(req.target());
      const std::string method(req.method_string());
      if (before_handle) {
        before_handle(method, target);
      }
      const auto parsed = parseTarget(target, opts);
      Reply reply;
      if (!parsed) {
        reply = statusReply(404, "NotFound", "the server could not find the requested resource");
      } else if (auto g = gate(method, std::string(req[bhttp::field::authorization]), *parsed)) {
        reply = *g;
      } else if (method == "GET" && parsed->name.empty() && parsed->watch()) {
        auto sel = selectorOf(*parsed);
        if (auto* s = std::get_if<Selector>(&sel)) {
          co_await watch(sock, *parsed, std::move(*s));
          beast::error_code ignored;
          sock->shutdown(tcp::socket::shutdown_both, ignored);
          sock->close(ignored);
          co_return;
        }
        reply = std::get<Reply>(sel);
      } else {
        reply = handle(method, *parsed, req.body(), std::string(req[bhttp::field::content_type]));
        if (method == "GET" && parsed->name.empty() && reply.status == 200) {
          ++lists_served;
        }
      }
      auto res = makeResponse(reply, req.keep_alive());
      auto [wec, wn] = co_await bhttp::async_write(*sock, res, kUseTuple);
      if (wec || !req.keep_alive()) {
        beast::error_code ignored;
        sock->shutdown(tcp::socket::shutdown_both, ignored);
        co_return;
      }
    }
  }

  void listen() {
    if (running) {
      return;
    }
    acceptor.emplace(ex);
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), opts.port);
    acceptor->open(ep.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen();
    opts.port = acceptor->local_endpoint().port();
    running = true;
    asio::co_spawn(ex, accept(shared_from_this()), asio::detached);
  }

  static asio::awaitable<void> accept(std::shared_ptr<Impl> self) {
    for (;;) {
      if (!self->acceptor || !self->acceptor->is_open()) {
        co_return;
      }
      auto [ec, s] = co_await self->acceptor->async_accept(kUseTuple);
      if (ec) {
        co_return;
      }
      auto sock = std::make_shared<tcp::socket>(std::move(s));
      self->sockets.remove_if([](const auto& w) { return w.expired(); });
      self->sockets.push_back(sock);
      asio::co_spawn(
          self->ex, [self, sock]() -> asio::awaitable<void> { co_await self->session(sock); },
          asio::detached);
    }
  }

  void close() {
    running = false;
    if (acceptor) {
      beast::error_code ec;
      acceptor->close(ec);
    }
    for (auto& w : sockets) {
      if (auto s = w.lock()) {
        beast::error_code ec;
        s->shutdown(tcp::socket::shutdown_both, ec);
        s->close(ec);
      }
    }
    sockets.clear();
    notify();
  }
};

FakeApiServer::FakeApiServer(asio::any_io_executor ex, FakeApiServerOptions opts)
    : impl_(std::make_shared<Impl>(std::move(ex), opts)) {
  impl_->listen();
}
FakeApiServer::~FakeApiServer() { impl_->close(); }

std::uint16_t FakeApiServer::port() const noexcept { return impl_->opts.port; }
std::string FakeApiServer::url() const { return "http://127.0.0.1:" + std::to_string(port()); }

unsigned FakeApiServer::request(const std::string& method, const std::string& target,
                                const std::string& body, std::string* out,
                                const std::string& content_type) {
  const auto t = parseTarget(target, impl_->opts);
  Reply r;
  if (!t) {
    r = statusReply(404, "NotFound", "the server could not find the requested resource");
  } else if (t->watch()) {
    r = statusReply(400, "BadRequest", "watches are served over HTTP only");
  } else {
    r = impl_->handle(method, *t, body, content_type);
  }
  if (out != nullptr) {
    *out = r.body;
  }
  return r.status;
}

json::value FakeApiServer::get(const std::string& collection, const std::string& name) {
  std::string body;
  if (request("GET", collection + "/" + name, "", &body) != 200) {
    return nullptr;
  }
  return json::parse(body);
}

json::array FakeApiServer::list(const std::string& collection) {
  json::array out;
  const auto t = parseTarget(collection, impl_->opts);
  if (!t) {
    return out;
  }
  for (const auto& [key, obj] : impl_->store[t->res->resource]) {
    if (impl_->inScope(*t, obj)) {
      out.push_back(obj);
    }
  }
  return out;
}

std::int64_t FakeApiServer::resourceVersion() const noexcept { return impl_->rv; }
void FakeApiServer::compact() { impl_->compacted = impl_->rv; }
void FakeApiServer::forbid(const std::string& verb, const std::string& resource) {
  impl_->forbidden.emplace(verb, resource);
}
void FakeApiServer::allowAll() { impl_->forbidden.clear(); }
void FakeApiServer::requireToken(const std::string& token) { impl_->token = token; }
void FakeApiServer::failNext(int n, unsigned status) {
  impl_->fail_next = n;
  impl_->fail_status = status;
}
void FakeApiServer::setDelay(std::chrono::milliseconds d) { impl_->delay = d; }
void FakeApiServer::beforeHandle(
    std::function<void(const std::string& method, const std::string& target)> f) {
  impl_->before_handle = std::move(f);
}
void FakeApiServer::dropWatchesMidEvent() { ++impl_->drop_generation; }
void FakeApiServer::endWatches() {
  ++impl_->end_generation;
  impl_->notify();
}
void FakeApiServer::stop() { impl_->close(); }
void FakeApiServer::start() { impl_->listen(); }
bool FakeApiServer::running() const noexcept { return impl_->running; }
std::size_t FakeApiServer::openWatches() const noexcept { return impl_->open_watches; }
std::uint64_t FakeApiServer::requests() const noexcept { return impl_->requests; }
std::uint64_t FakeApiServer::watchesServed() const noexcept { return impl_->watches_served; }
std::uint64_t FakeApiServer::listsServed() const noexcept { return impl_->lists_served; }

}  // namespace l1net::testing
