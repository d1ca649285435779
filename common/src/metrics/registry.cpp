#include "l1net/metrics/registry.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace l1net::metrics {
namespace {

constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

bool isAlpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) noexcept { return c >= '0' && c <= '9'; }

std::string_view typeName(Type t) noexcept { return t == Type::kCounter ? "counter" : "gauge"; }

void appendSeries(std::string& out, const std::string& name, const Labels& labels, double v) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    bool first = true;
    for (const auto& [k, val] : labels) {
      if (!first) {
        out += ',';
      }
      first = false;
      out += k;
      out += "=\"";
      out += escapeLabelValue(val);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += formatValue(v);
  out += '\n';
}

}  // namespace

std::string formatValue(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  std::array<char, 64> buf{};
  std::to_chars_result r{};
  if (std::trunc(v) == v && std::fabs(v) < kMaxExactInteger) {
    r = std::to_chars(buf.data(), buf.data() + buf.size(), static_cast<std::int64_t>(v));
  } else {
    r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  }
  if (r.ec != std::errc{}) {
    return "NaN";  // unreachable: 64 bytes hold any double
  }
  return {buf.data(), r.ptr};
}

std::string escapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

bool isValidMetricName(std::string_view name) noexcept {
  if (name.empty() || isDigit(name.front())) {
    return false;
  }
  for (const char c : name) {
    if (!isAlpha(c) && !isDigit(c) && c != '_' && c != ':') {
      return false;
    }
  }
  return true;
}

bool isValidLabelName(std::string_view name) noexcept {
  if (name.empty() || isDigit(name.front()) || name.starts_with("__")) {
    return false;  // "__" is reserved for Prometheus' own labels
  }
  for (const char c : name) {
    if (!isAlpha(c) && !isDigit(c) && c != '_') {
      return false;
    }
  }
  return true;
}

Family::Family(std::string name, std::string help, Type type)
    : name_(std::move(name)), help_(std::move(help)), type_(type) {
  if (!isValidMetricName(name_)) {
    throw std::invalid_argument("invalid metric name '" + name_ + "'");
  }
}

void Family::checkLabels(const Labels& labels) const {
  for (const auto& [k, v] : labels) {
    if (!isValidLabelName(k)) {
      throw std::invalid_argument("metric " + name_ + ": invalid label name '" + k + "'");
    }
  }
}

void Family::set(const Labels& labels, double v) {
  if (auto it = series_.find(labels); it != series_.end()) {
    it->second = v;
    return;
  }
  checkLabels(labels);
  series_.emplace(labels, v);
}

void Family::add(const Labels& labels, double delta) {
  if (type_ == Type::kCounter && delta < 0) {
    throw std::invalid_argument("counter " + name_ + ": negative increment");
  }
  if (auto it = series_.find(labels); it != series_.end()) {
    it->second += delta;
    return;
  }
  checkLabels(labels);
  series_.emplace(labels, delta);
}

double Family::value(const Labels& labels) const {
  const auto it = series_.find(labels);
  return it == series_.end() ? 0.0 : it->second;
}

bool Family::contains(const Labels& labels) const { return series_.contains(labels); }

bool Family::remove(const Labels& labels) { return series_.erase(labels) > 0; }

void Family::encodeTo(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  out += escapeHelp(help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += typeName(type_);
  out += '\n';
  for (const auto& [labels, v] : series_) {
    appendSeries(out, name_, labels, v);
  }
}

Family& Registry::counter(std::string name, std::string help) {
  return family(std::move(name), std::move(help), Type::kCounter);
}

Family& Registry::gauge(std::string name, std::string help) {
  return family(std::move(name), std::move(help), Type::kGauge);
}

Family& Registry::family(std::string name, std::string help, Type type) {
  if (auto it = families_.find(name); it != families_.end()) {
    if (it->second->type() != type) {
      throw std::invalid_argument("metric " + name + " already registered as " +
                                  std::string(typeName(it->second->type())));
    }
    return *it->second;
  }
  auto fam = std::make_unique<Family>(name, std::move(help), type);
  auto& ref = *fam;
  families_.emplace(std::move(name), std::move(fam));
  return ref;
}

Family* Registry::find(std::string_view name) noexcept {
  const auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second.get();
}

const Family* Registry::find(std::string_view name) const noexcept {
  const auto it = families_.find(name);
  return it == families_.end() ? nullptr : it->second.get();
}

std::string Registry::encode() const {
  std::string out;
  for (const auto& [name, fam] : families_) {
    fam->encodeTo(out);
  }
  return out;
}

}  // namespace l1net::metrics
