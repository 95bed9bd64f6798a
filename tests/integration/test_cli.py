# SPDX-License-Identifier: MIT
"""The root command's argument handling (spec §3.1-§3.3, §3.8): flags, their validation
messages and order, `--`, the argv quoting, exit codes and streams, --version,
--list-templates, --help and the run path."""
import re

import pytest

CANNOT_RUN = "this build cannot run commands yet"


def one_error(p, message):
    """fence failed with exactly `Error: message` (plus an optional hint line) and exit 1."""
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    assert lines[0] == "Error: " + message, p.stderr
    assert p.stdout == ""


def command_line(p):
    """The command string fence built, from its -d log line."""
    m = re.search(r"^\[fence\] Command: (.*)$", p.stderr, re.M)
    assert m, p.stderr
    return m.group(1)


def test_version(env_self):
    p = env_self.fence("--version", check=0)
    lines = p.stdout.splitlines()
    assert lines[0] == "fence - lightweight, container-free sandbox for running untrusted commands"
    assert re.fullmatch(r"  Version: \d+\.\d+\.\d+", lines[1])
    assert lines[2].startswith("  Built:   ") and len(lines[2]) > 11
    assert re.fullmatch(r"  Commit:  \S+", lines[3])
    assert len(lines) == 4 and p.stderr == ""
    assert env_self.fence("-v", check=0).stdout == p.stdout


def test_version_wins_over_everything_after_the_log_file(env_self):
    # §3.2 order: --version is answered before the command, -p or the config are looked at
    p = env_self.fence("-v", "-p", "nope", "-t", "nope", "--shell", "bad", check=0)
    assert p.stdout.startswith("fence - ")


def test_list_templates(env_self):
    p = env_self.fence("--list-templates", check=0)
    lines = p.stdout.splitlines()
    assert lines[:2] == ["Available templates:", ""]
    assert lines[-3:] == ["", "Usage: fence -t <template> <command>",
                          "Example: fence -t code -- code"]
    rows = lines[2:-3]
    names = []
    for row in rows:
        m = re.fullmatch(r"  (\S+) +(.+)", row)
        assert m, row
        name = m.group(1)
        # "  %-20s %s": the description starts at column 23 for names up to 20 characters
        if len(name) <= 20:
            assert row[23:] == m.group(2) and row[22] == " "
        names.append(name)
    assert names == sorted(names)
    for t in ("code", "code-relaxed", "code-strict", "disable-telemetry", "git-readonly",
              "local-dev-server", "hermes"):
        assert t in names
    code = next(r for r in rows if r.split()[0] == "code")
    assert "Production-ready config for AI coding agents" in code


def test_no_command(env_self):
    one_error(env_self.fence(),
              "no command specified. Use -c <command> or provide command arguments")
    one_error(env_self.fence("-d"),
              "no command specified. Use -c <command> or provide command arguments")
    one_error(env_self.fence("--"),
              "no command specified. Use -c <command> or provide command arguments")


@pytest.mark.parametrize("args,message", [
    (["--nope"], "unknown flag: --nope"),
    (["--nope=1", "true"], "unknown flag: --nope"),
    (["-x", "true"], "unknown shorthand flag: 'x' in -x"),
    (["-dx", "true"], "unknown shorthand flag: 'x' in -dx"),
    (["-s"], "flag needs an argument: 's' in -s"),
    (["--settings"], "flag needs an argument: --settings"),
    (["--template"], "flag needs an argument: --template"),
    (["-p"], "flag needs an argument: 'p' in -p"),
    (["--debug=maybe", "true"],
     'invalid argument "maybe" for "-d, --debug" flag: strconv.ParseBool: parsing "maybe": '
     'invalid syntax'),
])
def test_flag_syntax_errors(env_self, args, message):
    p = env_self.fence(*args)
    one_error(p, message)
    assert p.stderr.splitlines()[1] == "Run 'fence --help' for usage."


@pytest.mark.parametrize("spec,message", [
    ("", 'invalid --port: empty value'),
    ("  ", 'invalid --port: empty value'),
    ("abc", 'invalid --port "abc": port must be an integer (got "abc")'),
    ("0", 'invalid --port "0": port out of range 1-65535 (got 0)'),
    ("65536", 'invalid --port "65536": port out of range 1-65535 (got 65536)'),
    ("-1", 'invalid --port "-1": port out of range 1-65535 (got -1)'),
    ("localhost:80", 'invalid --port "localhost:80": bind address must be a literal IP '
                     '(got "localhost"); hostnames are not supported'),
    (":80", 'invalid --port ":80": missing bind address (use "PORT" alone for loopback)'),
    ("127.0.0.1:x", 'invalid --port "127.0.0.1:x": port must be an integer (got "x")'),
    ("127.0.0.1:70000", 'invalid --port "127.0.0.1:70000": port out of range 1-65535 '
                        '(got 70000)'),
    ("[::1]:0", 'invalid --port "[::1]:0": port out of range 1-65535 (got 0)'),
    ("[fe80::zz]:80", 'invalid --port "[fe80::zz]:80": bind address must be a literal IP '
                      '(got "fe80::zz"); hostnames are not supported'),
])
def test_port_errors(env_self, spec, message):
    one_error(env_self.fence("-p", spec, "true"), message)


@pytest.mark.parametrize("spec,shown", [
    ("8080", "127.0.0.1:8080"),
    ("0.0.0.0:3000", "0.0.0.0:3000"),
    ("[::1]:9000", "[::1]:9000"),
    ("[::]:1", "[::]:1"),
    ("192.168.1.10:65535", "192.168.1.10:65535"),
])
def test_port_accepted(env_self, spec, shown):
    p = env_self.fence("-d", "-p", spec, "--", "true")
    assert f"[fence] Exposing ports: {shown} (execution model: in-sandbox)" in p.stderr
    assert "invalid --port" not in p.stderr


def test_service_execution_model(env_self):
    one_error(env_self.fence("--service-execution-model", "docker", "true"),
              "invalid --service-execution-model \"docker\" (expected 'in-sandbox' or 'on-host')")
    p = env_self.fence("-d", "-p", "80", "--service-execution-model=ON-HOST", "true")
    assert "(execution model: on-host)" in p.stderr


def test_shell_mode(env_self):
    one_error(env_self.fence("--shell", "zsh", "true"),
              'invalid shell options: invalid shell mode "zsh" (expected "default" or "user")')


def test_validation_order(env_self):
    # §3.2: command string, then -p, then the service model, then the shell, then the config
    one_error(env_self.fence("-p", "x", "--service-execution-model", "y"),
              "no command specified. Use -c <command> or provide command arguments")
    one_error(env_self.fence("-p", "x", "--service-execution-model", "y", "true"),
              'invalid --port "x": port must be an integer (got "x")')
    one_error(env_self.fence("--service-execution-model", "y", "--shell", "z", "true"),
              "invalid --service-execution-model \"y\" (expected 'in-sandbox' or 'on-host')")
    p = env_self.fence("--shell", "z", "-t", "no-such-template", "true")
    one_error(p, 'invalid shell options: invalid shell mode "z" (expected "default" or "user")')


def test_unknown_template(env_self):
    p = env_self.fence("-t", "no-such-template", "true")
    one_error(p, 'template "no-such-template" not found')
    assert p.stderr.splitlines()[1:] == ["Use --list-templates to see available templates"]


def test_template_json_suffix_tolerated(env_self):
    p = env_self.fence("-t", "code.json", "true")
    assert "not found" not in p.stderr


def test_settings_errors(env_self):
    one_error(env_self.fence("-s", "missing.json", "true"),
              f"settings file not found: {env_self.work / 'missing.json'}")
    (env_self.work / "adir").mkdir()
    one_error(env_self.fence("--settings=adir", "true"),
              f"settings path is a directory: {env_self.work / 'adir'}")


def test_malformed_config_is_one_located_error(env_self):
    env_self.write("fence.json", '{\n  "network": {\n    "allowedDomains": ["*.com"]\n  }\n}\n')
    p = env_self.fence("true")
    assert p.returncode == 1
    assert p.stdout == ""
    assert len(p.stderr.splitlines()) == 1
    assert p.stderr.startswith(f"Error: {env_self.work / 'fence.json'}:3:")
    assert 'invalid allowed domain "*.com": wildcard pattern too broad (e.g., *.com not allowed)' \
        in p.stderr

    env_self.write("fence.json", '{"allowPty": true,,}')
    p = env_self.fence("true")
    assert p.returncode == 1 and len(p.stderr.splitlines()) == 1
    assert p.stderr.startswith(f"Error: {env_self.work / 'fence.json'}:1:")
    assert "invalid JSON" in p.stderr


def test_run_path(env_self):
    """Today: the placeholder manager refuses plainly. Once the engine lands: the command runs
    and its exit status comes back. Either way fence never pretends."""
    p = env_self.fence("--", "sh", "-c", "echo out; echo err >&2; exit 7")
    if CANNOT_RUN in p.stderr:
        assert p.returncode == 1
        assert p.stdout == ""
        assert p.stderr.startswith("Error: " + CANNOT_RUN)
        assert len(p.stderr.splitlines()) == 1
    else:
        assert p.returncode == 7, p.stderr
        assert p.stdout == "out\n"
        assert "err" in p.stderr
        # killed by a signal: 128+N
        p = env_self.fence("--", "sh", "-c", "kill -TERM $$")
        assert p.returncode == 128 + 15, p.stderr


def test_run_path_with_options(env_self):
    """Every run option reaches the manager and the command runs with them."""
    p = env_self.fence("--expose-host-path", "/usr", "--expose-host-path-rw",
                       str(env_self.work), "--shell", "default", "--shell-login",
                       "--force-new-session", "-m", "--", "sh", "-c", "exit 5")
    assert p.returncode == 5, p.stderr


def test_run_path_with_port(env_self):
    """-p reaches the manager: the run holds the port on the host while the command runs, and a
    port it cannot bind fails the run before the command starts (the relay into the sandbox is
    tested in test_network_ports.py)."""
    import socket
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    busy.close()
    p = env_self.fence("-p", str(port), "--", "sh", "-c", "exit 5")
    assert p.returncode == 5, p.stderr
    busy = socket.socket()
    busy.bind(("127.0.0.1", port))
    busy.listen(1)
    try:
        p = env_self.fence("-p", str(port), "--", "sh", "-c", "echo ran")
        assert p.returncode == 1 and p.stdout == ""
        assert p.stderr == f"Error: exposing port {port} on 127.0.0.1: Address already in use\n"
    finally:
        busy.close()


def test_debug_prints_chain_before_running(env_self):
    p = env_self.fence("-d", "-t", "code", "true")
    assert "[fence] Active config chain:" in p.stderr
    assert "[fence] builtin template: code" in p.stderr


@pytest.mark.parametrize("argv,want", [
    (["echo", "hello"], "echo hello"),
    (["echo", "a b"], "echo 'a b'"),
    (["echo", ""], "echo ''"),
    (["echo", "it's"], "echo 'it'\\''s'"),
    (["printf", "%s\\n", "x"], "printf '%s\\n' x"),
    (["echo", "$HOME"], "echo '$HOME'"),
    (["echo", "a=b", "-n", "--x=1", "~/p", "%", "@", "^", "+", ",", ".", ":"],
     "echo a=b -n --x=1 ~/p % @ ^ + , . :"),
] + [(["echo", f"a{c}b"], f"echo 'a{c}b'") for c in
     [" ", "\t", "\n", '"', "\\", "`", "!", "*", "?", "[", "]", "(", ")", "{", "}", "<", ">",
      "|", "&", ";", "#"]])
def test_argv_quoting(env_self, argv, want):
    p = env_self.fence("-d", "--", *argv)
    assert f"[fence] Command: {want}\n" in p.stderr


def test_flags_stop_at_first_positional(env_self):
    # fence claude --foo: --foo belongs to the command (§3.1)
    p = env_self.fence("-d", "mytool", "--foo", "-d", "--version")
    assert command_line(p) == "mytool --foo -d --version"
    # -- ends fence's flags
    p = env_self.fence("-d", "--", "--version")
    assert command_line(p) == "--version"
    # a lone "-" is an argument
    p = env_self.fence("-d", "-", "x")
    assert command_line(p) == "- x"


def test_c_flag(env_self):
    for form in (["-c", "echo $HOME && ls"], ["--c", "echo $HOME && ls"],
                 ["--c=echo $HOME && ls"], ["-cecho $HOME && ls"]):
        p = env_self.fence("-d", *form)
        assert command_line(p) == "echo $HOME && ls", form
    # -c wins over positional arguments
    p = env_self.fence("-d", "-c", "true", "ignored", "args")
    assert command_line(p) == "true"


def test_short_flag_clusters_and_forms(env_self):
    p = env_self.fence("-dm", "true")
    assert command_line(p) == "true"
    p = env_self.fence("-dp8080", "true")
    assert "Exposing ports: 127.0.0.1:8080" in p.stderr
    p = env_self.fence("-d", "-p=8081", "--port", "8082", "--port=8083", "true")
    assert "Exposing ports: 127.0.0.1:8081, 127.0.0.1:8082, 127.0.0.1:8083" in p.stderr
    p = env_self.fence("-d=false", "-c", "true")
    assert "[fence] Command:" not in p.stderr


def test_log_file(env_self):
    p = env_self.fence("--fence-log-file", "fence.log", "-d", "-c", "true")
    log = (env_self.work / "fence.log").read_text()
    assert "[fence] Command: true" in log
    assert "[fence] Command:" not in p.stderr
    assert (env_self.work / "fence.log").stat().st_mode & 0o777 == 0o600
    # truncated at start
    env_self.fence("--fence-log-file=fence.log", "-c", "true")
    assert "[fence] Command: true" not in (env_self.work / "fence.log").read_text()
    # opened before --version (§3.2), errors are plain
    one_error(env_self.fence("--fence-log-file", "/nonexistent/dir/x.log", "--version"),
              'failed to open fence log file "/nonexistent/dir/x.log": No such file or directory')


def test_help(env_self):
    for args in (["--help"], ["-h"], ["help"], ["-d", "--help"]):
        p = env_self.fence(*args, check=0)
        assert "Usage:" in p.stdout and "fence [flags]" in p.stdout, args
        assert "Available Commands:" in p.stdout
        for sub in ("completion", "config", "help", "import"):
            assert re.search(rf"^  {sub} +\S", p.stdout, re.M), sub
        assert "--fence-log-file PATH" in p.stdout
    for sub in (["config"], ["config", "show"], ["config", "init"], ["import"],
                ["completion"]):
        p = env_self.fence(*sub, "--help", check=0)
        assert f"fence {' '.join(sub)}" in p.stdout and "Flags:" in p.stdout
        assert env_self.fence("help", *sub, check=0).stdout == p.stdout
    assert env_self.fence("config", check=0).stdout == \
        env_self.fence("config", "--help", check=0).stdout


def test_unknown_subcommand_of_group(env_self):
    p = env_self.fence("config", "nope")
    one_error(p, 'unknown command "nope" for "fence config"')


def test_subcommand_after_root_flags_is_found_like_cobra(env_self):
    # cobra finds `config show` behind flags it knows take values
    p = env_self.fence("-t", "code", "config", "show", check=0)
    assert p.stderr.startswith("Active config chain:\nbuiltin template: code")
