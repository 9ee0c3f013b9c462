#!/usr/bin/env bash
# AVG art. 30, convenant art. 4: keten register prints the federation's
# entry in the verwerkingsregister from keten's own tables - the roster in
# force (members, retention), the legal-basis table, the policy table per
# message type, the access groups - so it cannot drift from the code.
source "$(dirname "$0")/lib.sh"
PROTO="$(cd "$(dirname "$0")/../.." && pwd)/proto/keten.proto"
SPECS=(politie-test:politie om-test:om gemeente-maastricht:gemeente rvdk-test:rvdk
       reclassering-test:reclassering nctv-test:extern)
kt_keys "$UITV" uitvoerder
ids=("$UITV")
for spec in "${SPECS[@]}"; do kt_keys "${spec%%:*}" "${spec##*:}"; ids+=("${spec%%:*}"); done
kt_roster 1 "$T/roster.txt" "${ids[@]}"
PORT=
kt_config "$UITV"
kt_start "$UITV"

kt "$UITV" register --format json > "$T/reg.json"
kt "$UITV" register > "$T/reg.txt"
kt "$UITV" register --format markdown > "$T/reg.md"
jq -e . "$T/reg.json" > /dev/null || fail "not JSON"
head -n1 "$T/reg.md" | grep -q "^# Verwerkingsregister (AVG art. 30): $FED" || fail "markdown heading"

# Retention: the roster's own numbers.
for key in not-agendered-days archive-days destroy-days; do
    want=$(grep -E "^ +$key = " "$T/roster.txt" | awk '{print $3}')
    got=$(jq -r --arg k "${key//-/_}" '.retention[$k]' "$T/reg.json")
    [ -n "$want" ] && [ "$want" = "$got" ] || fail "$key: roster $want, register $got"
    grep -q "$want days" "$T/reg.txt" || fail "$key ($want days) not in the text"
done
pass "the retention periods are the roster's"

# Every member kind of the roster, every member; the kernpartijen are the controllers.
for spec in "$UITV:uitvoerder" "${SPECS[@]}"; do
    id=${spec%%:*} kind=${spec##*:}
    jq -e --arg i "$id" --arg k "$kind" '[.members[] | select(.id==$i and .kind==$k)] | length == 1' \
        "$T/reg.json" > /dev/null || fail "member $id ($kind) missing"
    grep -q "^  $id: .*, $kind (" "$T/reg.txt" || fail "member kind $kind not in the text"
done
[ "$(jq -r '[.controller.kernpartijen[].id] | sort | join(",")' "$T/reg.json")" = \
    "gemeente-maastricht,om-test,politie-test" ] || fail "controllers are not the kernpartijen"
[ "$(jq -r .controller.keeper.id "$T/reg.json")" = "$UITV" ] || fail "the uitvoerder is not the keeper"
pass "every member kind and member of the roster; the kernpartijen jointly, the uitvoerder as keeper"

# Every message type of proto's MessageType enum, with its recipients.
types=$(sed -n '/^enum MessageType {/,/^}/p' "$PROTO" | grep -Eo '^ +[A-Z_]+ = [0-9]+' | awk '{print $1}' \
    | grep -v UNSPECIFIED)
[ "$(echo "$types" | wc -l)" -ge 21 ] || fail "the check cannot fail: read $(echo "$types" | wc -l) types"
for t in $types; do
    jq -e --arg t "$t" '[.message_types[] | select(.type==$t) | .recipients[] | select(.to != "" and (.from | length) > 0)] | length >= 1' \
        "$T/reg.json" > /dev/null || fail "$t has no recipients in the register"
    grep -q "^  $t: from .* to " "$T/reg.txt" || fail "$t not in the text"
    grep -qF -- "- **${t//_/\\_}**: from " "$T/reg.md" || fail "$t not in the markdown"
done
[ "$(jq '.message_types | length' "$T/reg.json")" = "$(echo "$types" | wc -l)" ] \
    || fail "the register lists types proto does not have"
pass "every message type of proto has its senders and recipients from the policy table"

# Legal bases from common/intake_rules.c, the security measures, the access groups.
for code in avg-6-1-e wpg-16 wpg-18-2 wpg-20 wjsg-39f; do
    jq -e --arg c "$code" '[.legal_bases[] | select(.code==$c)] | length == 1' "$T/reg.json" > /dev/null \
        || fail "legal basis $code missing"
done
[ "$(jq -r '.legal_bases[] | select(.code=="wpg-18-2") | .shared_for | join(",")' "$T/reg.json")" = weegploeg ] \
    || fail "wpg-18-2 is shared for more than the weegploeg"
for w in CURVE XChaCha20-Poly1305 X25519 Ed25519 "provenance log"; do
    grep -q "$w" "$T/reg.txt" || fail "security measure $w not named"
done
jq -e --arg g "$KT_GROUP" '[.access[] | select(.command=="report.figures" and .setting=="access/audit-group" and .group==$g)] | length == 1' \
    "$T/reg.json" > /dev/null || fail "report.figures' access group not listed"
# The core's commands too: a backup copies every file of the node.
for cmd in node.backup audit.access audit.grants; do
    jq -e --arg c "$cmd" '[.access[] | select(.command==$c)] | length == 1' "$T/reg.json" > /dev/null \
        || fail "$cmd is not in the register's access list"
done
[ "$(jq '.purposes | length' "$T/reg.json")" -ge 3 ] || fail "no purposes"
pass "legal bases, security measures and the access group of each command are listed"
