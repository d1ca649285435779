#!/usr/bin/env bash
# What l1net needs, found or installed.
#
#   scripts/install-deps.sh           everything: build, tests, benchmarks, demo (make test, make demo, CI)
#   scripts/install-deps.sh --build   only what building needs (make build)
#
# Every requirement is looked for directly (a command, a header, a library the linker finds, a
# pkg-config module), so a system that has them all, however they got there, needs nothing.
# What is missing is installed with apt-get where dpkg and apt-get exist (Debian 12, the CI image;
# `apt-get update` at most once, sudo when not root). Elsewhere the script lists what is missing,
# with the Debian package name as a hint, and exits 1.
set -euo pipefail

mode=all
case ${1:-} in
  "") ;;
  --build) mode=build ;;
  *)
    echo "usage: $0 [--build]" >&2
    exit 2
    ;;
esac

CXX=${CXX:-c++}
probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT

# Checks: each returns 0 when the thing is usable.
has_cmd() { command -v "$1" >/dev/null 2>&1; }
# __has_include finds a header in the compiler's search path without compiling it.
has_header() {
  has_cmd "$CXX" && printf '#if !__has_include(<%s>)\n#error missing\n#endif\n' "$@" |
    "$CXX" -std=c++20 -E -x c++ - >/dev/null 2>&1
}
has_lib() {
  has_cmd "$CXX" && printf 'int main() { return 0; }\n' |
    "$CXX" -x c++ - -o "$probe_dir/a.out" "-l$1" >/dev/null 2>&1
}
has_pc() { has_cmd pkg-config && pkg-config --exists "$1"; }
has_cmake() {
  has_cmd cmake && [ "$(printf '%s\n' 3.25.0 "$(cmake --version | awk 'NR == 1 { print $3 }')" |
    sort -V | head -n 1)" = 3.25.0 ]
}
has_boost() {
  has_cmd "$CXX" && printf '#include <boost/version.hpp>\n#if BOOST_VERSION < 108100\n#error old\n#endif\n' |
    "$CXX" -E -x c++ - >/dev/null 2>&1
}
has_clang_rt() {
  has_cmd clang && [ -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]
}

# Requirements: "check argument|Debian package|what it is".
build_reqs=(
  "has_cmake -|cmake|CMake >= 3.25"
  "has_cmd ninja|ninja-build|ninja"
  "has_cmd $CXX|build-essential|a C++20 compiler ($CXX)"
  "has_cmd pkg-config|pkg-config|pkg-config"
  "has_boost -|libboost1.81-dev|Boost >= 1.81 headers"
  "has_lib boost_json|libboost-json1.81-dev|Boost.JSON library"
  "has_lib boost_url|libboost-url1.81-dev|Boost.URL library"
  "has_lib boost_program_options|libboost-program-options1.81-dev|Boost.ProgramOptions library"
  "has_pc libnl-3.0|libnl-3-dev|libnl-3 (pkg-config libnl-3.0)"
  "has_pc libnl-route-3.0|libnl-route-3-dev|libnl-route-3 (pkg-config libnl-route-3.0)"
  "has_pc libcares|libc-ares-dev|c-ares (pkg-config libcares)"
  "has_lib yaml-cpp|libyaml-cpp-dev|yaml-cpp"
  "has_header spdlog/spdlog.h|libspdlog-dev|spdlog"
  "has_header fmt/format.h|libfmt-dev|fmt"
  "has_header openssl/hmac.h|libssl-dev|OpenSSL headers"
  "has_header doctest/doctest.h|doctest-dev|doctest"
)
# What the tests, benchmarks, tooling and the demo run.
test_reqs=(
  "has_cmd git|git|git"
  "has_cmd clang|clang|clang (fuzz preset)"
  "has_clang_rt -|libclang-rt-14-dev|clang's sanitizer and libFuzzer runtimes"
  "has_cmd clang-format|clang-format|clang-format"
  "has_cmd clang-tidy|clang-tidy|clang-tidy"
  "has_cmd ip|iproute2|ip (iproute2)"
  "has_cmd arping|iputils-arping|arping"
  "has_cmd ndisc6|ndisc6|ndisc6"
  "has_cmd ping|iputils-ping|ping"
  "has_cmd dnsmasq|dnsmasq-base|dnsmasq"
  "has_cmd dig|bind9-dnsutils|dig (the demo's DNS query)"
  "has_cmd tcpdump|tcpdump|tcpdump"
  "has_cmd sysctl|procps|sysctl"
  "has_cmd jq|jq|jq"
  "has_cmd curl|curl|curl"
  "has_cmd python3|python3|python3 (the demo's HTTP backend)"
  "has_cmd setpriv|util-linux|setpriv"
  "has_cmd sha256sum|coreutils|sha256sum"
  "has_cmd stress-ng|stress-ng|stress-ng (bench/mesh_stress: saturates the CPUs)"
  "has_cmd iptables|iptables|iptables (bench/mesh_stress: NFQUEUE loss/delay on the mesh)"
)
reqs=("${build_reqs[@]}")
[ "$mode" = build ] || reqs+=("${test_reqs[@]}")

# missing_reqs: the requirements whose check fails, one per line.
missing_reqs() {
  local r check pkg what
  for r in "${reqs[@]}"; do
    IFS='|' read -r check pkg what <<<"$r"
    # shellcheck disable=SC2086  # "function argument"
    $check >/dev/null 2>&1 || printf '%s|%s\n' "$pkg" "$what"
  done
}

# Fast path: every header looked for at once, every library linked at once, and the cheap
# checks; the one-by-one probes run only when it fails, to name what is missing.
all_present() {
  has_cmake && has_boost && has_cmd ninja && has_cmd pkg-config || return 1
  pkg-config --exists libnl-3.0 libnl-route-3.0 libcares || return 1
  has_header boost/json.hpp boost/url.hpp boost/program_options.hpp yaml-cpp/yaml.h \
    spdlog/spdlog.h fmt/format.h openssl/hmac.h doctest/doctest.h || return 1
  printf 'int main() { return 0; }\n' |
    "$CXX" -x c++ - -o "$probe_dir/all" -lboost_json -lboost_url -lboost_program_options \
      -lyaml-cpp >/dev/null 2>&1 || return 1
  [ "$mode" = build ] && return 0
  local r check
  for r in "${test_reqs[@]}"; do
    IFS='|' read -r check _ <<<"$r"
    $check >/dev/null 2>&1 || return 1
  done
}
all_present && exit 0

mapfile -t missing < <(missing_reqs)
[ ${#missing[@]} -gt 0 ] || exit 0

if has_cmd dpkg-query && has_cmd apt-get; then
  packages=()
  for m in "${missing[@]}"; do
    pkg=${m%%|*}
    [[ " ${packages[*]} " == *" $pkg "* ]] || packages+=("$pkg")
  done
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: installing ${packages[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >/dev/null
  mapfile -t missing < <(missing_reqs)
  [ ${#missing[@]} -gt 0 ] || exit 0
  echo "install-deps: still missing after apt-get install:" >&2
else
  echo "install-deps: no dpkg/apt-get here, so nothing was installed. Missing:" >&2
fi
for m in "${missing[@]}"; do
  printf '  %-45s (Debian package: %s)\n' "${m#*|}" "${m%%|*}" >&2
done
echo "Install them with your package manager, then run make again." >&2
exit 1
