#!/usr/bin/env bash
# A signal deleted at the uitvoerder stays deleted, and a deletion never
# leaves the provenance log with a gap:
# - a signal its sender withdrew, whose first receipt the sender never
#   got, comes again from its outbox: it is answered with its first log
#   entry and not stored again (its id stays in the trail);
# - while the log owes the entries of signals stored without them (a
#   failed log commit, docs/ARCHITECTURE.md rule 2), the uitvoerder decides
#   no deletion: the owed entries go at the indices the rows hold.
source "$(dirname "$0")/lib.sh"
kt_need_faultfs
kt_federation
wait_until 10 link_up politie-test || fail "politie never saw the uitvoerder"
received() {  # received ID: MESSAGE_RECEIVED entries for ID
    kt "$UITV" log show --type MESSAGE_RECEIVED --limit 1000 --json |
        jq --arg id "$1" '[.events[] | select(.message_id == $id)] | length'
}

kt_signal_file "$T/s1.json" DEL-1
kt_delivered politie-test "$T/s1.json"
id=$KT_ID
# The sealed header the politie node keeps and sends again from its outbox.
sqlite3 "$T/state-politie-test/node.db" \
    "SELECT writefile('$T/header.bin', body) FROM signal WHERE hex(message_id)=upper('$id')" > /dev/null
[ -s "$T/header.bin" ] || fail "no header kept for $id"
out=$(kt politie-test signal withdraw "$id" --reason "Onjuist ingestuurd (fictief)." --wait)
grep -q delivered <<< "$out" || fail "the withdrawal was not delivered: $out"
[ "$(jfield "$UITV" .stored.signals)" = 0 ] || fail "the withdrawn signal is still stored"

# Its first receipt lost: the politie node's outbox offers it again.
kt_kill politie-test
"$KETEN_BIN/tests/keten-envelope-make" "$T/keys/politie-test.secret" "$T/roster.txt" \
    "$UITV_KEY" --header "$T/header.bin" "$T/again.bin" || fail "no envelope made"
transport=$(awk '/transport-public/ {print $3}' "$T/keys/$UITV.pub")
"$KETEN_BIN/tests/keten-peer-send" "$T/keys/politie-test.secret" "$transport" \
    "tcp://127.0.0.1:$PORT" "$T/again.bin" > "$T/send.out" || fail "not sent: $(cat "$T/send.out")"
grep -q "answers=[1-9]" "$T/send.out" || fail "no answer: $(cat "$T/send.out")"
grep -q "signal repeated id=$id sender=politie-test log_index=[0-9]*: deleted since" "$T/$UITV.log" ||
    fail "the repeat was not recognised as a deleted signal's"
[ "$(jfield "$UITV" .stored.signals)" = 0 ] || fail "the withdrawn signal was stored again"
[ "$(received "$id")" = 1 ] || fail "$(received "$id") arrivals logged for $id, want 1"
kt "$UITV" log verify > /dev/null || fail "log verify fails"
pass "a withdrawn signal sent again is answered with its first entry and not stored again"

# Every sync of log.db's write-ahead log failing: the drain's signal is
# stored, its entry owed.  No deletion is decided meanwhile.
kt_start politie-test
wait_until 10 link_up politie-test || fail "no link after the restart"
ARM="$T/armed"
kt_kill "$UITV"
KETEN_WRAP=$(kt_fault_wrap KETEN_FAULT_ARM="$ARM" KETEN_FAULT_SYNCS=1 KETEN_FAULT_SUFFIX=/log.db-wal \
    KETEN_FAULT_AT=1 KETEN_FAULT_ALL=1 KETEN_FAULT_COUNT="$T/count") \
    kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link after the uitvoerder's restart"
touch "$ARM"
kt_signal_file "$T/s2.json" DEL-2
kt politie-test signal submit --file "$T/s2.json" > /dev/null || fail "the second signal was not taken"
stored_one() { [ "$(jfield "$UITV" .stored.signals)" = 1 ]; }
wait_until 10 stored_one || fail "the second signal was not stored"
grep -q "log commit_failed" "$T/$UITV.log" || fail "no failed log commit"
id2=$(kt "$UITV" signal list --json | jq -r '.signals[0].message_id')
case2=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
rc=0
out=$(kt "$UITV" correction decide "$case2" --signal "$id2" --delete --reason "Fictief." 2>&1) || rc=$?
[ $rc != 0 ] && grep -q "the provenance log owes the entries of signals stored without them" <<< "$out" ||
    fail "a deletion was decided while the log owed entries: exit $rc, $out"
[ "$(jfield "$UITV" .stored.signals)" = 1 ] || fail "the signal whose entry is owed was deleted"

# Restarted without the fault, the log takes the owed entry at its
# index, and the deletion is decided.
kt_kill "$UITV"
kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link after the uitvoerder's second restart"
[ "$(received "$id2")" = 1 ] || fail "$(received "$id2") arrivals logged for $id2 after the restart"
kt "$UITV" correction decide "$case2" --signal "$id2" --delete --reason "Fictief." > /dev/null ||
    fail "the deletion was refused once the log was whole"
[ "$(jfield "$UITV" .stored.signals)" = 0 ] || fail "the signal was not deleted"
kt "$UITV" log verify > /dev/null || fail "log verify fails"
pass "no deletion while the log owes an entry; decided once the entry is written, the log whole"
