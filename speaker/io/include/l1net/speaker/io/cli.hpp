// The command line of l1net-speaker (the shared CLI contract: --mode file|kubernetes, --kubeconfig,
// --namespace, --node, --mesh-key-file, --ignore-exclude-lb, --metrics-addr, ...), parsed and
// checked once, so main only wires. Usage errors name the flag; main exits 2 on them.
//
// Kubernetes mode: the speaker pod's name and UID own the ServiceL2Status objects; the chart
// passes them from the downward API as env POD_NAME / POD_UID (--pod-name / --pod-uid override).
// --manifests is file mode only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "l1net/io/logging.hpp"
#include "l1net/manifest/objects.hpp"
#include "l1net/speaker/control.hpp"
#include "l1net/speaker/kube_peers.hpp"
#include "l1net/speaker/mesh_service.hpp"

namespace l1net::speaker {

enum class SpeakerMode : std::uint8_t { kFile, kKubernetes };

inline constexpr unsigned kMaxResponderPriority = 99;  // SCHED_FIFO's highest

struct SpeakerFlags {
  SpeakerMode mode = SpeakerMode::kFile;
  std::string node;
  std::vector<std::string> manifests;
  // Kubernetes mode
  std::string kubeconfig;  // empty = in-cluster service account
  std::string ns = "l1net-system";
  std::string speaker_selector_text = std::string(kDefaultSpeakerSelector);
  manifest::Labels speaker_selector;  // parsed from the text
  std::string pod_name;
  std::string pod_uid;
  // Both modes
  std::vector<std::string> excludes;
  bool no_default_excludes = false;
  bool all_interfaces = false;
  unsigned garp_refresh = 60;
  unsigned responder_priority = 10;  // SCHED_FIFO priority of the responder thread; 0 = normal
  std::string metrics_addr = "0.0.0.0:7473";
  std::string control_socket = kDefaultControlSocket;
  bool ignore_exclude_lb = false;
  std::string lb_class;
  io::LogOptions log;
  MeshCliOptions mesh;
};

struct ParsedFlags {
  enum class Action : std::uint8_t { kRun, kHelp, kUsageError };
  Action action = Action::kRun;
  std::string text;  // kHelp: the help; kUsageError: one line naming the flag, then the help
  SpeakerFlags flags;
};

// Reads environment variables (std::getenv in production, a map in tests).
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// args: argv without argv[0]'s special meaning (args[0] is the program name, as argv).
[[nodiscard]] ParsedFlags parseSpeakerFlags(std::span<const char* const> args,
                                            const EnvLookup& env);

}  // namespace l1net::speaker
