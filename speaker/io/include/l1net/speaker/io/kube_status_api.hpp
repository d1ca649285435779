// The L2StatusPublisher's seam (StatusApi) on the Kubernetes API client: every HTTP answer is a
// reply, transport failures are errors (kubeapi::ApiClient::call's contract).
#pragma once

#include <memory>
#include <string>

#include "l1net/kubeapi/client.hpp"
#include "l1net/speaker/io/l2_status_publisher.hpp"

namespace l1net::speaker {

class KubeStatusApi final : public StatusApi {
 public:
  explicit KubeStatusApi(std::shared_ptr<kubeapi::ApiClient> client) : client_(std::move(client)) {}
  boost::asio::awaitable<Result<ApiReply>> call(std::string method, std::string target,
                                                boost::json::value body,
                                                std::string content_type) override;

 private:
  std::shared_ptr<kubeapi::ApiClient> client_;
};

}  // namespace l1net::speaker
