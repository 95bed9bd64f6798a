# SPDX-License-Identifier: MIT
"""`fence --linux-features` (spec §3.8, this engine's rows): the table the CLI prints (libfence's
fence_linux_features()), checked against what the kernel says when asked directly, as root and
as an unprivileged user."""
import platform
import subprocess
from pathlib import Path

from conftest import FENCE_BIN

# The Landlock ABI as the kernel reports it (landlock_create_ruleset with the VERSION flag).
LANDLOCK_ABI = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print(max(libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint(1)), 0))
"""

ROWS = ["Kernel", "User namespaces", "Network namespace", "Landlock", "Seccomp filter",
        "Seccomp log action", "Seccomp user notification", "eBPF monitor"]


def table(env):
    p = env.run([FENCE_BIN, "--linux-features"])
    assert p.returncode == 0, p.stderr
    return p.stdout


def parse(text):
    lines = text.splitlines()
    assert lines[0] == "Linux Sandbox Features:"
    assert lines[1] == ""
    header, dashes = lines[2], lines[3]
    # columns: 2-space indent, columns separated by two spaces, dashes under each header
    starts = [header.index(h) for h in ("Capability", "Required For", "Status", "Details")]
    assert starts[0] == 2
    for i, s in enumerate(starts):
        end = starts[i + 1] - 2 if i + 1 < len(starts) else len(dashes)
        assert set(dashes[s:end]) == {"-"}, dashes
    rows = {}
    for line in lines[4:]:
        if not line.strip():
            break
        cells = [line[starts[0]:starts[1]].rstrip(), line[starts[1]:starts[2]].rstrip(),
                 line[starts[2]:starts[3]].rstrip(), line[starts[3]:]]
        rows[cells[0]] = cells[1:]
    return rows, lines


def test_table_rows_match_the_kernel(env):
    rows, lines = parse(table(env))
    assert list(rows)[:len(ROWS)] == ROWS
    assert not any("ubblewrap" in r or "Socat" in r for r in rows)
    assert lines[-1] == "fence builds the sandbox itself: bubblewrap and socat are not needed."
    major, minor = platform.release().split(".")[:2]
    assert rows["Kernel"] == ["Linux sandbox baseline", "info",
                              f"{major}.{minor} (linux/{platform.machine()})"]
    abi = int(env.run(["python3", "-c", LANDLOCK_ABI]).stdout)
    if abi > 0:
        assert rows["Landlock"][1:] == ["ok", f"ABI v{abi}"]
    else:
        assert rows["Landlock"][1] == "unavailable"
    # the namespace probe really runs: compare with unshare(1) doing the same as this identity
    ns = env.run(["unshare", "-Un", "true"]).returncode == 0
    assert rows["User namespaces"][1] == ("ok" if ns else "unavailable"), rows
    assert rows["Network namespace"][1] == ("ok" if ns else "unavailable"), rows
    if env.ident.is_root:
        assert rows["eBPF monitor"][1:] == ["ok", "available as root"]
    else:
        assert rows["eBPF monitor"][1:] == ["unavailable", "needs root or CAP_BPF"]
    wsl = any(Path("/proc/sys/fs/binfmt_misc", n).exists()
              for n in ("WSLInterop", "WSLInterop-late"))
    assert ("WSL interop" in rows) == wsl
