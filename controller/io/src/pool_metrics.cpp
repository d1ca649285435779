#include "l1net/controller/io/pool_metrics.hpp"

#include <vector>

namespace l1net::controller {

PoolMetrics::PoolMetrics(metrics::Registry& registry)
    : total_(registry.gauge("metallb_allocator_addresses_total",
                            "Number of usable IP addresses, per pool")),
      total_v4_(registry.gauge("metallb_allocator_ipv4_addresses_total",
                               "Number of usable IPV4 addresses, per pool")),
      total_v6_(registry.gauge("metallb_allocator_ipv6_addresses_total",
                               "Number of usable IPV6 addresses, per pool")),
      in_use_(registry.gauge("metallb_allocator_addresses_in_use_total",
                             "Number of IP addresses in use, per pool")),
      in_use_v4_(registry.gauge("metallb_allocator_ipv4_addresses_in_use_total",
                                "Number of IPV4 addresses in use, per pool")),
      in_use_v6_(registry.gauge("metallb_allocator_ipv6_addresses_in_use_total",
                                "Number of IPV6 addresses in use, per pool")) {}

void PoolMetrics::update(const std::vector<PoolUsage>& pools) {
  for (metrics::Family* f : {&total_, &total_v4_, &total_v6_, &in_use_, &in_use_v4_, &in_use_v6_}) {
    f->clear();
  }
  for (const auto& p : pools) {
    const metrics::Labels labels{{"pool", p.name}};
    total_.set(labels, static_cast<double>(p.total()));
    total_v4_.set(labels, static_cast<double>(p.total_v4));
    total_v6_.set(labels, static_cast<double>(p.total_v6));
    in_use_.set(labels, static_cast<double>(p.inUse()));
    in_use_v4_.set(labels, static_cast<double>(p.in_use_v4));
    in_use_v6_.set(labels, static_cast<double>(p.in_use_v6));
  }
}

}  // namespace l1net::controller
