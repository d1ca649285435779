#!/usr/bin/env bash
# Builds (once per machine) and prints the path of a real kube-apiserver for the Kubernetes lane.
#
# Source: Debian bookworm's `kubernetes` source package (1.20.5+really1.20.2), fetched with
# `apt-get source` through a private apt configuration whose deb-src entries are derived from
# the machine's own apt sources (the system's apt configuration is not modified).
# Build: Debian golang-go in GOPATH mode (GO111MODULE=off) with the vendored tree;
# pkg/generated/openapi is generated with the vendored openapi-gen; the vendored
# modern-go/reflect2 1.0.1 (crashes under Go 1.19 after ~40 s) is replaced by Debian's
# golang-github-modern-go-reflect2-dev 1.0.2.
# Cache: the binary lives OUTSIDE the repo, keyed by version:
#   ${L1NET_CACHE:-/var/cache/l1net}/kube-apiserver-<version>
# so only a new machine rebuilds it (~4 min on 2 cores).
#
# Usage: scripts/kube-apiserver.sh          # build if needed, print the binary path
set -euo pipefail

version=1.20.2
cache=${L1NET_CACHE:-/var/cache/l1net}
bin="$cache/kube-apiserver-$version"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh" >&2
# Only this lane needs these: Debian's Go toolchain and reflect2 1.0.2 to build kube-apiserver from
# Debian's source package, dpkg-dev for `apt-get source`, etcd-server as its store.
kube_packages=(golang-go golang-github-modern-go-reflect2-dev dpkg-dev etcd-server)
kube_missing=()
for p in "${kube_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || kube_missing+=("$p")
done
if [ ${#kube_missing[@]} -gt 0 ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${kube_missing[@]}" >&2
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- deb-src entries derived from the machine's own sources -------------------------------
mkdir -p "$work/apt/lists/partial" "$work/apt/archives/partial"
srclist="$work/apt/sources.list"
: >"$srclist"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  sed -n 's/^[[:space:]]*deb[[:space:]]\+/deb-src /p' "$f" >>"$srclist"
done
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  # deb822: keep only stanzas whose Types include deb, and make them deb-src.
  awk 'BEGIN{RS="";ORS="\n\n"} /(^|\n)Types:[^\n]*deb([ \n]|$)/ {
         gsub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >"$work/apt/$(basename "$f")"
done
aptopts=(-o "Dir::Etc::SourceList=$srclist" -o "Dir::Etc::SourceParts=$work/apt"
  -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache::Archives=$work/apt/archives"
  -o "APT::Get::Only-Source=true")
echo "kube-apiserver: fetching Debian source package kubernetes" >&2
apt-get "${aptopts[@]}" update -qq >&2
(cd "$work" && apt-get "${aptopts[@]}" source --download-only kubernetes >&2 &&
  dpkg-source -x kubernetes_*.dsc src >&2)

# --- GOPATH build ---------------------------------------------------------------------------
src="$work/src"
export GOPATH="$work/gopath" GO111MODULE=off CGO_ENABLED=0 GOFLAGS= GOCACHE="$work/gocache"
mkdir -p "$GOPATH/src/k8s.io"
ln -s "$src" "$GOPATH/src/k8s.io/kubernetes"
pkg="$GOPATH/src/k8s.io/kubernetes"

# reflect2 1.0.1 (vendored) crashes under Go >= 1.18; use Debian's 1.0.2.
rm -rf "$src/vendor/github.com/modern-go/reflect2"
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$src/vendor/github.com/modern-go/reflect2"

cd "$pkg"
echo "kube-apiserver: generating pkg/generated/openapi with the vendored openapi-gen" >&2
go build -o "$work/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
# The directories Makefile.generated_files would pass: every non-vendored Go dir (staging named
# as vendor/), with a +k8s:openapi-gen= tag, minus code-generator and sample-apiserver.
dirs=$(find -H . \( -not \( \( -path './_*' -o -path './.*' -o -path ./vendor -o -path ./debian \) -prune \) \) \
  -type f -name '*.go' | xargs grep -l '^// *+k8s:' | xargs grep -l '+k8s:openapi-gen=' |
  sed 's|/[^/]*$||; s|^\./||; s|^staging/src|vendor|' |
  grep -v -e '^vendor/k8s.io/code-generator/' -e '^vendor/k8s.io/sample-apiserver/' |
  LC_ALL=C sort -u | sed 's|^|k8s.io/kubernetes/|' | paste -sd, -)
"$work/openapi-gen" --logtostderr -i "$dirs" -p k8s.io/kubernetes/pkg/generated/openapi \
  -O zz_generated.openapi -h hack/boilerplate/boilerplate.generatego.txt \
  -r "$work/violations.report" >&2

echo "kube-apiserver: building (GOPATH mode, $(go version))" >&2
ldflags="-s -w -X k8s.io/kubernetes/vendor/k8s.io/component-base/version.gitVersion=v$version -X k8s.io/kubernetes/vendor/k8s.io/component-base/version.gitMajor=1 -X k8s.io/kubernetes/vendor/k8s.io/component-base/version.gitMinor=20"
go build -ldflags "$ldflags" -o "$work/kube-apiserver" ./cmd/kube-apiserver
install -m 0755 "$work/kube-apiserver" "$bin"
echo "$bin"
