// The controller's state file: the managed Services as `kubectl get svc -o yaml` shows them
// (spec, status.loadBalancer.ingress, metallb.io/ip-allocated-from-pool), so speakers and dnsd
// load it like any other manifest and a restarted controller keeps every IP.
#pragma once

#include <string>
#include <vector>

#include "l1net/error.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::controller {

struct StateRead {
  std::vector<manifest::Service> services;
  std::vector<std::string> errors;  // formatted diagnostics ("state.yaml:12: ..."); empty = ok
  [[nodiscard]] bool ok() const noexcept { return errors.empty(); }
};

// Reads the Services of `path`. A missing file is an empty, valid state (first start); anything
// else that does not load cleanly is an error, so a damaged file never silently moves IPs.
[[nodiscard]] StateRead readStateFile(const std::string& path);

// The file text for these services (multi-document YAML).
[[nodiscard]] std::string renderState(const std::vector<manifest::Service>& services);

// Writes the text atomically (temporary file + rename); errors are the failing syscall's.
[[nodiscard]] Result<void> writeStateFile(const std::string& path, const std::string& text);

}  // namespace l1net::controller
