// Snapshot<T>: one writer publishes immutable values, readers on other threads take the current
// one without ever waiting for the writer's work (building the next value happens before
// publish(), outside any lock).
//
// Contract:
//  - publish() replaces the value in one step; load() returns the value published last, kept
//    alive for as long as the caller holds it, so a reader finishing a frame with the old table
//    while the writer publishes a new one is safe. The old value is released outside the lock.
//  - The lock is a mutex held for a pointer swap or copy, not a spinlock: the reader is a
//    SCHED_FIFO thread (ResponderThread), and libstdc++'s std::atomic<std::shared_ptr> spins on a
//    lock bit. A realtime reader spinning on a lock whose holder it preempted on the same CPU
//    would wait until the kernel's realtime throttling let the holder run (up to ~1 s); a
//    blocked reader sleeps and the holder finishes at once.
//  - Values are const: never modify a published T (its mutable parts must be atomics).
//  - version() counts publishes (starts at 0), for tests and debug views.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace l1net::speaker {

template <class T>
class Snapshot {
 public:
  Snapshot() : value_(std::make_shared<const T>()) {}
  explicit Snapshot(std::shared_ptr<const T> initial) : value_(std::move(initial)) {}
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  void publish(std::shared_ptr<const T> next) noexcept {
    {
      const std::lock_guard lock(mutex_);
      value_.swap(next);
    }
    version_.fetch_add(1, std::memory_order_release);
  }  // `next`, now the old value, is released here
  [[nodiscard]] std::shared_ptr<const T> load() const noexcept {
    const std::lock_guard lock(mutex_);
    return value_;
  }
  [[nodiscard]] std::uint64_t version() const noexcept {
    return version_.load(std::memory_order_acquire);
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace l1net::speaker
