# SPDX-License-Identifier: MIT
"""Helpers for the engine's integration tests: run a command in a real sandbox through the
`fence` binary, exactly as users run it.

Tests pass the policy as a dict of config keys (the JSON paths of fence.json, e.g.
"filesystem.allowWrite"); `sandbox()` writes it as a fence.json next to (not inside) the test's
work directory and runs `fence -s THAT_FILE [flags] -c COMMAND` as the test's identity. An empty
policy is written too, so config discovery never depends on the machine.
"""
import itertools
import json
import os
import subprocess
from pathlib import Path

from conftest import FENCE_BIN

BUILD_ROOT = Path(os.environ.get("FENCE_BUILD_ROOT") or Path(FENCE_BIN).parent)
HELPERS = BUILD_ROOT / "tests" / "helpers"

# The filesystem part of the `code` template (spec §5.1): what real programs run under.
CODE_TEMPLATE = {
    "allowPty": True,
    "filesystem.allowWrite": [".", "/tmp", "~/.cache/**", "~/.npm/_cacache", "~/.cache",
                              "~/.local/share/**", "~/.config/**"],
    "filesystem.denyWrite": ["**/.env", "**/.env.*", "**/*.key", "**/*.pem", "**/*.p12",
                             "**/*.pfx"],
    "filesystem.denyRead": ["~/.ssh/id_*", "~/.ssh/config", "~/.ssh/*.pem", "~/.gnupg/**",
                            "~/.aws/**", "~/.netrc", "~/.git-credentials"],
}

_serial = itertools.count()


def policy_json(policy):
    """{"filesystem.allowWrite": ["."]} -> {"filesystem": {"allowWrite": ["."]}}."""
    doc = {}
    for key, value in (policy or {}).items():
        *parents, leaf = key.split(".")
        node = doc
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return doc


def write_policy(env, policy):
    """Writes the policy as a config file outside env.work; returns its path."""
    path = env.root / f"fence-policy-{next(_serial)}.json"
    path.write_text(json.dumps(policy_json(policy), indent=1) + "\n")
    os.chmod(path, 0o644)
    return path


def sandbox_argv(env, command, policy=None, extra=()):
    """`fence -s POLICY EXTRA... -c COMMAND` (not wrapped for the identity)."""
    return [FENCE_BIN, "-s", str(write_policy(env, policy)), *extra, "-c", command]


def sandbox(env, command, policy=None, extra=(), timeout=60, input=None, pass_fds=(),
            extra_env=None, stdin=None, stdout=subprocess.PIPE):
    """Runs `command` in a sandbox as env's identity; returns CompletedProcess (text)."""
    argv = env.ident.wrap(sandbox_argv(env, command, policy, extra))
    return subprocess.run(argv, cwd=str(env.work), env=env.environ(extra_env), input=input,
                          stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, pass_fds=pass_fds)


def sandbox_popen(env, command, policy=None, extra=(), **kw):
    """Starts `command` in a sandbox as env's identity (stdout a text pipe)."""
    argv = env.ident.wrap(sandbox_argv(env, command, policy, extra))
    return subprocess.Popen(argv, cwd=str(env.work), env=env.environ(kw.pop("extra_env", None)),
                            stdout=subprocess.PIPE, text=True, **kw)


def host(env, command, timeout=60, pass_fds=(), extra_env=None, stdin=None):
    """The same command without fence (the control run of an attack)."""
    argv = env.ident.wrap(["bash", "-c", command])
    return subprocess.run(argv, cwd=str(env.work), env=env.environ(extra_env), stdin=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, pass_fds=pass_fds)


def chown_tree(env, path):
    if env.ident.uid != os.geteuid():
        for p in [Path(path), *Path(path).rglob("*")]:
            os.lchown(p, env.ident.uid, env.ident.gid)
