// Text helpers shared by speaker.cpp (log lines) and speaker_views.cpp (JSON messages).
#pragma once

#include <string>
#include <vector>

namespace l1net::speaker::detail {

inline std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out;
}

}  // namespace l1net::speaker::detail
