#include "l1net/io/http_server.hpp"

// GCC 12 at -O2 reports -Wmismatched-new-delete for Asio's coroutine frames (awaitable_frame_base
// has a matching class-specific operator new/delete: a GCC 12 false positive on coroutines).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <algorithm>
#include <array>
#include <exception>
#include <list>
#include <map>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "l1net/io/host_port.hpp"
#include "l1net/io/spawn.hpp"

#include "http_dispatch.hpp"

namespace l1net::io {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kAcceptBackoff{100};
constexpr std::chrono::milliseconds kLingerTime{500};
constexpr std::size_t kLingerBytes = 1024 * 1024;

// After an error response with unread request bytes pending, closing at once would make the
// kernel send RST, which may destroy the response before the client reads it. Half-close, then
// discard what the client still sends, bounded in bytes and time (as nginx' lingering_close).
asio::awaitable<void> lingeringClose(beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(kLingerTime);
  std::array<char, 4096> sink{};
  for (std::size_t total = 0; total < kLingerBytes;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kUseTuple);
    if (ec) {
      break;
    }
    total += n;
  }
  stream.close();
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, std::shared_ptr<spdlog::logger> logger,
       HttpServerOptions options)
      : ex(std::move(executor)), log(std::move(logger)), opts(options) {
    if (!log) {
      log = spdlog::default_logger();
    }
  }

  static asio::awaitable<void> acceptLoop(std::shared_ptr<Impl> self, tcp::acceptor& acceptor);
  static asio::awaitable<void> session(std::shared_ptr<Impl> self, tcp::socket socket);
  void spawn(asio::awaitable<void> work);

  asio::any_io_executor ex;
  std::shared_ptr<spdlog::logger> log;
  HttpServerOptions opts;
  detail::HttpRouter router;
  std::list<tcp::acceptor> acceptors;
  struct Conn {
    beast::tcp_stream* stream;
    asio::ip::address peer;
    bool busy = false;  // a request is being answered: never evicted
  };
  // Frees a slot for a new connection from `peer`: evicts the peer's oldest idle connection when
  // it is at max_connections_per_client, else the oldest idle one when the server is full.
  // False when no slot can be freed (every connection is busy answering).
  bool makeRoom(const asio::ip::address& peer);
  void evict(std::map<std::uint64_t, Conn>::iterator it);

  std::map<std::uint64_t, Conn> open;  // live connections by id = age order

  std::uint64_t next_id = 0;
  HttpServerStats stats;
  bool stopped = false;
};

void HttpServer::Impl::spawn(asio::awaitable<void> work) {
  spawnLogged(ex, std::move(work), log, "http server");
}

asio::awaitable<void> HttpServer::Impl::acceptLoop(std::shared_ptr<Impl> self,
                                                   tcp::acceptor& acceptor) {
  while (!self->stopped) {
    auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
    if (self->stopped || ec == asio::error::operation_aborted) {
      co_return;
    }
    if (ec) {
      ++self->stats.io_errors;
      self->log->warn("http accept failed: {}", ec.message());
      asio::steady_timer backoff(self->ex, kAcceptBackoff);  // e.g. EMFILE: don't spin
      co_await backoff.async_wait(kUseTuple);
      continue;
    }
    boost::system::error_code peer_ec;
    const auto peer = socket.remote_endpoint(peer_ec).address();
    if (peer_ec || !self->makeRoom(peer)) {
      ++self->stats.rejected;
      self->log->debug("http connection rejected: {} open, all busy", self->open.size());
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++self->stats.connections;
    self->spawn(session(self, std::move(socket)));
  }
}

bool HttpServer::Impl::makeRoom(const asio::ip::address& peer) {
  const auto oldest_idle = [this](const asio::ip::address* only) {
    for (auto it = open.begin(); it != open.end(); ++it) {
      if (!it->second.busy && (only == nullptr || it->second.peer == *only)) {
        return it;
      }
    }
    return open.end();
  };
  const auto from_peer = static_cast<std::size_t>(std::count_if(
      open.begin(), open.end(), [&peer](const auto& kv) { return kv.second.peer == peer; }));
  if (from_peer >= opts.max_connections_per_client) {
    const auto victim = oldest_idle(&peer);
    if (victim == open.end()) {
      return false;
    }
    evict(victim);
  }
  if (open.size() >= opts.max_connections) {
    const auto victim = oldest_idle(nullptr);
    if (victim == open.end()) {
      return false;
    }
    evict(victim);
  }
  return true;
}

void HttpServer::Impl::evict(std::map<std::uint64_t, Conn>::iterator it) {
  ++stats.evicted;
  log->debug("http connection from {} evicted: oldest idle", it->second.peer.to_string());
  boost::system::error_code ignored;
  it->second.stream->socket().close(ignored);  // its session wakes up aborted and ends
  open.erase(it);
}

asio::awaitable<void> HttpServer::Impl::session(std::shared_ptr<Impl> self, tcp::socket socket) {
  boost::system::error_code peer_ec;
  const auto peer = socket.remote_endpoint(peer_ec).address();
  beast::tcp_stream stream(std::move(socket));
  const auto id = self->next_id++;
  self->open.emplace(id, Conn{&stream, peer, false});
  const auto set_busy = [&self, id](bool busy) {
    if (const auto it = self->open.find(id); it != self->open.end()) {
      it->second.busy = busy;
    }
  };
  struct Unregister {
    Impl& impl;
    std::uint64_t id;
    ~Unregister() { impl.open.erase(id); }
  } unregister{*self, id};

  beast::flat_buffer buffer;
  bool first = true;
  for (;;) {
    detail::HttpRequestParser parser;
    detail::limitRequestParser(parser, self->opts);
    if (buffer.size() == 0) {
      // Waiting for a request to start: a new connection gets request_timeout (clients send at
      // once), a kept-alive one idle_timeout.
      const auto wait = first ? std::min(self->opts.request_timeout, self->opts.idle_timeout)
                              : self->opts.idle_timeout;
      stream.expires_after(wait);
      auto [wec, n] = co_await stream.async_read_some(buffer.prepare(4096), kUseTuple);
      if (wec == beast::error::timeout) {
        ++self->stats.timeouts;
        self->log->debug("http connection closed: idle for {} ms", wait.count());
        co_return;
      }
      if (wec || self->stopped) {
        if (wec != asio::error::operation_aborted && wec != asio::error::eof &&
            wec != asio::error::bad_descriptor && !self->stopped) {
          ++self->stats.io_errors;
          self->log->debug("http read failed: {}", wec.message());
        }
        break;
      }
      buffer.commit(n);
    }
    first = false;
    // Once a request has started, all of it (headers and body) must arrive within
    // request_timeout: a client trickling bytes cannot hold the connection (slowloris).
    stream.expires_after(self->opts.request_timeout);
    auto [rec, nread] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (self->stopped || rec == asio::error::operation_aborted ||
        rec == asio::error::bad_descriptor) {
      break;
    }
    if (rec == http::error::end_of_stream) {
      break;  // peer closed between requests
    }
    if (rec == beast::error::timeout) {
      ++self->stats.timeouts;
      self->log->debug("http connection closed: request not complete within {} ms",
                       self->opts.request_timeout.count());
      co_return;  // the stream is already closed
    }
    if (rec) {
      const unsigned status = detail::parseErrorStatus(rec);
      if (status == 0) {
        ++self->stats.io_errors;
        self->log->debug("http read failed: {}", rec.message());
        break;
      }
      ++self->stats.bad_requests;
      self->log->debug("http bad request ({}): {}", status, rec.message());
      auto res = detail::parseErrorResponse(status);
      stream.expires_after(self->opts.idle_timeout);
      co_await http::async_write(stream, res, kUseTuple);
      co_await lingeringClose(stream);
      co_return;
    }
    const auto req = parser.release();
    set_busy(true);
    auto res = self->router.handle(req, self->stats, *self->log);
    stream.expires_after(self->opts.idle_timeout);
    auto [wec, nwritten] = co_await http::async_write(stream, res, kUseTuple);
    set_busy(false);
    if (wec) {
      if (wec == beast::error::timeout) {
        ++self->stats.timeouts;
        co_return;
      }
      if (wec != asio::error::operation_aborted) {
        ++self->stats.io_errors;
        self->log->debug("http write failed: {}", wec.message());
      }
      break;
    }
    if (!res.keep_alive() || self->stopped) {
      break;
    }
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.close();
}

HttpServer::HttpServer(asio::any_io_executor ex, std::shared_ptr<spdlog::logger> logger,
                       HttpServerOptions opts)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(logger), opts)) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(std::string path, HttpHandler handler, std::vector<std::string> methods) {
  impl_->router.route(std::move(path), std::move(handler), std::move(methods));
}

Result<tcp::endpoint> HttpServer::listen(std::string_view addr) {
  auto parsed = parseHostPort(addr);
  if (!parsed) {
    return parsed.error();
  }
  tcp::endpoint ep = *parsed;
  tcp::acceptor acceptor(impl_->ex);
  boost::system::error_code ec;
  const bool any = ep.address().is_v6() && ep.address().is_unspecified();
  acceptor.open(ep.protocol(), ec);
  if (ec && any) {  // no IPv6 in this kernel: fall back to every IPv4 address
    ep = tcp::endpoint(asio::ip::address_v4::any(), ep.port());
    ec.clear();
    acceptor.open(ep.protocol(), ec);
  } else if (!ec && any) {
    acceptor.set_option(asio::ip::v6_only(false), ec);
  }
  if (ec) {
    return ec;
  }
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) {
    acceptor.bind(ep, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return ec;
  }
  auto local = acceptor.local_endpoint(ec);
  if (ec) {
    return ec;
  }
  impl_->stopped = false;
  auto& stored = impl_->acceptors.emplace_back(std::move(acceptor));
  impl_->spawn(Impl::acceptLoop(impl_, stored));
  impl_->log->info("http listening on {}:{}", local.address().to_string(), local.port());
  return local;
}

void HttpServer::stop() {
  if (!impl_) {
    return;
  }
  impl_->stopped = true;
  boost::system::error_code ignored;
  for (auto& a : impl_->acceptors) {
    a.close(ignored);
  }
  for (auto& [id, conn] : impl_->open) {
    conn.stream->socket().close(ignored);
  }
}

const HttpServerStats& HttpServer::stats() const noexcept { return impl_->stats; }

}  // namespace l1net::io
