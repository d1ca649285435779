// MetalLB's admission-webhook rules (internal/config) over a whole ManifestSet. Pure.
//
// IPAddressPool: duplicate names, no addresses, invalid CIDR or range, range start after end, any
// overlap of addresses within or across pools, duplicate serviceAllocation namespaces, duplicate
// or invalid label selectors. L2Advertisement: a pool named twice, duplicate or invalid
// selectors, preferredNodeSelectors weight outside 1-100.
// A label selector is invalid when In/NotIn has no values, Exists/DoesNotExist has values, a
// value repeats within one expression, or one expression repeats.
#pragma once

#include <vector>

#include "l1net/manifest/diagnostic.hpp"
#include "l1net/manifest/objects.hpp"

namespace l1net::manifest {

// Checks every rule and returns one Diagnostic per problem (in load order). Fills
// PoolAddress::cidrs with the prefixes of each valid entry (MetalLB's summarisation) and clears
// it for invalid ones. Lines come from ObjectMeta::field_lines, falling back to the object's line.
[[nodiscard]] std::vector<Diagnostic> validate(ManifestSet& set);

}  // namespace l1net::manifest
