#include "l1net/kube/api_path.hpp"

#include <vector>

namespace l1net::kube {

namespace {

std::optional<std::vector<std::string_view>> splitSegments(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return std::nullopt;
  }
  std::vector<std::string_view> seg;
  std::size_t pos = 1;
  while (pos <= path.size()) {
    const auto slash = path.find('/', pos);
    const auto part = path.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
    if (part.empty()) {
      return std::nullopt;
    }
    seg.push_back(part);
    if (slash == std::string_view::npos) {
      break;
    }
    pos = slash + 1;
  }
  return seg;
}

}  // namespace

std::optional<ApiPath> parseApiPath(std::string_view path) {
  const auto seg = splitSegments(path);
  if (!seg) {
    return std::nullopt;
  }
  ApiPath out;
  std::size_t i = 0;
  if (seg->size() >= 2 && (*seg)[0] == "api") {
    out.version = (*seg)[1];
    i = 2;
  } else if (seg->size() >= 3 && (*seg)[0] == "apis") {
    out.group = (*seg)[1];
    out.version = (*seg)[2];
    i = 3;
  } else {
    return std::nullopt;
  }
  // "namespaces/NS/RESOURCE..." is namespaced; "namespaces[/NS[/status]]" is the Namespace kind.
  if (seg->size() >= i + 3 && (*seg)[i] == "namespaces") {
    out.ns = (*seg)[i + 1];
    i += 2;
  }
  const auto rest = seg->size() - i;
  if (rest == 0 || rest > 3) {
    return std::nullopt;
  }
  out.resource = (*seg)[i];
  if (rest >= 2) {
    out.name = (*seg)[i + 1];
  }
  if (rest == 3) {
    out.subresource = (*seg)[i + 2];
  }
  return out;
}

std::string describeRequest(std::string_view method, std::string_view path) {
  std::string out(method);
  const auto p = parseApiPath(path.substr(0, path.find('?')));
  if (!p) {
    return out.append(" ").append(path);
  }
  out.append(" ").append(p->resource);
  std::string object = p->ns;
  for (const auto* part : {&p->name, &p->subresource}) {
    if (!part->empty()) {
      object += (object.empty() ? "" : "/") + *part;
    }
  }
  return object.empty() ? out : out.append(" ").append(object);
}

}  // namespace l1net::kube
