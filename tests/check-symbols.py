#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""docs/symbols.txt lists every public function of include/fence/fence.h with the version that
added it (STYLE.md §5), and libfence.so exports nothing else.
  check-symbols.py SOURCE_ROOT LIBFENCE_SO"""
import re
import subprocess
import sys
from pathlib import Path

root, lib = Path(sys.argv[1]), sys.argv[2]
header = (root / "include" / "fence" / "fence.h").read_text()
declared = set(re.findall(r"FENCE_API\s+[^;(]*?\b(fence_\w+)\s*\(", header))

listed = {}
for n, line in enumerate((root / "docs" / "symbols.txt").read_text().splitlines(), 1):
    if not line.strip() or line.startswith("#"):
        continue
    m = re.fullmatch(r"(fence_\w+)\s+(\d+\.\d+\.\d+)", line.strip())
    if not m:
        sys.exit(f"docs/symbols.txt:{n}: expected 'fence_name MAJOR.MINOR.PATCH': {line!r}")
    if m.group(1) in listed:
        sys.exit(f"docs/symbols.txt:{n}: {m.group(1)} is listed twice")
    listed[m.group(1)] = m.group(2)

status = 0
for name in sorted(declared - listed.keys()):
    print(f"{name} is declared in fence.h but missing from docs/symbols.txt", file=sys.stderr)
    status = 1
for name in sorted(listed.keys() - declared):
    print(f"{name} is in docs/symbols.txt but not declared in fence.h", file=sys.stderr)
    status = 1

nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True)
if nm.returncode != 0:
    sys.exit(f"nm {lib}: {nm.stderr.strip()}")
exported = {l.split()[-1] for l in nm.stdout.splitlines() if l.split()}
exported = {s.split("@")[0] for s in exported}
for name in sorted(exported - declared):
    if name.startswith(("_", "__")) or name in ("_init", "_fini"):
        continue
    print(f"libfence.so exports {name}, which fence.h does not declare", file=sys.stderr)
    status = 1
sys.exit(status)
