# SPDX-License-Identifier: MIT
"""The command policy refuses before anything starts (spec §7.4; DESIGN.md "Deviations")."""
import pytest


@pytest.mark.parametrize("command, rule", [
    ("touch marker; git push origin main", "git push"),
    ("touch marker && (git push)", "git push"),          # subshell: a Go-tool gap
    ("touch marker & git push", "git push"),              # single &: a Go-tool gap
    ("touch marker\ngit push", "git push"),               # newline: a Go-tool gap
    ("touch marker; echo $(git push)", "git push"),       # command substitution
    ("touch marker; env FOO=1 bash -c 'git push'", "git push"),
])
def test_refused_before_anything_runs(env, command, rule):
    p = env.fence("-t", "code", "-c", command)
    assert p.returncode == 1, p.stderr
    assert p.stdout == ""
    assert p.stderr.startswith("Error: command blocked by sandbox command policy: ")
    assert f'matches "{rule}"' in p.stderr
    # nothing ran: the harmless first segment did not create its file either
    assert not (env.work / "marker").exists()


def test_default_rule_message(env):
    p = env.fence("-c", "touch marker; shutdown -h now")
    assert p.returncode == 1
    assert p.stderr == ('Error: command blocked by default sandbox command policy: '
                        '"shutdown -h now" matches "shutdown"\n')
    assert not (env.work / "marker").exists()


def test_allowed_exception_runs(env):
    env.write("fence.json", '{"extends": "code", "command": {"allow": ["git push --dry-run"]}}')
    p = env.fence("-c", "git push --dry-run 2>/dev/null; echo ran")
    assert "ran" in p.stdout, p.stderr


def test_control_the_same_string_runs_without_policy(env):
    """Without a deny rule the same string does run (so the tests above can fail)."""
    env.write("fence.json", '{"filesystem": {"allowWrite": ["."]}, '
                            '"command": {"useDefaults": false}}')
    p = env.fence("-c", "touch marker; true")
    assert p.returncode == 0, p.stderr
    assert (env.work / "marker").exists()


def test_positional_command_refused_exactly(env):
    """`fence -t code git push origin main`: the Go tool's message, exit 1, no output."""
    p = env.fence("-t", "code", "git", "push", "origin", "main")
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr == ('Error: command blocked by sandbox command policy: '
                        '"git push origin main" matches "git push"\n')


def test_positional_nested_shell_refused_before_start(env):
    p = env.fence("-t", "code", "--", "sh", "-c", "touch marker; git push")
    assert p.returncode == 1, p.stderr
    assert 'matches "git push"' in p.stderr
    assert not (env.work / "marker").exists()
