// Graceful shutdown on SIGINT / SIGTERM.
#pragma once

#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>

namespace l1net::io {

// Waits for SIGINT or SIGTERM on `ex` and calls on_stop(signal_number) once, on the executor's
// thread. After the first signal the handlers are removed, so a second Ctrl-C kills the process
// the default way. The wait keeps the io_context busy until a signal arrives or the returned
// handle is cancelled or destroyed; cancelling never calls on_stop.
class StopSignal {
 public:
  StopSignal(boost::asio::any_io_executor ex, std::function<void(int)> on_stop);
  ~StopSignal();
  StopSignal(StopSignal&&) noexcept;
  StopSignal& operator=(StopSignal&&) noexcept;
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  void cancel();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

[[nodiscard]] StopSignal awaitStopSignal(boost::asio::any_io_executor ex,
                                         std::function<void(int)> on_stop);

}  // namespace l1net::io
