#!/usr/bin/env bash
# The floors of the code (docs/ARCHITECTURE.md, "Layers") as a test: every
# quoted #include points at a header on the same floor or a lower one, the
# two roles never include each other, the client includes nothing of the
# daemon, and no header below the roles declares a role function.  (That
# SQL is prepared only in common/store.c is tests/unit/test_store.c's.)
#   check_layers.sh SOURCE_DIR [--graph]
# With --graph it prints the file-level include graph's counts instead.
set -euo pipefail
src=${1:?usage: check_layers.sh SOURCE_DIR [--graph]}
cd "$src"

# Floor of a path: a higher number may include a lower one, not the reverse.
floor_of() {
    case $1 in
        common/*) echo 0 ;;
        daemon/store/*) echo 1 ;;
        daemon/core/*) echo 2 ;;
        daemon/uitvoerder/*) echo 3 ;;
        daemon/partner/*) echo 3 ;;
        daemon/ketend.c) echo 4 ;;
        client/*) echo 4 ;;
        *) echo -1 ;;
    esac
}

# Where a quoted header lives (headers are included by bare name).
declare -A where
while IFS= read -r h; do
    where[$(basename "$h")]=$h
done < <(find common daemon client -name '*.h')

fail=0
edges=0
declare -A up
while IFS= read -r file; do
    f=$(floor_of "$file")
    while IFS= read -r inc; do
        target=${where[$inc]:-}
        [ -n "$target" ] || continue          # generated or system header
        [ "$target" != "${file%.c}.h" ] || continue
        edges=$((edges + 1))
        t=$(floor_of "$target")
        if [ "$t" -gt "$f" ]; then
            echo "layer: $file (floor $f) includes $target (floor $t)"
            up[$file]=1
            fail=1
        fi
        # The roles share a floor but not their rooms.
        case "$file:$target" in
            daemon/uitvoerder/*:daemon/partner/* | daemon/partner/*:daemon/uitvoerder/*)
                echo "layer: $file includes the other role's $target"
                fail=1 ;;
        esac
        # The client links common/ only.
        case "$file:$target" in
            client/*:daemon/*)
                echo "layer: the client's $file includes the daemon's $target"
                fail=1 ;;
        esac
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$file")
done < <(find common daemon client -name '*.[ch]' | sort)

# A role function declared below the roles would let the core call up.
if grep -nE '^[a-z_ *]*\b(uitvoerder|partner)_[a-z_]+ \(' daemon/core/*.h daemon/store/*.h common/*.h; then
    echo "layer: a header below the roles declares a role function (above)"
    fail=1
fi

if [ "${2:-}" = --graph ]; then
    echo "include edges: $edges, files with an edge up: ${#up[@]}"
fi
[ "$fail" = 0 ] && echo "layers: ok ($edges include edges, all downwards or level)"
exit "$fail"
