// REST paths of the Kubernetes API, pure: "/api/v1/namespaces/NS/services/NAME/status" and
// "/apis/GROUP/VERSION/[namespaces/NS/]RESOURCE[/NAME[/SUB]]" split into their parts, so the
// client's error messages and the API fixture's router read paths the same way. The query string
// is not part of the path. Kind and scope checks are the caller's.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace l1net::kube {

struct ApiPath {
  std::string group;  // "" for the core group (/api/v1)
  std::string version;
  std::string ns;        // "" when the path names no namespace
  std::string resource;  // plural: "services", "ipaddresspools"
  std::string name;      // "" for a collection
  std::string subresource;

  friend bool operator==(const ApiPath&, const ApiPath&) = default;
};

// nullopt when the path is not an API resource path: no leading "/api/V" or "/apis/G/V", no
// resource, more than name and subresource after the resource, or an empty segment.
[[nodiscard]] std::optional<ApiPath> parseApiPath(std::string_view path);

// "PATCH services default/web/status": verb, resource, and namespace/name/subresource, for logs
// and errors; the bare "METHOD path" when the path does not parse.
[[nodiscard]] std::string describeRequest(std::string_view method, std::string_view path);

}  // namespace l1net::kube
