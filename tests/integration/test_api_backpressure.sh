#!/usr/bin/env bash
# Backpressure on the police node's local API (docs/API.md, "Busy"): the
# submissions waiting for a group commit hold at most 4,096 signals and 16
# MiB of packed signals together; a submission that would pass either bound
# is refused whole, with an error that says the node is busy, and nothing
# of it is stored.  (The byte bound is the same test on the packed sizes;
# behind a disk this slow, signals large enough to reach it hold the loop
# in their commits, so they are not read faster than they are stored.)  The police node runs under tests/tools/faultfs.c, each
# sync of node.db-wal 1 s slower, so the waiting list fills while a group
# commits, as it would behind a stalled disk or a caller that sends faster
# than the disk takes.
source "$(dirname "$0")/lib.sh"
kt_need_faultfs
kt_federation
wait_until 10 link_up politie-test || fail "no link"
ARM="$T/armed"
kt_kill politie-test KILL
KETEN_WRAP=$(kt_fault_wrap KETEN_FAULT_ARM="$ARM" KETEN_FAULT_SYNCS=1 KETEN_FAULT_SUFFIX=/node.db-wal \
    KETEN_FAULT_AT=0 KETEN_FAULT_SYNC_DELAY_MS=1000 KETEN_FAULT_COUNT="$T/count") \
    kt_start politie-test
wait_until 10 link_up politie-test || fail "no link after the restart"
# The first commit after a start begins a new log, synced on the loop.
kt_signal_file "$T/w.json" WARM
kt politie-test signal submit --file "$T/w.json" --wait > /dev/null || fail "the first signal after the restart"
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal"; }
touch "$ARM"

# flood FILE N BATCH: N signals of FILE in binary submissions of BATCH, all
# sent at once; its output in $T/flood.out and .err, its exit code in rc.
flood() {
    rc=0
    "$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$1" -n "$2" --inflight "$2" \
        --batch "$3" > "$T/flood.out" 2> "$T/flood.err" || rc=$?
}
refused() { grep -Eo 'not_delivered=[0-9]+' "$T/flood.out" | cut -d= -f2; }
busy_said() { grep -q "the node is busy: [0-9]* signals ([0-9]* KiB) wait to be stored, at most 4096 (16 MiB); nothing of this submission was stored, send it again shortly" "$T/flood.err"; }

# The count bound: 10 submissions of 1,000 sent at once, each group's
# sync taking a second: one commits, at most four wait, and more are read
# long before a second group could start.
kt_signal_file "$T/s.json" FLOOD
before=$(stored)
flood "$T/s.json" 10000 1000
[ $rc = 1 ] || fail "the flood ended with exit $rc: $(cat "$T/flood.out" "$T/flood.err")"
n=$(refused)
[ -n "$n" ] && [ "$n" -ge 1000 ] && [ $((n % 1000)) = 0 ] ||
    fail "$n signals refused, want whole submissions and at least 1000: $(cat "$T/flood.out")"
busy_said || fail "the refusal does not say the node is busy: $(cat "$T/flood.err")"
[ "$(grep -c "submit busy waiting=[0-9]* bytes=[0-9]* refused=1$" "$T/politie-test.log")" = 1 ] ||
    fail "the journal does not say once that submissions were refused as busy: $(grep 'submit busy' "$T/politie-test.log")"
[ "$(stored)" = $((before + 10000 - n)) ] ||
    fail "$(stored) signals at the uitvoerder, want $((before + 10000 - n)): all the taken ones, none of the refused"
pass "10 submissions of 1,000 at once behind a slow disk: $n signals refused whole as busy, the other $((10000 - n)) delivered"

# What was refused holds nothing back: once the list has gone, as much as
# the bounds allow is taken again, in JSON too.
before=$(stored)
flood "$T/s.json" 1000 100
[ $rc = 0 ] || fail "1,000 signals after the floods: exit $rc, $(cat "$T/flood.out" "$T/flood.err")"
kt politie-test signal submit --file "$T/s.json" --wait > /dev/null || fail "a JSON submission after the floods"
[ "$(stored)" = $((before + 1001)) ] || fail "$(stored) signals at the uitvoerder, want $((before + 1001))"
[ "$(kt politie-test status --json | jq -c .submissions)" = '{"waiting":0,"waiting_bytes":0,"committing":0,"receipt_waiters":0}' ] ||
    fail "submissions still counted as waiting: $(kt politie-test status --json | jq -c .submissions)"
pass "after the flood the bounds are whole again: 1,000 signals and a JSON one taken and delivered, nothing counted as waiting"
