#!/usr/bin/env bash
# The uitvoerder watches the whole federation (docs/OPERATIONS.md,
# "Monitoring the federation"), so it sees what a member cannot tell by
# itself and what only the member knows: its own copies to the member not
# yet receipted (relay_pending, relay_oldest_ms; the relay_backlog alarm
# once the oldest waited a minute while the member was online), and the
# member's own storage alarm, which the member's heartbeat carries
# (storage_failing).  A member whose node.db is locked takes no copy and
# says so; the uitvoerder's status, --check and metrics show both, and
# both end once the file is free again.
source "$(dirname "$0")/lib.sh"
kt_uitvoerder_up
kt_kill "$UITV"
metrics_on "$UITV"
kt_start "$UITV"
kt_config politie-test
kt_start politie-test
wait_until 10 link_up politie-test || fail "no link"
row() { kt "$UITV" status --json | jq -c '.members[] | select(.id=="politie-test")'; }
field() { row | jq -r "$1"; }
[ "$(field '[.relay_pending, .relay_oldest_ms, .storage_failing] | @csv')" = '0,0,false' ] \
    || fail "a quiet member: $(row)"

# politie's node.db is held by another process; an incident goes to it.
lock_db "$T/state-politie-test/node.db"
kt "$UITV" incident report --what "Een USB-stick is kwijt." \
    --found "$(TZ=Europe/Amsterdam date +%Y-%m-%dT%H:%M)" --data-kind naw --subjects 1 > /dev/null
failing() { field '.alarms | index("storage_failing") != null' | grep -qx true; }
wait_until 20 failing || fail "the member's storage alarm does not reach the uitvoerder: $(row)"
[ "$(field .relay_pending)" = 1 ] || fail "the copy waiting for politie is not counted: $(row)"
[ "$(field .online)" = true ] || fail "politie is not online: $(row)"
kt "$UITV" status | grep -q "^politie-test: a database file at the member fails its writes" \
    || fail "the text does not say the member's storage fails: $(kt "$UITV" status)"
pass "the member's own storage alarm reaches the uitvoerder in its heartbeat; its copy is counted"

# A minute on, still unreceipted while politie is online: relay_backlog.
backlog() { field '.alarms | index("relay_backlog") != null' | grep -qx true; }
wait_until 90 backlog || fail "no relay_backlog: $(row)"
[ "$(field '.relay_oldest_ms >= 60000')" = true ] || fail "the oldest copy's age: $(row)"
rc=0; out=$(kt "$UITV" status --check) || rc=$?
[ $rc = 2 ] && grep -q "2 member alarm(s), 1 of 1 online" <<< "$out" || fail "--check (rc $rc): $out"
kt "$UITV" status | grep -Eq "^politie-test .* 1, 1 min [0-9]+ s old +relay_backlog,storage_failing$" \
    || fail "the member table: $(kt "$UITV" status)"
ep=$(jfield "$UITV" .metrics_listen)
prom=$(http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r')
L='member="politie-test",kind="politie",role="kernpartij"'
for want in "keten_member_relay_pending{$L} 1" "keten_member_alarm{$L,alarm=\"relay_backlog\"} 1" \
    "keten_member_alarm{$L,alarm=\"storage_failing\"} 1"; do
    grep -qxF "$want" <<< "$prom" || fail "no '$want' in the metrics: $(grep politie <<< "$prom")"
done
grep -qE "^keten_member_relay_oldest_seconds\{$L\} ([6-9][0-9]|1[0-9][0-9])\.[0-9]{3}$" <<< "$prom" \
    || fail "relay_oldest_seconds: $(grep relay_oldest <<< "$prom")"
pass "a copy unreceipted a minute for an online member raises relay_backlog, in --check and metrics"

# The file is free again: the copy is taken, both alarms end.
unlock_db
quiet() { [ "$(field '[.relay_pending, .relay_oldest_ms, (.alarms | length)] | @csv')" = '0,0,0' ]; }
wait_until 90 quiet || fail "the alarms do not end: $(row)"
pass "once the member takes it, relay_pending is 0 and neither alarm is raised"
