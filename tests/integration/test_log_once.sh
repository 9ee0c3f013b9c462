#!/usr/bin/env bash
# docs/ARCHITECTURE.md, Crash reasoning 5 and 12: every provenance log
# entry of the uitvoerder's own messages is written exactly once.  A
# member's receipt whose MESSAGE_DELIVERED entry cannot be appended (log.db
# locked by another process, as a crash at that point would leave it) is
# logged once the log can be written again, and not again at a restart; a
# send that fails part way (node.db locked) and is resumed at the next
# start logs its MESSAGE_SENT and WEEGPLOEG_DECIDED entries once.
source "$(dirname "$0")/lib.sh"
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_roster 1 "$T/roster.txt" "$UITV" politie-test
kt_referentiekader
PORT=
kt_config "$UITV"
kt_start "$UITV"
kt_config politie-test
kt_start politie-test
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/a.json" A-1
kt politie-test signal submit --file "$T/a.json" --wait | grep -q delivered || fail "A not delivered"
A=$(kt "$UITV" signal list --json | jq -r '.signals[-1].case_ref')

# count EVENT [TYPE]: entries of EVENT (of message type TYPE) in A's trail.
count() {
    kt "$UITV" log show --case "$A" --json |
        jq --arg e "$1" --arg t "${2:-}" \
            '[.events[] | select(.event==$e and ($t=="" or .message_type==$t))] | length'
}
is() { [ "$(count "$2" "${3:-}")" = "$1" ]; }
verify() {
    out=$("$KETEN" -c "$T/$UITV.cfg" log verify) || fail "log verify: $out"
}

# 1. The receipt arrives while log.db is locked: the relay row is settled,
#    the MESSAGE_DELIVERED append fails.
kt_kill politie-test
M=$(kt "$UITV" weegploeg agenda --start 2026-12-01T10:00 --location X --case "$A" --json |
    jq -r .meeting_id)
[[ "$M" == w-* ]] || fail "no meeting id: $M"
lock_db "$T/state-$UITV/log.db"
kt_start politie-test 3>&-   # the daemon must not hold the lock's fifo open
wait_until 30 relay_settled || fail "the agenda's receipt did not settle the relay row"
wait_until 20 grep -q "append_failed event=delivered" "$T/$UITV.log" ||
    fail "the DELIVERED append did not fail"
unlock_db
wait_until 20 is 1 MESSAGE_DELIVERED || fail "DELIVERED logged $(count MESSAGE_DELIVERED) times, want 1"
kt_kill "$UITV"
kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link after the restart"
is 1 MESSAGE_DELIVERED || fail "DELIVERED logged $(count MESSAGE_DELIVERED) times after a restart"
is 1 MESSAGE_SENT WEEGPLOEG_AGENDA || fail "agenda SENT $(count MESSAGE_SENT WEEGPLOEG_AGENDA) times"
verify
pass "a DELIVERED entry whose append failed is logged once, later"

# 2. A changed agenda and a decision whose sends fail part way (node.db
#    locked: the copies cannot be kept) are resumed at the next start.
#    One at a time: a locked node.db stalls the daemon's other writes,
#    each for SQLite's 5 s busy timeout, so politie is down meanwhile (its
#    heartbeats and receipts would add such writes and push the command
#    past the client's 10 s).
fails_then_resumes() {  # fails_then_resumes WHAT RESUMED ARGS...
    local what=$1 resumed=$2; shift 2
    kt_kill politie-test
    lock_db "$T/state-$UITV/node.db"
    if out=$(kt "$UITV" weegploeg "$@" 2>&1); then fail "the $what was sent with node.db locked: $out"; fi
    unlock_db
    grep -q "recorded but not sent yet" <<< "$out" || fail "$what: $out"
    kt_kill "$UITV"
    kt_start "$UITV"
    kt_start politie-test
    grep -q "$resumed" "$T/$UITV.log" || fail "the $what was not resumed"
}
fails_then_resumes change "agenda resume meeting=$M" agenda --meeting "$M" --location Y
fails_then_resumes decision "decision resume" decide "$A" --niet-agenderen --analysis x
has_decision() { [ "$(kt politie-test decision list --json | jq '.decisions | length')" = 1 ]; }
wait_until 20 has_decision || fail "politie did not get the decision"
wait_until 20 relay_settled || fail "the resumed copies were not receipted"
wait_until 10 is 3 MESSAGE_DELIVERED || fail "DELIVERED logged $(count MESSAGE_DELIVERED) times, want 3"
is 2 MESSAGE_SENT WEEGPLOEG_AGENDA || fail "agenda SENT $(count MESSAGE_SENT WEEGPLOEG_AGENDA) times, want 2"
is 1 MESSAGE_SENT WEEGPLOEG_DECISION || fail "decision SENT $(count MESSAGE_SENT WEEGPLOEG_DECISION) times, want 1"
is 1 WEEGPLOEG_DECIDED || fail "DECIDED logged $(count WEEGPLOEG_DECIDED) times, want 1"
verify
pass "resumed sends log MESSAGE_SENT and WEEGPLOEG_DECIDED once"

# 3. A changed agenda whose copies are kept but whose MESSAGE_SENT cannot
#    be appended (log.db locked): the copies stay held, not offered; the
#    next start logs them once, releases them, and the resume offers those
#    same copies ("message resumed") instead of sealing and logging new ones.
kt_kill politie-test
lock_db "$T/state-$UITV/log.db"
if out=$(kt "$UITV" weegploeg agenda --meeting "$M" --location Z 2>&1); then
    unlock_db
    fail "the agenda was sent with log.db locked: $out"
fi
unlock_db
grep -q "recorded but not sent yet" <<< "$out" || fail "held copies: $out"
held() { sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE state=3"; }
[ "$(held)" = 1 ] || fail "the agenda's copy is not held ($(held) held)"
kt_kill "$UITV"
kt_start "$UITV"
kt_start politie-test
grep -q "message resumed type=WEEGPLOEG_AGENDA" "$T/$UITV.log" || fail "the kept copy was not resumed"
wait_until 20 relay_settled || fail "the held copy was not delivered"
wait_until 10 is 4 MESSAGE_DELIVERED || fail "DELIVERED logged $(count MESSAGE_DELIVERED) times, want 4"
is 3 MESSAGE_SENT WEEGPLOEG_AGENDA || fail "agenda SENT $(count MESSAGE_SENT WEEGPLOEG_AGENDA) times, want 3"
[ "$(held)" = 0 ] || fail "a copy is still held"
verify
pass "copies kept before a failed log append are logged once and sent at the next start"

