// Kubernetes mode: API objects (Boost.JSON values) through the same decoder as YAML manifests
// (doc_node.hpp explains the node interface). Same contract as decodeDocument in load.hpp:
// never throws on bad input, every problem is a Diagnostic naming the object and field path
// (JSON has no lines: line is 0 and `file` names the API request, e.g. "GET /api/v1/services").
// An object with an error is left out; a List / <Kind>List decodes its items.
#pragma once

#include <string>
#include <vector>

#include <boost/json/fwd.hpp>

#include "l1net/manifest/diagnostic.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::manifest {

void decodeJsonDocument(const boost::json::value& doc, const std::string& file, ManifestSet& set,
                        std::vector<Diagnostic>& errors, std::vector<Diagnostic>& warnings);

}  // namespace l1net::manifest
