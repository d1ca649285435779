#!/usr/bin/env bash
# No false failover under stress, 60 s version of bench/mesh_stress (three speakers at default
# heartbeat settings, every core saturated by stress-ng, 5 % loss and 20 +- 20 ms delay on each
# mesh datagram): fails when any speaker announces or withdraws an IP or declares a live peer
# dead after the cluster settled.
# Usage: bash tests/integration/mesh_stress_test.sh BUILD_DIR  (root; exit 77 = skipped)
L1NET_MESH_STRESS_CHECK=1 exec bash "$(dirname "$0")/../../bench/mesh_stress/mesh_stress.sh" \
  "${1:-build/default}" "${L1NET_MESH_STRESS_SECONDS:-60}"
