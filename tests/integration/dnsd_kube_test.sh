#!/usr/bin/env bash
# The real l1net-dnsd binary in --mode kubernetes against the kube-apiserver fixture process
# (fake-apiserver, bearer token required) and the Pi-hole v6 fixture process (fake-pihole), on
# loopback: --kubeconfig, a Service published, --require-announced (default on) waits for a
# ServiceL2Status, the ledger ConfigMap is created once and survives a restart, a deleted Service
# is removed and the foreign record stays; as a daemon, changes arrive by watch (informers), also
# across watches cut mid-event and a compaction (410, relist).
set -euo pipefail

BUILD=$(cd "${1:-build/default}" && pwd)
DNSD="$BUILD/dnsd/l1net-dnsd"
FAKE_PH="$BUILD/tests/fake-pihole"
FAKE_API="$BUILD/tests/fake-apiserver"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
fail() {
  echo "FAIL: $*" >&2
  [ -f "$TMP/dnsd.log" ] && tail -n 30 "$TMP/dnsd.log" >&2
  exit 1
}
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: integration tests run as root"
  exit 77
fi
for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done
for b in "$DNSD" "$FAKE_PH" "$FAKE_API"; do [ -x "$b" ] || { echo "FAIL: $b not built"; exit 1; }; done

TMP=$(mktemp -d /tmp/l1net-dnsd-kube-$$-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

start() {  # outfile binary args... ; sets PORT_OUT
  local out=$1; shift
  "$@" >"$out" &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q '^PORT ' "$out" 2>/dev/null && break; sleep 0.05; done
  PORT_OUT=$(awk '/^PORT /{print $2}' "$out")
  [ -n "$PORT_OUT" ] || fail "$2 did not start"
}
start "$TMP/ph" "$FAKE_PH" --seed-host '192.0.2.50 manual.example.test'
PH=$PORT_OUT
start "$TMP/api" "$FAKE_API" --token dnsd-token
API=$PORT_OUT
K="http://127.0.0.1:$API"
kc() {  # method path [json]
  curl -fsS -X "$1" -H 'Authorization: Bearer dnsd-token' -H 'Content-Type: application/json' \
    "$K$2" ${3:+--data "$3"}
}
cat >"$TMP/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$K"}}]
users: [{name: u, user: {token: dnsd-token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
KC
run_dnsd() {
  PIHOLE_PASSWORD='correct horse' "$DNSD" --mode kubernetes --once --kubeconfig "$TMP/kubeconfig" \
    --provider pihole --pihole-url "http://127.0.0.1:$PH" "$@" >>"$TMP/dnsd.log" 2>&1
}
hosts() { curl -fsS "http://127.0.0.1:$PH/__fixture/state" | jq -r '.hosts | sort | join(",")'; }

log "1. a LoadBalancer Service with an IP, not announced yet: nothing published"
kc POST /api/v1/namespaces/web/services '{"apiVersion":"v1","kind":"Service","metadata":{"name":"shop","namespace":"web","annotations":{"external-dns.kubernetes.io/hostname":"shop.example.test"}},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}' >/dev/null
kc GET /api/v1/namespaces/web/services/shop \
  | jq -c '.status = {"loadBalancer":{"ingress":[{"ip":"192.0.2.10"}]}}' >"$TMP/svc.json"
kc PUT /api/v1/namespaces/web/services/shop/status "$(cat "$TMP/svc.json")" >/dev/null
run_dnsd || fail "run 1 failed"
[ "$(hosts)" = "192.0.2.50 manual.example.test" ] || fail "published before announced: $(hosts)"

log "2. a ServiceL2Status names it: published; the ledger ConfigMap is created"
kc POST /apis/metallb.io/v1beta1/namespaces/l1net-system/servicel2statuses '{"apiVersion":"metallb.io/v1beta1","kind":"ServiceL2Status","metadata":{"name":"l2-shop","namespace":"l1net-system"},"status":{"node":"n1","serviceName":"shop","serviceNamespace":"web"}}' >/dev/null
if ! kc GET /apis/metallb.io/v1beta1/namespaces/l1net-system/servicel2statuses/l2-shop | jq -e '.status.serviceName' >/dev/null; then
  kc GET /apis/metallb.io/v1beta1/namespaces/l1net-system/servicel2statuses/l2-shop \
    | jq -c '.status = {"node":"n1","serviceName":"shop","serviceNamespace":"web"}' >"$TMP/l2.json"
  kc PUT /apis/metallb.io/v1beta1/namespaces/l1net-system/servicel2statuses/l2-shop/status "$(cat "$TMP/l2.json")" >/dev/null
fi
run_dnsd || fail "run 2 failed"
[ "$(hosts)" = "192.0.2.10 shop.example.test,192.0.2.50 manual.example.test" ] || fail "not published: $(hosts)"
kc GET /api/v1/namespaces/l1net-system/configmaps/l1net-dnsd-ledger | jq -r '.data["ledger.json"]' \
  | grep -q shop.example.test || fail "ledger ConfigMap lacks the record"

log "3. restart: nothing written, no second ConfigMap"
rv=$(kc GET /api/v1/namespaces/l1net-system/configmaps/l1net-dnsd-ledger | jq -r .metadata.resourceVersion)
run_dnsd || fail "run 3 failed"
[ "$(kc GET /api/v1/namespaces/l1net-system/configmaps/l1net-dnsd-ledger | jq -r .metadata.resourceVersion)" = "$rv" ] \
  || fail "the ledger was rewritten without a change"
[ "$(kc GET /api/v1/namespaces/l1net-system/configmaps | jq '.items | length')" = 1 ] || fail "duplicate ConfigMap"
grep -q 'sync done: 0 created, 0 deleted' "$TMP/dnsd.log" || fail "restart was not a no-op"

log "4. Service deleted: its record goes, the foreign one stays"
kc DELETE /api/v1/namespaces/web/services/shop >/dev/null
run_dnsd || fail "run 4 failed"
[ "$(hosts)" = "192.0.2.50 manual.example.test" ] || fail "after delete: $(hosts)"
[ "$(curl -fsS "http://127.0.0.1:$PH/__fixture/state" | jq .live_sessions)" = 0 ] || fail "session leaked"

log "5. as a daemon: a Service added is published by its watch event (--interval 1h), SIGTERM logs out"
MPORT=""
for p in $(shuf -i 20000-60000 -n 20); do
  if ! ss -Hltn "sport = :$p" | grep -q .; then MPORT=$p; break; fi
done
[ -n "$MPORT" ] || fail "no free metrics port"
PIHOLE_PASSWORD='correct horse' "$DNSD" --mode kubernetes --kubeconfig "$TMP/kubeconfig" \
  --provider pihole --pihole-url "http://127.0.0.1:$PH" --require-announced false --interval 1h \
  --metrics-addr "127.0.0.1:$MPORT" >>"$TMP/dnsd.log" 2>&1 &
DPID=$!
PIDS+=("$DPID")
kc POST /api/v1/namespaces/web/services '{"apiVersion":"v1","kind":"Service","metadata":{"name":"late","namespace":"web","annotations":{"external-dns.kubernetes.io/hostname":"late.example.test"}},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}' >/dev/null
kc GET /api/v1/namespaces/web/services/late \
  | jq -c '.status = {"loadBalancer":{"ingress":[{"ip":"192.0.2.11"}]}}' >"$TMP/svc.json"
kc PUT /api/v1/namespaces/web/services/late/status "$(cat "$TMP/svc.json")" >/dev/null
# The first sync follows the informers' first list; the event-driven one comes at least
# --min-event-interval (5 s) after it: wait up to 30 s.
for _ in $(seq 300); do [ "$(hosts)" = "192.0.2.11 late.example.test,192.0.2.50 manual.example.test" ] && break; sleep 0.1; done
[ "$(hosts)" = "192.0.2.11 late.example.test,192.0.2.50 manual.example.test" ] || fail "daemon did not publish: $(hosts)"
[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$MPORT/healthz")" = 200 ] || fail "/healthz"

log "5b. watches cut mid-event and history compacted: a Service added meanwhile still arrives"
CTL=$(awk '/^CONTROL /{print $2}' "$TMP/api")
[ -n "$CTL" ] || fail "fake-apiserver printed no CONTROL port"
curl -fsS "http://127.0.0.1:$CTL/__fixture/drop-watches" >/dev/null
kc POST /api/v1/namespaces/web/services '{"apiVersion":"v1","kind":"Service","metadata":{"name":"later","namespace":"web","annotations":{"external-dns.kubernetes.io/hostname":"later.example.test"}},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}' >/dev/null
kc GET /api/v1/namespaces/web/services/later \
  | jq -c '.status = {"loadBalancer":{"ingress":[{"ip":"192.0.2.12"}]}}' >"$TMP/svc.json"
kc PUT /api/v1/namespaces/web/services/later/status "$(cat "$TMP/svc.json")" >/dev/null
curl -fsS "http://127.0.0.1:$CTL/__fixture/compact" >/dev/null
want="192.0.2.11 late.example.test,192.0.2.12 later.example.test,192.0.2.50 manual.example.test"
for _ in $(seq 300); do [ "$(hosts)" = "$want" ] && break; sleep 0.1; done
[ "$(hosts)" = "$want" ] || fail "daemon lost the change made while its watches were down: $(hosts)"
kill "$DPID"
wait "$DPID" || fail "daemon exited non-zero after SIGTERM"
[ "$(curl -fsS "http://127.0.0.1:$PH/__fixture/state" | jq .live_sessions)" = 0 ] || fail "daemon leaked its session"

log "6. a wrong token is a clear error, exit 1, nothing written"
sed -i 's/token: dnsd-token/token: wrong/' "$TMP/kubeconfig"
if run_dnsd; then fail "run with a wrong token succeeded"; fi
grep -q 'kubernetes API: /api/v1/services: list failed: HTTP 401' "$TMP/dnsd.log" || fail "no clear 401 error"
log "PASS"
