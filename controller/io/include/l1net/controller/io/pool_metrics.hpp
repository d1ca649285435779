// MetalLB's allocator gauges on the shared metrics registry:
// metallb_allocator_{addresses_total, addresses_in_use_total} and their ipv4_/ipv6_ variants,
// labelled {pool}. Totals are exact (MetalLB caps IPv6 CIDRs of 2^62+ addresses at 2^63-1).
// Not thread-safe: update from the daemon's io_context thread only.
#pragma once

#include <vector>

#include "l1net/controller/allocator.hpp"
#include "l1net/metrics/registry.hpp"

namespace l1net::controller {

class PoolMetrics {
 public:
  explicit PoolMetrics(metrics::Registry& registry);

  // Replaces every series: pools that disappeared lose theirs.
  void update(const std::vector<PoolUsage>& pools);

 private:
  metrics::Family& total_;
  metrics::Family& total_v4_;
  metrics::Family& total_v6_;
  metrics::Family& in_use_;
  metrics::Family& in_use_v4_;
  metrics::Family& in_use_v6_;
};

}  // namespace l1net::controller
