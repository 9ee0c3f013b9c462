#!/usr/bin/env bash
# art. 15.2g, AVG art. 33: any node reports an incident; the uitvoerder
# registers it and shows the 72-hour deadline for notifying the Autoriteit
# Persoonsgegevens in status until the outcome is recorded, with the reason.
# A report is logged once, however often it has to be delivered.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"

if out=$(kt politie-test incident report --what "Laptop kwijt." --found "$(date +%FT%H:%M)" 2>&1); then
    fail "an incident without data kinds was accepted"
fi
echo "$out" | grep -q "data_kinds\|kinds of data" || fail "refusal unclear: $out"
kt politie-test incident report --what "Een USB-stick met een export is kwijt." \
    --found "$(date -d '-1 hour' +%FT%H:%M)" --data-kind signalen --data-kind naw --subjects 3 --wait \
    | grep -q delivered || fail "incident not delivered"
kt politie-test incident report --what "Verkeerd geadresseerde mail." \
    --found "$(date -d '-4 days' +%FT%H:%M)" --data-kind naw --subjects 1 --wait | grep -q delivered \
    || fail "second incident not delivered"
[ "$(kt "$UITV" incident list --json | jq '.incidents | length')" = 2 ] || fail "not registered"
[ "$(kt "$UITV" incident list --json | jq -r '[.incidents[].ap] | sort | join(",")')" = "OVERDUE,pending" ] \
    || fail "AP deadline states wrong"
[ "$(jfield "$UITV" '.incidents.open')" = 2 ] || fail "status does not show the open incidents"
[ "$(jfield "$UITV" '[.incidents.ap_pending[] | select(.overdue)] | length')" = 1 ] || fail "overdue not in status"
pass "reported incidents are registered with their AVG art. 33 deadline, shown in status"

I=$(kt "$UITV" incident list --json | jq -r '.incidents[] | select(.ap=="OVERDUE") | .id')
if kt "$UITV" incident close "$I" 2>/dev/null; then fail "closed without the AP outcome"; fi
kt "$UITV" incident close "$I" --ap-not-required "Versleuteld; geen risico voor betrokkenen." | grep -q closed \
    || fail "close failed"
kt "$UITV" incident show "$I" | grep -q "not required: Versleuteld" || fail "reason not shown"
[ "$(jfield "$UITV" '.incidents.open')" = 1 ] || fail "closed incident still open in status"
if kt politie-test incident list 2>/dev/null; then fail "a partner reads the register"; fi
kt "$UITV" incident report --what "Test door de uitvoerder." --found "$(date +%FT%H:%M)" \
    --data-kind geen --subjects 0 | grep -q registered || fail "the uitvoerder cannot register its own"

# The register fails after the log entry is written (its file is locked by
# another process here, as a crash there would leave it): no receipt, the
# reporter retries, and the retry is registered under that same entry.
lock_db "$T/state-$UITV/node.db"
MID=$(kt politie-test incident report --what "Een printer stond open." --found "$(date -d '-2 hours' +%FT%H:%M)" \
    --data-kind naw --subjects 1 | awk '{print $1}')
wait_until 30 grep -q "incident store_failed" "$T/$UITV.log" || fail "the register did not fail"
unlock_db
queue_empty() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
wait_until 30 queue_empty || fail "the report was not delivered after the register came back"
[ "$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM incident WHERE message_id=X'$MID'")" = 1 ] \
    || fail "the report is not registered once"
idx=$(sqlite3 "$T/state-$UITV/node.db" "SELECT log_index FROM incident WHERE message_id=X'$MID'")
[ "$(sqlite3 "$T/state-$UITV/log.db" "SELECT group_concat(idx) FROM entry WHERE instr(entry, X'$MID') > 0")" = "$idx" ] \
    || fail "the report is logged more than once, or not under its registered index"
pass "a report delivered again after a failed register is logged once, under the index it is registered with"
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
if strings "$T/state-$UITV/log.db" | grep -q "USB-stick"; then fail "the description is in the log"; fi
pass "the outcome is recorded with its reason; the log holds ids, not descriptions"
