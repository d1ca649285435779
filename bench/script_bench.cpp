// A benchmark that is a shell script (network namespaces, speakers, a client): NAME [ARG] runs
// L1NET_BENCH_SCRIPT against the daemons of the build directory this binary sits in
// (BUILD/bench/<dir>/NAME) with ARG (default L1NET_BENCH_DEFAULT_ARG) and passes its figures
// through. Without root it says so and exits 0 so `make bench` goes on with the other benchmarks.
// Built once per script-driven benchmark (failover_bench, mesh_stress) with these definitions.
#include <array>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

constexpr int kSkipped = 77;

std::filesystem::path buildDir() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return "build/default";
  }
  return self.parent_path().parent_path().parent_path();  // BUILD/bench/<dir>/<binary>
}

}  // namespace

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    std::puts(L1NET_BENCH_NAME ": skipped (needs root for network namespaces)");
    return 0;
  }
  std::string script = L1NET_BENCH_SCRIPT;
  std::string build = buildDir().string();
  std::string runs = argc > 1 ? argv[1] : L1NET_BENCH_DEFAULT_ARG;
  std::string bash = "bash";
  std::array<char*, 5> args = {bash.data(), script.data(), build.data(), runs.data(), nullptr};
  pid_t pid = 0;
  if (const int rc = posix_spawnp(&pid, "bash", nullptr, nullptr, args.data(), environ); rc != 0) {
    std::fprintf(stderr, L1NET_BENCH_NAME ": cannot run bash: %s\n",
                 std::generic_category().message(rc).c_str());
    return 1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::perror(L1NET_BENCH_NAME ": waitpid");
      return 1;
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kSkipped) {
    return 0;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
