#include "l1net/manifest/doc_node.hpp"

#include <string>

#include <boost/json/serialize.hpp>

namespace l1net::manifest {

std::string JsonNode::scalar() const {
  if (v_ == nullptr) {
    return std::string(key_);
  }
  switch (v_->kind()) {
    case boost::json::kind::string:
      return std::string(v_->get_string());
    case boost::json::kind::int64:
      return std::to_string(v_->get_int64());
    case boost::json::kind::uint64:
      return std::to_string(v_->get_uint64());
    case boost::json::kind::bool_:
      return v_->get_bool() ? "true" : "false";
    case boost::json::kind::double_:
      return boost::json::serialize(*v_);
    default:
      return {};
  }
}

}  // namespace l1net::manifest
