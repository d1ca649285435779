#!/usr/bin/env bash
# The real l1net-dnsd binary against the Pi-hole v6 fixture process (fake-pihole) on loopback:
#  - 50 consecutive runs leave at most one live session (each run logs out);
#  - foreign records survive sync; the ledger makes later runs no-ops;
#  - two --pihole-url instances each get the records; one instance down does not block the other;
#  - --once --dry-run on config/ prints the calls for the platform's Pi-hole, run in a fresh
#    network namespace without routes so no packet can leave the machine.
set -euo pipefail

BUILD=$(cd "${1:-build/default}" && pwd)
DNSD="$BUILD/dnsd/l1net-dnsd"
FAKE="$BUILD/tests/fake-pihole"
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
for tool in curl jq unshare; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed"; exit 1; }
done
[ -x "$DNSD" ] && [ -x "$FAKE" ] || { echo "FAIL: l1net-dnsd or fake-pihole not built"; exit 1; }

TMP=$(mktemp -d /tmp/l1net-dnsd-pihole-$$-XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

start_fake() {  # outfile args... ; sets FAKE_PORT
  local out=$1; shift
  "$FAKE" "$@" >"$out" &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q '^PORT ' "$out" 2>/dev/null && break; sleep 0.05; done
  FAKE_PORT=$(awk '/^PORT /{print $2}' "$out")
  [ -n "$FAKE_PORT" ] || fail "fake-pihole did not start"
}
state() { curl -fsS "http://127.0.0.1:$1/__fixture/state"; }

start_fake "$TMP/f1" --password 'pw one' --seed-host '192.0.2.50 manual.example.test'
P1=$FAKE_PORT
start_fake "$TMP/f2" --password 'pw one'
P2=$FAKE_PORT
printf 'pw one\n' >"$TMP/pw"
chmod 600 "$TMP/pw"

mkdir "$TMP/m"
for i in 1 2 3; do
  printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s%s\n  namespace: t\n  annotations:\n    external-dns.kubernetes.io/hostname: s%s.example.test\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\nstatus:\n  loadBalancer:\n    ingress:\n      - ip: 192.0.2.%s\n---\n' "$i" "$i" "$i"
done >"$TMP/m/svc.yaml"

run_dnsd() {
  "$DNSD" --once --manifests "$TMP/m" --provider pihole --pihole-url "http://127.0.0.1:$P1" \
    --pihole-url "http://127.0.0.1:$P2" --pihole-password-file "$TMP/pw" --state "$TMP/ledger.json" \
    --domain-filter example.test "$@" >>"$TMP/dnsd.log" 2>&1
}

log "first run creates on both instances; the manual record stays"
run_dnsd || fail "first run failed"
for p in $P1 $P2; do
  [ "$(state "$p" | jq '[.hosts[] | select(test("^192.0.2.[123] s[123].example.test$"))] | length')" = 3 ] ||
    fail "instance $p lacks the records: $(state "$p")"
done
[ "$(state "$P1" | jq -r '.hosts[0]')" = "192.0.2.50 manual.example.test" ] || fail "foreign record changed"
grep -q 'pw one' "$TMP/dnsd.log" && fail "the password appears in the log"

log "50 consecutive runs"
for _ in $(seq 50); do run_dnsd || fail "a run failed"; done
live1=$(state "$P1" | jq .live_sessions)
live2=$(state "$P2" | jq .live_sessions)
logins1=$(state "$P1" | jq .logins)
log "instance 1: live sessions $live1 after $logins1 logins; instance 2: live $live2"
[ "$live1" -le 1 ] && [ "$live2" -le 1 ] || fail "sessions leaked: $live1 / $live2"
[ "$(state "$P1" | jq '.hosts | length')" = 4 ] || fail "records duplicated or lost: $(state "$P1")"

log "daemon: event-driven sync (>= 5 s apart), metrics and /healthz, logout on SIGTERM"
MPORT=""
for p in $(shuf -i 20000-60000 -n 20); do
  if ! ss -Hltn "sport = :$p" | grep -q .; then MPORT=$p; break; fi
done
"$DNSD" --manifests "$TMP/m" --provider pihole --pihole-url "http://127.0.0.1:$P1" \
  --pihole-password-file "$TMP/pw" --state "$TMP/ledger-daemon.json" --domain-filter example.test \
  --interval 1h --metrics-addr "127.0.0.1:$MPORT" >"$TMP/daemon.log" 2>&1 &
DPID=$!
PIDS+=("$DPID")
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$MPORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$MPORT/healthz" | grep -qx ok || fail "healthz not ok"
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$MPORT/metrics" | grep -q '^external_dns_controller_last_sync_timestamp_seconds [1-9]' && break
  sleep 0.1
done
metrics=$(curl -fsS "http://127.0.0.1:$MPORT/metrics")
for m in external_dns_controller_last_sync_timestamp_seconds external_dns_registry_endpoints_total \
  external_dns_source_endpoints_total l1net_dnsd_foreign_records_skipped l1net_dnsd_pihole_sessions_opened_total; do
  echo "$metrics" | grep -q "^$m" || fail "metric $m missing"
done
echo "$metrics" | grep -q '^external_dns_source_endpoints_total 3$' || fail "source endpoints != 3"
# The first cycle found the three records foreign to this fresh ledger: no writes, counted.
echo "$metrics" | grep -q '^l1net_dnsd_foreign_records_skipped 3$' || fail "foreign count != 3"
t0=$(date +%s.%N)
printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s9\n  namespace: t\n  annotations:\n    external-dns.kubernetes.io/hostname: s9.example.test\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\nstatus:\n  loadBalancer:\n    ingress:\n      - ip: 192.0.2.9\n' >"$TMP/m/s9.yaml"
found=""
for _ in $(seq 150); do
  if state "$P1" | jq -e '.hosts | index("192.0.2.9 s9.example.test")' >/dev/null; then found=1; break; fi
  sleep 0.1
done
[ -n "$found" ] || fail "the new Service was not published after a manifest change"
t1=$(date +%s.%N)
delay=$(awk "BEGIN{print $t1-$t0}")
log "published $(printf '%.1f' "$delay") s after the manifest change (cycles >= 5 s apart)"
kill -TERM "$DPID"
wait "$DPID" || fail "daemon exit status $? on SIGTERM"
[ "$(state "$P1" | jq .live_sessions)" = 0 ] || fail "the daemon left its session open"
rm "$TMP/m/s9.yaml"
run_dnsd || true

log "drift: a record deleted on instance 2 comes back; instance 1 down does not block it"
SID=$(curl -fsS -X POST -d '{"password":"pw one"}' "http://127.0.0.1:$P2/api/auth" | jq -r .session.sid)
curl -fsS -X DELETE -H "X-FTL-SID: $SID" "http://127.0.0.1:$P2/api/config/dns/hosts/192.0.2.2%20s2.example.test"
curl -fsS -X DELETE -H "X-FTL-SID: $SID" "http://127.0.0.1:$P2/api/auth"
kill "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null || true
if run_dnsd; then fail "a run with an instance down must exit non-zero"; fi
[ "$(state "$P2" | jq '.hosts | index("192.0.2.2 s2.example.test")')" != null ] || fail "drift not repaired"

log "--once --dry-run on config/ prints the calls for the platform's Pi-hole (no network: empty netns)"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
url=$(awk -F' *= *' '$1 == "pihole-url" {print $2}' "$ROOT/config/dnsd/dnsd.conf")
[ -n "$url" ] || fail "config/dnsd/dnsd.conf names no pihole-url"
set +e
(cd "$ROOT" && unshare --net "$DNSD" --config config/dnsd/dnsd.conf --once --dry-run \
  --state "$TMP/none.json" >"$TMP/dry.out" 2>"$TMP/dry.err")
rc=$?
set -e
out=$(cat "$TMP/dry.out")
sed 's/^/  /' "$TMP/dry.out"
# The Pi-hole cannot be read here (no network): the plan is against an empty record set, said in
# the log, and the exit status is 1 (as for any instance that could not be read).
[ "$rc" = 1 ] || fail "dry-run with the Pi-hole unreachable: exit $rc, want 1"
grep -q "read failed: .*dry-run: planning against an empty record set" "$TMP/dry.err" ||
  fail "dry-run did not say the Pi-hole could not be read: $(cat "$TMP/dry.err")"
[ ! -e "$TMP/none.json" ] || fail "dry-run wrote the ledger"
echo "$out" | grep -qE "^PUT $url/api/config/dns/hosts/[0-9.]+%20grafana.cell.lan" ||
  fail "dry-run on config/ did not print the grafana call: $out"
echo "$out" | grep -q "^PUT $url/api/config/dns/cnameRecords/docs.cell.lan%2Cgit.cell.lan?restart=false" ||
  fail "dry-run on config/ did not print the CNAME call"
echo "$out" | grep -q "^POST $url/api/action/restartdns" || fail "no restartdns in dry-run"
[ "$(grep -c . "$TMP/dry.out")" = 6 ] || fail "dry-run printed other lines than the 6 calls: $out"
grep -q "dry-run: PUT $url/api/config/dns/hosts/" "$TMP/dry.err" || fail "the calls are not logged"
log "PASS"
