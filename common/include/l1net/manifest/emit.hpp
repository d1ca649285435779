// Services as `kubectl get svc -o yaml` shows them: apiVersion, kind, metadata (name, namespace,
// labels, annotations, uid, resourceVersion), spec and status.loadBalancer.ingress. Pure.
// The output loads back through loadManifestText to an equal Service (source aside).
#pragma once

#include <string>
#include <vector>

#include "l1net/manifest/objects.hpp"

namespace l1net::manifest {

[[nodiscard]] std::string emitServiceYaml(const Service& svc);
// Multi-document: each Service as one document, separated by "---".
[[nodiscard]] std::string emitServicesYaml(const std::vector<Service>& svcs);

}  // namespace l1net::manifest
