#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian/Ubuntu packages fence needs to build, test and benchmark. Idempotent:
# packages already present are not touched. Installs with apt-get when running as root or when
# sudo works without a password; otherwise prints the exact command and exits 1.
#   scripts/deps.sh          build + test packages
#   scripts/deps.sh --build  only what building needs
set -euo pipefail

build_pkgs=(gcc clang llvm meson ninja-build pkg-config libseccomp-dev libc-ares-dev git)
test_pkgs=(libcmocka-dev python3 python3-pytest util-linux iproute2 curl openssl procps
           strace libclang-rt-14-dev hyperfine bubblewrap nodejs zsh fish make)

pkgs=("${build_pkgs[@]}")
[ "${1:-}" = "--build" ] || pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        # a package may be satisfied by a same-named command installed another way (nodejs)
        case "$p" in
            nodejs) command -v node >/dev/null 2>&1 && continue ;;
        esac
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
else
    echo "fence needs these packages; install them with:" >&2
    echo "  sudo ${cmd[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! "${sudo[@]}" "${cmd[@]}"; then
    "${sudo[@]}" apt-get update
    "${sudo[@]}" "${cmd[@]}"
fi
