# SPDX-License-Identifier: MIT
"""Escape classes 1 (seccomp part), 6 and 7 of spec/anchors.md §5, attacked from inside a real
`fence` sandbox with tests/helpers/sc-attack, and each attack also run without fence to show that
it works where nothing stops it (skipped with the reason when the host itself forbids it).

  class 1  TIOCSTI (and TIOCSTI | 1<<32) on the controlling terminal, TIOCLINUX
  class 6  nested user namespaces (unshare -Ur, unshare(), clone()), setns, the new mount API
  class 7  x32 and i386 (int 0x80) system calls, io_uring, clone3, ptrace, process_vm_readv
  class 9  AF_VSOCK (the filter's socket-family list)
"""
import os
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import DEFAULT_TIMEOUT, require
from sandbox_util import HELPERS, sandbox_argv

HELPER = HELPERS / "sc-attack"
SIGSYS_STATUS = 128 + signal.SIGSYS
# The attacks run `unshare`, which the default command list refuses before anything starts;
# these tests are about what the kernel filters answer, so the preflight list is off.
POLICY = {"command.useDefaults": False}
_runner = {}


def outcome(proc):
    """'ok', 'refused <ERRNO>', 'killed <SIG>', or 'error: ...' from a helper run."""
    rc = proc.returncode
    if rc in (-signal.SIGSYS, SIGSYS_STATUS):
        return "killed SIGSYS"
    if rc < 0:
        return f"killed {signal.Signals(-rc).name}"
    if rc > 128 and rc - 128 < signal.NSIG:
        return f"killed {signal.Signals(rc - 128).name}"
    line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if rc == 0 and ": ok" in line:
        return "ok"
    if rc == 1 and "refused errno=" in line:
        return "refused " + line.split("refused errno=")[1].split()[0]
    return f"error: rc={rc} stdout={proc.stdout!r} stderr={proc.stderr!r}"


def run(env, argv, stdin=subprocess.DEVNULL):
    return subprocess.run(env.ident.wrap(list(map(str, argv))), cwd=str(env.work),
                          env=env.environ(), stdin=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=DEFAULT_TIMEOUT)


def bare(env, attack, prefix=(), stdin=subprocess.DEVNULL):
    """The attack without fence (the control run)."""
    return run(env, [*prefix, HELPER, attack], stdin=stdin)


def fenced_argv(env, *argv, stdin=subprocess.DEVNULL):
    """argv inside a fence sandbox (`fence -s POLICY -- argv...`)."""
    fence = sandbox_argv(env, "", POLICY)[:-2]  # drop the "-c ''"
    return run(env, [*fence, "--", *argv], stdin=stdin)


def no_default_command_denies(env):
    """These attacks test the syscall filter: the default command rules (which refuse `unshare`
    before it runs, and mask /usr/bin/unshare) must not stop them first."""
    if not (env.work / "fence.json").exists():
        env.write("fence.json", '{"command": {"useDefaults": false}}')


def fenced(env, attack, prefix=(), stdin=subprocess.DEVNULL):
    """The attack inside a fence sandbox with the default policy."""
    return fenced_argv(env, *prefix, HELPER, attack, stdin=stdin)


@pytest.fixture
def sandbox(env):
    """An Env in which `fence -- true` works; otherwise skip (fail under FENCE_MUST_WORK)."""
    require(HELPER.exists(), f"helper not built: {HELPER}")
    key = env.ident.name
    if key not in _runner:
        p = fenced_argv(env, "true")
        _runner[key] = "" if p.returncode == 0 else p.stderr.strip()
    require(_runner[key] == "", f"fence cannot run a sandbox here: {_runner[key]}")
    return env


def control_ok(proc, what):
    """Skips the test when the host itself refuses the attack (nothing to prove then)."""
    got = outcome(proc)
    if got != "ok":
        pytest.skip(f"{what} does not work on this host without fence either ({got})")


# --- class 1: terminal injection ------------------------------------------------------------


def legacy_tiocsti_enabled():
    try:
        return Path("/proc/sys/dev/tty/legacy_tiocsti").read_text().strip() != "0"
    except OSError:
        return True  # kernels before 6.2 have no switch: TIOCSTI always works


@pytest.mark.parametrize("attack", ["tiocsti", "tiocsti-high"])
def test_tiocsti_refused(sandbox, attack):
    if not legacy_tiocsti_enabled():
        pytest.skip("dev.tty.legacy_tiocsti=0: the kernel refuses TIOCSTI without fence")
    master, slave = os.openpty()
    try:
        control_ok(bare(sandbox, attack, stdin=slave), attack)
        p = fenced(sandbox, attack, stdin=slave)
        assert outcome(p) == "refused EPERM", p.stdout + p.stderr
        # the refusal came from the filter: the helper had made the pty its controlling tty
        assert "setup error" not in p.stdout
    finally:
        os.close(master)
        os.close(slave)


def test_tioclinux_refused(sandbox):
    # On anything but a virtual console the kernel answers ENOTTY/EINVAL: reaching it at all is
    # what the filter prevents (a VT would give the selection/paste primitives of
    # CVE-2023-28100). The request goes to a terminal the test owns.
    master, slave = os.openpty()
    try:
        got = outcome(bare(sandbox, "tioclinux", stdin=slave))
        assert got.startswith("refused ") and got != "refused EPERM", got
        p = fenced(sandbox, "tioclinux", stdin=slave)
        assert outcome(p) == "refused EPERM", p.stdout + p.stderr
    finally:
        os.close(master)
        os.close(slave)


# --- class 6: nested user namespaces and the mount API --------------------------------------


def test_unshare_Ur_refused(sandbox):
    p = run(sandbox, ["unshare", "-Ur", "true"])
    if p.returncode != 0:
        pytest.skip(f"unshare -Ur does not work on this host: {p.stderr.strip()}")
    p = fenced_argv(sandbox, "unshare", "-Ur", "true")
    assert p.returncode != 0
    assert "Operation not permitted" in p.stderr


@pytest.mark.parametrize("attack", ["unshare-user", "clone-newuser", "userns-mount"])
def test_nested_userns_refused(sandbox, attack):
    control_ok(bare(sandbox, attack), attack)
    p = fenced(sandbox, attack)
    assert outcome(p) == "refused EPERM", p.stdout + p.stderr


@pytest.mark.parametrize("attack", ["open-tree", "move-mount", "fsopen"])
def test_new_mount_api_refused(sandbox, attack):
    # The mount API needs CAP_SYS_ADMIN over a mount namespace, which a process gets by
    # creating a user namespace: the control does exactly that (unshare -Urm) without fence.
    control_ok(bare(sandbox, attack, prefix=("unshare", "-Urm")), attack)
    p = fenced(sandbox, attack)
    assert outcome(p) == "refused EPERM", p.stdout + p.stderr
    # and the way to the capabilities is closed too
    p = fenced(sandbox, attack, prefix=("unshare", "-Urm"))
    assert p.returncode != 0 and "Operation not permitted" in p.stderr, p.stdout + p.stderr


def test_setns_refused(sandbox):
    # setns(-1, 0): the kernel answers EBADF, the filter EPERM before looking at the fd.
    control_ok(bare(sandbox, "setns"), "setns")
    p = fenced(sandbox, "setns")
    assert outcome(p) == "refused EPERM", p.stdout + p.stderr


# --- class 7: filter bypasses ----------------------------------------------------------------


def test_x32_killed(sandbox):
    # Without fence an x32 call is answered (ENOSYS when the kernel has no x32 ABI, which is
    # the usual case): it never kills. Inside, the filter kills the process before that.
    got = outcome(bare(sandbox, "x32"))
    assert not got.startswith("killed"), got
    p = fenced(sandbox, "x32")
    assert outcome(p) == "killed SIGSYS", p.stdout + p.stderr


def test_int80_killed(sandbox):
    got = outcome(bare(sandbox, "int80"))
    if got != "ok":
        pytest.skip("int 0x80 does not work on this host without fence (IA32 emulation off "
                    f"at run time: {got}); the arch check is covered by test-seccomp's BPF test")
    p = fenced(sandbox, "int80")
    assert outcome(p) == "killed SIGSYS", p.stdout + p.stderr


@pytest.mark.parametrize("attack,errno", [
    ("io-uring", "ENOSYS"),
    ("clone3", "ENOSYS"),
    ("ptrace", "EPERM"),
    ("process-vm-readv", "EPERM"),
    ("vsock", "EAFNOSUPPORT"),
])
def test_filtered_syscalls(sandbox, attack, errno):
    control_ok(bare(sandbox, attack), attack)
    p = fenced(sandbox, attack)
    assert outcome(p) == f"refused {errno}", p.stdout + p.stderr


def test_threads_and_forks_still_work(sandbox):
    # clone3 -> ENOSYS must make libc fall back to clone, not fail: a threaded program and a
    # shell pipeline run normally.
    p = fenced_argv(sandbox, "python3", "-c",
                    "import threading; t = threading.Thread(target=print, args=('thread',)); "
                    "t.start(); t.join()")
    assert p.returncode == 0 and p.stdout == "thread\n", p.stderr
    p = fenced_argv(sandbox, "bash", "-c", "echo a | tr a b")
    assert p.returncode == 0 and p.stdout == "b\n", p.stderr
