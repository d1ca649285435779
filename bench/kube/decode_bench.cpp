// Which route decodes API JSON fastest through the one manifest decoder? A ServiceList of 10,000
// LoadBalancer Services as kube-apiserver serialises it is decoded three ways:
//   json-node   Boost.JSON parse, then the decoder over JsonNode (the route l1net uses)
//   yaml-parse  yaml-cpp parses the JSON text (JSON is YAML), then the decoder over YamlNode
//   json-to-yaml Boost.JSON parse, convert to a YAML::Node tree, then the decoder over YamlNode
// Each route runs 3 times; the best time is printed. Prints figures, asserts nothing about time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "l1net/manifest/json.hpp"
#include "l1net/manifest/load.hpp"

namespace json = boost::json;
namespace manifest = l1net::manifest;

namespace {

constexpr int kServices = 10000;

std::string serviceList() {
  json::array items;
  for (int i = 0; i < kServices; ++i) {
    const auto n = std::to_string(i);
    items.push_back(json::value{
        {"metadata",
         {{"name", "svc-" + n},
          {"namespace", "ns-" + std::to_string(i % 50)},
          {"uid", "3f2a1c9e-0000-4000-8000-" + std::string(12 - n.size(), '0') + n},
          {"resourceVersion", std::to_string(1000 + i)},
          {"creationTimestamp", "2026-11-30T00:00:00Z"},
          {"labels", {{"app", "svc-" + n}, {"app.kubernetes.io/part-of", "bench"}}},
          {"annotations", {{"metallb.io/address-pool", "lan"}}},
          {"managedFields", json::array{{{"manager", "kubectl"}, {"operation", "Update"}}}}}},
        {"spec",
         {{"type", "LoadBalancer"},
          {"ports", json::array{{{"name", "http"},
                                 {"protocol", "TCP"},
                                 {"port", 80},
                                 {"targetPort", 8080},
                                 {"nodePort", 30000 + (i % 2000)}}}},
          {"selector", {{"app", "svc-" + n}}},
          {"clusterIP", "203.0.113." + std::to_string(i % 250)},
          {"clusterIPs", json::array{"203.0.113." + std::to_string(i % 250)}},
          {"externalTrafficPolicy", "Cluster"},
          {"ipFamilies", json::array{"IPv4"}},
          {"ipFamilyPolicy", "SingleStack"},
          {"sessionAffinity", "None"}}},
        {"status",
         {{"loadBalancer",
           {{"ingress", json::array{{{"ip", "192.0.2." + std::to_string(i % 250)}}}}}}}}});
  }
  return json::serialize(json::value{{"kind", "ServiceList"},
                                     {"apiVersion", "v1"},
                                     {"metadata", {{"resourceVersion", "99999"}}},
                                     {"items", std::move(items)}});
}

YAML::Node toYaml(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      YAML::Node m(YAML::NodeType::Map);
      for (const auto& kv : v.get_object()) {
        m[std::string(kv.key())] = toYaml(kv.value());
      }
      return m;
    }
    case json::kind::array: {
      YAML::Node s(YAML::NodeType::Sequence);
      for (const auto& item : v.get_array()) {
        s.push_back(toYaml(item));
      }
      return s;
    }
    case json::kind::string:
      return YAML::Node(std::string(v.get_string()));
    case json::kind::null:
      return YAML::Node(YAML::NodeType::Null);
    default:
      return YAML::Node(json::serialize(v));
  }
}

template <class F>
double bestMs(F&& f) {
  double best = 1e18;
  for (int run = 0; run < 3; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return best;
}

}  // namespace

int main() {
  const std::string text = serviceList();
  std::size_t decoded = 0;
  auto check = [&](const manifest::ManifestSet& set, const std::vector<manifest::Diagnostic>& e) {
    if (!e.empty() || set.services.size() != kServices) {
      std::fprintf(stderr, "decode failed: %zu errors, %zu services\n", e.size(),
                   set.services.size());
      std::exit(1);
    }
    decoded += set.services.size();
  };
  const double json_node = bestMs([&] {
    manifest::ManifestSet set;
    std::vector<manifest::Diagnostic> errors, warnings;
    manifest::decodeJsonDocument(json::parse(text), "GET /api/v1/services", set, errors, warnings);
    check(set, errors);
  });
  const double yaml_parse = bestMs([&] {
    manifest::ManifestSet set;
    std::vector<manifest::Diagnostic> errors, warnings;
    manifest::decodeDocument(YAML::Load(text), "GET /api/v1/services", set, errors, warnings);
    check(set, errors);
  });
  const double json_to_yaml = bestMs([&] {
    manifest::ManifestSet set;
    std::vector<manifest::Diagnostic> errors, warnings;
    manifest::decodeDocument(toYaml(json::parse(text)), "GET /api/v1/services", set, errors,
                             warnings);
    check(set, errors);
  });
  const double parse_only = bestMs([&] { (void)json::parse(text); });
  std::printf("ServiceList of %d Services, %zu bytes of JSON, best of 3 runs per route\n",
              kServices, text.size());
  std::printf("  json-node    (Boost.JSON + node interface): %8.1f ms (%.1f us/Service)\n",
              json_node, json_node * 1000 / kServices);
  std::printf("  yaml-parse   (yaml-cpp parses the JSON)   : %8.1f ms (%.1f us/Service)\n",
              yaml_parse, yaml_parse * 1000 / kServices);
  std::printf("  json-to-yaml (Boost.JSON -> YAML::Node)   : %8.1f ms (%.1f us/Service)\n",
              json_to_yaml, json_to_yaml * 1000 / kServices);
  std::printf("  Boost.JSON parse alone                    : %8.1f ms\n", parse_only);
  std::printf("BENCH name=decode_json_node_10k value=%.1f unit=ms\n", json_node);
  std::printf("BENCH name=decode_yaml_parse_10k value=%.1f unit=ms\n", yaml_parse);
  std::printf("BENCH name=decode_json_to_yaml_10k value=%.1f unit=ms\n", json_to_yaml);
  std::printf("BENCH name=json_parse_only_10k value=%.1f unit=ms\n", parse_only);
  return decoded == 9u * kServices ? 0 : 1;
}
