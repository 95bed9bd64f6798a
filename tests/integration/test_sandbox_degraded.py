# SPDX-License-Identifier: MIT
"""Fail closed, and the named weaker levels (--allow-degraded).

tests/helpers/degrade runs fence on a "host" without Landlock or without seccomp: a seccomp
filter answers landlock_*() with ENOSYS, or seccomp()/prctl(PR_*_SECCOMP) the way a kernel
without CONFIG_SECCOMP does. fence must refuse with one line naming what is missing and how to
accept it; with --allow-degraded it runs and says once, on stderr, what is off. As root and as
an unprivileged user."""
import re

import pytest

from conftest import require
from sandbox_util import HELPERS, sandbox_argv

DEGRADE = HELPERS / "degrade"
# Seccomp_filters counts the filters stacked on the process: degrade's own is one of them.
FILTERS = "grep ^Seccomp_filters: /proc/self/status"


def quiet(p):
    """p with the stderr lines of sanitizer runtimes (ASan's notes on the workload's private
    stack, "==N==WARNING: ...") taken out, so that fence's own lines can be compared."""
    noise = (r"==\d+==", "False positive error reports may follow", "For details see https://")
    p.stderr = "".join(l for l in p.stderr.splitlines(True)
                       if not any(re.match(n, l) for n in noise))
    return p


def run(env, levels, command, flags=()):
    require(DEGRADE.exists(), f"helper not built: {DEGRADE}")
    argv = [str(DEGRADE), *levels, "--", *sandbox_argv(env, command, extra=flags)]
    return quiet(env.run(argv))


def filters(out):
    return int(re.search(r"Seccomp_filters:\s+(\d+)", out).group(1))


LEVELS = {
    "no-landlock": (
        "Error: Landlock is unavailable on this kernel (Function not implemented; needs Linux >= "
        "5.13 with CONFIG_SECURITY_LANDLOCK and \"landlock\" in the lsm= boot list); to run "
        "without it, accept the weaker level with --allow-degraded=no-landlock",
        '[fence] WARNING: Landlock is unavailable on this kernel; running at the weaker level '
        '"no-landlock" (mount namespace and seccomp only)',
        2),  # degrade's filter and fence's: seccomp still applies
    "no-seccomp": (
        "Error: seccomp filters are unavailable on this kernel (CONFIG_SECCOMP_FILTER); to run "
        "without them, accept the weaker level with --allow-degraded=no-seccomp",
        '[fence] WARNING: seccomp is unavailable on this kernel; running at the weaker level '
        '"no-seccomp" (no syscall filter, new protected names not guarded)',
        1),  # only degrade's own filter
}


@pytest.mark.parametrize("level", LEVELS)
def test_refused_then_accepted(env, level):
    refusal, banner, n_filters = LEVELS[level]
    p = run(env, [level], "echo RAN")
    assert p.returncode == 1 and "RAN" not in p.stdout
    assert p.stderr.splitlines() == [refusal]

    p = run(env, [level], f"echo RAN; {FILTERS}", [f"--allow-degraded={level}"])
    assert p.returncode == 0, p.stderr
    assert "RAN" in p.stdout
    assert p.stderr.splitlines() == [banner]
    assert filters(p.stdout) == n_filters
    # the rest of the sandbox is still there: the host is read-only
    p = run(env, [level], "touch /usr/fence-probe", ["--allow-degraded", level])
    assert p.returncode != 0 and "Read-only file system" in p.stderr


def test_both_levels_comma_separated(env):
    p = run(env, ["no-landlock", "no-seccomp"], "echo RAN",
            ["--allow-degraded=no-seccomp,no-landlock"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == "RAN\n"
    assert len(p.stderr.splitlines()) == 2
    assert '"no-landlock"' in p.stderr and '"no-seccomp"' in p.stderr
    # accepting one level does not accept the other
    p = run(env, ["no-landlock", "no-seccomp"], "echo RAN", ["--allow-degraded=no-landlock"])
    assert p.returncode == 1 and "RAN" not in p.stdout
    assert "--allow-degraded=no-seccomp" in p.stderr


def test_flag_without_need_changes_nothing(env):
    """On a host with every layer the flag is not in effect: no banner, all filters on."""
    p = quiet(env.run(sandbox_argv(env, f"echo RAN; {FILTERS}",
                                   extra=["--allow-degraded=no-landlock,no-seccomp"])))
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert filters(p.stdout) == 1  # fence's own


def test_bad_values(env_self):
    p = env_self.fence("--allow-degraded=no-netns", "-c", "true")
    assert p.returncode == 1
    assert p.stderr.startswith('Error: invalid --allow-degraded "no-netns": this build cannot run '
                               "without a network namespace")
    p = env_self.fence("--allow-degraded", "no-landlock,bogus", "true")
    assert p.returncode == 1
    assert p.stderr == ('Error: invalid --allow-degraded "bogus" (expected no-landlock, '
                        'no-seccomp or host-proc)\n')
