// Peak RSS of `l1net-controller --once -o json` on generated manifests of valid Services (issue 8
// #9: a valid large set must stay within 10x its file size in memory). For each size the child's
// ru_maxrss (wait4) is compared with the file's bytes and with an empty run's baseline.
// Usage: manifest_mem_bench [MiB ...] (default 2 8 15). Prints BENCH lines and a summary.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef L1NET_CONTROLLER
#define L1NET_CONTROLLER "controller/l1net-controller"
#endif

namespace fs = std::filesystem;

namespace {

struct Run {
  long max_rss_kib = 0;
  double seconds = 0;
  int status = -1;
};

Run runController(const std::vector<std::string>& args) {
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string bin = L1NET_CONTROLLER;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    if (std::freopen("/dev/null", "w", stdout) == nullptr) {
      ::_exit(127);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  Run r;
  rusage ru{};
  int status = 0;
  ::wait4(pid, &status, 0, &ru);
  r.max_rss_kib = ru.ru_maxrss;
  r.status = status;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
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
         "big, namespace: metallb-system}\nspec:\n  addresses: [\"2001:db8::/64\"]\n";
  const Run base =
      runController({"--manifests", pools.string(), "--once", "-o", "json", "--log-level", "off"});
  std::printf("BENCH name=manifest_mem_baseline_rss value=%ld unit=KiB\n", base.max_rss_kib);
  int rc = 0;
  for (const double mib : sizes_mib) {
    const fs::path svc = dir / "services.yaml";
    const std::size_t bytes = writeServices(svc, static_cast<std::size_t>(mib * 1024 * 1024));
    const Run r = runController({"--manifests", pools.string(), svc.string(), "--once", "-o",
                                 "json", "--log-level", "off"});
    if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0) {
      std::printf("controller failed on %zu bytes (status %d)\n", bytes, r.status);
      rc = 1;
      continue;
    }
    const double file_kib = static_cast<double>(bytes) / 1024.0;
    const double ratio = static_cast<double>(r.max_rss_kib) / file_kib;
    const double ratio_net = static_cast<double>(r.max_rss_kib - base.max_rss_kib) / file_kib;
    const std::string tag = std::to_string(static_cast<int>(mib)) + "mib";
    std::printf("BENCH name=manifest_mem_%s_file value=%zu unit=bytes\n", tag.c_str(), bytes);
    std::printf("BENCH name=manifest_mem_%s_peak_rss value=%ld unit=KiB\n", tag.c_str(),
                r.max_rss_kib);
    std::printf("BENCH name=manifest_mem_%s_rss_over_file value=%.2f unit=ratio\n", tag.c_str(),
                ratio);
    std::printf("BENCH name=manifest_mem_%s_seconds value=%.2f unit=s\n", tag.c_str(), r.seconds);
    std::printf(
        "%.1f MiB of Services: peak RSS %.1f MiB = %.2fx the file (%.2fx above the "
        "%.1f MiB baseline), %.1f s\n",
        file_kib / 1024, static_cast<double>(r.max_rss_kib) / 1024, ratio, ratio_net,
        static_cast<double>(base.max_rss_kib) / 1024, r.seconds);
  }
  fs::remove_all(dir);
  return rc;
}
