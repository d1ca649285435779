// l1net-dnsd's I/O shell: command line, objects (file mode: --manifests plus the controller's
// state file), providers, the loop (periodic plus event-driven, at least --min-event-interval
// apart), metrics and /healthz. app/main.cpp only calls these.
//
// Exit codes: 0 ok; 1 runtime failure (--once: an instance failed to read or a record failed);
// 2 invalid command line, configuration or manifests.
#pragma once

#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "l1net/dnsd/plan.hpp"
#include "l1net/io/logging.hpp"

namespace l1net::dnsd {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitInvalid = 2;

struct DnsdOptions {
  std::string mode = "file";
  std::string kubeconfig;  // kubernetes mode: "" = in-cluster service account
  std::string ns = "l1net-system";
  std::string ledger_configmap = "l1net-dnsd-ledger";
  std::vector<std::string> manifests;
  std::string controller_state;  // file mode: the controller's --state file (targets, announced)
  std::string state;             // --state FILE: the ownership ledger
  std::string provider = "pihole";
  std::vector<std::string> pihole_urls;
  std::string pihole_password;  // from --pihole-password-file or $PIHOLE_PASSWORD; never logged
  std::string pihole_ca_file;
  bool pihole_tls_skip_verify = false;
  std::string hosts_file;
  std::string dnsmasq_pid_file;
  Policy policy = Policy::kSync;
  std::vector<std::string> domain_filter;
  std::vector<std::string> exclude_domains;
  bool adopt = false;
  bool require_announced = false;  // default on in kubernetes mode
  std::string verify_server;
  std::chrono::seconds interval{60};
  std::chrono::seconds min_event_interval{5};
  bool once = false;
  bool dry_run = false;
  std::string metrics_addr = "127.0.0.1:7979";
  l1net::io::LogOptions log;
};

struct CommandLine {
  std::optional<DnsdOptions> options;
  int exit_code = kExitOk;
};

// Parses argv (and --config FILE, "key = value" lines with the long option names). Reads the
// password file. Usage errors go to `err`, --help and --version to `out`.
[[nodiscard]] CommandLine parseCommandLine(int argc, const char* const* argv, std::ostream& out,
                                           std::ostream& err);

// Runs one cycle (--once) or the daemon until SIGINT/SIGTERM; providers are shut down (Pi-hole
// sessions closed) before returning.
[[nodiscard]] int run(const DnsdOptions& opts);

}  // namespace l1net::dnsd
