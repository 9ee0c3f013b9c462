#!/usr/bin/env bash
# art. 7.2a, 13: the police representative's withdrawal records its
# subject's destruction as owed in its own commit.  A restore of a backup
# taken before the withdrawal decides the withdrawal again from the node's
# journal (forget.db); that decision must owe the destruction as the
# first did, or a destruction cut off before the restore (a failed write
# between the withdrawal's commit and the state destroying) is left to
# art. 13.3's 183 days.  A journal entry written before keten noted this
# owes it too: the rule is asked again on the restored signal.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/withdraw_lib.sh"
# The uitvoerder is restored from a backup, so its log goes back: a
# witness that saw a checkpoint past the backup raises the alarm, as it
# must (whether it saw one depends on timing); lib.sh fails on any other.
KT_LOG_ALARM_OK=1
withdraw_federation weegploeg.db-wal Terugtrek
W="$T/state-$UITV/weegploeg.db"
subj() { sqlite3 "$W" "SELECT count(*) FROM subject WHERE case_ref='$CASE'"; }
lstate() { sqlite3 "$W" "SELECT coalesce((SELECT state FROM lifecycle WHERE case_ref='$CASE'),-1)"; }

# How many writes an undisturbed withdrawal makes; then, from the last
# down, every write from k on failing, until the withdrawal is answered
# (its commit made) and its subject is left, not destroying: the gap.
drop; uitv_with 0; touch "$ARM"
withdraw_waiting | grep -q delivered || fail "undisturbed withdrawal"
C=$(tr -d ' ' < "$COUNT")
GAP=
for ((k = C; k >= 1; k--)); do
    uitv_with "$k" 1
    drop
    B="$T/backup-$k"; kt "$UITV" backup "$B" > /dev/null || fail "backup"
    touch "$ARM"
    grep -q delivered <<< "$(withdraw_waiting)" || break
    sleep 0.5
    if [ "$(subj)" = 1 ] && [ "$(lstate)" != 2 ] && [ "$(lstate)" != 3 ]; then GAP=$k; break; fi
done
[ -n "$GAP" ] || fail "no write between the withdrawal's commit and the state destroying fails it"
[ "$(sqlite3 "$W" "SELECT max(destroy_owed) FROM correction WHERE case_ref='$CASE'")" = 1 ] \
    || fail "the withdrawal does not owe its subject's destruction"
kt_kill "$UITV"
# The state as the gap left it, for a second restore with a journal
# entry as keten wrote it before it noted the destruction as owed.
cp -a "$T/state-$UITV" "$T/state-before"
pass "a withdrawal answered at write $GAP leaves its subject, its destruction owed"

# restored: restore the backup taken before the withdrawal, start, and
# check that the subject is destroyed by the start's retention run.
restored() {
    "$KETEN" -c "$T/$UITV.cfg" restore "$B" > "$T/restore.out" 2>&1 || fail "restore: $(cat "$T/restore.out")"
    [ "$(subj)" = 1 ] && [ "$(lstate)" = -1 ] || fail "the backup does not hold the subject as it was"
    kt_start "$UITV"
    wait_until 10 link_up politie-test || fail "no link after restore"
    gone() { [ "$(subj)" = 0 ] && [ "$(lstate)" = 3 ]; }
    wait_until 10 gone || fail "$1: the subject is left after the restore: rows=$(subj) state=$(lstate) destroy_owed=$(sqlite3 "$W" "SELECT coalesce(max(destroy_owed),-1) FROM correction WHERE case_ref='$CASE'")"
    [ "$(sqlite3 "$W" "SELECT count(*) FROM signal WHERE case_ref='$CASE'")" = 0 ] || fail "$1: the signal is back"
}
restored "journal with destroy_owed"
grep -q "restore redo .*kind=correct case_ref=$CASE" "$T/$UITV.log" || fail "the restore did not decide the withdrawal again"
pass "a restore decides the withdrawal again with its destruction owed, and the start destroys the subject"

kt_kill "$UITV"
rm -rf "$T/state-$UITV"; mv "$T/state-before" "$T/state-$UITV"
sqlite3 "$T/state-$UITV/forget.db" "UPDATE forgotten SET detail = json_remove (detail, '$.destroy_owed')
    WHERE kind='correct' AND case_ref='$CASE'"
[ "$(sqlite3 "$T/state-$UITV/forget.db" "SELECT count(*) FROM forgotten WHERE kind='correct'
    AND case_ref='$CASE' AND json_type (detail, '$.destroy_owed') IS NULL")" = 1 ] \
    || fail "the journal entry still says destroy_owed"
restored "journal from before destroy_owed"
! grep -q "Terugtrek[0-9]* Testpersoon" "$T"/*.log || fail "personal data in a journal"
pass "a journal entry from before keten noted it owes the destruction too"
