#include "l1net/controller/kube/api_status_writer.hpp"

#include <map>
#include <optional>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "l1net/kubeapi/client.hpp"
#include "l1net/kubeapi/writes.hpp"

namespace l1net::controller {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

std::string servicePath(const std::string& ns, const std::string& name) {
  return "/api/v1/namespaces/" + ns + "/services/" + name;
}

WriteResult toResult(const kubeapi::WriteOutcome& o) { return WriteResult{o.ok, o.error}; }

}  // namespace

ApiStatusWriter::ApiStatusWriter(asio::any_io_executor ex, kubeapi::ApiClient& client,
                                 kubeapi::EventRecorder& events)
    : ex_(std::move(ex)), client_(client), events_(events) {}

void ApiStatusWriter::status(std::string path, json::object patch, Done done) {
  json::value status = nullptr;
  if (auto* s = patch.if_contains("status")) {
    status = std::move(*s);
  }
  asio::co_spawn(
      ex_,
      [&client = client_, path = std::move(path), status = std::move(status),
       done = std::move(done)]() mutable -> asio::awaitable<void> {
        const auto outcome = co_await kubeapi::patchStatus(client, path, std::move(status));
        done(toResult(outcome));
      },
      asio::detached);
}

void ApiStatusWriter::patchServiceStatus(const std::string& ns, const std::string& name,
                                         json::object patch, Done done) {
  status(servicePath(ns, name), std::move(patch), std::move(done));
}

void ApiStatusWriter::patchPoolStatus(const std::string& ns, const std::string& name,
                                      json::object patch, Done done) {
  status("/apis/metallb.io/v1beta1/namespaces/" + ns + "/ipaddresspools/" + name, std::move(patch),
         std::move(done));
}

void ApiStatusWriter::patchService(const std::string& ns, const std::string& name,
                                   json::object patch, Done done) {
  // {"metadata":{"annotations":{k: v|null}}} -> the helper's change list.
  std::map<std::string, std::optional<std::string>> changes;
  if (const auto* meta = patch.if_contains("metadata"); meta != nullptr && meta->is_object()) {
    if (const auto* ann = meta->as_object().if_contains("annotations");
        ann != nullptr && ann->is_object()) {
      for (const auto& [k, v] : ann->as_object()) {
        changes[std::string(k)] =
            v.is_string() ? std::optional<std::string>(std::string(v.as_string())) : std::nullopt;
      }
    }
  }
  asio::co_spawn(
      ex_,
      [&client = client_, path = servicePath(ns, name), changes = std::move(changes),
       done = std::move(done)]() mutable -> asio::awaitable<void> {
        const auto outcome = co_await kubeapi::patchAnnotations(client, path, std::move(changes));
        done(toResult(outcome));
      },
      asio::detached);
}

void ApiStatusWriter::recordEvent(const EventWrite& e) {
  events_.record(
      kube::ObjectRef{
          .api_version = "v1", .kind = "Service", .ns = e.ns, .name = e.name, .uid = e.uid},
      e.type == EventType::kWarning ? kube::EventKind::kWarning : kube::EventKind::kNormal,
      e.reason, e.message);
}

}  // namespace l1net::controller
