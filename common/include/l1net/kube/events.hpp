// core/v1 Events as client-go's EventRecorder writes them, pure: the correlator decides whether
// an event is new (create it) or a repeat of one recorded within the window (bump its count and
// lastTimestamp with a merge patch), and builds the JSON. The shell (kubeapi::EventRecorder)
// sends the requests and reports back.
//
// As client-go: the Event is named "<object name>.<unix nanoseconds in hex>", lives in the
// involved object's namespace ("default" for cluster-scoped objects), carries involvedObject,
// reason, message, type (Normal/Warning), source.component (and host), firstTimestamp,
// lastTimestamp (metav1.Time) and count. Identical events (same object, type, reason, message,
// source) within `window` of the last one are one Event with a growing count.
// Not thread-safe. Time is passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include <boost/json/value.hpp>

namespace l1net::kube {

struct ObjectRef {
  std::string api_version;  // "v1", "metallb.io/v1beta1"
  std::string kind;         // "Service"
  std::string ns;           // "" for cluster-scoped objects
  std::string name;
  std::string uid;  // optional
};

enum class EventKind : std::uint8_t { kNormal, kWarning };

struct EventAction {
  enum class Kind : std::uint8_t { kCreate, kPatch };
  Kind kind = Kind::kCreate;
  std::string ns;           // the Event's namespace
  std::string name;         // kCreate: the new Event's name; kPatch: the Event to patch
  boost::json::value body;  // kCreate: the Event; kPatch: a merge patch (count, lastTimestamp)
  std::string key;          // correlation key, for onStored / onFailed
  std::chrono::system_clock::time_point at;  // the occurrence's time
};

class EventCorrelator {
 public:
  explicit EventCorrelator(std::string component, std::string host = "",
                           std::chrono::seconds window = std::chrono::minutes(10))
      : component_(std::move(component)), host_(std::move(host)), window_(window) {}

  // What to send for this occurrence at wall-clock time `now`.
  EventAction observe(const ObjectRef& obj, EventKind type, const std::string& reason,
                      const std::string& message, std::chrono::system_clock::time_point now);
  // The create/patch was stored: later repeats within the window patch this Event.
  void onStored(const EventAction& a);
  // The write failed (e.g. the Event expired: 404): forget it, the next repeat creates anew.
  void onFailed(const EventAction& a);

  [[nodiscard]] std::size_t tracked() const noexcept { return seen_.size(); }

 private:
  struct Seen {
    std::string ns;
    std::string name;
    std::int64_t count = 0;
    std::chrono::system_clock::time_point last;
  };
  std::string component_;
  std::string host_;
  std::chrono::seconds window_;
  std::map<std::string, Seen> seen_;
};

}  // namespace l1net::kube
