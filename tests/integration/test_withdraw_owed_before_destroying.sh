#!/usr/bin/env bash
# art. 7.2a: a withdrawal of a subject's only spool signal destroys the
# subject at once.  The withdrawal's own commit records that destruction
# as owed, so a failure between that commit and the state destroying -
# the withdrawal's correction steps or the destruction's first commit
# failing on weegploeg.db-wal, the withdrawal answered all the same -
# leaves it owed: the next start completes it (after the correction
# steps), and so does the next retention run once the disk is back,
# instead of art. 13.3's 183 days.  (A failure after the state
# destroying: tests/integration/test_withdraw_destroy_owed.sh.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/withdraw_lib.sh"
withdraw_federation weegploeg.db-wal Terugtrek
# drop_key: drop, and the new subject's key at the uitvoerder in KEY.
drop_key() {
    drop
    KEY=$(sqlite3 "$W" "SELECT hex(key_id) FROM subject WHERE case_ref='$CASE'")
    [ -n "$KEY" ] || fail "subject $N has no key at the uitvoerder"
}
W="$T/state-$UITV/weegploeg.db"
subj() { sqlite3 "$W" "SELECT count(*) FROM subject WHERE case_ref='${1:-$CASE}'"; }
lstate() { sqlite3 "$W" "SELECT coalesce((SELECT state FROM lifecycle WHERE case_ref='${1:-$CASE}'),-1)"; }
gone() { [ "$(subj "$@")" = 0 ] && [ "$(lstate "$@")" = 3 ]; }  # 3: destroyed (a tombstone)
# key KEY_ID: whether the keystore still holds that key (1) or not (0).
key() { sqlite3 "$T/state-$UITV/keystore.db" "SELECT count(*) FROM data_key WHERE hex(key_id)='$1'"; }
# gone_whole CASE KEY_ID: the subject destroyed, its key shredded.
gone_whole() { gone "$1" && [ "$(key "$2")" = 0 ]; }

# An undisturbed withdrawal, its writes to weegploeg.db-wal counted.
drop_key; uitv_with 0; touch "$ARM"
withdraw_waiting | grep -q delivered || fail "the undisturbed withdrawal was not delivered"
C=$(tr -d ' ' < "$COUNT")
wait_until 10 gone_whole "$CASE" "$KEY" || fail "an undisturbed withdrawal left the subject (rows $(subj), state $(lstate), key $(key "$KEY"))"
pass "an undisturbed withdrawal destroys the subject at once ($C writes to weegploeg.db-wal)"

# A write failing from the K-th on (K counted from the arming, after the
# drop) falls in one of three spans, in this order: the withdrawal's own
# commit (not answered: the police node retries it), between that commit
# and the state destroying (the gap the withdrawal's commit closes: the
# subject still there, not destroying), or past it (the destruction under
# way is completed as any).  probe K: one withdrawal with writes failing
# from the K-th on; R says which span.  A subject left in the gap must be
# destroyed by the next clean start: the next probe's (checked there), or
# the one after the scan.
declare -A RES=()
HITS=()
PREV=
check_prev() {
    [ -n "$PREV" ] || return 0
    gone_whole "$PREV" "$PREV_KEY" || fail "fault from write $PREV_K on: after a clean restart the withdrawn subject is still there (rows $(subj "$PREV"), state $(lstate "$PREV"), key $(key "$PREV_KEY"))"
    [ "$(sqlite3 "$T/state-$UITV/forget.db" "SELECT count(*) FROM forgotten WHERE kind='destroy' AND case_ref='$PREV'")" = 1 ] ||
        fail "fault from write $PREV_K on: the journal does not hold the destruction exactly once"
    pass "fault from weegploeg.db-wal write $PREV_K on: the owed destruction completed at the next start"
    PREV=
}
probe() {
    local k=$1 out
    uitv_with "$k" 1
    check_prev
    drop_key; touch "$ARM"
    out=$(withdraw_waiting)
    if ! grep -q delivered <<< "$out"; then
        R=unanswered
        # Its retry, once the uitvoerder is back, withdraws it and
        # destroys the subject; then the next probe starts clean.
        uitv_with 0
        wait_until 20 gone_whole "$CASE" "$KEY" ||
            fail "fault from write $k on: the withdrawal not answered was not completed by its retry (rows $(subj), state $(lstate))"
        pass "fault from weegploeg.db-wal write $k on: the withdrawal, not answered, is retried and destroys the subject"
        return
    fi
    sleep 0.5
    if [ "$(subj)" = 0 ] || [ "$(lstate)" = 2 ] || [ "$(lstate)" = 3 ]; then
        R=past
        return
    fi
    R=gap
    grep -q "withdrawal destroy_\(failed\|waits\) case_ref=$CASE" "$T/$UITV.log" ||
        fail "fault from write $k on: the destruction left owed is not said in the log"
    HITS+=("$k"); PREV=$CASE; PREV_K=$k; PREV_KEY=$KEY
}
# The first K past the state destroying, by bisection (the spans are in
# order), then every K below it, down to the withdrawal's own commit.
lo=1 hi=$((C + 1))
while [ "$lo" -lt "$hi" ]; do
    mid=$(((lo + hi) / 2))
    probe "$mid"; RES[$mid]=$R
    if [ "$R" = past ]; then hi=$mid; else lo=$((mid + 1)); fi
done
for ((k = lo - 1; k >= 1; k--)); do
    [ -n "${RES[$k]:-}" ] || { probe "$k"; RES[$k]=$R; }
    [ "${RES[$k]}" != unanswered ] || break
done
uitv_with 0
check_prev
[ "${#HITS[@]}" -gt 0 ] || fail "no fault fell between the withdrawal's commit and the state destroying (writes: $C)"
mapfile -t HITS < <(printf '%s\n' "${HITS[@]}" | sort -rn)

# A fault once only (the disk recovers): the hourly run, here started by
# hand, completes the destruction without a restart - once where the
# withdrawal's correction steps were cut off too (the run carries them out
# first: the lowest such writes), once where only the destruction's first
# commit failed (the highest).
# once K WANT: a withdrawal with the K-th write failing once; when that
# leaves the destruction owed with the correction's steps as WANT says
# (owed, complete), a retention run must complete it.  R: ran, or skipped.
steps_done() { sqlite3 "$W" "SELECT count(*) FROM correction WHERE case_ref='$CASE' AND casus_ms IS NOT NULL AND logged_ms IS NOT NULL AND sent_ms IS NOT NULL"; }
once() {
    local k=$1 want=$2
    R=skipped
    uitv_with "$k" 0
    drop_key; touch "$ARM"
    withdraw_waiting | grep -q delivered || fail "the withdrawal with write $k failing once was not delivered"
    sleep 0.5
    [ "$(subj)" = 1 ] || return 0
    case "$(lstate)" in 2 | 3) return 0 ;; esac
    if [ "$(steps_done)" = 1 ]; then [ "$want" = complete ] || return 0; else [ "$want" = owed ] || return 0; fi
    wait_until 20 kt_clock_confirmed "$UITV" || fail "the uitvoerder's clock is not confirmed"
    kt "$UITV" retention run > /dev/null || fail "retention run failed after write $k failed once"
    gone_whole "$CASE" "$KEY" ||
        fail "write $k failing once: the retention run did not complete the owed destruction (rows $(subj), state $(lstate), key $(key "$KEY"))"
    R=ran
    pass "weegploeg.db-wal write $k failing once (correction steps $want): a retention run completes the owed destruction"
}
for ((i = ${#HITS[@]} - 1; i >= 0; i--)); do once "${HITS[$i]}" owed; [ "$R" != ran ] || break; done
[ "$R" = ran ] || fail "no single failed write cut off the withdrawal's correction steps"
for k in "${HITS[@]}"; do once "$k" complete; [ "$R" != ran ] || break; done
[ "$R" = ran ] || fail "no single failed write cut off the destruction alone"
