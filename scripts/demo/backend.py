#!/usr/bin/env python3
"""The demo's HTTP backend: answers every GET with its node's name (argv[1]).

Runs inside a node's network namespace, listening on port 80 for IPv4 and IPv6 at once. The
LoadBalancer IPs are local addresses of every node (on lo, as kube-proxy makes them), so whichever
node the client's ARP/NDP entry points to answers, and its name shows who owns the IP.
"""
import http.server
import socket
import sys

NODE = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = (NODE + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class DualStackServer(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


DualStackServer(("::", 80), Handler).serve_forever()
