#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite (README "Quick start", second command; .ci/run runs exactly this).
# Installs what is missing, then builds and runs `meson test` three times with -Dwerror=true:
# gcc, clang, and clang with AddressSanitizer + UndefinedBehaviorSanitizer. Integration tests
# run each sandbox case as root and as an unprivileged user when started as root.
#   scripts/test.sh [--quick]   --quick: only the gcc build
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

run_suite() {
    local dir=$1; shift
    echo "==> $dir: $*"
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" -Dwerror=true "$@"
    else
        meson configure "$dir" -Dwerror=true "$@" >/dev/null
    fi
    ninja -C "$dir"
    meson test -C "$dir" --print-errorlogs --num-processes 2
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

CC=gcc run_suite build-test-gcc
[ "${1:-}" = "--quick" ] && exit 0
CC=clang run_suite build-test-clang
CC=clang run_suite build-test-asan -Db_sanitize=address,undefined -Db_lundef=false
echo "==> all suites passed"
