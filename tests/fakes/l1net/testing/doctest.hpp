// doctest with printers for the value types l1net tests compare.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include <boost/system/error_code.hpp>
#include <doctest/doctest.h>

namespace doctest {

template <>
struct StringMaker<boost::system::error_code> {
  static String convert(const boost::system::error_code& ec) { return String(ec.what().c_str()); }
};

template <>
struct StringMaker<std::error_code> {
  static String convert(const std::error_code& ec) {
    return String((std::string(ec.category().name()) + ":" + ec.message()).c_str());
  }
};

template <>
struct StringMaker<std::string_view> {
  static String convert(std::string_view s) { return String(std::string(s).c_str()); }
};

}  // namespace doctest
