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
cleanup() {
  if [ -n "$DNSMASQ_PID" ]; then kill "$DNSMASQ_PID" 2>/dev/null || true; fi
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
kill -0 "$DNSMASQ_PID" || fail "dnsmasq died"
log "PASS"
