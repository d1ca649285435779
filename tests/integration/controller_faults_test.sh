#!/usr/bin/env bash
# issue 8 faults for l1net-controller (file mode), all on loopback and in a private mount
# namespace this test creates (no network namespace needed: the controller only serves
# /metrics and /healthz on 127.0.0.1 with a kernel-chosen port):
#  1. manifests edited to an invalid state while it runs: the last good set is kept, /healthz says
#     "last manifest reload rejected" (503) and l1net_manifest_reload_failures_total counts it;
#  2. the state directory read-only (EROFS even for root): the write is retried with backoff, and
#     /healthz recovers by itself once the directory is writable again, with no manifest change;
#  3. kill -9 during state writes, 10 times (as soon as the write's temp file appears, or after a
#     random delay): after each kill the state file is complete (the controller itself accepts it)
#     and after the restart no temp file is left.
# Usage: controller_faults_test.sh BUILD_DIR. Exit 77 = skipped (not root).
set -euo pipefail

BUILD=$(cd "${1:-build/default}" && pwd)
CTL="$BUILD/controller/l1net-controller"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (mount namespace, read-only bind mount)"; exit 77; }
for tool in unshare mount curl; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed: run scripts/install-deps.sh" >&2; exit 1; }
done
[ -x "$CTL" ] || { echo "FAIL: $CTL not built" >&2; exit 1; }

# Re-run inside a private mount namespace so the read-only bind mount never leaks to the host.
if [ -z "${L1T_IN_MOUNT_NS:-}" ]; then
  exec env L1T_IN_MOUNT_NS=1 unshare --mount --propagation private bash "$0" "$@"
fi

TMP=$(mktemp -d /tmp/l1t-$$-ctl-XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  set +e
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  umount "$TMP/state" 2>/dev/null
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
fail() {
  echo "FAIL: $*" >&2
  [ -f "$TMP/ctl.log" ] && { echo "---- controller log ----" >&2; tail -n 30 "$TMP/ctl.log" >&2; }
  exit 1
}

mkdir -p "$TMP/m" "$TMP/state"
cat >"$TMP/m/pools.yaml" <<'Y'
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec:
  addresses: [198.51.100.0/24, 203.0.113.0/24, "2001:db8:1::/64"]
Y
services() {  # services N TAG: N LoadBalancer services, TAG changes their content
  local n=$1 tag=$2 i
  for ((i = 0; i < n; i++)); do
    printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: s%d, namespace: default, labels: {t: "%s"}}\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\n' "$i" "$tag"
  done
}
services 3 a >"$TMP/m/svc.yaml"
STATE="$TMP/state/state.yaml"
ADDR=""

start() {  # start EXTRA_ARGS...: runs the daemon, waits for its metrics address
  : >"$TMP/ctl.log"
  "$CTL" --manifests "$TMP/m" --state "$STATE" --metrics-addr 127.0.0.1:0 --log-level info "$@" \
    >>"$TMP/ctl.log" 2>&1 &
  CTL_PID=$!
  PIDS+=("$CTL_PID")
  local i
  for ((i = 0; i < 200; i++)); do
    ADDR=$(sed -n 's/.*serving \/metrics and \/healthz on \([0-9.]*:[0-9]*\).*/\1/p' "$TMP/ctl.log" | head -n1)
    [ -n "$ADDR" ] && return 0
    kill -0 "$CTL_PID" 2>/dev/null || fail "controller exited at start"
    sleep 0.05
  done
  fail "controller did not report its metrics address"
}
stop() { kill "$CTL_PID" 2>/dev/null || true; wait "$CTL_PID" 2>/dev/null || true; }
health() { curl -s -o "$TMP/health.body" -w '%{http_code}' "http://$ADDR/healthz" || true; }
metric() { curl -s "http://$ADDR/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 20; i++)); do
    "$@" && return 0
    sleep 0.05
  done
  fail "timed out after ${limit}s waiting for: $what"
}
healthy() { [ "$(health)" = 200 ]; }
unhealthy_with() { [ "$(health)" = 503 ] && grep -q "$1" "$TMP/health.body"; }

# --- 1. invalid edit while running -------------------------------------------------------------
log "1. manifests edited to an invalid state while the controller runs"
start
wait_for 10 "healthy after start" healthy
wait_for 5 "state written" test -s "$STATE"
before=$(cat "$STATE")
[ "$(metric l1net_manifest_reload_failures_total)" = 0 ] || fail "failures metric not 0 at start"
printf 'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: lan}\nspec:\n  addresses: [banana]\n' >"$TMP/m/pools.yaml.new"
mv "$TMP/m/pools.yaml.new" "$TMP/m/pools.yaml"
wait_for 10 "/healthz 503 naming the rejected reload" unhealthy_with "last manifest reload rejected"
grep -q "pools.yaml" "$TMP/health.body" || fail "/healthz body does not name the file: $(cat "$TMP/health.body")"
[ "$(metric l1net_manifest_reload_failures_total)" = 1 ] || fail "reload failures metric is not 1"
[ "$(metric l1net_manifest_last_reload_success)" = 0 ] || fail "last reload success is not 0"
[ "$(cat "$STATE")" = "$before" ] || fail "state changed on an invalid edit"
git_pools='apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: lan, namespace: metallb-system}
spec:
  addresses: [198.51.100.0/24, 203.0.113.0/24, "2001:db8:1::/64"]'
printf '%s\n' "$git_pools" >"$TMP/m/pools.yaml"
wait_for 10 "healthy again after the fix" healthy
[ "$(metric l1net_manifest_last_reload_success)" = 1 ] || fail "last reload success is not 1"
log "ok: invalid edit kept the last good set and showed on /healthz and the metric"

# --- 2. state write fails (read-only dir), retried until it works -------------------------------
log "2. read-only state directory: retry with backoff, /healthz recovers by itself"
mount --bind "$TMP/state" "$TMP/state"
mount -o remount,bind,ro "$TMP/state"
services 4 b >"$TMP/m/svc.yaml"
wait_for 10 "/healthz 503 naming the failed write" unhealthy_with "state.yaml"
grep -q "Read-only file system" "$TMP/health.body" || fail "body: $(cat "$TMP/health.body")"
sleep 2  # a few retries happen
errors=$(metric l1net_controller_state_write_errors_total)
[ "${errors%.*}" -ge 2 ] || fail "expected >= 2 failed writes (retries), got $errors"
mount -o remount,bind,rw "$TMP/state"
wait_for 40 "healthy again with no manifest change" healthy
grep -q "name: s3" "$STATE" || fail "state does not hold the 4th service after the retry"
umount "$TMP/state"
stop
log "ok: write retried ($errors failures) and health recovered"

# --- 3. kill -9 during writes, in a loop -------------------------------------------------------
log "3. kill -9 during state writes, 10 times"
services 2000 c >"$TMP/m/svc.yaml"
for ((round = 0; round < 10; round++)); do
  start
  wait_for 60 "round $round: healthy before the edit" healthy
  # Rewrites: every edit changes every service's labels, so every reconcile writes ~700 KB.
  services 2000 "r$round" >"$TMP/m/svc.yaml.new"
  mv "$TMP/m/svc.yaml.new" "$TMP/m/svc.yaml"
  if ((round % 2 == 0)); then
    # Kill inside the write: as soon as its temp file exists (at most 30 s later).
    deadline=$((SECONDS + 30))
    until compgen -G "$TMP/state/state.yaml.tmp.*" >/dev/null || ((SECONDS > deadline)); do
      sleep 0.002
    done
  else
    sleep "0.$((RANDOM % 9 + 1))"
  fi
  kill -9 "$CTL_PID"
  wait "$CTL_PID" 2>/dev/null || true
  if [ -f "$STATE" ]; then
    "$CTL" --manifests "$TMP/m" --state "$STATE" --once --dry-run -o json --log-level off \
      >/dev/null 2>"$TMP/check.err" || fail "round $round: state incomplete after kill -9: $(cat "$TMP/check.err")"
  fi
  temps_before=$(find "$TMP/state" -name 'state.yaml.tmp.*' | wc -l)
  start
  wait_for 60 "round $round: healthy after restart" healthy
  left=$(find "$TMP/state" -name 'state.yaml.tmp.*' | wc -l)
  [ "$left" -eq 0 ] || fail "round $round: $left temp files left after restart"
  [ "$temps_before" -gt 0 ] && killed_mid_write=$((${killed_mid_write:-0} + 1))
  stop
done
log "ok: 10 kills, state always complete, no temp file after restart (${killed_mid_write:-0} kills left a temp file that the restart removed)"
echo PASS
