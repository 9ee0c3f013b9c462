#!/usr/bin/env bash
# A disk still full ends no storage_failing: on a real small tmpfs, filled
# to the last block, a submission fails (database or disk is full) and the
# alarm is raised.  Then a little space comes free (as a commit that fits
# in space the log already holds finds it): a submission succeeds, but the
# file system is still as good as full, so the alarm stays, with the same
# error.  Once space is really freed (8 MB, docs/OPERATIONS.md,
# storage_failing), the next submission ends it.  Needs root for mount(8):
# exits 77 (skipped) without it.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || { echo "SKIP: mounting a tmpfs needs root"; exit 77; }
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_roster 1 "$T/roster.txt" "$UITV" politie-test
STATE="$T/state-politie-test"
MOUNTED=
cleanup_mount() {
    local rc=$?
    for id in "${!KT_PID[@]}"; do kt_kill "$id"; done
    [ -z "$MOUNTED" ] || umount "$STATE" || true
    kt_cleanup "$rc"
}
trap cleanup_mount EXIT
mkdir -p "$STATE"
mount -t tmpfs -o "size=24m,mode=0700" tmpfs "$STATE" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
MOUNTED=1
PORT=
kt_config "$UITV"
kt_start "$UITV"
kt_config politie-test
kt_start politie-test
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s0.json" T-0
kt politie-test signal submit --file "$T/s0.json" --wait > /dev/null || fail "first signal"
alarm() { jfield politie-test '.alarms | index("storage_failing") != null'; }

# Full to the last block, 512 KiB of it in a file of its own.
dd if=/dev/zero of="$STATE/spare" bs=4k count=128 2> /dev/null || fail "no room for the spare file"
dd if=/dev/zero of="$STATE/filler" bs=4k 2> /dev/null || true
kt_signal_file "$T/s1.json" T-1
out=$(kt politie-test signal submit --file "$T/s1.json" 2>&1) && fail "a submission on a full disk was stored: $out"
grep -q "database or disk is full" <<< "$out" || fail "a submission on a full disk: $out"
[ "$(alarm)" = true ] || fail "no storage_failing alarm: $(jfield politie-test .alarms)"

# A little room: a submission goes through, the disk is still full.
rm "$STATE/spare"
depth=$(jfield politie-test .outbox.depth)
kt_signal_file "$T/s2.json" T-2
kt politie-test signal submit --file "$T/s2.json" > /dev/null || fail "a submission with 512 KiB free"
[ "$(jfield politie-test .outbox.depth)" -ge "$depth" ] || fail "the outbox lost a signal"
[ "$(alarm)" = true ] || fail "a commit on a disk still full ended storage_failing"
[ "$(jfield politie-test .storage.error)" = "database or disk is full" ] || fail "storage error not shown"
pass "a disk still full: a small commit succeeds, storage_failing stays"

# Space freed: the next submission (past the second the file system is
# not asked again) ends the alarm.
rm "$STATE/filler"
sleep 1.1
kt_signal_file "$T/s3.json" T-3
kt politie-test signal submit --file "$T/s3.json" --wait > /dev/null || fail "no submission after space was freed"
[ "$(alarm)" = false ] || fail "the alarm outlives space freed and a commit: $(jfield politie-test .storage)"
pass "space freed: the next commit ends storage_failing"
