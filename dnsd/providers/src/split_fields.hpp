// Whitespace splitting shared by the providers' parsers of "IP NAME..." entries. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace l1net::dnsd::detail {

// The fields of s separated by runs of spaces and tabs; no empty fields.
inline std::vector<std::string> splitWhitespace(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
      ++i;
    }
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t') {
      ++j;
    }
    if (j > i) {
      out.emplace_back(s.substr(i, j - i));
    }
    i = j;
  }
  return out;
}

}  // namespace l1net::dnsd::detail
