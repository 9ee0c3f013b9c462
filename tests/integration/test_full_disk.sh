#!/usr/bin/env bash
# A full disk, for real: each node's state directory is a small tmpfs this
# test mounts, filled to the last block.  At the police node a submission
# is refused with a clear error, nothing is half-stored and the node raises
# storage_failing; at the uitvoerder the signals wait in the police node's
# outbox (no receipt for what was not stored), storage_failing is raised,
# and delivery resumes by itself once space is freed, each signal stored
# once.  Needs root for mount(8): exits 77 (skipped) without it.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: mounting a tmpfs needs root"; exit 77; }
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_roster 1 "$T/roster.txt" "$UITV" politie-test
MOUNTS=()
small_fs() {  # small_fs DIR SIZE
    mkdir -p "$1"
    mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
    MOUNTS+=("$1")
}
cleanup_mounts() {
    local rc=$?
    for id in "${!KT_PID[@]}"; do kt_kill "$id"; done
    for m in "${MOUNTS[@]}"; do umount "$m" || true; done
    kt_cleanup "$rc"
}
trap cleanup_mounts EXIT
small_fs "$T/state-$UITV" 24m
small_fs "$T/state-politie-test" 24m
PORT=
kt_config "$UITV"
kt_start "$UITV"
kt_config politie-test
kt_start politie-test
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s0.json" T-0
kt politie-test signal submit --file "$T/s0.json" --wait > /dev/null || fail "first signal"
fill() { dd if=/dev/zero of="$1/filler" bs=4k 2> /dev/null || true; }
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal"; }

# The police node's disk is full.
fill "$T/state-politie-test"
depth=$(jfield politie-test .outbox.depth)
kt_signal_file "$T/s1.json" T-1
rc=0; out=$(kt politie-test signal submit --file "$T/s1.json" 2>&1) || rc=$?
[ $rc != 0 ] && grep -q "database or disk is full" <<< "$out" && grep -q "nothing was stored" <<< "$out" \
    || fail "a submission on a full disk: exit $rc, $out"
[ "$(jfield politie-test .outbox.depth)" = "$depth" ] || fail "something was half-stored"
# A retention run with nothing due (as the loop's own, once the clock is
# confirmed, and then each day) commits nothing on node.db: that proves
# nothing of the disk and must not end the alarm, as it did once.
wait_until 20 kt_clock_confirmed politie-test || fail "politie's clock is not confirmed"
[ "$(kt politie-test retention run)" = "nothing due" ] || fail "retention run on a full disk"
[ "$(jfield politie-test '.alarms | index("storage_failing") != null')" = true ] \
    || fail "no storage_failing alarm at the police node: $(jfield politie-test .alarms)"
[ "$(jfield politie-test .storage.error)" = "database or disk is full" ] || fail "storage error not shown"
# Twenty at once: one group commit, run beside the loop (kt_burst); it
# fails as a whole, every caller is told, nothing is stored.
out=$(kt_burst politie-test 20 "$T/s1.json")
[ "$(grep -c "^error could not store the signal (database or disk is full); nothing was stored" <<< "$out")" = 20 ] \
    || fail "a batch on a full disk: $out"
[ "$(jfield politie-test .outbox.depth)" = "$depth" ] || fail "something of the batch was half-stored"
grep -q "submit store_failed count=20 " "$T/politie-test.log" || fail "the 20 were not one group commit"
# A binary submission of thirty (docs/API.md): one answer, the refusal,
# no outcomes, nothing stored.
cp "$T/s1.json" "$T/s.json"
kt_binary_spec "$T/thirty.json" '{wait: true, signals: [range(30) | $s[0]]}'
out=$(kt_binary politie-test "$T/thirty.json")
[ "$(jq -r '.error' <<< "$out")" = "could not store the signal (database or disk is full); nothing was stored" ] &&
    [ "$(jq '.outcomes | length' <<< "$out")" = 0 ] || fail "a binary submission on a full disk: $out"
[ "$(jfield politie-test .outbox.depth)" = "$depth" ] || fail "something of the binary submission was half-stored"
grep -q "submit store_failed count=30 " "$T/politie-test.log" || fail "the 30 were not one group commit"
rm "$T/state-politie-test/filler"
out=$(kt_burst politie-test 20 "$T/s1.json")
[ "$(grep -c "^delivered " <<< "$out")" = 20 ] || fail "a batch after space was freed: $out"
out=$(kt_binary politie-test "$T/thirty.json")
[ "$(jq -r '[.outcomes[] | select(.state == "delivered")] | length' <<< "$out")" = 30 ] ||
    fail "a binary submission after space was freed: $out"
kt politie-test signal submit --file "$T/s1.json" --wait > /dev/null || fail "no submission after space was freed"
[ "$(jfield politie-test '.alarms | index("storage_failing") != null')" = false ] \
    || fail "the alarm outlives the first good commit"
pass "a full disk at the police node: a clear refusal, nothing half-stored, an alarm; freed, it works"

# The uitvoerder's disk is full: signals wait, delivery resumes by itself.
before=$(stored)
fill "$T/state-$UITV"
for i in 2 3 4; do
    kt_signal_file "$T/s$i.json" "T-$i"
    kt politie-test signal submit --file "$T/s$i.json" > /dev/null || fail "submit $i at the police node"
done
failing() { [ "$(jfield "$UITV" '.alarms | index("storage_failing") != null')" = true ]; }
wait_until 20 failing || fail "no storage_failing alarm at the uitvoerder: $(jfield "$UITV" .alarms)"
[ "$(stored)" = "$before" ] || fail "signals stored on a full disk"
[ "$(jfield politie-test .outbox.depth)" = 3 ] || fail "the police outbox does not hold the 3 signals"
[ "$(jfield politie-test .outbox.refused)" = 0 ] || fail "a signal was refused for a full disk"
rm "$T/state-$UITV/filler"
drained() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
wait_until 60 drained || fail "delivery did not resume: depth $(jfield politie-test .outbox.depth)"
[ "$(stored)" = $((before + 3)) ] || fail "$(stored) signals stored, want $((before + 3))"
healthy() { [ "$(jfield "$UITV" '.alarms | index("storage_failing") != null')" = false ]; }
wait_until 10 healthy || fail "the uitvoerder's alarm stays after delivery resumed"
kt "$UITV" log verify > /dev/null || fail "log verify fails after the full disk"
pass "a full disk at the uitvoerder: signals wait unreceipted, an alarm; freed, each is stored once"
