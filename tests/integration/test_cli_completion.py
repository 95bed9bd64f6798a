# SPDX-License-Identifier: MIT
"""`fence completion bash|zsh|fish` (spec §3.7): the scripts are valid for their shell and
offer the subcommands, flags and template names of this build. The bash script is also
exercised: COMP_WORDS are set up and the completion function is called."""
import re
import subprocess

import pytest

from conftest import FENCE_BIN, have, require


def templates(env):
    out = env.fence("--list-templates", check=0).stdout.splitlines()
    return [l.split()[0] for l in out if l.startswith("  ")]


def script(env, shell):
    p = env.fence("completion", shell, check=0)
    assert p.stderr == ""
    return p.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_script_names_everything(env_self, shell):
    s = script(env_self, shell)
    for t in templates(env_self):
        assert re.search(rf"\b{re.escape(t)}\b", s), t
    for word in ("config", "init", "show", "import", "completion", "settings", "template",
                 "list-templates", "expose-host-path-rw", "service-execution-model",
                 "fence-log-file", "no-extend", "scaffold", "in-sandbox", "on-host"):
        assert word in s, word


def test_bash_syntax(env_self, tmp_path):
    f = tmp_path / "fence.bash"
    f.write_text(script(env_self, "bash"))
    p = subprocess.run(["bash", "-n", str(f)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("shell,check", [("zsh", ["zsh", "-n"]), ("fish", ["fish", "-n"])])
def test_other_shells_syntax(env_self, tmp_path, shell, check):
    require(have(shell), f"{shell} is not installed")
    f = tmp_path / f"fence.{shell}"
    f.write_text(script(env_self, shell))
    p = subprocess.run(check + [str(f)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def bash_complete(env, tmp_path, words):
    """Runs the bash completion function for a command line; returns COMPREPLY."""
    f = tmp_path / "fence.bash"
    f.write_text(script(env, "bash"))
    line = " ".join(f"'{w}'" for w in words)
    prog = (f"source {f}\n"
            f"COMP_WORDS=({line}); COMP_CWORD={len(words) - 1}\n"
            "_fence\n"
            "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True,
                       cwd=str(env.work), timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout.split()


def test_bash_completes(env_self, tmp_path):
    env_self.write("somefile.json", "{}")
    assert "config" in bash_complete(env_self, tmp_path, ["fence", "con"])
    assert "init" not in bash_complete(env_self, tmp_path, ["fence", "con"])
    assert set(bash_complete(env_self, tmp_path, ["fence", "config", ""])) == {"init", "show"}
    assert "--list-templates" in bash_complete(env_self, tmp_path, ["fence", "--li"])
    assert set(bash_complete(env_self, tmp_path, ["fence", "-t", "code"])) == \
        {t for t in templates(env_self) if t.startswith("code")}
    assert set(bash_complete(env_self, tmp_path, ["fence", "--shell", ""])) == \
        {"default", "user"}
    assert bash_complete(env_self, tmp_path, ["fence", "-s", "some"]) == ["somefile.json"]
    assert set(bash_complete(env_self, tmp_path, ["fence", "config", "init", "--"])) >= \
        {"--template", "--minimal", "--output", "--force", "--print", "--scaffold", "--help"}
    assert set(bash_complete(env_self, tmp_path, ["fence", "completion", ""])) == \
        {"bash", "zsh", "fish"}
    # a flag value that looks like a subcommand is still a value
    assert set(bash_complete(env_self, tmp_path, ["fence", "-t", "code", "config", ""])) == \
        {"init", "show"}
    # after the wrapped command, fence's flags are not offered
    assert "--debug" not in bash_complete(env_self, tmp_path, ["fence", "ls", "--d"])


def test_completion_errors(env_self):
    p = env_self.fence("completion")
    assert p.returncode == 1 and p.stderr == "Error: accepts 1 arg(s), received 0\n"
    p = env_self.fence("completion", "tcsh")
    assert p.returncode == 1
    assert p.stderr.startswith('Error: invalid argument "tcsh" for "fence completion"')
    p = env_self.fence("completion", "bash", "zsh")
    assert p.returncode == 1 and p.stderr == "Error: accepts 1 arg(s), received 2\n"


def test_fish_completes(env_self, tmp_path):
    require(have("fish"), "fish is not installed")
    f = tmp_path / "fence.fish"
    f.write_text(script(env_self, "fish"))

    def complete(line):
        p = subprocess.run(["fish", "--no-config", "-c", f"source {f}; complete -C '{line}'"],
                           capture_output=True, text=True, timeout=30, cwd=str(env_self.work))
        assert p.returncode == 0, p.stderr
        return {l.split("\t")[0] for l in p.stdout.splitlines()}

    assert complete("fence config ") == {"init", "show"}
    assert complete("fence -t code-") == {t for t in templates(env_self)
                                          if t.startswith("code-")}
    assert "--scaffold" in complete("fence config init --")
    assert complete("fence --shell ") == {"default", "user"}
    assert complete("fence completion ") == {"bash", "zsh", "fish"}


def test_zsh_loads(env_self, tmp_path):
    require(have("zsh"), "zsh is not installed")
    f = tmp_path / "_fence"
    f.write_text(script(env_self, "zsh"))
    prog = (f"autoload -U compinit; compinit -u -D; source {f}; "
            "whence -w _fence _fence_config_show _fence_import; "
            "print -r -- ${functions[_fence_config_init]}")
    p = subprocess.run(["zsh", "-f", "-c", prog], capture_output=True, text=True, timeout=30,
                       cwd=str(env_self.work))
    assert p.returncode == 0, p.stderr
    assert "_fence: function" in p.stdout and "_fence_import: function" in p.stdout
    assert "--scaffold" in p.stdout and "local-dev-server" in p.stdout
