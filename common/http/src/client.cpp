// The only translation unit of l1net::http that includes Beast and Asio's SSL: keep it that way so
// the heavy templates are compiled once.
#include "l1net/http/client.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace l1net::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 64 * 1024;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lx = (x >= 'A' && x <= 'Z') ? static_cast<char>(x - 'A' + 'a') : x;
           const auto ly = (y >= 'A' && y <= 'Z') ? static_cast<char>(y - 'A' + 'a') : y;
           return lx == ly;
         });
}

bool isIpLiteral(const std::string& host) {
  error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

template <class Fields>
Headers copyHeaders(const Fields& fields) {
  Headers out;
  for (const auto& f : fields) {
    out.push_back(Header{std::string(f.name_string()), std::string(f.value())});
  }
  return out;
}

// One connection, plain or TLS. The TLS stream owns its TCP stream.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  bool reused = false;

  beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  template <class F>
  auto visit(F&& f) {
    if (secure) {
      return f(*secure);
    }
    return f(*plain);
  }

  void close() noexcept {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().socket().close(ignored);
  }
};

bhttp::request<bhttp::string_body> buildRequest(const Url& url, const ClientOptions& opts,
                                                Request& req) {
  bhttp::request<bhttp::string_body> out;
  out.method_string(req.method);
  out.target(url.base_path + req.target);
  out.version(11);
  out.set(bhttp::field::host, url.hostHeader());
  out.set(bhttp::field::user_agent, opts.user_agent);
  for (auto& h : req.headers) {
    out.insert(h.name, h.value);
  }
  const bool wants_body =
      !req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  out.body() = std::move(req.body);
  if (wants_body) {
    out.prepare_payload();
  }
  return out;
}

}  // namespace

std::optional<std::string_view> findHeader(const Headers& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) {
      return std::string_view(h.value);
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
struct ResponseStream::Impl {
  std::unique_ptr<Connection> conn;
  bhttp::response_parser<bhttp::buffer_body> parser;
  unsigned status = 0;
  Headers headers;
  error_code failed;  // sticky error
  bool ended = false;
};

ResponseStream::ResponseStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ResponseStream::~ResponseStream() { cancel(); }

unsigned ResponseStream::status() const noexcept { return impl_->status; }
const Headers& ResponseStream::headers() const noexcept { return impl_->headers; }

void ResponseStream::cancel() noexcept {
  if (impl_ && impl_->conn) {
    impl_->conn->close();
  }
}

asio::awaitable<Result<std::string>> ResponseStream::readSome(
    std::chrono::milliseconds idle_timeout) {
  auto& s = *impl_;
  if (s.failed) {
    co_return s.failed;
  }
  if (s.ended || s.parser.is_done()) {
    s.ended = true;
    co_return std::string();
  }
  std::string out(kReadChunk, '\0');
  for (;;) {
    s.parser.get().body().data = out.data();
    s.parser.get().body().size = out.size();
    s.parser.get().body().more = true;
    s.conn->lowest().expires_after(idle_timeout);
    auto [ec, n] = co_await s.conn->visit([&](auto& stream) {
      return bhttp::async_read_some(stream, s.conn->buffer, s.parser, kUseTuple);
    });
    (void)n;
    if (ec == bhttp::error::need_buffer) {
      ec = {};
    }
    const std::size_t got = out.size() - s.parser.get().body().size;
    if (ec) {
      if (ec == asio::error::bad_descriptor) {
        ec = asio::error::operation_aborted;
      }
      s.failed = ec;
      s.conn->close();
      co_return ec;
    }
    if (s.parser.is_done()) {
      s.ended = true;
    }
    if (got > 0) {
      out.resize(got);
      co_return out;
    }
    if (s.ended) {
      co_return std::string();
    }
  }
}

// ---------------------------------------------------------------------------------------------
struct Client::Impl {
  asio::any_io_executor ex;
  Url url;
  ClientOptions opts;
  std::optional<ssl::context> tls_ctx;
  std::deque<std::unique_ptr<Connection>> idle;
  ClientStats stats;

  Impl(asio::any_io_executor e, Url u, ClientOptions o)
      : ex(std::move(e)), url(std::move(u)), opts(std::move(o)) {}

  error_code setupTls() {
    tls_ctx.emplace(ssl::context::tls_client);
    auto& ctx = *tls_ctx;
    error_code ec;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                    ec);
    const auto& t = opts.tls;
    if (!t.ca_file.empty()) {
      ctx.load_verify_file(t.ca_file, ec);
    } else if (!t.ca_pem.empty()) {
      ctx.add_certificate_authority(asio::buffer(t.ca_pem), ec);
    } else if (t.verify) {
      ctx.set_default_verify_paths(ec);
    }
    if (ec) {
      return ec;
    }
    if (!t.cert_file.empty()) {
      ctx.use_certificate_chain_file(t.cert_file, ec);
    } else if (!t.cert_pem.empty()) {
      ctx.use_certificate_chain(asio::buffer(t.cert_pem), ec);
    }
    if (ec) {
      return ec;
    }
    if (!t.key_file.empty()) {
      ctx.use_private_key_file(t.key_file, ssl::context::pem, ec);
    } else if (!t.key_pem.empty()) {
      ctx.use_private_key(asio::buffer(t.key_pem), ssl::context::pem, ec);
    }
    if (ec) {
      return ec;
    }
    ctx.set_verify_mode(t.verify ? ssl::verify_peer : ssl::verify_none, ec);
    return ec;
  }

  asio::awaitable<Result<std::unique_ptr<Connection>>> connect() {
    auto conn = std::make_unique<Connection>();
    if (url.tls) {
      conn->secure.emplace(ex, *tls_ctx);
    } else {
      conn->plain.emplace(ex);
    }
    auto& lowest = conn->lowest();
    lowest.expires_after(opts.connect_timeout);
    tcp::resolver resolver(ex);
    // The resolver has no deadline of its own; a numeric host never blocks.
    auto [rec, results] =
        co_await resolver.async_resolve(url.host, std::to_string(url.port), kUseTuple);
    if (rec) {
      co_return rec;
    }
    auto [cec, ep] = co_await lowest.async_connect(results, kUseTuple);
    (void)ep;
    if (cec) {
      co_return cec;
    }
    if (conn->secure) {
      const auto& name = opts.tls.server_name.empty() ? url.host : opts.tls.server_name;
      SSL* ssl_handle = conn->secure->native_handle();
      if (!isIpLiteral(name)) {
        // SSL_set_tlsext_host_name() without its old-style cast.
        SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(name.c_str()));
      }
      if (opts.tls.verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const int ok = isIpLiteral(name) ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str())
                                         : X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
        if (ok != 1) {
          co_return make_error_code(Errc::kInvalidArgument);
        }
      }
      auto [hec] = co_await conn->secure->async_handshake(ssl::stream_base::client, kUseTuple);
      if (hec) {
        co_return hec;
      }
    }
    ++stats.connections_opened;
    co_return conn;
  }

  asio::awaitable<Result<std::unique_ptr<Connection>>> acquire() {
    while (!idle.empty()) {
      auto conn = std::move(idle.front());
      idle.pop_front();
      if (conn->lowest().socket().is_open()) {
        conn->reused = true;
        co_return conn;
      }
    }
    co_return co_await connect();
  }

  void release(std::unique_ptr<Connection> conn) {
    if (idle.size() >= opts.max_idle_connections) {
      conn->close();
      return;
    }
    conn->lowest().expires_never();
    idle.push_back(std::move(conn));
  }

  // One exchange on `conn`. `early` is set when the connection failed before any response byte.
  asio::awaitable<Result<Response>> exchange(Connection& conn,
                                             const bhttp::request<bhttp::string_body>& msg,
                                             std::chrono::milliseconds timeout, bool& early,
                                             bool& keep_alive) {
    early = false;
    conn.lowest().expires_after(timeout);
    ++stats.requests_sent;
    auto [wec, wn] = co_await conn.visit(
        [&](auto& stream) { return bhttp::async_write(stream, msg, kUseTuple); });
    (void)wn;
    if (wec) {
      early = wec != beast::error::timeout;
      co_return wec;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(opts.max_body_bytes);
    if (msg.method() == bhttp::verb::head) {
      parser.skip(true);
    }
    auto [rec, rn] = co_await conn.visit(
        [&](auto& stream) { return bhttp::async_read(stream, conn.buffer, parser, kUseTuple); });
    (void)rn;
    if (rec) {
      early = (rec == bhttp::error::end_of_stream || rec == asio::error::connection_reset ||
               rec == asio::error::eof) &&
              !parser.got_some();
      co_return rec;
    }
    auto res = parser.release();
    keep_alive = res.keep_alive();
    Response out;
    out.status = res.result_int();
    out.headers = copyHeaders(res.base());
    out.body = std::move(res.body());
    co_return out;
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() { closeIdle(); }

Result<std::shared_ptr<Client>> Client::create(asio::any_io_executor ex, std::string_view base_url,
                                               ClientOptions opts) {
  auto url = parseUrl(base_url);
  if (!url) {
    return url.error();
  }
  auto impl = std::make_unique<Impl>(std::move(ex), std::move(*url), std::move(opts));
  if (impl->url.tls) {
    if (const auto ec = impl->setupTls()) {
      return ec;
    }
  }
  return std::make_shared<Client>(std::move(impl));
}

const Url& Client::url() const noexcept { return impl_->url; }
const ClientStats& Client::stats() const noexcept { return impl_->stats; }

void Client::closeIdle() noexcept {
  for (auto& c : impl_->idle) {
    c->close();
  }
  impl_->idle.clear();
}

asio::awaitable<Result<Response>> Client::request(Request req) {
  auto& s = *impl_;
  const auto timeout = req.timeout.value_or(s.opts.request_timeout);
  const auto msg = buildRequest(s.url, s.opts, req);
  for (int attempt = 0;; ++attempt) {
    auto conn = co_await s.acquire();
    if (!conn) {
      ++s.stats.errors;
      co_return conn.error();
    }
    bool early = false;
    bool keep_alive = false;
    auto res = co_await s.exchange(**conn, msg, timeout, early, keep_alive);
    if (!res) {
      (*conn)->close();
      if (early && (*conn)->reused && attempt == 0) {
        ++s.stats.retries;
        continue;
      }
      ++s.stats.errors;
      co_return res.error();
    }
    if (keep_alive) {
      s.release(std::move(*conn));
    } else {
      (*conn)->close();
    }
    co_return res;
  }
}

asio::awaitable<Result<std::unique_ptr<ResponseStream>>> Client::stream(Request req) {
  auto& s = *impl_;
  const auto timeout = req.timeout.value_or(s.opts.request_timeout);
  const auto msg = buildRequest(s.url, s.opts, req);
  auto conn = co_await s.connect();
  if (!conn) {
    ++s.stats.errors;
    co_return conn.error();
  }
  auto impl = std::make_unique<ResponseStream::Impl>();
  impl->conn = std::move(*conn);
  auto& c = *impl->conn;
  c.lowest().expires_after(timeout);
  ++s.stats.requests_sent;
  auto [wec, wn] =
      co_await c.visit([&](auto& st) { return bhttp::async_write(st, msg, kUseTuple); });
  (void)wn;
  if (wec) {
    ++s.stats.errors;
    c.close();
    co_return wec;
  }
  impl->parser.body_limit(boost::none);
  auto [rec, rn] = co_await c.visit(
      [&](auto& st) { return bhttp::async_read_header(st, c.buffer, impl->parser, kUseTuple); });
  (void)rn;
  if (rec) {
    ++s.stats.errors;
    c.close();
    co_return rec;
  }
  impl->status = impl->parser.get().result_int();
  impl->headers = copyHeaders(impl->parser.get().base());
  co_return std::make_unique<ResponseStream>(std::move(impl));
}

}  // namespace l1net::http
