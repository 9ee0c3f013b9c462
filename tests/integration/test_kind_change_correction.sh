#!/usr/bin/env bash
# art. 12.6, 6b: a correction's notice goes to whoever holds the signal -
# its sender, and each member a weegploeg agenda naming the subject went
# to.  A member whose agenda copy was withdrawn (its kind changed while its
# node was away: the OM became a gemeente, which sees its own residents
# only) never got the subject, and must not get the item's new text in a
# notice either.  A member that took the agenda does.
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_uitvoerder_up om-test:om om2-test:om
kt_config politie-test; kt_start politie-test
kt_config om2-test; kt_start om2-test
kt_config om-test
for id in politie-test om2-test; do wait_until 10 link_up "$id" || fail "no link $id"; done
kt_signal_file "$T/s.json" R-2
jq '. + {items: [{kind: "fact", text: "Oude tekst (fictief)."}]}' "$T/s.json" > "$T/s2.json"
kt_delivered politie-test "$T/s2.json"
SIGNAL=$KT_ID
CASE=$(kt "$UITV" signal list --json | jq -r --arg id "$SIGNAL" '.signals[] | select(.message_id==$id) | .case_ref')
M=$(kt "$UITV" weegploeg agenda --start "$(date -d '+14 days' +%F)T10:00" --location "Zaal" \
    --duration 60 --case "$CASE" --json | jq -r .meeting_id)
received() { grep -q "agenda received .*meeting=$M" "$T/om2-test.log"; }
wait_until 20 received || fail "om2-test did not get the agenda"

# om-test is away: its copy waits, and is withdrawn when it becomes a
# gemeente.
kt "$UITV" member kind om-test gemeente | grep -q "roster version 2" || fail "kind change failed"
relay_om() { sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE recipient='om-test' AND $1"; }
WEEGPLOEG_AGENDA=6 CORRECTION_NOTICE=14 # proto/keten.proto, MessageType
[ "$(relay_om "type=$WEEGPLOEG_AGENDA AND refusal GLOB 'withdrawn:*'")" = 1 ] \
    || fail "the OM's agenda was not withdrawn from the gemeente: the check cannot fail"

printf '{"kind":"fact","text":"Nieuwe tekst NIETVOORGEMEENTE (fictief)."}' > "$T/new.json"
C=$(kt "$UITV" correction decide "$CASE" --signal "$SIGNAL" --item 0 --correct-file "$T/new.json" \
    --reason "Fictief." | grep -Eo 'c-[0-9a-f]{16}' | head -n1)
[ -n "$C" ] || fail "no correction decided"
[ "$(relay_om "type=$CORRECTION_NOTICE")" = 0 ] || fail "a correction notice was made for the gemeente"
parties=$(kt "$UITV" correction list --json | jq -c --arg c "$C" '.corrections[] | select(.correction_id==$c) | [.parties[].node] | sort')
[ "$parties" = '["om2-test","politie-test"]' ] || fail "the correction's parties are $parties"
confirmed() { [ "$(kt "$UITV" correction list --json | jq --arg c "$C" '[.corrections[] | select(.correction_id==$c)
    | .parties[] | select(.state=="confirmed")] | length')" = 2 ]; }
wait_until 20 confirmed || fail "the holders did not confirm the notice"
grep -q "correction notice applied .*correction=$C" "$T/om2-test.log" || fail "the OM holding the agenda got no notice"
pass "the notice goes to the sender and the OM that took the agenda, not to the gemeente whose copy was withdrawn"

# om-test comes back: the roster reaches it, the correction does not.
kt_start om-test
v2() { [ "$(jfield om-test .roster_version)" = 2 ]; }
wait_until 20 v2 || fail "om-test did not get roster version 2"
wait_until 20 relay_settled || fail "relay not settled"
! grep -q "correction notice" "$T/om-test.log" || fail "the gemeente took a correction notice"
forgotten=$(sqlite3 "$T/state-om-test/forget.db" "SELECT count(*) FROM forgotten" 2>/dev/null || echo 0)
[ "$forgotten" = 0 ] || fail "the gemeente's journal keeps $forgotten correction(s)"
! grep -q "NIETVOORGEMEENTE\|Test Persoon" "$T"/*.log || fail "personal data in a journal"
pass "the gemeente, back, holds nothing of the correction"
