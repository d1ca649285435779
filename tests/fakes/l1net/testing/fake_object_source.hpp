// A hand-driven ObjectSource: tests push snapshots, the consumer sees them as from a real source.
// initialSync() answers at once with sync_outcome, or, with deferSync(), when completeSync() is
// called (as an API source that is still listing). The synced snapshot (setSynced) is delivered
// first by start(), as the file and API sources do.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

#include "l1net/io/object_source.hpp"

namespace l1net::testing {

class FakeObjectSource final : public io::ObjectSource {
 public:
  void initialSync(SyncCallback done) override {
    ++syncs_;
    sync_done_ = std::move(done);
    if (!defer_) {
      completeSync();
    }
  }
  void start(Callback on_snapshot) override {
    on_snapshot_ = std::move(on_snapshot);
    started_ = true;
    ++starts_;
    if (synced_set_) {
      auto set = std::move(*synced_set_);
      synced_set_.reset();
      on_snapshot_(set);
    }
  }
  void stop() override {
    started_ = false;
    on_snapshot_ = nullptr;
    ++stops_;
  }
  [[nodiscard]] std::string healthProblem() const override { return problem_; }

  // The outcome initialSync reports, and the snapshot start() then delivers first.
  void setSynced(io::SyncOutcome outcome, std::optional<manifest::ManifestSet> set = {}) {
    outcome_ = std::move(outcome);
    synced_set_ = std::move(set);
  }
  void deferSync() { defer_ = true; }
  // Answers a pending initialSync; returns whether one was pending.
  bool completeSync() {
    if (!sync_done_) {
      return false;
    }
    auto done = std::move(sync_done_);
    sync_done_ = nullptr;
    auto outcome = outcome_;
    if (outcome.ok && synced_set_) {
      outcome.snapshot = &*synced_set_;
    }
    done(outcome);
    return true;
  }
  void setHealthProblem(std::string p) { problem_ = std::move(p); }

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
  [[nodiscard]] std::size_t syncs() const noexcept { return syncs_; }
  [[nodiscard]] std::size_t stops() const noexcept { return stops_; }

 private:
  Callback on_snapshot_;
  SyncCallback sync_done_;
  io::SyncOutcome outcome_;
  std::optional<manifest::ManifestSet> synced_set_;
  std::string problem_;
  bool defer_ = false;
  bool started_ = false;
  std::size_t starts_ = 0;
  std::size_t syncs_ = 0;
  std::size_t stops_ = 0;
};

}  // namespace l1net::testing
