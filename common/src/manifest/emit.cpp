// Services as YAML, keys in the alphabetical order kubectl prints them.
#include "l1net/manifest/emit.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace l1net::manifest {
namespace {

constexpr std::array<std::string_view, 26> kReservedWords = {
    "true", "True", "TRUE",  "yes",   "Yes",   "YES",  "y",    "Y",  "on",
    "On",   "ON",   "false", "False", "FALSE", "no",   "No",   "NO", "n",
    "N",    "off",  "Off",   "OFF",   "null",  "Null", "NULL", "~"};

bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

bool allOf(std::string_view s, bool (*pred)(char)) { return std::all_of(s.begin(), s.end(), pred); }
bool isDigitOrUnderscore(char c) { return isDigit(c) || c == '_'; }
bool isHexOrUnderscore(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool isBinaryOrUnderscore(char c) { return c == '0' || c == '1' || c == '_'; }
bool isDecimal(std::string_view s) {
  return !s.empty() && isDigit(s.front()) && allOf(s, isDigitOrUnderscore);
}

// [digits] '.' [digits] with at least one digit, or plain digits, then an optional exponent.
bool isFloat(std::string_view s) {
  const auto e = s.find_first_of("eE");
  auto mantissa = s.substr(0, e);
  if (e != std::string_view::npos) {
    auto exponent = s.substr(e + 1);
    if (!exponent.empty() && (exponent.front() == '+' || exponent.front() == '-')) {
      exponent.remove_prefix(1);
    }
    if (exponent.empty() || !allOf(exponent, isDigit)) {
      return false;
    }
  }
  const auto dot = mantissa.find('.');
  if (dot == std::string_view::npos) {
    return isDecimal(mantissa);
  }
  const auto whole = mantissa.substr(0, dot);
  const auto frac = mantissa.substr(dot + 1);
  return (whole.empty() || isDecimal(whole)) && allOf(frac, isDigitOrUnderscore) &&
         (!whole.empty() || (!frac.empty() && isDigit(frac.front())));
}

// 1:30, 190:20:30.15 (YAML 1.1 base 60).
bool isSexagesimal(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || s.front() == '0' || !isDecimal(s.substr(0, colon))) {
    return false;
  }
  auto rest = s.substr(colon + 1);
  const auto dot = rest.find('.');
  if (dot != std::string_view::npos) {
    if (!allOf(rest.substr(dot + 1), isDigitOrUnderscore)) {
      return false;
    }
    rest = rest.substr(0, dot);
  }
  while (true) {
    const auto next = rest.find(':');
    const auto part = rest.substr(0, next);
    if (part.empty() || part.size() > 2 || !allOf(part, isDigit) ||
        (part.size() == 2 && part[0] > '5')) {
      return false;
    }
    if (next == std::string_view::npos) {
      return true;
    }
    rest = rest.substr(next + 1);
  }
}

// Whether a plain scalar would be read back as a number by a YAML 1.1 reader (Go's yaml.v2):
// integer (decimal, octal, 0x, 0b), float (incl. .inf/.nan) or sexagesimal. No regex: values
// are user text of any length and libstdc++'s regex recurses per character.
bool looksNumeric(std::string_view s) {
  if (s == ".nan" || s == ".NaN" || s == ".NAN") {
    return true;
  }
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    s.remove_prefix(1);
  }
  if (s.empty()) {
    return false;
  }
  if (s == ".inf" || s == ".Inf" || s == ".INF") {
    return true;
  }
  if (s.size() > 2 && s[0] == '0' && s[1] == 'x') {
    return allOf(s.substr(2), isHexOrUnderscore);
  }
  if (s.size() > 2 && s[0] == '0' && s[1] == 'b') {
    return allOf(s.substr(2), isBinaryOrUnderscore);
  }
  return isFloat(s) || isSexagesimal(s);
}

void emitString(YAML::Emitter& out, const std::string& s) {
  const bool reserved =
      std::find(kReservedWords.begin(), kReservedWords.end(), s) != kReservedWords.end();
  if (s.empty() || reserved || looksNumeric(s)) {
    out << YAML::DoubleQuoted << s;
  } else {
    out << s;
  }
}

void emitPair(YAML::Emitter& out, const char* key, const std::string& value) {
  out << YAML::Key << key << YAML::Value;
  emitString(out, value);
}

void emitLabels(YAML::Emitter& out, const char* key, const Labels& labels) {
  if (labels.empty()) {
    return;
  }
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
  for (const auto& [k, v] : labels) {
    out << YAML::Key;
    emitString(out, k);
    out << YAML::Value;
    emitString(out, v);
  }
  out << YAML::EndMap;
}

const char* typeName(ServiceType t) {
  switch (t) {
    case ServiceType::kClusterIP:
      return "ClusterIP";
    case ServiceType::kNodePort:
      return "NodePort";
    case ServiceType::kLoadBalancer:
      return "LoadBalancer";
    case ServiceType::kExternalName:
      return "ExternalName";
  }
  return "ClusterIP";
}

const char* policyName(IpFamilyPolicy p) {
  switch (p) {
    case IpFamilyPolicy::kSingleStack:
      return "SingleStack";
    case IpFamilyPolicy::kPreferDualStack:
      return "PreferDualStack";
    case IpFamilyPolicy::kRequireDualStack:
      return "RequireDualStack";
    case IpFamilyPolicy::kUnset:
      break;
  }
  return "";
}

void emitMetadata(YAML::Emitter& out, const ObjectMeta& meta) {
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  emitLabels(out, "annotations", meta.annotations);
  emitLabels(out, "labels", meta.labels);
  emitPair(out, "name", meta.name);
  if (!meta.ns.empty()) {
    emitPair(out, "namespace", meta.ns);
  }
  if (!meta.resource_version.empty()) {
    emitPair(out, "resourceVersion", meta.resource_version);
  }
  if (!meta.uid.empty()) {
    emitPair(out, "uid", meta.uid);
  }
  out << YAML::EndMap;
}

void emitPorts(YAML::Emitter& out, const std::vector<ServicePort>& ports) {
  if (ports.empty()) {
    return;
  }
  out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : ports) {
    out << YAML::BeginMap;
    if (!p.name.empty()) {
      emitPair(out, "name", p.name);
    }
    if (p.node_port != 0) {
      out << YAML::Key << "nodePort" << YAML::Value << p.node_port;
    }
    out << YAML::Key << "port" << YAML::Value << p.port;
    emitPair(out, "protocol", p.protocol);
    if (!p.target_port.empty()) {
      out << YAML::Key << "targetPort" << YAML::Value;
      const bool numeric = std::all_of(p.target_port.begin(), p.target_port.end(), isDigit);
      if (numeric) {
        out << p.target_port;  // IntOrString holding an int: plain, as kubectl shows it
      } else {
        emitString(out, p.target_port);
      }
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void emitSpec(YAML::Emitter& out, const Service& svc) {
  out << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  if (!svc.cluster_ips.empty()) {
    emitPair(out, "clusterIP", svc.cluster_ips.front());
    out << YAML::Key << "clusterIPs" << YAML::Value << YAML::BeginSeq;
    for (const auto& ip : svc.cluster_ips) {
      emitString(out, ip);
    }
    out << YAML::EndSeq;
  }
  const bool external =
      svc.type == ServiceType::kLoadBalancer || svc.type == ServiceType::kNodePort;
  if (external || svc.external_traffic_policy != TrafficPolicy::kCluster) {
    emitPair(out, "externalTrafficPolicy",
             svc.external_traffic_policy == TrafficPolicy::kLocal ? "Local" : "Cluster");
  }
  if (!svc.ip_families.empty()) {
    out << YAML::Key << "ipFamilies" << YAML::Value << YAML::BeginSeq;
    for (const auto f : svc.ip_families) {
      out << std::string(net::familyName(f));
    }
    out << YAML::EndSeq;
  }
  if (svc.ip_family_policy != IpFamilyPolicy::kUnset) {
    emitPair(out, "ipFamilyPolicy", policyName(svc.ip_family_policy));
  }
  if (svc.load_balancer_class) {
    emitPair(out, "loadBalancerClass", *svc.load_balancer_class);
  }
  if (!svc.load_balancer_ip.empty()) {
    emitPair(out, "loadBalancerIP", svc.load_balancer_ip);
  }
  emitPorts(out, svc.ports);
  emitLabels(out, "selector", svc.selector);
  emitPair(out, "type", typeName(svc.type));
  out << YAML::EndMap;
}

void emitStatus(YAML::Emitter& out, const Service& svc) {
  out << YAML::Key << "status" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "loadBalancer" << YAML::Value;
  if (svc.ingress.empty()) {
    out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
  } else {
    out << YAML::BeginMap << YAML::Key << "ingress" << YAML::Value << YAML::BeginSeq;
    for (const auto& ing : svc.ingress) {
      out << YAML::BeginMap;
      if (!ing.hostname.empty()) {
        emitPair(out, "hostname", ing.hostname);
      }
      if (!ing.ip.empty()) {
        emitPair(out, "ip", ing.ip);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndMap;
}

}  // namespace

std::string emitServiceYaml(const Service& svc) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "apiVersion" << YAML::Value << "v1";
  out << YAML::Key << "kind" << YAML::Value << "Service";
  emitMetadata(out, svc.meta);
  emitSpec(out, svc);
  emitStatus(out, svc);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string emitServicesYaml(const std::vector<Service>& svcs) {
  std::string out;
  for (const auto& svc : svcs) {
    if (!out.empty()) {
      out += "---\n";
    }
    out += emitServiceYaml(svc);
  }
  return out;
}

}  // namespace l1net::manifest
