#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# README "Quick start", first command: installs what is missing (apt-get when root or sudo works,
# otherwise prints the exact apt-get line and stops), builds fence into build/, and runs it on a
# real command under the built-in default policy (no network, no writes outside the defaults).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --build
if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=release >/dev/null
fi
ninja -C build >/dev/null

cmd='id; head -n 1 /etc/os-release; touch /etc/fence-was-here'
echo "==> ./build/fence -- sh -c '$cmd'"
set +e
./build/fence -- sh -c "$cmd"
status=$?
set -e
echo "==> exit status $status (the touch is refused: the default policy allows no writes there)"
