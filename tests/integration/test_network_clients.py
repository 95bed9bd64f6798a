# SPDX-License-Identifier: MIT
"""Real clients inside a real sandbox reach the network only through fence's proxies: curl
through HTTP_PROXY (absolute-form and CONNECT), curl --socks5-hostname, git over https to a TLS
origin signed by a throwaway CA, python3 urllib, and node. The origins run on host loopback and
are reached by exact names (origin.test -> 127.0.0.1 in the test's DNS server); allowed names
work, denied names get 403 or SOCKS reply 0x02, deny beats allow, a wildcard does not reach
loopback, and connections that bypass the proxy fail. Every test runs as root and as an
unprivileged user (the `env` fixture)."""
import json
import re
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import have, require  # noqa: E402
from netsandbox import (BODY_403, FakeDNS, copy_for, fence_net, make_ca_and_cert,  # noqa: E402
                        origin, write_policy)

ALLOW = {"allowedDomains": ["origin.test", "denied.test"], "deniedDomains": ["denied.test"]}


@pytest.fixture(scope="module")
def dns():
    with FakeDNS() as d:
        yield d


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    require(have("openssl"), "openssl is needed for the test certificates")
    return make_ca_and_cert(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def plain():
    with origin() as o:
        yield o


@pytest.fixture(scope="module")
def secure(pki):
    _, cert, key = pki
    with origin(tls=(cert, key)) as o:
        yield o


def test_proxy_variables_and_listeners(env, dns):
    pol = write_policy(env, {"allowedDomains": ["origin.test"]})
    p = fence_net(env, dns, pol, "env | grep -i _proxy= | sort; cat /proc/net/tcp6 /proc/net/tcp "
                                 "| awk '$4 == \"0A\" {print $2}'")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    for want in ("ALL_PROXY=socks5h://127.0.0.1:1080", "HTTPS_PROXY=http://127.0.0.1:3128",
                 "HTTP_PROXY=http://127.0.0.1:3128", "NO_PROXY=localhost,127.0.0.1,::1",
                 "all_proxy=socks5h://127.0.0.1:1080", "http_proxy=http://127.0.0.1:3128",
                 "https_proxy=http://127.0.0.1:3128", "no_proxy=localhost,127.0.0.1,::1"):
        assert want in lines, p.stdout
    # listening inside: 127.0.0.1 and ::1 on 3128 (0x0C38) and 1080 (0x0438), nothing else
    listening = {line for line in lines if ":" in line and "=" not in line}
    assert listening == {"0100007F:0C38", "0100007F:0438",
                         "00000000000000000000000001000000:0C38",
                         "00000000000000000000000001000000:0438"}, p.stdout


def test_inherited_proxy_settings_replaced(env, dns):
    pol = write_policy(env, {"allowedDomains": ["origin.test"]})
    p = fence_net(env, dns, pol, "env | grep -i _proxy= | sort",
                  extra_env={"HTTP_PROXY": "http://corp:8080", "no_proxy": "corp.internal",
                             "FTP_PROXY": "http://corp:21"})
    assert "corp" not in p.stdout and "http_proxy=http://127.0.0.1:3128" in p.stdout


def test_configured_proxy_ports(env, dns, plain):
    pol = write_policy(env, {"allowedDomains": ["origin.test"], "httpProxyPort": 18080,
                             "socksProxyPort": 11080})
    url = f"http://origin.test:{plain.server_port}/hello"
    p = fence_net(env, dns, pol, f"echo $HTTP_PROXY $ALL_PROXY; curl -sS --max-time 10 {url}; "
                                 f"curl -sS --max-time 10 -x $ALL_PROXY {url}")
    assert p.stdout == ("http://127.0.0.1:18080 socks5h://127.0.0.1:11080\n"
                        "hello from origin\nhello from origin\n"), p.stderr


def test_curl_http_proxy(env, dns, plain):
    require(have("curl"), "curl not installed")
    pol = write_policy(env, ALLOW)
    port = plain.server_port
    cmd = (f"curl -sS --max-time 10 http://origin.test:{port}/hello; "
           f"curl -sS --max-time 10 -i http://denied.test:{port}/hello; "
           f"curl -sS --max-time 10 -o /dev/null -w '%{{http_code}}\\n' http://unlisted.test:{port}/; "
           # POST with a body, upper-case name: the rule is case-insensitive
           f"curl -sS --max-time 10 -d @/etc/hostname http://ORIGIN.test:{port}/echo")
    p = fence_net(env, dns, pol, cmd)
    assert p.returncode == 0, p.stderr
    out = p.stdout.replace("\r\n", "\n")
    assert out.startswith("hello from origin\nHTTP/1.1 403 Forbidden\n"), out
    head, rest = out.split("HTTP/1.1 403 Forbidden\n", 1)[1].split("\n\n", 1)
    assert "Content-Type: text/plain; charset=utf-8" in head
    assert "X-Content-Type-Options: nosniff" in head
    assert rest.startswith(BODY_403 + "403\n")
    assert rest.endswith(Path("/etc/hostname").read_text().strip())  # curl -d drops newlines


def test_curl_connect_tls(env, dns, pki, secure):
    require(have("curl"), "curl not installed")
    ca = copy_for(env, pki[0], "ca.pem")
    pol = write_policy(env, ALLOW)
    port = secure.server_port
    p = fence_net(env, dns, pol, f"curl -sS --max-time 10 https://origin.test:{port}/hello; "
                                 f"curl -sS --max-time 10 https://denied.test:{port}/hello; "
                                 "echo rc=$?", extra_env={"CURL_CA_BUNDLE": str(ca)})
    assert p.stdout == "hello from origin\nrc=56\n", p.stderr
    assert "CONNECT tunnel failed, response 403" in p.stderr


def test_curl_socks5_hostname(env, dns, plain):
    require(have("curl"), "curl not installed")
    pol = write_policy(env, ALLOW)
    port = plain.server_port
    p = fence_net(env, dns, pol,
                  f"curl -sS --max-time 10 --socks5-hostname 127.0.0.1:1080 http://origin.test:{port}/hello; "
                  f"curl -sS --max-time 10 -x $ALL_PROXY http://origin.test:{port}/hello; "
                  f"curl -sS --max-time 10 --socks5-hostname [::1]:1080 http://denied.test:{port}/; "
                  "echo rc=$?")
    assert p.stdout == "hello from origin\nhello from origin\nrc=97\n", p.stderr
    # reply 0x02: connection not allowed by ruleset
    assert re.search(r"SOCKS5.*\(2\)|not allowed", p.stderr), p.stderr


def test_python_urllib(env, dns, pki, plain, secure):
    ca = copy_for(env, pki[0], "ca.pem")
    pol = write_policy(env, ALLOW)
    script = env.write("client.py", r"""
import json, ssl, sys, urllib.request, urllib.error
ctx = ssl.create_default_context(cafile=sys.argv[3])
out = {}
for name, url in (("http", sys.argv[1]), ("https", sys.argv[2]),
                  ("denied", sys.argv[1].replace("origin.test", "denied.test"))):
    try:
        with urllib.request.urlopen(url, timeout=10, context=ctx if url.startswith("https") else None) as r:
            out[name] = [r.status, r.read().decode()]
    except urllib.error.HTTPError as e:
        out[name] = [e.code, e.read().decode()]
try:
    urllib.request.urlopen(sys.argv[2].replace("origin.test", "denied.test"), timeout=10, context=ctx)
except OSError as e:
    out["denied_https"] = str(e)
print(json.dumps(out))
""")
    p = fence_net(env, dns, pol, f"python3 {script} http://origin.test:{plain.server_port}/hello "
                                 f"https://origin.test:{secure.server_port}/hello {ca}")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["http"] == [200, "hello from origin\n"]
    assert out["https"] == [200, "hello from origin\n"]
    assert out["denied"] == [403, BODY_403]
    assert "403" in out["denied_https"]


NODE_SCRIPT = r"""
// Node 20's http, https and fetch ignore the proxy variables. A client that wants the proxy
// sends absolute-form requests or CONNECT itself; this is what such clients (and agents that
// use a proxy agent) do.
const http = require('http'), tls = require('tls'), fs = require('fs');
const [plainPort, tlsPort, ca] = process.argv.slice(2);
const proxy = new URL(process.env.HTTP_PROXY);
const out = {};
function get(cb) {
  http.get({host: proxy.hostname, port: proxy.port, path: `http://origin.test:${plainPort}/hello`},
           res => { let b = ''; res.on('data', d => b += d); res.on('end', () => cb(res.statusCode, b)); });
}
function tunnel(target, cb) {
  const req = http.request({host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: target});
  req.on('connect', (res, socket) => cb(res.statusCode, socket));
  req.end();
}
get((code, body) => {
  out.plain = [code, body];
  tunnel(`origin.test:${tlsPort}`, (code, socket) => {
    const s = tls.connect({socket, servername: 'origin.test', ca: fs.readFileSync(ca)}, () =>
      s.write(`GET /hello HTTP/1.1\r\nHost: origin.test\r\nConnection: close\r\n\r\n`));
    let body = '';
    s.on('data', d => body += d);
    s.on('end', () => {
      out.tls = [code, body.split('\r\n\r\n')[1]];
      tunnel(`denied.test:${tlsPort}`, (code2, sock2) => {
        out.denied = code2;
        sock2.destroy();
        // fetch does not use the proxy on this Node: with no resolver and no route in the
        // sandbox it fails instead of leaking around the proxy
        fetch(`http://origin.test:${plainPort}/hello`).then(
          r => { out.fetch = 'reached ' + r.status; },
          e => { out.fetch = 'failed: ' + (e.cause && e.cause.code || e.message); })
          .finally(() => console.log(JSON.stringify(out)));
      });
    });
  });
});
"""


def test_node(env, dns, pki, plain, secure):
    require(have("node"), "node not installed")
    ca = copy_for(env, pki[0], "ca.pem")
    pol = write_policy(env, ALLOW)
    script = env.write("client.js", NODE_SCRIPT)
    p = fence_net(env, dns, pol, f"node {script} {plain.server_port} {secure.server_port} {ca}",
                  extra_env={"NODE_USE_ENV_PROXY": "1"})
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["plain"] == [200, "hello from origin\n"]
    assert out["tls"] == [200, "hello from origin\n"]
    assert out["denied"] == 403
    assert out["fetch"].startswith("failed"), out


def test_git_over_https(env, dns, pki, tmp_path_factory):
    require(have("git"), "git not installed")
    ca_src, cert, key = pki
    served = tmp_path_factory.mktemp("served")
    src = served / "src"
    genv = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(served), "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
            "PATH": "/usr/bin:/bin"}
    import subprocess
    for argv in (["git", "init", "-q", str(src)],
                 ["git", "-C", str(src), "commit", "-q", "--allow-empty", "-m", "through fence"],
                 ["git", "clone", "-q", "--bare", str(src), str(served / "repo.git")],
                 ["git", "-C", str(served / "repo.git"), "update-server-info"]):
        subprocess.run(argv, env=genv, check=True, capture_output=True)
    ca = copy_for(env, ca_src, "ca.pem")
    pol = write_policy(env, ALLOW)
    with origin(tls=(cert, key), root=served) as o:
        p = fence_net(env, dns, pol,
                      f"git clone -q https://origin.test:{o.server_port}/repo.git /tmp/c && "
                      "git -C /tmp/c log --format=%s; "
                      f"git ls-remote https://denied.test:{o.server_port}/repo.git; echo rc=$?",
                      extra_env={"GIT_SSL_CAINFO": str(ca), "GIT_CONFIG_NOSYSTEM": "1"})
    assert p.stdout == "through fence\nrc=128\n", p.stderr
    assert "403" in p.stderr


def test_direct_connections_fail(env, dns, plain):
    """Bypassing the proxy gets nowhere: no resolver, no route, the host's loopback is not the
    sandbox's. With the default policy Landlock refuses other ports first (EACCES); with
    allowLocalBinding (no TCP rules) the namespace answers (ENETUNREACH, ECONNREFUSED)."""
    port = plain.server_port
    probe = env.write("probe.py", f"""
import errno, socket
def try_(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(addr)
        return "connected"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e))
try:
    socket.getaddrinfo("origin.test", 80)
    name = "resolved"
except socket.gaierror as e:
    name = "unresolved"
import sys
if sys.argv[1:] == ["control"]:  # outside: only the host's origin (no route to the others here)
    print(try_(socket.AF_INET, ("127.0.0.1", {port})))
else:
    print(name, try_(socket.AF_INET, ("127.0.0.1", {port})), try_(socket.AF_INET, ("192.0.2.1", 80)),
          try_(socket.AF_INET6, ("2001:db8::1", 80)), try_(socket.AF_INET6, ("::1", {port})))
""")
    # control: outside, the host's origin is there
    assert env.run(["python3", str(probe), "control"]).stdout == "connected\n"
    p = fence_net(env, dns, write_policy(env, ALLOW), f"python3 {probe}")
    assert p.stdout.split() == ["unresolved", "EACCES", "EACCES", "EACCES", "EACCES"], p.stdout
    pol = write_policy(env, dict(ALLOW, allowLocalBinding=True), name="binding.json")
    p = fence_net(env, dns, pol, f"python3 {probe}")
    assert p.stdout.split() == ["unresolved", "ECONNREFUSED", "ENETUNREACH", "ENETUNREACH",
                                "ECONNREFUSED"], p.stdout


def test_deny_beats_allow_and_wildcards_do_not_reach_loopback(env, dns, plain):
    port = plain.server_port
    url = "http://{}:%d/hello" % port
    names = ("a.wild.test", "b.wild.test", "denied.wild.test")
    cmd = "; ".join(f"curl -sS --max-time 10 -o /dev/null -w '{n} %{{http_code}}\\n' "
                    + url.format(n) for n in names)
    # *.wild.test matches all three, but a wildcard never lets a name reach a loopback address;
    # the exact entry does; deniedDomains beats both
    pol = write_policy(env, {"allowedDomains": ["*.wild.test", "a.wild.test", "denied.wild.test"],
                             "deniedDomains": ["denied.wild.test"]})
    p = fence_net(env, dns, pol, cmd, "-d")
    assert p.stdout.split("\n") == ["a.wild.test 200", "b.wild.test 403", "denied.wild.test 403",
                                    ""], p.stderr
    assert ("[fence:filter] Allowed by rule: b.wild.test:%d (matched *.wild.test)" % port) \
        in p.stderr
    assert ("[fence:filter] Denied internal address: b.wild.test:%d resolves to 127.0.0.1 "
            "(loopback); only an exact allowedDomains entry for the host permits this" % port) \
        in p.stderr
    assert ("[fence:filter] Denied by rule: denied.wild.test:%d (matched denied.wild.test)"
            % port) in p.stderr


def test_ipv6(env, dns):
    """The proxies listen on ::1 inside too, names resolve to IPv6 addresses, and an IPv6
    literal destination is handled like an IPv4 one: not allowed unless named (config files
    cannot name an IPv6 literal, ':' is refused there), so it gets 403 / SOCKS 0x02."""
    with origin(host="::1") as o6:
        port = o6.server_port
        pol = write_policy(env, {"allowedDomains": ["v6.test"]})
        p = fence_net(env, dns, pol,
                      f"curl -sS --max-time 10 -x http://[::1]:3128 http://v6.test:{port}/hello; "
                      f"curl -sS --max-time 10 -x http://[::1]:3128 -p http://v6.test:{port}/hello; "
                      f"curl -sS --max-time 10 --socks5-hostname [::1]:1080 http://v6.test:{port}/hello; "
                      # (--noproxy '': NO_PROXY lists ::1, which would bypass the proxy)
                      f"curl -s --max-time 10 -o /dev/null -w '%{{http_code}}\\n' --noproxy '' "
                      f"-x http://[::1]:3128 http://[::1]:{port}/hello; "
                      f"curl -s --max-time 10 --noproxy '' --socks5 [::1]:1080 "
                      f"http://[::1]:{port}/hello; "
                      "echo rc=$?")
    assert p.stdout == "hello from origin\n" * 3 + "403\nrc=97\n", p.stderr


def test_logs(env, dns, plain):
    """§6.7: -m shows the blocked requests only, -d every request and the filter decisions;
    --fence-log-file takes them instead of stderr."""
    port = plain.server_port
    pol = write_policy(env, ALLOW)
    cmd = (f"curl -s --max-time 10 http://origin.test:{port}/hello >/dev/null; "
           f"curl -s --max-time 10 http://denied.test:{port}/ >/dev/null; "
           f"curl -s --max-time 10 --socks5-hostname 127.0.0.1:1080 http://denied.test:{port}/; "
           f"curl -s --max-time 10 --socks5-hostname 127.0.0.1:1080 http://origin.test:{port}/hello")
    ts = r"\d\d:\d\d:\d\d"
    p = fence_net(env, dns, pol, cmd, "-m")
    lines = [line for line in p.stderr.splitlines() if line.startswith("[fence:")]
    assert len(lines) == 2, p.stderr
    assert re.fullmatch(rf"\[fence:http\] {ts} ✗ GET     403 denied\.test http://denied\.test:{port}/ "
                        r"\(\d+m?s\)", lines[0]), lines
    assert re.fullmatch(rf"\[fence:socks\] {ts} ✗ CONNECT denied\.test:{port} BLOCKED", lines[1])
    p = fence_net(env, dns, pol, cmd, "-d", "--fence-log-file", "fence.log")
    assert "[fence:" not in p.stderr
    log = (env.work / "fence.log").read_text()
    assert re.search(rf"^\[fence:http\] {ts} ✓ GET     200 origin\.test "
                     rf"http://origin\.test:{port}/hello \(\d+m?s\)$", log, re.M), log
    assert re.search(rf"^\[fence:socks\] {ts} ✓ CONNECT origin\.test:{port} ALLOWED$", log, re.M)
    assert f"[fence:filter] Allowed by rule: origin.test:{port} (matched origin.test)" in log
    assert f"[fence:filter] Denied by rule: denied.test:{port} (matched denied.test)" in log
    # no flag: no proxy lines at all
    p = fence_net(env, dns, pol, cmd)
    assert "[fence:" not in p.stderr


def test_sandbox_has_only_loopback(env, dns):
    pol = write_policy(env, {"allowedDomains": ["origin.test"]})
    p = fence_net(env, dns, pol, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '")
    assert p.stdout.split() == ["lo"], p.stdout
