#!/usr/bin/env bash
# A restore onto a node whose journal (forget.db) was begun anew - a new
# machine where ketend was started once before the restore - takes the
# backup's journal with its files: kept, the new empty journal would drop
# what the backup's knows, and a later restore of an older backup would
# bring back a subject destroyed between the two (art. 13).  A journal
# that was begun anew and noted something since is refused, by name.
# (docs/OPERATIONS.md, "What a restore does".)
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" R-1
kt_delivered politie-test "$T/s.json"
SID=$KT_ID
A=$(kt_case_of "$SID")
[ -n "$A" ] || fail "no case_ref for the signal"
kt "$UITV" weegploeg decide "$A" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." > /dev/null
P="$T/state-politie-test"
sig_rows() { sqlite3 "$1/node.db" "SELECT count(*) FROM signal WHERE hex(message_id)=upper('$SID')"; }
mkdir "$T/bk"; kt politie-test backup "$T/bk/old" > /dev/null || fail "backup"
[ "$(sig_rows "$T/bk/old")" = 1 ] || fail "the check cannot fail: the old backup lacks the signal"

# 183.5 days later the subject is destroyed (art. 13.3); a backup after.
kt_restart_all_at +4404h "$UITV" politie-test
gone() { [ "$(sig_rows "$P")" = 0 ]; }
wait_until 20 gone || fail "politie still holds the signal after 183.5 days"
kt politie-test backup "$T/bk/new" > /dev/null || fail "backup after the destruction"
[ "$(sqlite3 "$T/bk/new/forget.db" "SELECT count(*) FROM forgotten")" -gt 0 ] \
    || fail "the check cannot fail: the new backup's journal is empty"
kt_kill politie-test

# The machine is lost; on the new one ketend starts once, then the newest
# backup is restored.
mv "$P" "$T/lost"
WRAP=$(kt_clock_wrap +4404h)
KETEN_WRAP=$WRAP kt_start politie-test
kt_kill politie-test
[ "$(sqlite3 "$P/forget.db" "SELECT count(*) FROM forgotten")" = 0 ] || fail "the new node's journal is not empty"
restore() { "$KETEN" -c "$T/politie-test.cfg" restore "$1"; }
out=$(restore "$T/bk/new" 2>&1) || fail "restore of the new backup: $out"
[ "$(sqlite3 "$P/forget.db" "SELECT count(*) FROM forgotten")" -gt 0 ] \
    || fail "the restore kept the empty journal begun anew, not the backup's"
# The old backup, restored now, must destroy the subject again.
out=$(restore "$T/bk/old" 2>&1) || fail "restore of the old backup: $out"
grep -q "destroys again the 1 subject(s) destroyed" <<< "$out" || fail "the old backup's restore said: $out"
KETEN_WRAP=$WRAP kt_start politie-test
replayed() { grep -q "restore replayed" "$T/politie-test.log"; }
wait_until 20 replayed || fail "no replay"
[ "$(sig_rows "$P")" = 0 ] || fail "the restored node serves the destroyed subject's signal"
kt_kill politie-test
pass "a restore onto a journal begun anew takes the backup's; an older backup then forgets again"

# A journal begun anew that noted something: refused, nothing changed.
sqlite3 "$P/forget.db" "DELETE FROM forgotten; DELETE FROM restored;
    INSERT INTO forgotten (seq, at_ms, kind, case_ref) VALUES (1, 1, 'destroy', 'k-other')"
before=$(cd "$P" && sha256sum ./*.db)
out=$(restore "$T/bk/new" 2>&1) && fail "restore onto a journal of another line: $out"
grep -q "does not continue the backup's" <<< "$out" || fail "refusal unclear: $out"
[ "$before" = "$(cd "$P" && sha256sum ./*.db)" ] || fail "a refused restore changed the node's files"
pass "a journal begun anew that noted something since is refused by name"
