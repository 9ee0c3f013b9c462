#!/usr/bin/env bash
# art. 7.2a: a withdrawal of a subject's only spool signal destroys the
# subject at once.  When that destruction fails part-way - here the
# journal's note (forget.db's write-ahead log failing once the withdrawal
# itself is recorded) - the withdrawal is still answered as done, so the
# destruction must stay owed: the subject is marked destroying, and the
# next start, or the next retention run, completes it, instead of the
# subject and its name waiting for art. 13.3's 183 days.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/withdraw_lib.sh"
withdraw_federation forget.db-wal Intrekmij
withdraw() { kt politie-test signal withdraw "$SID" --reason "Ingetrokken (fictief)." --wait 2>&1 || true; }
subj() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM subject WHERE case_ref='$CASE'"; }
lstate() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT coalesce((SELECT state FROM lifecycle WHERE case_ref='$CASE'),-1)"; }
gone() { [ "$(subj)" = 0 ] && [ "$(lstate)" = 3 ]; }  # 3: destroyed (a tombstone)

# An undisturbed withdrawal: the subject goes at once; count its writes
# to forget.db-wal.
drop; uitv_with 0; touch "$ARM"
withdraw | grep -q delivered || fail "the undisturbed withdrawal was not delivered"
C=$(tr -d ' ' < "$COUNT")
wait_until 10 gone || fail "an undisturbed withdrawal left the subject (rows $(subj), state $(lstate))"
pass "an undisturbed withdrawal destroys the subject at once ($C writes to forget.db-wal)"

# From the last write back: the first faults hit the journal's note of
# the destruction, after the withdrawal itself is recorded and answered.
HIT=0
for ((k = C; k >= 1 && HIT < 2; k--)); do
    drop; uitv_with "$k" 1; touch "$ARM"
    out=$(withdraw)
    grep -q delivered <<< "$out" || fail "fault from write $k on: the withdrawal was not answered ($out)"
    sleep 0.5
    [ "$(subj)" = 1 ] || continue
    HIT=$((HIT + 1)); HITK=$k
    grep -q "withdrawal destroy_failed case_ref=$CASE" "$T/$UITV.log" ||
        fail "fault from write $k on: no destroy_failed line for the subject"
    [ "$(lstate)" = 2 ] ||
        fail "fault from write $k on: the failed destruction is not owed (lifecycle state $(lstate), not destroying)"
    # A clean restart completes it before anything is served.
    uitv_with 0
    wait_until 10 gone || fail "fault from write $k on: after a clean restart the withdrawn subject is still there (rows $(subj), state $(lstate))"
    [ "$(sqlite3 "$T/state-$UITV/forget.db" "SELECT count(*) FROM forgotten WHERE kind='destroy' AND case_ref='$CASE'")" = 1 ] ||
        fail "the journal does not hold the destruction exactly once"
    pass "fault from forget.db-wal write $k on: destruction owed, completed at the next start"
done
[ "$HIT" -gt 0 ] || fail "no fault reached the destruction's journal note (writes: $C)"

# A fault once only (the disk recovers): the hourly run, here started by
# hand, completes the destruction without a restart.
drop; uitv_with "$HITK" 0; touch "$ARM"
withdraw | grep -q delivered || fail "the withdrawal with one failed write was not delivered"
sleep 0.5
[ "$(subj)" = 1 ] || fail "write $HITK failing once did not stop the destruction"
[ "$(lstate)" = 2 ] || fail "the failed destruction is not owed (state $(lstate))"
wait_until 20 kt_clock_confirmed "$UITV" || fail "the uitvoerder's clock is not confirmed"
kt "$UITV" retention run > /dev/null || fail "retention run failed"
gone || fail "the retention run did not complete the owed destruction (rows $(subj), state $(lstate))"
pass "a retention run completes a withdrawal's destruction that failed once"
