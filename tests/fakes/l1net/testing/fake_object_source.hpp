// A hand-driven ObjectSource: tests push snapshots, the consumer sees them as from a real source.
#pragma once

#include <cstddef>
#include <utility>

#include "l1net/io/object_source.hpp"

namespace l1net::testing {

class FakeObjectSource final : public io::ObjectSource {
 public:
  void start(Callback on_snapshot) override {
    on_snapshot_ = std::move(on_snapshot);
    started_ = true;
    ++starts_;
  }
  void stop() override {
    started_ = false;
    on_snapshot_ = nullptr;
  }

  // Delivers `set` synchronously when started; returns whether it was delivered.
  bool push(const manifest::ManifestSet& set) {
    if (!started_ || !on_snapshot_) {
      return false;
    }
    on_snapshot_(set);
    return true;
  }

  [[nodiscard]] bool started() const noexcept { return started_; }
  [[nodiscard]] std::size_t starts() const noexcept { return starts_; }

 private:
  Callback on_snapshot_;
  bool started_ = false;
  std::size_t starts_ = 0;
};

}  // namespace l1net::testing
