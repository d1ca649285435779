// The controller's StatusWriter over the Kubernetes API client: merge patches of Service /status,
// the pool annotation, IPAddressPool /status (l1net::kubeapi::patchStatus / patchAnnotations,
// which re-read and retry on 409) and core/v1 Events through an EventRecorder. Each write runs as
// its own coroutine on the executor; its outcome (error naming verb, resource and object, e.g. a
// 403) goes to the callback. The client and recorder must outlive every write.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "l1net/controller/io/kube_status_sink.hpp"

namespace l1net::kubeapi {
class ApiClient;
class EventRecorder;
}  // namespace l1net::kubeapi

namespace l1net::controller {

class ApiStatusWriter final : public StatusWriter {
 public:
  ApiStatusWriter(boost::asio::any_io_executor ex, kubeapi::ApiClient& client,
                  kubeapi::EventRecorder& events);

  void patchServiceStatus(const std::string& ns, const std::string& name, boost::json::object patch,
                          Done done) override;
  void patchService(const std::string& ns, const std::string& name, boost::json::object patch,
                    Done done) override;
  void patchPoolStatus(const std::string& ns, const std::string& name, boost::json::object patch,
                       Done done) override;
  void recordEvent(const EventWrite& event) override;

 private:
  void status(std::string path, boost::json::object patch, Done done);

  boost::asio::any_io_executor ex_;
  kubeapi::ApiClient& client_;
  kubeapi::EventRecorder& events_;
};

}  // namespace l1net::controller
