// ResponderThread: an io_context on a thread of its own for the speaker's responders
// (Speaker::Options::responder), so answering ARP/NDP never waits for the main thread (manifest
// loads, recomputes, gratuitous rounds, the mesh, the control socket).
//
// Contract: starts the thread at construction; executor() is what the FrameSocketFactory and
// Speaker::Options::responder get. shutdown() lets the work already posted run (the Speaker's
// socket closes), then stops and joins; the destructor calls it. Destroy the Speaker's sockets
// (Speaker::stop()) before, or let shutdown() drop them with the io_context.
#pragma once

#include <chrono>
#include <optional>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace l1net::speaker {

class ResponderThread {
 public:
  ResponderThread();
  ~ResponderThread();
  ResponderThread(const ResponderThread&) = delete;
  ResponderThread& operator=(const ResponderThread&) = delete;

  [[nodiscard]] boost::asio::io_context::executor_type executor() noexcept {
    return io_.get_executor();
  }
  void shutdown();

 private:
  boost::asio::io_context io_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
};

}  // namespace l1net::speaker
