// c-ares behind the DnsTransport seam. Each query runs c-ares' own select() loop to completion on
// the caller's thread: it blocks the executor for at most timeout x tries (2 s x 2 by default),
// once per changed name after a sync. (Hopping to a private thread pool corrupted the heap with
// c-ares 1.18.1 here; a socket-integrated version can replace this behind the same seam.)
#include <algorithm>
#include <array>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <ares.h>
#include <arpa/inet.h>
#include <boost/asio/ip/address.hpp>
#include <netdb.h>
#include <sys/select.h>

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

void onReply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* a = static_cast<Answer*>(arg);
  a->done = true;
  a->status = status;
  if (status != ARES_SUCCESS) {
    return;
  }
  if (a->type == RecordType::kAAAA) {
    std::array<ares_addr6ttl, 32> ttls{};
    int n = static_cast<int>(ttls.size());
    // No hostent: with one here, c-ares 1.18.1 aborted with a double free (glibc) after the
    // A query before it; the addrttl array is all we need.
    hostent* host = nullptr;
    a->status = ares_parse_aaaa_reply(abuf, alen, nullptr, ttls.data(), &n);
    if (a->status == ARES_SUCCESS) {
      for (int i = 0; i < n; ++i) {
        std::array<char, INET6_ADDRSTRLEN> buf{};
        inet_ntop(AF_INET6, &ttls.at(static_cast<std::size_t>(i)).ip6addr, buf.data(), buf.size());
        a->values.emplace_back(buf.data());
      }
    }
    if (host != nullptr) {
      ares_free_hostent(host);
    }
    return;
  }
  std::array<ares_addrttl, 32> ttls{};
  int n = static_cast<int>(ttls.size());
  hostent* host = nullptr;
  a->status = ares_parse_a_reply(abuf, alen, a->type == RecordType::kCNAME ? &host : nullptr,
                                 ttls.data(), &n);
  if (a->status == ARES_SUCCESS) {
    if (a->type == RecordType::kCNAME) {
      if (host != nullptr && host->h_name != nullptr) {
        a->values.emplace_back(host->h_name);
      }
    } else {
      for (int i = 0; i < n; ++i) {
        std::array<char, INET_ADDRSTRLEN> buf{};
        inet_ntop(AF_INET, &ttls.at(static_cast<std::size_t>(i)).ipaddr, buf.data(), buf.size());
        a->values.emplace_back(buf.data());
      }
    }
  }
  if (host != nullptr) {
    ares_free_hostent(host);
  }
}

class CaresTransport final : public DnsTransport {
 public:
  CaresTransport(asio::any_io_executor ex, std::string server, std::chrono::milliseconds timeout)
      : ex_(std::move(ex)), server_(std::move(server)), timeout_(timeout) {}
  CaresTransport(const CaresTransport&) = delete;
  CaresTransport& operator=(const CaresTransport&) = delete;

  asio::awaitable<Result<std::vector<std::string>>> query(std::string name,
                                                          RecordType type) override {
    co_return blockingQuery(name, type);
  }

 private:
  Result<std::vector<std::string>> blockingQuery(const std::string& name, RecordType type) const {
    ares_options opts{};
    opts.timeout = static_cast<int>(timeout_.count());
    opts.tries = 2;
    opts.flags = ARES_FLAG_NOSEARCH;
    ares_channel channel = nullptr;
    if (ares_init_options(&channel, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS) !=
        ARES_SUCCESS) {
      return Errc::kUnsupported;
    }
    if (ares_set_servers_ports_csv(channel, server_.c_str()) != ARES_SUCCESS) {
      ares_destroy(channel);
      return Errc::kInvalidArgument;
    }
    Answer a;
    a.type = type;
    const int qtype = type == RecordType::kAAAA ? 28 : 1;  // AAAA : A (CNAME via the A chain)
    ares_query(channel, name.c_str(), 1 /* C_IN */, qtype, onReply, &a);
    while (!a.done) {
      fd_set rd;
      fd_set wr;
      FD_ZERO(&rd);
      FD_ZERO(&wr);
      const int nfds = ares_fds(channel, &rd, &wr);
      if (nfds == 0) {
        break;
      }
      timeval tv{};
      timeval* tvp = ares_timeout(channel, nullptr, &tv);
      select(nfds, &rd, &wr, nullptr, tvp);
      ares_process(channel, &rd, &wr);
    }
    ares_destroy(channel);
    if (a.status == ARES_ENOTFOUND || a.status == ARES_ENODATA) {
      return std::vector<std::string>{};
    }
    if (a.status != ARES_SUCCESS) {
      return a.status == ARES_ETIMEOUT ? make_error_code(std::errc::timed_out)
                                       : make_error_code(std::errc::connection_refused);
    }
    return a.values;
  }

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
