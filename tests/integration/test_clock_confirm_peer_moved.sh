#!/usr/bin/env bash
# docs/OPERATIONS.md, "Confirming the clock by hand": the operator's
# confirmation is void once a peer's measured skew moves by more than
# clock-skew-ms from what it was when it was given.  A time source that
# slews moves the wall and the monotonic clock alike, which the step check
# does not see; the peers do.  Here the uitvoerder's clock moves 10 minutes
# (clock-skew-ms is 5) with libfaketime, never by shortening a period.
source "$(dirname "$0")/lib.sh"
P=politie-test
kt_federation
wait_until 10 link_up "$P" || fail "no link"
agreed() { [ "$(jfield "$P" .clock.agree)" = 1 ] && kt_clock_confirmed "$P"; }
wait_until 10 agreed || fail "$UITV never confirmed $P's clock"
out=$(kt "$P" clock confirm --hours 24) || fail "clock confirm refused: $out"
[ "$(jfield "$P" .clock.by_operator)" = false ] || fail "by_operator with a peer that agrees"
[ "$(jfield "$P" .clock.operator_left_s)" -gt 86000 ] || fail "the confirmation is not in force"
at=$(wc -l < "$T/$P.log")
# grep -q may stop reading early: tail's SIGPIPE is no failure (pipefail).
since() { tail -n +"$((at + 1))" "$T/$P.log" || true; }
pass "$P's clock confirmed by its operator, $UITV agreeing"

# ---- the uitvoerder's clock 10 minutes on: the confirmation is void ---------
kt_restart_skewed "$UITV" +600 "$P"
void() { since | grep -q "clock operator_confirmation_void peer=$UITV moved_s=\(599\|600\)"; }
wait_until 20 void || fail "$P did not say that the peer's moved clock voided the confirmation"
[ "$(jfield "$P" .clock.confirmed)" = false ] || fail "still confirmed: $(jfield "$P" .clock)"
[ "$(jfield "$P" .clock.operator_left_s)" = null ] || fail "the status still shows the confirmation"
out=$(kt "$P" retention run 2>&1) && fail "retention run went on after the peer's clock moved: $out"
echo "$out" | grep -q "waits for a clock the federation confirms" || fail "retention run: $out"
sleep 2 # more heartbeats: said once
[ "$(since | grep -c "operator_confirmation_void")" = 1 ] || fail "the voiding is not said once"
pass "a peer's skew that moves more than clock-skew-ms voids the operator's confirmation"
