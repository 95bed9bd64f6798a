# SPDX-License-Identifier: MIT
"""Ports across the sandbox's boundary: `-p` in every form exposes a server started inside
(python3 -m http.server), allowLocalOutboundPorts reaches exactly the listed host services (IPv4
and IPv6) and no other port, the §6.6 warning and reserved-port check, the on-host execution
model, and relaxed mode (allowedDomains ["*"]: no network namespace, proxies on host loopback).
Every test runs as root and as an unprivileged user."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import FENCE_BIN, have, require  # noqa: E402
from netsandbox import FakeDNS, fence_net, free_port, origin, write_policy  # noqa: E402


@pytest.fixture(scope="module")
def dns():
    with FakeDNS() as d:
        yield d


def fetch_until(url, deadline_s=20):
    """GETs url until it answers 200 (the service inside may not be listening yet: until then
    the relay closes the connection). Returns the body."""
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                return r.read().decode()
        except OSError as e:
            last = e
            time.sleep(0.05)
    raise AssertionError(f"{url} never answered: {last}")


@pytest.mark.parametrize("form,host,inner", [
    ("{p}", "127.0.0.1", "127.0.0.1"),
    ("127.0.0.1:{p}", "127.0.0.1", "127.0.0.1"),
    ("[::1]:{p}", "::1", "::1"),        # the relay tries ::1 inside first for an IPv6 address
    ("[::1]:{p}", "::1", "127.0.0.1"),  # ... and falls back to 127.0.0.1
    ("0.0.0.0:{p}", "127.0.0.1", "::"),
])
def test_inbound_port(env, form, host, inner):
    port = free_port(socket.AF_INET6 if ":" in host else socket.AF_INET)
    env.write("site/index.txt", f"served from inside on {inner}\n")
    argv = env.ident.wrap([FENCE_BIN, "-p", form.format(p=port), "-c",
                           f"exec python3 -m http.server {port} --bind {inner} "
                           f"--directory {env.work / 'site'}"])
    proc = subprocess.Popen(argv, cwd=env.work, env=env.environ(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url_host = f"[{host}]" if ":" in host else host
        assert fetch_until(f"http://{url_host}:{port}/index.txt") == \
            f"served from inside on {inner}\n"
        # a second, concurrent-ish round trip through a new relay connection
        assert fetch_until(f"http://{url_host}:{port}/index.txt").startswith("served")
    finally:
        proc.send_signal(signal.SIGTERM)  # forwarded to the server
        out, err = proc.communicate(timeout=20)
    assert proc.returncode in (0, 143, 128 + signal.SIGTERM), err
    # gone with the sandbox
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=2).close()


def test_inbound_busy_port(env):
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        p = env.fence("-p", str(port), "-c", "echo ran")
        assert p.returncode == 1
        assert p.stdout == ""
        assert p.stderr == f"Error: exposing port {port} on 127.0.0.1: Address already in use\n"
    finally:
        busy.close()


def test_inbound_on_host_model(env):
    """--service-execution-model on-host: the service binds on the host (docker, podman), so
    fence binds nothing there and relays nothing."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        p = env.fence("-d", "--service-execution-model", "on-host", "-p", str(port), "-c",
                      "echo ran")
        assert p.returncode == 0, p.stderr
        assert p.stdout == "ran\n"
        assert f"network: inbound 127.0.0.1:{port} bound on the host by the service" in p.stderr
    finally:
        busy.close()


def test_bind_only_exposed_ports(env):
    """Landlock's TCP rules (default policy): the exposed port can be bound inside, another
    cannot; with allowLocalBinding any port can (the private namespace is the fence then)."""
    port, other = free_port(), free_port()
    probe = ("python3 -c \"import socket,sys\n"
             "for p in sys.argv[1:]:\n"
             " s=socket.socket()\n"
             " try: s.bind(('127.0.0.1', int(p))); print('bound', p)\n"
             " except OSError as e: print('refused', p, e.errno)\" ")
    p = env.fence("-p", str(port), "-c", probe + f"{port} {other}")
    assert p.stdout == f"bound {port}\nrefused {other} 13\n", p.stderr
    pol = write_policy(env, {"allowLocalBinding": True})
    p = env.fence("-s", str(pol), "-c", probe + f"{other}")
    assert p.stdout == f"bound {other}\n", p.stderr


def test_local_outbound_ports(env):
    require(have("curl"), "curl not installed")
    port = free_port()
    with origin(port=port) as v4, origin(host="::1", port=port) as v6, origin() as unlisted:
        other = unlisted.server_port
        cmd = (f"curl -sS --max-time 10 http://127.0.0.1:{port}/hello; "
               f"curl -sS --max-time 10 http://[::1]:{port}/hello; "
               f"curl -sS --max-time 10 http://127.0.0.1:{other}/hello; echo rc=$?")
        # control: on the host all three answer
        host = env.run(["bash", "-c", cmd])
        assert host.stdout == "hello from origin\n" * 3 + "rc=0\n", host.stderr
        seen = len(v4.requests), len(v6.requests), len(unlisted.requests)
        pol = write_policy(env, {"allowLocalOutbound": True, "allowLocalOutboundPorts": [port]})
        p = env.fence("-s", str(pol), "-c", cmd)
        assert p.stdout == "hello from origin\n" * 2 + "rc=7\n", p.stderr
        # each family was relayed to the same family on the host; the unlisted port saw nothing
        assert (len(v4.requests), len(v6.requests), len(unlisted.requests)) == \
            (seen[0] + 1, seen[1] + 1, seen[2])
        # without Landlock's TCP rules (allowLocalBinding) the unlisted port is simply not there
        pol = write_policy(env, {"allowLocalBinding": True, "allowLocalOutbound": True,
                                 "allowLocalOutboundPorts": [port]}, name="b.json")
        p = env.fence("-s", str(pol), "-c", cmd)
        assert p.stdout == "hello from origin\n" * 2 + "rc=7\n", p.stderr


def test_local_outbound_checks(env):
    pol = write_policy(env, {"allowLocalOutbound": True})
    p = env.fence("-s", str(pol), "-c", "echo ran")
    assert p.stdout == "ran\n"
    # (sanitizer builds may add their own lines: only fence's are compared)
    assert [line for line in p.stderr.splitlines() if line.startswith("[fence")] == [
        "[fence] network.allowLocalOutbound=true on Linux requires "
        "network.allowLocalOutboundPorts to list the host loopback ports to bridge (e.g. "
        "[5432, 6379]). Without it, sandbox connections to 127.0.0.1 stay isolated inside the "
        "sandbox network namespace."]
    pol = write_policy(env, {"allowLocalOutbound": True, "allowLocalOutboundPorts": [5432, 1080]})
    p = env.fence("-s", str(pol), "-c", "echo ran")
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr == ("Error: network.allowLocalOutboundPorts entry 1080 conflicts with a "
                        "reserved in-sandbox proxy port\n")
    pol = write_policy(env, {"allowLocalOutbound": True, "allowLocalOutboundPorts": [3128],
                             "httpProxyPort": 8118})
    p = env.fence("-s", str(pol), "-c", "echo $HTTP_PROXY")
    assert p.stdout == "http://127.0.0.1:8118\n", p.stderr


def test_relaxed_mode(env, dns):
    """allowedDomains ["*"]: no network namespace (the Go tool's relaxed mode), but the proxies
    still run, on host loopback at random ports, and deniedDomains and the SSRF guard apply to
    what goes through them."""
    require(have("curl"), "curl not installed")
    with origin() as o:
        port = o.server_port
        pol = write_policy(env, {"allowedDomains": ["*", "origin.test"],
                                 "deniedDomains": ["denied.test"]})
        p = fence_net(env, dns, pol,
                      "echo $HTTP_PROXY $ALL_PROXY; tail -n +3 /proc/net/dev | wc -l; "
                      f"curl -sS --max-time 10 http://origin.test:{port}/hello; "
                      f"curl -s --max-time 10 -o /dev/null -w '%{{http_code}}\\n' http://other.test:{port}/; "
                      f"curl -s --max-time 10 -o /dev/null -w '%{{http_code}}\\n' http://denied.test:{port}/; "
                      f"curl -sS --max-time 10 --socks5-hostname ${{ALL_PROXY#*//}} http://origin.test:{port}/hello; "
                      # the host's loopback is the sandbox's: a direct connection works
                      f"curl -sS --max-time 10 --noproxy '*' http://127.0.0.1:{port}/hello")
    lines = p.stdout.splitlines()
    assert len(lines) == 7, p.stdout + p.stderr
    http, socks = lines[0].split()
    assert http.startswith("http://127.0.0.1:") and not http.endswith(":3128")
    assert socks.startswith("socks5h://127.0.0.1:") and not socks.endswith(":1080")
    # the host's interfaces: no namespace of its own
    assert int(lines[1]) == len(Path("/proc/net/dev").read_text().splitlines()) - 2
    assert lines[2:] == ["hello from origin", "403", "403", "hello from origin",
                         "hello from origin"], p.stderr
