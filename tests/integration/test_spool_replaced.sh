#!/usr/bin/env bash
# The police system may put another directory in the place of its spool
# while ketend runs: a redeploy that makes its drop directory anew, a
# share mounted over it.  ketend held the first one open and kept reading
# it, where nothing arrived any more: new files were never forwarded,
# while `keten status` said no alarm and `--check` KETEN OK; only a
# restart picked them up.  Now every scan follows the path: a new
# directory that passes the start's checks is scanned from then on, and
# one that does not (or a path that leads nowhere) is the spool's error in
# the status, which `keten status --check` (and the metrics) raise,
# until the path leads to a spool that may be used again.
source "$(dirname "$0")/lib.sh"
kt_spool_federation

LOG="$T/politie-test.log"
OTHER=
cleanup() {
    local rc=$?
    [ -z "$OTHER" ] || rm -rf "$OTHER"
    kt_cleanup "$rc"
}
trap cleanup EXIT

drop() {  # drop NAME: a signal file with local_ref NAME, written under a dot name and renamed
    kt_signal_file "$SPOOL/.$1.tmp" "$1"
    mv "$SPOOL/.$1.tmp" "$SPOOL/$1.json"
}
local_refs() {  # how many signals the police node stored with local_ref $1
    sqlite3 "$T/state-politie-test/node.db" "SELECT count(*) FROM signal WHERE local_ref='$1'"
}
sent() { [ "$(local_refs "$1")" = 1 ]; }
check() {  # check: keten status --check, its output in $T/check.out; its status
    local rc=0
    kt politie-test status --check > "$T/check.out" 2>&1 || rc=$?
    return $rc
}
# raised TEXT: --check is critical for the spool, and the status's spool
# error says TEXT.
raised() {
    local rc=0
    check || rc=$?
    [ "$rc" = 2 ] && grep -q "the intake spool cannot be read or used" "$T/check.out" &&
        kt politie-test status --json | jq -r '.spool.error // ""' | grep -q "$1"
}
check_ok() { check && grep -q "^KETEN OK" "$T/check.out"; }

test_a_spool_made_anew_while_ketend_runs_is_forwarded_from() {
    drop before-1
    wait_until 20 sent before-1 || fail "the first file was not forwarded"
    local replaced
    replaced=$(grep -c 'spool dir_replaced' "$LOG" || true)
    # The redeploy: the old directory renamed away, a new one made.
    mv "$SPOOL" "$SPOOL.old"
    mkdir -m "$(stat -c %a "$SPOOL.old")" "$SPOOL"
    drop after-1
    wait_until 20 sent after-1 || fail "a file dropped in the new spool directory was not forwarded"
    [ "$(grep -c 'spool dir_replaced' "$LOG")" -gt "$replaced" ] || fail "no dir_replaced line"
    check_ok || fail "--check after the replacement: $(cat "$T/check.out")"
    # What the writer leaves in the old one is its own now: not taken.
    kt_signal_file "$SPOOL.old/late.json" late
    drop after-2
    wait_until 20 sent after-2 || fail "the second file in the new spool was not forwarded"
    [ -e "$SPOOL.old/late.json" ] && [ "$(local_refs late)" = 0 ] || fail "a file in the old spool was taken"
    rm -r "$SPOOL.old"
    pass "${FUNCNAME[0]}"
}

test_a_spool_path_that_leads_nowhere_raises_the_alarm() {
    # Gone (an unmounted share without its mount point): the alarm, until
    # it is back.
    mv "$SPOOL" "$SPOOL.away"
    wait_until 20 raised "cannot be looked at" || fail "no alarm for a missing spool: $(cat "$T/check.out")"
    mv "$SPOOL.away" "$SPOOL"
    wait_until 20 check_ok || fail "the alarm stayed once the spool was back: $(cat "$T/check.out")"
    drop back-1
    wait_until 20 sent back-1 || fail "the spool put back was not forwarded from"
    pass "${FUNCNAME[0]}"
}

test_a_replacement_that_cannot_be_used_raises_the_alarm() {
    # A spool on another filesystem than ketend's state directory (here a
    # symbolic link to one, as a share mounted over the spool would be):
    # no claim could cross to work/, so it is refused as a start refuses
    # it, and raised, not scanned.
    if [ ! -d /dev/shm ] || [ "$(stat -c %d /dev/shm)" = "$(stat -c %d "$T")" ]; then
        echo "ok - ${FUNCNAME[0]} # SKIP no /dev/shm on another filesystem than $T"
        return 0
    fi
    OTHER=$(mktemp -d /dev/shm/keten-spool.XXXXXX)
    chmod "$(stat -c %a "$SPOOL")" "$OTHER"
    mv "$SPOOL" "$SPOOL.prev"
    ln -s "$OTHER" "$SPOOL"
    drop elsewhere-1
    wait_until 20 raised "on another filesystem than the spool" \
        || fail "no alarm for a spool on another filesystem: $(cat "$T/check.out")"
    grep -q 'spool dir_refused' "$LOG" || fail "no dir_refused line"
    sleep 1
    [ -e "$OTHER/elsewhere-1.json" ] && [ "$(local_refs elsewhere-1)" = 0 ] \
        || fail "a file of the refused spool was taken"
    # A usable spool again: the alarm goes, and what waited is forwarded.
    rm "$SPOOL"
    mkdir -m "$(stat -c %a "$SPOOL.prev")" "$SPOOL"
    # Across filesystems mv copies: under a hidden name first, then
    # renamed, as a writer must, or a scan may take it half written.
    mv "$OTHER/elsewhere-1.json" "$SPOOL/.elsewhere-1.json"
    mv "$SPOOL/.elsewhere-1.json" "$SPOOL/elsewhere-1.json"
    wait_until 20 sent elsewhere-1 || fail "the file was not forwarded from the usable spool"
    wait_until 20 check_ok || fail "the alarm stayed: $(cat "$T/check.out")"
    rm -r "$SPOOL.prev"
    pass "${FUNCNAME[0]}"
}

test_a_spool_made_anew_while_ketend_runs_is_forwarded_from
test_a_spool_path_that_leads_nowhere_raises_the_alarm
test_a_replacement_that_cannot_be_used_raises_the_alarm
! grep -E 'before-1|after-[12]|late|back-1|elsewhere' "$LOG" || fail "the log shows a file name"
