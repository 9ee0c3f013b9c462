#!/usr/bin/env bash
# docs/OPERATIONS.md, "A member away for long" and "Clocks": a copy the
# uitvoerder keeps for a member expires when it is older than
# delivery/max-age-s - an age read off the uitvoerder's wall clock, so
# only on a clock the federation confirms: an early expiry cannot be
# undone (the member never gets the copy), a late one is made up at the
# next offer.  The copy is made while every clock runs 20 days behind;
# then the uitvoerder alone runs 12 days ahead (the copy seems 32 days
# old) with the members on the right clock: om comes online, the clocks
# disagree, and the copy does not expire.
source "$(dirname "$0")/lib.sh"
O=om-test
P=politie-test
kt_federation "$O:om"
wait_until 10 link_up "$O" || fail "no link for $O"
kt_kill "$O"
kt_restart_all_at -20d "$UITV" "$P"
wait_until 20 link_up "$P" || fail "no link at -20d"
kt "$UITV" member opzegging "$O" > /dev/null || fail "opzegging refused"
pending() { sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE recipient='$O' AND state IN (0, 3)"; }
expired() { sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE recipient='$O' AND state = 4"; }
[ "$(pending)" -ge 1 ] || fail "no copy kept for $O, which is down"

kt_kill "$P"
kt_kill "$UITV"
at=$(wc -l < "$T/$UITV.log")
KETEN_WRAP=$(kt_clock_wrap +12d) kt_start "$UITV"
kt_start "$P"
kt_start "$O"
# grep -q may stop reading early: tail's SIGPIPE is no failure (pipefail).
since() { tail -n +"$((at + 1))" "$T/$UITV.log" || true; }
o_online() { kt "$UITV" status --json | jq -e --arg o "$O" '.members[] | select(.id==$o) | .online' > /dev/null; }
wait_until 20 o_online || fail "$O is not online at the uitvoerder"
disagrees() { since | grep -q "clock disagrees peer=$O"; }
wait_until 10 disagrees || fail "the uitvoerder did not say that its clock and $O's disagree"
sleep 3 # heartbeats enough for the relay to offer (or expire) the copy
since | grep "relay expired peer=$O" && fail "a clock no peer confirms expired $O's copy"
[ "$(expired)" = 0 ] || fail "$O's copy is expired on record"
since | grep -q "relay expiry deferred: this node's clock is" || fail "the wait is not said"
pass "the uitvoerder alone 12 days ahead does not expire a copy that seems 32 days old"
