// fake-apiserver: the FakeApiServer fixture as a process, for shell integration tests and
// benchmarks that run the real daemons against it. Listens on 127.0.0.1 (--port, default
// ephemeral), prints "PORT <n>" on stdout, serves until SIGTERM/SIGINT.
//
// Usage: fake-apiserver [--port N] [--objects FILE]... [--token T] [--bookmark-ms N]
//   --objects: YAML (multi-document, or kind: List) or JSON objects created at start, each as
//              an administrator's POST to the collection its apiVersion/kind/namespace name
//              (namespace "default" when a namespaced object has none); a status it carries
//              is then merge-patched through /status (a create drops status).
// Control over HTTP (no token needed), for tests driving the process with curl:
//   POST /__fixture/stop?seconds=N   outage: stops listening for N seconds (answers first)
//   POST /__fixture/compact          etcd compaction at the current resourceVersion
//   POST /__fixture/fail?n=N&status=S  the next N API requests answer S (default 500)
//   POST /__fixture/drop-watches     cuts every open watch in the middle of its next event
//   GET  /__fixture/state            {"resourceVersion":N,"openWatches":N,"requests":N,
//                                     "watchesServed":N,"running":B}
// The control endpoints are served on a second port printed as "CONTROL <n>", so that they stay
// reachable while the API port is stopped.
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <yaml-cpp/yaml.h>

#include "l1net/testing/fake_apiserver.hpp"
#include "l1net/testing/http_test_server.hpp"

namespace json = boost::json;

namespace {

json::value toJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json::object o;
      for (const auto& kv : n) {
        o[kv.first.as<std::string>()] = toJson(kv.second);
      }
      return o;
    }
    case YAML::NodeType::Sequence: {
      json::array a;
      for (const auto& v : n) {
        a.push_back(toJson(v));
      }
      return a;
    }
    case YAML::NodeType::Scalar: {
      const auto s = n.Scalar();
      if (n.Tag() == "!") {  // quoted: always a string
        return json::value(s);
      }
      if (s == "true" || s == "false") {
        return s == "true";
      }
      if (s == "null" || s == "~") {
        return nullptr;
      }
      try {
        std::size_t used = 0;
        const auto i = std::stoll(s, &used);
        if (used == s.size()) {
          return i;
        }
      } catch (const std::exception&) {
      }
      return json::value(s);
    }
    default:
      return nullptr;
  }
}

// The collection path of an object, from apiVersion, kind and namespace.
std::string collectionOf(const json::object& o) {
  static const std::map<std::string, std::pair<std::string, bool>> kPlural = {
      {"Service", {"services", true}},
      {"Pod", {"pods", true}},
      {"Node", {"nodes", false}},
      {"Namespace", {"namespaces", false}},
      {"ConfigMap", {"configmaps", true}},
      {"Event", {"events", true}},
      {"EndpointSlice", {"endpointslices", true}},
      {"Ingress", {"ingresses", true}},
      {"Lease", {"leases", true}},
      {"IPAddressPool", {"ipaddresspools", true}},
      {"L2Advertisement", {"l2advertisements", true}},
      {"ServiceL2Status", {"servicel2statuses", true}},
  };
  const auto* kind = o.if_contains("kind");
  const auto* api = o.if_contains("apiVersion");
  if (kind == nullptr || api == nullptr || !kind->is_string() || !api->is_string()) {
    return {};
  }
  const auto it = kPlural.find(std::string(kind->get_string()));
  if (it == kPlural.end()) {
    return {};
  }
  const std::string av(api->get_string());
  std::string path = av.find('/') == std::string::npos ? "/api/" + av : "/apis/" + av;
  if (it->second.second) {
    std::string ns = "default";
    if (const auto* md = o.if_contains("metadata"); md != nullptr && md->is_object()) {
      if (const auto* n = md->as_object().if_contains("namespace");
          n != nullptr && n->is_string()) {
        ns = std::string(n->get_string());
      }
    }
    path += "/namespaces/" + ns;
  }
  return path + "/" + it->second.first;
}

bool load(l1net::testing::FakeApiServer& api, const std::string& file) {
  std::vector<json::value> objects;
  try {
    for (const auto& doc : YAML::LoadAllFromFile(file)) {
      if (!doc.IsMap()) {
        continue;
      }
      auto v = toJson(doc);
      const auto& o = v.as_object();
      if (const auto* items = o.if_contains("items"); items != nullptr && items->is_array()) {
        for (const auto& item : items->as_array()) {
          objects.push_back(item);
        }
      } else {
        objects.push_back(std::move(v));
      }
    }
  } catch (const YAML::Exception& e) {
    std::cerr << "fake-apiserver: " << file << ": " << e.what() << "\n";
    return false;
  }
  for (std::size_t i = 0; i < objects.size(); ++i) {
    const auto coll = objects[i].is_object() ? collectionOf(objects[i].as_object()) : "";
    if (coll.empty()) {
      std::cerr << "fake-apiserver: " << file << ": object " << i << ": unknown apiVersion/kind\n";
      return false;
    }
    std::string out;
    if (const auto st = api.request("POST", coll, json::serialize(objects[i]), &out); st != 201) {
      std::cerr << "fake-apiserver: " << file << ": object " << i << ": " << st << " " << out
                << "\n";
      return false;
    }
    // A create drops status (as kube-apiserver does); a given status is then written through
    // /status, as the controller or kubelet that owns it would.
    const auto* status = objects[i].as_object().if_contains("status");
    if (status == nullptr || !status->is_object() || status->as_object().empty()) {
      continue;
    }
    const auto created = json::parse(out);  // the stored object names itself (generateName)
    json::object patch;
    patch["status"] = *status;
    const auto target =
        coll + "/" + std::string(created.at("metadata").at("name").as_string()) + "/status";
    if (const auto st = api.request("PATCH", target, json::serialize(patch), &out,
                                    "application/merge-patch+json");
        st != 200 && st != 404) {
      std::cerr << "fake-apiserver: " << file << ": object " << i << ": status: " << st << " "
                << out << "\n";
      return false;
    }
  }
  return true;
}

std::string param(const std::string& target, const std::string& key) {
  const auto q = target.find('?');
  if (q == std::string::npos) {
    return {};
  }
  std::istringstream in(target.substr(q + 1));
  std::string part;
  while (std::getline(in, part, '&')) {
    if (part.rfind(key + "=", 0) == 0) {
      return part.substr(key.size() + 1);
    }
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  l1net::testing::FakeApiServerOptions opts;
  std::vector<std::string> files;
  std::string token;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    try {
      if (k == "--port") {
        opts.port = static_cast<std::uint16_t>(std::stoul(v));
      } else if (k == "--objects") {
        files.push_back(v);
      } else if (k == "--token") {
        token = v;
      } else if (k == "--bookmark-ms") {
        opts.bookmark_interval = std::chrono::milliseconds(std::stoul(v));
      } else {
        std::cerr << "fake-apiserver: unknown option " << k << "\n";
        return 2;
      }
    } catch (const std::exception&) {
      std::cerr << "fake-apiserver: bad value for " << k << ": " << v << "\n";
      return 2;
    }
  }
  if (argc % 2 == 0) {
    std::cerr << "fake-apiserver: option " << argv[argc - 1] << " needs a value\n";
    return 2;
  }
  boost::asio::io_context ioc;
  l1net::testing::FakeApiServer api(ioc.get_executor(), opts);
  api.requireToken(token);
  for (const auto& f : files) {
    if (!load(api, f)) {
      return 1;
    }
  }
  boost::asio::steady_timer restart(ioc);
  l1net::testing::HttpTestServer control(
      ioc.get_executor(), [&](const l1net::testing::TestRequest& req) {
        l1net::testing::TestResponse res;
        res.headers = {{"Content-Type", "application/json"}};
        const auto path = req.target.substr(0, req.target.find('?'));
        if (path == "/__fixture/state") {
          json::object o;
          o["resourceVersion"] = api.resourceVersion();
          o["openWatches"] = api.openWatches();
          o["requests"] = api.requests();
          o["watchesServed"] = api.watchesServed();
          o["running"] = api.running();
          res.body = json::serialize(o);
        } else if (path == "/__fixture/stop") {
          const auto secs = param(req.target, "seconds");
          api.stop();
          restart.expires_after(std::chrono::seconds(secs.empty() ? 0 : std::stoul(secs)));
          restart.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) {
              api.start();
            }
          });
          res.body = "{}";
        } else if (path == "/__fixture/compact") {
          api.compact();
          res.body = "{}";
        } else if (path == "/__fixture/fail") {
          const auto n = param(req.target, "n");
          const auto s = param(req.target, "status");
          api.failNext(n.empty() ? 1 : std::stoi(n),
                       s.empty() ? 500U : static_cast<unsigned>(std::stoul(s)));
          res.body = "{}";
        } else if (path == "/__fixture/drop-watches") {
          api.dropWatchesMidEvent();
          res.body = "{}";
        } else {
          res.status = 404;
          res.body = "{}";
        }
        return res;
      });
  boost::asio::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) {
    api.stop();
    control.stop();
    ioc.stop();
  });
  std::cout << "PORT " << api.port() << "\nCONTROL " << control.port() << std::endl;
  ioc.run();
  return 0;
}
