#!/usr/bin/env bash
# speakerctl against a fake control socket (a python3 Unix-socket server) that misbehaves: it
# stalls, trickles bytes, sends garbage, sends {}, refuses without a reason, closes without a
# byte, or sends 20 MiB. speakerctl must exit 1 within its --timeout with one clear,
# non-empty line on stderr each time. No namespace needed; runs where the other integration
# tests run.
# Usage: bash tests/integration/speakerctl_fake_daemon_test.sh BUILD_DIR  (exit 77 = skipped)
source "$(dirname "$0")/lib.sh"
l1t_require python3

sock="$L1T_TMP/fake.sock"
fake_pid=""
start_fake() { # start_fake MODE
  rm -f "$sock"
  python3 - "$sock" "$1" <<'PY' &
import os, socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(4)
while True:
    c, _ = s.accept()
    c.recv(65536)  # the request line
    try:
        if mode == "stall":
            time.sleep(3600)
        elif mode == "trickle":
            for _ in range(3600):
                c.send(b" ")
                time.sleep(0.2)
        elif mode == "garbage":
            c.send(b"\x00\x01garbage\n")
        elif mode == "empty-object":
            c.send(b"{}\n")
        elif mode == "silent-refusal":
            c.send(b'{"ok":false}\n')
        elif mode == "close":
            pass
        elif mode == "huge":
            chunk = b"x" * 65536
            for _ in range(20 * 16):
                c.sendall(chunk)
            time.sleep(3600)
    except (BrokenPipeError, ConnectionResetError):
        pass
    c.close()
PY
  fake_pid=$!
  L1T_PIDS+=("$fake_pid")
  for _ in $(seq 100); do
    [ -S "$sock" ] && return 0
    sleep 0.05
  done
  l1t_fail "the fake daemon did not start"
}
stop_fake() {
  kill "$fake_pid" 2>/dev/null || true
  wait "$fake_pid" 2>/dev/null || true
}

# check MODE TIMEOUT REGEX: speakerctl exits 1 within TIMEOUT + 2 s, stderr one line matching REGEX
check() {
  local mode=$1 timeout=$2 want=$3 rc=0 out t0 ms
  start_fake "$mode"
  t0=$(l1t_now)
  out=$("$L1T_CTL" --socket "$sock" --timeout "$timeout" status 2>&1 >/dev/null) || rc=$?
  ms=$(l1t_elapsed_ms "$t0" "$(l1t_now)")
  stop_fake
  [ "$rc" -eq 1 ] || l1t_fail "$mode: exit $rc, want 1 ($out)"
  [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] || l1t_fail "$mode: not one line: $out"
  echo "$out" | grep -qE "$want" || l1t_fail "$mode: message '$out' does not match '$want'"
  [ "$ms" -lt 12000 ] || l1t_fail "$mode: took $ms ms with --timeout $timeout"
  l1t_pass "$mode: exit 1 after $ms ms: $out"
}

check stall 1s 'no complete reply from l1net-speaker at .* within 1000 ms \(--timeout\)'
check trickle 1500ms 'no complete reply .* within 1500 ms'
check garbage 5s 'malformed reply from l1net-speaker at .*: not one JSON object'
check empty-object 5s 'malformed reply: no boolean "ok" field'
check silent-refusal 5s 'refused the request without saying why'
check close 5s 'closed the connection without a reply'
check huge 10s 'is larger than 16777216 bytes'

rc=0
out=$("$L1T_CTL" --socket "$sock" --timeout 0 status 2>&1) || rc=$?
[ "$rc" -eq 2 ] || l1t_fail "--timeout 0: exit $rc ($out)"
rc=0
out=$("$L1T_CTL" --socket "$sock" --timeout soon status 2>&1) || rc=$?
[ "$rc" -eq 2 ] || l1t_fail "--timeout soon: exit $rc ($out)"
l1t_pass "--timeout 0 / soon: usage errors (exit 2)"
l1t_log "PASS"
