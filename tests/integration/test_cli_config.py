# SPDX-License-Identifier: MIT
"""`fence config show` (spec §3.5) and `fence config init` (§3.4)."""
import json
import re
import stat


def chain(p):
    """The chain lines of a `config show` run: stderr must be the chain, then a blank line."""
    assert p.returncode == 0, p.stderr
    assert p.stderr.endswith("\n\n"), repr(p.stderr)
    lines = p.stderr[:-2].split("\n")
    assert lines[0] == "Active config chain:"
    return lines[1:]


def step(line):
    """(depth, label) of a chain step line "    └── label" (depth in units of 4 spaces)."""
    m = re.fullmatch(r"( *)└── (.*)", line)
    assert m, line
    assert len(m.group(1)) % 4 == 0, line
    return len(m.group(1)) // 4, m.group(2)


# ---- config show ---------------------------------------------------------------------------

def test_show_default(env_self):
    p = env_self.fence("config", "show")
    user_path = env_self.xdg / "fence" / "fence.json"
    assert chain(p) == [f"builtin default (no config loaded from {user_path})"]
    assert json.loads(p.stdout) == {}


def test_show_template(env_self):
    p = env_self.fence("config", "show", "-t", "code")
    assert chain(p) == ["builtin template: code"]
    cfg = json.loads(p.stdout)
    assert cfg["allowPty"] is True
    assert "api.openai.com" in cfg["network"]["allowedDomains"]
    assert "extends" not in cfg
    # stdout is the canonical JSON: 2-space indent, final newline
    assert p.stdout.startswith('{\n  "allowPty": true,\n')
    assert p.stdout.endswith("}\n")


def test_show_template_chain(env_self):
    p = env_self.fence("config", "show", "--template=code-strict")
    lines = chain(p)
    assert lines[0] == "builtin template: code-strict"
    assert step(lines[1])[1] == "builtin template: code"
    cfg = json.loads(p.stdout)
    assert cfg["filesystem"]["defaultDenyRead"] is True
    assert "api.openai.com" in cfg["network"]["allowedDomains"]  # inherited from code


def test_show_settings_file_chain(env_self):
    env_self.write("base/base.json", '{"network": {"allowedDomains": ["a.example.com"]}}')
    env_self.write("cfg/mine.jsonc", '// mine\n{"extends": "../base/base.json",\n'
                   ' "network": {"allowedDomains": ["b.example.com"]}}')
    p = env_self.fence("config", "show", "--settings", "cfg/mine.jsonc")
    lines = chain(p)
    assert lines[0] == f"settings file: {env_self.work / 'cfg' / 'mine.jsonc'}"
    assert step(lines[1])[1] == f"file: {env_self.work / 'base' / 'base.json'}"
    assert json.loads(p.stdout)["network"]["allowedDomains"] == ["a.example.com",
                                                                 "b.example.com"]


def test_show_project_walk(env_self):
    env_self.write("fence.jsonc", '{"extends": "git-readonly"}')
    env_self.write("fence.json", '{"allowPty": true}')  # .jsonc is tried first
    sub = env_self.work / "a" / "b"
    sub.mkdir(parents=True)
    p = env_self.fence("config", "show", cwd=sub)
    lines = chain(p)
    assert lines[0] == f"project config: {env_self.work / 'fence.jsonc'}"
    assert step(lines[1])[1] == "builtin template: git-readonly"


def test_show_user_config_and_base(env_self):
    user = env_self.write(str(env_self.xdg / "fence" / "fence.json"),
                          '{"network": {"allowedDomains": ["user.example.com"]}}')
    p = env_self.fence("config", "show")
    assert chain(p) == [f"user config: {user}"]

    env_self.write("fence.json", '{"extends": "@base", "allowPty": true}')
    p = env_self.fence("config", "show")
    lines = chain(p)
    assert lines[0] == f"project config: {env_self.work / 'fence.json'}"
    assert step(lines[1])[1] == f"@base user config: {user}"
    cfg = json.loads(p.stdout)
    assert cfg["allowPty"] is True
    assert cfg["network"]["allowedDomains"] == ["user.example.com"]


def test_show_base_without_user_config(env_self):
    env_self.write("fence.json", '{"extends": "@base"}')
    p = env_self.fence("config", "show")
    lines = chain(p)
    user_path = env_self.xdg / "fence" / "fence.json"
    assert step(lines[1])[1] == f"@base builtin default (no config loaded from {user_path})"


def test_show_errors(env_self):
    p = env_self.fence("config", "show", "-s", "x.json", "-t", "code")
    assert p.returncode == 1
    assert p.stderr == ("Error: if any flags in the group [settings template] are set none of "
                        "the others can be; [settings template] were all set\n")
    p = env_self.fence("config", "show", "extra")
    assert p.returncode == 1
    assert p.stderr == 'Error: unknown command "extra" for "fence config show"\n'
    p = env_self.fence("config", "show", "-t", "nope")
    assert p.returncode == 1
    assert p.stderr == ('Error: template "nope" not found\n'
                        "Use --list-templates to see available templates\n")
    env_self.write("fence.json", '{"devices": {"mode": "everything"}}')
    p = env_self.fence("config", "show")
    assert p.returncode == 1 and p.stdout == ""
    assert re.fullmatch(rf"Error: {re.escape(str(env_self.work / 'fence.json'))}:1:\d+: .*"
                        r'invalid devices.mode "everything" \(expected one of: auto, minimal, '
                        r'host\)\n', p.stderr), p.stderr


# ---- config init ---------------------------------------------------------------------------

def header_and_body(path):
    text = path.read_text()
    lines = text.split("\n")
    header = [l for l in lines if l.startswith("//")]
    body = "\n".join(l for l in lines if not l.startswith("//"))
    assert text.startswith("//")
    return header, body


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_init_default(env_self):
    p = env_self.fence("config", "init", check=0)
    dest = env_self.xdg / "fence" / "fence.json"
    assert p.stdout == f'Created config extending "code"\nWritten to "{dest}"\n'
    assert p.stderr == ""
    header, body = header_and_body(dest)
    assert len(header) == 5 and '"code"' in header[0]
    assert body == '{\n  "extends": "code"\n}\n'
    assert mode(dest) == 0o600
    assert mode(dest.parent) == 0o750
    # the new file is what discovery finds next
    lines = chain(env_self.fence("config", "show"))
    assert lines[0] == f"user config: {dest}"
    assert step(lines[1])[1] == "builtin template: code"


def test_init_minimal_and_template(env_self):
    out = env_self.work / "deep" / "er" / "fence.json"
    p = env_self.fence("config", "init", "--minimal", "-o", str(out), check=0)
    assert p.stdout == f'Created minimal config\nWritten to "{out}"\n'
    header, body = header_and_body(out)
    assert len(header) == 3
    assert body == "{}\n"
    assert mode(out.parent) == 0o750 and mode(out.parent.parent) == 0o750

    p = env_self.fence("config", "init", "--template", "local-dev-server", "-o", "t.json",
                       check=0)
    assert p.stdout.startswith('Created config extending "local-dev-server"\n')
    assert header_and_body(env_self.work / "t.json")[1] == \
        '{\n  "extends": "local-dev-server"\n}\n'
    # the written files load
    env_self.fence("config", "show", "-s", "t.json", check=0)
    env_self.fence("config", "show", "-s", str(out), check=0)


def test_init_unknown_template(env_self):
    p = env_self.fence("config", "init", "--template", "nope", "--print")
    assert p.returncode == 1
    assert p.stderr == ('Error: template "nope" not found\n'
                        "Use --list-templates to see available templates\n")


def test_init_print_and_scaffold(env_self):
    p = env_self.fence("config", "init", "--print", check=0)
    assert p.stdout == '{\n  "extends": "code"\n}\n'
    assert not (env_self.xdg / "fence").exists()
    p = env_self.fence("config", "init", "--print", "--scaffold", "--minimal", check=0)
    cfg = json.loads(p.stdout)
    assert cfg == {
        "network": {"allowedDomains": [], "deniedDomains": []},
        "filesystem": {"allowRead": [], "allowExecute": [], "denyRead": [], "allowWrite": [],
                       "denyWrite": []},
        "command": {"deny": [], "allow": []},
        "ssh": {"allowedHosts": [], "deniedHosts": [], "allowedCommands": [],
                "deniedCommands": []},
    }
    p = env_self.fence("config", "init", "--scaffold", "-o", "s.json", check=0)
    header, body = header_and_body(env_self.work / "s.json")
    assert json.loads(body)["extends"] == "code" and len(header) == 5
    env_self.fence("config", "show", "-s", "s.json", check=0)


def test_init_overwrite_prompt(env_self):
    dest = env_self.write("fence.json", "old\n")
    question = f'File "{dest}" already exists. Overwrite? [y/N] '
    for answer in ("n\n", "\n", "", "nope\n", "yess\n"):
        p = env_self.fence("config", "init", "-o", str(dest), input=answer, check=0)
        assert p.stdout == question + "Aborted.\n", answer
        assert dest.read_text() == "old\n"
    for answer in ("y\n", "YES\n", "  Yes  \n"):
        dest.write_text("old\n")
        p = env_self.fence("config", "init", "-o", str(dest), input=answer, check=0)
        assert p.stdout.startswith(question + 'Created config extending "code"\n'), answer
        assert "extends" in dest.read_text()
        assert mode(dest) == 0o600
    dest.write_text("old\n")
    p = env_self.fence("config", "init", "-y", "-o", str(dest), "--minimal", check=0)
    assert "Overwrite" not in p.stdout
    assert header_and_body(dest)[1] == "{}\n"


def test_init_exclusions(env_self):
    for args, group in ((["--minimal", "--template", "code"], "[minimal template]"),
                        (["--print", "-o", "x"], "[print output]"),
                        (["--print", "--force"], "[print force]")):
        p = env_self.fence("config", "init", *args)
        assert p.returncode == 1
        a, b = group[1:-1].split()
        assert p.stderr.startswith(
            f"Error: if any flags in the group [{a} {b}] are set none of the others can be; "
            f"[{min(a, b)} {max(a, b)}] were all set"), p.stderr
    p = env_self.fence("config", "init", "stray")
    assert p.returncode == 1
    assert p.stderr == 'Error: unknown command "stray" for "fence config init"\n'


def test_init_write_error(env_self):
    env_self.write("file", "x")
    p = env_self.fence("config", "init", "-o", str(env_self.work / "file" / "sub" / "f.json"))
    assert p.returncode == 1
    assert p.stderr.startswith("Error: failed to create config directory")
    assert len(p.stderr.splitlines()) == 1
