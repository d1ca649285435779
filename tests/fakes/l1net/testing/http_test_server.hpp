// A loopback HTTP/1.1 server (Beast, optionally TLS) for testing HTTP clients. Each response can
// be delayed, chunked (with pauses between chunks), held open, or dropped without an answer, so
// every client error path can be driven. Runs on the executor it is given; not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

namespace l1net::testing {

// A self-signed certificate (EC P-256, SANs DNS:localhost and IP:127.0.0.1, CN from the
// argument) and its key, in PEM. The certificate is its own trust anchor.
struct TlsIdentity {
  std::string cert_pem;
  std::string key_pem;
};
TlsIdentity makeSelfSignedIdentity(const std::string& common_name = "localhost");

struct TestRequest {
  std::string method;
  std::string target;  // as sent, query included, not decoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // The first header named `name` (case-insensitive), "" when absent.
  [[nodiscard]] std::string header(const std::string& name) const;
  // Every value of header `name`, in order.
  [[nodiscard]] std::vector<std::string> headerValues(const std::string& name) const;
};

struct TestResponse {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<std::string> chunks;           // non-empty: Transfer-Encoding chunked, one write each
  std::chrono::milliseconds chunk_delay{0};  // pause before each chunk
  std::chrono::milliseconds delay{0};        // pause before the status line
  bool hold_open = false;                    // chunked: never send the last chunk
  bool drop = false;                         // close the connection without answering
  bool close = false;                        // answer with Connection: close, then close
};

using TestHandler = std::function<TestResponse(const TestRequest&)>;

class HttpTestServer {
 public:
  // Listens on 127.0.0.1 on an ephemeral port; TLS when `tls` is given.
  HttpTestServer(boost::asio::any_io_executor ex, TestHandler handler,
                 std::optional<TlsIdentity> tls = std::nullopt);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  // "http://127.0.0.1:<port>" or "https://..."
  [[nodiscard]] std::string url() const;
  [[nodiscard]] std::size_t connections() const noexcept;  // accepted so far
  [[nodiscard]] std::size_t requests() const noexcept;     // requests read so far
  void setHandler(TestHandler handler);
  // Closes every open connection (as a server dropping idle keep-alive connections).
  void closeConnections();
  void stop();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace l1net::testing
