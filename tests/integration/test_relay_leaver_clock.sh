#!/usr/bin/env bash
# docs/OPERATIONS.md, "Clocks": the uitvoerder withdraws the copies it
# keeps for a member once that member's leaves-at day has come - by its
# own wall clock, so only on a clock the federation confirms, as
# retention: an early withdrawal cannot be undone, a late one is made up
# at the next calendar check.  The uitvoerder alone restarted 100 days
# ahead (past om's leaves-at, politie's clock right) keeps om's copy; every
# clock 100 days on together withdraws it.
source "$(dirname "$0")/lib.sh"
O=om-test
P=politie-test
kt_federation "$O:om"
wait_until 10 link_up "$O" || fail "no link for $O"
kt_kill "$O"
kt "$UITV" member opzegging "$O" > /dev/null || fail "opzegging refused"
pending() { sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE recipient='$O' AND state IN (0, 3)"; }
[ "$(pending)" -ge 1 ] || fail "no copy kept for $O, which is down"
# grep -q may stop reading early: tail's SIGPIPE is no failure (pipefail).
since() { tail -n +"$((at + 1))" "$T/$UITV.log" || true; }

kt_restart_skewed "$UITV" +100d "$P"
at=$KT_AT
sleep 3
since | grep "relay withdrawn member=$O" && fail "a clock no peer confirms withdrew $O's copies"
[ "$(pending)" -ge 1 ] || fail "$O's copy is gone"
since | grep -q "relay expiry deferred: " || fail "the wait is not said"
pass "the uitvoerder alone 100 days ahead keeps the copies of a member whose leaves-at seems passed"

at=$(wc -l < "$T/$UITV.log")
kt_restart_all_at +100d "$UITV" "$P"
none() { [ "$(pending)" = 0 ]; }
wait_until 30 none || fail "$O's copies are kept past its leaves-at on a confirmed clock"
since | grep -q "relay withdrawn member=$O count=" || fail "no withdrawal line"
pass "every clock 100 days on: the copies of the member that left are withdrawn"
