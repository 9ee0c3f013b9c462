#!/usr/bin/env bash
# A kind change withdraws only what was composed for the member's former
# kind.  A plan version is the same for every participant, and a closure
# and the casusoverleg's advice (art. 9.4) differ only for an externe
# casuspartner (art. 10.5: no advice): an OM that becomes a gemeente still
# gets the plan and the advice that waited for it, and decides on closure
# as a kernpartij; a casuspartij that becomes an externe casuspartner does
# not get the closure composed with the advice.  A weegploeg agenda kept
# before keten recorded whom a copy was composed for is taken, at the
# uitvoerder's start, as composed for the kind the member has then, and is
# withdrawn like any other at a later change.
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_uitvoerder_up om-test:om rvdk-test:rvdk
for id in politie-test om-test rvdk-test; do kt_config "$id"; kt_start "$id"; done
for id in politie-test om-test rvdk-test; do wait_until 10 link_up "$id" || fail "no link $id"; done
kt_signal_file "$T/s.json"
kt_delivered politie-test "$T/s.json"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --party om-test --party rvdk-test \
    --criterion geweld --analysis "Fictief." > /dev/null
later=$(date -d '+30 days' +%F)
plan() {
    cat > "$T/plan.json" <<JSON
{ "goals": [ { "kind": "zorg", "text": "Begeleiding $1." } ],
  "measures": [ { "owner": "rvdk-test", "what": "Raadsonderzoek starten.", "due_on": "$later" } ] }
JSON
    kt "$UITV" case plan "$A" --file "$T/plan.json" > /dev/null
}
plan 1
plan_of() { kt "$1" case list --json | jq -r --arg a "$A" '.cases[] | select(.case_ref==$a) | .plan_version'; }
has_plan() { [ "$(plan_of "$1")" = "$2" ]; }
for id in politie-test om-test rvdk-test; do wait_until 10 has_plan "$id" 1 || fail "$id has no plan"; done

# om-test is away while a plan version, the advice and a weegploeg agenda
# are made: they wait for it.
kt_kill om-test
plan 2
kt "$UITV" case advise "$A" --advice "Doelen bereikt." --json > "$T/advice.json"
[ "$(jq -r '.to_decide | sort | join(",")' "$T/advice.json")" = "om-test,politie-test" ] \
    || fail "the advice is not for om-test: $(cat "$T/advice.json")"
M=$(kt "$UITV" weegploeg agenda --start "$(date -d '+14 days' +%F)T10:00" --location "Zaal" \
    --duration 60 --case "$A" --json | jq -r .meeting_id)
PLAN=10 CLOSURE=12 WEEGPLOEG_AGENDA=6 # proto/keten.proto, MessageType
db() { sqlite3 "$T/state-$UITV/node.db" "$@"; }
relay_of() { db "SELECT count(*) FROM relay WHERE recipient='$1' AND $2"; }
[ "$(relay_of om-test "state=0 AND type IN ($PLAN, $CLOSURE, $WEEGPLOEG_AGENDA)")" = 3 ] \
    || fail "the plan, the advice and the agenda do not wait for om-test: the check cannot fail"

# The agenda as a copy kept before the upgrade that recorded made_for:
# the uitvoerder's next start notes it as composed for an OM.
kt_kill "$UITV"
db "UPDATE relay SET made_for='' WHERE recipient='om-test' AND type=$WEEGPLOEG_AGENDA;
    DELETE FROM meta WHERE key='relay_made_for_noted'"
kt_start "$UITV"
[ "$(relay_of om-test "type=$WEEGPLOEG_AGENDA AND state=0 AND made_for='om'")" = 1 ] \
    || fail "the agenda kept before made_for was not noted as composed for an OM"
grep -q "relay made_for_noted copies=1" "$T/$UITV.log" || fail "the start does not say what it noted"
for id in politie-test rvdk-test; do wait_until 10 link_up "$id" || fail "no link $id"; done
pass "a copy kept before made_for is noted at start as composed for the member's kind"

kt "$UITV" member kind om-test gemeente | grep -q "roster version 2" || fail "kind change failed"
kind_text="withdrawn: composed for the member's former kind"
[ "$(relay_of om-test "type=$WEEGPLOEG_AGENDA AND state=4 AND refusal='${kind_text//\'/\'\'}'")" = 1 ] \
    || fail "the OM's agenda still waits for the gemeente"
[ "$(relay_of om-test "type IN ($PLAN, $CLOSURE) AND state=0")" = 2 ] \
    || fail "the plan or the advice was withdrawn: $(db "SELECT type, state, made_for, refusal FROM relay WHERE recipient='om-test'")"
kt_start om-test
v2() { [ "$(jfield "$1" .roster_version)" = 2 ]; }
wait_until 20 v2 om-test || fail "om-test did not get roster version 2"
wait_until 20 has_plan om-test 2 || fail "the gemeente did not get plan version 2"
advised() { [ "$(kt om-test case show "$A" --json | jq -r '.closure_advice.advice')" = "Doelen bereikt." ]; }
wait_until 20 advised || fail "the gemeente did not get the advice"
! grep -q "agenda received .*meeting=$M" "$T/om-test.log" || fail "the OM's agenda reached the gemeente"
pass "the plan and the advice still reach om-test, a gemeente now; the OM's agenda does not"

# rvdk-test is away when the case closes; it becomes an externe
# casuspartner meanwhile: the closure kept for it carries the advice.
kt_kill rvdk-test
kt politie-test case close "$A" --decision close --wait | grep -q delivered || fail "politie's close not delivered"
kt om-test case close "$A" --decision close --wait | grep -q delivered || fail "the gemeente's close not delivered"
state() { kt "$1" case list --json | jq -r --arg c "$A" '.cases[] | select(.case_ref==$c) | .state'; }
closed() { [ "$(state "$1")" = closed ]; }
for id in "$UITV" politie-test om-test; do wait_until 10 closed "$id" || fail "$id did not mark the case closed"; done
waits() { [ "$(relay_of rvdk-test "type=$CLOSURE AND state=0")" = 1 ]; }
wait_until 10 waits || fail "no closure waits for rvdk-test: the check cannot fail"
kt "$UITV" member kind rvdk-test extern | grep -q "roster version 3" || fail "kind change to extern failed"
[ "$(relay_of rvdk-test "type=$CLOSURE AND state=4 AND refusal='${kind_text//\'/\'\'}'")" = 1 ] \
    || fail "the closure with the advice still waits for the externe casuspartner"
pass "a closure composed with the advice is withdrawn from a member that becomes an externe casuspartner"

# What the withdrawals left is on record, nothing owed, no bytes kept.
wait_until 20 relay_settled rvdk-test || fail "relay not settled"
[ "$(db "SELECT count(*) FROM relay WHERE refusal GLOB 'withdrawn:*' AND (log_owed=1 OR length(header)>0)")" = 0 ] \
    || fail "a withdrawn copy is owed or keeps its bytes"
! grep -q "Test Persoon\|Doelen bereikt" "$T"/*.log || fail "personal data in a journal"
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "all on record; the log verifies"
