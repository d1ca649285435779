#!/usr/bin/env bash
# Forged heartbeats: the owner crashes (kill -9, cable pulled) and an impostor without the mesh
# key takes its place on the LAN (same IP, another MAC) and sends well-formed heartbeats in its
# name under another key. The survivors drop them as forged, declare the owner dead after the
# dead time (100 ms x 20 = 2 s here, so the impostor is heard long before) and take over.
# Usage: bash tests/integration/failover_forged_test.sh BUILD_DIR  (root; exit 77 = skipped)
source "$(dirname "$0")/failover_lib.sh"
l1t_require jq sha256sum curl

L1F_SPEAKER_FLAGS=(--heartbeat-interval 100 --heartbeat-multiplier 20)
l1f_setup
l1f_key "$L1T_TMP/wrong.key"
l1f_start_cluster

vip=${L1F_VIPS[2]}
mapfile -t rank < <(l1f_rank "$vip" "${L1F_NODES[@]}")
owner=${rank[0]} next=${rank[1]}
l1t_client ping -c 1 -W 1 "$vip" >/dev/null || l1f_fail "no ping reply from $vip"

# The impostor: its own namespace, the owner's IP, no services (it only heartbeats).
imp=$(l1f_ns impostor)
l1t_add_ns "$imp"
l1t_attach "$imp" eth-node 02:00:5e:10:0b:ff p-impostor
ip -n "$imp" addr add "${L1F_IP[$owner]}/24" dev eth-node
ip -n "$imp" link set eth-node up
l1f_manifests "$L1T_TMP/impostor.yaml" nodes-only

forged_before=$(l1f_metric "$next" 'l1net_mesh_dropped_total{reason="forged"}')
start=$(l1t_now)
kill -9 "${L1F_PID[$owner]}"
wait "${L1F_PID[$owner]}" 2>/dev/null || true
l1f_cut "$owner"
ip netns exec "$imp" "$L1T_SPEAKER" --node "$owner" --manifests "$L1T_TMP/impostor.yaml" \
  --control-socket "$L1T_TMP/impostor.sock" --metrics-addr 127.0.0.1:17473 \
  --mesh-key-file "$L1T_TMP/wrong.key" --mesh-bind "${L1F_IP[$owner]}:7947" \
  "${L1F_SPEAKER_FLAGS[@]}" >>"$L1T_TMP/impostor.log" 2>&1 &
L1T_PIDS+=($!)

moved=$(l1f_wait_client_at "$vip" "$next" 600 0.01) ||
  l1f_fail "the forged heartbeats kept $owner alive: client still at $(l1f_neigh_mac "$vip")"
ms=$(l1t_elapsed_ms "$start" "$moved")
l1t_pass "client moved to $next ${ms} ms after the crash despite the impostor"
forged=$(l1f_metric "$next" 'l1net_mesh_dropped_total{reason="forged"}')
[ "${forged%.*}" -gt "${forged_before%.*}" ] ||
  l1f_fail "$next counted no forged heartbeat ($forged); impostor log: $(tail -n 5 "$L1T_TMP/impostor.log")"
state=$(l1f_member_state "$next" "$owner")
[ "$state" = dead ] || l1f_fail "$next sees $owner as '$state', want dead"
l1t_pass "$next dropped $((${forged%.*} - ${forged_before%.*})) forged heartbeats and sees $owner dead"
l1t_log "PASS"
