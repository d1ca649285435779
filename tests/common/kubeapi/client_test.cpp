// ApiClient against the fixture: Status errors, token rotation and the one 401 retry.
#include "l1net/kubeapi/client.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_apiserver.hpp"
#include "l1net/testing/run_coro.hpp"
#include "l1net/testing/temp_dir.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
namespace kubeapi = l1net::kubeapi;
using l1net::testing::FakeApiServer;
using namespace std::chrono_literals;

namespace {

kubeapi::ApiResponse call(asio::io_context& ioc, kubeapi::ApiClient& c, std::string method,
                          std::string target, json::value body = nullptr) {
  auto r = l1net::testing::runCoro(ioc, c.call(std::move(method), std::move(target), body), 5s);
  REQUIRE(r.has_value());
  return *r;
}

void writeToken(const std::filesystem::path& p, const std::string& t,
                std::optional<std::filesystem::file_time_type> mtime = std::nullopt) {
  std::ofstream(p, std::ios::trunc) << t << "\n";
  if (mtime) {
    std::filesystem::last_write_time(p, *mtime);
  }
}

}  // namespace

TEST_CASE("resourcePath") {
  CHECK(kubeapi::resourcePath("", "v1", "services", "") == "/api/v1/services");
  CHECK(kubeapi::resourcePath("", "v1", "services", "shop", "web") ==
        "/api/v1/namespaces/shop/services/web");
  CHECK(kubeapi::resourcePath("coordination.k8s.io", "v1", "leases", "l1net-system",
                              "l1net-controller") ==
        "/apis/coordination.k8s.io/v1/namespaces/l1net-system/leases/l1net-controller");
  CHECK(kubeapi::resourcePath("", "v1", "nodes", "", "a b") == "/api/v1/nodes/a%20b");
}

TEST_CASE("loadClusterConfig: a kubeconfig file, or an error naming it") {
  l1net::testing::TempDir dir;
  const auto good = dir.path() / "kubeconfig";
  std::ofstream(good) << R"(apiVersion: v1
kind: Config
current-context: c
clusters: [{name: k, cluster: {server: "http://127.0.0.1:6443"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
users: [{name: u, user: {token: abc}}]
)";
  const auto bad = dir.path() / "bad";
  std::ofstream(bad) << "current-context: missing\n";
  struct Case {
    std::string path;
    std::string want_host;   // "" = an error is expected
    std::string want_error;  // a part of the message
  };
  const Case cases[] = {
      {good.string(), "127.0.0.1", ""},
      {(dir.path() / "absent").string(), "", "absent: cannot be read"},
      {bad.string(), "", bad.string()},
  };
  for (const auto& c : cases) {
    CAPTURE(c.path);
    const auto r = kubeapi::loadClusterConfig(c.path);
    if (c.want_host.empty()) {
      REQUIRE(std::holds_alternative<l1net::kube::ConfigError>(r));
      CHECK(std::get<l1net::kube::ConfigError>(r).message.find(c.want_error) != std::string::npos);
    } else {
      REQUIRE(std::holds_alternative<l1net::kube::ClusterConfig>(r));
      CHECK(std::get<l1net::kube::ClusterConfig>(r).host == c.want_host);
      CHECK(std::get<l1net::kube::ClusterConfig>(r).scheme == "http");
    }
  }
}

TEST_CASE("ApiClient: answers and Status errors") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor());
  l1net::kube::ClusterConfig cfg;
  cfg.scheme = "http";
  cfg.host = "127.0.0.1";
  cfg.port = std::to_string(api.port());
  auto c = kubeapi::ApiClient::create(ioc.get_executor(), cfg).value();
  const auto created = call(ioc, *c, "POST", "/api/v1/namespaces/default/configmaps",
                            json::parse(R"({"metadata":{"name":"m"},"data":{"k":"v"}})"));
  CHECK(created.status == 201);
  CHECK(created.ok());
  CHECK(created.body.at("data").at("k") == "v");
  const auto missing = call(ioc, *c, "GET", "/api/v1/namespaces/default/configmaps/nope");
  CHECK(missing.status == 404);
  CHECK_FALSE(missing.ok());
  CHECK(missing.error.code == 404);
  CHECK(missing.error.reason == "NotFound");
  CHECK(missing.error.message == "configmaps \"nope\" not found");
  api.stop();
  auto down = l1net::testing::runCoro(ioc, c->call("GET", "/api/v1/nodes"), 5s);
  CHECK_FALSE(down.has_value());  // a transport error, not a status
}

TEST_CASE("ApiClient: a rotated token file is re-read, and a 401 is retried once") {
  asio::io_context ioc;
  FakeApiServer api(ioc.get_executor());
  l1net::testing::TempDir dir;
  const auto token = dir.path() / "token";
  writeToken(token, "t1");
  l1net::kube::ClusterConfig cfg;
  cfg.scheme = "http";
  cfg.host = "127.0.0.1";
  cfg.port = std::to_string(api.port());
  cfg.token_file = token.string();
  auto c = kubeapi::ApiClient::create(ioc.get_executor(), cfg).value();
  api.requireToken("t1");
  CHECK(call(ioc, *c, "GET", "/api/v1/nodes").status == 200);
  CHECK(c->stats().token_reads == 1);
  CHECK(call(ioc, *c, "GET", "/api/v1/nodes").status == 200);
  CHECK(c->stats().token_reads == 1);  // unchanged file: not re-read per request

  SUBCASE("rotation seen by the file's modification time: no 401 at all") {
    const auto before = std::filesystem::last_write_time(token);
    writeToken(token, "t2", before + 2s);
    api.requireToken("t2");
    const auto reqs = api.requests();
    CHECK(call(ioc, *c, "GET", "/api/v1/nodes").status == 200);
    CHECK(api.requests() == reqs + 1);
    CHECK(c->stats().unauthorized_retries == 0);
    CHECK(c->stats().token_reads == 2);
  }
  SUBCASE("rotation not visible in the mtime: the 401 triggers one re-read and one retry") {
    const auto before = std::filesystem::last_write_time(token);
    writeToken(token, "t2", before);
    api.requireToken("t2");
    const auto reqs = api.requests();
    CHECK(call(ioc, *c, "GET", "/api/v1/nodes").status == 200);
    CHECK(api.requests() == reqs + 2);
    CHECK(c->stats().unauthorized_retries == 1);
  }
  SUBCASE("a token the server refuses: 401 after exactly one retry") {
    api.requireToken("t9");
    const auto reqs = api.requests();
    const auto r = call(ioc, *c, "GET", "/api/v1/nodes");
    CHECK(r.status == 401);
    CHECK(r.error.reason == "Unauthorized");
    CHECK(api.requests() == reqs + 2);
  }
  SUBCASE("watch streams retry a 401 once too") {
    const auto before = std::filesystem::last_write_time(token);
    writeToken(token, "t3", before);
    api.requireToken("t3");
    auto s = l1net::testing::runCoro(ioc, c->stream("/api/v1/nodes?watch=1&resourceVersion=0"), 5s);
    REQUIRE(s.has_value());
    CHECK((*s)->status() == 200);
    CHECK(c->stats().unauthorized_retries == 1);
  }
}
