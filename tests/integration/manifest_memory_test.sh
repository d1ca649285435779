#!/usr/bin/env bash
# issue 8 item 9: a valid large set stays within 10x its file size in memory, in a daemon (the
# loader alone is covered by manifest_test's heap count). The speaker, in a network namespace of
# this run, loads a generated 8 MiB manifest of realistic LoadBalancer Services; once it runs and
# 1 s more has passed, its peak resident set (VmHWM of /proc/PID/status: everything the process
# ever held, libraries included) must be at most 10x the file's bytes. The controller daemon
# (with --state, so the state is rendered and written) is checked the same way once it has
# written a complete state.
# Usage: bash tests/integration/manifest_memory_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require awk
CONTROLLER="$L1T_BUILD/controller/l1net-controller"
[ -x "$CONTROLLER" ] || l1t_fail "$CONTROLLER not built"

POOLS="$L1T_TMP/pools.yaml"
SVC="$L1T_TMP/services.yaml"
cat >"$POOLS" <<'EOF'
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: big, namespace: metallb-system}
spec:
  addresses: ["2001:db8::/64"]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {name: big, namespace: metallb-system}
EOF
# The same Service shape as bench/manifest_mem (labels, an annotation, a selector, two ports), single
# stack IPv6 so that every Service gets an IP from the pool (and the state holds it).
awk -v want=$((8 * 1024 * 1024)) 'BEGIN {
  for (i = 0; n < want; i++) {
    d = "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-" i "\n  namespace: ns-" (i % 50) \
        "\n  labels:\n    app: app-" i "\n    team: platform\n  annotations:\n" \
        "    metallb.io/allow-shared-ip: key-" i "\nspec:\n  type: LoadBalancer\n  ipFamilies: [IPv6]\n" \
        "  selector:\n" \
        "    app: app-" i "\n  ports:\n  - name: http\n    port: 80\n    protocol: TCP\n" \
        "    targetPort: 8080\n  - name: https\n    port: 443\n    protocol: TCP\n    targetPort: 8443\n"
    printf "%s", d
    n += length(d)
  }
}' >"$SVC"
BYTES=$(stat -c %s "$SVC")
SERVICES=$(grep -c '^kind: Service$' "$SVC")
l1t_log "manifest: $BYTES bytes, $SERVICES Services"

hwm_kib() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }

# check NAME PID: the peak RSS of PID against 10x the file.
check() {
  local name=$1 pid=$2 hwm
  hwm=$(hwm_kib "$pid")
  [ -n "$hwm" ] || l1t_fail "$name: no VmHWM for pid $pid (did it exit?)"
  local limit=$((BYTES * 10 / 1024))
  local ratio
  ratio=$(awk -v h="$hwm" -v b="$BYTES" 'BEGIN { printf "%.2f", h * 1024 / b }')
  l1t_log "$name: VmHWM $hwm KiB = ${ratio}x the file (limit $limit KiB = 10x)"
  [ "$hwm" -le "$limit" ] || l1t_fail "$name: peak RSS $hwm KiB is ${ratio}x the $BYTES-byte file, over 10x"
  l1t_pass "$name stays within 10x the file (${ratio}x)"
}

# The controller daemon: reconcile and write the state of every Service.
STATE="$L1T_TMP/state.yaml"
"$CONTROLLER" --manifests "$POOLS" --manifests "$SVC" --state "$STATE" \
  --metrics-addr 127.0.0.1:0 --log-level warn >"$L1T_TMP/controller.log" 2>&1 &
CPID=$!
L1T_PIDS+=("$CPID")
state_written() { [ -s "$STATE" ] && tail -n 1 "$STATE" | grep -q '^# l1net-state-end '; }
l1t_wait_for 300 state_written || l1t_fail "controller wrote no complete state: $(tail -n 5 "$L1T_TMP/controller.log")"
[ "$(tail -n 1 "$STATE" | sed 's/.*services=\([0-9]*\).*/\1/')" = "$SERVICES" ] ||
  l1t_fail "state holds $(tail -n 1 "$STATE") for $SERVICES Services"
sleep 0.5
ASSIGNED=$(grep -c '^ *- ip: "\?2001:db8:' "$STATE" || true)
[ "$ASSIGNED" = "$SERVICES" ] || l1t_fail "state assigns $ASSIGNED IPs for $SERVICES Services: $(grep -m1 -A3 status: "$STATE")"
check controller "$CPID"
kill "$CPID"
wait "$CPID" 2>/dev/null || true

# The speaker, alone in a namespace of this run.
NS="${L1T_PREFIX}mem"
l1t_add_ns "$NS"
mkdir -p "$L1T_TMP/run"
ip netns exec "$NS" "$L1T_SPEAKER" --manifests "$POOLS" --manifests "$SVC" --node mem-node \
  --insecure-mesh --metrics-addr 127.0.0.1:0 --control-socket "$L1T_SOCK" --log-level info \
  >"$L1T_TMP/speaker.log" 2>&1 &
SPID=$!
L1T_PIDS+=("$SPID")
running() { grep -q 'running: control' "$L1T_TMP/speaker.log"; }
l1t_wait_for 300 running || l1t_fail "speaker did not start"
sleep 1
check speaker "$SPID"
