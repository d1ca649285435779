// Peak RSS of the daemons' manifest load paths on generated manifests of valid Services (issue 8
// #9: a valid large set must stay within 10x its file size in memory). Three load paths per size:
//   once        `l1net-controller --once -o json`
//   controller  the controller daemon with --state, stopped (SIGTERM) once it wrote the state
//   speaker     the speaker daemon, in a new network namespace of its own (root only: else
//               skipped), stopped once it logged "running" and 1 s more passed
// For each the child's lifetime peak (ru_maxrss from wait4) is compared with the file's bytes and
// with the same path's baseline on a manifest of one pool only.
// Usage: manifest_mem_bench [MiB ...] (default 2 8 15). Prints BENCH lines and a summary.
// L1NET_BENCH_CONTROLLER / L1NET_BENCH_SPEAKER (environment) run other binaries than the build's,
// e.g. a saved copy of an older build, to compare before and after in one session.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef L1NET_CONTROLLER
#define L1NET_CONTROLLER "controller/l1net-controller"
#endif
#ifndef L1NET_SPEAKER
#define L1NET_SPEAKER "speaker/l1net-speaker"
#endif

namespace fs = std::filesystem;

namespace {

std::string binary(const char* env, const char* built) {
  const char* v = std::getenv(env);
  return v != nullptr && *v != '\0' ? v : built;
}

struct Run {
  long max_rss_kib = 0;
  double seconds = 0;  // to the exit (once) or to ready (daemons)
  int status = -1;
  bool ok = false;  // exited 0 (once) or became ready (daemons)
};

// How a daemon run ends: at exit (once), or by SIGTERM when `ready` says so.
struct Spawn {
  std::string binary;
  std::vector<std::string> args;
  bool new_netns = false;
  std::string log;                      // child's stdout+stderr, "" = /dev/null
  std::function<bool()> ready;          // empty = wait for the exit
  std::chrono::milliseconds settle{0};  // after ready, before SIGTERM
};

Run spawn(const Spawn& sp) {
  const auto t0 = std::chrono::steady_clock::now();
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (sp.new_netns && ::unshare(CLONE_NEWNET) != 0) {
      ::_exit(126);
    }
    const int fd = ::open(sp.log.empty() ? "/dev/null" : sp.log.c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) {
      ::_exit(127);
    }
    std::vector<std::string> copy = sp.args;
    copy.insert(copy.begin(), sp.binary);
    std::vector<char*> argv;
    for (auto& a : copy) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  Run r;
  rusage ru{};
  int status = 0;
  if (sp.ready) {
    const auto deadline = t0 + std::chrono::minutes(5);
    while (!sp.ready() && std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        r.status = status;  // died before it was ready
        return r;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    r.ok = sp.ready();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::this_thread::sleep_for(sp.settle);
    ::kill(pid, SIGTERM);
  }
  ::wait4(pid, &status, 0, &ru);
  r.max_rss_kib = ru.ru_maxrss;
  r.status = status;
  if (!sp.ready) {
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    r.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return r;
}

bool fileHas(const fs::path& file, std::string_view what) {
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.find(what) != std::string::npos;
}

// Services with a realistic shape (labels, annotations, ports, selector) until `bytes` is reached.
std::size_t writeServices(const fs::path& file, std::size_t bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  std::size_t written = 0;
  for (int i = 0; written < bytes; ++i) {
    const std::string n = std::to_string(i);
    const std::string doc =
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-" + n + "\n  namespace: ns-" +
        std::to_string(i % 50) + "\n  labels:\n    app: app-" + n +
        "\n    team: platform\n  annotations:\n    metallb.io/allow-shared-ip: key-" + n +
        "\nspec:\n  type: LoadBalancer\n  selector:\n    app: app-" + n +
        "\n  ports:\n  - name: http\n    port: 80\n    protocol: TCP\n    targetPort: 8080\n  - "
        "name: https\n    port: 443\n    protocol: TCP\n    targetPort: 8443\n";
    out << doc;
    written += doc.size();
  }
  return written;
}

// One load path: how to run it on a list of manifest files.
struct Path {
  const char* name;
  std::function<Spawn(const std::vector<std::string>& files, const fs::path& work)> make;
};

std::vector<Path> loadPaths() {
  std::vector<Path> paths;
  paths.push_back({"once", [](const std::vector<std::string>& files, const fs::path&) {
                     Spawn sp{.binary = binary("L1NET_BENCH_CONTROLLER", L1NET_CONTROLLER)};
                     for (const auto& f : files) {
                       sp.args.insert(sp.args.end(), {"--manifests", f});
                     }
                     sp.args.insert(sp.args.end(), {"--once", "-o", "json", "--log-level", "off"});
                     return sp;
                   }});
  paths.push_back({"controller", [](const std::vector<std::string>& files, const fs::path& work) {
                     const fs::path state = work / "state.yaml";
                     fs::remove(state);
                     Spawn sp{.binary = binary("L1NET_BENCH_CONTROLLER", L1NET_CONTROLLER)};
                     for (const auto& f : files) {
                       sp.args.insert(sp.args.end(), {"--manifests", f});
                     }
                     sp.args.insert(sp.args.end(), {"--state", state.string(), "--metrics-addr",
                                                    "127.0.0.1:0", "--log-level", "warn"});
                     sp.log = (work / "controller.log").string();
                     sp.ready = [state] { return fs::exists(state); };
                     sp.settle = std::chrono::milliseconds(500);
                     return sp;
                   }});
  if (::geteuid() == 0) {
    paths.push_back({"speaker", [](const std::vector<std::string>& files, const fs::path& work) {
                       const fs::path log = work / "speaker.log";
                       fs::remove(log);
                       Spawn sp{.binary = binary("L1NET_BENCH_SPEAKER", L1NET_SPEAKER),
                                .new_netns = true,
                                .log = log.string()};
                       for (const auto& f : files) {
                         sp.args.insert(sp.args.end(), {"--manifests", f});
                       }
                       sp.args.insert(sp.args.end(),
                                      {"--node", "bench-node", "--insecure-mesh", "--metrics-addr",
                                       "0.0.0.0:0", "--control-socket",
                                       (work / "speaker.sock").string(), "--log-level", "info"});
                       sp.ready = [log] { return fileHas(log, "running: control"); };
                       sp.settle = std::chrono::milliseconds(1000);
                       return sp;
                     }});
  } else {
    std::printf(
        "speaker load path skipped: not root (it runs in a network namespace of its own)\n");
  }
  return paths;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<double> sizes_mib = {2, 8, 15};
  if (argc > 1) {
    sizes_mib.clear();
    for (int i = 1; i < argc; ++i) {
      sizes_mib.push_back(std::atof(argv[i]));
    }
  }
  const fs::path dir =
      fs::temp_directory_path() / ("l1net-manifest-mem-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path pools = dir / "pools.yaml";
  std::ofstream(pools)
      << "apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: "
         "big, namespace: metallb-system}\nspec:\n  addresses: [\"2001:db8::/64\"]\n---\n"
         "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: {name: big, "
         "namespace: metallb-system}\n";
  std::printf("load average %s",
              [] {
                std::ifstream in("/proc/loadavg");
                std::string l;
                std::getline(in, l);
                return l + "\n";
              }()
                  .c_str());
  int rc = 0;
  const fs::path svc = dir / "services.yaml";
  for (const auto& path : loadPaths()) {
    const Run base = spawn(path.make({pools.string()}, dir));
    std::printf("BENCH name=manifest_mem_%s_baseline_rss value=%ld unit=KiB\n", path.name,
                base.max_rss_kib);
    for (const double mib : sizes_mib) {
      const std::size_t bytes = writeServices(svc, static_cast<std::size_t>(mib * 1024 * 1024));
      const Run r = spawn(path.make({pools.string(), svc.string()}, dir));
      if (!r.ok) {
        std::printf("%s failed on %zu bytes (status %d)\n", path.name, bytes, r.status);
        rc = 1;
        continue;
      }
      const double file_kib = static_cast<double>(bytes) / 1024.0;
      const double ratio = static_cast<double>(r.max_rss_kib) / file_kib;
      const double ratio_net = static_cast<double>(r.max_rss_kib - base.max_rss_kib) / file_kib;
      const std::string tag =
          std::string(path.name) + "_" + std::to_string(static_cast<int>(mib)) + "mib";
      std::printf("BENCH name=manifest_mem_%s_file value=%zu unit=bytes\n", tag.c_str(), bytes);
      std::printf("BENCH name=manifest_mem_%s_peak_rss value=%ld unit=KiB\n", tag.c_str(),
                  r.max_rss_kib);
      std::printf("BENCH name=manifest_mem_%s_rss_over_file value=%.2f unit=ratio\n", tag.c_str(),
                  ratio);
      std::printf("BENCH name=manifest_mem_%s_seconds value=%.2f unit=s\n", tag.c_str(), r.seconds);
      std::printf(
          "%-10s %5.1f MiB of Services: peak RSS %6.1f MiB = %5.2fx the file (%5.2fx above the "
          "%.1f MiB baseline), %.1f s\n",
          path.name, file_kib / 1024, static_cast<double>(r.max_rss_kib) / 1024, ratio, ratio_net,
          static_cast<double>(base.max_rss_kib) / 1024, r.seconds);
    }
  }
  fs::remove_all(dir);
  return rc;
}
