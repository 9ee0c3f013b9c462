#!/usr/bin/env bash
# art. 9-10: a decision to agenderen opens the case; the plan van aanpak
# goes to exactly its participants (externe casuspartners included); a
# participant contributes and reports on its own measures only; personal
# data reaches an externe casuspartner only with consent; the kernpartijen
# close the case.
source "$(dirname "$0")/lib.sh"
RK="$(cd "$(dirname "$0")/../.." && pwd)/configs/referentiekader-example.zpl"
G=gemeente-maastricht
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie "$G":gemeente rvdk-test:rvdk reclassering-test:reclassering nctv-test:extern; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" politie-test "$G" rvdk-test reclassering-test nctv-test
PORT=
kt_config "$UITV"; kt_start "$UITV"; kt_kill "$UITV"
printf 'weegploeg\n    referentiekader = "%s"\n' "$RK" >> "$T/$UITV.cfg"
kt_start "$UITV"
for id in politie-test "$G" rvdk-test reclassering-test nctv-test; do kt_config "$id"; kt_start "$id"; done
for id in politie-test "$G" rvdk-test reclassering-test nctv-test; do
    wait_until 10 link_up "$id" || fail "no link for $id"
done

kt_signal_file "$T/a.json" A-1
kt politie-test signal submit --file "$T/a.json" --wait | grep -q delivered || fail "signal not delivered"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --party "$G" --party rvdk-test \
    --party nctv-test --criterion geweld --analysis "Fictief." > /dev/null

yesterday=$(date -d yesterday +%F); later=$(date -d '+30 days' +%F)
cat > "$T/plan.json" <<JSON
{ "goals": [ { "kind": "deradicalisering", "text": "Afstand tot extremistisch netwerk." },
             { "kind": "zorg", "text": "Begeleiding door de jeugdzorg." } ],
  "measures": [ { "owner": "rvdk-test", "what": "Raadsonderzoek starten.", "due_on": "$later" },
                { "owner": "politie-test", "what": "Gesprek met betrokkene.", "due_on": "$yesterday" } ] }
JSON
jq '.measures[0].owner = "reclassering-test"' "$T/plan.json" > "$T/bad-plan.json"
if out=$(kt "$UITV" case plan "$A" --file "$T/bad-plan.json" 2>&1); then
    fail "a measure for a non-participant was accepted"
fi
echo "$out" | grep -q "not a participant" || fail "refusal unclear: $out"
kt "$UITV" case plan "$A" --file "$T/plan.json" > /dev/null
plan_v() { kt "$1" case list --json | jq -r --arg a "$A" '.cases[] | select(.case_ref==$a) | .plan_version'; }
has_v() { [ "$(plan_v "$1")" = "$2" ]; }
for id in politie-test "$G" rvdk-test nctv-test; do wait_until 10 has_v "$id" 1 || fail "$id has no plan v1"; done
[ "$(kt reclassering-test case list --json | jq '.cases | length')" = 0 ] || fail "a non-participant got the plan"
pass "the plan goes to every participant, the externe casuspartner included, and to nobody else"

# Contributions: a participant's is stored, a non-participant's refused and logged.
echo '[{"kind": "fact", "text": "Gezinssituatie onderzocht (fictief)."}]' > "$T/items.json"
kt rvdk-test case contribute "$A" --kind informatie --legal-basis avg-6-1-e --file "$T/items.json" --wait \
    | grep -q delivered || fail "contribution not delivered"
if out=$(kt reclassering-test case contribute "$A" --kind informatie --legal-basis avg-6-1-e \
        --file "$T/items.json" --wait 2>&1); then
    fail "a non-participant's contribution was accepted: $out"
fi
echo "$out" | grep -q "not a participant" || fail "refusal unclear: $out"
grep -q "contribution refused.*peer=reclassering-test" "$T/$UITV.log" || fail "attempt not logged"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT group_concat(sender) FROM contribution")" = rvdk-test ] \
    || fail "contributions stored wrongly"
pass "a participant contributes; a non-participant is refused and the attempt logged"

# Progress on its own measure makes plan v2; another's measure is refused.
M1=$(kt rvdk-test plan show "$A" --json | jq -r '.plan.measures[] | select(.owner=="rvdk-test") | .measure_id')
M2=$(kt rvdk-test plan show "$A" --json | jq -r '.plan.measures[] | select(.owner=="politie-test") | .measure_id')
if out=$(kt rvdk-test plan progress "$A" "$M2" --status done 2>&1); then fail "rvdk changed politie's measure"; fi
echo "$out" | grep -q "belongs to politie-test" || fail "refusal unclear: $out"
kt rvdk-test plan progress "$A" "$M1" --status in-progress --note "Gestart." --wait | grep -q delivered \
    || fail "progress not delivered"
for id in politie-test "$G" rvdk-test nctv-test; do wait_until 10 has_v "$id" 2 || fail "$id has no plan v2"; done
[ "$(kt politie-test plan show "$A" --json | jq -r --arg m "$M1" '.plan.measures[] | select(.measure_id==$m) | .status')" = in-progress ] \
    || fail "v2 does not carry the progress"
[ "$(kt politie-test plan show "$A" --version 1 --json | jq -r '.plan.version')" = 1 ] || fail "v1 not kept"
pass "progress on its own measure only; every version is kept"

[ "$(kt "$UITV" case list --json | jq -r '.cases[0].overdue')" = 1 ] || fail "uitvoerder does not show the overdue measure"
[ "$(kt politie-test case list --json | jq -r '.cases[0].overdue_own')" = 1 ] || fail "owner does not see its overdue measure"
[ "$(kt rvdk-test case list --json | jq -r '.cases[0].overdue_own')" = 0 ] || fail "rvdk shows another's overdue measure"
kt politie-test plan show "$A" | grep -q OVERDUE || fail "plan show does not mark it"
pass "an overdue measure shows at the uitvoerder and at its owner"

# art. 10.5: the externe casuspartner gets personal data only with consent.
if out=$(kt "$UITV" case disclose "$A" --to nctv-test --necessity "Nodig voor de analyse." \
        --data-kind gezinssituatie --legal-basis avg-6-1-e --file "$T/items.json" 2>&1); then
    fail "disclosure without consent"
fi
echo "$out" | grep -q "no consent" || fail "refusal unclear: $out"
if out=$(kt "$UITV" case disclose "$A" --to nctv-test --consent "$G" --necessity "Nodig." \
        --data-kind politie --legal-basis wpg-16 --file "$T/items.json" 2>&1); then
    fail "police data disclosed to an externe casuspartner"
fi
echo "$out" | grep -q "does not allow sharing with an externe" || fail "refusal unclear: $out"
if kt "$UITV" case disclose "$A" --to rvdk-test --consent "$G" --necessity x --data-kind y \
        --legal-basis avg-6-1-e --file "$T/items.json" 2>/dev/null; then
    fail "disclosure to a non-extern"
fi
kt "$UITV" case disclose "$A" --to nctv-test --consent "$G" --consent politie-test \
    --necessity "Nodig voor de risicoanalyse in het plan." --data-kind gezinssituatie \
    --legal-basis avg-6-1-e --file "$T/items.json" > /dev/null
disclosed() { [ "$(kt nctv-test case show "$A" --json | jq '.disclosures | length')" = 1 ]; }
wait_until 10 disclosed || fail "the disclosure did not arrive"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT necessity || '|' || data_kinds || '|' || consenting FROM disclosure")" \
    = "Nodig voor de risicoanalyse in het plan.|gezinssituatie|$G,politie-test" ] || fail "disclosure not recorded"
[ "$(sqlite3 "$T/state-nctv-test/node.db" "SELECT count(*) FROM outbox")" = 0 ] || true
for t in agenda decision_in; do
    [ "$(sqlite3 "$T/state-nctv-test/node.db" "SELECT count(*) FROM sqlite_master WHERE name='$t'")" = 0 ] \
        || fail "the externe casuspartner keeps $t"
done
pass "disclosure only with consent, necessity and data kinds recorded; police data never"

# Closure: the kernpartijen decide.
if out=$(kt "$UITV" case close "$A" --advice "Doelen bereikt." --decided-by rvdk-test 2>&1); then
    fail "a casuspartij closed the case"
fi
echo "$out" | grep -q "not a kernpartij" || fail "refusal unclear: $out"
kt "$UITV" case close "$A" --advice "Doelen bereikt." --decided-by politie-test --decided-by "$G" > /dev/null
closed() { [ "$(kt "$1" case list --json | jq -r '.cases[0].state')" = closed ]; }
for id in politie-test "$G" rvdk-test nctv-test; do wait_until 10 closed "$id" || fail "$id did not mark it closed"; done
[ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM closure WHERE case_ref='$A'")" = 1 ] \
    || fail "closure not in the weegploeg file"
if kt rvdk-test case contribute "$A" --kind informatie --legal-basis avg-6-1-e --file "$T/items.json" --wait 2>/dev/null; then
    fail "contribution to a closed case accepted"
fi
pass "the kernpartijen close the case; both files and every participant record it"

# The subject's trail in the provenance log (issue #4): the basis for inzage.
kt "$UITV" log show --case "$A" > "$T/trail.txt"
for words in "politie-test supplied a SIGNAL" "decided: agenderen" "sent a PLAN to rvdk-test" \
        "rvdk-test supplied a CASE_CONTRIBUTION" "disclosed data to nctv-test" "case was closed" \
        "a CASE_CONTRIBUTION from reclassering-test was refused" \
        "rvdk-test ($(id -un)) read the personal data (plan.show)" \
        "nctv-test ($(id -un)) read the personal data (case.show)"; do
    grep -q "$words" "$T/trail.txt" || fail "trail lacks '$words': $(cat "$T/trail.txt")"
done
if grep -q "Test Persoon" "$T/trail.txt"; then fail "personal data in the trail"; fi
[ "$(kt "$UITV" log show --case "$A" --json | jq '[.events[] | select(.event=="MESSAGE_DELIVERED")] | length')" -ge 4 ] \
    || fail "deliveries missing from the trail"
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "log show --case gives the subject's trail: supplied, decided, sent, delivered, disclosed, closed"
