// How to reach the API server: parsed from a kubeconfig (--kubeconfig) or from the in-cluster
// service-account environment. Pure: callers pass file contents and environment values in; the
// io layer reads files (the CA and client certificates named by path, the rotating token).
//
// Contract (as client-go's clientcmd and rest.InClusterConfig):
//  - kubeconfig: the context named by `current-context` (or the one asked for), its cluster and
//    user. Supported: server (https:// or http://, IPv6 in brackets, default port 443/80),
//    certificate-authority(-data), insecure-skip-tls-verify (only when the file sets it true),
//    tls-server-name, client-certificate(-data), client-key(-data), token, tokenFile.
//    Relative file paths are relative to the kubeconfig's directory. *-data fields are base64.
//    Unsupported auth (exec, auth-provider, username/password) is an error naming the field.
//  - in-cluster: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT, the service-account token
//    file (re-read as it rotates: see tokenNeedsReread) and CA file.
//  - TLS verification is on unless insecure_skip_tls_verify is set by the kubeconfig.
// Errors are one line naming the file and the field.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace l1net::kube {

struct ClusterConfig {
  std::string scheme = "https";  // "https" or "http" (http only when the kubeconfig says so)
  std::string host;              // name or address, IPv6 without brackets
  std::string port;              // "443"
  std::string base_path;         // path prefix of the server URL ("" normally)
  std::string tls_server_name;   // SNI / verification name; empty = host
  bool insecure_skip_tls_verify = false;
  std::string ca_pem;            // CA bundle text (from certificate-authority-data)
  std::string ca_file;           // or a path to it
  std::string client_cert_pem;   // client certificate text, or
  std::string client_cert_file;  // a path to it
  std::string client_key_pem;
  std::string client_key_file;
  std::string token;       // bearer token given inline
  std::string token_file;  // or a file re-read as it rotates
  std::string ns;          // the context's namespace ("" when unset)
};

struct ConfigError {
  std::string message;  // "kubeconfig.yaml: users[0].user.exec: exec credential plugins ..."
};

// Parses kubeconfig text. file names it in errors and anchors relative paths.
// context: "" = current-context.
[[nodiscard]] std::variant<ClusterConfig, ConfigError> parseKubeconfig(std::string_view text,
                                                                       const std::string& file,
                                                                       const std::string& context);

inline constexpr std::string_view kServiceAccountDir =
    "/var/run/secrets/kubernetes.io/serviceaccount";

// In-cluster configuration from the two environment values (nullopt = unset) and the
// service-account directory (kServiceAccountDir in production).
[[nodiscard]] std::variant<ClusterConfig, ConfigError> inClusterConfig(
    const std::optional<std::string>& service_host, const std::optional<std::string>& service_port,
    std::string_view sa_dir);

// Splits "https://host:port/prefix" into cfg's scheme/host/port/base_path; false when invalid.
[[nodiscard]] bool parseServerUrl(std::string_view url, ClusterConfig& cfg);

// Base64 (standard alphabet, padding optional, whitespace ignored); nullopt when invalid.
[[nodiscard]] std::optional<std::string> decodeBase64(std::string_view in);

// client-go re-reads a token file at most once a minute (cachingTokenSource) and on a 401.
inline constexpr std::chrono::seconds kTokenRereadPeriod{60};
[[nodiscard]] constexpr bool tokenNeedsReread(std::chrono::steady_clock::time_point now,
                                              std::chrono::steady_clock::time_point last_read,
                                              bool got_unauthorized) {
  return got_unauthorized || now - last_read >= kTokenRereadPeriod;
}

}  // namespace l1net::kube
