#!/usr/bin/env bash
# A member's incident the uitvoerder logged but did not register (a crash
# came between its log entry and its register row) is registered under
# that entry when the member's outbox sends it again - and that retry
# takes nothing of the member's 20 incidents an hour: the log is looked
# up before the budget, as for an access notice.  The retry is the same
# envelope, byte for byte (keten-member-flood's FLOOD_SAVE/FLOOD_REPLAY).
source "$(dirname "$0")/lib.sh"
A=gemeente-maastricht
kt_uitvoerder_up "$A:gemeente"

q() { sqlite3 "$T/state-$UITV/node.db" "$1"; }
registered() { q "SELECT count(*) FROM incident WHERE reporter='$A'"; }
of_id() { q "SELECT count(*) || '|' || ifnull(max(log_index), '') FROM incident WHERE hex(message_id)=upper('$ID')"; }
refused_budget() {
    kt "$UITV" log show --type MESSAGE_REFUSED --limit 10000 --json |
        jq --arg n "$A" '[.events[] | select(.node == $n and (.what | startswith("incident budget")))] | length'
}

ID=$(openssl rand -hex 16)
FLOOD_ID=$ID FLOOD_SAVE="$T/incident.env" kt_member_flood "$A" incident 1 > /dev/null
first=$(of_id)
[ "${first%%|*}" = 1 ] || fail "the incident was not registered: $first"

# The crash case: its log entry stays, its register row is gone.
kt_kill "$UITV"
q "DELETE FROM incident WHERE hex(message_id)=upper('$ID')"
kt_start "$UITV"
FLOOD_REPLAY="$T/incident.env" kt_member_flood "$A" incident 1 > /dev/null
[ "$(of_id)" = "$first" ] || fail "the retry is not registered under its log entry: $(of_id), was $first"
[ "$(grep -c "incident registered id=.* reporter=$A log_index=${first#*|}\$" "$T/$UITV.log")" = 2 ] ||
    fail "the retry was not registered (and receipted) again"
pass "an incident logged but not registered is registered under its entry when sent again"

# The retry took nothing of the hour's budget: 20 more are registered.
kt_member_flood "$A" incident 20 > /dev/null
[ "$(registered)" = 21 ] || fail "$(registered) incidents registered, want the retry and 20 more"
[ "$(refused_budget)" = 0 ] || fail "$(refused_budget) refused past the budget, want none"
! grep -q "incident_flood peer=$A" "$T/$UITV.log" || fail "the retry counted towards incident_flood"
kt_member_flood "$A" incident 1 > /dev/null
[ "$(registered)" = 21 ] || fail "the 21st of the hour was registered"
[ "$(refused_budget)" = 1 ] || fail "the 21st of the hour was not refused past the budget"
pass "the retry takes nothing of the budget: 20 more registered, the 21st refused"
kt "$UITV" log verify > /dev/null || fail "log verify fails"
