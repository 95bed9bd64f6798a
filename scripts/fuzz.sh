#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs one libFuzzer target for a while with its seed corpus.
#   scripts/fuzz.sh <target> <seconds>      e.g. scripts/fuzz.sh fuzz-config 600
# Builds build-fuzz (clang, -Dfuzz=true, ASan + UBSan) if needed. New inputs go to
# build-fuzz/corpus/<target>/ (the committed seeds in tests/fuzz/corpus/<target>/ are only read);
# crashes go to build-fuzz/artifacts/<target>/. Prints the number of executions at the end. Add
# each finding to tests/fuzz/corpus/<target>/ with the fix, so the unit suite replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${1:?usage: scripts/fuzz.sh <target> <seconds>}
seconds=${2:?usage: scripts/fuzz.sh <target> <seconds>}
seeds=tests/fuzz/corpus/$target
[ -d "$seeds" ] || { echo "fuzz.sh: no seed corpus $seeds" >&2; exit 1; }

if [ ! -f build-fuzz/build.ninja ]; then
    CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
        -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz "tests/fuzz/$target" >/dev/null

work=build-fuzz/corpus/$target
artifacts=build-fuzz/artifacts/$target
mkdir -p "$work" "$artifacts"
log=build-fuzz/$target.log

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
"build-fuzz/tests/fuzz/$target" "$work" "$seeds" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
echo "$target: ${runs:-?} executions in ${seconds}s, corpus $(ls "$work" | wc -l) inputs (log: $log)"
if [ "$status" -ne 0 ]; then
    echo "$target: FINDING (exit $status); artifacts:" >&2
    ls -1 "$artifacts" >&2
    grep -m5 -E 'ERROR|SUMMARY|invariant' "$log" >&2 || true
    exit 1
fi
