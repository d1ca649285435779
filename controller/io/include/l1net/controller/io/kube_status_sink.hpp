// Kubernetes mode's StatusSink: results go to the API (the API is the state). Each publish plans
// the writes with the pure planStatusWrites (only what differs from what the API showed) and
// hands them to a StatusWriter: Service status merge patches on /status, the pool annotation,
// Events, IPAddressPool status counts. A failed write is forgotten by the plan and retried with
// backoff; a newer result simply re-plans. Only the leader writes: while not leading, results are
// kept and nothing is sent; on becoming leader the newest result is planned afresh.
// Not thread-safe: use from the executor's thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>

#include "l1net/controller/io/status_sink.hpp"
#include "l1net/controller/status_plan.hpp"

namespace l1net::controller {

// One finished API write. `error` names verb, resource and object when !ok ("PATCH services
// default/web/status: 403 Forbidden: ...").
struct WriteResult {
  bool ok = true;
  std::string error;
};

// The API writes KubeStatusSink needs; implemented over the Kubernetes client by the app (409 is
// re-read and retried there), by fakes in tests. Callbacks run on the executor thread, once each.
class StatusWriter {
 public:
  using Done = std::function<void(const WriteResult&)>;
  virtual ~StatusWriter();
  // Merge patch of /api/v1/namespaces/NS/services/NAME/status.
  virtual void patchServiceStatus(const std::string& ns, const std::string& name,
                                  boost::json::object patch, Done done) = 0;
  // Merge patch of /api/v1/namespaces/NS/services/NAME (the pool annotation).
  virtual void patchService(const std::string& ns, const std::string& name,
                            boost::json::object patch, Done done) = 0;
  // Merge patch of the /status of IPAddressPool NAME in NS.
  virtual void patchPoolStatus(const std::string& ns, const std::string& name,
                               boost::json::object patch, Done done) = 0;
  // Records a core/v1 Event on the Service (fire and forget; failures are the writer's to log).
  virtual void recordEvent(const EventWrite& event) = 0;
};

struct KubeStatusSinkOptions {
  std::string ns = "l1net-system";  // where the IPAddressPools live
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30'000};
  bool leading = true;  // false: wait for setLeading(true) before writing anything
};

class KubeStatusSink final : public StatusSink {
 public:
  KubeStatusSink(boost::asio::any_io_executor ex, StatusWriter& writer,
                 std::shared_ptr<spdlog::logger> logger, KubeStatusSinkOptions opts = {},
                 metrics::Registry* registry = nullptr);
  ~KubeStatusSink() override;

  // Nothing: the Services' own status and annotation (in the snapshot) are the state.
  [[nodiscard]] std::optional<std::vector<manifest::Service>> previous() override;
  void publish(const ReconcileResult& result, const manifest::ManifestSet& observed) override;
  [[nodiscard]] bool readsObservedServices() const override { return true; }
  [[nodiscard]] std::string healthProblem() const override;
  void stop() override;

  // Leader election: only the leader writes. Becoming leader re-plans the newest result from
  // scratch (another leader may have written meanwhile).
  void setLeading(bool leading);

  [[nodiscard]] std::uint64_t writes() const noexcept;    // writes sent
  [[nodiscard]] std::uint64_t failures() const noexcept;  // writes that failed
  [[nodiscard]] std::size_t inFlight() const noexcept;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace l1net::controller
