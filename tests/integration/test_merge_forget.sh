#!/usr/bin/env bash
# art. 13 and a merge of two subjects (weegploeg match --same): what was
# kept under the case_ref merged away is forgotten with the subject it
# was merged into, and a restore of a backup taken before the merge
# merges them again before it destroys again.
#
# - Y (merged into X) had a correction (its sealed change in both nodes'
#   journals), a refused request (its texts) and an open one (linked to X
#   by the merge).  When X is destroyed, none of it stays readable: the
#   journals keep no sealed change, requests.db no text, the relay no
#   sealed copy naming Y.
# - The uitvoerder restored from a backup taken before the merge: the
#   replay merges Y into X again, then destroys X, so Y's signal does not
#   come back (and Y is not destroyed on its own: it no longer exists).
source "$(dirname "$0")/lib.sh"
kt_federation
# A decision is weighed against a referentiekader (art. 7.3).
kt_kill "$UITV"
printf 'weegploeg\n    referentiekader = "%s"\n' \
    "$(cd "$(dirname "$0")/../.." && pwd)/configs/referentiekader-example.zpl" >> "$T/$UITV.cfg"
kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link"
NAME=Samenvoeg
send() {  # send LOCAL_REF JQ-FILTER: prints the signal's message id
    kt_signal_file "$T/s.json" "$1"
    sed -i "s/Test Persoon/$NAME Testpersoon/" "$T/s.json"
    jq "$2" "$T/s.json" > "$T/s2.json"
    local out
    out=$(kt politie-test signal submit --file "$T/s2.json" --wait)
    grep -q delivered <<< "$out" || fail "$1 not delivered: $out"
    echo "$out" | grep -Eo '[0-9a-f]{32}' | head -n1
}
case_of() { kt "$UITV" signal list --json | jq -r --arg id "$1" '.signals[] | select(.message_id==$id) | .case_ref'; }
S1=$(send R-1 '.')
X=$(case_of "$S1")
S2=$(send R-2 '.subject.bsn = "111222333" | . + {items: [{kind: "fact", text: "Gezien (fictief)."}]}')
Y=$(case_of "$S2")
[[ "$X" == k-* && "$Y" == k-* && "$X" != "$Y" ]] || fail "two subjects expected: $X $Y"

# Y's signal corrected: the change is sealed in the journal of both nodes.
echo "{\"kind\": \"fact\", \"text\": \"Gezien bij $NAME thuis (fictief).\"}" > "$T/new.json"
kt "$UITV" correction decide "$Y" --signal "$S2" --item 0 --correct-file "$T/new.json" \
    --request r-0001 --reason "Verzoek betrokkene (fictief)." > /dev/null || fail "no correction"
sealed_of() { sqlite3 "$T/state-$1/forget.db" "SELECT count(*) FROM forgotten WHERE kind='correct' AND sealed IS NOT NULL"; }
noted() { [ "$(sealed_of politie-test)" -ge 1 ]; }
wait_until 10 noted || fail "politie did not note the correction"
[ "$(sealed_of "$UITV")" -ge 1 ] || fail "the uitvoerder did not note the correction"
wait_until 20 relay_settled || fail "the correction's notice was not receipted"

# Two requests about Y: one refused (its texts name the person), one open.
today=$(TZ=Europe/Amsterdam date +%F)
open_request() {
    kt "$UITV" request open --kind inzage --received "$today" --from betrokkene \
        --identity-by "Baliemedewerker Test" --identity-how "$1" --json | jq -r .request_id
}
R=$(open_request "paspoort van $NAME ingezien")
kt "$UITV" request link "$R" "$Y" > /dev/null || fail "R not linked"
kt politie-test request decide "$R" --refuse 41-1-d --motivation "Onderzoek naar $NAME (fictief)." \
    | grep -q " delivered$" || fail "the refusal was not delivered"
mkdir "$T/out"
kt "$UITV" request answer "$R" --out "$T/out" > /dev/null || fail "R not answered"
R2=$(open_request "rijbewijs ingezien")
kt "$UITV" request link "$R2" "$Y" > /dev/null || fail "R2 not linked"
kt "$UITV" backup "$T/bk" > /dev/null || fail "no backup"

kt "$UITV" weegploeg match "$X" "$Y" --same | grep -q merged || fail "the merge failed"
[ "$(kt "$UITV" request show "$R2" --json | jq -r .request.case_ref)" = "$X" ] \
    || fail "the open request did not follow its subject into $X"
[ "$(kt "$UITV" request show "$R" --json | jq -r .request.case_ref)" = "$Y" ] \
    || fail "the answered request no longer says what it was answered about"
[ "$(sqlite3 "$T/state-$UITV/forget.db" "SELECT count(*) FROM forgotten WHERE kind='merge' AND case_ref='$X'")" = 1 ] \
    || fail "the merge is not in the journal"
pass "Y merged into X: its open request follows it, the merge is in the journal"

# X is decided niet agenderen, and destroyed 183 + 1 days later.
kt "$UITV" weegploeg agenda --start 2026-12-14T10:00 --location Stadhuis --case "$X" > /dev/null
kt "$UITV" weegploeg decide "$X" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." \
    > /dev/null || fail "no decision on X"
wait_until 20 relay_settled || fail "the agenda and decision were not receipted"
kt_restart_all_at +184d "$UITV" politie-test
wait_until 20 link_up politie-test || fail "no link after the move"
destroyed() { [ "$(kt "$UITV" log show --case "$X" --json | jq '[.events[] | select(.event=="DESTROYED")] | length')" = 1 ]; }
wait_until 20 destroyed || fail "X not destroyed after 184 days"
forgotten_at() { [ "$(sealed_of "$1")" = 0 ]; }
wait_until 20 forgotten_at politie-test || fail "politie's journal keeps the correction of Y's signal"
forgotten_at "$UITV" || fail "the uitvoerder's journal keeps the correction noted under $Y"
[ -z "$(grep -laF "$NAME" "$T/state-$UITV"/requests.db*)" ] || fail "requests.db keeps Y's requests' texts"
[ "$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE instr(case_refs, '$Y') > 0 AND length(header) > 0")" = 0 ] \
    || fail "a sealed copy naming $Y stayed in the relay"
kt "$UITV" request show "$R2" --json | jq -e '.request.identity_how | test("destroyed")' > /dev/null \
    || fail "the open request kept its text"
pass "X destroyed: nothing kept of Y is readable (journals, requests, relay)"

# ---- a restore of the backup taken before the merge ---------------------------
kt_kill "$UITV"
out=$("$KETEN" -c "$T/$UITV.cfg" restore "$T/bk") || fail "restore failed: $out"
grep -q "merges again the 1 pair(s) of subjects merged" <<< "$out" || fail "restore said: $out"
KETEN_WRAP="$(kt_clock_wrap +184d)" kt_start "$UITV"
grep -q "restore redo seq=[0-9]* kind=merge case_ref=$X" "$T/$UITV.log" || fail "the merge was not redone"
if kt "$UITV" weegploeg subject "$Y" > /dev/null 2>&1; then fail "$Y came back with the restore"; fi
[ "$(kt "$UITV" log show --case "$Y" --json | jq '[.events[] | select(.event=="DESTROYED")] | length')" = 0 ] \
    || fail "$Y was destroyed on its own: the merge was not redone first"
for f in "$T/state-$UITV"/*.db; do
    [ -z "$(grep -laF "$NAME" "$f"*)" ] || fail "$(basename "$f") holds the name after the restore"
done
pass "restored from before the merge: merged again, then destroyed again; the name is in no file"
