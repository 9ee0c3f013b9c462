#!/usr/bin/env bash
# art. 15.2g, AVG art. 33: any node reports an incident; the uitvoerder
# registers it and shows the 72-hour deadline for notifying the Autoriteit
# Persoonsgegevens in status until the outcome is recorded, with the reason.
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
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
if strings "$T/state-$UITV/log.db" | grep -q "USB-stick"; then fail "the description is in the log"; fi
pass "the outcome is recorded with its reason; the log holds ids, not descriptions"
