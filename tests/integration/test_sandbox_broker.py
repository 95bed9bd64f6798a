# SPDX-License-Identifier: MIT
"""The protected-names broker (docs/linux-engine.md, "Names that do not exist yet") against real
sandboxes, as root and as an unprivileged user: the creating calls it performs for the workload
must behave as the kernel would (modes, umask, /proc/self and /dev/std* redirections, openat2's
RESOLVE_* flags, linkat of an open file), give no more than the workload's own rights, and
leave the library caller's process state alone."""
import os
import select
import shutil
import signal
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import require
from sandbox_util import HELPERS, chown_tree, host, sandbox, sandbox_argv, sandbox_popen

WRITE_WS = {"filesystem.allowWrite": ["."]}


def broker_on(env):
    p = sandbox(env, "true", WRITE_WS, extra=["-d"])
    assert "protected-names broker: on" in p.stderr, p.stderr


@pytest.mark.parametrize("policy", [WRITE_WS, {}], ids=["broker", "no-broker"])
def test_std_stream_redirections(env, policy):
    """`> /dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`, tee: the files behind fds 0-2 are
    reopened, here a host file the sandbox cannot otherwise see."""
    out, err = env.root / "stdout.txt", env.root / "stderr.txt"
    with open(out, "w") as o, open(err, "w") as e:
        for f in (out, err):
            os.chown(f, env.ident.uid, env.ident.gid)
        argv = env.ident.wrap(sandbox_argv(
            env, "echo one > /dev/stdout; echo two >> /dev/fd/1; "
                 "echo three | tee -a /proc/self/fd/3 3>&1 >/dev/null; "
                 "exec 4>>/dev/stdout; echo four >&4; echo err > /dev/stderr", policy))
        p = subprocess.run(argv, cwd=str(env.work), env=env.environ(), stdout=o, stderr=e,
                           timeout=60)
    assert p.returncode == 0, err.read_text()
    assert out.read_text() == "one\ntwo\nthree\nfour\n"
    assert err.read_text() == "err\n"


@pytest.mark.parametrize("policy", [WRITE_WS, {}], ids=["broker", "no-broker"])
def test_stdin_file_not_writable_through_proc(env, policy):
    """A host file handed as stdin (read-only) cannot be reopened for writing."""
    f = env.root / "input.txt"
    f.write_text("original\n")
    os.chmod(f, 0o666)
    with open(f) as stdin:
        p = sandbox(env, "cat /dev/stdin; echo pwned > /dev/stdin; echo rc=$?; "
                         "echo pwned > /proc/self/fd/0; echo rc2=$?", policy, stdin=stdin)
    assert "original" in p.stdout
    assert "rc=1" in p.stdout and "rc2=1" in p.stdout
    assert "Permission denied" in p.stderr
    assert f.read_text() == "original\n"
    # control: the same writes work without fence
    with open(f) as stdin:
        host(env, "echo pwned > /proc/self/fd/0", stdin=stdin)
    assert f.read_text() == "pwned\n"


UMASK_SCRIPT = ("umask 077; touch a; mkdir b; umask 0; touch c; mkdir d; umask 027; : > e; "
                "mkdir -m 1777 f; mkfifo g; stat -c '%n %a' a b c d e f g")


def test_modes_follow_the_workload_umask(env):
    broker_on(env)
    d = env.work / "h"
    d.mkdir()
    chown_tree(env, d)
    want = host(env, f"cd h && {UMASK_SCRIPT}").stdout
    assert "a 600" in want and "c 666" in want  # control
    p = sandbox(env, f"mkdir s && cd s && {UMASK_SCRIPT}", WRITE_WS)
    assert p.returncode == 0, p.stderr
    assert p.stdout == want


OPENAT2_SCRIPT = r'''
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
NO_XDEV, NO_MAGICLINKS, NO_SYMLINKS, BENEATH, IN_ROOT = 1, 2, 4, 8, 16
os.makedirs("t/sub", exist_ok=True)
if not os.path.lexists("t/link"):
    os.symlink("sub", "t/link")
    os.symlink("/etc", "t/abs")
dfd = os.open("t", os.O_RDONLY | os.O_DIRECTORY)
def o2(path, flags, resolve, mode=0o644):
    how = struct.pack("QQQ", flags, mode, resolve)
    fd = libc.syscall(437, dfd, path.encode(), how, len(how))
    if fd < 0:
        return os.strerror(ctypes.get_errno())
    os.close(fd)
    return "ok"
C = os.O_CREAT | os.O_WRONLY
for name, path, flags, res in [
    ("plain", "sub/a", C, 0),
    ("beneath-dotdot", "../escape", C, BENEATH),
    ("beneath-abs", "/tmp/escape", C, BENEATH),
    ("beneath-inside", "sub/../sub/b", C, BENEATH),
    ("inroot-dotdot", "../../c", C, IN_ROOT),
    ("inroot-abs", "/sub/d", C, IN_ROOT),
    ("nosymlinks", "link/e", C, NO_SYMLINKS),
    ("symlink-ok", "link/f", C, 0),
    ("beneath-abslink", "abs/x", C, BENEATH),
    ("nomagic", "/proc/self/fd/1", os.O_WRONLY | os.O_CREAT, NO_MAGICLINKS),
    ("excl-exists", "sub/a", C | os.O_EXCL, 0),
    ("unknown-resolve", "sub/g", C, 1 << 40),
]:
    print(name, o2(path, flags, res))
print(sorted(os.listdir("t")), sorted(os.listdir("t/sub")))
'''


def test_openat2_resolve_flags_as_the_kernel(env):
    """openat2() goes to the broker (its flags are behind a pointer): the answers must be the
    kernel's, RESOLVE_* flags included."""
    require(os.path.exists("/usr/bin/python3"), "python3")
    broker_on(env)
    env.write("o2.py", OPENAT2_SCRIPT)
    (env.work / "hostrun").mkdir()
    chown_tree(env, env.work)
    want = host(env, "cd hostrun && /usr/bin/python3 ../o2.py")
    assert want.returncode == 0, want.stderr
    assert "beneath-dotdot Invalid cross-device link" in want.stdout  # control: EXDEV
    (env.work / "sbrun").mkdir()
    chown_tree(env, env.work)
    p = sandbox(env, "cd sbrun && /usr/bin/python3 ../o2.py", WRITE_WS)
    assert p.returncode == 0, p.stderr
    assert p.stdout == want.stdout


OPEN_KINDS_SCRIPT = r"""
import ctypes, os, stat, struct
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, AT_EMPTY_PATH = -100, 0x1000
os.umask(0o022)
os.makedirs("t/sub", exist_ok=True)
if not os.path.lexists("t/link"):
    os.symlink("sub", "t/link")
    os.symlink("file", "t/flink")
    os.symlink("nowhere", "t/dangling")
    open("t/file", "w").close()
os.chdir("t")
def kind(fd):
    st = os.fstat(fd)
    return "%s %o" % (stat.filemode(st.st_mode)[0], st.st_mode & 0o7777)
def o2(name, path, flags, mode=0):
    if name.startswith("at-"):  # openat(2) with O_CREAT: brokered too
        fd = libc.syscall(257, AT_FDCWD, path.encode(), flags | os.O_CREAT, mode)
    else:
        how = struct.pack("QQQ", flags, mode, 0)
        fd = libc.syscall(437, AT_FDCWD, path.encode(), how, len(how))
    if fd < 0:
        return os.strerror(ctypes.get_errno())
    what = kind(fd)
    if flags & os.O_TMPFILE == os.O_TMPFILE:
        os.write(fd, b"x")
        r = libc.linkat(fd, b"", AT_FDCWD, name.encode(), AT_EMPTY_PATH)
        what += " link-ok" if r == 0 else " link-" + os.strerror(ctypes.get_errno())
    os.close(fd)
    return what
T, P, NF = os.O_TMPFILE, os.O_PATH, os.O_NOFOLLOW
for name, path, flags, mode in [
    ("tmp-dot", ".", T | os.O_RDWR, 0o600),
    ("tmp-dir", "sub", T | os.O_WRONLY, 0o640),
    ("tmp-slash", "sub/", T | os.O_WRONLY, 0o777),
    ("tmp-dotdot", "sub/..", T | os.O_RDWR, 0o604),
    ("tmp-link", "link", T | os.O_RDWR, 0o600),
    ("tmp-link-nofollow", "link", T | os.O_RDWR | NF, 0o600),
    ("tmp-excl", "sub", T | os.O_RDWR | os.O_EXCL, 0o600),
    ("tmp-file", "file", T | os.O_RDWR, 0o600),
    ("tmp-rdonly", ".", T | os.O_RDONLY, 0o600),
    ("tmp-creat", ".", T | os.O_RDWR | os.O_CREAT, 0o600),
    ("tmp-missing", "none", T | os.O_RDWR, 0o600),
    ("rd-link-dir-nofollow", "link", os.O_RDONLY | os.O_DIRECTORY | NF, 0),
    ("rd-flink-nofollow", "flink", os.O_RDONLY | NF, 0),
] + [(via + name, path, P | flags, 0) for via in ("at-", "o2-") for name, path, flags in [
    ("path-link", "link", 0),
    ("path-link-nofollow", "link", NF),
    ("path-flink", "flink", 0),
    ("path-dangling", "dangling", 0),
    ("path-dangling-nofollow", "dangling", NF),
    ("path-link-dir", "link", os.O_DIRECTORY),
    ("path-flink-dir", "flink", os.O_DIRECTORY),
    ("path-link-dir-nofollow", "link", os.O_DIRECTORY | NF),
]]:
    print(name, o2(name, path, flags, mode))
print(sorted(os.listdir(".")), sorted(os.listdir("sub")))
"""


def test_openat2_tmpfile_and_o_path_as_the_kernel(env):
    """openat2() with O_TMPFILE (".", "dir/", through a symlink; the caller's mode; O_EXCL kept)
    and O_PATH opens (a symlink followed unless O_NOFOLLOW) answer as the kernel does. An O_PATH
    fd cannot be handed to the caller by the broker: openat(O_PATH|O_CREAT) is left to the
    kernel (it ignores O_CREAT), openat2(O_PATH) gets the kernel's errors, else ENOSYS."""
    require(os.path.exists("/usr/bin/python3"), "python3")
    broker_on(env)
    env.write("ok.py", OPEN_KINDS_SCRIPT)
    (env.work / "hostrun").mkdir()
    chown_tree(env, env.work)
    want = host(env, "cd hostrun && /usr/bin/python3 ../ok.py")
    assert want.returncode == 0, want.stderr
    # control: what the kernel answers
    assert "tmp-dot - 600 link-ok" in want.stdout
    assert "at-path-link d 755" in want.stdout
    assert "at-path-link-nofollow l 777" in want.stdout
    expect = [f"{line.split()[0]} Function not implemented"
              if line.startswith("o2-path") and line.split()[1] in ("d", "-", "l") else line
              for line in want.stdout.splitlines()]
    assert "o2-path-dangling No such file or directory" in expect
    (env.work / "sbrun").mkdir()
    chown_tree(env, env.work)
    p = sandbox(env, "cd sbrun && /usr/bin/python3 ../ok.py", WRITE_WS)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == expect


LINK_SCRIPT = r'''
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, AT_EMPTY_PATH, AT_SYMLINK_FOLLOW = -100, 0x1000, 0x400
def attempt(name, fn):
    r = fn()
    print(name, "ok" if r == 0 else os.strerror(ctypes.get_errno()))
fd = os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o640)
os.write(fd, b"tmp\n")
attempt("empty-path", lambda: libc.linkat(fd, b"", AT_FDCWD, b"via-empty", AT_EMPTY_PATH))
attempt("proc-fd", lambda: libc.linkat(AT_FDCWD, f"/proc/self/fd/{fd}".encode(), AT_FDCWD,
                                       b"via-proc", AT_SYMLINK_FOLLOW))
attempt("protected", lambda: libc.linkat(fd, b"", AT_FDCWD, b".bashrc", AT_EMPTY_PATH))
print(open("via-empty").read().strip(), oct(os.stat("via-proc").st_mode & 0o777))
'''


def test_link_open_file(env):
    """linkat(AT_EMPTY_PATH) and the /proc/self/fd way of naming an O_TMPFILE file."""
    broker_on(env)
    env.write("lk.py", LINK_SCRIPT)
    p = sandbox(env, "/usr/bin/python3 lk.py", WRITE_WS)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["empty-path ok", "proc-fd ok", "protected Permission denied",
                                     "tmp 0o640"]
    assert not (env.work / ".bashrc").exists()


def test_proc_self_paths(env):
    broker_on(env)
    p = sandbox(env, "echo a > /proc/self/cwd/viaproc && cat viaproc; "
                     "mkdir /proc/thread-self/cwd/dir && echo made; "
                     "echo x > /proc/self/cwd/.bashrc; echo rc=$?; "
                     "echo x > /proc/self/attr/current; echo rc2=$?; "
                     "echo x > /proc/1/environ; echo rc3=$?", WRITE_WS)
    assert "a\n" in p.stdout and "made" in p.stdout
    assert "rc=1" in p.stdout and "rc2=1" in p.stdout and "rc3=1" in p.stdout
    assert (env.work / "viaproc").read_text() == "a\n"
    assert not (env.work / ".bashrc").exists()


def test_git_init_fresh_workspace(env):
    """`git init` works in a workspace without a repository; an existing repository cannot be
    given a new .git/config by moving its .git aside."""
    require(os.path.exists("/usr/bin/git"), "git")
    p = sandbox(env, "git init -q && git -c user.name=t -c user.email=t@t commit -q "
                     "--allow-empty -m first && git log --oneline | wc -l", WRITE_WS)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "1"
    assert (env.work / ".git" / "config").exists()
    # now the repository exists at launch: its config is protected, also against replacement
    p = sandbox(env, "git config core.fsmonitor 'touch /tmp/x'; echo rc=$?; "
                     "mv .git .git.old && git init -q; echo rc2=$?; ls .git", WRITE_WS)
    assert "rc=0" not in p.stdout and "rc2=0" not in p.stdout, p.stdout + p.stderr
    # moving a .git that existed at launch is refused (fixgit2), so the original stays put
    assert not (env.work / ".git.old").exists()
    assert "fsmonitor" not in (env.work / ".git" / "config").read_text()


def test_library_leaves_process_state_alone(env):
    """The library changes neither its caller's umask nor its current directory."""
    helper = HELPERS / "api-state"
    require(helper.exists(), f"helper not built: {helper}")
    ws = env.root / "lib-ws"
    ws.mkdir()
    chown_tree(env, ws)
    p = env.run([helper, ws, "umask 022; for i in $(seq 150); do : > f$i; mkdir d$i; done"],
                cwd=env.root)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:3] == ["umask-changed 0", "cwd-changed 0", "status 0"], p.stdout
    # the files got the workload's umask (022), not the process's (077)
    assert stat.S_IMODE(os.stat(ws / "f1").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(ws / "d1").st_mode) == 0o755


def test_allow_execute_is_not_listable(env, request):
    """defaultDenyRead: allowExecute gives read and execute but not listing (Landlock's execute
    tier); allowRead lists."""
    d = Path(tempfile.mkdtemp(dir="/var/tmp"))  # not below /tmp, which is writable
    request.addfinalizer(lambda: shutil.rmtree(d))
    (d / "tool").write_text("#!/bin/sh\necho tool-ran\n")
    os.chmod(d / "tool", 0o755)
    os.chmod(d, 0o755)
    policy = {"filesystem.defaultDenyRead": True, "filesystem.allowExecute": [str(d)]}
    p = sandbox(env, f"{d}/tool; cat {d}/tool >/dev/null && echo readable; ls {d}; echo ls=$?",
                policy)
    assert "tool-ran" in p.stdout and "readable" in p.stdout, p.stderr
    assert "ls=2" in p.stdout and "Permission denied" in p.stderr
    policy = {"filesystem.defaultDenyRead": True, "filesystem.allowRead": [str(d)]}
    p = sandbox(env, f"ls {d}", policy)
    assert p.stdout.strip() == "tool", p.stderr


# --- the broker never waits on the supervisor's event loop (review findings 6 and 8) ----------

FIFO_SCRIPT = r'''
import errno, fcntl, os, time
os.mkfifo("f")
def in_child(flags):
    """Opens f in a child, which may wait there; its answer, or "waiting" after 5 s."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.open("f", flags)
            os.write(w, b"opened")
        except OSError as e:
            os.write(w, errno.errorcode[e.errno].encode())
        os._exit(0)
    os.close(w)
    fcntl.fcntl(r, fcntl.F_SETFL, os.O_NONBLOCK)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            out = os.read(r, 64)
            if out:
                return out.decode()
        except BlockingIOError:
            pass
        time.sleep(0.01)
    return "waiting"
start = time.monotonic()
print("reader", in_child(os.O_RDONLY | os.O_CREAT), flush=True)
print("writer", in_child(os.O_WRONLY | os.O_CREAT | os.O_TRUNC), flush=True)
# with a reader (opened without O_CREAT: the kernel's own open) the writer gets through
rd = os.open("f", os.O_RDONLY | os.O_NONBLOCK)
wr = os.open("f", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
os.write(wr, b"through")
print("data", os.read(rd, 64).decode(), "nonblock", bool(fcntl.fcntl(wr, fcntl.F_GETFL) & os.O_NONBLOCK))
# the supervisor still answers: a new file through the broker
os.close(os.open("after", os.O_WRONLY | os.O_CREAT))
print("after", round(time.monotonic() - start) < 4, flush=True)
'''


def test_fifo_open_does_not_freeze_the_supervisor(env):
    """An existing FIFO opened with O_CREAT: the kernel waits for the other end; the broker must
    not (its one event loop serves every process, the proxies and fence's signals). Before the
    fix the reader's open blocked the supervisor for good: no later request was answered."""
    require(os.path.exists("/usr/bin/python3"), "python3")
    broker_on(env)
    env.write("fifo.py", FIFO_SCRIPT)
    p = sandbox(env, "/usr/bin/python3 fifo.py", WRITE_WS, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.splitlines() == ["reader opened", "writer ENXIO",
                                     "data through nonblock False", "after True"], p.stdout
    # control: the kernel's own open of the same FIFO waits for a writer
    c = host(env, "rm -f f; /usr/bin/python3 -c 'import os; os.mkfifo(\"f\"); "
                  "os.open(\"f\", os.O_RDONLY | os.O_CREAT)' & sleep 2; "
                  "kill -0 $! && echo still-waiting; kill $!")
    assert "still-waiting" in c.stdout, c.stdout + c.stderr


def test_sigterm_while_a_fifo_is_opened(env):
    """fence answers SIGTERM while a workload opens a FIFO nobody writes to through the broker:
    before the fix the open blocked the supervisor's loop and only SIGKILL ended fence."""
    require(os.path.exists("/usr/bin/python3"), "python3")
    broker_on(env)
    script = ("import os, time\nos.mkfifo('g')\nfd = os.open('/proc/self/cwd/g', os.O_RDONLY | "
              "os.O_CREAT)\nr, w = os.pipe(); os.close(r)\n"
              "os.open(f'/proc/self/fd/{w}', os.O_WRONLY | os.O_CREAT)\n")
    env.write("g.py", script + "print('opened', flush=True)\ntime.sleep(120)\n")
    proc = sandbox_popen(env, "/usr/bin/python3 g.py", WRITE_WS, stderr=subprocess.PIPE)
    try:
        ready = select.select([proc.stdout], [], [], 20)[0]
        line = proc.stdout.readline() if ready else ""
        assert line.strip() == "opened", "the workload's FIFO opens did not return"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) != 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


TTY_SCRIPT = r'''
import errno, fcntl, os
TIOCGSID = 0x5429
def sid(fd):
    try:
        return fcntl.ioctl(fd, TIOCGSID, b"\0\0\0\0")
    except OSError as e:
        return errno.errorcode[e.errno]
for tag, flags in (("kernel", os.O_RDWR), ("broker", os.O_RDWR | os.O_CREAT)):
    try:
        fd = os.open("/dev/tty", flags)
    except OSError as e:
        print(tag, errno.errorcode[e.errno])
        continue
    # TIOCGSID answers only on the caller's own controlling terminal
    print(tag, "own-terminal" if sid(fd) == sid(0) and sid(0) != "ENOTTY" else "OTHER-TERMINAL")
'''


@pytest.mark.parametrize("pty_mode", [True, False], ids=["pty", "new-session"])
def test_dev_tty_is_the_callers_terminal(env, pty_mode):
    """/dev/tty opened through the broker (O_CREAT, as a shell's `> /dev/tty`) is the caller's
    controlling terminal: the sandbox's pty in PTY mode, none (ENXIO) in a new session; before
    the fix it was the supervisor's, the user's real terminal."""
    require(os.path.exists("/usr/bin/python3"), "python3")
    from test_escape_engine import _run_on_pty
    env.write("tty.py", TTY_SCRIPT)
    policy = dict(WRITE_WS, allowPty=pty_mode)
    argv = env.ident.wrap(sandbox_argv(env, "/usr/bin/python3 tty.py", policy))
    rc, out = _run_on_pty(argv, env.environ(), str(env.work))
    assert rc == 0, out
    want = "own-terminal" if pty_mode else "ENXIO"
    assert f"kernel {want}" in out and f"broker {want}" in out, out
    # control: outside fence the same opens give the terminal fence runs on
    rc, out = _run_on_pty(env.ident.wrap(["/usr/bin/python3", "tty.py"]), env.environ(),
                          str(env.work))
    assert "kernel own-terminal" in out and "broker own-terminal" in out, out


def test_root_broker_has_no_dac_override(env):
    """As root the broker walks and opens with no effective capabilities: a file in another
    user's private directory is refused through the broker (O_CREAT) as by a plain open. Before
    the fix the walk ran with CAP_DAC_*, and O_RDONLY|O_CREAT returned the content."""
    if not env.ident.is_root:
        pytest.skip("root only: an unprivileged supervisor has no capabilities to drop")
    require(os.path.exists("/usr/bin/python3"), "python3")
    priv = env.work / "priv"
    (priv / "sub").mkdir(parents=True)
    (priv / "sub" / "secret").write_text("TOPSECRET\n")
    os.chmod(priv / "sub" / "secret", 0o644)
    os.chmod(priv, 0o700)
    for p in (priv, priv / "sub", priv / "sub" / "secret"):
        os.chown(p, 65534, 65534)
    attack = ("import os\nfor what, f in (('plain', lambda: os.open('priv/sub/secret', "
              "os.O_RDONLY)), ('creat', lambda: os.open('priv/sub/secret', os.O_RDONLY | "
              "os.O_CREAT)), ('mkdir', lambda: os.mkdir('priv/sub/new')), ('rename', lambda: "
              "os.rename('priv/sub/secret', 'priv/sub/moved'))):\n"
              "    try:\n        r = f()\n"
              "        print(what, os.read(r, 64).decode().strip() if r else 'done')\n"
              "    except OSError as e:\n        print(what, e.strerror)\n")
    env.write("dac.py", attack)
    p = sandbox(env, "/usr/bin/python3 dac.py", WRITE_WS)
    assert p.stdout.splitlines() == ["plain Permission denied", "creat Permission denied",
                                     "mkdir Permission denied", "rename Permission denied"], \
        p.stdout + p.stderr
    assert sorted(os.listdir(priv / "sub")) == ["secret"]
    # control: with root's capabilities (what the broker had) the same open reads the file
    c = subprocess.run(["/usr/bin/python3", "-c", "import os; print(os.read(os.open("
                        "'priv/sub/secret', os.O_RDONLY | os.O_CREAT), 64).decode())"],
                       cwd=str(env.work), stdout=subprocess.PIPE, text=True, timeout=30)
    assert "TOPSECRET" in c.stdout
