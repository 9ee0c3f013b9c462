#!/usr/bin/env bash
# docs/API.md's "Who may do what" table against the command tables of the
# code (daemon/core/node.c, daemon/uitvoerder/uitvoerder.c,
# daemon/partner/partner.c): every command a node serves (a row with a
# handler) has a table row, and the right the code names is the first
# right that row names.  A command added without saying who may run it,
# or a right changed in one place only, fails here.
#   check_rights_doc.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: check_rights_doc.sh SOURCE_DIR}
cd "$src"

doc=$(awk '/^## Who may do what/ { on = 1; next } /^## / { on = 0 } on' docs/API.md)
[ -n "$doc" ] || { echo "FAIL: docs/API.md has no \"Who may do what\" section" >&2; exit 1; }

fails=0 n=0
for f in daemon/core/node.c daemon/uitvoerder/uitvoerder.c daemon/partner/partner.c; do
    rows=$(awk '/static const node_command_t s_commands\[\]/ { on = 1 } on { print } on && /^};/ { on = 0 }' "$f" |
        tr '\n' ' ' | grep -oE '\{"[a-z.*_-]+", *NODE_RIGHT_[A-Z]+, *[a-z_]+' |
        sed -E 's/^\{"([^"]+)", *NODE_RIGHT_([A-Z]+), *([a-z_]+)$/\1 \2 \3/')
    [ -n "$rows" ] || { echo "FAIL: no command rows found in $f" >&2; exit 1; }
    while read -r name right handler; do
        [ "$handler" = NULL ] && continue
        case $name in *'.*') continue ;; esac   # a prefix row answers what no row names
        n=$((n + 1))
        line=$(printf '%s\n' "$doc" | grep -F "| \`$name\` |" || true)
        if [ -z "$line" ]; then
            echo "FAIL: $f serves $name, which docs/API.md's table does not list" >&2
            fails=$((fails + 1)); continue
        fi
        want=$(echo "$right" | tr 'A-Z' 'a-z')
        got=$(printf '%s\n' "$line" | head -n1 | awk -F'|' '{ print $3 }' | sed -E 's/^ +//; s/[ ,].*$//')
        case $name in   # these check submit or representative themselves
            signal.withdraw | signal.correct) [ "$want" = none ] && want=submit ;;
        esac
        if [ "$got" != "$want" ]; then
            echo "FAIL: $name needs $want in $f, docs/API.md says $got" >&2
            fails=$((fails + 1))
        fi
    done <<< "$rows"
done
[ "$fails" = 0 ] || exit 1
echo "ok - docs/API.md names the right of each of the $n served command rows"
