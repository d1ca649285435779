#!/usr/bin/env bash
# `make image`'s script builds the OCI archive with buildah; the archive is unpacked with skopeo
# + umoci (no container engine) and every binary in it runs `--version` inside the unpacked root
# with chroot, so a missing shared library fails here. Also: the image holds no library that no
# binary needs, its default user is not root, and its size is printed.
set -euo pipefail
build=${1:?usage: image_test.sh BUILD_DIR}
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: chroot and buildah's vfs storage need root"; exit 77; fi
for t in buildah skopeo umoci chroot jq; do
  command -v "$t" >/dev/null || { echo "FAIL: $t not installed (scripts/install-deps.sh)"; exit 1; }
done
work=$(mktemp -d /tmp/l1net-image-test.$$.XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's/^project(l1net VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)

bash scripts/build-image.sh "$build" "$work/l1net.oci.tar" "$work/build"
skopeo copy --quiet "oci-archive:$work/l1net.oci.tar" "oci:$work/layout:l1net" 
umoci unpack --image "$work/layout:l1net" "$work/bundle" >/dev/null
root="$work/bundle/rootfs"

user=$(jq -r '.process.user | "\(.uid):\(.gid)"' "$work/bundle/config.json")
[ "$user" = "65532:65532" ] || { echo "FAIL: image user is $user, want 65532:65532"; exit 1; }
echo "ok: default user $user"

n=0
for bin in "$root"/usr/bin/*; do
  name=$(basename "$bin")
  out=$(env -i "$(command -v chroot)" "$root" "/usr/bin/$name" --version 2>&1) || {
    echo "FAIL: $name --version in the image's root: $out"; exit 1; }
  [ "$out" = "$name $version" ] || { echo "FAIL: $name --version printed '$out'"; exit 1; }
  echo "ok: chroot $name --version -> $out"
  n=$((n + 1))
done
for want in l1net-controller l1net-speaker speakerctl; do
  [ -x "$root/usr/bin/$want" ] || { echo "FAIL: $want is not in the image"; exit 1; }
done

# Every shared object in the image is loaded by some binary (nothing extra), and vice versa.
needed=$(for bin in "$root"/usr/bin/*; do chroot "$root" /lib64/ld-linux-x86-64.so.2 --list "/usr/bin/$(basename "$bin")"; done |
  awk '/=> \//{print $3} /^[ \t]*\/[^ ]+ \(/{print $1}' | sort -u)
present=$(cd "$root" && find . -name '*.so*' -type f | sed 's|^\.||' | sort -u)
if [ "$needed" != "$present" ]; then
  echo "FAIL: libraries in the image differ from those needed"
  diff <(echo "$needed") <(echo "$present") || true
  exit 1
fi
echo "ok: $(echo "$present" | wc -l) shared objects, each needed by a binary"

archive_kib=$(du -k "$work/l1net.oci.tar" | cut -f1)
rootfs_kib=$(du -sk "$root" | cut -f1)
echo "BENCH name=image_archive_size value=$archive_kib unit=KiB"
echo "BENCH name=image_rootfs_size value=$rootfs_kib unit=KiB"
echo "image: $n binaries, OCI archive ${archive_kib} KiB, unpacked root ${rootfs_kib} KiB"
