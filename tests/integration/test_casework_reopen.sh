#!/usr/bin/env bash
# art. 8.5, 9.4, 8.2f: a case the kernpartijen closed that the weegploeg puts
# on the agenda again is open again at the uitvoerder and at every
# participant, and the closure procedure works again from scratch: a new
# advice, each kernpartij involved decides at its own node, the case closes
# again everywhere, and the second closure is on record.  A decision on the
# advice of the first round is refused.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
PARTS=(politie-test "$G" rvdk-test nctv-test)
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie "$G":gemeente rvdk-test:rvdk nctv-test:extern; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" "${PARTS[@]}"
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
for id in "${PARTS[@]}"; do kt_config "$id"; kt_start "$id"; done
for id in "${PARTS[@]}"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

kt_signal_file "$T/p0.json" P-1
jq '.items = [{kind: "fact", text: "Waarneming (fictief)."}]' "$T/p0.json" > "$T/p.json"
kt politie-test signal submit --file "$T/p.json" --wait | grep -q delivered || fail "signal not delivered"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
agenderen() {
    kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --party "$G" --party rvdk-test \
        --party nctv-test --criterion geweld --analysis "$1" > /dev/null
}
agenderen "Fictief."
later=$(date -d '+30 days' +%F)
cat > "$T/plan.json" <<JSON
{ "goals": [ { "kind": "zorg", "text": "Begeleiding." } ],
  "measures": [ { "owner": "rvdk-test", "what": "Raadsonderzoek starten.", "due_on": "$later" } ] }
JSON
case_field() { kt "$1" case list --json | jq -r --arg a "$A" ".cases[] | select(.case_ref==\$a) | .$2"; }
state() { case_field "$1" state; }
closed() { [ "$(state "$1")" = closed ]; }
open() { [ "$(state "$1")" = open ]; }
# plan_is ID: the participant has the uitvoerder's newest plan version.
plan_is() { [ "$(case_field "$1" plan_version)" = "$(case_field "$UITV" plan_version)" ]; }
advised() { [ "$(kt "$1" case show "$A" --json | jq -r '.closure_advice.advice')" = "$2" ]; }
kt "$UITV" case plan "$A" --file "$T/plan.json" > /dev/null
for id in "${PARTS[@]}"; do wait_until 10 plan_is "$id" || fail "$id has no plan"; done

# The first round: advice, politie decides close.  A second close of
# politie's on the same advice stays queued at its node (it is stopped
# before the uitvoerder is back); the gemeente's close then closes the case.
kt "$UITV" case advise "$A" --advice "Doelen bereikt." > /dev/null
for id in politie-test "$G"; do wait_until 10 advised "$id" "Doelen bereikt." || fail "$id no advice"; done
kt politie-test case close "$A" --decision close --wait | grep -q delivered || fail "politie's close"
kt_kill "$UITV"
OLD=$(kt politie-test case close "$A" --decision close | awk '$2 == "queued" {print $1}')
[ -n "$OLD" ] || fail "politie's second decision was not queued"
kt_kill politie-test
kt_start "$UITV"
kt "$G" case close "$A" --decision close --wait | grep -q delivered || fail "the gemeente's close"
for id in "$UITV" "$G" rvdk-test nctv-test; do wait_until 10 closed "$id" || fail "$id not closed"; done
pass "the first closure (politie away, its stale decision queued)"

# The weegploeg puts the subject on the agenda again: the case is open
# again at the uitvoerder, the first round's advice gone from its list.
agenderen "Opnieuw geagendeerd (fictief)."
[ "$(state "$UITV")" = open ] || fail "the uitvoerder did not reopen the case"
[ "$(kt "$UITV" case list --json | jq --arg a "$A" '.cases[] | select(.case_ref==$a) | has("closure_advice")')" \
    = false ] || fail "the reopened case still shows the old advice: $(kt "$UITV" case list --json)"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT count(*) FROM casus WHERE case_ref='$A'
    AND closed_ms IS NULL AND closure IS NULL AND closure_step=0")" = 1 ] \
    || fail "the reopened case keeps its old closure at the uitvoerder"
# Every participant learns it (politie when it is back, after the closure
# it missed), and none keeps the old closure or advice.
kt_start politie-test
for id in "${PARTS[@]}"; do
    wait_until 20 open "$id" || fail "$id still shows the case $(state "$id") after it was agendered again"
    wait_until 10 plan_is "$id" || fail "$id lacks the plan version of the reopening"
    [ "$(kt "$id" case show "$A" --json | jq 'has("closure") or has("closure_advice")')" = false ] \
        || fail "$id keeps the old closure or advice: $(kt "$id" case show "$A" --json)"
done
# politie's decision on the first round's advice reaches the uitvoerder now,
# and is refused: it must not close the case again.
refused_old() { grep -q "case_decision refused id=$OLD peer=politie-test" "$T/$UITV.log"; }
wait_until 20 refused_old || fail "the decision on the old advice was not refused"
[ "$(state "$UITV")" = open ] || fail "a decision on the old advice closed the reopened case"
if out=$(kt politie-test case close "$A" --decision close 2>&1); then
    fail "a kernpartij decided on the reopened case without a new advice: $out"
fi
grep -q "no advice of the casusoverleg" <<< "$out" || fail "refusal unclear: $out"
pass "agendered again, the case is open at the uitvoerder and at every participant"

# The second round, from scratch: a new plan, a new advice, each kernpartij.
kt "$UITV" case plan "$A" --file "$T/plan.json" > /dev/null
for id in "${PARTS[@]}"; do wait_until 10 plan_is "$id" || fail "$id lacks the new plan"; done
kt "$UITV" case advise "$A" --advice "Weer bereikt." > /dev/null
for id in politie-test "$G"; do wait_until 10 advised "$id" "Weer bereikt." || fail "$id no new advice"; done
[ "$(kt "$UITV" case list --json | jq -r --arg a "$A" '.cases[] | select(.case_ref==$a)
    | .closure_advice.still_to_decide | sort | join(",")')" = "$G,politie-test" ] \
    || fail "decisions of the first round count for the new advice"
kt politie-test case close "$A" --decision close --wait | grep -q delivered || fail "politie's new close"
[ "$(state "$UITV")" = open ] || fail "one kernpartij's decision closed the case"
kt "$G" case close "$A" --decision close --wait | grep -q delivered || fail "the gemeente's new close"
for id in "$UITV" "${PARTS[@]}"; do wait_until 10 closed "$id" || fail "$id did not close it again"; done
[ "$(kt politie-test case show "$A" --json | jq -r '.closure.advice')" = "Weer bereikt." ] \
    || fail "politie's closure is not the second one"
[ "$(kt nctv-test case show "$A" --json | jq -r '.closure.decided_by | sort | join(",")')" = "$G,politie-test" ] \
    || fail "the externe casuspartner does not learn who decided"
# Both closures on record: the log, the weegploeg file (art. 8.2f), the figures.
[ "$(kt "$UITV" log show --case "$A" --json | jq '[.events[] | select(.event=="CASE_CLOSED")] | length')" = 2 ] \
    || fail "CASE_CLOSED is not logged once per closure"
[ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(DISTINCT closed_ms) FROM closure WHERE case_ref='$A'")" = 2 ] \
    || fail "the weegploeg file does not record the second closure"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT sum(n) FROM figure WHERE kind='case-closed'")" = 2 ] \
    || fail "the figures do not count both closures"
pass "the case closes again at the uitvoerder and every participant; both closures are on record"

kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "the log verifies"
