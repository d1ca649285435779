#include "l1net/speaker/api_outage.hpp"

namespace l1net::speaker {

ApiTransition ApiOutage::observe(std::string_view problem, TimePoint now) {
  if (problem.empty()) {
    if (!since_) {
      return ApiTransition::kNone;
    }
    last_ = std::chrono::duration_cast<std::chrono::seconds>(now - *since_);
    since_.reset();
    problem_.clear();
    return ApiTransition::kRestored;
  }
  problem_ = std::string(problem);
  if (since_) {
    return ApiTransition::kNone;
  }
  since_ = now;
  ++outages_;
  return ApiTransition::kLost;
}

std::chrono::seconds ApiOutage::downFor(TimePoint now) const {
  if (!since_) {
    return std::chrono::seconds{0};
  }
  return std::chrono::duration_cast<std::chrono::seconds>(now - *since_);
}

std::string speakerHealthProblem(std::string_view own_problem,
                                 std::string_view /*source_problem*/) {
  return std::string(own_problem);
}

}  // namespace l1net::speaker
