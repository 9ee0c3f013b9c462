#!/usr/bin/env bash
# What a kind change cannot take back is said, and what a node owes is
# done whatever role it ends in.  A copy offered to a node and withdrawn
# before its receipt came (the node stalled: its kind changed meanwhile)
# is not counted as delivered, but the node took it: the uitvoerder's
# journal says so, by id, for the operators to see to (docs/ROSTER.md).
# A node that drops the weegploeg's data as a casuspartij and cannot
# shred the keys at once owes them (Crash reasoning 11); becoming a
# kernpartij again before its next retention run must not leave them.
source "$(dirname "$0")/lib.sh"
# A node stopped for a few seconds keeps its connection.
KT_HEARTBEAT_TIMEOUT_MS=20000
kt_referentiekader
kt_uitvoerder_up om-test:om om2-test:om
for id in politie-test om-test om2-test; do kt_config "$id"; kt_start "$id"; done
for id in politie-test om-test om2-test; do wait_until 10 link_up "$id" || fail "no link $id"; done
kt_signal_file "$T/s.json"
kt_delivered politie-test "$T/s.json"
CASE=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
agenda() {
    kt "$UITV" weegploeg agenda --start "$(date -d "+$1 days" +%F)T10:00" --location "Zaal $1" \
        --duration 60 --case "$CASE" --json | jq -r .meeting_id
}
db() { sqlite3 "$T/state-$UITV/node.db" "$@"; }
WEEGPLOEG_AGENDA=6 # proto/keten.proto, MessageType

# om-test stalls (SIGSTOP) with the agenda on its connection; it becomes a
# gemeente, which withdraws the copy; then it reads on and takes it.
kill -STOP "${KT_PID[om-test]}"
M1=$(agenda 14)
kt "$UITV" member kind om-test gemeente | grep -q "roster version 2" || fail "kind change failed"
ID=$(db "SELECT hex(id) FROM relay WHERE recipient='om-test' AND type=$WEEGPLOEG_AGENDA")
[ "$(db "SELECT refusal FROM relay WHERE hex(id)='$ID'")" = "withdrawn: composed for the member's former kind" ] \
    || fail "the agenda was not withdrawn from om-test"
kill -CONT "${KT_PID[om-test]}"
id_lower=$(tr 'A-F' 'a-f' <<< "$ID")
noted() { grep -q "relay receipt_after_withdrawal id=$id_lower peer=om-test" "$T/$UITV.log"; }
wait_until 20 noted || fail "no journal note for the receipt after the withdrawal: $(grep -c "agenda received" "$T/om-test.log") agenda(s) received"
[ "$(db "SELECT state FROM relay WHERE hex(id)='$ID'")" = 4 ] || fail "the late receipt made the copy delivered"
[ "$(grep -c "receipt_after_withdrawal" "$T/$UITV.log")" = 1 ] || fail "the note is not written once"
pass "a receipt for a copy withdrawn after it was offered is said in the journal, not counted as a delivery"

# om2-test holds a weegploeg agenda.  Its keystore cannot be written when
# it becomes reclassering: the agendas go, their keys are owed.
have() { [ "$(kt om2-test agenda list --json | jq '.meetings | length')" = 1 ]; }
wait_until 20 have || fail "om2-test did not get the agenda"
lock_db "$T/state-om2-test/keystore.db"
kt "$UITV" member kind om2-test reclassering | grep -q "roster version 3" || fail "kind change failed"
v() { [ "$(jfield om2-test .roster_version)" = "$1" ]; }
wait_until 20 v 3 || fail "om2-test did not get roster version 3"
owed() { sqlite3 "$T/state-om2-test/node.db" "SELECT count(*) FROM retain_shred WHERE case_ref='role'"; }
failed() { grep -q "role_data_failed" "$T/om2-test.log"; }
wait_until 20 failed || fail "the shred did not fail: the check cannot fail"
unlock_db
[ "$(owed)" -ge 1 ] || fail "no key is owed: the check cannot fail"
[ "$(kt om2-test agenda list --json | jq '.meetings | length')" = 0 ] || fail "the casuspartij lists an agenda"
# A kernpartij again, before any retention run: the owed keys go.
kt "$UITV" member kind om2-test om | grep -q "roster version 4" || fail "kind change back failed"
wait_until 20 v 4 || fail "om2-test did not get roster version 4"
none_owed() { [ "$(owed)" = 0 ]; }
wait_until 10 none_owed || fail "$(owed) key(s) still owed a shred at the kernpartij"
! grep -q "Test Persoon" "$T"/*.log || fail "personal data in a journal"
pass "keys owed by a drop as a casuspartij are shredded when the node is a kernpartij again"
