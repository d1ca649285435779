// What one interface's responder answers for: an immutable table of owned IPs -> per-IP counters,
// plus the interface's MAC and name.
//
// Contract:
//  - Immutable once built: the shell builds a new table on every change (recompute, MAC change,
//    stop) and publishes it whole (io/snapshot.hpp), so a responder running on another thread sees
//    either the old table or the new one, never a mix.
//  - The counters are shared between successive tables (an IP kept across a recompute keeps its
//    counts) and between the responder (requests, responses) and the announcer (gratuitous
//    frames): relaxed atomics, safe to bump from any thread; readers see a recent value.
//  - find() is a binary search over a sorted vector: no allocation, no lock on the packet path.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "l1net/net/address.hpp"

namespace l1net::speaker {

struct IpCounters {
  std::atomic<std::uint64_t> requests_received{0};  // requests that reached an owning interface
  std::atomic<std::uint64_t> responses_sent{0};
  std::atomic<std::uint64_t> gratuitous_sent{0};  // frames

  void bump(std::atomic<std::uint64_t>& c) noexcept { c.fetch_add(1, std::memory_order_relaxed); }
};

class ResponderTable {
 public:
  struct Entry {
    net::IpAddress ip;
    std::shared_ptr<IpCounters> counters;  // never null
  };

  ResponderTable() = default;
  // Sorts `entries` by IP; a repeated IP keeps its first entry.
  ResponderTable(net::MacAddress mac, std::string name, std::vector<Entry> entries);

  // The counters of an owned IP; nullptr when this interface does not answer for ip.
  [[nodiscard]] IpCounters* find(const net::IpAddress& ip) const noexcept;
  [[nodiscard]] bool owns(const net::IpAddress& ip) const noexcept { return find(ip) != nullptr; }
  [[nodiscard]] const net::MacAddress& mac() const noexcept { return mac_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  [[nodiscard]] const std::vector<Entry>& entries() const noexcept { return entries_; }

 private:
  net::MacAddress mac_;
  std::string name_;
  std::vector<Entry> entries_;  // sorted by ip, unique
};

}  // namespace l1net::speaker
