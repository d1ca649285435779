#include "l1net/speaker/announce_schedule.hpp"

#include <algorithm>
#include <utility>

namespace l1net::speaker {

AnnounceSchedule::AnnounceSchedule() : AnnounceSchedule(Config{}) {}

AnnounceSchedule::AnnounceSchedule(Config config) : config_(std::move(config)) {
  std::sort(config_.burst.begin(), config_.burst.end());
  if (config_.burst.empty()) {
    config_.burst.push_back(Duration::zero());  // a gain always announces at once
  }
}

void AnnounceSchedule::startBurst(Entry& e, TimePoint now) const {
  e.burst_start = now;
  e.next_round = 0;
  e.next = now + config_.burst.front();
}

void AnnounceSchedule::advance(Entry& e, TimePoint now) const {
  if (e.next_round < config_.burst.size()) {
    // Skip every burst round that is already due, so one call reports the address once.
    while (e.next_round < config_.burst.size() &&
           e.burst_start + config_.burst[e.next_round] <= now) {
      ++e.next_round;
    }
    if (e.next_round < config_.burst.size()) {
      e.next = e.burst_start + config_.burst[e.next_round];
      return;
    }
    if (config_.refresh <= Duration::zero()) {
      e.next.reset();
      return;
    }
    e.next = e.burst_start + config_.burst.back() + config_.refresh;
  } else if (config_.refresh > Duration::zero() && e.next) {
    e.next = *e.next + config_.refresh;
  }
  if (e.next && *e.next <= now) {
    e.next = now + config_.refresh;  // fell behind: no catch-up storm
  }
}

void AnnounceSchedule::gained(const net::IpAddress& ip, TimePoint now) {
  const auto [it, inserted] = entries_.try_emplace(ip);
  if (inserted) {
    startBurst(it->second, now);
  }
}

void AnnounceSchedule::lost(const net::IpAddress& ip) { entries_.erase(ip); }

bool AnnounceSchedule::triggerNow(const net::IpAddress& ip, TimePoint now) {
  const auto it = entries_.find(ip);
  if (it == entries_.end()) {
    return false;
  }
  startBurst(it->second, now);
  return true;
}

void AnnounceSchedule::triggerAll(TimePoint now) {
  for (auto& [ip, e] : entries_) {
    startBurst(e, now);
  }
}

std::vector<net::IpAddress> AnnounceSchedule::due(TimePoint now) {
  std::vector<net::IpAddress> out;
  for (auto& [ip, e] : entries_) {
    if (e.next && *e.next <= now) {
      out.push_back(ip);
      advance(e, now);
    }
  }
  return out;
}

std::optional<AnnounceSchedule::TimePoint> AnnounceSchedule::nextDeadline() const {
  std::optional<TimePoint> best;
  for (const auto& [ip, e] : entries_) {
    if (e.next && (!best || *e.next < *best)) {
      best = e.next;
    }
  }
  return best;
}

}  // namespace l1net::speaker
