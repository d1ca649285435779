// The daemon loop on its seams (issue 9, "First, the seams"): a fake ObjectSource feeds snapshots,
// a fake StatusSink records what is published; the StateFileSink's retry runs over a failing
// write function.
#include "l1net/controller/io/controller_daemon.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "l1net/controller/io/controller_app.hpp"
#include "l1net/controller/io/state_file.hpp"
#include "l1net/controller/io/status_sink.hpp"
#include "l1net/manifest/load.hpp"
#include "l1net/metrics/registry.hpp"
#include "l1net/testing/doctest.hpp"
#include "l1net/testing/fake_object_source.hpp"
#include "l1net/testing/quiet_logger.hpp"
#include "l1net/testing/run_until.hpp"

namespace ctl = l1net::controller;
namespace io = l1net::io;
namespace manifest = l1net::manifest;
using l1net::testing::FakeObjectSource;
using l1net::testing::runUntil;
using namespace std::chrono_literals;

namespace {

const char* const kPool = R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: l1net-system}
spec:
  addresses: [198.51.100.10-198.51.100.30]
)";

std::string svc(const std::string& name, const std::string& ip = "") {
  std::string s = "---\napiVersion: v1\nkind: Service\nmetadata: {name: " + name +
                  ", namespace: default}\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n";
  if (!ip.empty()) {
    s += "status:\n  loadBalancer:\n    ingress: [{ip: " + ip + "}]\n";
  }
  return s;
}

manifest::ManifestSet set(const std::string& yaml) {
  auto r = manifest::loadManifestText(yaml, "t.yaml");
  REQUIRE(r.ok());
  return std::move(r.set);
}

std::vector<manifest::Service> services(const std::string& yaml) { return set(yaml).services; }

class FakeStatusSink final : public ctl::StatusSink {
 public:
  std::optional<std::vector<manifest::Service>> previous() override {
    ++previous_calls;
    return prev;
  }
  void publish(const ctl::ReconcileResult& result,
               const manifest::ManifestSet& /*observed*/) override {
    published.push_back(result);
  }
  [[nodiscard]] std::string healthProblem() const override { return problem; }
  void stop() override { ++stops; }

  std::optional<std::vector<manifest::Service>> prev = std::vector<manifest::Service>{};
  std::vector<ctl::ReconcileResult> published;
  std::string problem;
  int previous_calls = 0;
  int stops = 0;
};

std::string ipOf(const ctl::ReconcileResult& r, const std::string& key) {
  const auto* d = r.find(key);
  return d == nullptr || d->ips.empty() ? "" : d->ips.front();
}

struct Rig {
  explicit Rig(std::chrono::milliseconds hold = 0ms)
      : daemon(ioc.get_executor(), source, sink, registry, l1net::testing::quietLogger(),
               {.lb_class = std::nullopt, .release_hold = hold}) {}
  boost::asio::io_context ioc;
  FakeObjectSource source;
  FakeStatusSink sink;
  l1net::metrics::Registry registry;
  ctl::ControllerDaemon daemon;
  std::optional<int> fatal;
  void start() {
    daemon.start([this](int code) { fatal = code; });
  }
};

}  // namespace

TEST_CASE("ControllerDaemon: start-up over the seams") {
  struct Case {
    const char* name;
    io::SyncOutcome sync;
    std::optional<std::vector<manifest::Service>> previous;  // what the sink starts from
    std::optional<int> want_fatal;
    std::string want_web_ip;  // of the first published result; "" = nothing published
  };
  const std::vector<Case> cases = {
      {"snapshot reconciled, result published",
       {},
       std::vector<manifest::Service>{},
       std::nullopt,
       "198.51.100.10"},
      {"the sink's previous assignments are kept",
       {},
       services(svc("web", "198.51.100.20")),
       std::nullopt,
       "198.51.100.20"},
      {"source cannot sync: exit 2, nothing published",
       {.ok = false, .error = "manifests invalid (1 errors)"},
       std::vector<manifest::Service>{},
       ctl::kExitInvalid,
       ""},
      {"sink cannot start: exit 1, nothing published", {}, std::nullopt, ctl::kExitFailure, ""},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Rig rig;
      rig.sink.prev = c.previous;
      rig.source.setSynced(c.sync, set(std::string(kPool) + svc("web")));
      rig.start();
      CHECK(rig.fatal == c.want_fatal);
      CHECK(rig.source.syncs() == 1);
      if (c.want_web_ip.empty()) {
        CHECK(rig.sink.published.empty());
        CHECK(rig.source.starts() == 0);
        CHECK_FALSE(rig.daemon.reconciled());
      } else {
        REQUIRE(rig.sink.published.size() == 1);
        CHECK(ipOf(rig.sink.published[0], "default/web") == c.want_web_ip);
        CHECK(rig.daemon.reconciled());
        CHECK(rig.daemon.reconciles() == 1);
      }
    }
  }
}

TEST_CASE("ControllerDaemon: an API-like source publishes nothing until it has synced") {
  Rig rig;
  rig.source.deferSync();
  rig.source.setSynced({}, set(std::string(kPool) + svc("web")));
  rig.start();
  CHECK(rig.sink.previous_calls == 0);
  CHECK(rig.sink.published.empty());
  REQUIRE(rig.source.completeSync());
  CHECK(rig.sink.previous_calls == 1);
  REQUIRE(rig.sink.published.size() == 1);
  CHECK(ipOf(rig.sink.published[0], "default/web") == "198.51.100.10");
}

TEST_CASE("ControllerDaemon: every snapshot is reconciled against the previous result") {
  Rig rig;
  rig.start();
  REQUIRE(rig.source.push(set(std::string(kPool) + svc("a"))));
  REQUIRE(rig.source.push(set(std::string(kPool) + svc("b") + svc("a"))));
  REQUIRE(rig.sink.published.size() == 2);
  CHECK(ipOf(rig.sink.published[1], "default/a") == "198.51.100.10");  // did not move
  CHECK(ipOf(rig.sink.published[1], "default/b") == "198.51.100.11");
}

TEST_CASE("ControllerDaemon: deleted services") {
  struct Case {
    const char* name;
    std::chrono::milliseconds hold;
    bool want_held_first;  // the delete's result holds a's IP (file mode's --release-hold)
  };
  const std::vector<Case> cases = {
      {"release hold 0 (Kubernetes mode): freed at once", 0ms, false},
      {"file mode's release hold: held, then freed when the hold runs out", 150ms, true},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Rig rig(c.hold);
      rig.start();
      REQUIRE(rig.source.push(set(std::string(kPool) + svc("a"))));
      REQUIRE(rig.source.push(set(std::string(kPool) + svc("b"))));
      REQUIRE(rig.sink.published.size() == 2);
      const auto& del = rig.sink.published[1];
      if (c.want_held_first) {
        REQUIRE(del.held.size() == 1);
        CHECK(del.held[0].meta.name == "a");
        CHECK(ipOf(del, "default/b") == "198.51.100.11");  // a's IP stays reserved
        CHECK(del.released.empty());
        // The hold runs out without any new snapshot: a reconcile releases it.
        REQUIRE(runUntil(
            rig.ioc, [&] { return rig.sink.published.size() == 3; }, 5s));
        CHECK(rig.sink.published[2].held.empty());
        // a's IP is free again: a new Service gets it.
        REQUIRE(rig.source.push(set(std::string(kPool) + svc("b") + svc("c"))));
        CHECK(ipOf(rig.sink.published.back(), "default/c") == "198.51.100.10");
      } else {
        CHECK(del.held.empty());
        CHECK(del.released == std::vector<std::string>{"default/a"});
        CHECK(ipOf(del, "default/b") == "198.51.100.10");  // a's IP is free for b
      }
    }
  }
}

TEST_CASE("ControllerDaemon: health reflects the source and the sink") {
  struct Case {
    const char* name;
    std::string source_problem;
    std::string sink_problem;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"both fine", "", "", ""},
      {"source problem", "last manifest reload rejected", "", "last manifest reload rejected"},
      {"sink problem", "", "state.yaml: read-only; retrying", "state.yaml: read-only; retrying"},
      {"the sink's first when both", "reload rejected", "write failed", "write failed"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      Rig rig;
      rig.start();
      rig.source.setHealthProblem(c.source_problem);
      rig.sink.problem = c.sink_problem;
      CHECK(rig.daemon.healthProblem() == c.want);
    }
  }
}

TEST_CASE("ControllerDaemon::stop stops the source and the sink") {
  Rig rig;
  rig.start();
  rig.daemon.stop();
  CHECK_FALSE(rig.source.started());
  CHECK(rig.sink.stops == 1);
  CHECK_FALSE(rig.source.push(set(kPool)));
}

namespace {

// A state output that records each committed text in `attempts`; the first `failures_left`
// commits fail as on a read-only file system.
class RecordingOutput final : public ctl::StateOutput {
 public:
  RecordingOutput(std::vector<std::string>& attempts, int& failures_left)
      : attempts_(attempts), failures_left_(failures_left) {}
  l1net::Result<void> append(std::string_view piece) override {
    text_ += piece;
    return {};
  }
  l1net::Result<void> commit() override {
    attempts_.push_back(text_);
    if (failures_left_ > 0) {
      --failures_left_;
      return boost::system::error_code(EROFS, boost::system::generic_category());
    }
    return {};
  }

 private:
  std::vector<std::string>& attempts_;
  int& failures_left_;
  std::string text_;
};

}  // namespace

TEST_CASE("StateFileSink retries a failed write with backoff; the newest result wins") {
  boost::asio::io_context ioc;
  l1net::metrics::Registry registry;
  std::vector<std::string> attempts;  // texts the write was asked to store
  int failures_left = 2;
  ctl::StateFileSink sink(
      ioc.get_executor(),
      {.path = "/state/l1net.yaml",
       .recover = false,
       .dry_run = false,
       .retry_initial = 5ms,
       .retry_max = 20ms,
       .open =
           [&](const std::string& /*path*/) -> l1net::Result<std::unique_ptr<ctl::StateOutput>> {
         return std::unique_ptr<ctl::StateOutput>(
             std::make_unique<RecordingOutput>(attempts, failures_left));
       }},
      l1net::testing::quietLogger(), &registry);
  ctl::ReconcileInput in = ctl::makeInput(set(std::string(kPool) + svc("a")), {}, std::nullopt);
  const auto first = ctl::reconcile(in);
  sink.publish(first, {});
  REQUIRE(attempts.size() == 1);
  CHECK(sink.healthProblem().find("/state/l1net.yaml") != std::string::npos);
  CHECK(sink.healthProblem().find("retrying") != std::string::npos);
  // A newer result while the retry waits: the retry writes the newer text, not the old one.
  in = ctl::makeInput(set(std::string(kPool) + svc("a") + svc("b")), {}, std::nullopt);
  const auto second = ctl::reconcile(in);
  sink.publish(second, {});
  CHECK(attempts.size() == 1);  // no write while a retry is pending
  REQUIRE(runUntil(
      ioc, [&] { return sink.healthProblem().empty(); }, 5s));
  REQUIRE(attempts.size() == 3);
  CHECK(attempts[2] == ctl::renderState(ctl::stateServices(second)));
  CHECK(sink.writeErrors() == 2);
  CHECK(registry.encode().find("l1net_controller_state_write_errors_total 2") != std::string::npos);
  // The same result again: nothing to write.
  sink.publish(second, {});
  CHECK(attempts.size() == 3);
}
