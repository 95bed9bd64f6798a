#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Layering check (STYLE.md §1): a directory under src/ may include only its own headers and those
# of the layers listed below it. Quoted includes are project headers; <...> are system headers.
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root/src"

# One awk pass over every source file (a process per include line took 20 s on a loaded machine).
status=0
find . -name '*.[ch]' -print0 | xargs -0 -r awk '
    BEGIN {
        ok["util"] = " util "
        ok["config"] = " util config "
        ok["policy"] = " util config policy "
        ok["enforce"] = " util config policy enforce "
        ok["runtime"] = " util config policy enforce runtime "
        ok["cli"] = " util cli "
        bad = 0
    }
    /^[[:space:]]*#[[:space:]]*include[[:space:]]*"/ {
        inc = $0
        sub(/^[[:space:]]*#[[:space:]]*include[[:space:]]*"/, "", inc)
        sub(/".*/, "", inc)
        if (inc == "fence/fence.h" || inc == "fence-build-config.h" || index(inc, "/") == 0)
            next
        layer = FILENAME
        sub(/^\.\//, "", layer)
        sub(/\/.*/, "", layer)
        top = inc
        sub(/\/.*/, "", top)
        if (index(ok[layer], " " top " ") == 0) {
            allowed = ok[layer]
            gsub(/^ | $/, "", allowed)
            printf "layering: %s includes \"%s\" (layer '"'"'%s'"'"' may use: %s)\n", FILENAME, inc, layer, allowed > "/dev/stderr"
            bad = 1
        }
    }
    END { exit bad }
' || status=1

# Only the installed header may be included by name "fence/..."; it lives in include/.
exit $status
