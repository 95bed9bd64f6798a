# SPDX-License-Identifier: MIT
"""Helpers for the proxy integration tests: run tests/drivers/fence-proxyd, and origins on
loopback (plain HTTP/1.1, TLS, a raw echo) in threads of the test process.

The proxy is run outside any sandbox here; the sandboxed variants of these tests come with the
engine (they use the same origins and assertions from inside a real sandbox).
"""
import contextlib
import http.server
import os
import re
import signal
import socket
import socketserver
import ssl
import subprocess
import threading
from pathlib import Path

BUILD_ROOT = Path(os.environ.get("FENCE_BUILD_ROOT") or
                  Path(__file__).resolve().parents[2] / "build")
PROXYD = os.environ.get("FENCE_PROXYD") or str(BUILD_ROOT / "tests" / "drivers" / "fence-proxyd")
PROXY_BENCH = str(BUILD_ROOT / "bench" / "proxy-bench")

BODY_403 = "Connection blocked by network allowlist\n"
# [fence:http] HH:MM:SS <icon> <METHOD padded to 7> <status> <host> <url> (<duration>)
HTTP_LINE = re.compile(
    r"^\[fence:http\] \d\d:\d\d:\d\d (?P<icon>[✓✗!→]) (?P<method>\S+) *(?P<status>\d{3}) "
    r"(?P<host>\S+) (?P<url>\S+) \((?P<dur>[0-9.hms]+)\)$")
SOCKS_LINE = re.compile(
    r"^\[fence:socks\] \d\d:\d\d:\d\d (?P<icon>[✓✗]) CONNECT (?P<dest>\S+) (?P<verdict>ALLOWED|BLOCKED)$")


class Proxyd:
    """A running fence-proxyd; use as a context manager."""

    def __init__(self, *args, log=None, env=None):
        self.args = [str(a) for a in args]
        self.log = Path(log) if log else None
        self.env = env
        self.proc = None
        self.http = self.socks = None
        self.stats = ""

    def __enter__(self):
        argv = [PROXYD, "--http", "127.0.0.1:0", "--socks", "127.0.0.1:0", *self.args]
        if self.log:
            argv += ["--log", str(self.log)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=self.env)
        line = self.proc.stdout.readline()
        m = re.match(r"READY pid=\d+ http=(\d+) socks=(\d+)", line)
        if not m:
            self.proc.kill()
            raise AssertionError(f"fence-proxyd did not start: {line!r} {self.proc.stderr.read()}")
        self.http, self.socks = int(m.group(1)), int(m.group(2))
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=10)
        self.stats = out
        self.stderr = err
        assert self.proc.returncode == 0, f"fence-proxyd exited {self.proc.returncode}: {err}"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http}"

    def env_vars(self):
        """The proxy variables of spec §6.5, pointing at this proxy."""
        http = self.url
        socks = f"socks5h://127.0.0.1:{self.socks}"
        return {"HTTP_PROXY": http, "HTTPS_PROXY": http, "http_proxy": http,
                "https_proxy": http, "ALL_PROXY": socks, "all_proxy": socks}

    def log_lines(self):
        return self.log.read_text().splitlines() if self.log and self.log.exists() else []


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "origin/1"

    def log_message(self, *args):
        pass

    def _send(self, code, body, headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def _file(self):
        """The path without query, relative to the served root (a static "dumb" git server
        answers info/refs the same with or without ?service=...)."""
        return self.path.split("?", 1)[0].lstrip("/")

    def do_GET(self):
        self.server.requests.append((self.command, self.path, dict(self.headers)))
        if self.path == "/hello":
            self._send(200, "hello from origin\n")
        elif self.path == "/redirect":
            self._send(302, "", [("Location", "http://elsewhere.test/")])
        elif self.path == "/headers":
            self._send(200, "".join(f"{k}: {v}\n" for k, v in self.headers.items()))
        elif self.server.root and (self.server.root / self._file()).is_file():
            self._send(200, (self.server.root / self._file()).read_bytes())
        else:
            self._send(404, "not found\n")

    do_HEAD = do_GET

    def do_POST(self):
        self.server.requests.append((self.command, self.path, dict(self.headers)))
        self._send(200, self._body())

    do_PUT = do_POST


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, root=None, family=socket.AF_INET):
        self.address_family = family
        self.requests = []
        self.root = Path(root) if root else None
        super().__init__(addr, _Handler)


@contextlib.contextmanager
def origin(host="127.0.0.1", tls=None, root=None, port=0):
    """An HTTP/1.1 origin (TLS when tls=(cert, key)) in a thread; yields the server."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = _Server((host, port), root=root, family=family)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def make_cert(directory):
    """A self-signed certificate for localhost and 127.0.0.1; returns (cert, key)."""
    d = Path(directory)
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return str(cert), str(key)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
