// Prometheus text exposition format 0.0.4, shared by every l1net daemon.
//
// Design note: a Registry owns Families (one per metric name); a Family owns series keyed by a
// label set. Daemons keep a Registry next to their state, update it from the decisions their core
// returns, and the I/O shell serves Registry::encode() on /metrics. Speakers must drop series for
// services they no longer announce (MetalLB #1972): use Family::remove() or Family::clear() and
// re-set the live ones.
//
// Contract:
//  - Pure: no I/O, no clocks, no logging. Output is deterministic: families sorted by name, series
//    sorted by label set (label names sorted, then values), no timestamps.
//  - NOT thread-safe. Daemons touch a Registry only from their single io_context thread.
//  - Family references returned by Registry stay valid for the Registry's lifetime.
//  - Names are programmer-chosen constants: an invalid metric or label name, registering one name
//    with two types, or a negative add() on a counter throws std::invalid_argument (broken
//    invariant). Label values are arbitrary text and are escaped on output.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace l1net::metrics {

// Label name -> value; the map keeps label names sorted, which fixes the output order.
using Labels = std::map<std::string, std::string>;

enum class Type { kCounter, kGauge };

class Family {
 public:
  Family(std::string name, std::string help, Type type);

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::string& help() const noexcept { return help_; }
  [[nodiscard]] Type type() const noexcept { return type_; }

  // Sets the series to v, creating it. Allowed on counters too, to mirror a counter kept
  // elsewhere (e.g. a stats struct); the caller keeps it monotonic.
  void set(const Labels& labels, double v);
  // Adds delta to the series, creating it at 0 first. Counters reject a negative delta.
  void add(const Labels& labels, double delta);
  void inc(const Labels& labels = {}) { add(labels, 1.0); }
  // The series' value, 0 when it does not exist.
  [[nodiscard]] double value(const Labels& labels = {}) const;
  [[nodiscard]] bool contains(const Labels& labels) const;
  // Drops one series; no-op when absent. Returns whether a series was removed.
  bool remove(const Labels& labels);
  // Drops every series; the family still prints its HELP and TYPE lines.
  void clear() noexcept { series_.clear(); }
  [[nodiscard]] std::size_t size() const noexcept { return series_.size(); }

  // Appends "# HELP", "# TYPE" and one line per series.
  void encodeTo(std::string& out) const;

 private:
  void checkLabels(const Labels& labels) const;

  std::string name_;
  std::string help_;
  Type type_;
  std::map<Labels, double> series_;
};

class Registry {
 public:
  // Returns the family with that name, creating it. Asking again for the same name and type
  // returns the same family (help text from the first call); a different type throws.
  Family& counter(std::string name, std::string help);
  Family& gauge(std::string name, std::string help);
  // nullptr when no family has that name.
  [[nodiscard]] Family* find(std::string_view name) noexcept;
  [[nodiscard]] const Family* find(std::string_view name) const noexcept;

  // The whole exposition, families sorted by name.
  [[nodiscard]] std::string encode() const;

 private:
  Family& family(std::string name, std::string help, Type type);

  std::map<std::string, std::unique_ptr<Family>, std::less<>> families_;
};

// Content-Type of encode()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Exposed for tests and for the rare hand-written line.
// "+Inf", "-Inf", "NaN"; integral values below 2^53 in plain decimal; otherwise the shortest text
// that reads back to the same double.
[[nodiscard]] std::string formatValue(double v);
// Label value escaping: backslash, double quote and newline.
[[nodiscard]] std::string escapeLabelValue(std::string_view v);
// HELP text escaping: backslash and newline.
[[nodiscard]] std::string escapeHelp(std::string_view v);
[[nodiscard]] bool isValidMetricName(std::string_view name) noexcept;
[[nodiscard]] bool isValidLabelName(std::string_view name) noexcept;

}  // namespace l1net::metrics
