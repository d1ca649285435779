// libnl-3 implementation of the Netlink seam (see netlink.hpp).
#include <algorithm>
#include <cstring>
#include <map>
#include <system_error>
#include <utility>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include "l1net/speaker/io/netlink.hpp"

namespace l1net::speaker {
namespace {

std::system_error nlError(int err, const char* what) {
  return {std::make_error_code(std::errc::io_error), std::string(what) + ": " + nl_geterror(err)};
}

std::optional<net::IpAddress> toIp(nl_addr* a) {
  if (a == nullptr) {
    return std::nullopt;
  }
  const auto* bytes = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(a));
  const auto len = nl_addr_get_len(a);
  if (nl_addr_get_family(a) == AF_INET && len == 4) {
    net::Ipv4Address::bytes_type b{};
    std::memcpy(b.data(), bytes, 4);
    return net::IpAddress(net::Ipv4Address(b));
  }
  if (nl_addr_get_family(a) == AF_INET6 && len == 16) {
    net::Ipv6Address::bytes_type b{};
    std::memcpy(b.data(), bytes, 16);
    return net::IpAddress(net::Ipv6Address(b));
  }
  return std::nullopt;
}

}  // namespace

struct LibnlNetlink::Impl : std::enable_shared_from_this<Impl> {
  Impl(const boost::asio::any_io_executor& ex, std::shared_ptr<spdlog::logger> log)
      : descriptor(ex), logger(std::move(log)) {}
  ~Impl() { release(); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  static void onChange(nl_cache* /*cache*/, nl_object* /*obj*/, int /*action*/, void* data) {
    static_cast<Impl*>(data)->dirty = true;
  }

  void open() {
    int err = nl_cache_mngr_alloc(nullptr, NETLINK_ROUTE, 0, &mngr);
    if (err < 0) {
      throw nlError(err, "netlink cache manager");
    }
    err = nl_cache_mngr_add(mngr, "route/link", &Impl::onChange, this, &links);
    if (err < 0) {
      throw nlError(err, "netlink link cache");
    }
    err = nl_cache_mngr_add(mngr, "route/addr", &Impl::onChange, this, &addrs);
    if (err < 0) {
      throw nlError(err, "netlink address cache");
    }
    const int fd = ::dup(nl_cache_mngr_get_fd(mngr));
    if (fd < 0) {
      throw std::system_error(errno, std::system_category(), "dup netlink socket");
    }
    descriptor.assign(fd);
  }

  void release() {
    boost::system::error_code ignored;
    descriptor.close(ignored);
    if (mngr != nullptr) {
      nl_cache_mngr_free(mngr);  // frees the caches it manages
      mngr = nullptr;
      links = nullptr;
      addrs = nullptr;
    }
  }

  std::vector<Link> snapshot() const {
    std::map<int, Link> by_index;
    nl_cache_foreach(
        links,
        [](nl_object* obj, void* arg) {
          auto* out = static_cast<std::map<int, Link>*>(arg);
          auto* l = reinterpret_cast<rtnl_link*>(obj);  // NOLINT: libnl's object model
          // The kernel also sends per-family link messages (AF_INET6 protinfo, AF_BRIDGE port
          // state); libnl caches those as separate objects that outlive RTM_DELLINK. Only the
          // AF_UNSPEC object is the link itself.
          if (rtnl_link_get_family(l) != AF_UNSPEC) {
            return;
          }
          Link link;
          link.index = rtnl_link_get_ifindex(l);
          if (const char* name = rtnl_link_get_name(l)) {
            link.name = name;
          }
          if (const char* kind = rtnl_link_get_type(l)) {
            link.kind = kind;
          }
          if (nl_addr* a = rtnl_link_get_addr(l); a != nullptr && nl_addr_get_len(a) == 6) {
            std::memcpy(link.mac.bytes.data(), nl_addr_get_binary_addr(a), 6);
          }
          const auto flags = rtnl_link_get_flags(l);
          link.up = (flags & IFF_UP) != 0;
          link.running = (flags & IFF_RUNNING) != 0;
          link.broadcast = (flags & IFF_BROADCAST) != 0;
          link.noarp = (flags & IFF_NOARP) != 0;
          link.loopback = (flags & IFF_LOOPBACK) != 0;
          link.master = rtnl_link_get_master(l);
          (*out)[link.index] = std::move(link);
        },
        &by_index);
    nl_cache_foreach(
        addrs,
        [](nl_object* obj, void* arg) {
          auto* out = static_cast<std::map<int, Link>*>(arg);
          auto* a = reinterpret_cast<rtnl_addr*>(obj);  // NOLINT: libnl's object model
          const auto it = out->find(rtnl_addr_get_ifindex(a));
          const auto ip = toIp(rtnl_addr_get_local(a));
          if (it == out->end() || !ip) {
            return;
          }
          it->second.addresses.push_back(
              {.ip = *ip, .prefix = static_cast<unsigned>(rtnl_addr_get_prefixlen(a))});
        },
        &by_index);
    std::vector<Link> out;
    out.reserve(by_index.size());
    for (auto& [index, link] : by_index) {
      std::sort(link.addresses.begin(), link.addresses.end(),
                [](const LinkAddress& x, const LinkAddress& y) {
                  return net::compareAddress(x.ip, y.ip) < 0;
                });
      out.push_back(std::move(link));
    }
    return out;
  }

  // Re-reads both caches after the kernel dropped events for us (ENOBUFS).
  void resync() {
    ++resyncs;
    nl_sock* sk = nl_socket_alloc();
    if (sk == nullptr) {
      return;
    }
    if (nl_connect(sk, NETLINK_ROUTE) == 0) {
      for (nl_cache* c : {links, addrs}) {
        if (const int err = nl_cache_refill(sk, c); err < 0) {
          logger->warn("netlink resync failed: {}", nl_geterror(err));
        }
      }
    }
    nl_socket_free(sk);
    dirty = true;
  }

  void emitIfChanged() {
    auto now = snapshot();
    if (now == last) {
      return;
    }
    last = std::move(now);
    if (callback) {
      callback(last);
    }
  }

  void wait() {
    descriptor.async_wait(boost::asio::posix::descriptor_base::wait_read,
                          [weak = weak_from_this()](const boost::system::error_code& ec) {
                            const auto self = weak.lock();
                            if (!self || ec || self->stopped) {
                              return;
                            }
                            self->onReadable();
                          });
  }

  void onReadable() {
    ++batches;
    if (const int err = nl_cache_mngr_data_ready(mngr); err < 0) {
      logger->warn("netlink events lost ({}); re-reading interfaces", nl_geterror(err));
      resync();
    }
    if (dirty) {
      dirty = false;
      emitIfChanged();
    }
    if (!stopped) {
      wait();
    }
  }

  boost::asio::posix::stream_descriptor descriptor;
  std::shared_ptr<spdlog::logger> logger;
  nl_cache_mngr* mngr = nullptr;
  nl_cache* links = nullptr;
  nl_cache* addrs = nullptr;
  Callback callback;
  std::vector<Link> last;
  bool dirty = false;
  bool stopped = false;
  std::uint64_t batches = 0;
  std::uint64_t resyncs = 0;
};

LibnlNetlink::LibnlNetlink(boost::asio::any_io_executor ex, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_shared<Impl>(ex, std::move(logger))) {}

LibnlNetlink::~LibnlNetlink() { stop(); }

void LibnlNetlink::start(Callback on_change) {
  impl_->callback = std::move(on_change);
  impl_->open();
  impl_->last = impl_->snapshot();
  impl_->callback(impl_->last);
  impl_->wait();
}

void LibnlNetlink::stop() {
  if (impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  impl_->callback = nullptr;
  impl_->release();
}

std::uint64_t LibnlNetlink::batches() const noexcept { return impl_->batches; }
std::uint64_t LibnlNetlink::resyncs() const noexcept { return impl_->resyncs; }

}  // namespace l1net::speaker
