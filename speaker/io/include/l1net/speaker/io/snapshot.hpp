// Snapshot<T>: one writer publishes immutable values, readers on other threads take the current
// one without ever waiting for the writer's work (building the next value happens before
// publish(), outside any lock).
//
// Contract:
//  - publish() replaces the value in one atomic step (std::atomic<std::shared_ptr<const T>>);
//    load() returns the value published last, kept alive for as long as the caller holds it, so a
//    reader finishing a frame with the old table while the writer publishes a new one is safe.
//  - Values are const: never modify a published T (its mutable parts must be atomics).
//  - version() counts publishes (starts at 0), for tests and debug views.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace l1net::speaker {

template <class T>
class Snapshot {
 public:
  Snapshot() : value_(std::make_shared<const T>()) {}
  explicit Snapshot(std::shared_ptr<const T> initial) : value_(std::move(initial)) {}
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;

  void publish(std::shared_ptr<const T> next) noexcept {
    value_.store(std::move(next), std::memory_order_release);
    version_.fetch_add(1, std::memory_order_release);
  }
  [[nodiscard]] std::shared_ptr<const T> load() const noexcept {
    return value_.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint64_t version() const noexcept {
    return version_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<std::shared_ptr<const T>> value_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace l1net::speaker
