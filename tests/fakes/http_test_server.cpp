#include "l1net/testing/http_test_server.hpp"

#include <algorithm>
#include <list>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace l1net::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string bioString(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return {data, static_cast<std::size_t>(n)};
}

void check(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string("self-signed certificate: ") + what);
  }
}

void addExt(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace

TlsIdentity makeSelfSignedIdentity(const std::string& common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key != nullptr, "key");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * 30);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert, name);
  addExt(cert, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  addExt(cert, NID_basic_constraints, "critical,CA:TRUE");
  check(X509_sign(cert, key, EVP_sha256()) > 0, "sign");
  TlsIdentity id;
  BIO* cb = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(cb, cert);
  id.cert_pem = bioString(cb);
  BIO_free(cb);
  BIO* kb = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
  id.key_pem = bioString(kb);
  BIO_free(kb);
  X509_free(cert);
  EVP_PKEY_free(key);
  return id;
}

std::string TestRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) {
      return v;
    }
  }
  return {};
}

std::vector<std::string> TestRequest::headerValues(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) {
      out.push_back(v);
    }
  }
  return out;
}

struct HttpTestServer::Impl : std::enable_shared_from_this<Impl> {
  asio::any_io_executor ex;
  tcp::acceptor acceptor;
  TestHandler handler;
  std::optional<ssl::context> ctx;
  std::list<std::shared_ptr<tcp::socket*>> open;  // raw sockets of live connections
  std::size_t connections = 0;
  std::size_t requests = 0;
  bool stopped = false;

  Impl(asio::any_io_executor e, TestHandler h) : ex(e), acceptor(e), handler(std::move(h)) {}

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream, tcp::socket& sock) {
    beast::flat_buffer buffer;
    for (;;) {
      bhttp::request<bhttp::string_body> req;
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, req, kUseTuple);
      (void)n;
      if (ec) {
        co_return;
      }
      ++requests;
      TestRequest tr;
      tr.method = std::string(req.method_string());
      tr.target = std::string(req.target());
      for (const auto& f : req) {
        tr.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      }
      tr.body = std::move(req.body());
      TestResponse r = handler(tr);
      asio::steady_timer timer(ex);
      if (r.delay.count() > 0) {
        timer.expires_after(r.delay);
        co_await timer.async_wait(kUseTuple);
      }
      if (r.drop || !sock.is_open()) {
        boost::system::error_code ignored;
        sock.shutdown(tcp::socket::shutdown_both, ignored);
        sock.close(ignored);
        co_return;
      }
      const bool keep = req.keep_alive() && !r.close;
      if (r.chunks.empty()) {
        bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), 11};
        for (const auto& [k, v] : r.headers) {
          res.insert(k, v);
        }
        res.body() = std::move(r.body);
        res.keep_alive(keep);
        res.prepare_payload();
        auto [wec, wn] = co_await bhttp::async_write(stream, res, kUseTuple);
        (void)wn;
        if (wec) {
          co_return;
        }
      } else {
        bhttp::response<bhttp::empty_body> res{static_cast<bhttp::status>(r.status), 11};
        for (const auto& [k, v] : r.headers) {
          res.insert(k, v);
        }
        res.keep_alive(keep);
        res.chunked(true);
        bhttp::response_serializer<bhttp::empty_body> sr{res};
        auto [hec, hn] = co_await bhttp::async_write_header(stream, sr, kUseTuple);
        (void)hn;
        if (hec) {
          co_return;
        }
        for (const auto& c : r.chunks) {
          if (r.chunk_delay.count() > 0) {
            timer.expires_after(r.chunk_delay);
            co_await timer.async_wait(kUseTuple);
          }
          auto [cec, cn] =
              co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(c)), kUseTuple);
          (void)cn;
          if (cec) {
            co_return;
          }
        }
        if (r.hold_open) {  // until the client or stop() closes the connection
          auto [wec] = co_await sock.async_wait(tcp::socket::wait_read, kUseTuple);
          (void)wec;
          co_return;
        }
        auto [lec, ln] = co_await asio::async_write(stream, bhttp::make_chunk_last(), kUseTuple);
        (void)ln;
        if (lec) {
          co_return;
        }
      }
      if (!keep) {
        boost::system::error_code ignored;
        sock.shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
    }
  }

  asio::awaitable<void> session(tcp::socket sock) {
    auto self = shared_from_this();
    if (ctx) {
      beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(sock)), *ctx);
      auto& raw = beast::get_lowest_layer(stream).socket();
      auto handle = std::make_shared<tcp::socket*>(&raw);
      open.push_back(handle);
      auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kUseTuple);
      if (!ec) {
        co_await serve(stream, raw);
      }
      open.remove(handle);
    } else {
      beast::tcp_stream stream(std::move(sock));
      auto& raw = stream.socket();
      auto handle = std::make_shared<tcp::socket*>(&raw);
      open.push_back(handle);
      co_await serve(stream, raw);
      open.remove(handle);
    }
  }

  asio::awaitable<void> acceptLoop() {
    auto self = shared_from_this();
    while (!stopped) {
      auto [ec, sock] = co_await acceptor.async_accept(kUseTuple);
      if (ec) {
        co_return;
      }
      ++connections;
      asio::co_spawn(ex, session(std::move(sock)), asio::detached);
    }
  }

  void closeAll() {
    for (auto& h : open) {
      boost::system::error_code ignored;
      (*h)->shutdown(tcp::socket::shutdown_both, ignored);
      (*h)->close(ignored);
    }
  }
};

HttpTestServer::HttpTestServer(asio::any_io_executor ex, TestHandler handler,
                               std::optional<TlsIdentity> tls)
    : impl_(std::make_shared<Impl>(ex, std::move(handler))) {
  if (tls) {
    impl_->ctx.emplace(ssl::context::tls_server);
    impl_->ctx->use_certificate_chain(asio::buffer(tls->cert_pem));
    impl_->ctx->use_private_key(asio::buffer(tls->key_pem), ssl::context::pem);
  }
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  asio::co_spawn(ex, impl_->acceptLoop(), asio::detached);
}

HttpTestServer::~HttpTestServer() { stop(); }

std::uint16_t HttpTestServer::port() const noexcept {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::string HttpTestServer::url() const {
  return std::string(impl_->ctx ? "https" : "http") + "://127.0.0.1:" + std::to_string(port());
}

std::size_t HttpTestServer::connections() const noexcept { return impl_->connections; }
std::size_t HttpTestServer::requests() const noexcept { return impl_->requests; }
void HttpTestServer::setHandler(TestHandler handler) { impl_->handler = std::move(handler); }
void HttpTestServer::closeConnections() { impl_->closeAll(); }

void HttpTestServer::stop() {
  impl_->stopped = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  impl_->closeAll();
}

}  // namespace l1net::testing
