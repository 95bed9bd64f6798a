# SPDX-License-Identifier: MIT
"""Escape class 11 through git (review1 findings 2-4): a sandboxed command writes something git
reads, and the user's next `git status` or `git commit` on the host runs the payload.

Each attack runs once without fence (the control: the host git run must execute the payload)
and once inside a real sandbox (the host git run must not). The payload touches a marker file
outside the workspace, so only a host-side git can create it."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from sandbox_util import CODE_TEMPLATE, chown_tree, host, sandbox

WRITE_WS = {"filesystem.allowWrite": ["."]}
GIT_ID = ["-c", "user.name=t", "-c", "user.email=t@example.com"]


def git(env, *args, cwd=None, check=True):
    p = env.run(["git", *GIT_ID, *args], cwd=cwd)
    if check and p.returncode != 0:
        raise AssertionError(f"git {args}: {p.stderr}")
    return p


def marker(env):
    return env.root / "PWNED"


def payload(env):
    """A core.fsmonitor value: git runs it through the shell on `git status`."""
    return f'touch {marker(env)}; false'


def make_repo(env, path=None):
    path = Path(path or env.work)
    if path != env.work and path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    chown_tree(env, path)
    git(env, "init", "-q", str(path))
    (path / "f").write_text("x\n")
    chown_tree(env, path)
    git(env, "add", "f", cwd=path)
    git(env, "commit", "-q", "-m", "init", cwd=path)
    return path


def reset(env):
    marker(env).unlink(missing_ok=True)
    shutil.rmtree(env.work)
    env.work.mkdir()
    chown_tree(env, env.work)


def host_git_runs_payload(env, cwd=None, commit=False):
    marker(env).unlink(missing_ok=True)
    if commit:
        git(env, "commit", "-q", "--allow-empty", "-m", "later", cwd=cwd, check=False)
    else:
        git(env, "status", cwd=cwd, check=False)
    return marker(env).exists()


def attack_both_ways(env, setup, attack, policy=WRITE_WS, cwd=None, commit=False):
    """setup() builds the workspace; attack is a shell command run from cwd (default work)."""
    reset(env)
    setup()
    p = host(env, f"cd {cwd or env.work} && {attack}")
    assert host_git_runs_payload(env, cwd, commit), \
        f"control: the attack works without fence\n{p.stdout}{p.stderr}"
    reset(env)
    setup()
    argv_cwd = cwd or env.work
    p = sandbox(env, f"cd {argv_cwd} && {attack}", policy)
    assert not host_git_runs_payload(env, cwd, commit), \
        f"the payload ran on the host after the sandboxed run\n{p.stdout}{p.stderr}"


# --- finding 2: names the broker used to allow --------------------------------------------

def evil_dir_cmd(env, name):
    return (f"mkdir -p {name}/objects {name}/refs && echo 'ref: refs/heads/master' > {name}/HEAD"
            f" && printf '[core]\\n\\tfsmonitor = \"{payload(env)}\"\\n' > {name}/config")


def test_git_commondir(env):
    """(a) .git/commondir points git at a directory whose config the sandbox wrote."""
    attack_both_ways(env, lambda: make_repo(env),
                     evil_dir_cmd(env, "evil") + " && echo ../evil > .git/commondir")


GITDIR_ATTACKS = [
    "echo 'gitdir: evil' > .git",                     # (b) a .git file
    "ln -s evil .git",                                # a symlink
    "ln -s evil s && ln -P s .git",                   # a hard link of a symlink
    "echo 'gitdir: evil' > g && ln g .git",           # a hard link of a .git file
    "echo 'gitdir: evil' > g && mv g .git",           # a rename onto .git
]


@pytest.mark.parametrize("plant", GITDIR_ATTACKS)
def test_git_dir_replaced(env, plant):
    """(b) .git moved aside and replaced by something that is not a new directory."""
    attack_both_ways(env, lambda: make_repo(env),
                     evil_dir_cmd(env, "evil") + " && mv .git .git-aside && " + plant)


def test_git_config_worktree(env):
    """config.worktree is read when extensions.worktreeConfig is set (by the user's repo)."""
    def setup():
        make_repo(env)
        git(env, "config", "extensions.worktreeConfig", "true", cwd=env.work)
    attack_both_ways(env, setup, f"printf '[core]\\n\\tfsmonitor = \"{payload(env)}\"\\n' "
                                 "> .git/config.worktree")


# --- finding 4: control files that existed but were left writable --------------------------

def test_git_submodule_config(env):
    """A submodule's config in .git/modules/ runs in the superproject's `git status`."""
    def setup():
        sub = make_repo(env, env.root / "subsrc")
        make_repo(env)
        git(env, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "sub",
            cwd=env.work)
        git(env, "commit", "-q", "-m", "sub", cwd=env.work)
    attack_both_ways(env, setup, f"git config -f .git/modules/sub/config core.fsmonitor "
                                 f"'{payload(env)}'")


def test_git_submodule_dotgit_file(env):
    """The submodule's .git file re-pointed at a directory the sandbox made."""
    def setup():
        sub = make_repo(env, env.root / "subsrc")
        make_repo(env)
        git(env, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "sub",
            cwd=env.work)
        git(env, "commit", "-q", "-m", "sub", cwd=env.work)
    attack_both_ways(env, setup,
                     "cd sub && " + evil_dir_cmd(env, "../evil") +
                     " && cp -r ../.git/modules/sub/objects ../evil/ && "
                     "(echo 'gitdir: ../evil' > .git || { rm -f .git && "
                     "echo 'gitdir: ../evil' > .git; })",
                     cwd=None)


def test_git_enclosing_repo(env):
    """cwd in a subdirectory of the repository, allowWrite [".."]: the repository's hooks."""
    sub = env.work / "sub"

    def setup():
        make_repo(env)
        sub.mkdir()
        chown_tree(env, sub)
    attack_both_ways(env, setup,
                     f"printf '#!/bin/sh\\ntouch {marker(env)}\\n' > ../.git/hooks/pre-commit &&"
                     " chmod +x ../.git/hooks/pre-commit",
                     policy={"filesystem.allowWrite": [".."]}, cwd=sub, commit=True)


def test_git_enclosing_repo_config(env):
    sub = env.work / "sub"

    def setup():
        make_repo(env)
        sub.mkdir()
        chown_tree(env, sub)
    attack_both_ways(env, setup, f"git config -f ../.git/config core.fsmonitor '{payload(env)}'",
                     policy={"filesystem.allowWrite": [".."]}, cwd=sub)


@pytest.mark.parametrize("hooks_path", [".husky", ".husky/_"])
def test_git_hooks_path(env, hooks_path):
    """core.hooksPath (husky): a hook written there runs on the next host commit; with husky 9
    (.husky/_) the wrappers run .husky/<hook>, so the parent is protected as well."""
    def setup():
        make_repo(env)
        git(env, "config", "core.hooksPath", hooks_path, cwd=env.work)
    attack_both_ways(env, setup,
                     f"mkdir -p {hooks_path} && printf '#!/bin/sh\\ntouch {marker(env)}\\n' > "
                     f"{hooks_path}/pre-commit && chmod +x {hooks_path}/pre-commit",
                     commit=True)


def test_git_hooks_path_existing_dir(env):
    """The hooks directory exists at launch (husky installed): its hook files stay read-only."""
    def setup():
        make_repo(env)
        (env.work / ".husky").mkdir()
        (env.work / ".husky" / "pre-commit").write_text("#!/bin/sh\ntrue\n")
        os.chmod(env.work / ".husky" / "pre-commit", 0o755)
        chown_tree(env, env.work)
        git(env, "config", "core.hooksPath", ".husky", cwd=env.work)
    attack_both_ways(env, setup, f"echo 'touch {marker(env)}' >> .husky/pre-commit",
                     commit=True)


@pytest.mark.parametrize("exists", [False, True])
def test_git_xdg_global_config(env, exists):
    """~/.config/git/config under the code template (allowWrite ~/.config/**)."""
    cfg = env.xdg / "git" / "config"

    def setup():
        make_repo(env)
        if exists:
            cfg.parent.mkdir(parents=True, exist_ok=True)
            cfg.write_text("[user]\n\tname = t\n")
            chown_tree(env, env.xdg)
        elif cfg.exists():
            shutil.rmtree(cfg.parent)
    try:
        attack_both_ways(env, setup,
                         f"mkdir -p {cfg.parent} && printf '[core]\\n\\tfsmonitor = "
                         f"\"{payload(env)}\"\\n' >> {cfg}", policy=CODE_TEMPLATE)
    finally:
        if cfg.parent.exists():
            shutil.rmtree(cfg.parent)


def test_git_global_include(env):
    """A file ~/.gitconfig includes is configuration too."""
    inc = env.home / ".gitconfig.local"

    def setup():
        make_repo(env)
        env.write(str(env.home / ".gitconfig"), f"[include]\n\tpath = {inc}\n")
        inc.unlink(missing_ok=True)
    try:
        attack_both_ways(env, setup,
                         f"printf '[core]\\n\\tfsmonitor = \"{payload(env)}\"\\n' > {inc}",
                         policy={"filesystem.allowWrite": [".", "~"]})
    finally:
        (env.home / ".gitconfig").unlink(missing_ok=True)
        inc.unlink(missing_ok=True)


# --- finding 3: a truncated scan must not fail open ------------------------------------------

@pytest.fixture(scope="module")
def flood():
    """200,001 empty files (one more than the scan's budget), made once and moved into each
    test's workspace: a sandboxed run could make them too (through the broker, minutes)."""
    top = Path(tempfile.mkdtemp(dir=os.environ.get("TMPDIR", "/tmp")))
    os.chmod(top, 0o755)
    d = top / "aaaa"
    d.mkdir()
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for i in range(200001):
            os.close(os.open(str(i), os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    yield d
    shutil.rmtree(top)


def test_truncated_scan_refuses(env, flood):
    """A directory that sorts before .git holds more entries than the dangerous-path scan
    reads: the launch must not go on with .git/config writable; it refuses, naming the
    directory."""
    make_repo(env)
    moved = env.work / "aaaa"
    os.rename(flood, moved)
    try:
        # control: the host can write the config
        assert host(env, "echo '#x' >> .git/config").returncode == 0
        p = sandbox(env, f"git config core.fsmonitor '{payload(env)}'; echo ran", WRITE_WS)
        assert p.returncode != 0 and "ran" not in p.stdout
        assert "stopped after 200000 entries" in p.stderr and str(env.work) in p.stderr, \
            p.stderr
        assert not host_git_runs_payload(env)
        # the same sandbox without the flood runs (the refusal is the flood's doing)
        os.rename(moved, flood)
        p = sandbox(env, "echo ran", WRITE_WS)
        assert p.returncode == 0 and "ran" in p.stdout, p.stderr
    finally:
        if moved.exists():
            os.rename(moved, flood)


# --- second review: the path-based protection moved, exhausted, or never applied -------------

def attack_in_runs(env, setup, runs, policy=WRITE_WS, check_cwd=None):
    """Like attack_both_ways, with an attack spread over several runs (each a fresh sandbox)."""
    for sandboxed in (False, True):
        reset(env)
        setup()
        out = ""
        for cmd in runs:
            p = sandbox(env, cmd, policy) if sandboxed else host(env, cmd)
            out += p.stdout + p.stderr
        ran = host_git_runs_payload(env, check_cwd)
        if sandboxed:
            assert not ran, f"the payload ran on the host after the sandboxed runs\n{out}"
        else:
            assert ran, f"control: the attack works without fence\n{out}"


def test_git_parent_renamed(env):
    """Finding 1: the directory holding a protected .git is moved away, commondir is created
    below its new name (nothing knows that .git there), and a later run moves it back."""
    def setup():
        make_repo(env)
        make_repo(env, env.work / "lib")
    attack_in_runs(env, setup, [
        "mv lib x && " + evil_dir_cmd(env, "evil") + " && printf '../../evil\\n' > x/.git/commondir",
        "mv x lib"], check_cwd=env.work / "lib")


def test_git_parent_exchanged(env):
    """Finding 1 through renameat2(RENAME_EXCHANGE): the other side holds the .git."""
    def setup():
        make_repo(env)
        make_repo(env, env.work / "lib")
    swap = ("python3 -c 'import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); "
            "r=l.renameat2(-100,sys.argv[1].encode(),-100,sys.argv[2].encode(),2); "
            "sys.exit(r and ctypes.get_errno())' ")
    attack_in_runs(env, setup, [
        "mkdir x && " + swap + "x lib && " + evil_dir_cmd(env, "evil") +
        " && printf '../../evil\\n' > x/.git/commondir",
        swap + "x lib"], check_cwd=env.work / "lib")


def test_git_scan_exhausted(env):
    """Finding 2: a run makes enough .git/worktrees entries to exhaust the git scan's bounds;
    the next run would leave a later repository's config writable. Fence refuses to start."""
    def setup():
        make_repo(env)
        make_repo(env, env.work / "lib")
    attack_in_runs(env, setup, [
        "mkdir -p .git/worktrees && cd .git/worktrees && mkdir $(seq -f w%04g 1100)",
        f"printf '[core]\\n\\tfsmonitor = \"{payload(env)}\"\\n' >> lib/.git/config"],
        check_cwd=env.work / "lib")
    p = sandbox(env, "echo ran", WRITE_WS)
    assert p.returncode != 0 and "ran" not in p.stdout, p.stdout
    assert "git scan reached its limit" in p.stderr and ".git/worktrees" in p.stderr, p.stderr


@pytest.mark.parametrize("how", ["allowWrite", "expose-rw"])
def test_git_repo_below_other_writable_root(env, how):
    """Finding 3: a repository below a writable root outside the workspace (allowWrite
    ["../other"], --expose-host-path-rw) had its existing .git/config writable."""
    other = env.root / "other"
    repo = other / "pkgs" / "dep"

    def setup():
        make_repo(env)
        make_repo(env, repo)
        chown_tree(env, other)
    attack = f"git config -f {repo}/.git/config core.fsmonitor '{payload(env)}'"
    try:
        reset(env)
        setup()
        p = host(env, attack)
        assert host_git_runs_payload(env, repo), f"control\n{p.stdout}{p.stderr}"
        reset(env)
        setup()
        if how == "allowWrite":
            p = sandbox(env, attack, {"filesystem.allowWrite": [".", "../other"]})
        else:
            p = sandbox(env, attack, WRITE_WS, extra=["--expose-host-path-rw", str(other)])
        assert not host_git_runs_payload(env, repo), \
            f"the payload ran on the host after the sandboxed run\n{p.stdout}{p.stderr}"
        assert p.returncode != 0, p.stderr  # the write itself failed (read-only config)
    finally:
        shutil.rmtree(other, ignore_errors=True)
