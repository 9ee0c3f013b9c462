#!/usr/bin/env bash
# art. 8.4, 6b: a copy still held when `keten member kind` runs (its
# MESSAGE_SENT owed: the provenance log could not be written) is judged
# against the member as the new roster has it, like one that waits.  The
# kind change writes the owed entries, which releases the held copies; the
# roster push that follows offers what waits to each member online, before
# the new version applies at the uitvoerder.  A copy released so must not
# be judged against the roster still in force: the OM's agenda would reach
# a member that is a gemeente from now on (its residents only), and a
# weegploeg agenda one that is reclassering (a casuspartij) - both online,
# each storing it against the roster it still holds.
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_uitvoerder_up om-test:om om2-test:om
kt_config politie-test; kt_start politie-test
kt_config om-test; kt_start om-test
kt_config om2-test; kt_start om2-test
for id in politie-test om-test om2-test; do wait_until 10 link_up "$id" || fail "no link $id"; done
kt_signal_file "$T/s.json"
kt_delivered politie-test "$T/s.json"
CASE=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
WEEGPLOEG_AGENDA=6 # proto/keten.proto, MessageType
relay_of() { sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE recipient='$1' AND $2"; }

# held_agenda DAYS: a weegploeg agenda made while the log cannot be
# written: recorded, its copies kept held.  MEETING is its id.
held_agenda() {
    lock_db "$T/state-$UITV/log.db"
    local rc=0 out
    out=$(kt "$UITV" weegploeg agenda --start "$(date -d "+$1 days" +%F)T10:00" --location "Zaal $1" \
        --duration 60 --case "$CASE" --json 2>&1) || rc=$?
    unlock_db
    [ $rc != 0 ] && grep -q "recorded but not sent yet" <<< "$out" \
        || fail "the agenda was sent while the log was locked: $out"
    MEETING=$(grep -Eo 'w-[0-9a-f]{16}' <<< "$out" | head -n1)
    # Still held, the log timer's retry 10 s away: the kind change comes
    # first (or this test checks nothing).
    [ "$(relay_of "$2" "type=$WEEGPLOEG_AGENDA AND state=3")" = 1 ] \
        || fail "the agenda's copy for $2 is not held: the check cannot fail"
}
received() { grep -q "agenda received .*meeting=$2" "$T/$1.log"; }

# The OM becomes a gemeente: still a kernpartij, but the OM's agenda names
# a subject it may not see.
held_agenda 14 om-test
M1=$MEETING
kt "$UITV" member kind om-test gemeente | grep -q "roster version 2" || fail "kind change failed"
v() { [ "$(jfield "$1" .roster_version)" = "$2" ]; }
wait_until 20 v om-test 2 || fail "om-test did not get roster version 2"
wait_until 20 relay_settled || fail "relay not settled"
kind_text="withdrawn: composed for the member's former kind"
[ "$(relay_of om-test "type=$WEEGPLOEG_AGENDA AND state=4 AND refusal='${kind_text//\'/\'\'}'")" = 1 ] \
    || fail "the OM's agenda, held at the change, was not withdrawn from the gemeente: $(sqlite3 \
        "$T/state-$UITV/node.db" "SELECT type, state, made_for, refusal FROM relay WHERE recipient='om-test'")"
! received om-test "$M1" || fail "the OM's agenda reached the gemeente"
[ "$(kt om-test agenda list --json | jq '.meetings | length')" = 0 ] || fail "the gemeente lists the OM's agenda"
received politie-test "$M1" || fail "the police did not get the agenda"
received om2-test "$M1" || fail "the other OM did not get the agenda"
pass "an agenda held at om-test's change to gemeente is withdrawn, not delivered"

# The other OM becomes reclassering: its role no longer receives weegploeg
# agendas at all.
held_agenda 21 om2-test
M2=$MEETING
kt "$UITV" member kind om2-test reclassering | grep -q "roster version 3" || fail "kind change failed"
wait_until 20 v om2-test 3 || fail "om2-test did not get roster version 3"
wait_until 20 relay_settled || fail "relay not settled"
[ "$(relay_of om2-test "type=$WEEGPLOEG_AGENDA AND state=4 AND refusal GLOB 'withdrawn: the member''s role no longer receives*'")" = 1 ] \
    || fail "the agenda held at the change was not withdrawn from the casuspartij"
! received om2-test "$M2" || fail "the weegploeg agenda reached the casuspartij"
received politie-test "$M2" || fail "the police did not get the second agenda"
[ "$(jfield om2-test .role)" = casuspartij ] || fail "om2-test's role did not change"
# On record, once each, and nothing left owed or with its bytes.
logged=$(kt "$UITV" log show --type MESSAGE_REFUSED --json | jq '[.events[]
    | select(.what | startswith("withdrawn:"))] | length')
[ "$logged" = 2 ] || fail "2 copies withdrawn, $logged on record"
[ "$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE refusal GLOB 'withdrawn:*'
    AND (log_owed=1 OR length(header)>0)")" = 0 ] || fail "a withdrawn copy is owed or keeps its bytes"
! grep -q "Test Persoon" "$T"/*.log || fail "personal data in a journal"
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "an agenda held at om2-test's change to reclassering is withdrawn; all on record"
