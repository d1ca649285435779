// c-ares behind the DnsTransport seam, driven by the caller's Asio executor: no thread, no
// blocking call. Each query gets its own channel; c-ares reports the sockets it opens and what it
// waits for through ARES_OPT_SOCK_STATE_CB, and each such socket is watched with a non-owning
// posix::stream_descriptor (released, never closed, before c-ares closes it); readiness and the
// channel's timeout (ares_timeout) drive ares_process_fd. The query's callback runs inside
// ares_process_fd and only records the answer and wakes the waiting coroutine; the channel is
// destroyed from the coroutine afterwards, never from inside a c-ares callback.
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <ares.h>
#include <arpa/inet.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <netdb.h>

#include "l1net/dnsd/io/dns_transport.hpp"

namespace l1net::dnsd {

namespace asio = boost::asio;

namespace {

std::once_flag g_ares_init;

struct Answer {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<std::string> values;
  RecordType type = RecordType::kA;
};

void parseReply(Answer& a, unsigned char* abuf, int alen) {
  if (a.type == RecordType::kAAAA) {
    std::array<ares_addr6ttl, 32> ttls{};
    int n = static_cast<int>(ttls.size());
    a.status = ares_parse_aaaa_reply(abuf, alen, nullptr, ttls.data(), &n);
    if (a.status == ARES_SUCCESS) {
      for (int i = 0; i < n; ++i) {
        std::array<char, INET6_ADDRSTRLEN> buf{};
        inet_ntop(AF_INET6, &ttls.at(static_cast<std::size_t>(i)).ip6addr, buf.data(), buf.size());
        a.values.emplace_back(buf.data());
      }
    }
    return;
  }
  std::array<ares_addrttl, 32> ttls{};
  int n = static_cast<int>(ttls.size());
  hostent* host = nullptr;
  a.status = ares_parse_a_reply(abuf, alen, a.type == RecordType::kCNAME ? &host : nullptr,
                                ttls.data(), &n);
  if (a.status == ARES_SUCCESS) {
    if (a.type == RecordType::kCNAME) {
      if (host != nullptr && host->h_name != nullptr) {
        a.values.emplace_back(host->h_name);
      }
    } else {
      for (int i = 0; i < n; ++i) {
        std::array<char, INET_ADDRSTRLEN> buf{};
        inet_ntop(AF_INET, &ttls.at(static_cast<std::size_t>(i)).ipaddr, buf.data(), buf.size());
        a.values.emplace_back(buf.data());
      }
    }
  }
  if (host != nullptr) {
    ares_free_hostent(host);
  }
}

// One socket c-ares opened. The descriptor does not own the fd.
struct Watch {
  Watch(const asio::any_io_executor& ex, int fd) : desc(ex, fd) {}
  asio::posix::stream_descriptor desc;
  bool want_read = false;
  bool want_write = false;
  bool reading = false;
  bool writing = false;
  bool closed = false;
};

// One query: its channel, its sockets, its timer. Handlers hold a shared_ptr and do nothing
// once `finished` (the channel is gone) or their Watch is closed.
struct Query : std::enable_shared_from_this<Query> {
  explicit Query(const asio::any_io_executor& e) : ex(e), timeout_timer(e), done_timer(e) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() {
    if (channel != nullptr) {
      ares_destroy(channel);
    }
    for (auto& [fd, w] : watches) {
      (void)w->desc.release();  // never close c-ares' fd
    }
  }

  asio::any_io_executor ex;
  ares_channel channel = nullptr;
  std::map<int, std::shared_ptr<Watch>> watches;
  asio::steady_timer timeout_timer;
  asio::steady_timer done_timer;  // cancelled when the answer is in
  Answer answer;
  bool finished = false;

  static void onSockState(void* data, ares_socket_t fd, int readable, int writable) {
    static_cast<Query*>(data)->sockState(fd, readable != 0, writable != 0);
  }

  static void onReply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    auto* q = static_cast<Query*>(arg);
    q->answer.done = true;
    q->answer.status = status;
    if (status == ARES_SUCCESS) {
      parseReply(q->answer, abuf, alen);
    }
    q->done_timer.cancel();
  }

  void sockState(int fd, bool readable, bool writable) {
    auto it = watches.find(fd);
    if (!readable && !writable) {  // c-ares is about to close fd
      if (it != watches.end()) {
        it->second->closed = true;
        boost::system::error_code ignored;
        it->second->desc.cancel(ignored);
        (void)it->second->desc.release();
        watches.erase(it);
      }
      return;
    }
    if (it == watches.end()) {
      it = watches.emplace(fd, std::make_shared<Watch>(ex, fd)).first;
    }
    it->second->want_read = readable;
    it->second->want_write = writable;
    arm(it->second);
  }

  void arm(const std::shared_ptr<Watch>& w) {
    auto self = shared_from_this();
    if (w->want_read && !w->reading) {
      w->reading = true;
      w->desc.async_wait(asio::posix::descriptor_base::wait_read,
                         [self, w](const boost::system::error_code& ec) {
                           w->reading = false;
                           self->ready(w, ec, true);
                         });
    }
    if (w->want_write && !w->writing) {
      w->writing = true;
      w->desc.async_wait(asio::posix::descriptor_base::wait_write,
                         [self, w](const boost::system::error_code& ec) {
                           w->writing = false;
                           self->ready(w, ec, false);
                         });
    }
  }

  void ready(const std::shared_ptr<Watch>& w, const boost::system::error_code& ec, bool read) {
    if (ec || w->closed || finished) {
      return;
    }
    const int fd = w->desc.native_handle();
    ares_process_fd(channel, read ? fd : ARES_SOCKET_BAD, read ? ARES_SOCKET_BAD : fd);
    if (!w->closed && !finished) {
      arm(w);
    }
    armTimeout();
  }

  void armTimeout() {
    if (finished || answer.done) {
      return;
    }
    timeval tv{};
    if (ares_timeout(channel, nullptr, &tv) == nullptr) {
      return;
    }
    timeout_timer.expires_after(std::chrono::seconds(tv.tv_sec) +
                                std::chrono::microseconds(tv.tv_usec));
    timeout_timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->finished) {
        return;
      }
      ares_process_fd(self->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      self->armTimeout();
    });
  }
};

class CaresTransport final : public DnsTransport {
 public:
  CaresTransport(asio::any_io_executor ex, std::string server, std::chrono::milliseconds timeout)
      : ex_(std::move(ex)), server_(std::move(server)), timeout_(timeout) {}

  asio::awaitable<Result<std::vector<std::string>>> query(std::string name,
                                                          RecordType type) override {
    auto q = std::make_shared<Query>(ex_);
    q->answer.type = type;
    ares_options opts{};
    opts.timeout = static_cast<int>(timeout_.count());
    opts.tries = 2;
    opts.flags = ARES_FLAG_NOSEARCH;
    opts.sock_state_cb = &Query::onSockState;
    opts.sock_state_cb_data = q.get();
    if (ares_init_options(&q->channel, &opts,
                          ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS |
                              ARES_OPT_SOCK_STATE_CB) != ARES_SUCCESS) {
      q->channel = nullptr;
      co_return Errc::kUnsupported;
    }
    if (ares_set_servers_ports_csv(q->channel, server_.c_str()) != ARES_SUCCESS) {
      co_return Errc::kInvalidArgument;
    }
    q->done_timer.expires_at(asio::steady_timer::time_point::max());
    const int qtype = type == RecordType::kAAAA ? 28 : 1;  // AAAA : A (CNAME via the A chain)
    ares_query(q->channel, name.c_str(), 1 /* C_IN */, qtype, &Query::onReply, q.get());
    q->armTimeout();
    while (!q->answer.done) {  // onReply cancels done_timer
      co_await q->done_timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    q->finished = true;
    q->timeout_timer.cancel();
    ares_destroy(q->channel);  // closes its sockets: sockState releases their watches
    q->channel = nullptr;
    const auto& a = q->answer;
    if (a.status == ARES_ENOTFOUND || a.status == ARES_ENODATA) {
      co_return std::vector<std::string>{};
    }
    if (a.status != ARES_SUCCESS) {
      co_return a.status == ARES_ETIMEOUT ? make_error_code(std::errc::timed_out)
                                          : make_error_code(std::errc::connection_refused);
    }
    co_return a.values;
  }

 private:
  asio::any_io_executor ex_;
  std::string server_;
  std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<DnsTransport> makeCaresTransport(asio::any_io_executor ex,
                                                 const std::string& server,
                                                 std::chrono::milliseconds timeout) {
  std::call_once(g_ares_init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
  // Validate: "IP", "IP:port", "[v6]:port".
  std::string host = server;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') == std::string::npos ? 0 : host.find(']') - 1);
  } else if (std::count(host.begin(), host.end(), ':') == 1) {
    host = host.substr(0, host.find(':'));
  }
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  if (ec) {
    throw std::invalid_argument("--verify-server " + server + ": want IP or IP:port");
  }
  return std::make_unique<CaresTransport>(std::move(ex), server, timeout);
}

}  // namespace l1net::dnsd
