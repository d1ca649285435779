#include "l1net/speaker/io/cli.hpp"

#include <map>
#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace {

using l1net::speaker::ParsedFlags;
using l1net::speaker::SpeakerMode;
using Action = ParsedFlags::Action;

ParsedFlags parse(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), "l1net-speaker");
  return l1net::speaker::parseSpeakerFlags(
      args, [&env](std::string_view name) -> std::optional<std::string> {
        const auto it = env.find(std::string(name));
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
      });
}

}  // namespace

TEST_CASE("parseSpeakerFlags") {
  struct Case {
    const char* name;
    std::vector<const char*> args;
    std::map<std::string, std::string> env;
    Action want;
    const char* error_has = "";  // a usage error's first line contains this
  };
  const std::map<std::string, std::string> pod_env = {{"POD_NAME", "sp-x"}, {"POD_UID", "u-1"}};
  const std::vector<Case> cases = {
      {"file mode (default)", {"--node=n1", "--manifests=a.yaml"}, {}, Action::kRun},
      {"file mode needs --manifests", {"--node=n1"}, {}, Action::kUsageError, "--manifests"},
      {"--node is required", {"--manifests=a"}, {}, Action::kUsageError, "node"},
      {"--node is required in kubernetes mode too",
       {"--mode=kubernetes"},
       pod_env,
       Action::kUsageError,
       "node"},
      {"unknown mode", {"--mode=k8s", "--node=n1"}, {}, Action::kUsageError, "file or kubernetes"},
      {"kubernetes mode with the pod from the downward API env",
       {"--mode", "kubernetes", "--node=n1"},
       pod_env,
       Action::kRun},
      {"kubernetes mode with the pod from flags",
       {"--mode=kubernetes", "--node=n1", "--pod-name=p", "--pod-uid=u"},
       {},
       Action::kRun},
      {"kubernetes mode without the pod",
       {"--mode=kubernetes", "--node=n1"},
       {{"POD_NAME", "sp-x"}},
       Action::kUsageError,
       "POD_UID"},
      {"kubernetes mode refuses --manifests",
       {"--mode=kubernetes", "--node=n1", "--manifests=a"},
       pod_env,
       Action::kUsageError,
       "--manifests is for --mode file"},
      {"file mode refuses --kubeconfig",
       {"--node=n1", "--manifests=a", "--kubeconfig=k"},
       {},
       Action::kUsageError,
       "--kubeconfig is for --mode kubernetes"},
      {"bad --speaker-selector",
       {"--mode=kubernetes", "--node=n1", "--speaker-selector=app"},
       pod_env,
       Action::kUsageError,
       "--speaker-selector"},
      {"empty --namespace",
       {"--mode=kubernetes", "--node=n1", "--namespace="},
       pod_env,
       Action::kUsageError,
       "--namespace"},
      {"--responder-priority 99",
       {"--node=n1", "--manifests=a", "--responder-priority=99"},
       {},
       Action::kRun},
      {"--responder-priority 0 (off)",
       {"--node=n1", "--manifests=a", "--responder-priority=0"},
       {},
       Action::kRun},
      {"--responder-priority above SCHED_FIFO's range",
       {"--node=n1", "--manifests=a", "--responder-priority=100"},
       {},
       Action::kUsageError,
       "--responder-priority must be 0 (off) to 99, not 100"},
      {"--responder-priority negative",
       {"--node=n1", "--manifests=a", "--responder-priority=-1"},
       {},
       Action::kUsageError,
       "responder-priority"},
      {"help", {"--help"}, {}, Action::kHelp},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      const auto got = parse(c.args, c.env);
      CHECK(got.action == c.want);
      if (c.want == Action::kUsageError) {
        const auto first = got.text.substr(0, got.text.find('\n'));
        INFO(first);
        CHECK(first.find(c.error_has) != std::string::npos);
      }
    }
  }
}

TEST_CASE("parseSpeakerFlags: kubernetes mode values") {
  const auto got = parse({"--mode=kubernetes", "--node=n1", "--kubeconfig=/k", "--namespace=lb",
                          "--speaker-selector=app=sp,tier=net", "--pod-name=flag-pod"},
                         {{"POD_NAME", "env-pod"}, {"POD_UID", "u-1"}});
  REQUIRE(got.action == Action::kRun);
  CHECK(got.flags.mode == SpeakerMode::kKubernetes);
  CHECK(got.flags.kubeconfig == "/k");
  CHECK(got.flags.ns == "lb");
  CHECK(got.flags.speaker_selector == l1net::manifest::Labels{{"app", "sp"}, {"tier", "net"}});
  CHECK(got.flags.pod_name == "flag-pod");  // the flag wins over the env
  CHECK(got.flags.pod_uid == "u-1");
  const auto defaults =
      parse({"--mode=kubernetes", "--node=n1"}, {{"POD_NAME", "p"}, {"POD_UID", "u"}});
  CHECK(defaults.flags.ns == "l1net-system");
  CHECK(defaults.flags.kubeconfig.empty());
  CHECK(defaults.flags.responder_priority == 10);
  CHECK(defaults.flags.speaker_selector ==
        l1net::manifest::Labels{{"app.kubernetes.io/component", "speaker"},
                                {"app.kubernetes.io/name", "l1net"}});
}
