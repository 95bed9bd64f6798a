# SPDX-License-Identifier: MIT
"""Escape class 2 of spec/anchors.md §5: unix sockets of privileged host daemons (docker.sock,
the D-Bus buses, ssh-agent). A read-only bind does not stop connect() and a network namespace
does not isolate pathname sockets: fence hides every such socket it finds under /dev/null
(docs/linux-engine.md, "Unix sockets"). A real server listens on the host; each attack connects
from inside a real sandbox and must be refused, and works without fence (the control) and when
the policy grants it (network.allowUnixSockets / allowAllUnixSockets). As root and as an
unprivileged user."""
import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path

import pytest

from conftest import IS_ROOT, require
from sandbox_util import host, sandbox

CLIENT = r'''
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "dgram" else socket.SOCK_STREAM
s = socket.socket(socket.AF_UNIX, kind)
try:
    if kind == socket.SOCK_DGRAM:
        s.sendto(b"ping", sys.argv[2]); print("sent")
    else:
        s.connect(sys.argv[2]); print("connected", s.recv(64).decode())
except OSError as e:
    print("refused", e.errno)
'''


class Server:
    """A unix socket server on the host (stream: answers "daemon"; dgram: counts datagrams)."""

    def __init__(self, path, kind=socket.SOCK_STREAM):
        self.path = str(path)
        self.kind = kind
        self.got = 0
        self.sock = socket.socket(socket.AF_UNIX, kind)
        self.sock.bind(self.path)
        os.chmod(self.path, 0o666)  # the unprivileged identity may connect without fence
        if kind == socket.SOCK_STREAM:
            self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                if self.kind == socket.SOCK_STREAM:
                    c, _ = self.sock.accept()
                    c.sendall(b"daemon")
                    c.close()
                else:
                    self.sock.recv(64)
                    self.got += 1
            except OSError:
                continue

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()
        os.unlink(self.path)


@pytest.fixture
def client(env):
    require(os.path.exists("/usr/bin/python3"), "python3")
    env.write("client.py", CLIENT)
    return "/usr/bin/python3 client.py"


def traversable(path):
    """Makes every directory above path traversable by the unprivileged identity."""
    for p in Path(path).parents:
        try:
            os.chmod(p, os.stat(p).st_mode | 0o011)
        except PermissionError:
            pass


@pytest.fixture
def run_socket():
    """A stream server directly under /run, where system daemons put theirs (root only)."""
    if not IS_ROOT:
        pytest.skip("needs root to create a socket under /run")
    d = tempfile.mkdtemp(prefix="fence-test-", dir="/run")
    os.chmod(d, 0o755)
    srv = Server(Path(d) / "daemon.sock")
    yield srv
    srv.close()
    os.rmdir(d)


def test_socket_under_run_hidden(env, client, run_socket):
    cmd = f"{client} stream {run_socket.path}"
    assert host(env, cmd).stdout.strip() == "connected daemon"  # control
    p = sandbox(env, cmd)
    assert p.stdout.strip() == "refused 111", p.stderr  # ECONNREFUSED
    # what the sandbox sees there: /dev/null, not a socket
    p = sandbox(env, f"test -S {run_socket.path} || echo not-a-socket")
    assert "not-a-socket" in p.stdout
    # granted by path, and by allowAllUnixSockets
    p = sandbox(env, cmd, {"network.allowUnixSockets": [run_socket.path]})
    assert p.stdout.strip() == "connected daemon", p.stderr
    p = sandbox(env, cmd, {"network.allowAllUnixSockets": True})
    assert p.stdout.strip() == "connected daemon", p.stderr


@pytest.mark.parametrize("var,value", [
    ("SSH_AUTH_SOCK", "{}"),
    ("DBUS_SESSION_BUS_ADDRESS", "unix:path={},guid=0123456789abcdef"),
    ("DOCKER_HOST", "unix://{}"),
])
def test_socket_named_by_environment_hidden(env, client, var, value):
    """A socket an environment variable points at (an agent, a bus, docker), anywhere."""
    d = Path(tempfile.mkdtemp(dir="/var/tmp"))  # not under the sandbox's private /tmp
    os.chmod(d, 0o755)
    traversable(d)
    srv = Server(d / "agent.sock")
    try:
        extra = {var: value.format(srv.path)}
        cmd = f"{client} stream {srv.path}"
        assert host(env, cmd, extra_env=extra).stdout.strip() == "connected daemon"  # control
        p = sandbox(env, cmd, extra_env=extra)
        assert p.stdout.strip() == "refused 111", p.stderr
        p = sandbox(env, cmd, {"network.allowUnixSockets": [str(d)]}, extra_env=extra)
        assert p.stdout.strip() == "connected daemon", p.stderr
    finally:
        srv.close()
        d.rmdir()


def test_docker_desktop_socket_in_home_hidden(env, client):
    # a home the sandbox can see (the test's own is below the private /tmp)
    home = Path(tempfile.mkdtemp(dir="/var/tmp"))
    os.chmod(home, 0o755)
    traversable(home)
    d = home / ".docker" / "run"
    d.mkdir(parents=True)
    srv = Server(d / "docker.sock")
    try:
        extra = {"HOME": str(home)}
        cmd = f"{client} stream {srv.path}"
        assert host(env, cmd, extra_env=extra).stdout.strip() == "connected daemon"  # control
        p = sandbox(env, cmd, extra_env=extra)
        assert p.stdout.strip() == "refused 111", p.stderr
        p = sandbox(env, cmd, {"network.allowUnixSockets": ["~/.docker/run/docker.sock"]},
                    extra_env=extra)
        assert p.stdout.strip() == "connected daemon", p.stderr
    finally:
        srv.close()
        shutil.rmtree(home)


def test_datagram_socket_hidden(env, client):
    """sendto() a pathname datagram socket is the same attack without connect(): the mask
    answers it too."""
    d = Path(tempfile.mkdtemp(dir="/var/tmp"))
    os.chmod(d, 0o755)
    traversable(d)
    srv = Server(d / "log.sock", socket.SOCK_DGRAM)
    try:
        extra = {"SSH_AUTH_SOCK": srv.path}
        cmd = f"{client} dgram {srv.path}"
        assert host(env, cmd, extra_env=extra).stdout.strip() == "sent"  # control
        p = sandbox(env, cmd, extra_env=extra)
        assert p.stdout.strip() == "refused 111", p.stderr
    finally:
        srv.close()
        d.rmdir()


def test_run_user_hidden(env):
    """/run/user (the per-user daemons: D-Bus session bus, systemd --user, podman, pipewire,
    gpg-agent) is an empty directory inside, sockets made there later included."""
    if not os.path.isdir("/run/user"):
        pytest.skip("this host has no /run/user")
    p = sandbox(env, "ls -A /run/user | wc -l; touch /run/user/x; echo rc=$?")
    assert p.stdout.split()[0] == "0" and "rc=1" in p.stdout, p.stdout + p.stderr


def test_sockets_in_the_workspace_stay(env, client):
    """The project's own sockets (a dev server's) are not the host's daemons: left alone."""
    srv = Server(env.work / "dev.sock")
    try:
        p = sandbox(env, f"{client} stream dev.sock")
        assert p.stdout.strip() == "connected daemon", p.stderr
    finally:
        srv.close()
