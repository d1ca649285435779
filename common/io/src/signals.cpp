#include "l1net/io/signals.hpp"

#include <csignal>
#include <utility>

#include <boost/asio/signal_set.hpp>

namespace l1net::io {

struct StopSignal::Impl {
  explicit Impl(const boost::asio::any_io_executor& ex) : signals(ex, SIGINT, SIGTERM) {}
  boost::asio::signal_set signals;
  std::function<void(int)> on_stop;
  bool done = false;
};

StopSignal::StopSignal(boost::asio::any_io_executor ex, std::function<void(int)> on_stop)
    : impl_(std::make_shared<Impl>(ex)) {
  impl_->on_stop = std::move(on_stop);
  impl_->signals.async_wait(
      [weak = std::weak_ptr<Impl>(impl_)](const boost::system::error_code& ec, int signo) {
        const auto self = weak.lock();
        if (ec || !self || self->done) {
          return;
        }
        self->done = true;
        boost::system::error_code ignored;
        self->signals.clear(ignored);  // back to default dispositions
        if (self->on_stop) {
          auto cb = std::move(self->on_stop);
          cb(signo);
        }
      });
}

StopSignal::~StopSignal() { cancel(); }

StopSignal::StopSignal(StopSignal&&) noexcept = default;

StopSignal& StopSignal::operator=(StopSignal&& other) noexcept {
  if (this != &other) {
    cancel();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

void StopSignal::cancel() {
  if (!impl_ || impl_->done) {
    return;
  }
  impl_->done = true;
  boost::system::error_code ignored;
  impl_->signals.cancel(ignored);
  impl_->signals.clear(ignored);
}

StopSignal awaitStopSignal(boost::asio::any_io_executor ex, std::function<void(int)> on_stop) {
  return {std::move(ex), std::move(on_stop)};
}

}  // namespace l1net::io
