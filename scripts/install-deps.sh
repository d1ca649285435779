#!/usr/bin/env bash
# Installs what l1net needs to build, test and demo on Debian 12. Idempotent:
# does nothing when every package is present; runs `apt-get update` at most once.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  clang clang-format clang-tidy libclang-rt-14-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
  libnl-3-dev libnl-route-3-dev libc-ares-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  doctest-dev libssl-dev
  iproute2 iputils-arping ndisc6 iputils-ping dnsmasq-base tcpdump procps jq curl python3
  util-linux coreutils
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
