# SPDX-License-Identifier: MIT
"""The man page and the installed files.

docs/fence.1 is the man page's only source and the CLI's command tables are the help's only
source; this test keeps the two in step: every flag and subcommand the CLI accepts is in the
man page, and the man page documents nothing the CLI does not accept."""
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import SOURCE_ROOT

MAN = SOURCE_ROOT / "docs" / "fence.1"
COMMANDS = [[], ["config", "show"], ["config", "init"], ["import"], ["completion"], ["help"]]


def help_flags(env, words):
    """The flags (-x and --long) listed under "Flags:" in `fence WORDS --help`."""
    out = env.fence(*words, "--help", check=0).stdout
    section = out.split("\nFlags:\n", 1)[1].split("\n\n", 1)[0]
    flags = set()
    for line in section.splitlines():
        m = re.match(r"\s+(?:(-\w), )?(--[\w-]+)", line)
        assert m, line
        flags.update(f for f in m.groups() if f)
    return flags


def man_sections():
    """{"fence": [option lines], "fence config show": [...], ...} from the roff source."""
    sections, current, after_tp = {}, None, False
    for line in MAN.read_text().splitlines():
        if line.startswith(".SH"):
            current = "fence" if line.strip() == ".SH OPTIONS" else None
        elif line.startswith(".SS"):
            current = line[3:].strip().strip('"')
            sections.setdefault(current, [])
        elif current and after_tp:
            sections.setdefault(current, []).append(line)
        after_tp = line.startswith(".TP")
    return sections


def man_flags(lines):
    flags = set()
    for line in lines:
        line = line.replace("\\-", "-")
        flags.update(re.findall(r"(?<![\w-])(--[a-z][\w-]*|-[a-z])\b", line))
    return flags


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "fence")
def test_man_page_flags_match_cli(env_self, words):
    name = " ".join(["fence"] + words)
    sections = man_sections()
    assert name in sections, f"no section for {name} in {MAN}"
    documented = man_flags(sections[name])
    accepted = help_flags(env_self, words)
    if words:
        accepted -= {"-h", "--help"}  # documented once, under OPTIONS
    assert documented == accepted, (
        f"{name}: in the CLI only: {sorted(accepted - documented)}; "
        f"in the man page only: {sorted(documented - accepted)}")


def test_man_page_commands_match_cli(env_self):
    def leaves(words):
        out = env_self.fence(*words, "--help", check=0).stdout
        if "Available Commands:" not in out:
            return {" ".join(["fence"] + words)}
        block = out.split("Available Commands:\n", 1)[1].split("\n\n", 1)[0]
        subs = [l.split()[0] for l in block.splitlines()]
        return set().union(*(leaves(words + [s]) for s in subs))

    man = {s for s in man_sections() if s != "fence"}
    assert man == leaves([])


def test_man_page_renders():
    if not Path("/usr/bin/man").exists():
        pytest.skip("man is not installed")
    p = subprocess.run(["man", "--warnings", "-l", str(MAN)], capture_output=True, text=True,
                       env={**os.environ, "MANWIDTH": "80"})
    assert p.returncode == 0
    assert p.stderr == "", p.stderr
    text = re.sub(".\x08", "", p.stdout)  # drop overstrike bold/underline
    assert "fence config show" in text


def test_meson_install(tmp_path):
    build = os.environ.get("FENCE_BUILD_ROOT")
    if not build:
        pytest.skip("FENCE_BUILD_ROOT is not set (run through meson test)")
    dest = tmp_path / "dest"
    p = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                        "--destdir", str(dest)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    prefix = dest / "usr" / "local"
    files = {str(f.relative_to(prefix)) for f in prefix.rglob("*") if not f.is_dir()}

    def one(pattern):
        hits = [f for f in files if re.fullmatch(pattern, f)]
        assert hits, f"nothing installed matches {pattern}: {sorted(files)}"
        return prefix / hits[0]

    fence = one(r"bin/fence")
    assert os.access(fence, os.X_OK)
    one(r"lib(/[\w-]+)?/libfence\.so\.0")
    one(r"lib(/[\w-]+)?/libfence\.a")
    one(r"include/fence/fence\.h")
    pc = one(r"lib(/[\w-]+)?/pkgconfig/libfence\.pc").read_text()
    assert "Name: libfence" in pc and "-lfence" in pc
    assert one(r"share/man/man1/fence\.1").read_text() == MAN.read_text()
    assert "complete -F _fence fence" in one(r"share/bash-completion/completions/fence").read_text()
    assert one(r"share/zsh/site-functions/_fence").read_text().startswith("#compdef fence")
    assert "complete -c fence" in one(r"share/fish/vendor_completions\.d/fence\.fish").read_text()
    schema = one(r"share/fence/schema/fence\.schema\.json").read_text()
    assert schema == (SOURCE_ROOT / "docs" / "schema" / "fence.schema.json").read_text()
    one(r"share/doc/fence/configuration\.md")
    one(r"share/doc/fence/cli\.md")
    # the installed binary works
    out = subprocess.run([str(fence), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("fence - ")
