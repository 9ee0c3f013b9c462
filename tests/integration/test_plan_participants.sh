#!/usr/bin/env bash
# art. 9-10: a party added to a case by a later decision gets the plan
# versions that follow, a progress report's version included (it is made
# from the version before, whose list of participants did not name it).
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie "$G":gemeente rvdk-test:rvdk reclassering-test:reclassering; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" politie-test "$G" rvdk-test reclassering-test
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
for id in politie-test "$G" rvdk-test reclassering-test; do kt_config "$id"; kt_start "$id"; done
for id in politie-test "$G" rvdk-test reclassering-test; do
    wait_until 10 link_up "$id" || fail "no link for $id"
done

kt_signal_file "$T/a.json" A-1
kt politie-test signal submit --file "$T/a.json" --wait | grep -q delivered || fail "signal not delivered"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --party "$G" --party rvdk-test \
    --criterion geweld --analysis "Fictief." > /dev/null || fail "no decision"
later=$(date -d '+30 days' +%F)
cat > "$T/plan.json" <<JSON
{ "goals": [ { "kind": "zorg", "text": "Begeleiding (fictief)." } ],
  "measures": [ { "owner": "rvdk-test", "what": "Raadsonderzoek (fictief).", "due_on": "$later" } ] }
JSON
kt "$UITV" case plan "$A" --file "$T/plan.json" > /dev/null || fail "no plan"
plan_v() { kt "$1" case list --json | jq -r --arg a "$A" '.cases[] | select(.case_ref==$a) | .plan_version'; }
has_v() { [ "$(plan_v "$1")" = "$2" ]; }
for id in politie-test "$G" rvdk-test; do wait_until 10 has_v "$id" 1 || fail "$id has no plan v1"; done

# A later decision adds reclassering-test to the case.
kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --party "$G" --party rvdk-test \
    --party reclassering-test --criterion geweld --analysis "Fictief, uitgebreid." > /dev/null \
    || fail "no second decision"
M=$(kt rvdk-test plan show "$A" --json | jq -r '.plan.measures[0].measure_id')
kt rvdk-test plan progress "$A" "$M" --status in-progress --note "Gestart." --wait | grep -q delivered \
    || fail "progress not delivered"
for id in politie-test "$G" rvdk-test reclassering-test; do
    wait_until 10 has_v "$id" 2 || fail "$id has no plan v2: $(plan_v "$id")"
done
if grep -q "plan refused" "$T/reclassering-test.log"; then fail "reclassering-test refused a plan version"; fi
pass "a party added by a later decision gets the version a progress report makes"
