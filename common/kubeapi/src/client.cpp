#include "l1net/kubeapi/client.hpp"

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

#include <boost/json.hpp>

#include "l1net/http/url.hpp"

namespace l1net::kubeapi {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string trimToken(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
    s.pop_back();
  }
  return s;
}

}  // namespace

std::variant<kube::ClusterConfig, kube::ConfigError> loadClusterConfig(
    const std::string& kubeconfig_path) {
  if (kubeconfig_path.empty()) {
    const auto env = [](const char* name) -> std::optional<std::string> {
      const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at start-up
      return v == nullptr ? std::nullopt : std::optional<std::string>(v);
    };
    return kube::inClusterConfig(env("KUBERNETES_SERVICE_HOST"), env("KUBERNETES_SERVICE_PORT"),
                                 kube::kServiceAccountDir);
  }
  const auto text = readFile(kubeconfig_path);
  if (!text) {
    return kube::ConfigError{kubeconfig_path + ": cannot be read"};
  }
  return kube::parseKubeconfig(*text, kubeconfig_path, "");
}

std::string resourcePath(std::string_view group, std::string_view version,
                         std::string_view resource, std::string_view ns, std::string_view name) {
  std::string p = group.empty() ? "/api/" + std::string(version)
                                : "/apis/" + std::string(group) + "/" + std::string(version);
  if (!ns.empty()) {
    p += "/namespaces/" + http::percentEncode(ns);
  }
  p += "/" + std::string(resource);
  if (!name.empty()) {
    p += "/" + http::percentEncode(name);
  }
  return p;
}

Result<std::shared_ptr<ApiClient>> ApiClient::create(asio::any_io_executor ex,
                                                     const kube::ClusterConfig& cfg,
                                                     ApiClientOptions opts) {
  const bool v6 = cfg.host.find(':') != std::string::npos;
  const std::string url =
      cfg.scheme + "://" + (v6 ? "[" + cfg.host + "]" : cfg.host) + ":" + cfg.port + cfg.base_path;
  http::ClientOptions hopts;
  hopts.user_agent = opts.user_agent;
  hopts.request_timeout = opts.request_timeout;
  hopts.connect_timeout = opts.connect_timeout;
  hopts.tls.verify = !cfg.insecure_skip_tls_verify;
  hopts.tls.ca_file = cfg.ca_file;
  hopts.tls.ca_pem = cfg.ca_pem;
  hopts.tls.cert_file = cfg.client_cert_file;
  hopts.tls.cert_pem = cfg.client_cert_pem;
  hopts.tls.key_file = cfg.client_key_file;
  hopts.tls.key_pem = cfg.client_key_pem;
  hopts.tls.server_name = cfg.tls_server_name;
  auto http = http::Client::create(ex, url, hopts);
  if (!http) {
    return http.error();
  }
  return std::make_shared<ApiClient>(std::move(ex), *http, cfg);
}

ApiClient::ApiClient(asio::any_io_executor ex, std::shared_ptr<http::Client> http,
                     kube::ClusterConfig cfg)
    : ex_(std::move(ex)), http_(std::move(http)), cfg_(std::move(cfg)) {}

http::Headers ApiClient::headers(bool after_unauthorized) {
  http::Headers h{{"Accept", "application/json"}};
  if (!cfg_.token.empty()) {
    h.push_back({"Authorization", "Bearer " + cfg_.token});
    return h;
  }
  if (!cfg_.token_file.empty()) {
    const auto now = std::chrono::steady_clock::now();
    std::error_code ec;
    const auto mtime = std::filesystem::last_write_time(cfg_.token_file, ec);
    const bool changed = !ec && mtime != token_mtime_;
    if (!token_loaded_ || changed || kube::tokenNeedsReread(now, token_read_, after_unauthorized)) {
      if (auto t = readFile(cfg_.token_file)) {
        token_ = trimToken(*t);  // an unreadable file keeps the last token
      }
      ++stats_.token_reads;
      token_read_ = now;
      token_mtime_ = ec ? token_mtime_ : mtime;
      token_loaded_ = true;
    }
    if (!token_.empty()) {
      h.push_back({"Authorization", "Bearer " + token_});
    }
  }
  return h;
}

asio::awaitable<Result<ApiResponse>> ApiClient::call(std::string method, std::string target,
                                                     json::value body,
                                                     std::string_view content_type) {
  const std::string payload = body.is_null() ? std::string() : json::serialize(body);
  for (int attempt = 0;; ++attempt) {
    http::Request req;
    req.method = method;
    req.target = target;
    req.headers = headers(attempt > 0);
    if (!body.is_null()) {
      req.headers.push_back({"Content-Type", std::string(content_type)});
      req.body = payload;
    }
    auto r = co_await http_->request(std::move(req));
    if (!r) {
      co_return r.error();
    }
    if (r->status == 401 && attempt == 0 && canRetryUnauthorized()) {
      ++stats_.unauthorized_retries;
      continue;  // the token may have rotated: re-read it once
    }
    ApiResponse out;
    out.status = r->status;
    json::error_code ec;
    out.body = json::parse(r->body, ec);
    if (ec) {
      out.body = nullptr;
    }
    if (!out.ok()) {
      out.error = kube::statusFromBody(r->status, r->body);
    }
    co_return out;
  }
}

asio::awaitable<Result<std::unique_ptr<http::ResponseStream>>> ApiClient::stream(
    std::string target) {
  for (int attempt = 0;; ++attempt) {
    http::Request req;
    req.target = target;
    req.headers = headers(attempt > 0);
    auto s = co_await http_->stream(std::move(req));
    if (s && (*s)->status() == 401 && attempt == 0 && canRetryUnauthorized()) {
      ++stats_.unauthorized_retries;
      continue;
    }
    co_return s;
  }
}

}  // namespace l1net::kubeapi
