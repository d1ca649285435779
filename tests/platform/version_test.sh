#!/usr/bin/env bash
# Every installed l1net executable answers --version with "<name> <version>" and exit 0 (CLI
# contract in docs), before any other flag is checked (so it works without --node/--manifests).
set -euo pipefail
build=${1:?usage: version_test.sh BUILD_DIR}
version=$(sed -n 's/^project(l1net VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "FAIL: no project version in CMakeLists.txt"; exit 1; }
found=0
for bin in "$build"/controller/l1net-controller "$build"/speaker/l1net-speaker \
           "$build"/speaker/speakerctl "$build"/dnsd/l1net-dnsd; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  out=$("$bin" --version) || { echo "FAIL: $name --version exited $?"; exit 1; }
  if [ "$out" != "$name $version" ]; then
    echo "FAIL: $name --version printed '$out', want '$name $version'"; exit 1
  fi
  echo "ok: $out"
  found=$((found + 1))
done
[ "$found" -ge 3 ] || { echo "FAIL: only $found executables found under $build"; exit 1; }
