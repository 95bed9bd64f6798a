#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Layering check (STYLE.md §1): a directory under src/ may include only its own headers and those
# of the layers listed below it. Quoted includes are project headers; <...> are system headers.
set -euo pipefail
root=${1:-$(dirname "$0")/..}
cd "$root/src"

allowed() {
    case "$1" in
        util)    echo "util" ;;
        config)  echo "util config" ;;
        policy)  echo "util config policy" ;;
        enforce) echo "util config policy enforce" ;;
        runtime) echo "util config policy enforce runtime" ;;
        cli)     echo "util cli" ;;
        *)       echo "" ;;
    esac
}

status=0
while IFS= read -r -d '' f; do
    layer=${f#./}
    layer=${layer%%/*}
    ok=$(allowed "$layer")
    while IFS= read -r line; do
        inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$line")
        case "$inc" in
            fence/fence.h|fence-build-config.h) continue ;;
        esac
        top=${inc%%/*}
        if [ "$top" = "$inc" ]; then
            # same-directory include without a layer prefix
            continue
        fi
        good=0
        for a in $ok; do
            [ "$top" = "$a" ] && good=1
        done
        if [ $good -eq 0 ]; then
            echo "layering: $f includes \"$inc\" (layer '$layer' may use: $ok)" >&2
            status=1
        fi
    done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" || true)
done < <(find . -name '*.[ch]' -print0)

# Only the installed header may be included by name "fence/..."; it lives in include/.
exit $status
