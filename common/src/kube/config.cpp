#include "l1net/kube/config.hpp"

#include <array>
#include <exception>
#include <filesystem>
#include <string>

#include <yaml-cpp/yaml.h>

namespace l1net::kube {
namespace {

using Out = std::variant<ClusterConfig, ConfigError>;

// The entry of a named list (clusters / users / contexts) with that name, and its index.
std::optional<std::pair<YAML::Node, std::size_t>> findNamed(const YAML::Node& root,
                                                            const char* list,
                                                            const std::string& name) {
  const auto items = root[list];
  if (!items || !items.IsSequence()) {
    return std::nullopt;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto item = items[i];
    if (item.IsMap() && item["name"] && item["name"].IsScalar() && item["name"].Scalar() == name) {
      return std::make_pair(item, i);
    }
  }
  return std::nullopt;
}

std::string scalarOr(const YAML::Node& map, const char* key) {
  const auto v = map[key];
  return v && v.IsScalar() ? v.Scalar() : std::string();
}

std::string resolve(const std::string& kubeconfig, const std::string& path) {
  if (path.empty() || path.front() == '/') {
    return path;
  }
  return (std::filesystem::path(kubeconfig).parent_path() / path).lexically_normal().string();
}

}  // namespace

std::optional<std::string> decodeBase64(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (const char c : in) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+') {
      v = 62;
    } else if (c == '/') {
      v = 63;
    } else if (c == '=') {
      padding = true;
      continue;
    } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      continue;
    } else {
      return std::nullopt;
    }
    if (padding) {
      return std::nullopt;  // data after '='
    }
    acc = (acc << 6U) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> static_cast<unsigned>(bits)) & 0xFFU));
    }
  }
  if (bits >= 6) {
    return std::nullopt;  // a lone trailing character carries no byte
  }
  return out;
}

bool parseServerUrl(std::string_view url, ClusterConfig& cfg) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return false;
  }
  const auto scheme = url.substr(0, sep);
  if (scheme != "https" && scheme != "http") {
    return false;
  }
  auto rest = url.substr(sep + 3);
  const auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  std::string path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!path.empty() && path.back() == '/') {
    path.pop_back();
  }
  if (authority.find('@') != std::string_view::npos || authority.empty()) {
    return false;
  }
  std::string_view host;
  std::string_view port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return false;
    }
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return false;
      }
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
    }
  }
  if (host.empty()) {
    return false;
  }
  if (port.empty()) {
    port = scheme == "https" ? "443" : "80";
  }
  for (const char c : port) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  if (port.size() > 5 || std::stoul(std::string(port)) > 65535) {
    return false;
  }
  cfg.scheme = std::string(scheme);
  cfg.host = std::string(host);
  cfg.port = std::string(port);
  cfg.base_path = path;
  return true;
}

std::variant<ClusterConfig, ConfigError> parseKubeconfig(std::string_view text,
                                                         const std::string& file,
                                                         const std::string& context) {
  auto fail = [&](const std::string& field, const std::string& msg) -> Out {
    return ConfigError{file + ": " + (field.empty() ? "" : field + ": ") + msg};
  };
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return ConfigError{file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
  try {
    if (!root.IsMap()) {
      return fail("", "not a kubeconfig (expected a mapping)");
    }
    const std::string ctx_name = context.empty() ? scalarOr(root, "current-context") : context;
    if (ctx_name.empty()) {
      return fail("current-context", "not set and no context was asked for");
    }
    const auto ctx = findNamed(root, "contexts", ctx_name);
    if (!ctx) {
      return fail("contexts", "no context named \"" + ctx_name + "\"");
    }
    const auto ctx_body = ctx->first["context"];
    const std::string ctx_field = "contexts[" + std::to_string(ctx->second) + "].context";
    if (!ctx_body || !ctx_body.IsMap()) {
      return fail(ctx_field, "missing");
    }
    ClusterConfig cfg;
    cfg.ns = scalarOr(ctx_body, "namespace");
    const auto cluster_name = scalarOr(ctx_body, "cluster");
    const auto cl = findNamed(root, "clusters", cluster_name);
    if (!cl) {
      return fail(ctx_field + ".cluster", "no cluster named \"" + cluster_name + "\"");
    }
    const std::string cf = "clusters[" + std::to_string(cl->second) + "].cluster";
    const auto c = cl->first["cluster"];
    if (!c || !c.IsMap()) {
      return fail(cf, "missing");
    }
    const auto server = scalarOr(c, "server");
    if (!parseServerUrl(server, cfg)) {
      return fail(cf + ".server", "not an http(s)://host[:port] URL: \"" + server + "\"");
    }
    if (const auto v = c["insecure-skip-tls-verify"]; v && v.IsScalar()) {
      cfg.insecure_skip_tls_verify = v.Scalar() == "true";
    }
    cfg.tls_server_name = scalarOr(c, "tls-server-name");
    if (const auto d = scalarOr(c, "certificate-authority-data"); !d.empty()) {
      auto pem = decodeBase64(d);
      if (!pem) {
        return fail(cf + ".certificate-authority-data", "not valid base64");
      }
      cfg.ca_pem = std::move(*pem);
    } else {
      cfg.ca_file = resolve(file, scalarOr(c, "certificate-authority"));
    }

    const auto user_name = scalarOr(ctx_body, "user");
    if (user_name.empty()) {
      return cfg;  // anonymous
    }
    const auto us = findNamed(root, "users", user_name);
    if (!us) {
      return fail(ctx_field + ".user", "no user named \"" + user_name + "\"");
    }
    const std::string uf = "users[" + std::to_string(us->second) + "].user";
    const auto u = us->first["user"];
    if (!u || !u.IsMap()) {
      return cfg;
    }
    constexpr std::array<const char*, 4> kUnsupported = {"exec", "auth-provider", "username",
                                                         "password"};
    for (const char* k : kUnsupported) {
      if (u[k]) {
        return fail(uf + "." + k,
                    "not supported by l1net; use a client certificate or a bearer token "
                    "(e.g. a ServiceAccount token)");
      }
    }
    struct Blob {
      const char* data_key;
      const char* file_key;
      std::string* pem;
      std::string* path;
    };
    const std::array<Blob, 2> blobs = {{
        {"client-certificate-data", "client-certificate", &cfg.client_cert_pem,
         &cfg.client_cert_file},
        {"client-key-data", "client-key", &cfg.client_key_pem, &cfg.client_key_file},
    }};
    for (const auto& b : blobs) {
      if (const auto d = scalarOr(u, b.data_key); !d.empty()) {
        auto pem = decodeBase64(d);
        if (!pem) {
          return fail(uf + "." + b.data_key, "not valid base64");
        }
        *b.pem = std::move(*pem);
      } else {
        *b.path = resolve(file, scalarOr(u, b.file_key));
      }
    }
    const bool has_cert = !cfg.client_cert_pem.empty() || !cfg.client_cert_file.empty();
    const bool has_key = !cfg.client_key_pem.empty() || !cfg.client_key_file.empty();
    if (has_cert != has_key) {
      return fail(uf, has_cert ? "client-certificate given without client-key"
                               : "client-key given without client-certificate");
    }
    cfg.token = scalarOr(u, "token");
    if (cfg.token.empty()) {
      cfg.token_file = resolve(file, scalarOr(u, "tokenFile"));
    }
    return cfg;
  } catch (const std::exception& e) {  // yaml-cpp on a shape not foreseen
    return fail("", std::string("cannot read: ") + e.what());
  }
}

std::variant<ClusterConfig, ConfigError> inClusterConfig(
    const std::optional<std::string>& service_host, const std::optional<std::string>& service_port,
    std::string_view sa_dir) {
  if (!service_host || !service_port || service_host->empty() || service_port->empty()) {
    return ConfigError{
        "in-cluster configuration needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
        "(not running in a pod? pass --kubeconfig)"};
  }
  ClusterConfig cfg;
  const bool v6 = service_host->find(':') != std::string::npos;
  const std::string url =
      "https://" + (v6 ? "[" + *service_host + "]" : *service_host) + ":" + *service_port;
  if (!parseServerUrl(url, cfg)) {
    return ConfigError{
        "in-cluster configuration: KUBERNETES_SERVICE_HOST/PORT do not form a URL: " + url};
  }
  const std::string dir(sa_dir);
  cfg.token_file = dir + "/token";
  cfg.ca_file = dir + "/ca.crt";
  return cfg;
}

}  // namespace l1net::kube
