#include "l1net/controller/io/guarded_source.hpp"

#include <utility>

#include <spdlog/spdlog.h>

namespace l1net::controller {

std::string describeInvalid(const InvalidObject& obj) {
  std::string out = obj.kind + " " + obj.ns + "/" + obj.name + ": ";
  for (std::size_t i = 0; i < obj.problems.size(); ++i) {
    out += (i == 0 ? "" : "; ") + obj.problems[i];
  }
  return out;
}

struct GuardedSource::Impl {
  Impl(io::ObjectSource& src, std::shared_ptr<spdlog::logger> logger, OnInvalid cb)
      : inner(src), log(std::move(logger)), on_invalid(std::move(cb)) {
    if (!log) {
      log = spdlog::default_logger();
    }
  }

  void deliver(manifest::ManifestSet set) {
    auto guarded = guard.apply(std::move(set));
    if (guarded.invalid != invalid) {
      for (const auto& obj : guarded.invalid) {
        log->warn("rejected {}; {}", describeInvalid(obj),
                  guarded.have_config ? "the last valid configuration stays in force"
                                      : "no valid configuration yet: nothing is reconciled");
      }
      if (guarded.invalid.empty() && !invalid.empty()) {
        log->info("the configuration is valid again");
      }
    }
    invalid = guarded.invalid;
    if (on_invalid) {
      on_invalid(invalid);
    }
    if (!guarded.have_config) {
      ++held_back;
      return;
    }
    if (on_snapshot) {
      on_snapshot(std::move(guarded.set));
    }
  }

  io::ObjectSource& inner;
  std::shared_ptr<spdlog::logger> log;
  OnInvalid on_invalid;
  Callback on_snapshot;
  ConfigGuard guard;
  std::vector<InvalidObject> invalid;
  std::uint64_t held_back = 0;
};

GuardedSource::GuardedSource(io::ObjectSource& inner, std::shared_ptr<spdlog::logger> logger,
                             OnInvalid on_invalid)
    : impl_(std::make_shared<Impl>(inner, std::move(logger), std::move(on_invalid))) {}

GuardedSource::~GuardedSource() { stop(); }

void GuardedSource::initialSync(SyncCallback done) { impl_->inner.initialSync(std::move(done)); }

void GuardedSource::start(Callback on_snapshot) {
  impl_->on_snapshot = std::move(on_snapshot);
  std::weak_ptr<Impl> weak = impl_;
  impl_->inner.start([weak](manifest::ManifestSet set) {
    if (const auto self = weak.lock()) {
      self->deliver(std::move(set));
    }
  });
}

void GuardedSource::stop() {
  impl_->inner.stop();
  impl_->on_snapshot = nullptr;
}

std::string GuardedSource::healthProblem() const {
  auto problem = impl_->inner.healthProblem();
  if (!problem.empty() || impl_->invalid.empty()) {
    return problem;
  }
  std::string out = "rejected " + describeInvalid(impl_->invalid.front());
  if (impl_->invalid.size() > 1) {
    out += " (and " + std::to_string(impl_->invalid.size() - 1) + " more invalid objects)";
  }
  return out + "; the last valid configuration stays in force";
}

const std::vector<InvalidObject>& GuardedSource::invalid() const noexcept { return impl_->invalid; }

std::uint64_t GuardedSource::heldBack() const noexcept { return impl_->held_back; }

}  // namespace l1net::controller
