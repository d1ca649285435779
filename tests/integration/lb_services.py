#!/usr/bin/env python3
"""Manifests of many LoadBalancer Services, for tests and benchmarks at scale.

Usage: lb_services.py NAMESPACE ADDRESS... < IPS
Prints the IPAddressPool "lan" over the ADDRESSes, an L2Advertisement of it, and one Service per
line of IPS (svc0, svc1, ... in NAMESPACE) carrying that IP in its status, as the controller
writes it.
"""
import sys


def main() -> None:
    namespace, addresses = sys.argv[1], sys.argv[2:]
    quoted = ", ".join(f'"{a}"' for a in addresses)
    out = [f"""apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {{name: lan, namespace: metallb-system}}
spec:
  addresses: [{quoted}]
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: {{name: lan, namespace: metallb-system}}
spec:
  ipAddressPools: [lan]"""]
    for i, ip in enumerate(line.strip() for line in sys.stdin if line.strip()):
        out.append(f"""---
apiVersion: v1
kind: Service
metadata: {{name: svc{i}, namespace: {namespace}}}
spec:
  type: LoadBalancer
  ports: [{{port: 80, protocol: TCP}}]
status:
  loadBalancer:
    ingress: [{{ip: "{ip}"}}]""")
    print("\n".join(out))


if __name__ == "__main__":
    main()
