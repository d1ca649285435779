// One located problem found while loading or validating manifests. Plain value; no I/O.
#pragma once

#include <string>

#include "l1net/manifest/objects.hpp"

namespace l1net::manifest {

struct Diagnostic {
  SourceRef where;      // file as given by the user, 1-based line (0 = unknown)
  std::string object;   // e.g. IPAddressPool "lan"; empty when not about one object
  std::string field;    // e.g. spec.addresses[1]; empty when about the whole object
  std::string message;  // what is wrong

  // "pools.yaml:7: IPAddressPool \"lan\" spec.addresses[1]: <message>"; empty parts are left out
  // with their separators ("pools.yaml: <message>" when neither line, object nor field is known).
  [[nodiscard]] std::string format() const;
};

}  // namespace l1net::manifest
