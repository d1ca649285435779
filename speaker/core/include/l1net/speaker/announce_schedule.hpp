// When to send gratuitous frames for each announced address. Pure: time is passed in; no timers.
// Not thread-safe; owned by one strand.
//
// Schedule. When an address is gained (or triggerNow is called) a burst starts: rounds at
// start + 0, 250 ms, 500 ms, 1 s and 2 s. The first rounds move clients and switch FDBs within a
// second even if a frame is lost; the last ones catch hosts whose ARP entry was updated right
// before (Linux ignores non-gratuitous ARP within locktime, 1 s; our frames are gratuitous, so this
// is belt and braces). MetalLB sends ~5 rounds 1.1 s apart. After the burst, one round every
// `refresh` (default 60 s; 0 = never) keeps switch FDB entries from ageing out (MetalLB #2910).
// A caller that falls behind gets each due address once, not one round per missed slot: burst
// rounds already in the past are skipped, and a late refresh is re-based on `now`.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include "l1net/net/address.hpp"

namespace l1net::speaker {

class AnnounceSchedule {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;
  using Duration = Clock::duration;

  struct Config {
    std::vector<Duration> burst = {std::chrono::milliseconds(0), std::chrono::milliseconds(250),
                                   std::chrono::milliseconds(500), std::chrono::seconds(1),
                                   std::chrono::seconds(2)};  // offsets from the burst start
    Duration refresh = std::chrono::seconds(60);              // zero = no periodic refresh
  };

  AnnounceSchedule();
  explicit AnnounceSchedule(Config config);

  // Starts announcing ip with a burst at now. Idempotent: an address already held keeps its
  // schedule (callers may report the full owned set on every sync).
  void gained(const net::IpAddress& ip, TimePoint now);
  // Stops announcing ip; unknown addresses are ignored.
  void lost(const net::IpAddress& ip);
  // Restarts the burst for a held address now (speakerctl garp). False when ip is not held.
  bool triggerNow(const net::IpAddress& ip, TimePoint now);
  // Restarts the burst for every held address (e.g. the link came back up).
  void triggerAll(TimePoint now);

  // Addresses with a round due at or before now, in address order; advances each one.
  [[nodiscard]] std::vector<net::IpAddress> due(TimePoint now);
  // The earliest pending round; nullopt when nothing is scheduled.
  [[nodiscard]] std::optional<TimePoint> nextDeadline() const;

  [[nodiscard]] bool holds(const net::IpAddress& ip) const { return entries_.contains(ip); }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    TimePoint burst_start;
    std::size_t next_round = 0;     // index into burst; == burst.size() once in refresh mode
    std::optional<TimePoint> next;  // nullopt: burst over and refresh disabled
  };

  void startBurst(Entry& e, TimePoint now) const;
  void advance(Entry& e, TimePoint now) const;

  Config config_;
  std::map<net::IpAddress, Entry> entries_;
};

}  // namespace l1net::speaker
