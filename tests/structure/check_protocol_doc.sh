#!/usr/bin/env bash
# docs/PROTOCOL.md against proto/keten.proto: every message type
# (MessageType) and every provenance log event (LogEvent) the proto
# defines is named in the doc, so that a type or an event added to the
# wire or the log is also described where readers of either look.
#   check_protocol_doc.sh SOURCE_DIR
set -euo pipefail
src=${1:?usage: check_protocol_doc.sh SOURCE_DIR}
cd "$src"

fails=0 n=0
for enum in MessageType LogEvent; do
    names=$(awk -v e="$enum" '$1 == "enum" && $2 == e { on = 1; next } on && /^}/ { on = 0 }
                              on && /^ *[A-Z][A-Z0-9_]* *=/ { print $1 }' proto/keten.proto |
        grep -v '_UNSPECIFIED$')
    [ -n "$names" ] || { echo "FAIL: no $enum values found in proto/keten.proto" >&2; exit 1; }
    for name in $names; do
        n=$((n + 1))
        grep -qF "\`$name\`" docs/PROTOCOL.md && continue
        echo "FAIL: proto/keten.proto's $enum $name is not named in docs/PROTOCOL.md" >&2
        fails=$((fails + 1))
    done
done
[ "$fails" = 0 ] || exit 1
echo "ok - docs/PROTOCOL.md names all $n message types and log events of proto/keten.proto"
