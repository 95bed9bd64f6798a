# SPDX-License-Identifier: MIT
"""Runtime exec policy `argv` (spec §7.6, `command.runtimeExecPolicy: "argv"`): every execve and
execveat inside the sandbox goes to fence's supervisor, which checks the program and its argv
against the command rules. A child process (a script run by sh, make, python3, a "#!" line, a
symlinked alias) running a denied multi-token command is stopped with EPERM and logged; the
control runs show that the same child succeeds in the default path mode."""
import json
import re
import shutil

import pytest

from conftest import have, require

GIT = shutil.which("git") or "/usr/bin/git"
PUSH_LINE = re.compile(r'\[fence:linux\] Runtime exec policy blocked exec="[^"]*/git" '
                       r'argv=\["git", "push", "origin", "HEAD:main"\] matched="git push" '
                       r'source=command\.deny')
BLOCK_LINE = ('[fence:linux] Runtime exec policy blocked exec="{exe}" argv=[{argv}] '
              'matched="{rule}" source={source}')


def quote_argv(argv):
    return ", ".join(json.dumps(a) for a in argv)


def write_config(env, mode, deny=("git push",), **command):
    command.update({"deny": list(deny), "runtimeExecPolicy": mode})
    env.write("fence.json", json.dumps({"command": command,
                                        "filesystem": {"allowWrite": ["."]}}))


def make_repo(env):
    """work/repo (one commit) with work/remote.git as its origin, made without fence."""
    require(have("git"), "git")
    g = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    for argv in (g + ["init", "-q", "--bare", "remote.git"], g + ["init", "-q", "repo"]):
        p = env.run(argv)
        assert p.returncode == 0, p.stderr
    env.write("repo/file.txt", "content\n")
    for argv in (g + ["add", "file.txt"], g + ["commit", "-qm", "first"],
                 g + ["remote", "add", "origin", "../remote.git"]):
        p = env.run(argv, cwd=env.work / "repo")
        assert p.returncode == 0, p.stderr


def pushed(env):
    p = env.run(["git", "--git-dir", "remote.git", "rev-parse", "--verify", "-q", "main"])
    return p.returncode == 0


# Children that run `git push origin HEAD:main` where the preflight check cannot see it.
CHILDREN = {
    "sh-script": ("push.sh", "git push origin HEAD:main\n", "cd repo && sh ../push.sh"),
    "make": ("Makefile", "push:\n\tcd repo && git push origin HEAD:main\n", "make -s push"),
    "python3": ("push.py", "import subprocess, sys\n"
                           "sys.exit(subprocess.run(['git', 'push', 'origin', 'HEAD:main'],"
                           " cwd='repo').returncode)\n", "python3 push.py"),
}


@pytest.mark.parametrize("child", sorted(CHILDREN))
def test_child_running_denied_command_is_stopped(env, child):
    require(have(child.split("-")[0]), child)
    make_repo(env)
    name, text, command = CHILDREN[child]
    env.write(name, text)

    # control: in path mode the multi-token rule is preflight-only, so the child pushes
    write_config(env, "path")
    p = env.fence("-c", command)
    assert p.returncode == 0, p.stderr
    assert pushed(env)
    p = env.run(["git", "--git-dir", "remote.git", "update-ref", "-d", "refs/heads/main"])
    assert p.returncode == 0 and not pushed(env)

    write_config(env, "argv")
    p = env.fence("-c", command)
    assert p.returncode != 0
    assert not pushed(env)
    # the exec path is the one the child tried: a PATH search may log the entries it tried
    # before the one that exists (each is refused by the program's name)
    assert any(PUSH_LINE.fullmatch(line) for line in p.stderr.splitlines()), p.stderr
    assert "Operation not permitted" in p.stderr or "PermissionError" in p.stderr, p.stderr


def test_allowed_exec_runs_and_log_file(env):
    make_repo(env)
    env.write("push.sh", "git push origin HEAD:main\n")
    write_config(env, "argv")
    log = env.work / "fence.log"
    p = env.fence("--fence-log-file", log, "-c",
                  "cd repo && git log --oneline | wc -l && sh ../push.sh; echo rc=$?")
    assert p.stdout.splitlines()[0].strip() == "1", p.stdout + p.stderr
    assert "rc=126" in p.stdout or "rc=1" in p.stdout, p.stdout
    # fence's own lines go to the log file, the command's output is untouched
    assert "Runtime exec policy blocked" not in p.stderr
    assert 'matched="git push" source=command.deny' in log.read_text()
    assert not pushed(env)


def test_symlinked_alias_is_caught(env):
    make_repo(env)
    write_config(env, "path")
    cmd = f'cd repo && ln -sf {GIT} g && ./g push origin HEAD:main'
    p = env.fence("-c", cmd)
    assert p.returncode == 0 and pushed(env), p.stderr  # control: `g push` passes preflight
    env.run(["git", "--git-dir", "remote.git", "update-ref", "-d", "refs/heads/main"])

    write_config(env, "argv")
    p = env.fence("-c", cmd)
    assert p.returncode != 0 and not pushed(env)
    assert BLOCK_LINE.format(exe="./g", argv=quote_argv(["./g", "push", "origin", "HEAD:main"]),
                             rule="git push", source="command.deny") in p.stderr.splitlines()


def test_script_interpreter_line_is_checked(env):
    """The kernel starts a script's interpreter itself (no second execve): `./pusher origin
    HEAD:main` with `#!<git> push` runs `git push ./pusher origin HEAD:main`."""
    make_repo(env)
    env.write("repo/pusher", f"#!{GIT} push\n", mode=0o755)
    write_config(env, "argv")
    p = env.fence("-c", "cd repo && ./pusher; echo rc=$?")
    assert "rc=126" in p.stdout, p.stdout + p.stderr
    assert BLOCK_LINE.format(exe=GIT, argv=quote_argv([GIT, "push", "./pusher"]),
                             rule="git push", source="command.deny") in p.stderr.splitlines()
    assert "bad interpreter: Operation not permitted" in p.stderr


def test_default_rules_apply_to_children(env):
    write_config(env, "argv", deny=())
    p = env.fence("-c", "python3 -c 'import subprocess; "
                        "print(subprocess.run([\"dd\", \"if=/dev/zero\", \"of=/dev/null\", "
                        "\"count=1\"]).returncode)'")
    assert "PermissionError" in p.stderr, p.stderr
    assert ('argv=["dd", "if=/dev/zero", "of=/dev/null", "count=1"] matched="dd if=" '
            "source=default") in p.stderr


def test_single_token_rule_without_masks(env):
    """In argv mode nothing is masked: the supervisor refuses the exec (EPERM, not EACCES)."""
    env.write("bin/fenceprobe-denied", "#!/bin/sh\necho tool-ran\n", mode=0o755)
    write_config(env, "argv", deny=("fenceprobe-denied",))
    path = {"PATH": f"{env.work / 'bin'}:/usr/bin:/bin"}
    p = env.fence("-d", "-c", 'p=fenceprobe-denied; "$p"; echo "rc=$?"', env=path)
    assert "runtime exec deny]" not in p.stderr  # no mask in the plan
    assert "runtime exec policy: argv" in p.stderr
    assert "tool-ran" not in p.stdout and "rc=126" in p.stdout, p.stdout + p.stderr
    assert "Operation not permitted" in p.stderr
    assert 'matched="fenceprobe-denied" source=command.deny' in p.stderr


MT_EXEC = """import os, sys, threading, time
if sys.argv[1] == "threaded":
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
try:
    os.execv("/bin/echo", ["echo", "exec-ok-" + sys.argv[1]])
except OSError as e:
    print("exec-failed-%s errno=%d" % (sys.argv[1], e.errno))
"""


def test_multithreaded_tracee_is_refused(env):
    """A process with a second thread execs directly: the thread could rewrite the path after
    the check, so argv mode refuses (the Go tool's rule); single-threaded, the same exec runs."""
    env.write("mt.py", MT_EXEC)
    write_config(env, "argv")
    p = env.fence("-c", "python3 mt.py single; python3 mt.py threaded")
    assert "exec-ok-single" in p.stdout, p.stdout + p.stderr
    assert "exec-failed-threaded errno=1" in p.stdout, p.stdout + p.stderr
    assert ('[fence:linux] Runtime exec policy blocked exec="/bin/echo" argv=["echo", '
            '"exec-ok-threaded"]: multithreaded exec cannot be safely continued in argv mode'
            in p.stderr.splitlines()), p.stderr
    # control: path mode has no such rule
    write_config(env, "path")
    p = env.fence("-c", "python3 mt.py threaded")
    assert "exec-ok-threaded" in p.stdout, p.stdout + p.stderr


@pytest.mark.parametrize("runtime", ["node", "java"])
def test_multithreaded_runtimes_spawn_children(env, runtime):
    """Node forks, the JVM uses posix_spawn (a CLONE_VM|CLONE_VFORK child) from a process with
    many threads: the exec comes from a single-threaded task, so argv mode allows it and still
    checks it."""
    if not have(runtime):
        pytest.skip(f"{runtime} is not installed")
    if runtime == "node":
        prog = ("node -e 'const cp = require(\"child_process\");"
                "console.log(cp.execFileSync(\"echo\", [\"child-ok\"]).toString().trim());"
                "try { cp.execFileSync(\"dd\", [\"if=/dev/zero\", \"count=0\"]) }"
                "catch (e) { console.log(\"refused \" + e.code) }'")
    else:
        env.write("T.java", 'public class T { public static void main(String[] a) throws '
                            'Exception { Process p = new ProcessBuilder("echo", "child-ok")'
                            '.inheritIO().start(); p.waitFor(); try { new ProcessBuilder("dd",'
                            ' "if=/dev/zero", "count=0").start(); } catch (java.io.IOException '
                            'e) { System.out.println("refused " + e.getMessage()); } } }')
        prog = "java T.java"
    write_config(env, "argv", deny=())
    p = env.fence("-c", prog, timeout=120)
    assert "child-ok" in p.stdout, p.stdout + p.stderr
    assert "refused" in p.stdout, p.stdout + p.stderr
    assert 'matched="dd if=" source=default' in p.stderr


def test_npm_publish(env):
    if not have("npm"):
        pytest.skip("npm is not installed")
    env.write("package.json", '{"name": "fence-npm-probe", "version": "1.0.0"}')
    env.write("release.sh", "npm publish --dry-run\n")
    write_config(env, "argv", deny=("npm publish",))
    p = env.fence("-c", "sh release.sh; echo rc=$?", env={"npm_config_cache": str(env.work)},
                  timeout=120)
    assert "rc=126" in p.stdout, p.stdout + p.stderr
    assert 'argv=["npm", "publish", "--dry-run"] matched="npm publish"' in p.stderr, p.stderr


def test_execveat_fd_is_resolved(env):
    """fexecve(3) (execveat with AT_EMPTY_PATH) is checked as the program the fd holds."""
    require(have("git"), "git")
    env.write("fx.py", "import os\nfd = os.open(%r, os.O_RDONLY)\n"
                       "try:\n    os.execve(fd, ['git', 'push'], dict(os.environ))\n"
                       "except OSError as e:\n    print('errno=%%d' %% e.errno)\n" % GIT)
    write_config(env, "argv")
    p = env.fence("-c", "python3 fx.py")
    assert "errno=1" in p.stdout, p.stdout + p.stderr
    assert 'exec="/dev/fd/' in p.stderr and 'matched="git push"' in p.stderr, p.stderr


def test_preflight_still_refuses_literal_commands(env):
    """Preflight still refuses the literal command in argv mode (nothing starts)."""
    write_config(env, "argv")
    p = env.fence("-c", "touch marker; git push")
    assert p.returncode == 1
    assert p.stderr.startswith("Error: command blocked by sandbox command policy: ")
    assert not (env.work / "marker").exists()
