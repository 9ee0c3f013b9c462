#!/usr/bin/env bash
# art. 13 and merges of subjects (weegploeg match --same): what was kept
# under a case_ref merged away is forgotten with the subject it was merged
# into, at any depth, and a restore of a backup taken before the merges
# merges again before it destroys again.
#
# - Y is merged into X, then X into Z.  Y had a correction (its sealed
#   change in both nodes' journals), a refused request (its texts) and an
#   open one (which follows it to X, then to Z).
# - A start notes merges the journal lacks (made by an earlier version of
#   keten), chains included.
# - When Z is destroyed, none of Y's is readable: the journals keep no
#   sealed change, requests.db no text.
# - The uitvoerder restored from a backup taken before the merges: the
#   replay merges again, then destroys Z, so Y's signal does not come
#   back (and Y is not destroyed on its own: it no longer exists).
source "$(dirname "$0")/lib.sh"
# The uitvoerder is restored from a backup, so its log goes back: a
# witness that saw a checkpoint past the backup raises the alarm, as it
# must (whether it saw one depends on timing); lib.sh fails on any other.
KT_LOG_ALARM_OK=1
# A decision is weighed against a referentiekader (art. 7.3).
kt_referentiekader
kt_federation
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
S1=$(send R-1 '.')
X=$(kt_case_of "$S1")
S2=$(send R-2 '.subject.bsn = "111222333" | . + {items: [{kind: "fact", text: "Gezien (fictief)."}]}')
Y=$(kt_case_of "$S2")
S3=$(send R-3 '.subject.bsn = "123456782"')
Z=$(kt_case_of "$S3")
[[ "$X" == k-* && "$Y" == k-* && "$Z" == k-* && "$X" != "$Y" && "$Y" != "$Z" && "$X" != "$Z" ]] \
    || fail "three subjects expected: $X $Y $Z"

# Y's signal corrected: the change is sealed in the journal of both nodes.
echo "{\"kind\": \"fact\", \"text\": \"Gezien bij $NAME thuis (fictief).\"}" > "$T/new.json"
kt "$UITV" correction decide "$Y" --signal "$S2" --item 0 --correct-file "$T/new.json" \
    --reason "Verzoek betrokkene (fictief)." > /dev/null || fail "no correction"
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

kt "$UITV" weegploeg match "$X" "$Y" --same | grep -q merged || fail "the merge of Y failed"
[ "$(kt "$UITV" request show "$R2" --json | jq -r .request.case_ref)" = "$X" ] \
    || fail "the open request did not follow its subject into $X"
kt "$UITV" weegploeg match "$Z" "$X" --same | grep -q merged || fail "the merge of X failed"
[ "$(kt "$UITV" request show "$R2" --json | jq -r .request.case_ref)" = "$Z" ] \
    || fail "the open request did not follow its subject into $Z"
[ "$(kt "$UITV" request show "$R" --json | jq -r .request.case_ref)" = "$Y" ] \
    || fail "the answered request no longer says what it was answered about"
merges() { sqlite3 "$T/state-$UITV/forget.db" "SELECT case_ref || '<' || json_extract(detail, '$.gone') FROM forgotten WHERE kind='merge' ORDER BY 1"; }
expected=$(printf '%s\n' "$X<$Y" "$Z<$X" | sort)
[ "$(merges)" = "$expected" ] || fail "the merges are not in the journal: $(merges)"
[ "$(kt "$UITV" log show --case "$Y" --json | jq '[.events[] | select(.what=="subjects merged")] | length')" = 1 ] \
    || fail "the merge of Y is not logged once"
# A journal without them (an earlier version of keten): the start notes both.
kt_kill "$UITV"
sqlite3 "$T/state-$UITV/forget.db" "DELETE FROM forgotten WHERE kind='merge'"
kt_start "$UITV"
[ "$(merges)" = "$expected" ] || fail "the start did not note the merges the journal lacked: $(merges)"
wait_until 10 link_up politie-test || fail "no link after the restart"
pass "Y merged into X, X into Z: the open request follows, each merge in the journal and the log, a start notes those missing"

# Z is decided niet agenderen, and destroyed 183 + 1 days later.
kt "$UITV" weegploeg agenda --start 2026-12-14T10:00 --location Stadhuis --case "$Z" > /dev/null
kt "$UITV" weegploeg decide "$Z" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." \
    > /dev/null || fail "no decision on Z"
wait_until 20 relay_settled || fail "the agenda and decision were not receipted"
kt_restart_all_at +184d "$UITV" politie-test
wait_until 20 link_up politie-test || fail "no link after the move"
destroyed() { [ "$(kt "$UITV" log show --case "$Z" --json | jq '[.events[] | select(.event=="DESTROYED")] | length')" = 1 ]; }
wait_until 20 destroyed || fail "Z not destroyed after 184 days"
forgotten_at() { [ "$(sealed_of "$1")" = 0 ]; }
wait_until 20 forgotten_at politie-test || fail "politie's journal keeps the correction of Y's signal"
forgotten_at "$UITV" || fail "the uitvoerder's journal keeps the correction noted under $Y"
[ -z "$(grep -laF "$NAME" "$T/state-$UITV"/requests.db*)" ] || fail "requests.db keeps Y's requests' texts"
kt "$UITV" request show "$R2" --json | jq -e '.request.identity_how | test("destroyed")' > /dev/null \
    || fail "the open request kept its text"
pass "Z destroyed: nothing kept of Y is readable (journals, requests)"

# ---- a restore of the backup taken before the merge ---------------------------
kt_kill "$UITV"
out=$("$KETEN" -c "$T/$UITV.cfg" restore "$T/bk") || fail "restore failed: $out"
grep -q "merges again the 2 pair(s) of subjects merged" <<< "$out" || fail "restore said: $out"
KETEN_WRAP="$(kt_clock_wrap +184d)" kt_start "$UITV"
for k in "$X" "$Z"; do
    grep -q "restore redo seq=[0-9]* kind=merge case_ref=$k" "$T/$UITV.log" || fail "the merge into $k was not redone"
done
for g in "$X" "$Y"; do
    if kt "$UITV" weegploeg subject "$g" > /dev/null 2>&1; then fail "$g came back with the restore"; fi
done
for g in "$X" "$Y"; do
    [ "$(kt "$UITV" log show --case "$g" --json | jq '[.events[] | select(.event=="DESTROYED")] | length')" = 0 ] \
        || fail "$g was destroyed on its own: the merge was not redone first"
    [ "$(kt "$UITV" log show --case "$g" --json | jq '[.events[] | select(.what=="subjects merged (restore)")] | length')" -ge 1 ] \
        || fail "the restored log does not say $g was merged again"
done
for f in "$T/state-$UITV"/*.db; do
    [ -z "$(grep -laF "$NAME" "$f"*)" ] || fail "$(basename "$f") holds the name after the restore"
done
pass "restored from before the merges: merged again, then destroyed again; the name is in no file"
