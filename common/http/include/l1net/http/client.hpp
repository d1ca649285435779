// The one HTTP/1.1 client of l1net (Boost.Beast over Asio, C++20 coroutines), used by dnsd's
// Pi-hole provider and by the Kubernetes API client.
//
// Design note:
//  - A Client talks to one origin (scheme, host, port) given as a base URL; request targets are
//    appended to the URL's path prefix. https uses OpenSSL with peer verification ON by default
//    (system CA paths, or TlsOptions::ca_file / ca_pem); verify=false must be asked for.
//    Verification checks the certificate's DNS name or IP address against the URL host (or
//    TlsOptions::server_name); SNI is sent for DNS names.
//  - Connections are kept alive and reused (up to max_idle_connections idle ones). A request that
//    fails on a reused connection before any response byte arrived (the server closed the idle
//    connection) is retried once on a fresh connection; nothing else is ever retried.
//  - request() reads the whole response (chunked or not; Beast decodes the framing) up to
//    max_body_bytes, all within the request timeout. A non-2xx status is not an error: the caller
//    reads Response::status. Errors are transport errors only: resolve/connect/TLS failures,
//    beast::error::timeout, body_limit, parse errors.
//  - stream() sends the request on a dedicated connection, reads the status line and headers, and
//    hands over a ResponseStream whose readSome() returns body bytes as they arrive (watch streams:
//    NDJSON over chunked encoding). The connection is closed when the stream is destroyed.
//  - Thread-safety: none. All calls on one Client and its streams must run on its executor's
//    thread (l1net daemons run one io_context thread). Concurrent request() coroutines are fine:
//    each uses its own connection.
//  - No exceptions escape; everything returns Result.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "l1net/error.hpp"
#include "l1net/http/url.hpp"

namespace l1net::http {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

// The first header named `name` (ASCII case-insensitive), if any.
[[nodiscard]] std::optional<std::string_view> findHeader(const Headers& headers,
                                                         std::string_view name);

struct Request {
  std::string method = "GET";
  std::string target = "/";  // origin-form: path and query, appended to the base URL's path
  Headers headers;           // Host, User-Agent and Content-Length are set by the client
  std::string body;          // sent with Content-Length when non-empty or method is POST/PUT/PATCH
  std::optional<std::chrono::milliseconds> timeout;  // overrides ClientOptions::request_timeout
};

struct Response {
  unsigned status = 0;
  Headers headers;
  std::string body;
};

struct TlsOptions {
  bool verify = true;     // false = accept any certificate (--*-tls-skip-verify)
  std::string ca_file;    // PEM bundle; empty with empty ca_pem = system default paths
  std::string ca_pem;     // PEM text (kubeconfig certificate-authority-data, decoded)
  std::string cert_file;  // client certificate chain (PEM), optional
  std::string cert_pem;
  std::string key_file;  // client private key (PEM), optional
  std::string key_pem;
  std::string server_name;  // name to verify and send as SNI; empty = the URL host
};

struct ClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};   // resolve + TCP connect + TLS handshake
  std::chrono::milliseconds request_timeout{30'000};  // write request + read whole response
  std::size_t max_body_bytes = 64 * 1024 * 1024;
  std::size_t max_idle_connections = 4;
  std::string user_agent = "l1net";
  TlsOptions tls;
};

struct ClientStats {
  std::uint64_t connections_opened = 0;  // TCP (and TLS) connections established
  std::uint64_t requests_sent = 0;       // requests written, retries included
  std::uint64_t retries = 0;             // requests repeated after a stale kept-alive connection
  std::uint64_t errors = 0;              // request()/stream() calls that returned an error
};

// A response whose body is read piecewise. Created by Client::stream().
class ResponseStream {
 public:
  struct Impl;
  explicit ResponseStream(std::unique_ptr<Impl> impl);
  ~ResponseStream();
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  [[nodiscard]] unsigned status() const noexcept;
  [[nodiscard]] const Headers& headers() const noexcept;

  // The next body bytes as they arrive (at most 64 KiB per call; never empty while the body goes
  // on), or "" once the body has ended. Errors: beast::error::timeout when no byte arrived within
  // `idle_timeout`, asio::error::operation_aborted after cancel(), parse/connection errors
  // (http::error::partial_message when the peer closed mid-body). After an error or the end
  // every further call returns the same outcome again.
  boost::asio::awaitable<Result<std::string>> readSome(std::chrono::milliseconds idle_timeout);

  // Closes the connection; a pending readSome() completes with an error. Idempotent.
  void cancel() noexcept;

 private:
  std::unique_ptr<Impl> impl_;
};

class Client {
 public:
  // Errors: parseUrl errors; TLS setup errors (unreadable CA file or client cert/key).
  [[nodiscard]] static Result<std::shared_ptr<Client>> create(boost::asio::any_io_executor ex,
                                                              std::string_view base_url,
                                                              ClientOptions opts = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  boost::asio::awaitable<Result<Response>> request(Request req);
  boost::asio::awaitable<Result<std::unique_ptr<ResponseStream>>> stream(Request req);

  // Closes every idle connection. In-flight requests finish (or fail) on their own.
  void closeIdle() noexcept;

  [[nodiscard]] const Url& url() const noexcept;
  [[nodiscard]] const ClientStats& stats() const noexcept;

  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace l1net::http
