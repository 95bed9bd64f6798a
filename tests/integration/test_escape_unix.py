# SPDX-License-Identifier: MIT
"""Escape class 2 (host unix sockets), the cases test_escape_unix_sockets.py does not cover: an
SSH ControlMaster socket in ~/.ssh of the user's home (an open session to another host), and the
environment: SSH_AUTH_SOCK and DBUS_SESSION_BUS_ADDRESS are dropped when the socket they name is
masked (programs see no agent or bus at once), kept when the policy grants the socket. Each
attack is shown to work without fence. As root and as an unprivileged user."""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from sandbox_util import host, sandbox
from test_escape_unix_sockets import Server, client, traversable  # noqa: F401 (fixture)


@pytest.fixture
def home(env):
    """A home the sandbox can see (the test's own is below the sandbox's private /tmp)."""
    h = Path(tempfile.mkdtemp(prefix="fence-home-", dir="/var/tmp"))
    os.chmod(h, 0o755)
    traversable(h)
    yield h
    shutil.rmtree(h)


def test_ssh_controlmaster_socket_in_home_hidden(env, client, home):
    d = home / ".ssh" / "cm"
    d.mkdir(parents=True)
    srv = Server(d / "git@github.com:22")
    try:
        extra = {"HOME": str(home)}
        cmd = f"{client} stream '{srv.path}'"
        assert host(env, cmd, extra_env=extra).stdout.strip() == "connected daemon"  # control
        p = sandbox(env, cmd, extra_env=extra)
        assert p.stdout.strip() == "refused 111", p.stderr
    finally:
        srv.close()


SHOW = 'echo "agent=${SSH_AUTH_SOCK-unset} bus=${DBUS_SESSION_BUS_ADDRESS-unset}"'


def test_agent_and_bus_variables_dropped_when_masked(env, home):
    srv = Server(home / "agent.sock")
    bus = Server(home / "bus")
    try:
        extra = {"SSH_AUTH_SOCK": srv.path,
                 "DBUS_SESSION_BUS_ADDRESS": f"unix:path={bus.path},guid=0123456789abcdef"}
        out = host(env, SHOW, extra_env=extra).stdout.strip()  # control: both there
        assert out == f"agent={srv.path} bus=unix:path={bus.path},guid=0123456789abcdef"
        p = sandbox(env, SHOW, extra_env=extra)
        assert p.stdout.strip() == "agent=unset bus=unset", p.stderr
        # granted: the variables stay with their sockets
        p = sandbox(env, SHOW, {"network.allowUnixSockets": [str(home)]}, extra_env=extra)
        assert p.stdout.strip() == out, p.stderr
        # -d says what was dropped
        p = sandbox(env, "true", extra=["-d"], extra_env=extra)
        assert "stripped SSH_AUTH_SOCK DBUS_SESSION_BUS_ADDRESS" in p.stderr, p.stderr
    finally:
        srv.close()
        bus.close()


def test_variable_kept_when_socket_not_masked(env):
    """A name that is no socket (nothing to hide) is left as it is, as the Go tool does."""
    extra = {"SSH_AUTH_SOCK": "/nonexistent/agent.sock"}
    p = sandbox(env, SHOW, extra_env=extra)
    assert p.stdout.strip().startswith("agent=/nonexistent/agent.sock"), p.stderr
