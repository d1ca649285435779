#include "l1net/kube/config.hpp"

#include <string>
#include <variant>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace kube = l1net::kube;

namespace {

const char* const kBase = R"(apiVersion: v1
kind: Config
current-context: admin@lab
clusters:
- name: other
  cluster: {server: "https://198.51.100.9:6443"}
- name: lab
  cluster:
    server: https://192.0.2.10:6443
    certificate-authority-data: Q0EtUEVN
contexts:
- name: admin@lab
  context: {cluster: lab, user: admin, namespace: l1net-system}
- name: ro@lab
  context: {cluster: lab, user: ro}
users:
- name: admin
  user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}
- name: ro
  user: {token: abc.def}
)";

}  // namespace

TEST_CASE("parseKubeconfig: contexts, clusters, users") {
  struct Case {
    const char* name;
    std::string text;
    std::string context;
    std::string want_error;  // empty = success
    std::string host, port, ca_pem, ca_file, cert, key, cert_file, token, token_file, ns;
    bool insecure = false;
  };
  const std::string dir_cfg = R"(current-context: c
clusters: [{name: k, cluster: {server: "https://[2001:db8::1]", certificate-authority: pki/ca.crt,
  insecure-skip-tls-verify: true}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {client-certificate: /abs/c.crt, client-key: k.key, tokenFile: t}}]
)";
  const std::vector<Case> cases = {
      {"current context with client cert data", kBase, "", "", "192.0.2.10", "6443", "CA-PEM", "",
       "CERT", "KEY", "", "", "", "l1net-system"},
      {"explicit context with bearer token", kBase, "ro@lab", "", "192.0.2.10", "6443", "CA-PEM",
       "", "", "", "", "abc.def", "", ""},
      {"files relative to the kubeconfig, IPv6, insecure only when set", dir_cfg, "", "",
       "2001:db8::1", "443", "", "/etc/kube/pki/ca.crt", "", "", "/abs/c.crt", "", "/etc/kube/t",
       "", true},
      {"unknown context", kBase, "nope", "/etc/kube/config: contexts: no context named \"nope\""},
      {"no current context", "clusters: []\n", "",
       "/etc/kube/config: current-context: not set and no context was asked for"},
      {"exec plugin rejected",
       "current-context: c\nclusters: [{name: k, cluster: {server: 'https://a'}}]\n"
       "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
       "users: [{name: u, user: {exec: {command: aws}}}]\n",
       "",
       "/etc/kube/config: users[0].user.exec: not supported by l1net; use a client certificate "
       "or a bearer token (e.g. a ServiceAccount token)"},
      {"bad server URL",
       "current-context: c\nclusters: [{name: k, cluster: {server: 'ftp://a'}}]\n"
       "contexts: [{name: c, context: {cluster: k}}]\n",
       "",
       "/etc/kube/config: clusters[0].cluster.server: not an http(s)://host[:port] URL: "
       "\"ftp://a\""},
      {"bad base64",
       "current-context: c\nclusters: [{name: k, cluster: {server: 'https://a', "
       "certificate-authority-data: '*'}}]\ncontexts: [{name: c, context: {cluster: k}}]\n",
       "", "/etc/kube/config: clusters[0].cluster.certificate-authority-data: not valid base64"},
      {"cert without key",
       "current-context: c\nclusters: [{name: k, cluster: {server: 'https://a'}}]\n"
       "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
       "users: [{name: u, user: {client-certificate-data: Q0VSVA==}}]\n",
       "", "/etc/kube/config: users[0].user: client-certificate given without client-key"},
      {"YAML syntax error", "a: [1,\n", "", "/etc/kube/config:2: end of sequence flow not found"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto r = kube::parseKubeconfig(c.text, "/etc/kube/config", c.context);
      if (!c.want_error.empty()) {
        REQUIRE(std::holds_alternative<kube::ConfigError>(r));
        CHECK(std::get<kube::ConfigError>(r).message == c.want_error);
        continue;
      }
      REQUIRE_MESSAGE(std::holds_alternative<kube::ClusterConfig>(r),
                      std::get<kube::ConfigError>(r).message);
      const auto& cfg = std::get<kube::ClusterConfig>(r);
      CHECK(cfg.host == c.host);
      CHECK(cfg.port == c.port);
      CHECK(cfg.ca_pem == c.ca_pem);
      CHECK(cfg.ca_file == c.ca_file);
      CHECK(cfg.client_cert_pem == c.cert);
      CHECK(cfg.client_key_pem == c.key);
      CHECK(cfg.client_cert_file == c.cert_file);
      CHECK(cfg.token == c.token);
      CHECK(cfg.token_file == c.token_file);
      CHECK(cfg.ns == c.ns);
      CHECK(cfg.insecure_skip_tls_verify == c.insecure);
    }
  }
}

TEST_CASE("inClusterConfig") {
  const auto ok = kube::inClusterConfig("192.0.2.1", "443", kube::kServiceAccountDir);
  REQUIRE(std::holds_alternative<kube::ClusterConfig>(ok));
  const auto& cfg = std::get<kube::ClusterConfig>(ok);
  CHECK(cfg.host == "192.0.2.1");
  CHECK(cfg.port == "443");
  CHECK(cfg.token_file == "/var/run/secrets/kubernetes.io/serviceaccount/token");
  CHECK(cfg.ca_file == "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");
  CHECK_FALSE(cfg.insecure_skip_tls_verify);
  const auto v6 = kube::inClusterConfig("2001:db8::1", "6443", "/sa");
  REQUIRE(std::holds_alternative<kube::ClusterConfig>(v6));
  CHECK(std::get<kube::ClusterConfig>(v6).host == "2001:db8::1");
  CHECK(std::get<kube::ClusterConfig>(v6).token_file == "/sa/token");
  const auto missing = kube::inClusterConfig(std::nullopt, "443", "/sa");
  REQUIRE(std::holds_alternative<kube::ConfigError>(missing));
  CHECK(std::get<kube::ConfigError>(missing).message.find("KUBERNETES_SERVICE_HOST") !=
        std::string::npos);
}

TEST_CASE("decodeBase64") {
  CHECK(kube::decodeBase64("aGVsbG8=") == std::optional<std::string>("hello"));
  CHECK(kube::decodeBase64("aGVs\nbG8") == std::optional<std::string>("hello"));
  CHECK(kube::decodeBase64("") == std::optional<std::string>(""));
  CHECK_FALSE(kube::decodeBase64("a").has_value());
  CHECK_FALSE(kube::decodeBase64("aGVsbG8=x").has_value());
  CHECK_FALSE(kube::decodeBase64("a-b_").has_value());
}

TEST_CASE("tokenNeedsReread follows client-go's one-minute cache and 401") {
  const auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  CHECK_FALSE(kube::tokenNeedsReread(t0 + std::chrono::seconds(59), t0, false));
  CHECK(kube::tokenNeedsReread(t0 + std::chrono::seconds(60), t0, false));
  CHECK(kube::tokenNeedsReread(t0 + std::chrono::seconds(1), t0, true));
}
