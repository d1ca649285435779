#include "l1net/error.hpp"

#include <string>

namespace l1net {
namespace {

class Category final : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "l1net"; }
  [[nodiscard]] std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::kTruncated:
        return "truncated input";
      case Errc::kUnsupported:
        return "unsupported";
      case Errc::kMalformed:
        return "malformed";
      case Errc::kBadChecksum:
        return "bad checksum";
      case Errc::kInvalidAddress:
        return "invalid IP address";
      case Errc::kInvalidCidr:
        return "invalid CIDR";
      case Errc::kInvalidRange:
        return "invalid address range";
      case Errc::kInvalidMac:
        return "invalid MAC address";
      case Errc::kFamilyMismatch:
        return "address family mismatch";
      case Errc::kUnknownPool:
        return "unknown pool";
      case Errc::kPoolExhausted:
        return "no available IPs";
      case Errc::kConflict:
        return "conflict";
      case Errc::kNotFound:
        return "not found";
      case Errc::kInvalidArgument:
        return "invalid argument";
    }
    return "unknown l1net error";
  }
};

}  // namespace

const std::error_category& l1netCategory() noexcept {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), l1netCategory()}; }

}  // namespace l1net
