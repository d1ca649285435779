// Kubernetes mode has no admission webhook: this ObjectSource wraps the API source and passes
// every snapshot through the pure ConfigGuard (config_guard.hpp) before the daemon sees it.
//  - Valid pools and advertisements: the snapshot goes through unchanged (pools with their CIDRs).
//  - Any invalid: the snapshot goes through with the last valid pools and advertisements in force
//    (Services and the rest are current), and on_invalid gets the invalid objects so the shell
//    can record Warning Events. healthProblem() names the first invalid object.
//  - Invalid before anything valid was seen: the snapshot is held back (nothing is reconciled, so
//    no IP held in a Service's status is cleared) until the configuration becomes valid.
// on_invalid runs for every snapshot (with an empty list once all is valid again); the consumer
// deduplicates. Not thread-safe: the executor's thread, as the wrapped source.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "l1net/controller/config_guard.hpp"
#include "l1net/io/object_source.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace l1net::controller {

class GuardedSource final : public io::ObjectSource {
 public:
  using OnInvalid = std::function<void(const std::vector<InvalidObject>& invalid)>;

  GuardedSource(io::ObjectSource& inner, std::shared_ptr<spdlog::logger> logger,
                OnInvalid on_invalid);
  ~GuardedSource() override;

  void initialSync(SyncCallback done) override;
  void start(Callback on_snapshot) override;
  void stop() override;
  [[nodiscard]] std::string healthProblem() const override;

  // The invalid objects of the last snapshot (empty when its configuration was valid).
  [[nodiscard]] const std::vector<InvalidObject>& invalid() const noexcept;
  // Snapshots held back because no valid configuration was seen yet.
  [[nodiscard]] std::uint64_t heldBack() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// "IPAddressPool l1net-system/bad: spec.addresses[0]: invalid CIDR \"x\"; ..." (one line).
[[nodiscard]] std::string describeInvalid(const InvalidObject& obj);

}  // namespace l1net::controller
