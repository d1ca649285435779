#include "l1net/speaker/io/responder_thread.hpp"

#include <system_error>

#include <boost/asio/post.hpp>
#include <pthread.h>
#include <sched.h>

namespace l1net::speaker {

ResponderThread::ResponderThread(int realtime_priority)
    : work_(io_.get_executor()), scheduling_("normal priority") {
  thread_ = std::thread([this] { io_.run(); });
  (void)::pthread_setname_np(thread_.native_handle(), "responder");
  if (realtime_priority <= 0) {
    return;
  }
  const sched_param param{.sched_priority = realtime_priority};
  const int err = ::pthread_setschedparam(thread_.native_handle(), SCHED_FIFO, &param);
  const std::string policy = "SCHED_FIFO priority " + std::to_string(realtime_priority);
  if (err == 0) {
    realtime_ = true;
    scheduling_ = policy;
  } else {
    scheduling_ =
        "normal priority (" + policy + " refused: " + std::system_category().message(err) + ")";
  }
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
