# SPDX-License-Identifier: MIT
"""A command that `bash -c` would only exec runs without the shell (directexec.h): the program
sees what it would have seen under bash, and everything bash would do differently (shell syntax,
builtins, exported functions, failures and their messages) still goes through bash."""
import os
import shutil

from sandbox_util import write_policy

BASH = os.path.realpath(shutil.which("bash"))
HIDE_BASH = {"filesystem.denyRead": sorted({BASH, "/usr/bin/bash", "/bin/bash"})}
BASH_VARS = ("PWD", "SHLVL", "OLDPWD", "_")


def bash_vars(text):
    out = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name in BASH_VARS:
            out[name] = value
    return out


def test_simple_command_runs_without_the_shell(env):
    """With bash unreadable inside the sandbox, a plain command still runs, and anything that
    needs the shell cannot start: so the plain command did not go through bash."""
    hide = write_policy(env, HIDE_BASH)
    p = env.fence("-s", hide, "--", "id", "-u")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(env.ident.uid)
    p = env.fence("-s", hide, "-c", "id -u; true")
    assert p.returncode != 0 and "Permission denied" in p.stderr, p.stderr
    p = env.fence("-d", "--", "id", "-u")
    assert "exec: 'id' directly" in p.stderr
    p = env.fence("-d", "-c", "id -u | cat")
    assert "exec: through the shell" in p.stderr


def test_environment_is_what_bash_passes_on(env):
    """PWD, SHLVL, OLDPWD and _ as bash -c sets them for the program it execs, compared with bash
    itself run without fence from the same directory and environment."""
    os.symlink(".", env.work / "link")  # inside the workspace: visible in the sandbox too
    cases = [
        {},
        {"SHLVL": "3"}, {"SHLVL": " 7 "}, {"SHLVL": "-3"}, {"SHLVL": "abc"}, {"SHLVL": "998"},
        {"PWD": str(env.work / "link")},       # a logical path naming the directory: kept
        {"PWD": str(env.work / "link" / ".")},
        {"PWD": "/usr"},                       # wrong: replaced by the real one
        {"PWD": "relative"},
        {"OLDPWD": "/usr"},                    # a directory: kept
        {"OLDPWD": "/nonexistent"},            # dropped
    ]
    for extra in cases:
        want = bash_vars(env.run(["bash", "-c", "env"], env=extra).stdout)
        p = env.fence("--", "env", env=extra)
        assert p.returncode == 0, p.stderr
        assert bash_vars(p.stdout) == want, extra
        # and a program on $PATH by name gets its full path in _
        assert bash_vars(p.stdout)["_"] == shutil.which("env"), p.stdout


def test_what_bash_would_do_differently_still_uses_bash(env):
    # shell syntax and expansions
    p = env.fence("-c", "echo $HOME")
    assert p.stdout.strip() == str(env.home)
    p = env.fence("--", "A=1", "env")
    assert p.returncode == 0 and "A=1" in p.stdout.splitlines()
    # builtins: `cd` exists only there, builtin `true` ignores --help
    assert env.fence("--", "cd", "/").returncode == 0
    p = env.fence("--", "true", "--help")
    assert p.returncode == 0 and p.stdout == "", p.stdout
    # an exported function and an xtrace option from the environment
    p = env.fence("--", "greet", env={"BASH_FUNC_greet%%": "() { echo from-function; }"})
    assert p.stdout.strip() == "from-function", p.stderr
    p = env.fence("--", "id", "-u", env={"SHELLOPTS": "xtrace"})
    assert p.returncode == 0 and "+ id -u" in p.stderr, p.stderr


def test_failures_report_as_bash_does(env):
    env.write("noshebang", "echo script-ran\n", mode=0o755)
    env.write("notexec", "echo x\n", mode=0o644)
    (env.work / "adir").mkdir()
    # a script without "#!": the kernel refuses it (ENOEXEC) and bash runs it itself
    p = env.fence("--", "./noshebang")
    assert p.returncode == 0 and p.stdout.strip() == "script-ran", p.stderr
    cases = [
        (["nonexistent-program-xyz"], 127, "nonexistent-program-xyz: command not found"),
        (["echo hi"], 127, "echo hi: command not found"),  # one word with a space
        (["./notexec"], 126, "./notexec: Permission denied"),
        (["./adir"], 126, "./adir: Is a directory"),
    ]
    for argv, code, message in cases:
        p = env.fence("--", *argv)
        assert p.returncode == code, (argv, p.returncode, p.stderr)
        assert message in p.stderr, (argv, p.stderr)


def test_exit_status_and_signals(env):
    assert env.fence("--", "false").returncode == 1
    assert env.fence("--", "sh", "-c", "exit 7").returncode == 7
    assert env.fence("--", "sh", "-c", "kill -TERM $$").returncode == 128 + 15
