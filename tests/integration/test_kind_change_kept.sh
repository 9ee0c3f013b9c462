#!/usr/bin/env bash
# What a node owes after a kind change is done whatever role it ends in.
# A node that drops the weegploeg's data as a casuspartij and cannot
# shred the keys at once owes them (Crash reasoning 11); becoming a
# kernpartij again before its next retention run must not leave them.
source "$(dirname "$0")/lib.sh"
RK="$(cd "$(dirname "$0")/../.." && pwd)/configs/referentiekader-example.zpl"
kt_uitvoerder_up om-test:om om2-test:om
kt_kill "$UITV"
printf 'weegploeg\n    referentiekader = "%s"\n' "$RK" >> "$T/$UITV.cfg"
kt_start "$UITV"
for id in politie-test om-test om2-test; do
    kt_config "$id"
    kt_start "$id"
done
for id in politie-test om-test om2-test; do wait_until 10 link_up "$id" || fail "no link $id"; done
kt_signal_file "$T/s.json"
kt_delivered politie-test "$T/s.json"
CASE=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
agenda() {
    kt "$UITV" weegploeg agenda --start "$(date -d "+$1 days" +%F)T10:00" --location "Zaal $1" \
        --duration 60 --case "$CASE" --json | jq -r .meeting_id
}
agenda 14 > /dev/null

# om2-test holds a weegploeg agenda.  Its keystore cannot be written when
# it becomes reclassering: the agendas go, their keys are owed.
have() { [ "$(kt om2-test agenda list --json | jq '.meetings | length')" = 1 ]; }
wait_until 20 have || fail "om2-test did not get the agenda"
lock_db "$T/state-om2-test/keystore.db"
kt "$UITV" member kind om2-test reclassering | grep -q "roster version 2" || fail "kind change failed"
v() { [ "$(jfield om2-test .roster_version)" = "$1" ]; }
wait_until 20 v 2 || fail "om2-test did not get roster version 2"
owed() { sqlite3 "$T/state-om2-test/node.db" "SELECT count(*) FROM retain_shred WHERE case_ref='role'"; }
failed() { grep -q "role_data_failed" "$T/om2-test.log"; }
wait_until 20 failed || fail "the shred did not fail: the check cannot fail"
unlock_db
[ "$(owed)" -ge 1 ] || fail "no key is owed: the check cannot fail"
[ "$(kt om2-test agenda list --json | jq '.meetings | length')" = 0 ] || fail "the casuspartij lists an agenda"
# A kernpartij again, before any retention run: the owed keys go.
kt "$UITV" member kind om2-test om | grep -q "roster version 3" || fail "kind change back failed"
wait_until 20 v 3 || fail "om2-test did not get roster version 3"
none_owed() { [ "$(owed)" = 0 ]; }
wait_until 10 none_owed || fail "$(owed) key(s) still owed a shred at the kernpartij"
! grep -q "Test Persoon" "$T"/*.log || fail "personal data in a journal"
pass "keys owed by a drop as a casuspartij are shredded when the node is a kernpartij again"
