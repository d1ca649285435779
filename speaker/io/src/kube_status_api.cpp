#include "l1net/speaker/io/kube_status_api.hpp"

namespace l1net::speaker {

boost::asio::awaitable<Result<ApiReply>> KubeStatusApi::call(std::string method, std::string target,
                                                             boost::json::value body,
                                                             std::string content_type) {
  auto r = co_await client_->call(std::move(method), std::move(target), std::move(body),
                                  content_type.empty() ? kubeapi::kJson : content_type);
  if (!r) {
    co_return r.error();
  }
  co_return ApiReply{r->status, std::move(r->body)};
}

}  // namespace l1net::speaker
