# SPDX-License-Identifier: MIT
"""Helpers for the network tests that run real clients inside a real sandbox (fence's CLI).

The sandbox has no resolver: names are resolved by the supervisor's proxies. Tests point that
resolver at a fake DNS server of their own (FENCE_DNS_SERVERS, a test knob of the CLI, not a
config key) which maps names under .test to host addresses, usually 127.0.0.1 where the test's
origins listen. The SSRF guard only lets a name reach loopback when allowedDomains names it
exactly, so the tests' policies list such names one by one (a wildcard is refused: that is a
test of its own).
"""
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

from proxyutil import origin  # noqa: F401  (re-exported for the tests)

TEST_NAMES = {
    "origin.test": ["127.0.0.1"],
    "other.test": ["127.0.0.1"],
    "denied.test": ["127.0.0.1"],
    "rebind.test": ["127.0.0.1"],
    "meta.test": ["169.254.169.254"],
    "mixed.test": ["192.0.2.10", "127.0.0.1"],
    "v6.test": ["::1"],
    "a.wild.test": ["127.0.0.1"],
    "b.wild.test": ["127.0.0.1"],
    "denied.wild.test": ["127.0.0.1"],
}

BODY_403 = "Connection blocked by network allowlist\n"


class FakeDNS:
    """A UDP DNS server on 127.0.0.1 answering A and AAAA for a fixed table; it records every
    name it was asked about (to show that denied names never reach DNS)."""

    def __init__(self, records=None):
        self.records = {k.lower(): v for k, v in (records or TEST_NAMES).items()}
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def servers(self):
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        self.sock.close()

    def _answer(self, q):
        pos, labels = 12, []
        while q[pos]:
            labels.append(q[pos + 1:pos + 1 + q[pos]].decode(errors="replace"))
            pos += 1 + q[pos]
        qtype = int.from_bytes(q[pos + 1:pos + 3], "big")
        end = pos + 5
        name = ".".join(labels).lower()
        self.queries.append(name)
        addrs = self.records.get(name)
        resp = bytearray(q[:end])
        resp[2], resp[3] = 0x81, 0x80 if addrs is not None else 0x83
        answers = b""
        count = 0
        for a in addrs or []:
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            if (qtype, fam) not in ((1, socket.AF_INET), (28, socket.AF_INET6)):
                continue
            data = socket.inet_pton(fam, a)
            answers += (b"\xc0\x0c" + qtype.to_bytes(2, "big") + b"\x00\x01\x00\x00\x00\x05" +
                        len(data).to_bytes(2, "big") + data)
            count += 1
        resp[4:12] = b"\x00\x01" + count.to_bytes(2, "big") + b"\x00\x00\x00\x00"
        return bytes(resp) + answers

    def _serve(self):
        while not self._stop:
            try:
                q, peer = self.sock.recvfrom(512)
                self.sock.sendto(self._answer(q), peer)
            except (OSError, IndexError):
                if self._stop:
                    return


def make_ca_and_cert(directory, names=("origin.test",)):
    """A throwaway CA and a server certificate it signed for names; returns (ca, cert, key)."""
    d = Path(directory)
    ca, ca_key = d / "ca.pem", d / "ca.key"
    cert, key, csr = d / "cert.pem", d / "key.pem", d / "cert.csr"
    ext = d / "ext.cnf"
    ext.write_text("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\n")
    steps = [
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=fence test CA", "-keyout", ca_key, "-out", ca],
        ["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={names[0]}",
         "-keyout", key, "-out", csr],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-days", "1", "-extfile", ext, "-out", cert],
    ]
    for argv in steps:
        subprocess.run([str(a) for a in argv], check=True, capture_output=True)
    for p in (ca, cert):
        os.chmod(p, 0o644)
    return str(ca), str(cert), str(key)


def write_policy(env, network, name="fence.json", extra=None):
    """A config file in env's work directory with the given network section."""
    import json
    cfg = {"network": network}
    if extra:
        cfg.update(extra)
    return env.write(name, json.dumps(cfg))


def fence_net(env, dns, policy_path, command, *flags, timeout=60, extra_env=None):
    """Runs `fence -s policy -c command` as env's identity with the proxies resolving through
    dns (a FakeDNS); returns the CompletedProcess."""
    e = {"FENCE_DNS_SERVERS": dns.servers}
    if extra_env:
        e.update(extra_env)
    return env.fence("-s", str(policy_path), *flags, "-c", command, env=e, timeout=timeout)


def copy_for(env, src, name=None):
    """Copies a file into env's work directory (visible inside the sandbox), readable."""
    dst = env.work / (name or Path(src).name)
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o644)
    if env.ident.uid != os.geteuid():
        os.chown(dst, env.ident.uid, env.ident.gid)
    return dst


def free_port(family=socket.AF_INET):
    with socket.socket(family) as s:
        s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        return s.getsockname()[1]
