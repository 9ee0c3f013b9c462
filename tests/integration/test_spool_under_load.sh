#!/usr/bin/env bash
# The police spool is not starved by a steady load on the local API: while
# bursts of submissions keep a group commit running beside the loop almost
# all the time, a file dropped in the spool is still claimed, stored and
# forwarded within seconds, exactly once.
source "$(dirname "$0")/lib.sh"
kt_spool_federation
kt_signal_file "$T/s.json" LOAD
# The load: enough signals for well over the time the spool may take,
# 1,000 in flight (bounded: it stops by itself).
"$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/s.json" -n 400000 \
    --inflight 1000 > "$T/load.out" 2>&1 &
LOAD=$!
s_cleanup() {
    local rc=$?
    kill $LOAD 2> /dev/null || true
    wait $LOAD 2> /dev/null || true
    kt_cleanup "$rc"
}
trap s_cleanup EXIT
load_started() { [ "$(sqlite3 "$T/state-politie-test/node.db" 'SELECT count(*) FROM signal')" -gt 20000 ]; }
wait_until 20 load_started || fail "the load did not start"
kt_signal_file "$SPOOL/.spooled.tmp" SPOOLED
mv "$SPOOL/.spooled.tmp" "$SPOOL/spooled.json"
# Not starved: stored while the load goes on (76-151 ms here; 413-1,120
# ms when scans waited for a moment without a commit; a bound, not a
# measurement).
spooled() { [ "$(sqlite3 "$T/state-politie-test/node.db" "SELECT count(*) FROM signal WHERE local_ref='SPOOLED'")" = 1 ]; }
wait_until 5 spooled || fail "the spool file was not stored within 5 s under load"
kill -0 $LOAD 2> /dev/null || fail "the load ended before the spool file was stored: not a test of it"
pass "a spool file is stored within seconds while the local API is under load"
delivered() {  # its receipt kept, and the file out of work/
    [ "$(sqlite3 "$T/state-politie-test/node.db" "SELECT count(*) FROM outbox o JOIN signal s
        ON s.message_id = o.id WHERE s.local_ref = 'SPOOLED' AND o.state <> 0 AND o.log_index IS NOT NULL")" = 1 ] &&
        [ ! -e "$SPOOL_STATE/work/spooled.json" ]
}
wait_until 10 delivered || fail "the spool file was not forwarded"
kill $LOAD 2> /dev/null || true
wait $LOAD 2> /dev/null || true
[ "$(sqlite3 "$T/state-politie-test/node.db" "SELECT count(*) FROM signal WHERE local_ref='SPOOLED'")" = 1 ] ||
    fail "the spool file was stored more than once"
pass "forwarded once"
