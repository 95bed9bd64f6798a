# SPDX-License-Identifier: MIT
"""Escape suite for the classes of spec/anchors.md §5 that the engine answers (3, 4, 5, 10,
11, 13, 14, 15 and the PTY part of 1). Each attack runs inside a real sandbox and must fail;
each also runs without fence (the control) and must succeed there, so a regression is caught."""
import fcntl
import os
import pty
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import IS_ROOT, require
from sandbox_util import chown_tree, host, sandbox, sandbox_argv

WRITE_WS = {"filesystem.allowWrite": ["."]}


# --- class 3: symlink races during setup --------------------------------------------------

def test_class3_planted_symlink_in_writable_config_path(env):
    """allowWrite './build' replaced by a symlink to a host directory by an earlier run must not
    make that directory writable in the next launch."""
    target = Path(tempfile.mkdtemp(dir="/var/tmp"))
    os.chmod(target, 0o755)
    chown_tree(env, target)
    try:
        os.symlink(target, env.work / "build")
        chown_tree(env, env.work)
        cmd = "echo pwned > build/owned && echo wrote"
        assert "wrote" in host(env, cmd).stdout  # control: the symlink works on the host
        os.unlink(target / "owned")
        p = sandbox(env, cmd, {"filesystem.allowWrite": ["./build"]})
        assert "wrote" not in p.stdout
        assert not (target / "owned").exists()
    finally:
        shutil.rmtree(target)


def test_class3_planted_link_in_default_write_path(env):
    """Finding 5: run 1 (allowWrite ~/.npm) plants ~/.npm/_logs -> ~; run 2 with an empty
    policy must not get a writable home through the default write path ~/.npm/_logs."""
    npm, ssh = env.home / ".npm", env.home / ".ssh"
    npm.mkdir()
    ssh.mkdir()
    chown_tree(env, env.home)
    keys = ssh / "authorized_keys"
    p = sandbox(env, 'ln -s "$HOME" "$HOME/.npm/_logs" && echo planted',
                {"filesystem.allowWrite": ["~/.npm"]})
    assert "planted" in p.stdout, p.stderr
    # the attack path exists: the link is in place and leads home (what run 2 would bind)
    assert os.path.realpath(npm / "_logs") == str(env.home)
    c = host(env, 'echo key >> "$HOME/.npm/_logs/.ssh/authorized_keys" && echo wrote')
    assert "wrote" in c.stdout and keys.exists()  # control: through the link, home is writable
    keys.unlink()
    p = sandbox(env, 'echo key >> "$HOME/.ssh/authorized_keys" && echo wrote; '
                     'echo log > "$HOME/.npm/_logs/x" && echo wrote-via-link; exit 0')
    assert "wrote" not in p.stdout, p.stdout
    assert not keys.exists() and not (env.home / "x").exists()
    warn = [l for l in p.stderr.splitlines() if "WARNING" in l and not l.startswith("==")]
    assert len(warn) == 1 and "skipping" in warn[0] and ".npm/_logs" in warn[0], p.stderr


def test_class3_flipper_race(env):
    """A flipper swaps a planned mount target between a directory and a symlink to a directory
    the user owns outside the workspace while sandboxes launch: every launch either fails
    closed naming the mount op, or runs with the real directory; the outside directory is never
    written through the bind."""
    d = env.work / "build"
    victim = env.root / "victim"
    probe = victim / "fence-race-probe"
    stop = threading.Event()
    swapped = {"n": 0}

    def flip():
        while not stop.is_set():
            try:
                os.rename(env.work / "build", env.work / "build.d")
                os.symlink(victim, env.work / "build")
                os.unlink(env.work / "build")
                os.rename(env.work / "build.d", env.work / "build")
                swapped["n"] += 1
            except OSError:
                pass

    d.mkdir()
    victim.mkdir()
    chown_tree(env, env.root)
    t = threading.Thread(target=flip)
    t.start()
    outcomes = {"ok": 0, "closed": 0}
    try:
        # control: without fence the same write lands in the outside directory part of the time
        race = ("import os, time\nend = time.time() + 10\n"
                f"while time.time() < end and not os.path.exists('{probe}'):\n"
                " try: open('build/fence-race-probe', 'a').close()\n"
                " except OSError: pass\n")
        host(env, f'python3 -c "{race}"')
        assert probe.exists(), "control: the race is winnable without fence"
        probe.unlink()
        for _ in range(25):
            p = sandbox(env, "touch build/fence-race-probe 2>/dev/null && echo wrote; exit 0",
                        {"filesystem.allowWrite": ["./build"]})
            assert not probe.exists(), p.stdout + p.stderr
            if p.returncode == 0:
                outcomes["ok"] += 1
            else:
                assert "Error:" in p.stderr, p.stderr
                outcomes["closed"] += 1
    finally:
        stop.set()
        t.join()
    assert not probe.exists()
    assert swapped["n"] > 0


# --- class 4: helper processes visible inside --------------------------------------------

MEM_PY = """import os, sys
pid = sys.argv[1]
try:
    fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
except OSError as e:
    print("open-refused", e.errno)
    sys.exit()
try:
    maps = open(f"/proc/{pid}/maps").read().splitlines()
except OSError as e:
    print("opened, maps-refused", e.errno)
    sys.exit()
addr = next(int(l.split("-")[0], 16) for l in maps if l.split()[1].startswith("r"))
print("READ", len(os.pread(fd, 16, addr)))
"""


def test_class4_init_not_attackable(env):
    env.write("mem.py", MEM_PY)
    # control: a process of the same user is readable, its memory too, and killable
    victim = subprocess.Popen(env.ident.wrap(["sleep", "30"]))
    try:
        time.sleep(0.1)
        c = host(env, f"head -c 10 /proc/{victim.pid}/environ >/dev/null && echo readable; "
                      f"python3 mem.py {victim.pid}")
        assert "readable" in c.stdout and "READ 16" in c.stdout, c.stdout + c.stderr
        # inside: init's environment and memory are refused (open() fails: it is not dumpable),
        # and a host process of the same user cannot be signalled
        p = sandbox(env, "ls /proc | grep -c '^[0-9]'; cat /proc/1/environ >/dev/null 2>&1 || "
                         f"echo noenv; python3 mem.py 1; kill -9 {victim.pid} && echo KILLED; "
                         "exit 0")
        lines = p.stdout.split()
        assert int(lines[0]) <= 4  # init, shell, ls, grep: no supervisor, no host processes
        assert "noenv" in p.stdout, p.stdout
        assert "open-refused" in p.stdout and "READ" not in p.stdout, p.stdout
        assert "KILLED" not in p.stdout
        assert victim.poll() is None  # still running
        c = host(env, f"kill -9 {victim.pid} && echo KILLED")
        assert "KILLED" in c.stdout  # control: the same kill works without fence
        victim.wait(timeout=10)
    finally:
        victim.kill()
        victim.wait()


# --- class 5: leaked file descriptors -------------------------------------------------------

def test_class5_inherited_fd_closed(env):
    secret = env.root / "secretdir"
    secret.mkdir()
    (secret / "s").write_text("leaked\n")
    chown_tree(env, secret)
    fd = os.open(secret, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.set_inheritable(fd, True)
        cmd = f"cat /proc/self/fd/{fd}/s 2>/dev/null || echo closed"
        assert "leaked" in host(env, cmd, pass_fds=(fd,)).stdout
        p = sandbox(env, cmd, {"filesystem.denyRead": [str(secret)]}, pass_fds=(fd,))
        assert "leaked" not in p.stdout and "closed" in p.stdout
    finally:
        os.close(fd)


# --- class 10: abstract unix sockets --------------------------------------------------------

@pytest.mark.parametrize("relaxed", [False, True], ids=["netns", "no-netns"])
def test_class10_abstract_socket(env, relaxed):
    name = f"fence-test-{os.getpid()}-{relaxed}"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind("\0" + name)
    srv.listen(4)
    try:
        code = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\n"
                f"try:\n s.connect('\\0{name}'); print('connected')\n"
                "except OSError as e: print('refused', e.errno)\n")
        assert "connected" in host(env, f"python3 -c \"{code}\"").stdout
        policy = {"network.allowedDomains": ["*"]} if relaxed else {}
        p = sandbox(env, f"python3 -c \"{code}\"", policy)
        if relaxed:
            require(_landlock_abi() >= 6, "Landlock ABI >= 6 (abstract socket scope)")
        assert "connected" not in p.stdout, p.stderr
        assert "refused" in p.stdout
    finally:
        srv.close()


def _landlock_abi():
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    r = libc.syscall(444, None, 0, 1)  # landlock_create_ruleset(NULL, 0, VERSION)
    return r if r > 0 else 0


# --- class 11: deferred execution outside the sandbox -----------------------------------------

HOOK_ATTACKS = [
    "echo evil > .git/hooks/pre-commit",
    "echo evil > $HOME/h; cp $HOME/h .git/hooks/pre-commit || (echo evil > h && cp h .git/hooks/pre-commit)",
    "echo evil > x && mv x .git/hooks/pre-commit",
    "echo evil > x && ln x .git/hooks/pre-commit",
    "ln -s /tmp/evil .git/hooks/pre-commit",
    "echo evil > .bashrc",
    "mkdir .vscode && echo '{}' > .vscode/tasks.json",
    "mkdir -p g/hooks && echo evil > g/hooks/pre-commit && mv .git .git.old && mv g .git",
    "mv .git .git.old && mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit",
    "git config core.hooksPath /tmp",
]


@pytest.mark.parametrize("attack", HOOK_ATTACKS)
def test_class11_deferred_execution(env, attack):
    def fresh():
        shutil.rmtree(env.work)
        env.work.mkdir()
        subprocess.run(["git", "init", "-q", str(env.work)], check=True)
        (env.work / ".git" / "hooks").mkdir(exist_ok=True)
        chown_tree(env, env.work)

    def planted():
        cfg = env.work / ".git" / "config"
        return (os.path.lexists(env.work / ".git" / "hooks" / "pre-commit") or
                (env.work / ".bashrc").exists() or (env.work / ".vscode").exists() or
                (cfg.exists() and "hooksPath" in cfg.read_text()))

    fresh()
    host(env, attack)
    assert planted(), "control: the attack works without fence"
    fresh()
    sandbox(env, attack, WRITE_WS)
    assert not planted()


# --- class 13: setuid ---------------------------------------------------------------------

def test_class13_setuid(env, tmp_path):
    require(shutil.which("gcc"), "gcc")
    d = Path(tempfile.mkdtemp(dir="/var/tmp"))
    try:
        os.chmod(d, 0o755)
        src = d / "ids.c"
        src.write_text('#include <stdio.h>\n#include <unistd.h>\nint main(void){FILE*f='
                       'fopen("/proc/self/status","r");char l[256];while(fgets(l,256,f))'
                       'if(!strncmp(l,"CapEff",6))fputs(l,stdout);printf("euid=%d\\n",'
                       '(int)geteuid());return 0;}\n'.replace("#include <unistd.h>",
                                                             "#include <unistd.h>\n#include <string.h>"))
        subprocess.run(["gcc", "-o", str(d / "ids"), str(src)], check=True)
        if not IS_ROOT:
            pytest.skip("needs root to make a setuid-root test binary")
        os.chown(d / "ids", 0, 0)
        os.chmod(d / "ids", 0o4755)
        c = host(env, str(d / "ids"))
        assert "euid=0" in c.stdout  # control
        p = sandbox(env, str(d / "ids"))
        assert "CapEff:\t0000000000000000" in p.stdout, p.stdout + p.stderr
        if env.ident.uid != 0:
            assert "euid=0" not in p.stdout
    finally:
        shutil.rmtree(d)


# --- class 14: library injection and env-borne code ---------------------------------------

def test_class14_env_injection(env):
    require(shutil.which("gcc"), "gcc")
    d = Path(tempfile.mkdtemp(dir="/var/tmp"))
    try:
        os.chmod(d, 0o755)
        (d / "inj.c").write_text('#include <stdio.h>\n#include <stdlib.h>\n'
                                 '__attribute__((constructor)) static void f(void){'
                                 'fprintf(stderr,"INJECTED%s\\n",getenv("FENCE_SANDBOX")?'
                                 '"-INSIDE":"");}\n')
        subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(d / "inj.so"), str(d / "inj.c")],
                       check=True)
        (d / "benv.sh").write_text("echo BASHENV-RAN${FENCE_SANDBOX:+-INSIDE} >&2\n")
        os.chmod(d / "inj.so", 0o755)
        os.chmod(d / "benv.sh", 0o644)
        extra = {"LD_PRELOAD": str(d / "inj.so"), "BASH_ENV": str(d / "benv.sh")}
        c = host(env, "true", extra_env=extra)
        assert "INJECTED" in c.stderr and "BASHENV-RAN" in c.stderr  # control
        p = sandbox(env, "/bin/true", extra_env=extra)
        assert "INJECTED-INSIDE" not in p.stderr and "BASHENV-RAN-INSIDE" not in p.stderr
    finally:
        shutil.rmtree(d)


# --- class 15: silent fail-open -----------------------------------------------------------

def test_class15_no_userns_refuses(env_self):
    """Without user namespaces fence refuses with a message naming what is missing, instead of
    running unsandboxed."""
    require(shutil.which("unshare"), "unshare")
    import shlex
    fence = " ".join(shlex.quote(a) for a in sandbox_argv(env_self, "echo RAN"))
    inner = f"echo 0 > /proc/sys/user/max_user_namespaces && {fence}"
    p = subprocess.run(["unshare", "-Ur", "sh", "-c", inner], cwd=str(env_self.work),
                       env=env_self.environ(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    assert "RAN" not in p.stdout
    assert p.returncode == 1
    assert p.stderr.startswith("Error: failed to start command")
    assert "namespace" in p.stderr
    # control: the same command unsandboxed does run there
    c = subprocess.run(["unshare", "-Ur", "sh", "-c",
                        "echo 0 > /proc/sys/user/max_user_namespaces && echo RAN"],
                       stdout=subprocess.PIPE, text=True, timeout=30)
    assert "RAN" in c.stdout


# --- class 1 (PTY part): terminal injection -------------------------------------------------

TIOCSTI_PY = ("import fcntl,termios,sys\n"
              "try:\n fcntl.ioctl(0, termios.TIOCSTI, b'X'); print('INJECTED')\n"
              "except OSError as e: print('refused', e.errno)\n")


def _run_on_pty(argv, env_vars, cwd, timeout=20):
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execvpe(argv[0], argv, env_vars)
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def test_class1_tiocsti_pty(env):
    require(shutil.which("python3"), "python3")
    env.write("t.py", TIOCSTI_PY)
    argv = env.ident.wrap(sandbox_argv(env, "python3 t.py; tty", {"allowPty": True}))
    rc, out = _run_on_pty(argv, env.environ(), str(env.work))
    assert "refused" in out and "INJECTED" not in out, out
    assert "/dev/pts/0" in out  # the sandbox's own pty, not the host terminal
    if Path("/proc/sys/dev/tty/legacy_tiocsti").read_text().strip() == "1":
        rc, out = _run_on_pty(env.ident.wrap(["python3", "-c", TIOCSTI_PY]), env.environ(),
                              str(env.work))
        assert "INJECTED" in out  # control
