// The Kubernetes API client of l1net: requests and watch streams to kube-apiserver over the shared
// HTTP client (l1net::http), authenticated as the kube::ClusterConfig says.
//
// Design note (layering: kubeapi -> http (transport) + kube (pure config, watch parsing,
// reflector, cache); io knows neither):
//  - Authentication: a client certificate (TLS), or a bearer token given inline or read from a
//    file. A token file is re-read when its modification time changes, at least every
//    kube::kTokenRereadPeriod, and once after a 401 (the request is then retried once with the
//    re-read token, as client-go's cachingTokenSource). TLS verification is on unless the
//    kubeconfig set insecure-skip-tls-verify.
//  - call() returns every HTTP answer as an ApiResponse (non-2xx is not an error: error holds the
//    parsed metav1.Status); Result errors are transport errors only (connect, TLS, timeout).
//  - stream() opens a watch: the caller checks status() and reads the body piecewise.
//  - Thread-safety: none; use from the executor's thread (one io_context thread). No exceptions
//    escape.
// Writes with optimistic concurrency (retry on 409) are in writes.hpp; informers in informer.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/value.hpp>

#include "l1net/error.hpp"
#include "l1net/http/client.hpp"
#include "l1net/kube/config.hpp"
#include "l1net/kube/watch.hpp"

namespace l1net::kubeapi {

struct ApiResponse {
  unsigned status = 0;
  boost::json::value body;  // the parsed JSON body (null when it was not JSON)
  kube::ApiStatus error;    // filled when status is not 2xx (code, reason, message)

  [[nodiscard]] bool ok() const noexcept { return status >= 200 && status < 300; }
};

inline constexpr std::string_view kJson = "application/json";
inline constexpr std::string_view kMergePatch = "application/merge-patch+json";
inline constexpr std::string_view kJsonPatch = "application/json-patch+json";

struct ApiClientOptions {
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds connect_timeout{5'000};
  std::string user_agent = "l1net";
};

struct ApiClientStats {
  std::uint64_t token_reads = 0;           // times the token file was read
  std::uint64_t unauthorized_retries = 0;  // requests repeated after a 401
};

class ApiClient {
 public:
  // Errors: an invalid server URL, unreadable CA / client certificate files.
  [[nodiscard]] static Result<std::shared_ptr<ApiClient>> create(boost::asio::any_io_executor ex,
                                                                 const kube::ClusterConfig& cfg,
                                                                 ApiClientOptions opts = {});

  // One request to `target` (path and query, e.g. "/api/v1/namespaces/x/services/y"); `body` is
  // sent as JSON with `content_type` unless it is null.
  boost::asio::awaitable<Result<ApiResponse>> call(std::string method, std::string target,
                                                   boost::json::value body = nullptr,
                                                   std::string_view content_type = kJson);
  // A streamed GET (watch). A 401 is retried once with a re-read token.
  boost::asio::awaitable<Result<std::unique_ptr<http::ResponseStream>>> stream(std::string target);

  [[nodiscard]] const http::ClientStats& httpStats() const noexcept { return http_->stats(); }
  [[nodiscard]] const ApiClientStats& stats() const noexcept { return stats_; }
  [[nodiscard]] boost::asio::any_io_executor executor() const { return ex_; }

  ApiClient(boost::asio::any_io_executor ex, std::shared_ptr<http::Client> http,
            kube::ClusterConfig cfg);

 private:
  http::Headers headers(bool after_unauthorized);
  [[nodiscard]] bool canRetryUnauthorized() const noexcept { return !cfg_.token_file.empty(); }

  boost::asio::any_io_executor ex_;
  std::shared_ptr<http::Client> http_;
  kube::ClusterConfig cfg_;
  std::string token_;
  std::chrono::steady_clock::time_point token_read_{};
  std::filesystem::file_time_type token_mtime_{};
  bool token_loaded_ = false;
  ApiClientStats stats_;
};

// Where the daemons' --kubeconfig flag points: the kubeconfig at `kubeconfig_path` (its current
// context), or, when the path is empty, the in-cluster service account (KUBERNETES_SERVICE_HOST,
// KUBERNETES_SERVICE_PORT, kube::kServiceAccountDir). The error names the file or the variable.
[[nodiscard]] std::variant<kube::ClusterConfig, kube::ConfigError> loadClusterConfig(
    const std::string& kubeconfig_path);

// Request paths. core group ("") -> /api/v1, others -> /apis/<group>/<version>; ns "" = cluster
// scope (or all namespaces for a list); name "" = the collection. Names are percent-encoded.
[[nodiscard]] std::string resourcePath(std::string_view group, std::string_view version,
                                       std::string_view resource, std::string_view ns,
                                       std::string_view name = "");

}  // namespace l1net::kubeapi
