# SPDX-License-Identifier: MIT
"""Real programs under the `code` template's filesystem policy, and the terminal: an
interactive bash driven through a PTY, the PTY relay (resize, raw mode restored), job control
without a PTY (Ctrl-Z / fg)."""
import os
import pty
import select
import shutil
import subprocess
import termios
import time

from conftest import require
from sandbox_util import CODE_TEMPLATE, sandbox, sandbox_argv


def test_git_workflow(env):
    require(shutil.which("git"), "git")
    subprocess.run(["git", "init", "-q", str(env.work)], check=True)
    env.write("main.c", "int main(void){return 0;}\n")
    if env.ident.uid != os.geteuid():
        for p in [env.work, *env.work.rglob("*")]:
            os.lchown(p, env.ident.uid, env.ident.gid)
    cmd = ("git -c user.name=t -c user.email=t@t status --short && git add main.c && "
           "git -c user.name=t -c user.email=t@t commit -qm first && git log --oneline | wc -l")
    p = sandbox(env, cmd, CODE_TEMPLATE)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().endswith("1")


def test_python_node_gcc(env):
    require(shutil.which("python3") and shutil.which("node") and shutil.which("gcc"),
            "python3, node and gcc")
    env.write("s.py", "import json,tempfile\nopen('py.out','w').write(json.dumps([1,2]))\n"
                      "print(tempfile.mkdtemp())\n")
    env.write("s.js", "require('fs').writeFileSync('js.out', String(6*7));\n")
    env.write("h.c", '#include <stdio.h>\nint main(void){puts("compiled");return 0;}\n')
    p = sandbox(env, "python3 s.py && node s.js && gcc -O2 -o h h.c && ./h", CODE_TEMPLATE)
    assert p.returncode == 0, p.stderr
    assert "compiled" in p.stdout
    assert (env.work / "py.out").read_text() == "[1, 2]"
    assert (env.work / "js.out").read_text() == "42"


class Pty:
    """A process on a pty owned by the test."""

    def __init__(self, argv, env_vars, cwd, cols=80, rows=24):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(cwd)
            os.execvpe(argv[0], argv, env_vars)
        self.buf = b""
        self.resize(rows, cols)

    def resize(self, rows, cols):
        import fcntl
        import struct
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def send(self, data):
        os.write(self.fd, data.encode() if isinstance(data, str) else data)

    def expect(self, text, timeout=15):
        deadline = time.time() + timeout
        while text.encode() not in self.buf:
            r, _, _ = select.select([self.fd], [], [], max(0, deadline - time.time()))
            if not r:
                raise AssertionError(f"timeout waiting for {text!r}; got {self.buf!r}")
            try:
                chunk = os.read(self.fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                raise AssertionError(f"eof waiting for {text!r}; got {self.buf!r}")
            self.buf += chunk
        i = self.buf.index(text.encode()) + len(text)
        self.buf = self.buf[i:]

    def wait(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:
                r, _, _ = select.select([self.fd], [], [], 0.1)
                if r:
                    self.buf += os.read(self.fd, 4096)
            except OSError:
                time.sleep(0.05)
        raise AssertionError("timeout waiting for exit")


def test_interactive_bash_pty_relay(env):
    import shlex
    fence = " ".join(shlex.quote(a) for a in sandbox_argv(
        env, "PS1='fence$ ' exec bash --norc -i", CODE_TEMPLATE))
    argv = env.ident.wrap(["bash", "-c", fence + "; echo status=$?; stty -a"])
    t = Pty(argv, env.environ({"TERM": "xterm"}), str(env.work), cols=100, rows=30)
    t.expect("fence$ ")
    t.send("stty size; tty; echo $FENCE_SANDBOX\r")
    t.expect("30 100")
    t.expect("/dev/pts/0")
    t.expect("1")
    t.resize(40, 120)  # SIGWINCH to fence: the inner pty follows
    # the relay applies the size asynchronously: ask until it shows (bounded), no fixed sleep
    for attempt in range(50):
        t.send("stty size\r")
        try:
            t.expect("40 120", timeout=0.5 if attempt < 49 else 15)
            break
        except AssertionError:
            continue
    t.send("echo ok > f.txt && cat f.txt\r")
    t.expect("ok")
    t.send("exit 3\r")
    t.expect("status=3")
    # the host terminal's mode was restored (no raw mode left behind)
    t.expect(" icanon")  # "-icanon" while raw
    t.expect(" echo ")   # "-echo" while raw
    t.wait()


def test_job_control_without_pty(env):
    """Ctrl-Z stops the sandboxed job and gives the terminal back; fg resumes it."""
    require(shutil.which("bash"), "bash")
    import shlex
    inner = " ".join(shlex.quote(a) for a in sandbox_argv(
        env, "read x; echo got-$x", extra=["--force-new-session=false"]))
    argv = env.ident.wrap(["bash", "--norc", "-i"])
    t = Pty(argv, env.environ({"PS1": "host$ ", "TERM": "dumb"}), str(env.work))
    t.expect("host$ ")
    t.send(inner + "\r")
    time.sleep(0.5)
    t.send(b"\x1a")  # Ctrl-Z
    t.expect("Stopped")
    t.expect("host$ ")
    t.send("echo back-in-host\r")
    t.expect("back-in-host")
    t.send("fg\r")
    time.sleep(0.3)
    t.send("hello\r")
    t.expect("got-hello")
    t.expect("host$ ")
    t.send("exit\r")
    t.wait()
