#include "l1net/speaker/io/responder_thread.hpp"

#include <boost/asio/post.hpp>
#include <pthread.h>

namespace l1net::speaker {

ResponderThread::ResponderThread() : work_(io_.get_executor()) {
  thread_ = std::thread([this] { io_.run(); });
  (void)::pthread_setname_np(thread_.native_handle(), "responder");
}

ResponderThread::~ResponderThread() { shutdown(); }

void ResponderThread::shutdown() {
  if (!thread_.joinable()) {
    return;
  }
  // What was posted before (socket closes) runs first; then the responders still waiting on a
  // socket are dropped with the io_context's queue.
  boost::asio::post(io_, [this] { io_.stop(); });
  work_.reset();
  thread_.join();
}

}  // namespace l1net::speaker
