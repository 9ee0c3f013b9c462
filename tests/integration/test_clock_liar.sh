#!/usr/bin/env bash
# art. 13: a member that lies about its clock does not confirm a wrong
# uitvoerder clock (docs/RETENTION.md, "A clock the federation
# confirms"): the clock counts as confirmed only when more peers agree
# than disagree, so a tie - one lying member against one honest - is not
# enough, and a late deletion can still be made up.
#
# The uitvoerder is restarted 200 days ahead (a wrong RTC); the honest
# police node disagrees, so retention waits.  The hostile member
# (gemeente-maastricht: its ketend is not started, its own keys drive
# keten-member-flood) sends one heartbeat dated 200 days ahead, by the
# uitvoerder's own clock as its heartbeat replies show it.  The
# uitvoerder still destroys nothing: the clock is not confirmed, agree 1
# against disagree 1, and its status says no majority confirms it.
source "$(dirname "$0")/lib.sh"
P=politie-test
A=gemeente-maastricht
kt_uitvoerder_up "$A:gemeente" "om-test:om"
kt_config "$P"
kt_start "$P"
wait_until 10 link_up "$P" || fail "no link"
kt_signal_file "$T/s.json" R-1
kt_delivered "$P" "$T/s.json"
n_signals() { kt "$UITV" signal list --json | jq '.signals | length'; }
[ "$(n_signals)" = 1 ] || fail "the uitvoerder does not hold the signal"
# grep -q may stop reading early: tail's SIGPIPE is no failure (pipefail).
since() { tail -n +"$((KT_AT + 1))" "$T/$UITV.log" || true; }
clock() { kt "$UITV" status --json | jq -c .clock; }

kt_restart_skewed "$UITV" +200d "$P"
sleep 3 # past the start's window (heartbeat-timeout-ms), heartbeats enough
[ "$(jfield "$UITV" .clock.confirmed)" = false ] || fail "the honest member alone confirms: $(clock)"
since | grep -q "retention deferred" || fail "retention did not wait for the clock"

# 200 days in ms: the hostile heartbeat is dated by the uitvoerder's clock.
out=$(kt_member_flood "$A" heartbeat 1 $((200 * 86400 * 1000)))
said_agrees() { since | grep -q "clock agrees peer=$A"; }
wait_until 10 said_agrees || fail "the hostile heartbeat was not measured: $out"
sleep 2 # retention looks again every second
since | grep -q "retention resumed" && fail "one lying member confirmed the uitvoerder's wrong clock: $(clock)"
since | grep -q "retention destroyed" && fail "a wrong clock at the uitvoerder destroyed data"
[ "$(n_signals)" = 1 ] || fail "the signal is gone"
c=$(clock)
[ "$(jq -r .confirmed <<< "$c")" = false ] || fail "the clock counts as confirmed: $c"
[ "$(jq -r '"\(.agree) \(.disagree)"' <<< "$c")" = "1 1" ] || fail "not a tie: $c"
grep -q "ahead of $P's clock and no majority" <<< "$(jq -r .why <<< "$c")" ||
    fail "the status does not say why: $c"
jfield "$UITV" .alarms | grep -q clock_skew || fail "no clock_skew alarm on a tie: $(jfield "$UITV" .alarms)"
kt "$UITV" retention run > /dev/null 2>&1 && fail "retention run by hand went on on a tie"
pass "one lying member against one honest: the uitvoerder's wrong clock is not confirmed, nothing destroyed"
