#include "l1net/dnsd/backoff.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace l1net::dnsd {

namespace {

bool parseUint(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 12) {
    return false;
  }
  const auto* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc{} && p == end && out >= 0;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// "Sun, 06 Nov 1994 08:49:37 GMT" -> seconds since the epoch.
std::optional<std::int64_t> parseImfFixdate(std::string_view v) {
  if (v.size() != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' ||
      v[19] != ':' || v[22] != ':' || v[25] != ' ' || v.substr(26) != "GMT") {
    return std::nullopt;
  }
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto mon = std::find(kMonths.begin(), kMonths.end(), v.substr(8, 3));
  std::int64_t day = 0;
  std::int64_t year = 0;
  std::int64_t hh = 0;
  std::int64_t mm = 0;
  std::int64_t ss = 0;
  if (mon == kMonths.end() || !parseUint(v.substr(5, 2), day) ||
      !parseUint(v.substr(12, 4), year) || !parseUint(v.substr(17, 2), hh) ||
      !parseUint(v.substr(20, 2), mm) || !parseUint(v.substr(23, 2), ss) || day < 1 || day > 31 ||
      hh > 23 || mm > 59 || ss > 60) {
    return std::nullopt;
  }
  const auto m = static_cast<unsigned>(mon - kMonths.begin() + 1);
  return daysFromCivil(year, m, static_cast<unsigned>(day)) * 86400 + hh * 3600 + mm * 60 + ss;
}

}  // namespace

std::chrono::milliseconds backoffDelay(const BackoffPolicy& p, unsigned attempt,
                                       double jitter) noexcept {
  const double base = static_cast<double>(p.base.count());
  const double cap = static_cast<double>(p.cap.count());
  const double grown = base * std::pow(std::max(p.factor, 1.0), attempt == 0 ? 0 : attempt - 1);
  const double full = std::min(cap, grown);
  const double j = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(full / 2 + full / 2 * j));
}

std::optional<std::chrono::seconds> parseRetryAfter(std::string_view v,
                                                    std::int64_t now_unix) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  std::int64_t secs = 0;
  if (parseUint(v, secs)) {
    return std::chrono::seconds(secs);
  }
  if (const auto at = parseImfFixdate(v)) {
    return std::chrono::seconds(std::max<std::int64_t>(0, *at - now_unix));
  }
  return std::nullopt;
}

std::chrono::milliseconds rateLimitWait(const BackoffPolicy& p, unsigned attempt, double jitter,
                                        std::optional<std::chrono::seconds> retry_after) noexcept {
  auto wait = backoffDelay(p, attempt, jitter);
  if (retry_after) {
    wait = std::max<std::chrono::milliseconds>(wait, std::min(*retry_after, kMaxRetryAfter));
  }
  return wait;
}

}  // namespace l1net::dnsd
