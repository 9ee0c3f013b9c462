#!/usr/bin/env bash
# A member is judged online by its own heartbeat interval, not by the
# uitvoerder's timeout alone (docs/PROTOCOL.md, "Heartbeats";
# docs/CONFIG.md, transport/heartbeat-ms): a member that beats every 3 s
# (its timeout 10 s, a valid choice) under an uitvoerder whose timeout is
# 2 s says its interval in its heartbeat and stays online, without
# flapping to offline between two beats; the uitvoerder keeps offering
# it its copies; once it stops it is offline within three of its
# intervals.
source "$(dirname "$0")/lib.sh"
kt_uitvoerder_up
kt_config politie-test
sed -i 's/heartbeat-ms = 200$/heartbeat-ms = 3000/; s/heartbeat-timeout-ms = 2000$/heartbeat-timeout-ms = 10000/' \
    "$T/politie-test.cfg"
grep -q "heartbeat-ms = 3000" "$T/politie-test.cfg" || fail "the member's interval not set"
grep -q "heartbeat-timeout-ms = 2000" "$T/$UITV.cfg" || fail "the uitvoerder's timeout is not 2 s"
kt_start politie-test
wait_until 15 link_up politie-test || fail "no link"
state() { kt "$UITV" status --json | jq -c '.members[0] | [.online, .alarms, .heartbeat_ms]'; }
said() { [ "$(state)" = '[true,[],3000]' ]; }
wait_until 10 said || fail "the member's interval is not known: $(state)"
# Over 3 of its intervals, sampled every 0.3 s: online every time.
end=$((SECONDS + 10))
while [ $SECONDS -lt $end ]; do
    s=$(state)
    [ "$s" = '[true,[],3000]' ] || fail "the member flapped offline between its heartbeats: $s"
    sleep 0.3
done
# What the uitvoerder sends it is still offered (the relay's test is the same).
kt "$UITV" incident report --what "Een USB-stick is kwijt." \
    --found "$(TZ=Europe/Amsterdam date +%Y-%m-%dT%H:%M)" --data-kind naw --subjects 1 > /dev/null
taken() { [ "$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE state IN (0, 3)")" = 0 ] \
    && [ "$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE state=1")" -ge 1 ]; }
wait_until 20 taken || fail "the copy did not reach the member"
pass "a member with a longer heartbeat interval than the uitvoerder's timeout stays online"

# It stops: offline within 3 x 3 s (and a scrape's second), not never.
kt_kill politie-test
t0=$SECONDS
offline() { [ "$(kt "$UITV" status --json | jq -c '.members[0] | [.online, .alarms]')" = '[false,["offline"]]' ]; }
wait_until 15 offline || fail "the member is not shown offline: $(state)"
[ $((SECONDS - t0)) -ge 5 ] || fail "offline after $((SECONDS - t0)) s, before 2 of its heartbeats were missed"
pass "a member that stops is offline within three of its own intervals"
