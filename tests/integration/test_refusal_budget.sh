#!/usr/bin/env bash
# An admitted member cannot grow the uitvoerder's log without bound by
# sending what the rules refuse: each member's first 100 refusals of an
# hour are logged one by one (MESSAGE_REFUSED), the rest are answered and
# counted, and the count is logged in one entry when the hour is over (or
# ketend stops).  The member's status row carries the refusal_flood alarm;
# another member's refusals are its own budget.
source "$(dirname "$0")/lib.sh"
kt_federation reclassering-test:reclassering
for id in politie-test reclassering-test; do wait_until 10 link_up "$id" || fail "no link for $id"; done

echo '[{"kind": "fact", "text": "Fictief."}]' > "$T/items.json"
N=130
# Contributions to a case nobody has: refused by rule at the uitvoerder.
for i in $(seq 1 $N); do
    kt reclassering-test case contribute k-00000000000000aa --kind informatie --legal-basis avg-6-1-e \
        --file "$T/items.json" > /dev/null || fail "submit $i failed"
done
refused() { [ "$(jfield reclassering-test .outbox.refused)" -ge "$1" ]; }
wait_until 60 refused $N || fail "$(jfield reclassering-test .outbox.refused) of $N refusals answered"
logged() {
    kt "$UITV" log show --type MESSAGE_REFUSED --limit 1000 --json \
        | jq --arg n "$1" '[.events[] | select(.node == $n)] | length'
}
[ "$(logged reclassering-test)" = 100 ] || fail "$(logged reclassering-test) refusals logged one by one, want 100"
flood() { jfield "$UITV" '.members[] | select(.id=="reclassering-test") | .alarms | index("refusal_flood") != null'; }
[ "$(flood)" = true ] || fail "no refusal_flood alarm"
[ "$(jfield "$UITV" '.members[] | select(.id=="politie-test") | .alarms | index("refusal_flood") != null')" = false ] \
    || fail "another member got the alarm"
grep -q "refusal_flood peer=reclassering-test" "$T/$UITV.log" || fail "the flood is not in the journal"
pass "the first 100 refusals are logged, the rest answered and counted, the alarm names the member"

# Another member's refusals are its own budget.
kt politie-test case contribute k-00000000000000bb --kind informatie --legal-basis avg-6-1-e \
    --file "$T/items.json" --wait > /dev/null 2>&1 && fail "politie's contribution was accepted"
[ "$(logged politie-test)" = 1 ] || fail "politie's refusal not logged: $(logged politie-test)"
# Stopping puts the count on record.
kt_kill "$UITV"
kt_start "$UITV"
summary=$(kt "$UITV" log show --type MESSAGE_REFUSED --limit 1000 --json \
    | jq -r '[.events[] | select(.node == "reclassering-test") | .what | select(startswith("refusal budget"))] | .[0]')
grep -q "$((N - 100)) further refusals" <<< "$summary" || fail "count not logged: $summary"
kt "$UITV" log verify > /dev/null || fail "log verify fails"
pass "another member's refusals are logged; the counted ones are logged once at stop"
