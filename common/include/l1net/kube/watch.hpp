// Watch streams: the chunked, newline-delimited JSON kube-apiserver sends for ?watch=1, parsed
// incrementally, and the metav1.Status objects it uses for errors. Pure: bytes are fed in (the
// HTTP client passes body chunks as they arrive), complete events come out.
//
// Contract: never throws on bad input; an event line larger than max_line_bytes, invalid JSON, or
// an event without a known type or object is an error naming the problem (the caller drops the
// connection and resumes from the last good resourceVersion, losing nothing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

namespace l1net::kube {

enum class EventType : std::uint8_t { kAdded, kModified, kDeleted, kBookmark, kError };

[[nodiscard]] std::string_view eventTypeName(EventType t) noexcept;

struct WatchEvent {
  EventType type = EventType::kAdded;
  boost::json::value object;
};

struct StreamError {
  std::string message;
};

// metav1.Status as the API server returns it (in error responses and ERROR watch events).
struct ApiStatus {
  int code = 0;         // HTTP status the Status stands for (410, 409, 403, ...)
  std::string reason;   // "Expired", "Conflict", "Forbidden", "AlreadyExists", ...
  std::string message;  // human text from the server
};

// A Status object from a JSON value; nullopt when v is not kind Status.
[[nodiscard]] std::optional<ApiStatus> parseStatus(const boost::json::value& v);
// Same, from a response body; when the body is no Status (a proxy's HTML page), code is the HTTP
// status and message the first 200 bytes of the body.
[[nodiscard]] ApiStatus statusFromBody(unsigned http_status, std::string_view body);

// One watch event from one line of the stream.
[[nodiscard]] std::variant<WatchEvent, StreamError> parseWatchEvent(std::string_view line);

// Splits fed bytes into lines and parses each into an event. Not thread-safe.
class WatchStreamParser {
 public:
  explicit WatchStreamParser(std::size_t max_line_bytes = 16U * 1024U * 1024U)
      : max_line_bytes_(max_line_bytes) {}

  // Appends the events completed by these bytes to out. After an error the parser stays failed
  // and feed() returns the same error without reading more.
  std::optional<StreamError> feed(std::string_view bytes, std::vector<WatchEvent>& out);
  // Bytes of an incomplete event held back (the stream ended mid-event when non-zero at EOF).
  [[nodiscard]] std::size_t pending() const noexcept { return buf_.size(); }

 private:
  std::size_t max_line_bytes_;
  std::string buf_;
  std::optional<StreamError> failed_;
};

}  // namespace l1net::kube
