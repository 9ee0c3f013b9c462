#!/usr/bin/env bash
# Subject matching at the uitvoerder: the same BSN, or the same name and
# birth date without BSN, is one subject; a possible match that is not
# certain (same name and birth date, BSN different or known for only one)
# is shown to the uitvoerder for a decision and never merged silently.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
send() {  # send LOCAL_REF JQ-FILTER
    kt_signal_file "$T/s.json" "$1"
    jq "$2" "$T/s.json" > "$T/s2.json"
    kt politie-test signal submit --file "$T/s2.json" --wait | grep -q delivered || fail "$1 not delivered"
}
case_of() { kt "$UITV" signal list --json | jq -r '.signals[0].case_ref'; }
open_matches() { kt "$UITV" weegploeg matches --json | jq '.matches | length'; }

send S-1 '.'
X=$(case_of)
send S-2 '.subject.bsn = "111222333"'
Y=$(case_of)
[ "$X" != "$Y" ] || fail "a subject with a BSN was merged silently with one without"
[ "$(open_matches)" = 1 ] || fail "the uncertain match was not recorded"
kt "$UITV" weegploeg matches | grep -q "only the other has a BSN\|different or no BSN" || fail "no reason shown"
send S-3 '.'
[ "$(case_of)" = "$X" ] || fail "same name and birth date without BSN did not join $X"
send S-4 '.subject.name = "Iemand Anders"'
[ "$(open_matches)" = 1 ] || fail "a different person was offered as a match"
pass "certain matches join, the uncertain one waits for the uitvoerder"

# Looking at a subject is recorded before anything is shown.
kt "$UITV" weegploeg subject "$Y" | grep -q "Test Persoon" || fail "subject not shown"
[ "$(kt "$UITV" audit access --json | jq -r --arg y "$Y" '[.access[] | select(.case_ref==$y and .what=="weegploeg.subject")] | length')" = 1 ] \
    || fail "the read was not recorded"
pass "weegploeg subject records the read (access table and provenance log)"

kt "$UITV" weegploeg match "$X" "$Y" --different | grep -q "different persons" || fail "--different"
[ "$(open_matches)" = 0 ] || fail "decided match still open"
if kt "$UITV" weegploeg match "$X" "$Y" --same 2>/dev/null; then fail "a closed pair was merged"; fi
pass "different persons stay apart; a decided pair cannot be merged later"

# A third record with another BSN: candidates X and Y.
send S-5 '.subject.bsn = "123456782"'
Z=$(case_of)
[ "$(open_matches)" = 2 ] || fail "expected two candidates for $Z, got $(open_matches)"
kt "$UITV" weegploeg agenda --start 2026-12-01T10:00 --location Zaal --case "$Z" > /dev/null
if out=$(kt "$UITV" weegploeg match "$Y" "$Z" --same 2>&1); then fail "merged away a subject on an agenda"; fi
grep -q "on an agenda" <<< "$out" || fail "refusal unclear: $out"
kt "$UITV" weegploeg match "$Z" "$Y" --same | grep -q merged || fail "merge failed"
[ "$(kt "$UITV" signal list --json | jq --arg z "$Z" '[.signals[] | select(.case_ref==$z)] | length')" = 2 ] \
    || fail "$Y's signal did not move to $Z"
if kt "$UITV" weegploeg subject "$Y" 2>/dev/null; then fail "$Y still exists"; fi
kt "$UITV" weegploeg subject "$Z" | grep -q "111222333" || fail "$Y's signal does not decrypt under $Z"
[ "$(open_matches)" = 1 ] || fail "the X-Z pair should remain open (X-Y moot or closed)"
kt "$UITV" weegploeg match "$X" "$Z" --different > /dev/null
[ "$(open_matches)" = 0 ] || fail "matches left open"
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "a merge moves the signals, re-sealed, and is refused for a subject already shared"
