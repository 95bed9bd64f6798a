# SPDX-License-Identifier: MIT
"""Runs inside a fresh user + network namespace (unshare -Urn), where loopback also carries two
"public" addresses (TEST-NET 203.0.113.10 and 198.51.100.20) and a fake DNS server answers for
*.test names. This lets real clients exercise name-based rules end to end: wildcards resolved
through the proxy's resolver, deny beating allow, and names that resolve to loopback or metadata
addresses (DNS rebinding) refused by the guard. Prints a JSON object of outcomes.

    proxy_netns_scenario.py PROXYD
"""
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import proxyutil  # noqa: E402
from proxyutil import Proxyd, origin  # noqa: E402

RECORDS = {
    "a.allowed.test": "203.0.113.10",
    "b.c.allowed.test": "198.51.100.20",
    "allowed.test": "203.0.113.10",
    "bad.allowed.test": "203.0.113.10",
    "rebind.allowed.test": "127.0.0.1",
    "meta.allowed.test": "169.254.169.254",
    "exact.test": "127.0.0.1",
    "other.test": "203.0.113.10",
}


def dns_server(sock):
    while True:
        q, peer = sock.recvfrom(512)
        pos, labels = 12, []
        while q[pos]:
            labels.append(q[pos + 1:pos + 1 + q[pos]].decode())
            pos += 1 + q[pos]
        qtype = int.from_bytes(q[pos + 1:pos + 3], "big")
        end = pos + 5
        name = ".".join(labels).lower()
        addr = RECORDS.get(name)
        resp = bytearray(q[:end])
        resp[2], resp[3] = 0x81, 0x80 if addr else 0x83
        resp[4:12] = b"\x00\x01\x00\x00\x00\x00\x00\x00"
        if addr and qtype == 1:
            resp[7] = 1
            resp += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x1e\x00\x04" + socket.inet_aton(addr)
        sock.sendto(bytes(resp), peer)


def curl(*args):
    r = subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True,
                       text=True)
    return [r.returncode, r.stdout, r.stderr.strip()]


def main():
    proxyutil.PROXYD = sys.argv[1]
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "addr", "add", "203.0.113.10/32", "dev", "lo"],
                ["ip", "addr", "add", "198.51.100.20/32", "dev", "lo"]):
        subprocess.run(cmd, check=True)
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", 0))
    threading.Thread(target=dns_server, args=(dns,), daemon=True).start()
    out = {}
    with origin("203.0.113.10", port=8080), origin("198.51.100.20", port=8080), \
            origin("127.0.0.1", port=8080), \
            Proxyd("--dns", f"127.0.0.1:{dns.getsockname()[1]}", "--allow", "*.allowed.test",
                   "--allow", "exact.test", "--deny", "bad.allowed.test") as p:
        for name in ("a.allowed.test", "b.c.allowed.test", "A.ALLOWED.TEST", "allowed.test",
                     "bad.allowed.test", "rebind.allowed.test", "meta.allowed.test",
                     "exact.test", "other.test", "nxdomain.allowed.test"):
            url = f"http://{name}:8080/hello"
            out[name] = {
                "http": curl("-x", p.url, "-o", "/dev/null", "-w", "%{http_code}", url),
                "connect": curl("-p", "-x", p.url, url),
                "socks": curl("--socks5-hostname", f"127.0.0.1:{p.socks}", url),
            }
        # a name can only be resolved through the proxy: the host has no resolver for .test
        out["direct_name"] = curl("--noproxy", "*", "http://a.allowed.test:8080/hello")
        # the control for the rebinding cases: without the proxy's guard, the loopback service
        # that rebind.allowed.test points at is reachable (the attack works without fence)
        out["direct_loopback"] = curl("--noproxy", "*", "http://127.0.0.1:8080/hello")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
