#!/usr/bin/env bash
# Builds the l1net OCI image from scratch with buildah (vfs storage, chroot isolation: no
# container engine or daemon) and exports it as an OCI archive.
#
#   scripts/build-image.sh BUILD_DIR OUTPUT.oci.tar|OUTPUT_DIR/ [WORK_DIR]
#
# An OUTPUT ending in / names a directory: the archive is OUTPUT_DIR/l1net-<version>.oci.tar.
# The image holds every executable `cmake --install` puts in bin/ (the daemons and speakerctl;
# l1net-dnsd as soon as it is built), stripped, plus exactly the shared libraries and loader
# they load (ldd), /etc/passwd with the unprivileged user l1net (65532, the image's default
# user), /etc/nsswitch.conf and the CA bundle for HTTPS to Pi-hole. Prints the archive size.
set -euo pipefail
build=${1:?usage: build-image.sh BUILD_DIR OUTPUT.oci.tar [WORK_DIR]}
out=${2:?usage: build-image.sh BUILD_DIR OUTPUT.oci.tar [WORK_DIR]}
work=${3:-}
for tool in buildah ldd strip; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool not found (scripts/install-deps.sh)" >&2; exit 1; }
done
version=$(sed -n 's/^project(l1net VERSION \([0-9.]*\).*/\1/p' "$(dirname "$0")/../CMakeLists.txt")
case $out in */) out="${out}l1net-$version.oci.tar" ;; esac

cleanup_work=0
if [ -z "$work" ]; then
  work=$(mktemp -d /tmp/l1net-image.XXXXXX)
  cleanup_work=1
fi
store="$work/storage"
ctr=""
bh() { buildah --storage-driver vfs --root "$store" --runroot "$work/run" "$@"; }
cleanup() {
  [ -n "$ctr" ] && bh rm "$ctr" >/dev/null 2>&1 || true
  if [ "$cleanup_work" = 1 ]; then
    bh rmi --all --force >/dev/null 2>&1 || true
    rm -rf "$work"
  fi
}
trap cleanup EXIT
export BUILDAH_ISOLATION=chroot

# 1. Install into a staging root (prefix /usr) and keep what landed in bin/.
stage="$work/stage"
rootfs="$work/rootfs"
rm -rf "$stage" "$rootfs"
DESTDIR="$stage" cmake --install "$build" --prefix /usr >/dev/null
mkdir -p "$rootfs/usr/bin"
bins=()
for f in "$stage"/usr/bin/*; do
  [ -x "$f" ] || continue
  strip --strip-unneeded -o "$rootfs/usr/bin/$(basename "$f")" "$f"
  bins+=("$rootfs/usr/bin/$(basename "$f")")
done
[ ${#bins[@]} -gt 0 ] || { echo "build-image: nothing installed in $stage/usr/bin" >&2; exit 1; }

# 2. Exactly the libraries they load, at the path the loader finds them (symlinks resolved).
declare -A libs=()
for b in "${bins[@]}"; do
  while read -r path; do
    libs["$path"]=1
  done < <(ldd "$b" | awk '/=> \//{print $3} /^[ \t]*\/[^ ]+ \(/{print $1}')
done
for lib in "${!libs[@]}"; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done

# 3. Minimal /etc: the unprivileged user, name resolution, CA bundle; writable /tmp for nothing.
mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$rootfs/run/l1net" "$rootfs/var/lib/l1net"
printf 'root:x:0:0:root:/:/sbin/nologin\nl1net:x:65532:65532:l1net:/var/lib/l1net:/sbin/nologin\n' \
  > "$rootfs/etc/passwd"
printf 'root:x:0:\nl1net:x:65532:\n' > "$rootfs/etc/group"
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
fi
chmod 1777 "$rootfs/tmp"
chown 65532:65532 "$rootfs/var/lib/l1net" "$rootfs/run/l1net"

# 4. The image: from scratch, one layer, non-root default user, no entrypoint (the chart and
# `podman run IMAGE l1net-controller ...` name the daemon).
ctr=$(bh from --name "l1net-build-$$" scratch)
bh copy "$ctr" "$rootfs/" / >/dev/null
bh config --user 65532:65532 --workingdir / --env PATH=/usr/bin \
  --label org.opencontainers.image.title=l1net \
  --label org.opencontainers.image.version="$version" \
  --label org.opencontainers.image.description="l1net-controller, l1net-speaker, speakerctl, l1net-dnsd" \
  --cmd '["/usr/bin/l1net-controller","--help"]' "$ctr"
mkdir -p "$(dirname "$out")"
rm -f "$out"
bh commit --quiet --format oci --disable-compression=false "$ctr" "oci-archive:$out:l1net:$version" >/dev/null
echo "build-image: $out ($(du -k "$out" | cut -f1) KiB archive, rootfs $(du -sk "$rootfs" | cut -f1) KiB): $(cd "$rootfs/usr/bin" && echo *)"
