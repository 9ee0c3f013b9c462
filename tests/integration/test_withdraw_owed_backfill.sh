#!/usr/bin/env bash
# art. 7.2a, 13: a police representative's withdrawal of a subject's last
# signal owes the subject's destruction.  A release before keten recorded
# that (correction.destroy_owed) left a withdrawal whose destruction could
# not begin - a failed write between its commit and the state destroying
# - to art. 13.3's six months.  The first start of this release marks such
# a withdrawal as owed once, from what the files hold, and destroys its
# subject; it marks nothing else: not a subject with a signal left, nor
# one whose last signal the police withdrew itself (no representative),
# nor one whose representative's withdrawal left a signal that the police
# withdrew later.  An owed destruction shows in keten retention status
# (case_ref, since when; no personal data) until it is done.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/withdraw_lib.sh"
withdraw_federation weegploeg.db-wal Achterstand
W="$T/state-$UITV/weegploeg.db"
subj() { sqlite3 "$W" "SELECT count(*) FROM subject WHERE case_ref='$1'"; }
sigs() { sqlite3 "$W" "SELECT count(*) FROM signal WHERE case_ref='$1'"; }
lstate() { sqlite3 "$W" "SELECT coalesce((SELECT state FROM lifecycle WHERE case_ref='$1'),-1)"; }
owed() { sqlite3 "$W" "SELECT coalesce(max(destroy_owed),-1) FROM correction WHERE case_ref='$1'"; }

# as_person NAME: the next signal file, about NAME, in $F (its local_ref $REF).
as_person() {
    N=$((N + 1)); REF="B-$N"; F="$T/b$N.json"
    kt_signal_file "$F" "$REF"
    sed -i "s/Test Persoon/$1 Testpersoon/" "$F"
}
# spooled NAME / submitted NAME: a signal about NAME through the spool (the
# representative's) or the local API (not), delivered; its id in SID, its
# case at the uitvoerder in CASE.
spooled() {
    as_person "$1"
    cp "$F" "$SPOOL/.b$N.tmp" && mv "$SPOOL/.b$N.tmp" "$SPOOL/b$N.json"
    dl() { [ "$(kt politie-test signal list --json | jq -r --arg r "$REF" '.signals[] | select(.local_ref==$r) | .state')" = delivered ]; }
    wait_until 20 dl || fail "spool signal $REF not delivered"
    SID=$(kt politie-test signal list --json | jq -r --arg r "$REF" '.signals[] | select(.local_ref==$r) | .message_id')
    CASE=$(kt_case_of "$SID")
    [ -n "$CASE" ] || fail "signal $REF has no case_ref at the uitvoerder"
}
submitted() {
    as_person "$1"
    kt_delivered politie-test "$F"
    SID=$KT_ID
    CASE=$(kt_case_of "$SID")
    [ -n "$CASE" ] || fail "signal $REF has no case_ref at the uitvoerder"
}
withdrawn() { withdraw_waiting | grep -q delivered || fail "the withdrawal of $1 was not answered"; }

# K: two spool signals about one person; the representative withdraws one.
spooled Kept; K=$CASE; K1=$SID
spooled Kept; [ "$CASE" = "$K" ] || fail "the second signal about one person is another subject"
SID=$K1; withdrawn K
# L: a spool signal and an API signal about one person; the representative
# withdraws the spool one (the API one stays), then the police the other.
spooled Later; L=$CASE; L_SPOOL=$SID
submitted Later; [ "$CASE" = "$L" ] || fail "the API signal about the same person is another subject"
L_API=$SID
SID=$L_SPOOL; withdrawn L
SID=$L_API; withdrawn "L's API signal"
# P: an API signal only, withdrawn by the police.
submitted Politie; P=$CASE; withdrawn P
for c in "$K" "$L" "$P"; do [ "$(subj "$c")" = 1 ] || fail "subject $c was destroyed by its withdrawal"; done
[ "$(sigs "$K")" = 1 ] && [ "$(sigs "$L")" = 0 ] && [ "$(sigs "$P")" = 0 ] || fail "the withdrawals left other signals than meant"

# G: a representative's withdrawal answered while one write to
# weegploeg.db-wal fails, the k-th from the last down, until one leaves
# its subject, not destroying: as a release before left one whose
# destruction could not begin (a failing write from k on would not do: the
# commit it fails, which the disk does not let ketend make void either,
# comes back when the file is opened again).
spooled Weg; uitv_with 0; touch "$ARM"
withdrawn "the undisturbed one"
C=$(tr -d ' ' < "$COUNT")
G=
for ((k = C; k >= 1; k--)); do
    uitv_with "$k" 0
    spooled Weg
    KEY=$(sqlite3 "$W" "SELECT hex(key_id) FROM subject WHERE case_ref='$CASE'")
    touch "$ARM"
    grep -q delivered <<< "$(withdraw_waiting)" || continue
    sleep 0.5
    if [ "$(subj "$CASE")" = 1 ] && [ "$(lstate "$CASE")" != 2 ] && [ "$(lstate "$CASE")" != 3 ]; then G=$CASE; break; fi
done
[ -n "$G" ] || fail "no write between the withdrawal's commit and the state destroying fails it"
[ "$(owed "$G")" = 1 ] || fail "the withdrawal does not owe its subject's destruction"
grep -q "withdrawal destroy_\(failed\|waits\) case_ref=$G" "$T/$UITV.log" || fail "the owed destruction is not said"
WITHDRAWN=$(sqlite3 "$W" "SELECT min(decided_ms) FROM correction WHERE case_ref='$G' AND destroy_owed=1")

# keten retention status lists it: the case_ref, when it was withdrawn, how
# long it has been owed (as of the answer's now_ms); no name.
kt "$UITV" retention status --json > "$T/rs.json" || fail "retention status"
jq -e --arg g "$G" --argjson w "$WITHDRAWN" '[.withdrawals_owed[] | select(.case_ref == $g
    and .withdrawn_ms == $w)] | length == 1' "$T/rs.json" > /dev/null \
    || fail "retention status does not list the owed withdrawal: $(jq -c .withdrawals_owed "$T/rs.json")"
jq -e --arg g "$G" '.now_ms as $now | .withdrawals_owed[] | select(.case_ref == $g)
    | .owed_s == (($now - .withdrawn_ms) / 1000 | floor)' "$T/rs.json" > /dev/null \
    || fail "the owed time is not the time since the withdrawal: $(cat "$T/rs.json")"
jq -e '.withdrawals_owed | length == 1' "$T/rs.json" > /dev/null \
    || fail "retention status lists other subjects as owed: $(jq -c .withdrawals_owed "$T/rs.json")"
kt "$UITV" retention status > "$T/rs.txt"
grep -q "destructions owed to a representative's withdrawal (art. 7.2a): 1" "$T/rs.txt" &&
    grep -q "^$G " "$T/rs.txt" || fail "the text does not list the owed withdrawal: $(cat "$T/rs.txt")"
! grep -qi "Achterstand\|Testpersoon\|Weg" "$T/rs.txt" "$T/rs.json" || fail "personal data in retention status"
pass "retention status lists the owed withdrawal: its case_ref, since when, for how long"

# The state a release before left: correction at schema version 2, without
# the mark (nor its index), on the stopped uitvoerder.
kt_kill "$UITV"
[ "$(subj "$G")" = 1 ] && [ "$(lstate "$G")" != 2 ] && [ "$(lstate "$G")" != 3 ] ||
    fail "the stopped uitvoerder's files do not hold the subject left (state $(lstate "$G"))"
sqlite3 "$W" "DROP INDEX correction_destroy_owed;
    ALTER TABLE correction DROP COLUMN destroy_owed;
    ALTER TABLE correction DROP COLUMN request_due_ms;
    DROP TABLE IF EXISTS destroy_owed_backfill;
    UPDATE schema_version SET version=2 WHERE module='correction';"
[ "$(subj "$G")" = 1 ] && [ "$(sigs "$G")" = 0 ] || fail "the subject left is not as a release before left it"

# Its start: G marked and destroyed before anything is served, the others
# kept; its key shredded, the destruction journalled and logged once.
kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link"
[ "$(subj "$G")" = 0 ] && [ "$(lstate "$G")" = 3 ] ||
    fail "the start left the owed withdrawal's subject (rows $(subj "$G"), state $(lstate "$G"))"
[ "$(sqlite3 "$T/state-$UITV/keystore.db" "SELECT count(*) FROM data_key WHERE hex(key_id)='$KEY'")" = 0 ] ||
    fail "the subject's key was not shredded"
[ "$(sqlite3 "$T/state-$UITV/forget.db" "SELECT count(*) FROM forgotten WHERE kind='destroy' AND case_ref='$G'")" = 1 ] ||
    fail "the journal does not hold the destruction once"
grep -q "withdrawal destroy_owed_marked case_ref=$G " "$T/$UITV.log" || fail "the mark is not said in the log"
grep -q "backup pre_migration dir=" "$T/$UITV.log" &&
    ! compgen -G "$T/state-$UITV/pre-migration-*" > /dev/null ||
    fail "the copy taken before the migration stays, with the destroyed subject in it"
grep -q "withdrawal subject_destroyed case_ref=$G" "$T/$UITV.log" || fail "the destruction is not said in the log"
for c in "$K" "$L" "$P"; do
    [ "$(subj "$c")" = 1 ] && [ "$(lstate "$c")" != 2 ] && [ "$(lstate "$c")" != 3 ] ||
        fail "the start destroyed subject $c, which no representative's withdrawal emptied"
    [ "$(owed "$c")" = 0 ] || fail "subject $c is marked as owed"
done
[ "$(sigs "$K")" = 1 ] || fail "K's signal is gone"
[ "$(sqlite3 "$W" "SELECT version FROM schema_version WHERE module='correction'")" -ge 4 ] &&
    [ "$(sqlite3 "$W" "SELECT count(*) FROM destroy_owed_backfill")" = 0 ] || fail "the marking is not done once"
kt "$UITV" retention status --json | jq -e '.withdrawals_owed == []' > /dev/null ||
    fail "retention status still lists an owed withdrawal"
kt "$UITV" log verify > /dev/null || fail "the log does not verify"
pass "the first start marks the withdrawal a release before left as owed and destroys its subject, and only it"

# Once: a later start marks nothing.
kt_kill "$UITV"; kt_start "$UITV"
[ "$(grep -c "withdrawal destroy_owed_marked" "$T/$UITV.log")" = 1 ] || fail "a later start marked again"
for c in "$K" "$L" "$P"; do [ "$(subj "$c")" = 1 ] || fail "a later start destroyed $c"; done
! grep -q "Achterstand\|Kept Testpersoon\|Later Testpersoon\|Politie Testpersoon\|Weg Testpersoon" "$T"/*.log ||
    fail "personal data in a journal"
pass "a later start marks nothing"
