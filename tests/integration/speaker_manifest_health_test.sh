#!/usr/bin/env bash
# issue 8 item 13 / issue 9 seams: the speaker's FileObjectSource reports on /healthz and
# /metrics as the controller's does. An invalid manifest edit keeps the last good set (the VIP is
# still answered), makes /healthz 503 naming the rejected reload and the file, and raises
# l1net_manifest_reload_failures_total; a valid edit makes /healthz 200 again.
# Usage: bash tests/integration/speaker_manifest_health_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require arping curl

l1t_topology
M="$L1T_TMP/manifests.yaml"
l1t_manifests "$M" "$L1T_VIP4"
l1t_start_speaker "$M"

health() { l1t_node curl -s -o "$L1T_TMP/health.body" -w '%{http_code}' "http://$L1T_METRICS/healthz" || true; }
failures() { l1t_metrics | awk '$1 == "l1net_manifest_reload_failures_total" { print $2 }'; }
unhealthy_naming_reload() {
  [ "$(health)" = 503 ] && grep -q "last manifest reload rejected" "$L1T_TMP/health.body"
}
healthy() { [ "$(health)" = 200 ]; }

l1t_wait_for 5 healthy || l1t_fail "/healthz not 200 at start: $(cat "$L1T_TMP/health.body")"
before=$(failures)
[ "$before" = 0 ] || l1t_fail "l1net_manifest_reload_failures_total is '$before' at start, want 0"
l1t_pass "/healthz 200, reload failures 0"

# An invalid edit: a pool with an address that is not one.
L1T_EXTRA_MANIFESTS=$'apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: {name: bad, namespace: metallb-system}\nspec:\n  addresses: [banana]' \
  l1t_manifests "$M" "$L1T_VIP4"
l1t_wait_for 10 unhealthy_naming_reload || l1t_fail "/healthz did not turn 503 naming the reload: $(health) $(cat "$L1T_TMP/health.body")"
grep -q "manifests.yaml" "$L1T_TMP/health.body" || l1t_fail "/healthz body does not name the file: $(cat "$L1T_TMP/health.body")"
after=$(failures)
[ "$after" -ge 1 ] || l1t_fail "l1net_manifest_reload_failures_total did not rise: $before -> $after"
out=$(l1t_client arping -c 2 -w 3 -I eth-client "$L1T_VIP4" 2>&1) || l1t_fail "last good set not kept, no ARP reply: $out"
l1t_pass "invalid edit: /healthz 503 '$(cat "$L1T_TMP/health.body")', failures $before -> $after, VIP still answered"

l1t_manifests "$M" "$L1T_VIP4"
l1t_wait_for 10 healthy || l1t_fail "/healthz not 200 after a valid edit: $(cat "$L1T_TMP/health.body")"
l1t_pass "valid edit: /healthz 200 again"

l1t_stop_speaker || l1t_fail "speaker did not exit cleanly"
l1t_log "PASS"
