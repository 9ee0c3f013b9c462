#!/usr/bin/env bash
# A signal on its way while its record is synced (docs/ARCHITECTURE.md,
# crash reasoning rule 19): the police node commits a submission without
# waiting for the disk, sends it, and syncs node.db's write-ahead log
# beside its loop; the caller is answered only once that sync has ended.
# The police node runs under tests/tools/faultfs.c with only the syncs of
# node.db-wal counted:
# - each made 5 s slower: the signal reaches the uitvoerder within that
#   time while its caller still waits, and is answered after it;
# - each made 5 s slower: the node's status answers and the signal's
#   receipt is recorded during the sync (the loop is not held by it);
# - the first failing: the log is written anew and synced at once
#   (healed), the caller hears "queued";
# - the first failing while a held signal's release commits: the release
#   waits for the sync and fails with it, and goes through after the heal;
# - all of them failing, the heal's too: the caller is told the signal was
#   stored as its id and is on its way, not confirmed on disk; node.db
#   takes no writes until a restart (a later submission is refused, the
#   error shown stays the disk's), and after it the signal is delivered
#   once, not doubled;
# - the node killed during the sync: the caller gets no answer, and the
#   record, in the kernel's hands already, is there after the restart and
#   delivered once.
source "$(dirname "$0")/lib.sh"
kt_need_faultfs
kt_federation
wait_until 10 link_up politie-test || fail "no link"
ARM="$T/armed"
DELAY_MS=5000

# with_syncs AT DELAY_MS [ALL]: restart the police node (killed: a stop
# would wait out the slow syncs of its last checkpoint) under the library,
# from the moment $ARM exists each sync of node.db-wal DELAY_MS slower and
# the AT-th failing (0: none), with ALL=1 every one from the AT-th on.  One signal goes first: the first commit after
# a start begins a new log, whose header SQLite syncs on the committing
# thread itself.
N_WARM=0
with_syncs() {
    rm -f "$ARM"
    kt_kill politie-test KILL
    KETEN_WRAP=$(kt_fault_wrap KETEN_FAULT_ARM="$ARM" KETEN_FAULT_SYNCS=1 KETEN_FAULT_SUFFIX=/node.db-wal \
        KETEN_FAULT_AT="$1" KETEN_FAULT_ALL="${3:-0}" KETEN_FAULT_SYNC_DELAY_MS="$2" \
        KETEN_FAULT_COUNT="$T/count") \
        kt_start politie-test
    wait_until 10 link_up politie-test || fail "no link after the restart"
    N_WARM=$((N_WARM + 1))
    kt_signal_file "$T/w.json" "WARM-$N_WARM"
    kt politie-test signal submit --file "$T/w.json" --wait > /dev/null || fail "the first signal after the restart"
}
plain_restart() {
    kt_kill politie-test KILL
    kt_start politie-test
    wait_until 10 link_up politie-test || fail "no link after the restart"
}
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal"; }
ms() { echo $(($(date +%s%N) / 1000000)); }
# arrives_within MS: the uitvoerder holds more than $before signals
# within MS ms.
arrives_within() {
    local deadline=$(($(ms) + $1))
    until [ "$(stored)" -gt "$before" ]; do
        [ "$(ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}
state_of() {  # state_of ID: its delivery state at the police node
    kt politie-test signal list --json | jq -r --arg id "$1" '.signals[] | select(.message_id == $id) | .state'
}
delivered() { [ "$(state_of "$1")" = delivered ]; }
drained() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }

# A slow disk: the signal leaves during the sync, its caller waits for it.
with_syncs 0 $DELAY_MS
kt_signal_file "$T/s1.json" SLOW-1
before=$(stored)
touch "$ARM"
started=$(ms)
kt politie-test signal submit --file "$T/s1.json" > "$T/out1" 2>&1 &
SUB=$!
arrives_within 3000 || fail "the signal did not reach the uitvoerder while the police node synced"
kill -0 "$SUB" 2> /dev/null || fail "the caller was answered before the record was synced: $(cat "$T/out1")"
# The loop is not held by the sync: its status (which reads node.db)
# answers at once, and the signal's receipt is recorded meanwhile.
t0=$(ms)
kt politie-test status --json > "$T/status1" || fail "no status during the sync"
asked=$(($(ms) - t0))
[ "$asked" -lt 1500 ] || fail "the status took $asked ms during the police node's sync"
slow_delivered() {
    [ "$(kt politie-test signal list --json | jq -r '.signals[] | select(.local_ref == "SLOW-1") | .state')" = delivered ]
}
wait_until 3 slow_delivered || fail "the receipt was not recorded during the sync"
kill -0 "$SUB" 2> /dev/null || fail "the sync ended before the status and the receipt; the check proves nothing"
wait "$SUB" || fail "the submission failed: $(cat "$T/out1")"
took=$(($(ms) - started))
[ "$took" -ge $DELAY_MS ] || fail "the caller was answered after $took ms, within the $DELAY_MS ms sync"
grep -Eq "^signal [0-9a-f]{32} queued$" "$T/out1" || fail "not queued: $(cat "$T/out1")"
[ "$(tr -d ' ' < "$T/count")" = 1 ] || fail "$(cat "$T/count") syncs of node.db-wal counted, want 1"
pass "a slow disk: the signal reached the uitvoerder during the police node's sync, the status answered in $asked ms meanwhile, the caller was answered after it ($took ms)"

# The sync fails once: the log is written anew and synced at once, which
# makes the record durable after all; the caller hears "queued".
with_syncs 1 0
kt_signal_file "$T/s2.json" EIO-2
before=$(stored)
touch "$ARM"
out=$(kt politie-test signal submit --file "$T/s2.json" 2>&1) || fail "a healed sync: $out"
grep -Eq "^signal [0-9a-f]{32} queued$" <<< "$out" || fail "a healed sync: $out"
grep -q "store sync_failed reason=\"disk I/O error\": healed" "$T/politie-test.log" ||
    fail "the healed sync was not logged"
[ "$(tr -d ' ' < "$T/count")" -ge 2 ] || fail "the log was not synced again after the failed sync"
kt_signal_file "$T/s3.json" OK-3
kt politie-test signal submit --file "$T/s3.json" --wait > /dev/null || fail "no submission after the healed sync"
[ "$(jfield politie-test '.alarms | index("storage_failing") != null')" = false ] ||
    fail "the alarm outlives the good commits after the healed sync"
wait_until 10 drained || fail "the police outbox holds $(jfield politie-test .outbox.depth)"
[ "$(stored)" = $((before + 2)) ] || fail "$(stored) signals at the uitvoerder, want $((before + 2))"
pass "a sync failing once: healed by writing the log anew and syncing it, answered queued, delivered once"

# A commit that waits for the disk, made while a group's sync runs and
# then fails (a held signal's release), waits for that sync and fails
# with it: after a failed sync the kernel tells the loop's own descriptor
# only once, and a second such commit must not be told its record is on
# disk.  Once the log is healed, the release goes through.
printf 'intake\n    release-group = %s\n' "$(id -gn)" >> "$T/politie-test.cfg"
with_syncs 1 2000
jq '.wpg_basis = "art-9-10" | .local_ref = "HELD-R"' "$T/w.json" > "$T/held.json"
held_id=$(kt politie-test signal submit --file "$T/held.json" | grep -Eo '[0-9a-f]{32}' | head -n1)
[ -n "$held_id" ] || fail "no held signal"
release() { kt politie-test signal release "$held_id" --opsporingsbelang-checked \
    --om-consulted "Officier Test" --bevoegd-functionaris "Functionaris Test"; }
kt_signal_file "$T/s8.json" GATE-8
before=$(stored)
touch "$ARM"
kt politie-test signal submit --file "$T/s8.json" > "$T/out8" 2>&1 &
SUB=$!
arrives_within 1500 || fail "the signal did not reach the uitvoerder while the police node synced"
kill -0 "$SUB" 2> /dev/null || fail "the group's sync ended before the release was asked"
rc=0
t0=$(ms)
out=$(release 2>&1) || rc=$?
waited=$(($(ms) - t0))
[ "$rc" != 0 ] || fail "a release committed during a failing sync was confirmed: $out"
grep -q "disk I/O error" <<< "$out" || fail "the release failed for another reason: $out"
[ "$waited" -ge 200 ] || fail "the release failed after $waited ms, without waiting for the group's sync"
wait "$SUB" || fail "the healed group's submission failed: $(cat "$T/out8")"
grep -Eq "^signal [0-9a-f]{32} queued$" "$T/out8" || fail "not queued: $(cat "$T/out8")"
grep -q "store sync_failed reason=\"disk I/O error\": healed" "$T/politie-test.log" ||
    fail "the failed sync was not healed"
out2=$(release 2>&1) || fail "the release after the heal: $out2"
pass "a release during a failing sync waited $waited ms for it and failed with it ($out); after the heal it went through"

# Every sync of the log fails, the heal's too: the caller is told the
# signal is stored and on its way, not confirmed; node.db takes no writes
# until a restart, which delivers it once.
with_syncs 1 0 1
kt_signal_file "$T/s4.json" EIO-4
before=$(stored)
touch "$ARM"
rc=0
out=$(kt politie-test signal submit --file "$T/s4.json" 2>&1) || rc=$?
id=$(grep -Eo '[0-9a-f]{32}' <<< "$out" | head -n1)
[ $rc != 0 ] && [ -n "$id" ] &&
    grep -q "the signal was stored as $id and is on its way, but the disk did not confirm its record (disk I/O error)" <<< "$out" ||
    fail "an unhealed sync: exit $rc, $out"
grep -q "submit sync_failed count=1 " "$T/politie-test.log" || fail "the failed sync was not logged"
grep -q "store sync_failed .*takes no writes until the node is restarted" "$T/politie-test.log" ||
    fail "the file's state after the unhealed sync was not logged"
arrives_within 3000 || fail "the signal did not reach the uitvoerder"
kt_signal_file "$T/s5.json" REFUSED-5
rc=0
out=$(kt politie-test signal submit --file "$T/s5.json" 2>&1) || rc=$?
[ $rc != 0 ] && grep -q "could not store the signal (disk I/O error); nothing was stored" <<< "$out" ||
    fail "a submission after the unhealed sync: exit $rc, $out"
[ "$(jfield politie-test .storage.error)" = "disk I/O error" ] ||
    fail "the storage error shown is $(jfield politie-test .storage.error)"
plain_restart
wait_until 10 delivered "$id" || fail "the signal is $(state_of "$id") after the restart, not delivered"
kt politie-test signal submit --file "$T/s5.json" --wait > /dev/null || fail "no submission after the restart"
[ "$(jfield politie-test '.alarms | index("storage_failing") != null')" = false ] ||
    fail "the alarm outlives the restart"
[ "$(stored)" = $((before + 2)) ] || fail "$(stored) signals at the uitvoerder, want $((before + 2))"
pass "every sync failing: the caller told $id is on its way and not confirmed; no writes until the restart; delivered once"

# A caller waits for an earlier signal's receipt when every sync starts
# failing: once the receipt comes and cannot be recorded, that caller is
# told so at once, not left to give up; after a restart it is delivered.
with_syncs 2 0 1
kt_signal_file "$T/s6.json" WAIT-6
kt_signal_file "$T/s7.json" EIO-7
before=$(stored)
touch "$ARM"
kill -STOP "${KT_PID[$UITV]}"
kt politie-test signal submit --file "$T/s6.json" --wait > "$T/out6" 2>&1 &
SUB=$!
synced_once() { [ "$(tr -d ' ' < "$T/count" 2> /dev/null)" = 1 ]; }
wait_until 10 synced_once || { kill -CONT "${KT_PID[$UITV]}"; fail "the waiting signal's record was not synced"; }
kt politie-test signal submit --file "$T/s7.json" > /dev/null 2>&1 &&
    { kill -CONT "${KT_PID[$UITV]}"; fail "a submission was confirmed while every sync failed"; }
kill -CONT "${KT_PID[$UITV]}"
started=$(ms)
wait "$SUB" && fail "the waiting caller was told its receipt was recorded: $(cat "$T/out6")"
took=$(($(ms) - started))
[ "$took" -lt 30000 ] || fail "the waiting caller was answered after $took ms"
grep -q "receipt for [0-9a-f]\{32\} came, but this node cannot record it or check its proof: node.db takes no writes until the node is restarted (disk I/O error)" "$T/out6" ||
    fail "the waiting caller was told: $(cat "$T/out6")"
id=$(grep -Eo '[0-9a-f]{32}' "$T/out6" | head -n1)
plain_restart
wait_until 10 delivered "$id" || fail "the signal is $(state_of "$id") after the restart, not delivered"
[ "$(stored)" = $((before + 2)) ] || fail "$(stored) signals at the uitvoerder, want $((before + 2))"
pass "a caller waiting when every sync starts failing is told its receipt cannot be recorded ($took ms after the uitvoerder answered); delivered once after the restart"

# Killed during the sync: no answer, and the record survives the process.
with_syncs 0 $DELAY_MS
kt_signal_file "$T/s4.json" KILL-4
before=$(stored)
touch "$ARM"
kt politie-test signal submit --file "$T/s4.json" > "$T/out4" 2>&1 &
SUB=$!
arrives_within 3000 || fail "the signal did not reach the uitvoerder before the kill"
kt_kill politie-test KILL
! wait "$SUB" || fail "the caller was answered although the node was killed during the sync: $(cat "$T/out4")"
kt_start politie-test
wait_until 10 link_up politie-test || fail "no link after the kill"
id=$(kt politie-test signal list --json | jq -r '.signals[] | select(.local_ref == "KILL-4") | .message_id')
[ -n "$id" ] || fail "the police node's record of the signal is gone after the kill"
wait_until 10 delivered "$id" || fail "the signal is $(state_of "$id") after the restart, not delivered"
[ "$(stored)" = $((before + 1)) ] || fail "$(stored) signals at the uitvoerder, want $((before + 1))"
pass "killed during the sync: the caller had no answer, the record survived, delivered once"
