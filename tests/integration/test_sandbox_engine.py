# SPDX-License-Identifier: MIT
"""The sandbox engine, against real sandboxes, as root and as an unprivileged user: what is
allowed works, what is denied fails with the expected errno."""
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import require
from sandbox_util import HELPERS, chown_tree, host, sandbox, sandbox_argv, sandbox_popen


def test_exit_status(env):
    assert sandbox(env, "exit 7").returncode == 7
    assert sandbox(env, "true").returncode == 0
    # killed by a signal: 128+N
    assert sandbox(env, "kill -TERM $$").returncode == 128 + signal.SIGTERM


def test_namespaces_and_identity(env):
    p = sandbox(env, "id -u; cat /proc/self/status | grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs)'"
                     "; echo pid1=$(cat /proc/1/comm); ls /sys/class/net")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split()
    assert lines[0] == str(env.ident.uid)
    assert "CapEff:\t0000000000000000" in p.stdout
    assert "CapBnd:\t0000000000000000" in p.stdout
    assert "CapAmb:\t0000000000000000" in p.stdout
    assert "NoNewPrivs:\t1" in p.stdout
    assert "pid1=fence" in p.stdout  # the sandbox's own init
    assert p.stdout.strip().endswith("lo")  # a network namespace with only loopback


def test_readonly_host_and_private_tmp(env):
    marker = f"/tmp/fence-host-marker-{os.getpid()}"
    with open(marker, "w") as f:
        f.write("host")
    try:
        p = sandbox(env, f"touch /usr/x 2>&1; test -e {marker} && echo visible; "
                         "echo in > /tmp/inside && cat /tmp/inside")
        assert "Read-only file system" in p.stdout
        assert "visible" not in p.stdout  # /tmp is private
        assert "in" in p.stdout
        assert not os.path.exists("/tmp/inside")
    finally:
        os.unlink(marker)


def test_allow_write(env):
    p = sandbox(env, "echo data > out.txt && mkdir -p d/e && echo ok",
                {"filesystem.allowWrite": ["."]})
    assert p.returncode == 0, p.stderr
    assert (env.work / "out.txt").read_text() == "data\n"
    # without allowWrite the workspace is read-only
    p = sandbox(env, "echo data > out2.txt")
    assert p.returncode != 0 and "Read-only file system" in p.stderr


def test_proc_and_dev(env):
    p = sandbox(env, "ls /proc | grep -c '^[0-9]'; echo x > /dev/null && echo devnull; "
                     "test -e /dev/sda || echo nodisk; ls /dev/pts; test -c /dev/ptmx && echo ptmx; "
                     "echo s > /dev/shm/a && echo shm; touch /dev/newfile 2>&1")
    assert p.returncode != 0 or True
    out = p.stdout
    assert int(out.split()[0]) <= 5  # only the sandbox's processes
    assert "devnull" in out and "nodisk" in out and "ptmx" in out and "shm" in out
    assert "Read-only file system" in out  # /dev itself is sealed


def test_proc_sys_readonly(env):
    p = sandbox(env, "echo 1 > /proc/sys/kernel/ns_last_pid 2>&1; echo rc=$?")
    assert "rc=0" not in p.stdout


def test_deny_read_masks(env):
    env.write("secret.txt", "top secret\n")
    env.write("secretdir/key", "k\n")
    policy = {"filesystem.denyRead": ["./secret.txt", "./secretdir"]}
    p = sandbox(env, "cat secret.txt; ls secretdir | wc -l; cat secretdir/key 2>&1; echo end",
                policy)
    assert "top secret" not in p.stdout
    assert "k\n" not in p.stdout.replace("key", "")
    assert p.stdout.strip().endswith("end")
    # control: readable without the rule
    assert "top secret" in sandbox(env, "cat secret.txt").stdout


def test_deny_write_existing_and_new(env):
    env.write("keep.pem", "pem\n")
    policy = {"filesystem.allowWrite": ["."], "filesystem.denyWrite": ["**/*.pem", "./locked"]}
    p = sandbox(env, "echo x >> keep.pem; echo rc1=$?; echo y > new.pem; echo rc2=$?; "
                     "mkdir locked; echo rc3=$?; echo ok > fine.txt; echo rc4=$?", policy)
    assert "rc1=1" in p.stdout and "Read-only file system" in p.stderr  # existing: EROFS
    assert "rc2=1" in p.stdout and "Permission denied" in p.stderr      # new: refused
    assert "rc3=1" in p.stdout
    assert "rc4=0" in p.stdout
    assert (env.work / "keep.pem").read_text() == "pem\n"
    assert not (env.work / "new.pem").exists()
    assert not (env.work / "locked").exists()


def test_dangerous_paths_existing_and_new(env):
    env.write(".bashrc", "# user rc\n")
    os.makedirs(env.work / ".git" / "hooks")
    env.write(".git/config", "[core]\n")
    chown_tree(env, env.work)
    policy = {"filesystem.allowWrite": ["."]}
    p = sandbox(env, "echo evil >> .bashrc; echo a=$?; echo evil > .zshrc; echo b=$?; "
                     "echo evil > .git/hooks/pre-commit; echo c=$?; echo x >> .git/config; "
                     "echo d=$?; mkdir .vscode; echo e=$?; echo '{}' > .mcp.json; echo f=$?; "
                     "mkdir -p sub/.idea; echo g=$?; echo ok > normal; echo h=$?", policy)
    for k in "abcdefg":
        assert f"{k}=1" in p.stdout, (k, p.stdout, p.stderr)
    assert "h=0" in p.stdout
    assert (env.work / ".bashrc").read_text() == "# user rc\n"
    for name in (".zshrc", ".git/hooks/pre-commit", ".vscode", ".mcp.json", "sub/.idea"):
        assert not (env.work / name).exists(), name


def test_git_hooks_after_moving_git_aside(env):
    """mv .git .git.old && mkdir -p .git/hooks must not allow planting a hook."""
    os.makedirs(env.work / ".git" / "hooks")
    chown_tree(env, env.work)
    policy = {"filesystem.allowWrite": ["."]}
    p = sandbox(env, "mv .git .git.old; echo mv=$?; mkdir -p .git/hooks && echo made; "
                     "echo evil > .git/hooks/post-checkout; echo rc=$?; "
                     "mkdir -p x/hooks && echo evil > x/hooks/pre-push && mv x .git/y; "
                     "mv x/hooks .git/hooks2; mv x .git 2>&1; echo rc2=$?", policy)
    assert "mv=1" in p.stdout, p.stderr  # a .git that existed at launch stays (fixgit2)
    assert "made" in p.stdout, p.stderr
    assert "rc=1" in p.stdout
    assert not (env.work / ".git" / "hooks" / "post-checkout").exists()
    assert "rc2=1" in p.stdout


def test_git_init_new_repo_hooks_refused(env):
    policy = {"filesystem.allowWrite": ["."], "filesystem.allowGitConfig": True}
    p = sandbox(env, "git init -q repo && echo inited; echo evil > repo/.git/hooks/pre-commit; "
                     "echo rc=$?; ls repo/.git/hooks | head -1", policy)
    assert "inited" in p.stdout, p.stderr
    assert "rc=1" in p.stdout
    assert not (env.work / "repo" / ".git" / "hooks" / "pre-commit").exists()


def test_environment(env):
    p = sandbox(env, "echo LD=${LD_PRELOAD-unset} DY=${DYLD_X-unset} BE=${BASH_ENV-unset} "
                     "FS=$FENCE_SANDBOX T=$TMPDIR X=$XDG_RUNTIME_DIR; test -d $XDG_RUNTIME_DIR && "
                     "echo xdgdir",
                extra_env={"LD_PRELOAD": "/nonexistent.so", "DYLD_X": "1",
                           "BASH_ENV": "/nonexistent", "TMPDIR": "/nonexistent/tmp",
                           "XDG_RUNTIME_DIR": "/run/user/4242"})
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "LD=unset" in out and "DY=unset" in out and "BE=unset" in out
    assert "FS=1" in out and "T=/tmp" in out
    assert f"X=/tmp/fence-runtime-{env.ident.uid}" in out and "xdgdir" in out


def test_shell_selection(env):
    p = sandbox(env, "echo $0", extra=["--shell", "user"], extra_env={"SHELL": "/bin/sh"})
    assert p.returncode == 0 and p.stdout.strip() == "/bin/sh", p.stderr
    p = sandbox(env, "true", extra=["--shell", "user"], extra_env={"SHELL": "sh"})
    assert p.returncode == 1
    assert 'requires absolute $SHELL path, got "sh"' in p.stderr
    p = sandbox(env, "true", extra=["--shell", "user"], extra_env={"SHELL": "/usr/bin/python3"})
    assert 'shell "/usr/bin/python3" from $SHELL is not allowed' in p.stderr
    p = sandbox(env, "shopt -q login_shell && echo login", extra=["--shell-login"])
    assert "login" in p.stdout


def test_signal_forwarding_and_second_sigint(env):
    proc = sandbox_popen(env, "trap 'echo got-int; exit 42' INT; echo ready; "
                              "while :; do sleep 0.05; done", stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert "got-int" in out
    assert proc.returncode == 42
    # a workload that ignores SIGINT: the second one kills the sandbox
    proc = sandbox_popen(env, "trap '' INT; echo ready; while :; do sleep 0.05; done",
                         stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)
    assert proc.returncode == 128 + signal.SIGKILL


def test_sigint_right_after_start(env):
    """A SIGINT that reaches fence as soon as the command runs, before the supervisor's loop
    is set up, is forwarded too (fence blocks the signals before it spawns the sandbox)."""
    for _ in range(10):
        # `wait` on one background sleep, not a loop of forks: bash 5.2 can lose a trapped
        # SIGINT that lands while it reaps a child in its fork loop (seen once under load).
        proc = sandbox_popen(env, "trap 'echo got-int; exit 42' INT; sleep 1000 & "
                                  "echo ready; wait", stderr=subprocess.PIPE)
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 42 and "got-int" in out, (proc.returncode, out, err)


def test_sandbox_dies_with_fence(env):
    proc = sandbox_popen(env, "echo $$; sleep 1000")
    proc.stdout.readline()
    # find the sleep on the host
    deadline = time.time() + 10
    sleepers = []
    while time.time() < deadline and not sleepers:
        sleepers = [p for p in os.listdir("/proc") if p.isdigit() and
                    _cmdline(p) == "sleep\x001000\x00"]
        time.sleep(0.05)
    assert sleepers
    os.kill(proc.pid if env.ident.uid == os.geteuid() else _child_of(proc.pid), signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.time() + 10
    while time.time() < deadline and any(os.path.exists(f"/proc/{p}") and
                                         _cmdline(p) == "sleep\x001000\x00" for p in sleepers):
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{p}") and _cmdline(p) == "sleep\x001000\x00"
                   for p in sleepers)


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline") as f:
            return f.read()
    except OSError:
        return ""


def _child_of(pid):
    # setpriv execs fence in place: same pid
    return pid


def test_setup_failure_is_reported(env):
    """A bad plan fails before exec with the op that failed, and nothing runs."""
    p = sandbox(env, "echo ran", extra=["--shell", "user"], extra_env={"SHELL": "/nonexistent/bash"})
    assert p.returncode == 1 and "ran" not in p.stdout
    assert p.stderr.startswith("Error: ")


def test_describe(env):
    p = sandbox(env, "true", {"filesystem.allowWrite": ["."]}, extra=["-d"])
    assert p.returncode == 0, p.stderr
    assert "root-ro" in p.stderr and "bind-rw" in p.stderr and "proc" in p.stderr
    assert "[fence] protected-names broker: on" in p.stderr


def test_default_deny_read_allowlist(env):
    env.write("visible.txt", "v\n")
    policy = {"filesystem.defaultDenyRead": True, "filesystem.allowRead": ["."]}
    p = sandbox(env, "cat visible.txt; ls /root 2>&1 | head -1; test -e /var/log && echo varlog; "
                     "ls /usr/bin/bash", policy)
    assert p.returncode == 0, p.stderr
    assert "v" in p.stdout
    assert "varlog" not in p.stdout  # not on the allowlist
    assert "/usr/bin/bash" in p.stdout


def test_expose_host_path(env):
    d = env.root / "exposed"
    d.mkdir()
    (d / "f").write_text("e\n")
    chown_tree(env, d)
    policy = {"filesystem.defaultDenyRead": True}
    p = sandbox(env, f"cat {d}/f", policy, extra=["--expose-host-path", str(d)])
    assert p.stdout == "e\n", p.stderr
    p = sandbox(env, f"echo w > {d}/g", extra=["--expose-host-path-rw", str(d)])
    assert p.returncode == 0, p.stderr
    assert (d / "g").read_text() == "w\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to mount a test filesystem")
def test_expose_rw_keeps_dangerous_paths_readonly(env):
    """Finding 9: --expose-host-path-rw over the workspace makes it writable, but .git/config,
    .git/hooks and denyWrite entries below it stay read-only."""
    subprocess.run(["git", "init", "-q", str(env.work)], check=True)
    (env.work / ".git" / "hooks").mkdir(exist_ok=True)
    env.write(".env", "SECRET=1\n")
    chown_tree(env, env.work)
    config = (env.work / ".git" / "config").read_text()
    attack = ("echo x > plain && echo plain-ok; echo x >> .git/config && echo CONFIG; "
              "echo x > .git/hooks/a.sample && echo HOOK; echo x >> .env && echo ENV; exit 0")
    c = host(env, attack)
    assert "CONFIG" in c.stdout and "HOOK" in c.stdout  # control: writable without fence
    (env.work / ".git" / "config").write_text(config)
    (env.work / ".git" / "hooks" / "a.sample").unlink()
    env.write(".env", "SECRET=1\n")
    p = sandbox(env, attack, {"filesystem.denyWrite": ["./.env"]},
                extra=["--expose-host-path-rw", str(env.work)])
    assert "plain-ok" in p.stdout, p.stderr  # the exposure is in effect
    assert "CONFIG" not in p.stdout and "HOOK" not in p.stdout and "ENV" not in p.stdout
    assert (env.work / ".git" / "config").read_text() == config
    assert not (env.work / ".git" / "hooks" / "a.sample").exists()
    assert (env.work / ".env").read_text() == "SECRET=1\n"


def _degrade(env, levels, command, flags=()):
    require((HELPERS / "degrade").exists(), "tests/helpers/degrade built")
    return env.run([str(HELPERS / "degrade"), *levels, "--",
                    *sandbox_argv(env, command, extra=flags)])


PROCS = "ls /proc | grep -c '^[0-9]'"


def _fence_lines(stderr):
    """stderr without the lines of sanitizer runtimes (ASan's "==N==WARNING: ..." note about
    the workload's private stack and its two follow-up lines)."""
    noise = ("==", "False positive error reports may follow", "For details see https://")
    return [l for l in stderr.splitlines() if not l.startswith(noise)]


def test_host_proc_fallback_is_a_named_level(env):
    """Finding 11: where a fresh /proc is refused (degrade no-procfs fails fence's procfs
    fsmount with EPERM, as containers do), fence refuses unless --allow-degraded=host-proc,
    and then says once that /proc is the host's."""
    p = _degrade(env, ["no-procfs"], f"echo RAN; {PROCS}")
    assert p.returncode == 1 and "RAN" not in p.stdout
    err = _fence_lines(p.stderr)
    assert len(err) == 1 and err[0].startswith("Error: failed to start command"), p.stderr
    assert "refuses a fresh /proc" in err[0] and "--allow-degraded=host-proc" in err[0]

    p = _degrade(env, ["no-procfs"], f"echo RAN; {PROCS}", ["--allow-degraded=host-proc"])
    assert p.returncode == 0, p.stderr
    assert "RAN" in p.stdout
    # the fallback is real: the host's processes are visible (what the level gives up)
    assert int(p.stdout.split()[1]) > 5
    banner = [l for l in _fence_lines(p.stderr) if "WARNING" in l]
    assert len(banner) == 1 and '"host-proc"' in banner[0], p.stderr

    # where procfs works the level changes nothing: a fresh /proc, no banner
    p = _degrade(env, [], f"echo RAN; {PROCS}", ["--allow-degraded=host-proc"])
    assert p.returncode == 0, p.stderr
    assert int(p.stdout.split()[1]) <= 5
    assert not any("WARNING" in l for l in _fence_lines(p.stderr)), p.stderr


def test_other_filesystems_visible(env):
    import tempfile
    from pathlib import Path
    base = Path(tempfile.mkdtemp(dir="/var/tmp"))
    os.chmod(base, 0o755)
    mnt = base / "otherfs"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "none", str(mnt)], check=True)
    try:
        (mnt / "tool").write_text("t\n")
        os.chmod(mnt, 0o755)
        p = sandbox(env, f"cat {mnt}/tool; touch {mnt}/x 2>&1")
        assert "t" in p.stdout and "Read-only file system" in p.stdout
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
        mnt.rmdir()
        base.rmdir()


def test_no_network_route(env):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    try:
        cmd = f"exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected"
        assert "connected" in host(env, cmd).stdout  # control
        p = sandbox(env, cmd)
        assert "connected" not in p.stdout
        # nothing listens there in the sandbox's own namespace; Landlock's TCP rules (ABI >= 4)
        # refuse the port before the namespace can
        assert "Connection refused" in p.stderr or "Permission denied" in p.stderr
    finally:
        srv.close()


def test_loopback_congestion_control(env):
    """The sandbox's own network namespace (loopback only) sends with reno, whatever the host's
    default: pacing congestion controls such as bbr only cost CPU on loopback. The host's
    setting is left alone."""
    path = "/proc/sys/net/ipv4/tcp_congestion_control"
    allowed = open("/proc/sys/net/ipv4/tcp_allowed_congestion_control").read().split()
    if "reno" not in allowed:
        pytest.skip("reno is not in net.ipv4.tcp_allowed_congestion_control here")
    before = open(path).read()
    p = sandbox(env, f"cat {path}")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "reno"
    assert open(path).read() == before
