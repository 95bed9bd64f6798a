# SPDX-License-Identifier: MIT
"""`fence import --claude` (spec §3.6): mapping, warnings, destinations, prompt, flags."""
import json
import stat

SETTINGS = """{
  // Claude Code settings (JSONC is accepted)
  "model": "opus",
  "permissions": {
    "allow": ["Bash(npm run test:*)", "Bash(git status)", "Read(./src/**)", "Edit(./src/**)",
              "WebFetch", "Bash(npm run test)"],
    "deny": ["Bash(git push:*)", "Read(./.env)", "Write(./secrets/**)", "Bash"],
    "ask": ["Bash(rm:*)", "Edit(./package.json)", "Read"],
  },
}
"""

WANT = {
    "extends": "code",
    "filesystem": {"denyRead": ["./.env"], "allowWrite": ["./src/**"],
                   "denyWrite": ["./secrets/**", "./package.json"]},
    "command": {"deny": ["git push", "rm"], "allow": ["npm run test", "git status"]},
}

WARNINGS = [
    'Warning: Global tool permission "WebFetch" skipped (fence uses path/command-based rules)',
    'Warning: Global tool permission "Bash" skipped (fence uses path/command-based rules)',
    'Warning: Ask rule "Bash(rm:*)" converted to deny (fence doesn\'t support interactive '
    'prompts)',
    'Warning: Ask rule "Edit(./package.json)" converted to deny (fence doesn\'t support '
    'interactive prompts)',
]


def claude(env, text=SETTINGS):
    return env.write(str(env.home / ".claude" / "settings.json"), text)


def test_preview_to_stdout(env_self):
    src = claude(env_self)
    p = env_self.fence("import", "--claude", check=0)
    assert json.loads(p.stdout) == WANT
    assert p.stdout.startswith('{\n  "extends": "code",\n')
    assert p.stderr.split("\n") == WARNINGS + [
        "",
        "",
        '# Extends "code" - inherited rules not shown',
        f"# Imported 13 rules from {src}",
        "# Use --save to write to the default config path",
        "",
    ]


def test_no_extend_and_extend(env_self):
    claude(env_self, '{"permissions": {"deny": ["Bash(sudo)"]}}')
    p = env_self.fence("import", "--claude", "--no-extend", check=0)
    assert json.loads(p.stdout) == {"command": {"deny": ["sudo"]}}
    assert "# Extends" not in p.stderr
    assert p.stderr.startswith("# Imported 1 rules from ")
    p = env_self.fence("import", "--claude", "--extend", "local-dev-server", check=0)
    assert json.loads(p.stdout)["extends"] == "local-dev-server"
    assert '# Extends "local-dev-server" - inherited rules not shown' in p.stderr
    p = env_self.fence("import", "--claude", "--extend", "nope")
    assert p.returncode == 1
    assert p.stderr == ('Error: template "nope" not found\n'
                        "Use --list-templates to see available templates\n")
    # a file path is taken as it is
    p = env_self.fence("import", "--claude", "--extend", "./team.json", check=0)
    assert json.loads(p.stdout)["extends"] == "./team.json"


def test_file_flag_and_output(env_self):
    src = env_self.write("proj/.claude/settings.json", SETTINGS)
    out = env_self.work / "new" / "dir" / "fence.json"
    p = env_self.fence("import", "--claude", "-f", str(src), "-o", str(out), check=0)
    assert p.stdout == f'Imported 13 rules from {src}\nWritten to "{out}"\n'
    assert p.stderr.split("\n")[:4] == WARNINGS
    text = out.read_text()
    header = [l for l in text.split("\n") if l.startswith("//")]
    assert len(header) == 5 and '"code"' in header[0]
    assert json.loads("\n".join(l for l in text.split("\n") if not l.startswith("//"))) == WANT
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o750
    # the imported config loads
    env_self.fence("config", "show", "-s", str(out), check=0)


def test_no_extend_file_has_no_header(env_self):
    claude(env_self, '{"permissions": {"allow": ["Write(/tmp/x)"]}}')
    p = env_self.fence("import", "--claude", "--no-extend", "-o", "f.json", check=0)
    assert (env_self.work / "f.json").read_text() == \
        '{\n  "filesystem": {\n    "allowWrite": [\n      "/tmp/x"\n    ]\n  }\n}\n'


def test_save_and_prompt(env_self):
    claude(env_self)
    dest = env_self.xdg / "fence" / "fence.json"
    p = env_self.fence("import", "--claude", "--save", check=0)
    assert p.stdout.endswith(f'Written to "{dest}"\n')
    first = dest.read_text()
    claude(env_self, '{"permissions": {"deny": ["Bash(other)"]}}')
    question = f'File "{dest}" already exists. Overwrite? [y/N] '
    p = env_self.fence("import", "--claude", "--save", input="no\n", check=0)
    assert p.stdout == question + "Aborted.\n"
    assert dest.read_text() == first
    p = env_self.fence("import", "--claude", "--save", input="y\n", check=0)
    assert p.stdout.startswith(question + "Imported 1 rules from ")
    assert "other" in dest.read_text()
    p = env_self.fence("import", "--claude", "--save", "-y", check=0)
    assert "Overwrite" not in p.stdout


def test_flag_errors(env_self):
    claude(env_self)
    cases = [
        ([], "no import source specified. Use --claude to import from Claude Code"),
        (["--claude", "--extend", "code", "--no-extend"],
         "if any flags in the group [extend no-extend] are set none of the others can be; "
         "[extend no-extend] were all set"),
        (["--claude", "--save", "-o", "x"],
         "if any flags in the group [save output] are set none of the others can be; "
         "[output save] were all set"),
        (["--claude", "stray"], 'unknown command "stray" for "fence import"'),
    ]
    for args, message in cases:
        p = env_self.fence("import", *args)
        assert p.returncode == 1, args
        assert p.stderr == f"Error: {message}\n", p.stderr
        assert p.stdout == ""


def test_source_errors(env_self):
    p = env_self.fence("import", "--claude")
    assert p.returncode == 1
    src = env_self.home / ".claude" / "settings.json"
    assert p.stderr == f"Error: failed to read Claude settings '{src}': No such file or directory\n"
    claude(env_self, '{"permissions": {"allow": "Bash(x)"}}')
    p = env_self.fence("import", "--claude")
    assert p.returncode == 1 and len(p.stderr.splitlines()) == 1
    assert p.stderr.startswith(f"Error: {src}:1:27: invalid JSON in Claude settings: ")
    claude(env_self, '{"permissions": {')
    p = env_self.fence("import", "--claude")
    assert p.returncode == 1 and len(p.stderr.splitlines()) == 1
    assert p.stderr.startswith(f"Error: {src}:1:")


def test_empty_settings(env_self):
    claude(env_self, "")
    p = env_self.fence("import", "--claude", check=0)
    assert json.loads(p.stdout) == {"extends": "code"}
    assert "# Imported 0 rules from" in p.stderr
