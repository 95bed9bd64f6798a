# SPDX-License-Identifier: MIT
"""Real clients through fence's proxies (tests/drivers/fence-proxyd on host loopback): curl
through HTTP_PROXY, through CONNECT and with --socks5-hostname, python3 urllib, node, and git over
https, against origins on loopback. Allowed names work, denied ones get 403 or SOCKS reply 0x02,
deny beats allow, the log lines of §6.7 are exact, and the upstream proxy of §6.4 is used for
the grey zone.

Origins live on 127.0.0.1, which the SSRF guard only lets through when the policy names the
host exactly; so "localhost" is allowed by name here (a wildcard would not do).
"""
import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from conftest import have, require  # noqa: E402
from proxyutil import (BODY_403, HTTP_LINE, PROXY_BENCH, SOCKS_LINE, Proxyd, make_cert,  # noqa: E402
                       origin)

TIMEOUT = 30
# the request lines of §6.7 (debug mode adds other, untimed lines with the same prefixes)
TIMESTAMPED = re.compile(r"^\[fence:(http|socks)\] \d\d:\d\d:\d\d ")


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    require(have("openssl"), "openssl is needed to make a test certificate")
    return make_cert(tmp_path_factory.mktemp("tls"))


def run(argv, env=None, **kw):
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    if env:
        e.update(env)
    return subprocess.run(argv, env=e, capture_output=True, text=True, timeout=TIMEOUT, **kw)


def curl(*args, env=None):
    require(have("curl"), "curl not installed")
    return run(["curl", "-sS", "--max-time", "15", *args], env=env)


def test_curl_http_proxy_allowed_denied(tmp_path):
    with origin() as o, Proxyd("--allow", "localhost", "--deny", "evil.test", "--allow",
                               "evil.test", "-d", log=tmp_path / "log") as p:
        url = f"http://localhost:{o.server_port}/hello"
        r = curl(url, env=p.env_vars())
        assert r.returncode == 0, r.stderr
        assert r.stdout == "hello from origin\n"
        # deny beats allow, the body and headers are exact
        r = curl("-i", "http://evil.test/", env=p.env_vars())
        assert r.returncode == 0
        head, body = r.stdout.split("\n\n", 1)  # text mode turned CRLF into LF
        assert head.startswith("HTTP/1.1 403 Forbidden")
        assert "Content-Type: text/plain; charset=utf-8" in head
        assert "X-Content-Type-Options: nosniff" in head
        assert body == BODY_403
        r = curl("-i", "http://unlisted.test/", env=p.env_vars())
        assert r.stdout.startswith("HTTP/1.1 403")
        # a direct connection (no proxy) to an unresolvable name simply fails: the proxy is
        # the only way names are resolved for the sandbox
        assert curl("--noproxy", "*", "http://evil.test/").returncode != 0
    lines = p.log_lines()
    assert "[fence:filter] Denied by rule: evil.test:80 (matched evil.test)" in lines
    assert "[fence:filter] No matching rule, denying: unlisted.test:80" in lines
    http = [HTTP_LINE.match(line) for line in lines if TIMESTAMPED.match(line)]
    assert all(http), lines
    got = {(m["icon"], m["method"], m["status"], m["host"], m["url"]) for m in http}
    assert ("✓", "GET", "200", "localhost", url) in got
    assert ("✗", "GET", "403", "evil.test", "http://evil.test/") in got


def test_curl_connect_and_tls(tmp_path, tls):
    cert, _ = tls
    with origin(tls=tls) as o, Proxyd("--allow", "localhost", "-m",
                                      log=tmp_path / "log") as p:
        url = f"https://localhost:{o.server_port}/hello"
        r = curl("--cacert", cert, url, env=p.env_vars())
        assert r.returncode == 0, r.stderr
        assert r.stdout == "hello from origin\n"
        # CONNECT refused: curl reports the 403 of the tunnel
        r = curl("--cacert", cert, "https://blocked.test/", env=p.env_vars())
        assert r.returncode == 56 and "403" in r.stderr
        # explicit -p for a plain http URL
        r = curl("-p", "-x", p.url, f"http://localhost:{o.server_port}/hello")
        assert r.returncode != 0  # TLS origin spoken to in clear text: the tunnel itself worked
    lines = p.log_lines()
    # -m: only blocked requests
    assert len(lines) == 1, lines
    m = HTTP_LINE.match(lines[0])
    assert m and m["icon"] == "✗" and m["method"] == "CONNECT" and m["status"] == "403"
    assert m["url"] == "https://blocked.test:443"


def test_curl_socks5(tmp_path):
    with origin() as o, Proxyd("--allow", "localhost", "--deny", "denied.test", "-d",
                               log=tmp_path / "log") as p:
        s = f"127.0.0.1:{p.socks}"
        r = curl("--socks5-hostname", s, f"http://localhost:{o.server_port}/hello")
        assert r.returncode == 0, r.stderr
        assert r.stdout == "hello from origin\n"
        # ALL_PROXY=socks5h:// as fence sets it (§6.5)
        r = curl(f"http://localhost:{o.server_port}/hello",
                 env={"ALL_PROXY": p.env_vars()["ALL_PROXY"]})
        assert r.returncode == 0, r.stderr
        r = curl("--socks5-hostname", s, "http://denied.test/")
        assert r.returncode == 97 and "(2)" in r.stderr  # 0x02: not allowed by ruleset
        r = curl("--socks5-hostname", s, "http://other.test/")
        assert r.returncode == 97 and "(2)" in r.stderr
        r = curl("--socks5-hostname", s, "http://localhost:1/")
        assert r.returncode == 97 and "(5)" in r.stderr  # 0x05: refused
    lines = p.log_lines()
    socks = [SOCKS_LINE.match(line) for line in lines if TIMESTAMPED.match(line)]
    assert all(socks), lines
    verdicts = {(m["icon"], m["dest"], m["verdict"]) for m in socks}
    assert ("✓", f"localhost:{o.server_port}", "ALLOWED") in verdicts
    assert ("✗", "denied.test:80", "BLOCKED") in verdicts


def test_python_urllib(tls):
    cert, _ = tls
    script = r"""
import json, ssl, sys, urllib.request, urllib.error
ctx = ssl.create_default_context(cafile=sys.argv[3])
out = {}
for name, url in (("http", sys.argv[1]), ("https", sys.argv[2]), ("denied", "http://denied.test/")):
    try:
        with urllib.request.urlopen(url, timeout=10, context=ctx if url.startswith("https") else None) as r:
            out[name] = [r.status, r.read().decode()]
    except urllib.error.HTTPError as e:
        out[name] = [e.code, e.read().decode()]
data = b"x" * 300000
req = urllib.request.Request(sys.argv[1].replace("/hello", "/echo"), data=data, method="POST")
with urllib.request.urlopen(req, timeout=10) as r:
    out["post"] = [r.status, len(r.read())]
print(json.dumps(out))
"""
    with origin() as plain, origin(tls=tls) as secure, Proxyd("--allow", "localhost") as p:
        r = run([sys.executable, "-c", script, f"http://localhost:{plain.server_port}/hello",
                 f"https://localhost:{secure.server_port}/hello", cert], env=p.env_vars())
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
    assert out["http"] == [200, "hello from origin\n"]
    assert out["https"] == [200, "hello from origin\n"]
    assert out["denied"] == [403, BODY_403]
    assert out["post"] == [200, 300000]


def test_node(tls):
    require(have("node"), "node not installed")
    cert, _ = tls
    # Node 20's http/https ignore proxy variables; a client that wants a proxy speaks CONNECT
    script = r"""
const http = require('http'), tls = require('tls'), fs = require('fs');
const [proxyPort, host, port, ca] = process.argv.slice(1);
function tunnel(target, cb) {
  const req = http.request({host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: target});
  req.on('connect', (res, socket) => cb(res.statusCode, socket));
  req.end();
}
tunnel(`${host}:${port}`, (code, socket) => {
  const s = tls.connect({socket, servername: host, ca: fs.readFileSync(ca)}, () => {
    s.write(`GET /hello HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  });
  let body = '';
  s.on('data', d => body += d);
  s.on('end', () => {
    tunnel('denied.test:443', (code2, sock2) => {
      console.log(JSON.stringify({code, body: body.split('\r\n\r\n')[1], denied: code2}));
      sock2.destroy();
    });
  });
});
"""
    with origin(tls=tls) as o, Proxyd("--allow", "localhost") as p:
        r = run(["node", "-e", script, str(p.http), "localhost", str(o.server_port), cert])
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
    assert out == {"code": 200, "body": "hello from origin\n", "denied": 403}


def test_git_over_https(tmp_path, tls):
    require(have("git"), "git not installed")
    cert, _ = tls
    src, served = tmp_path / "src", tmp_path / "served"
    env = {"GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp_path), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for argv in (["git", "init", "-q", str(src)],
                 ["git", "-C", str(src), "commit", "-q", "--allow-empty", "-m", "through fence"],
                 ["git", "clone", "-q", "--bare", str(src), str(served / "repo.git")],
                 ["git", "-C", str(served / "repo.git"), "update-server-info"]):
        r = run(argv, env=env)
        assert r.returncode == 0, r.stderr
    with origin(tls=tls, root=served) as o, Proxyd("--allow", "localhost") as p:
        env.update(p.env_vars())
        env["GIT_SSL_CAINFO"] = cert
        r = run(["git", "clone", "-q", f"https://localhost:{o.server_port}/repo.git",
                 str(tmp_path / "clone")], env=env)
        assert r.returncode == 0, r.stderr
        r = run(["git", "-C", str(tmp_path / "clone"), "log", "--format=%s"], env=env)
        assert r.stdout.strip() == "through fence"
        # and a denied host fails with the proxy's answer
        r = run(["git", "ls-remote", "https://denied.test/repo.git"], env=env)
        assert r.returncode != 0 and "403" in r.stderr


def test_upstream_proxy(tmp_path):
    # the upstream is a second fence proxy (it allows localhost); ours sends the grey zone there
    with origin() as o, Proxyd("--allow", "localhost", log=tmp_path / "up") as up, \
            Proxyd("--upstream", f"http://127.0.0.1:{up.http}", "--default-action", "proxy",
                   "--deny", "denied.test", "-d", log=tmp_path / "log") as p:
        r = curl(f"http://localhost:{o.server_port}/hello", env=p.env_vars())
        assert r.returncode == 0 and r.stdout == "hello from origin\n", r.stderr
        r = curl("-i", "http://denied.test/", env=p.env_vars())
        assert r.stdout.startswith("HTTP/1.1 403")
        r = curl("-p", "-x", p.url, "http://other.test/")
        assert r.returncode == 56 and "403" in r.stderr  # the upstream said no
        # SOCKS never forwards upstream
        r = curl("--socks5-hostname", f"127.0.0.1:{p.socks}", f"http://localhost:{o.server_port}/")
        assert r.returncode == 97 and "(2)" in r.stderr
    lines = p.log_lines()
    assert any(line.startswith("[fence:filter] No matching rule, forwarding upstream: localhost:")
               for line in lines), lines
    assert any((m := HTTP_LINE.match(line)) and m["icon"] == "→" for line in lines), lines


def test_ipv6_loopback_listener_and_literal():
    require(subprocess.run(["sh", "-c", "test -e /proc/net/if_inet6"]).returncode == 0,
            "no IPv6")
    with origin(host="::1") as o, Proxyd("--allow", "::1") as p:
        r = curl("-x", p.url, f"http://[::1]:{o.server_port}/hello")
        assert r.returncode == 0 and r.stdout == "hello from origin\n", r.stderr
        r = curl("-p", "-x", p.url, f"http://[::1]:{o.server_port}/hello")
        assert r.returncode == 0 and r.stdout == "hello from origin\n", r.stderr


def test_load_through_driver():
    """1,000 concurrent tunnels and 20,000 requests: zero errors, no fd or RSS growth (the
    full 100,000-request run is in bench/)."""
    require(os.access(PROXY_BENCH, os.X_OK), "proxy-bench not built")
    require(resource.getrlimit(resource.RLIMIT_NOFILE)[1] >= 8192,
            "the hard RLIMIT_NOFILE is too low for 1,000 tunnels (need 8192)")
    r = subprocess.run([PROXY_BENCH, "load", "--tunnels", "1000", "--requests", "20000"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "errors 0" in r.stdout
