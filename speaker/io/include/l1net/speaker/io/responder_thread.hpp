// ResponderThread: an io_context on a thread of its own for the speaker's responders
// (Speaker::Options::responder), so answering ARP/NDP never waits for the main thread (manifest
// loads, recomputes, gratuitous rounds, the mesh, the control socket).
//
// Scheduling: with a realtime priority (1-99) the thread asks for SCHED_FIFO at that priority, so
// a frame that arrives while the main thread (or anything else at normal priority) runs on its CPU
// is answered at once instead of after that thread's time slice, up to a scheduler tick later. It
// needs CAP_SYS_NICE or an RLIMIT_RTPRIO of at least the priority; without either the thread runs
// at normal priority and scheduling() says why. 0: normal priority, nothing asked.
//
// Contract: starts the thread at construction; executor() is what the FrameSocketFactory and
// Speaker::Options::responder get. shutdown() lets the work already posted run (the Speaker's
// socket closes), then stops and joins; the destructor calls it. Destroy the Speaker's sockets
// (Speaker::stop()) before, or let shutdown() drop them with the io_context.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace l1net::speaker {

class ResponderThread {
 public:
  explicit ResponderThread(int realtime_priority = 0);
  ~ResponderThread();
  ResponderThread(const ResponderThread&) = delete;
  ResponderThread& operator=(const ResponderThread&) = delete;

  [[nodiscard]] boost::asio::io_context::executor_type executor() noexcept {
    return io_.get_executor();
  }
  void shutdown();

  [[nodiscard]] bool realtime() const noexcept { return realtime_; }
  // "SCHED_FIFO priority N", "normal priority", or "normal priority (SCHED_FIFO N refused: why)".
  [[nodiscard]] const std::string& scheduling() const noexcept { return scheduling_; }

 private:
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  bool realtime_ = false;
  std::string scheduling_;
};

}  // namespace l1net::speaker
