#!/usr/bin/env bash
# l1net-dnsd's hostsfile provider against a real dnsmasq on loopback (high port), checked with
# dig; c-ares verification against the same dnsmasq. Only documentation ranges; everything lives
# in a temporary directory removed on exit, and dnsmasq is stopped by its pid even on failure.
set -euo pipefail

BUILD=$(cd "${1:-build/default}" && pwd)
DNSD="$BUILD/dnsd/l1net-dnsd"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S.%3N)" "$*"; }
fail() {
  echo "FAIL: $*" >&2
  [ -f "$TMP/dnsd.log" ] && tail -n 40 "$TMP/dnsd.log" >&2
  exit 1
}
if [ "$(id -u)" != 0 ]; then
  echo "SKIP: integration tests run as root"
  exit 77
fi
for tool in dnsmasq dig; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is not installed (scripts/install-deps.sh)"; exit 1; }
done
[ -x "$DNSD" ] || { echo "FAIL: $DNSD not built"; exit 1; }

TMP=$(mktemp -d /tmp/l1net-dnsd-$$-XXXXXX)
chmod 755 "$TMP"
DNSMASQ_PID=""
DNSD_PID=""
cleanup() {
  if [ -n "$DNSD_PID" ]; then kill "$DNSD_PID" 2>/dev/null || true; fi
  if [ -n "$DNSMASQ_PID" ]; then kill -CONT "$DNSMASQ_PID" 2>/dev/null || true; kill "$DNSMASQ_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# A free high port on 127.0.0.1 (UDP and TCP).
PORT=""
for p in $(shuf -i 20000-60000 -n 20); do
  if ! ss -Hlun "sport = :$p" | grep -q . && ! ss -Hltn "sport = :$p" | grep -q .; then PORT=$p; break; fi
done
[ -n "$PORT" ] || fail "no free port"

printf '# hand-written\n192.0.2.50 manual.example.test\n' > "$TMP/hosts"
chmod 644 "$TMP/hosts"
dnsmasq --conf-file=/dev/null --listen-address=127.0.0.1 --bind-interfaces --port="$PORT" \
  --no-resolv --no-hosts --local=/example.test/ --addn-hosts="$TMP/hosts" \
  --pid-file="$TMP/dnsmasq.pid" --user=root --log-facility="$TMP/dnsmasq.log"
for _ in $(seq 50); do [ -s "$TMP/dnsmasq.pid" ] && break; sleep 0.1; done
DNSMASQ_PID=$(cat "$TMP/dnsmasq.pid")
log "dnsmasq pid $DNSMASQ_PID on 127.0.0.1:$PORT"

q() { dig @127.0.0.1 -p "$PORT" +short +tries=1 +time=2 "$1" "$2" | sort | paste -sd, -; }

mkdir "$TMP/m"
service() {  # name hostname ip...
  local name=$1 host=$2; shift 2
  printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: t\n  annotations:\n    external-dns.kubernetes.io/hostname: %s\nspec:\n  type: LoadBalancer\n  ports: [{port: 80}]\nstatus:\n  loadBalancer:\n    ingress:\n' "$name" "$host"
  for ip in "$@"; do printf '      - ip: %s\n' "$ip"; done
}
run_dnsd() {
  "$DNSD" --once --mode file --manifests "$TMP/m" --provider hostsfile --hosts-file "$TMP/hosts" \
    --dnsmasq-pid-file "$TMP/dnsmasq.pid" --state "$TMP/ledger.json" \
    --verify-server "127.0.0.1:$PORT" --log-level debug "$@" >>"$TMP/dnsd.log" 2>&1
}

log "1. publish A and AAAA; a Service claiming the manual name is refused"
{ service app app.example.test 192.0.2.7 2001:db8::7; echo '---'; service clash manual.example.test 192.0.2.99; } >"$TMP/m/svc.yaml"
run_dnsd || fail "dnsd run 1 failed"
[ "$(q app.example.test A)" = "192.0.2.7" ] || fail "A app: $(q app.example.test A)"
[ "$(q app.example.test AAAA)" = "2001:db8::7" ] || fail "AAAA app: $(q app.example.test AAAA)"
[ "$(q manual.example.test A)" = "192.0.2.50" ] || fail "manual record changed"
grep -q 'verify A app.example.test: ok' "$TMP/dnsd.log" || fail "c-ares verification did not confirm app"
grep -q 'verify AAAA app.example.test: ok' "$TMP/dnsd.log" || fail "c-ares verification did not confirm AAAA"
grep -q 'manual.example.test: name is held by records dnsd does not own' "$TMP/dnsd.log" || fail "no foreign warning"
head -n 2 "$TMP/hosts" | grep -qx '192.0.2.50 manual.example.test' || fail "outside lines not kept"

log "2. move the IP: the old record goes, the new one comes"
service app app.example.test 192.0.2.8 >"$TMP/m/svc.yaml"
run_dnsd || fail "dnsd run 2 failed"
[ "$(q app.example.test A)" = "192.0.2.8" ] || fail "A app after move: $(q app.example.test A)"
[ -z "$(q app.example.test AAAA)" ] || fail "AAAA not removed"

log "3. dry-run writes nothing"
service app app.example.test 192.0.2.9 >"$TMP/m/svc.yaml"
before=$(md5sum <"$TMP/hosts")
run_dnsd --dry-run || fail "dry-run failed"
[ "$before" = "$(md5sum <"$TMP/hosts")" ] || fail "dry-run changed the hosts file"
grep -q 'dry-run: add to .*192.0.2.9 app.example.test' "$TMP/dnsd.log" || fail "dry-run did not log the change"
[ "$(q app.example.test A)" = "192.0.2.8" ] || fail "dry-run changed DNS"

log "4. Service removed: sync deletes our record and keeps the manual one"
: >"$TMP/m/svc.yaml"
run_dnsd || fail "dnsd run 4 failed"
[ -z "$(q app.example.test A)" ] || fail "app still resolves"
[ "$(q manual.example.test A)" = "192.0.2.50" ] || fail "manual record lost"
grep -q '"instances"' "$TMP/ledger.json" || fail "ledger not written"
log "5. --require-announced: only IPs the controller's state file lists are published"
{ service app app.example.test 192.0.2.7; echo '---'; service other other.example.test 192.0.2.30; } >"$TMP/m/svc.yaml"
service app app.example.test 192.0.2.8 >"$TMP/state.yaml"  # the controller gave app .8; other is not in it
run_dnsd --controller-state "$TMP/state.yaml" --require-announced true || fail "dnsd run 5 failed"
[ "$(q app.example.test A)" = "192.0.2.8" ] || fail "app should take the state's IP: $(q app.example.test A)"
[ -z "$(q other.example.test A)" ] || fail "other is not announced but was published"
run_dnsd --controller-state "$TMP/state.yaml" || fail "dnsd run 6 failed"
[ "$(q other.example.test A)" = "192.0.2.30" ] || fail "without --require-announced other should be published"

log "6. verification never blocks the daemon: dnsmasq stopped, /healthz answers while c-ares waits"
MPORT=""
for p in $(shuf -i 20000-60000 -n 20); do
  if ! ss -Hltn "sport = :$p" | grep -q .; then MPORT=$p; break; fi
done
[ -n "$MPORT" ] || fail "no free metrics port"
: >"$TMP/m/svc.yaml"
for i in $(seq 1 20); do service "v$i" "v$i.example.test" "192.0.2.$((100 + i))"; echo '---'; done >"$TMP/m/svc.yaml"
kill -STOP "$DNSMASQ_PID"  # DNS queries now go unanswered
: >"$TMP/dnsd.log"
"$DNSD" --mode file --manifests "$TMP/m" --provider hostsfile --hosts-file "$TMP/hosts" \
  --dnsmasq-pid-file "$TMP/dnsmasq.pid" --state "$TMP/ledger.json" \
  --verify-server "127.0.0.1:$PORT" --metrics-addr "127.0.0.1:$MPORT" --log-level debug \
  >>"$TMP/dnsd.log" 2>&1 &
DNSD_PID=$!
for _ in $(seq 100); do grep -q 'created A v20.example.test' "$TMP/dnsd.log" && break; sleep 0.05; done
grep -q 'created A v20.example.test' "$TMP/dnsd.log" || fail "daemon did not apply"
grep -q 'verify A .*query failed' "$TMP/dnsd.log" && fail "verification ended before the check (too fast to test)"
t0=$(date +%s%N)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$MPORT/healthz") || true
t1=$(date +%s%N)
log "/healthz during verification: HTTP $code in $(( (t1 - t0) / 1000000 )) ms"
[ "$code" = 200 ] || fail "/healthz did not answer while a verification query was pending"
grep -q 'verify A .*query failed' "$TMP/dnsd.log" && fail "the query was over before /healthz answered"
for _ in $(seq 200); do grep -q 'skipping the [0-9]* other check' "$TMP/dnsd.log" && break; sleep 0.05; done
grep -q 'query failed: .*skipping the [0-9]* other check' "$TMP/dnsd.log" || fail "verification did not time out and skip the rest"
curl -s --max-time 2 "http://127.0.0.1:$MPORT/metrics" | grep -q '^l1net_dnsd_verify_errors_total 1$' \
  || fail "verify error not counted"
kill -CONT "$DNSMASQ_PID"
kill "$DNSD_PID"
wait "$DNSD_PID" || fail "dnsd exited non-zero after SIGTERM"
DNSD_PID=""
[ "$(q v20.example.test A)" = "192.0.2.120" ] || fail "v20 not served after dnsmasq resumed"
kill -0 "$DNSMASQ_PID" || fail "dnsmasq died"
log "PASS"
