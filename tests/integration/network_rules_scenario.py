# SPDX-License-Identifier: MIT
"""Runs inside a fresh user + network namespace (unshare -Urn) whose loopback also carries two
"public" addresses (TEST-NET 203.0.113.10 and 198.51.100.20), with origins on them and a fake DNS
server for *.test names. It runs ONE fence sandbox (FENCE_BIN) in which curl asks for each name
through the HTTP proxy (absolute-form and CONNECT) and through SOCKS5, so that the domain rules
of §6.1 are checked end to end on public-looking destinations, which the SSRF guard lets through.
Prints a JSON object {name: [http_code, connect_exit, socks_exit]} and the sandbox's stderr.

    network_rules_scenario.py FENCE_BIN
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from netsandbox import FakeDNS, origin  # noqa: E402

RECORDS = {
    "a.allowed.test": ["203.0.113.10"],
    "b.c.allowed.test": ["198.51.100.20"],
    "allowed.test": ["203.0.113.10"],
    "bad.allowed.test": ["203.0.113.10"],
    "xallowed.test": ["203.0.113.10"],
    "allowed.test.evil.test": ["203.0.113.10"],
    "exact.test": ["198.51.100.20"],
    "sub.exact.test": ["198.51.100.20"],
    "other.test": ["203.0.113.10"],
}
NAMES = ["a.allowed.test", "b.c.allowed.test", "A.ALLOWED.TEST", "allowed.test",
         "bad.allowed.test", "xallowed.test", "allowed.test.evil.test", "exact.test",
         "EXACT.test", "sub.exact.test", "other.test", "203.0.113.10"]
POLICY = {"network": {"allowedDomains": ["*.allowed.test", "exact.test"],
                      "deniedDomains": ["bad.allowed.test"]}}


def main():
    fence = sys.argv[1]
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "addr", "add", "203.0.113.10/32", "dev", "lo"],
                ["ip", "addr", "add", "198.51.100.20/32", "dev", "lo"]):
        subprocess.run(cmd, check=True)
    script = []
    for n in NAMES:
        url = f"http://{n}:8080/hello"
        script.append(f"echo {n} $(curl -s --max-time 10 -o /dev/null -w '%{{http_code}}' {url}) "
                      f"$(curl -s --max-time 10 -o /dev/null -p {url}; echo $?) "
                      f"$(curl -s --max-time 10 -o /dev/null --socks5-hostname 127.0.0.1:1080 "
                      f"{url}; echo $?)")
    with tempfile.TemporaryDirectory() as d, FakeDNS(RECORDS) as dns, \
            origin("203.0.113.10", port=8080), origin("198.51.100.20", port=8080):
        cfg = Path(d) / "fence.json"
        cfg.write_text(json.dumps(POLICY))
        r = subprocess.run([fence, "-d", "-s", str(cfg), "-c", "; ".join(script)], cwd=d,
                           env={"PATH": "/usr/bin:/bin", "HOME": d,
                                "FENCE_DNS_SERVERS": dns.servers},
                           capture_output=True, text=True, timeout=120)
    out = {line.split()[0]: line.split()[1:] for line in r.stdout.splitlines()}
    print(json.dumps({"results": out, "stderr": r.stderr, "status": r.returncode}))


if __name__ == "__main__":
    main()
