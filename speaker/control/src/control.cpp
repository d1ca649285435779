#include "l1net/speaker/control.hpp"

#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace l1net::speaker {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kClientTimeout{5};

boost::system::error_code lastError() { return {errno, boost::system::system_category()}; }

// Whether a daemon answers on path (connect succeeds).
bool socketIsLive(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return live;
}

}  // namespace

struct ControlServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor executor, std::shared_ptr<spdlog::logger> log)
      : ex(std::move(executor)), acceptor(ex), logger(std::move(log)) {}

  asio::awaitable<void> serve(local::socket sock) {
    using namespace asio::experimental::awaitable_operators;
    asio::streambuf buf(kMaxControlRequestBytes);
    asio::steady_timer deadline(ex, kClientTimeout);
    auto result = co_await (asio::async_read_until(sock, buf, '\n', kUseTuple) ||
                            deadline.async_wait(kUseTuple));
    if (result.index() == 1) {
      ++errors;
      logger->debug("control client timed out");
      co_return;
    }
    const auto [ec, n] = std::get<0>(result);
    if (ec) {
      ++errors;
      logger->debug("control read failed: {}", ec.message());
      co_return;
    }
    std::string line(asio::buffers_begin(buf.data()),
                     asio::buffers_begin(buf.data()) + static_cast<std::ptrdiff_t>(n));
    ++requests;
    const auto reply = dispatchControlRequest(line, handlers);
    if (!reply.ok) {
      ++errors;
    }
    const auto out = encodeControlReply(reply);
    auto [wec, written] = co_await asio::async_write(sock, asio::buffer(out), kUseTuple);
    if (wec) {
      ++errors;
      logger->debug("control write failed: {}", wec.message());
    }
    boost::system::error_code ignored;
    sock.shutdown(local::socket::shutdown_both, ignored);
  }

  asio::awaitable<void> acceptLoop() {
    auto self = shared_from_this();
    while (!stopped) {
      auto [ec, sock] = co_await acceptor.async_accept(kUseTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || stopped) {
          co_return;
        }
        ++errors;
        logger->warn("control accept failed: {}", ec.message());
        asio::steady_timer backoff(ex, std::chrono::milliseconds(100));
        co_await backoff.async_wait(kUseTuple);
        continue;
      }
      asio::co_spawn(
          ex,
          [s = self, sk = std::move(sock)]() mutable -> asio::awaitable<void> {
            co_await s->serve(std::move(sk));
          },
          asio::detached);
    }
  }

  asio::any_io_executor ex;
  local::acceptor acceptor;
  std::shared_ptr<spdlog::logger> logger;
  ControlHandlers handlers;
  std::string path;
  bool stopped = false;
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
};

ControlServer::ControlServer(asio::any_io_executor ex, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_shared<Impl>(std::move(ex), std::move(logger))) {}

ControlServer::~ControlServer() { stop(); }

void ControlServer::handle(std::string command, ControlHandler handler) {
  impl_->handlers[std::move(command)] = std::move(handler);
}

Result<void> ControlServer::listen(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return boost::system::error_code(ENAMETOOLONG, boost::system::system_category());
  }
  const auto parent = fs::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code fec;
    if (!fs::exists(parent, fec)) {
      if (::mkdir(parent.c_str(), 0750) != 0 && errno != EEXIST) {
        return lastError();
      }
    }
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return boost::system::error_code(EEXIST, boost::system::system_category());
    }
    if (socketIsLive(path)) {
      return Errc::kConflict;
    }
    ::unlink(path.c_str());
  }
  boost::system::error_code ec;
  auto& acc = impl_->acceptor;
  acc.open(local(), ec);
  if (!ec) {
    acc.bind(local::endpoint(path), ec);
  }
  if (!ec && ::chmod(path.c_str(), 0660) != 0) {
    ec = lastError();
  }
  if (!ec) {
    acc.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    boost::system::error_code ignored;
    acc.close(ignored);
    return ec;
  }
  impl_->path = path;
  asio::co_spawn(
      impl_->ex, [self = impl_]() { return self->acceptLoop(); }, asio::detached);
  return {};
}

void ControlServer::stop() {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  if (!impl_->path.empty()) {
    ::unlink(impl_->path.c_str());
  }
}

std::uint64_t ControlServer::requests() const noexcept { return impl_->requests; }
std::uint64_t ControlServer::errors() const noexcept { return impl_->errors; }

// ---- client ----

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) {
      ::close(fd);
    }
  }
};

using SteadyTime = std::chrono::steady_clock::time_point;

boost::system::error_code sysError(int e) { return {e, boost::system::system_category()}; }

// Waits until fd is ready for `events`; ETIMEDOUT once `deadline` has passed.
boost::system::error_code waitFor(int fd, short events, SteadyTime deadline) {
  pollfd p{.fd = fd, .events = events, .revents = 0};
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return sysError(ETIMEDOUT);
    }
    const int r = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 60'000)));
    if (r > 0) {
      return {};
    }
    if (r < 0 && errno != EINTR) {
      return lastError();
    }
  }
}

// Connects a non-blocking socket; a full listen backlog (EAGAIN on a Unix socket) is retried
// until the deadline.
boost::system::error_code connectBy(int fd, const sockaddr_un& addr, SteadyTime deadline) {
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0) {
      return {};
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EINPROGRESS) {
      if (auto ec = waitFor(fd, POLLOUT, deadline)) {
        return ec;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      return err == 0 ? boost::system::error_code{} : sysError(err);
    }
    if (errno != EAGAIN) {
      return lastError();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return sysError(ETIMEDOUT);
    }
    ::usleep(10'000);
  }
}

}  // namespace

Result<boost::json::object> controlRequest(const std::string& path,
                                           const boost::json::object& request,
                                           std::chrono::milliseconds timeout,
                                           std::size_t max_reply_bytes) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return sysError(ENAMETOOLONG);
  }
  Fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (sock.fd < 0) {
    return lastError();
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (auto ec = connectBy(sock.fd, addr, deadline)) {
    return ec;
  }
  const auto line = boost::json::serialize(request) + "\n";
  for (std::size_t off = 0; off < line.size();) {
    if (auto ec = waitFor(sock.fd, POLLOUT, deadline)) {
      return ec;
    }
    const auto n = ::send(sock.fd, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      return lastError();
    }
    off += static_cast<std::size_t>(n);
  }
  std::string reply;
  std::array<char, 65536> chunk{};
  for (;;) {
    if (auto ec = waitFor(sock.fd, POLLIN, deadline)) {
      return ec;
    }
    const auto n = ::recv(sock.fd, chunk.data(), chunk.size(), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      return lastError();
    }
    if (n == 0) {
      break;
    }
    if (reply.size() + static_cast<std::size_t>(n) > max_reply_bytes) {
      return sysError(EMSGSIZE);
    }
    reply.append(chunk.data(), static_cast<std::size_t>(n));
    if (reply.back() == '\n') {
      break;
    }
  }
  if (reply.empty()) {
    return Errc::kTruncated;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(reply, ec);
  if (ec || !v.is_object()) {
    return Errc::kMalformed;
  }
  return std::move(v.as_object());
}

}  // namespace l1net::speaker
