// A logger for code under test whose log lines the test does not look at.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

namespace l1net::testing {

// A logger that writes nowhere (null sink); not registered with spdlog.
inline std::shared_ptr<spdlog::logger> quietLogger(std::string name = "test") {
  return std::make_shared<spdlog::logger>(std::move(name),
                                          std::make_shared<spdlog::sinks::null_sink_mt>());
}

}  // namespace l1net::testing
