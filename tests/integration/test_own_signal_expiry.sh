#!/usr/bin/env bash
# art. 13.1: a partner destroys its own signals that no retention notice
# tied to a subject 5 years (plus a day's grace) after it made them
# at the latest - its safety net for a notice that never came.  Like any
# destruction this is noted in the node's journal (forget.db) before
# anything is deleted: the sealed correction of such a signal goes from
# the journal with it, a copy taken before a migration goes, and a
# restore of an older backup forgets the signal again.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
P="$T/state-politie-test"
kt_signal_file "$T/s.json" R-1
sed -i "s/Test Persoon/Vangnet Testpersoon/" "$T/s.json"
jq '. + {items: [{kind: "fact", text: "Gezien (fictief)."}]}' "$T/s.json" > "$T/s2.json"
kt_delivered politie-test "$T/s2.json"
S=$KT_ID
A=$(kt "$UITV" signal list --json | jq -r --arg id "$S" '.signals[] | select(.message_id==$id) | .case_ref')
[ -n "$A" ] || fail "no case_ref for the signal"
# The signal corrected: the change is sealed in the politie node's journal.
echo '{"kind": "fact", "text": "Gezien bij Vangnet thuis (fictief)."}' > "$T/new.json"
kt "$UITV" correction decide "$A" --signal "$S" --item 0 --correct-file "$T/new.json" \
    --reason "Verzoek betrokkene (fictief)." > /dev/null || fail "no correction"
sealed() { sqlite3 "$P/forget.db" "SELECT count(*) FROM forgotten WHERE kind='correct' AND hex(signal)=upper('$S') AND sealed IS NOT NULL"; }
noted() { [ "$(sealed)" = 1 ]; }
wait_until 20 noted || fail "politie did not note the correction"
wait_until 20 relay_settled || fail "the correction's notice was not receipted"
sig_rows() { sqlite3 "$P/node.db" "SELECT count(*) FROM signal WHERE hex(message_id)=upper('$S')"; }
[ "$(sig_rows)" = 1 ] || fail "politie does not hold its signal"

# No notice ever comes: five years and a few days later the politie node
# meets an uitvoerder that knows nothing of the signal (its state gone,
# started afresh), whose heartbeat replies only confirm politie's clock -
# the safety net destroys nothing on a clock no peer confirms
# (docs/RETENTION.md, "A clock the federation confirms").  A copy taken
# before a migration is there (as an upgrade leaves it).
kt politie-test backup "$T/bk" > /dev/null || fail "no backup"
kt_kill "$UITV"; kt_kill politie-test
mkdir "$P/pre-migration-1"; cp "$P/node.db" "$P/pre-migration-1/node.db"
mv "$T/state-$UITV" "$T/state-$UITV.before"
KETEN_WRAP=$(kt_clock_wrap +1830d) kt_start "$UITV"
KETEN_WRAP=$(kt_clock_wrap +1830d) kt_start politie-test
expired() { [ "$(sig_rows)" = 0 ]; }
wait_until 20 expired || fail "the safety net did not destroy the own signal"
own_line() { grep -q "retention destroyed own_signals=1" "$T/politie-test.log"; }
wait_until 5 own_line || fail "no own_signals line"
entry=$(sqlite3 "$P/forget.db" "SELECT count(*) FROM forgotten WHERE kind='destroy' AND case_ref='' AND instr(ids, x'$S') > 0")
[ "$entry" = 1 ] || fail "the journal does not note the own signal's destruction ($entry entries)"
[ "$(sealed)" = 0 ] || fail "the destroyed signal's correction is still sealed in forget.db"
[ ! -e "$P/pre-migration-1" ] || fail "the copy taken before a migration still holds the destroyed signal"
pass "the safety net notes its destruction in the journal: the correction and the old copy go with the signal"

# A restore of the backup taken before: the replay forgets the signal
# again, by its ids (no subject to destroy), before the node serves.
kt_kill politie-test
"$KETEN" -c "$T/politie-test.cfg" restore "$T/bk" > "$T/restore.out" || fail "restore: $(cat "$T/restore.out")"
[ "$(sig_rows)" = 1 ] || fail "the restored files lack the signal"
KETEN_WRAP=$(kt_clock_wrap +1830d) kt_start politie-test
grep -q "restore redo seq=[0-9]* kind=destroy case_ref= *$" "$T/politie-test.log" ||
    fail "the replay did not redo the own signals' destruction"
[ "$(sig_rows)" = 0 ] || fail "the restore brought the destroyed own signal back"
[ "$(sqlite3 "$P/node.db" "SELECT count(*) FROM retain WHERE case_ref=''")" = 0 ] ||
    fail "the replay made a subject without a case_ref"
pass "a restore of an older backup forgets the expired own signal again"
