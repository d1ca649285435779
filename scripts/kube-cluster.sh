#!/usr/bin/env bash
# A throwaway Kubernetes control plane on loopback for the real-apiserver lane: Debian's etcd and
# the kube-apiserver that scripts/kube-apiserver.sh builds (and caches), TLS with a fresh CA, RBAC.
#
#   scripts/kube-cluster.sh up DIR     # start; writes DIR/{admin,nobody}.kubeconfig and DIR/env
#   scripts/kube-cluster.sh down DIR   # stop both and remove DIR
#
# DIR/admin.kubeconfig is a system:masters client certificate; DIR/nobody.kubeconfig is a user
# with no RBAC binding (every request is a 403). DIR/env sets KUBE_SERVER and KUBECONFIG (admin).
# Everything listens on 127.0.0.1 only, on free ephemeral ports; the Service cluster IP range is
# the documentation range 198.51.100.0/24 (nothing is routed there).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
  echo "usage: $0 up|down DIR" >&2
  exit 2
}

stop_pid() {
  local f=$1
  [ -f "$f" ] || return 0
  local pid
  pid=$(cat "$f")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

if [ "$cmd" = down ]; then
  stop_pid "$dir/apiserver.pid"
  stop_pid "$dir/etcd.pid"
  rm -rf "$dir"
  exit 0
fi
[ "$cmd" = up ] || {
  echo "usage: $0 up|down DIR" >&2
  exit 2
}

apiserver=$("$here/kube-apiserver.sh")
command -v etcd >/dev/null || {
  echo "kube-cluster: etcd is missing (scripts/kube-apiserver.sh installs etcd-server)" >&2
  exit 1
}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- certificates -----------------------------------------------------------------------------
pki="$dir/pki"
mkdir -p "$pki"
ossl() { openssl "$@" 2>/dev/null; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 2 \
  -subj "/CN=l1net-test-ca"
issue() {  # name subject [extensions]
  local name=$1 subj=$2 ext=${3:-}
  ossl req -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "$subj"
  if [ -n "$ext" ]; then
    printf '%s\n' "$ext" >"$pki/$name.ext"
    ossl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -out "$pki/$name.crt" -days 2 -extfile "$pki/$name.ext"
  else
    ossl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
      -out "$pki/$name.crt" -days 2
  fi
}
issue apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
issue admin "/O=system:masters/CN=l1net-admin" "extendedKeyUsage=clientAuth"
issue nobody "/CN=l1net-nobody" "extendedKeyUsage=clientAuth"
ossl genrsa -out "$pki/sa.key" 2048
ossl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub"

# --- etcd ---------------------------------------------------------------------------------------
etcd_client=$(free_port)
etcd_peer=$(free_port)
etcd --name l1net-test --data-dir "$dir/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_client" \
  --advertise-client-urls "http://127.0.0.1:$etcd_client" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "l1net-test=http://127.0.0.1:$etcd_peer" \
  --listen-metrics-urls "" >"$dir/etcd.log" 2>&1 &
echo $! >"$dir/etcd.pid"

# --- kube-apiserver -----------------------------------------------------------------------------
port=$(free_port)
"$apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_client" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$port" --insecure-port 0 \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --authorization-mode RBAC --service-cluster-ip-range 198.51.100.0/24 \
  --endpoint-reconciler-type none --enable-priority-and-fairness=false \
  >"$dir/apiserver.log" 2>&1 &
echo $! >"$dir/apiserver.pid"

kubeconfig() {  # user
  cat >"$dir/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority: $pki/ca.crt
users:
- name: $1
  user:
    client-certificate: $pki/$1.crt
    client-key: $pki/$1.key
contexts:
- name: $1
  context: {cluster: test, user: $1}
current-context: $1
EOF
}
kubeconfig admin
kubeconfig nobody
cat >"$dir/env" <<EOF
KUBE_SERVER=https://127.0.0.1:$port
KUBECONFIG=$dir/admin.kubeconfig
EOF

for _ in $(seq 1 600); do
  if curl -sf --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
    echo "kube-cluster: kube-apiserver ready at https://127.0.0.1:$port ($dir)" >&2
    exit 0
  fi
  if ! kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null; then
    echo "kube-cluster: kube-apiserver exited; its log:" >&2
    tail -30 "$dir/apiserver.log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "kube-cluster: kube-apiserver not ready after 120 s; its log:" >&2
tail -30 "$dir/apiserver.log" >&2
exit 1
