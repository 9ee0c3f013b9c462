#!/usr/bin/env bash
# Another process holds the write lock of the uitvoerder's weegploeg file
# (an operator's sqlite3 shell, a broken backup tool) for several heartbeat
# timeouts while signals arrive.  The node does not stall: every member
# stays online (heartbeats are answered), the local API answers, the
# uitvoerder shows storage_failing ("database is locked"), no signal is
# receipted that was not stored, and once the lock is gone every signal is
# stored exactly once and the alarm ends.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_federation "$G:gemeente"
for id in politie-test "$G"; do wait_until 10 link_up "$id" || fail "no link for $id"; done
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal"; }
kt_signal_file "$T/s0.json" T-0
kt politie-test signal submit --file "$T/s0.json" --wait > /dev/null || fail "first signal"
before=$(stored)

lock_db "$T/state-$UITV/weegploeg.db"
for i in 1 2 3; do
    kt_signal_file "$T/s$i.json" "T-$i"
    kt politie-test signal submit --file "$T/s$i.json" > /dev/null || fail "submit $i at the police node"
done
locked() { [ "$(jfield "$UITV" '.storage.error // ""')" = "database is locked" ]; }
wait_until 10 locked || fail "no storage_failing for the lock: $(kt "$UITV" status --json | jq -c .storage)"
[ "$(jfield "$UITV" '.alarms | index("storage_failing") != null')" = true ] || fail "no alarm"
# Three times the heartbeat timeout (2 s here) under the lock: the links
# stay up and the API answers within a second each time.
end=$((SECONDS + 6))
while [ $SECONDS -lt $end ]; do
    for id in politie-test "$G"; do
        link_up "$id" || fail "$id lost its link while the weegploeg file was locked"
    done
    t0=$(date +%s%N)
    kt "$UITV" status > /dev/null || fail "the uitvoerder's API did not answer"
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1000 ] || fail "the API took over a second"
    [ "$(jfield "$UITV" '[.members[] | select(.online | not)] | length')" = 0 ] || fail "a member shows offline"
    sleep 0.5
done
[ "$(jfield politie-test .outbox.depth)" = 3 ] || fail "receipted under the lock: depth $(jfield politie-test .outbox.depth)"
unlock_db
pass "a locked weegploeg file: heartbeats answered, API answers, storage_failing raised, nothing receipted"

drained() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
wait_until 60 drained || fail "delivery did not resume after the lock"
[ "$(stored)" = $((before + 3)) ] || fail "$(stored) signals stored, want $((before + 3))"
healthy() { [ "$(jfield "$UITV" '.storage.failing')" = false ]; }
wait_until 10 healthy || fail "the alarm stays after the lock"
kt "$UITV" log verify > /dev/null || fail "log verify fails"
pass "after the lock every signal is stored once and the alarm ends"
