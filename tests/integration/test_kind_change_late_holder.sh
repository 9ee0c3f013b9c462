#!/usr/bin/env bash
# art. 12.6, 6b, 8.4: a correction reaches every node that holds the
# signal, and tells it only what it may see now.
#  - om-test stalls (SIGSTOP) with a weegploeg agenda on its connection,
#    becomes a gemeente (its copy is withdrawn), then reads on and takes
#    the copy all the same (`relay receipt_after_withdrawal`).  It holds
#    the item, so a block decided later must reach it.
#  - om2-test took the agenda as an OM and then became a gemeente of
#    another municipality: it may no longer see the subject (its
#    residents only), so a correction tells it to delete, never the
#    item's new text.
# Both, as gemeenten elsewhere, get the notice as a deletion without an
# item; the sender (politie, which sees every subject) gets the new text.
source "$(dirname "$0")/lib.sh"
# A node stopped for a few seconds keeps its connection.
KT_HEARTBEAT_TIMEOUT_MS=20000
kt_referentiekader
kt_uitvoerder_up om-test:om om2-test:om
for id in politie-test om-test om2-test; do kt_config "$id"; kt_start "$id"; done
for id in politie-test om-test om2-test; do wait_until 10 link_up "$id" || fail "no link $id"; done
kt_signal_file "$T/s.json"
jq '. + {items: [{kind: "fact", text: "Eerste OUDETEKSTNUL (fictief)."},
                 {kind: "fact", text: "Tweede OUDETEKSTEEN (fictief)."}]}' "$T/s.json" > "$T/s2.json"
kt_delivered politie-test "$T/s2.json"
SIGNAL=$KT_ID
CASE=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
db() { sqlite3 "$T/state-$UITV/node.db" "$@"; }
shows() { kt "$1" agenda show "$M" --json | grep -qF "$2"; }
WEEGPLOEG_AGENDA=6 CORRECTION_NOTICE=14 # proto/keten.proto, MessageType

kill -STOP "${KT_PID[om-test]}"
M=$(kt "$UITV" weegploeg agenda --start "$(date -d '+14 days' +%F)T10:00" --location "Zaal" \
    --duration 60 --case "$CASE" --json | jq -r .meeting_id)
got() { grep -q "agenda received .*meeting=$M" "$T/$1.log"; }
wait_until 20 got om2-test || fail "om2-test did not get the agenda"
kt "$UITV" member kind om-test gemeente | grep -q "roster version 2" || fail "kind change failed"
ID=$(db "SELECT hex(id) FROM relay WHERE recipient='om-test' AND type=$WEEGPLOEG_AGENDA")
[ "$(db "SELECT refusal FROM relay WHERE hex(id)='$ID'")" = "withdrawn: composed for the member's former kind" ] \
    || fail "the agenda was not withdrawn from om-test: the check cannot fail"
kill -CONT "${KT_PID[om-test]}"
noted() { grep -q "relay receipt_after_withdrawal id=$(tr 'A-F' 'a-f' <<< "$ID") peer=om-test" "$T/$UITV.log"; }
wait_until 20 noted || fail "om-test did not take the withdrawn copy: the check cannot fail"
v() { [ "$(jfield "$1" .roster_version)" = "$2" ]; }
wait_until 20 v om-test 2 || fail "om-test did not get roster version 2"
shows om-test OUDETEKSTNUL || fail "om-test does not hold the item: the check cannot fail"
[ "$(db "SELECT state FROM relay WHERE hex(id)='$ID'")" = 4 ] || fail "the late receipt made the copy delivered"

kt "$UITV" member kind om2-test gemeente | grep -q "roster version 3" || fail "kind change failed"
wait_until 20 v om2-test 3 || fail "om2-test did not get roster version 3"
shows om2-test OUDETEKSTEEN || fail "om2-test does not hold the item: the check cannot fail"

decide() {
    kt "$UITV" correction decide "$CASE" --signal "$SIGNAL" "$@" --reason "Fictief." \
        | grep -Eo 'c-[0-9a-f]{16}' | head -n1
}
confirmed() { [ "$(kt "$UITV" correction list --json | jq --arg c "$1" '[.corrections[] | select(.correction_id==$c)
    | .parties[] | select(.state=="confirmed")] | length')" = "$2" ]; }
parties() { kt "$UITV" correction list --json | jq -c --arg c "$1" '.corrections[] | select(.correction_id==$c) | [.parties[].node] | sort'; }

# A block: om-test, which took the withdrawn copy, is a holder.
C1=$(decide --item 0 --block)
[ -n "$C1" ] || fail "no correction decided"
[ "$(parties "$C1")" = '["om-test","om2-test","politie-test"]' ] \
    || fail "the block's parties are $(parties "$C1"): om-test holds the item and gets no notice"
wait_until 20 confirmed "$C1" 3 || fail "the holders did not confirm the block"
! shows om-test OUDETEKSTNUL || fail "om-test still shows the blocked item"
pass "a node that took a copy withdrawn from it is told of a block decided later"

# A new text: for the sender, not for the gemeenten elsewhere.
printf '{"kind":"fact","text":"Nieuwe NIEUWETEKST (fictief)."}' > "$T/new.json"
C2=$(decide --item 1 --correct-file "$T/new.json")
[ -n "$C2" ] || fail "no correction decided"
wait_until 20 confirmed "$C2" 3 || fail "the holders did not confirm the correction"
shows politie-test NIEUWETEKST || fail "the sender's agenda lacks the new text: the check cannot fail"
for id in om-test om2-test; do
    ! shows "$id" NIEUWETEKST || fail "$id, a gemeente the subject does not live in, got the new text"
    ! shows "$id" OUDETEKSTEEN || fail "$id keeps the old text"
done
[ "$(db "SELECT count(*) FROM relay WHERE type=$CORRECTION_NOTICE AND recipient IN ('om-test','om2-test')")" = 4 ] \
    || fail "not every notice to the gemeenten was kept"
! grep -q "NIEUWETEKST\|OUDETEKST\|Test Persoon" "$T"/*.log || fail "personal data in a journal"
pass "a holder that may not see the subject any more gets a correction as a deletion, without the new text"
