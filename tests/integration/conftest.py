# SPDX-License-Identifier: MIT
"""Shared fixtures for the integration tests: they drive the built `fence` binary.

Every test gets an isolated HOME and XDG_CONFIG_HOME (so discovery never sees the developer's
own config) and a fresh working directory. Tests that exercise the sandbox use the `user`
fixture, which runs them both as root (when the suite runs as root) and as an unprivileged user
made with setpriv, because users run fence unprivileged while CI runs as root.

Environment:
  FENCE_BIN          path of the fence binary (set by meson)
  FENCE_SOURCE_ROOT  the source tree
  FENCE_MUST_WORK=1  turn require() skips into failures (CI sets it)
"""
import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

FENCE_BIN = os.environ.get("FENCE_BIN") or str(
    Path(__file__).resolve().parents[2] / "build" / "fence")
SOURCE_ROOT = Path(os.environ.get("FENCE_SOURCE_ROOT") or Path(__file__).resolve().parents[2])
IS_ROOT = os.geteuid() == 0
# The unprivileged identity used for the "user" runs when the suite runs as root.
UNPRIV_UID = int(os.environ.get("FENCE_TEST_UID", "65534"))
UNPRIV_GID = int(os.environ.get("FENCE_TEST_GID", "65534"))
DEFAULT_TIMEOUT = 60


def require(condition, reason):
    """Skip unless condition holds; with FENCE_MUST_WORK=1 (CI) a missing feature fails."""
    if condition:
        return
    if os.environ.get("FENCE_MUST_WORK") == "1":
        pytest.fail("required feature missing (FENCE_MUST_WORK=1): " + reason)
    pytest.skip(reason)


@dataclass
class Identity:
    """Who a test runs fence as: `name` is "root" or "user"."""
    name: str
    uid: int
    gid: int

    @property
    def is_root(self):
        return self.uid == 0

    def wrap(self, argv):
        """Prefix argv so that it runs as this identity."""
        if self.uid == os.geteuid():
            return list(argv)
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                "--inh-caps=-all", "--"] + list(argv)


def _identities():
    if IS_ROOT:
        return [Identity("root", 0, 0), Identity("user", UNPRIV_UID, UNPRIV_GID)]
    return [Identity("user", os.geteuid(), os.getegid())]


@pytest.fixture(params=_identities(), ids=lambda i: i.name)
def user(request):
    """Runs the test once per identity (root and unprivileged when the suite runs as root)."""
    return request.param


@pytest.fixture
def me():
    """The identity of the test process itself (no setpriv)."""
    return Identity("self", os.geteuid(), os.getegid())


class Env:
    """An isolated home and work directory owned by the identity that runs fence."""

    def __init__(self, root: Path, ident: Identity):
        self.ident = ident
        self.root = root
        self.home = root / "home"
        self.work = root / "work"
        self.xdg = self.home / ".config"
        for d in (self.home, self.work, self.xdg):
            d.mkdir(parents=True, exist_ok=True)
        if ident.uid != os.geteuid():
            os.chmod(root, 0o755)
            for p in [root, *root.rglob("*")]:
                os.chown(p, ident.uid, ident.gid)
        # every ancestor must be traversable by the unprivileged identity
        p = root
        while p != p.parent:
            try:
                mode = p.stat().st_mode
                if not mode & 0o001:
                    os.chmod(p, mode | 0o001)
            except PermissionError:
                pass
            p = p.parent

    def environ(self, extra=None):
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.xdg),
            "LANG": "C.UTF-8",
            "TERM": "dumb",
        }
        if self.ident.uid != 0:
            try:
                env["USER"] = pwd.getpwuid(self.ident.uid).pw_name
            except KeyError:
                pass
        if extra:
            env.update(extra)
        return env

    def write(self, rel, text, mode=0o644):
        """Writes a file relative to work/ (or an absolute path) owned by the identity."""
        p = Path(rel) if os.path.isabs(rel) else self.work / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        os.chmod(p, mode)
        if self.ident.uid != os.geteuid():
            q = p
            while q != self.root and self.root in q.parents:
                os.chown(q, self.ident.uid, self.ident.gid)
                q = q.parent
        return p

    def fence(self, *args, cwd=None, env=None, input=None, timeout=DEFAULT_TIMEOUT,
              check=None):
        """Runs fence as the identity; returns CompletedProcess with text stdout/stderr."""
        argv = self.ident.wrap([FENCE_BIN, *map(str, args)])
        proc = subprocess.run(
            argv, cwd=str(cwd or self.work), env=self.environ(env), input=input,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
        if check is not None and proc.returncode != check:
            raise AssertionError(
                f"fence {' '.join(map(str, args))} exited {proc.returncode}, want {check}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def run(self, argv, cwd=None, env=None, input=None, timeout=DEFAULT_TIMEOUT):
        """Runs any command as the identity (no fence): the 'without fence' control runs."""
        return subprocess.run(
            self.ident.wrap(list(map(str, argv))), cwd=str(cwd or self.work),
            env=self.environ(env), input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, timeout=timeout)


@pytest.fixture
def env(tmp_path, user):
    """An isolated Env for the parametrised identity (root and user)."""
    return Env(tmp_path, user)


@pytest.fixture
def env_self(tmp_path, me):
    """An isolated Env for the test process's own identity (CLI-only tests)."""
    return Env(tmp_path, me)


def fence_available():
    return os.access(FENCE_BIN, os.X_OK)


def pytest_configure(config):
    if not fence_available():
        print(f"fence binary not found at {FENCE_BIN}", file=sys.stderr)


def have(cmd):
    return shutil.which(cmd) is not None
