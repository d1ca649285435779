#include "l1net/speaker/responder_table.hpp"

#include <algorithm>
#include <utility>

namespace l1net::speaker {

ResponderTable::ResponderTable(net::MacAddress mac, std::string name, std::vector<Entry> entries)
    : mac_(mac), name_(std::move(name)), entries_(std::move(entries)) {
  const auto by_ip = [](const Entry& a, const Entry& b) { return a.ip < b.ip; };
  std::stable_sort(entries_.begin(), entries_.end(), by_ip);
  entries_.erase(std::unique(entries_.begin(), entries_.end(),
                             [](const Entry& a, const Entry& b) { return a.ip == b.ip; }),
                 entries_.end());
  entries_.shrink_to_fit();
}

IpCounters* ResponderTable::find(const net::IpAddress& ip) const noexcept {
  const auto it =
      std::lower_bound(entries_.begin(), entries_.end(), ip,
                       [](const Entry& e, const net::IpAddress& v) { return e.ip < v; });
  return it != entries_.end() && it->ip == ip ? it->counters.get() : nullptr;
}

}  // namespace l1net::speaker
