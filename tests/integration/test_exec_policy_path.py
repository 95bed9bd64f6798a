# SPDX-License-Identifier: MIT
"""Runtime exec policy `path` (spec §7.5, the default): a single-token deny rule is resolved to
the program's real path and /dev/null is bound read-only over it inside the sandbox, so that a
parent the preflight check allowed (a shell, python3, node) cannot exec it either. The control
runs show the same exec working without the rule."""
import json
import os
import shutil

import pytest

from conftest import have, require

DENIED = "fenceprobe-denied"
MULTI = "fenceprobe-multi"
TOOL = "#!/bin/sh\necho tool-ran\n"

# Each parent execs the program by a name the preflight parser cannot see (it is built at run
# time) and prints the errno of a failed exec.
PARENTS = {
    "sh": 'p=fenceprobe-; p="${p}%s"; "$p"; echo "rc=$?"',
    "python3": ("python3 -c 'import subprocess, sys\n"
                "try:\n    subprocess.run([\"fenceprobe-\" + sys.argv[1]]); print(\"rc=0\")\n"
                "except OSError as e:\n    print(\"errno=%%d\" %% e.errno)' %s"),
    "node": ("node -e 'try { require(\"child_process\").execFileSync(\"fenceprobe-\" + "
             "process.argv[1], {stdio: \"inherit\"}); console.log(\"rc=0\") } "
             "catch (e) { console.log(\"errno=\" + e.code) }' %s"),
}
# What the failed exec looks like from each parent: exec of the /dev/null character device is
# refused by the kernel with EACCES.
REFUSED = {"sh": "Permission denied", "python3": "errno=13", "node": "errno=EACCES"}


def bin_env(env):
    return {"PATH": f"{env.work / 'bin'}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                    "/sbin:/bin"}


def write_config(env, command):
    env.write("fence.json", json.dumps({"command": command,
                                        "filesystem": {"allowWrite": ["."]}}))


@pytest.mark.parametrize("parent", sorted(PARENTS))
def test_allowed_parent_cannot_exec_denied_program(env, parent):
    require(have(parent), parent)
    env.write(f"bin/{DENIED}", TOOL, mode=0o755)
    command = PARENTS[parent] % "denied"

    # control: without the rule, the same parent runs the program
    write_config(env, {"useDefaults": False})
    p = env.fence("-c", command, env=bin_env(env))
    assert "tool-ran" in p.stdout, p.stdout + p.stderr

    write_config(env, {"deny": [DENIED]})
    p = env.fence("-c", command, env=bin_env(env))
    assert "tool-ran" not in p.stdout, p.stdout
    assert REFUSED[parent] in p.stdout + p.stderr, p.stdout + p.stderr
    if parent == "sh":
        assert "rc=126" in p.stdout


def test_preflight_still_refuses_the_literal_name(env):
    env.write(f"bin/{DENIED}", TOOL, mode=0o755)
    write_config(env, {"deny": [DENIED]})
    p = env.fence("-c", f"echo start; {DENIED}", env=bin_env(env))
    assert p.returncode == 1
    assert p.stdout == ""
    assert f'matches "{DENIED}"' in p.stderr


def test_symlinked_alias_and_copy_of_a_masked_program(env):
    """The mask sits on the program itself: a symlink to it reaches /dev/null too, and a copy
    made inside the sandbox is a copy of /dev/null (empty)."""
    env.write(f"bin/{DENIED}", TOOL, mode=0o755)
    write_config(env, {"deny": [DENIED]})
    cmd = (f'p=fenceprobe-; t="$PWD/bin/${{p}}denied"; ln -sf "$t" alias; ./alias; '
           'echo "alias=$?"; cp "$t" copy && chmod +x copy; ./copy; echo "copy=$?"; '
           'wc -c < copy')
    p = env.fence("-c", cmd, env=bin_env(env))
    assert "tool-ran" not in p.stdout, p.stdout
    assert "alias=126" in p.stdout
    assert p.stdout.strip().endswith("0"), p.stdout


def make_multicall(env):
    """A 'multicall' program: one inode under the names cat and fenceprobe-multi."""
    box = env.write("bin/fakebox", TOOL, mode=0o755)
    for name in ("cat", MULTI):
        os.link(box, env.work / "bin" / name)
    return env.work / "bin" / MULTI


def test_multicall_warning_and_mask(env):
    target = make_multicall(env)
    write_config(env, {"deny": [MULTI]})
    p = env.fence("-c", 'p=fenceprobe-multi; "$p"; echo "rc=$?"', env=bin_env(env))
    want = (f"[fence:linux] runtime exec deny warning for {target} (requested: {MULTI}): shared "
            "binary also implements critical commands [cat], which will be collaterally blocked. "
            f'To skip runtime blocking of "{MULTI}" and silence this warning, add it to '
            '"acceptSharedBinaryCannotRuntimeDeny" in your command config.')
    assert want in p.stderr.splitlines(), p.stderr
    assert p.stderr.count("runtime exec deny warning") == 1  # printed once, without -d
    assert "rc=126" in p.stdout and "tool-ran" not in p.stdout


def test_accepted_shared_binary_is_silent_and_unmasked(env):
    make_multicall(env)
    write_config(env, {"deny": [MULTI], "acceptSharedBinaryCannotRuntimeDeny": [MULTI]})
    p = env.fence("-c", 'p=fenceprobe-multi; "$p"; echo "rc=$?"', env=bin_env(env))
    assert "runtime exec deny warning" not in p.stderr, p.stderr
    assert "tool-ran" in p.stdout and "rc=0" in p.stdout, p.stdout + p.stderr


def test_default_rules_mask_host_programs(env):
    """The default list's single-token rules (unshare, chroot...) are masked when present."""
    unshare = shutil.which("unshare")
    require(unshare, "unshare")
    write_config(env, {})
    p = env.fence("-c", 'p=unshare; "$p" -h >/dev/null; echo "rc=$?"')
    assert "rc=126" in p.stdout, p.stdout + p.stderr
    write_config(env, {"useDefaults": False})
    p = env.fence("-c", 'p=unshare; "$p" -h >/dev/null; echo "rc=$?"')
    assert "rc=0" in p.stdout, p.stdout + p.stderr
