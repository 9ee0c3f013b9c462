#!/usr/bin/env bash
# What duplicate_instance must not take for a copy of the node: a member
# killed (-9) and started again at once, while the uitvoerder still counts
# its last run as alive - several times over; a member that stalls past
# the online window and goes on (the same run, silent a while); and its
# reconnect to an uitvoerder that restarted.  Each is one run at a time:
# no alarm, no journal line, at the uitvoerder or at the member.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
online() { [ "$(kt "$UITV" status --json | jq -r '.members[] | select(.id=="politie-test") | .online')" = true ]; }
row() { kt "$UITV" status --json | jq -c '.members[] | select(.id=="politie-test") | .alarms'; }
# quiet_for S: neither the uitvoerder's row nor the member raises it in S
# seconds of heartbeats (every 200 ms).
quiet_for() {
    local until=$((SECONDS + $1))
    while [ $SECONDS -lt $until ]; do
        [ "$(kt "$UITV" status --json |
            jq '[.members[] | select(.id=="politie-test") | .alarms | index("duplicate_instance")] | .[0]')" = null ] ||
            fail "duplicate_instance at the uitvoerder: $(row)"
        [ "$(jfield politie-test '.alarms | index("duplicate_instance")')" = null ] ||
            fail "duplicate_instance at the member: $(jfield politie-test .alarms)"
        sleep 0.2
    done
}

for n in 1 2 3; do
    kt_kill politie-test KILL
    kt_start politie-test
    wait_until 10 link_up politie-test || fail "no link after restart $n"
    wait_until 10 online || fail "not online after restart $n"
    quiet_for 2
done
[ "$(grep -c 'instance=' "$T/politie-test.log")" = 4 ] || fail "four runs expected in the journal"
pass "killed and started again at once, three times: one run at a time, no alarm"

# Stalled past the online window (heartbeat-timeout-ms 2 s), then on.
kill -STOP "${KT_PID[politie-test]}"
offline() { ! online; }
wait_until 10 offline || fail "politie did not go offline while stopped"
kill -CONT "${KT_PID[politie-test]}"
wait_until 10 online || fail "not online after the stall"
quiet_for 2
pass "a member silent past the online window and back: no alarm"

# The uitvoerder restarts: the member reconnects, the same run.
kt_kill "$UITV" KILL
kt_start "$UITV"
wait_until 10 online || fail "not online after the uitvoerder's restart"
quiet_for 2
! grep -q "duplicate_instance" "$T/$UITV.log" "$T/politie-test.log" || fail "a journal line: $(grep -h duplicate_instance "$T"/*.log)"
pass "a reconnect to a restarted uitvoerder: no alarm, no journal line"
