# SPDX-License-Identifier: MIT
"""Helpers for the engine's integration tests: run a command in a real sandbox.

Until the CLI's run path is on main, sandboxes are started through tests/helpers/fence-run, a
small driver of the public API that takes the policy as `--set key=value` options. `sandbox()`
hides that: tests pass the policy as a dict of config keys (the JSON paths of fence.json).
"""
import os
import subprocess
from pathlib import Path

BUILD_ROOT = Path(os.environ.get("FENCE_BUILD_ROOT") or
                  Path(__file__).resolve().parents[2] / "build")
FENCE_RUN = str(BUILD_ROOT / "tests" / "helpers" / "fence-run")

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


def policy_args(policy):
    args = []
    for key, value in (policy or {}).items():
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, bool):
                v = "true" if v else "false"
            args += ["--set", f"{key}={v}"]
    return args


def sandbox_argv(command, policy=None, extra=()):
    return [FENCE_RUN, *policy_args(policy), *extra, "-c", command]


def sandbox(env, command, policy=None, extra=(), timeout=60, input=None, pass_fds=(),
            extra_env=None):
    """Runs `command` in a sandbox as env's identity; returns CompletedProcess (text)."""
    argv = env.ident.wrap(sandbox_argv(command, policy, extra))
    return subprocess.run(argv, cwd=str(env.work), env=env.environ(extra_env), input=input,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, pass_fds=pass_fds)


def host(env, command, timeout=60, pass_fds=(), extra_env=None):
    """The same command without fence (the control run of an attack)."""
    argv = env.ident.wrap(["bash", "-c", command])
    return subprocess.run(argv, cwd=str(env.work), env=env.environ(extra_env),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, pass_fds=pass_fds)


def chown_tree(env, path):
    if env.ident.uid != os.geteuid():
        for p in [Path(path), *Path(path).rglob("*")]:
            os.lchown(p, env.ident.uid, env.ident.gid)
