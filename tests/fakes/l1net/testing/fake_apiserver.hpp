// A fake kube-apiserver for tests and benchmarks, behaving as a real one (1.20, built from
// Debian's source package) was observed to (/work/shared/reference/kubernetes-helm.md):
//  - one global, monotonically increasing resourceVersion over every resource;
//  - list (?resourceVersion= "0" | "" | N) returns a <Kind>List carrying the current
//    resourceVersion; a list at an N older than the compaction point is a plain HTTP 410 whose
//    body is an Expired Status;
//  - watch (?watch=1&resourceVersion=N) is a chunked NDJSON stream of ADDED/MODIFIED/DELETED
//    events after N ("0" or "": synthetic ADDED events for every object first); with
//    allowWatchBookmarks=true a BOOKMARK is sent every bookmark_interval, but only when the global
//    resourceVersion advanced past everything the stream already reported; the stream ends
//    cleanly after timeoutSeconds; a watch from before the compaction point is HTTP 200 followed
//    by one ERROR event carrying a 410 Expired Status, then the end of the stream;
//  - labelSelector (=, ==, !=, exists, !exists, in, notin) and fieldSelector (dotted path = or !=,
//    e.g. metadata.name=web, spec.nodeName=n1) filter lists and watches; on a filtered watch an
//    object entering the selection arrives as ADDED and one leaving it as DELETED, as the API's
//    watch cache does;
//  - POST creates (201; 409 AlreadyExists; metadata.generateName gets a 5-character suffix; 422
//    Invalid without a name), GET reads (404 NotFound), PUT replaces (409 Conflict when
//    metadata.resourceVersion is stale; unconditional without one), PATCH applies a merge patch
//    (application/merge-patch+json, also accepted for strategic-merge-patch+json) or a JSON patch
//    (application/json-patch+json; 422 Invalid when a `test` op fails; 409 when a merge patch
//    carries a stale metadata.resourceVersion), DELETE removes (200 with the object; 404; 409 on a
//    stale preconditions.resourceVersion). Writes that change nothing keep the resourceVersion and
//    send no event;
//  - for resources with a status subresource, status sent to the main resource is silently
//    ignored (the stored status stays) and PUT/PATCH on /status changes only status; create drops
//    the status sent (Services get status.loadBalancer {}, Pods status.phase Pending);
//  - Leases (coordination.k8s.io/v1): acquireTime / renewTime must be RFC 3339 MicroTime (400
//    otherwise) and are stored normalised as "YYYY-MM-DDThh:mm:ss.ffffffZ"; core/v1 Events must
//    name an involvedObject in their own namespace (422 otherwise);
//  - a forbidden verb+resource answers 403 with a Forbidden Status naming the service account;
//    with requireToken() a request without "Authorization: Bearer <token>" is a 401 Status;
//  - faults: 5xx for the next N requests, a delay before every response, watch streams cut in the
//    middle of their next event, stop()/start() on the same port (an outage).
// Requests through request() are an administrator's (kubectl): they skip faults, tokens and 403s
// but are otherwise handled as HTTP requests are, events included.
// Known resources: services, pods, nodes, namespaces, configmaps, events, endpointslices,
// ingresses, leases, ipaddresspools, l2advertisements, servicel2statuses (others are 404).
// Runs on the executor it is given (127.0.0.1, plain HTTP); not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/value.hpp>

namespace l1net::testing {

struct FakeApiServerOptions {
  std::chrono::milliseconds bookmark_interval{1000};
  std::uint16_t port = 0;  // 0 = an ephemeral port
  // "v1", or "v1beta1" to serve EndpointSlices as kube-apiserver 1.20 does (v1 is then 404).
  std::string endpoint_slice_version = "v1";
};

class FakeApiServer {
 public:
  explicit FakeApiServer(boost::asio::any_io_executor ex, FakeApiServerOptions opts = {});
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  [[nodiscard]] std::string url() const;  // "http://127.0.0.1:<port>"

  // An administrator's request: target as in the API ("/api/v1/namespaces/default/services",
  // query allowed). Returns the HTTP status; `out` gets the body. Watches are not served here.
  unsigned request(const std::string& method, const std::string& target, const std::string& body,
                   std::string* out = nullptr,
                   const std::string& content_type = "application/json");
  // The stored object collection/name (collection as in request()), or null.
  [[nodiscard]] boost::json::value get(const std::string& collection, const std::string& name);
  // Every stored object of a collection path (namespace-scoped or across namespaces).
  [[nodiscard]] boost::json::array list(const std::string& collection);

  [[nodiscard]] std::int64_t resourceVersion() const noexcept;
  // Forgets history up to the current resourceVersion (etcd compaction): older lists get 410,
  // older watches an ERROR 410 event.
  void compact();
  // 403 Forbidden for verb ("get", "list", "watch", "create", "update", "patch", "delete") on the
  // resource (plural, e.g. "services").
  void forbid(const std::string& verb, const std::string& resource);
  void allowAll();
  // Requests must carry "Authorization: Bearer <token>" ("" = no check).
  void requireToken(const std::string& token);
  // The next n HTTP requests (watches included) answer `status` with a Status object (reason
  // Expired for 410, TooManyRequests for 429, ServiceUnavailable for 503, else InternalError).
  void failNext(int n, unsigned status = 500);
  void setDelay(std::chrono::milliseconds d);
  // Called before each HTTP request is handled (after the delay): a test can change the store
  // there (as a competing writer would) to make the request stale. nullptr = none.
  void beforeHandle(std::function<void(const std::string& method, const std::string& target)> f);
  // Every open watch stream is cut in the middle of its next event (half a line, then closed).
  void dropWatchesMidEvent();
  // Ends every open watch stream cleanly at an event boundary (as timeoutSeconds elapsing).
  void endWatches();
  // Closes the listener and every connection, as a stopped apiserver (connections refused);
  // start() listens again on the same port. The store is kept.
  void stop();
  void start();
  [[nodiscard]] bool running() const noexcept;

  [[nodiscard]] std::size_t openWatches() const noexcept;
  [[nodiscard]] std::uint64_t requests() const noexcept;       // HTTP requests read
  [[nodiscard]] std::uint64_t watchesServed() const noexcept;  // watch streams opened
  [[nodiscard]] std::uint64_t listsServed() const noexcept;    // successful HTTP lists

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace l1net::testing
