#!/usr/bin/env bash
# art. 15.2g: every kernpartij holds the incident register.  A register
# copy the node refused (one that overtook the roster making it a
# kernpartij: docs/ROSTER.md) is sent again at the uitvoerder's next
# start - a copy made again, under an origin of its own, since the send
# takes any copy kept under the first origin for a resumed one and would
# keep nothing - and once it is delivered, no later start sends it again.
source "$(dirname "$0")/lib.sh"
kt_federation om-test:om
for id in politie-test om-test; do wait_until 10 link_up "$id" || fail "no link $id"; done
kt politie-test incident report --what "Laptop kwijt." \
    --found "$(TZ=Europe/Amsterdam date -d '-1 hour' +%FT%H:%M)" --data-kind naw --subjects 1 \
    --wait | grep -q delivered || fail "incident not delivered"
db() { sqlite3 "$T/state-$UITV/node.db" "$@"; }
INCIDENT_REGISTER=21 # proto/keten.proto, MessageType
register() { db "SELECT count(*) FROM relay WHERE recipient='om-test' AND type=$INCIDENT_REGISTER AND $1"; }
received() { [ "$(grep -c "incident register received" "$T/om-test.log")" = "$1" ]; }
wait_until 20 received 1 || fail "om-test did not get the register"
wait_until 20 relay_settled || fail "relay not settled"

# As the node would have answered a copy that came before its roster.
kt_kill "$UITV"
db "UPDATE relay SET state=2, refusal='this node keeps no incident register (art. 4: kernpartijen only)'
    WHERE recipient='om-test' AND type=$INCIDENT_REGISTER"
kt_start "$UITV"
wait_until 20 received 2 || fail "the refused register copy was not sent again: $(db "SELECT origin, state FROM relay WHERE recipient='om-test' AND type=$INCIDENT_REGISTER")"
delivered() { [ "$(register "state=1")" = 1 ]; }
wait_until 20 delivered || fail "the copy made again was not delivered"
[ "$(register "state=2")" = 1 ] || fail "the refusal is not kept on record"
[ "$(grep -c "incident register_sent copies=1" "$T/$UITV.log")" = 1 ] || fail "the start does not say it sent one"
pass "a register copy the node refused is sent again at the next start"

kt_kill "$UITV"
kt_start "$UITV"
wait_until 10 link_up om-test || fail "no link om-test"
[ "$(register "1")" = 2 ] || fail "a later start sent the register again"
[ "$(grep -c "incident register_sent" "$T/$UITV.log")" = 1 ] || fail "a later start says it sent the register"
pass "once delivered, no later start sends it again"
