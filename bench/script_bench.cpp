// failover_bench [RUNS]: runs failover_bench.sh (network namespaces, three speakers, a client)
// against the daemons of the build directory this binary sits in (BUILD/bench/failover/) and
// passes its figures through. Without root, or without the daemons, it says so and exits 0 so
// `make bench` goes on with the other benchmarks.
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
  return self.parent_path().parent_path().parent_path();  // BUILD/bench/failover/failover_bench
}

}  // namespace

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    std::puts("failover_bench: skipped (needs root for network namespaces)");
    return 0;
  }
  std::string script = L1NET_FAILOVER_SCRIPT;
  std::string build = buildDir().string();
  std::string runs = argc > 1 ? argv[1] : "20";
  std::string bash = "bash";
  std::array<char*, 5> args = {bash.data(), script.data(), build.data(), runs.data(), nullptr};
  pid_t pid = 0;
  if (const int rc = posix_spawnp(&pid, "bash", nullptr, nullptr, args.data(), environ); rc != 0) {
    std::fprintf(stderr, "failover_bench: cannot run bash: %s\n",
                 std::generic_category().message(rc).c_str());
    return 1;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      std::perror("failover_bench: waitpid");
      return 1;
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == kSkipped) {
    return 0;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
