#!/usr/bin/env bash
# art. 9-10: a decision to agenderen opens the case; the plan van aanpak
# goes to exactly its participants (externe casuspartners included); a
# participant contributes and reports on its own measures only; personal
# data reaches an externe casuspartner only with the consent of the party
# it came from; the kernpartijen close the case on the casusoverleg's advice,
# each at its own node, and a closure a crash left unsent goes out on the
# next start (test_casework.sh has those decisions' rules in full).  What a sender chose never reaches the provenance log, and the
# advice and the necessity are never kept in the clear.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_keys "$UITV" uitvoerder
# extern2-test is on the roster but never runs (it is revoked below).
for spec in politie-test:politie "$G":gemeente rvdk-test:rvdk reclassering-test:reclassering \
        nctv-test:extern extern2-test:extern; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" politie-test "$G" rvdk-test reclassering-test nctv-test extern2-test

# in_clear TEXT FILE...: TEXT is readable in one of the files.
in_clear() { local text=$1; shift; grep -aqF "$text" "$@" 2> /dev/null; }
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
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
grep -q "not a participant" <<< "$out" || fail "refusal unclear: $out"
kt "$UITV" case plan "$A" --file "$T/plan.json" > /dev/null
plan_v() { kt "$1" case list --json | jq -r --arg a "${3:-$A}" '.cases[] | select(.case_ref==$a) | .plan_version'; }
has_v() { [ "$(plan_v "$@")" = "$2" ]; }   # has_v ID VERSION [CASE]
for id in politie-test "$G" rvdk-test nctv-test; do wait_until 10 has_v "$id" 1 || fail "$id has no plan v1"; done
[ "$(kt reclassering-test case list --json | jq '.cases | length')" = 0 ] || fail "a non-participant got the plan"
pass "the plan goes to every participant, the externe casuspartner included, and to nobody else"

# Contributions: a participant's is stored, a non-participant's refused and logged.
echo '[{"kind": "fact", "text": "Gezinssituatie onderzocht (fictief)."}]' > "$T/items.json"
C1=$(kt rvdk-test case contribute "$A" --kind informatie --legal-basis avg-6-1-e --file "$T/items.json" \
    --wait | awk '$2 == "delivered" {print $1}')
[ -n "$C1" ] || fail "contribution not delivered"
if out=$(kt reclassering-test case contribute "$A" --kind informatie --legal-basis avg-6-1-e \
        --file "$T/items.json" --wait 2>&1); then
    fail "a non-participant's contribution was accepted: $out"
fi
grep -q "not a participant" <<< "$out" || fail "refusal unclear: $out"
grep -q "contribution refused.*peer=reclassering-test" "$T/$UITV.log" || fail "attempt not logged"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT group_concat(sender) FROM contribution")" = rvdk-test ] \
    || fail "contributions stored wrongly"
pass "a participant contributes; a non-participant is refused and the attempt logged"

# A case_ref not in keten's form is the sender's own text: the refusal is
# logged without it.  One in keten's form is logged with the refusal.
for ref in x-Jansen-Piet-1970 k-00000000000000ff; do
    if kt rvdk-test case contribute "$ref" --kind informatie --legal-basis avg-6-1-e \
            --file "$T/items.json" --wait > /dev/null 2>&1; then
        fail "a contribution to the unknown case $ref was accepted"
    fi
done
refusals() { kt "$UITV" log show --case "$1" --json | jq '[.events[] | select(.event=="MESSAGE_REFUSED")] | length'; }
[ "$(refusals k-00000000000000ff)" = 1 ] || fail "a refusal is not logged with its well-formed case_ref"
[ "$(refusals x-Jansen-Piet-1970)" = 0 ] || fail "a sender's malformed case_ref is in the provenance log"
if in_clear Jansen "$T/state-$UITV"/log.db*; then fail "the sender's text is in the log file"; fi
pass "a refused message's case_ref reaches the provenance log only in keten's form"

# A crash between the log entry and the store (here: the casusoverleg file
# is locked): no receipt, and the retry is stored under that same entry.
lock_db "$T/state-$UITV/casusoverleg.db"
CID=$(kt rvdk-test case contribute "$A" --kind netwerk --legal-basis avg-6-1-e --file "$T/items.json" \
    | awk '{print $1}')
wait_until 30 grep -q "casus store_failed id=$CID" "$T/$UITV.log" || fail "the store did not fail"
unlock_db
stored() { [ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT count(*) FROM contribution WHERE message_id=X'$CID'")" = 1 ]; }
wait_until 30 stored || fail "the contribution was not stored when the file came back"
[ "$(kt "$UITV" log show --case "$A" --json | jq --arg id "$CID" \
    '[.events[] | select(.message_id==$id and .event=="MESSAGE_RECEIVED")] | length')" = 1 ] \
    || fail "a contribution delivered twice is logged twice"
pass "a contribution delivered again after a failed store is logged once"

# Progress on its own measure makes plan v2; another's measure is refused.
M1=$(kt rvdk-test plan show "$A" --json | jq -r '.plan.measures[] | select(.owner=="rvdk-test") | .measure_id')
M2=$(kt rvdk-test plan show "$A" --json | jq -r '.plan.measures[] | select(.owner=="politie-test") | .measure_id')
if out=$(kt rvdk-test plan progress "$A" "$M2" --status done 2>&1); then fail "rvdk changed politie's measure"; fi
grep -q "belongs to politie-test" <<< "$out" || fail "refusal unclear: $out"
kt rvdk-test plan progress "$A" "$M1" --status in-progress --note "Gestart." --wait | grep -q delivered \
    || fail "progress not delivered"
for id in politie-test "$G" rvdk-test nctv-test; do wait_until 10 has_v "$id" 2 || fail "$id has no plan v2"; done
[ "$(kt politie-test plan show "$A" --json | jq -r --arg m "$M1" '.plan.measures[] | select(.measure_id==$m) | .status')" = in-progress ] \
    || fail "v2 does not carry the progress"
[ "$(kt politie-test plan show "$A" --version 1 --json | jq -r '.plan.version')" = 1 ] || fail "v1 not kept"
pass "progress on its own measure only; every version is kept"

# A report the uitvoerder refuses (its measure left the plan while rvdk-test
# was away, so rvdk-test's node still let it go) is logged as refused, and
# never as received.
kt_kill rvdk-test
jq --arg m "$M2" '.measures = [.measures[1] + {measure_id: $m}]' "$T/plan.json" > "$T/plan-v3.json"
kt "$UITV" case plan "$A" --file "$T/plan-v3.json" > /dev/null
for id in politie-test "$G" nctv-test; do wait_until 10 has_v "$id" 3 || fail "$id has no plan v3"; done
kt_kill "$UITV"
kt_start rvdk-test
P=$(kt rvdk-test plan progress "$A" "$M1" --status done | awk '{print $1}')
kt_start "$UITV"
events() {  # events EVENT: entries of EVENT for message $P in the case's trail
    kt "$UITV" log show --case "$A" --json \
        | jq --arg id "$P" --arg ev "$1" '[.events[] | select(.message_id==$id and .event==$ev)] | length'
}
refused_logged() { [ "$(events MESSAGE_REFUSED)" = 1 ]; }
wait_until 20 refused_logged || fail "the refused report $P is not logged as refused"
[ "$(events MESSAGE_RECEIVED)" = 0 ] || fail "a refused report is logged as received"
grep -q "progress refused id=$P peer=rvdk-test reason=\"measure $M1 is not in the plan" "$T/$UITV.log" \
    || fail "refusal not in the journal"
wait_until 10 has_v rvdk-test 3 || fail "rvdk-test has no plan v3"
pass "a progress report refused by rule is logged as refused, not as received"

[ "$(kt "$UITV" case list --json | jq -r '.cases[0].overdue')" = 1 ] || fail "uitvoerder does not show the overdue measure"
[ "$(kt politie-test case list --json | jq -r '.cases[0].overdue_own')" = 1 ] || fail "owner does not see its overdue measure"
[ "$(kt rvdk-test case list --json | jq -r '.cases[0].overdue_own')" = 0 ] || fail "rvdk shows another's overdue measure"
kt politie-test plan show "$A" | grep -q OVERDUE || fail "plan show does not mark it"
pass "an overdue measure shows at the uitvoerder and at its owner"

# art. 10.5: the externe casuspartner gets an item only with the consent of
# the party it came from.
if out=$(kt "$UITV" case disclose "$A" --to nctv-test --item "$C1" 2>&1); then
    fail "disclosure without consent"
fi
grep -q "has no consent of rvdk-test" <<< "$out" || fail "refusal unclear: $out"
if kt "$UITV" case disclose "$A" --to rvdk-test --item "$C1" 2>/dev/null; then
    fail "disclosure to a non-extern"
fi
kt rvdk-test case consent "$A" --to nctv-test --item "$C1" \
    --necessity "Nodig voor de risicoanalyse in het plan." --data-kind gezinssituatie --wait \
    | grep -q delivered || fail "consent not delivered"
kt "$UITV" case disclose "$A" --to nctv-test --item "$C1" > /dev/null
disclosed() { [ "$(kt nctv-test case show "$A" --json | jq '.disclosures | length')" = 1 ]; }
wait_until 10 disclosed || fail "the disclosure did not arrive"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT data_kinds || '|' || consenting FROM disclosure")" \
    = "gezinssituatie|rvdk-test" ] || fail "disclosure not recorded"
NECESSITY="rvdk-test: Nodig voor de risicoanalyse in het plan."
[ "$(kt nctv-test case show "$A" --json | jq -r '.disclosures[0].necessity')" = "$NECESSITY" ] \
    || fail "the necessity did not reach the externe casuspartner"
# The necessity is kept in the sealed copy only, at both ends.
for f in "$T/state-$UITV"/casusoverleg.db* "$T/state-nctv-test"/node.db*; do
    if in_clear risicoanalyse "$f"; then fail "the necessity is in the clear in $f"; fi
done
for t in agenda decision_in; do
    [ "$(sqlite3 "$T/state-nctv-test/node.db" "SELECT count(*) FROM sqlite_master WHERE name='$t'")" = 0 ] \
        || fail "the externe casuspartner keeps $t"
done
pass "disclosure only with the source's consent, necessity and data kinds recorded"

# Closure: the casusoverleg advises, each kernpartij involved decides at its
# own node.
if out=$(kt rvdk-test case close "$A" --decision close 2>&1); then
    fail "a casuspartij decided on closure"
fi
grep -q "not a kernpartij" <<< "$out" || fail "refusal unclear: $out"
close_by_kernpartijen() {  # close_by_kernpartijen CASE ADVICE
    kt "$UITV" case advise "$1" --advice "$2" > /dev/null || fail "advice on $1 not recorded"
    local id
    advised() { kt "$1" case show "$2" --json | jq -e '.closure_advice' > /dev/null; }
    for id in politie-test "$G"; do
        wait_until 10 advised "$id" "$1" || fail "$id did not get the advice on $1"
        kt "$id" case close "$1" --decision close --wait | grep -q delivered \
            || fail "$id's decision on $1 not delivered"
    done
}
close_by_kernpartijen "$A" "Doelen bereikt."
state() { kt "$1" case list --json | jq -r --arg c "${2:-$A}" '.cases[] | select(.case_ref==$c) | .state'; }
closed() { [ "$(state "$@")" = closed ]; }   # closed ID [CASE]
for id in "$UITV" politie-test "$G" rvdk-test nctv-test; do wait_until 10 closed "$id" || fail "$id did not mark it closed"; done
[ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM closure WHERE case_ref='$A'")" = 1 ] \
    || fail "closure not in the weegploeg file"
if kt rvdk-test case contribute "$A" --kind informatie --legal-basis avg-6-1-e --file "$T/items.json" --wait 2>/dev/null; then
    fail "contribution to a closed case accepted"
fi
pass "the kernpartijen close the case; both files and every participant record it"

# art. 10.5: the externe casuspartner learns that the case is closed and by
# whom, not the casusoverleg's advice; the others get the advice.
[ "$(kt politie-test case show "$A" --json | jq -r '.closure.advice')" = "Doelen bereikt." ] \
    || fail "a participant lacks the advice"
kt politie-test case show "$A" | grep -q "advice: Doelen bereikt." || fail "case show does not print the advice"
[ "$(kt nctv-test case show "$A" --json | jq -r '.closure.decided_by | sort | join(",")')" = "$G,politie-test" ] \
    || fail "the externe casuspartner does not know who decided"
[ "$(kt nctv-test case show "$A" --json | jq -r '.closure | has("advice")')" = false ] \
    || fail "the externe casuspartner keeps the advice"
# Its node would drop an advice (and say so): none was sent to it.
if grep -q "advice_dropped" "$T/nctv-test.log"; then fail "the uitvoerder sent the advice to nctv-test"; fi
for f in "$T/state-$UITV"/casusoverleg.db* "$T/state-politie-test"/node.db*; do
    if in_clear "Doelen bereikt" "$f"; then fail "the advice is in the clear in $f"; fi
done
if out=$(kt "$UITV" case disclose "$A" --to nctv-test --item "$C1" 2>&1); then
    fail "a disclosure for a closed case was accepted"
fi
grep -q "is closed" <<< "$out" || fail "refusal unclear: $out"
pass "the externe casuspartner's closure lacks the advice; the advice is kept sealed; a closed case discloses nothing"

# A second case, with an externe casuspartner that is then revoked.
kt_signal_file "$T/b.json" B-1
sed -i 's/Test Persoon/Ander Testpersoon/; s/2001-04-12/1998-07-30/; s/Teststraat 1, 6211 AA/Proefweg 9, 6221 BB/' "$T/b.json"
kt politie-test signal submit --file "$T/b.json" --wait | grep -q delivered || fail "signal B not delivered"
B=$(kt "$UITV" signal list --json | jq -r --arg a "$A" '[.signals[] | select(.case_ref != $a)][0].case_ref')
[ -n "$B" ] && [ "$B" != null ] || fail "no second case"
kt "$UITV" weegploeg decide "$B" --agenderen --party politie-test --party "$G" --party rvdk-test \
    --party nctv-test --party extern2-test --criterion geweld --analysis "Fictief." > /dev/null
kt "$UITV" case plan "$B" --file "$T/plan.json" > /dev/null
for id in politie-test "$G" rvdk-test nctv-test; do wait_until 10 has_v "$id" 1 "$B" || fail "$id has no plan for $B"; done
kt "$UITV" member revoke extern2-test | grep -q "roster version 2" || fail "revoke failed"
if out=$(kt "$UITV" case disclose "$B" --to extern2-test --item "$C1" 2>&1); then
    fail "a disclosure to a revoked member was accepted"
fi
grep -q "no longer an active member" <<< "$out" || fail "refusal unclear: $out"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT count(*) FROM disclosure WHERE case_ref='$B'")" = 0 ] \
    || fail "the refused disclosure is recorded"
pass "nothing is disclosed to a member that left the federation"

# A crash between recording a plan version or a disclosure and logging it
# (here: the provenance log is locked): both stay recorded, the caller is
# told they go out when ketend next starts, and the next start logs each
# once and sends it.  Receipts first, as for the closure below.
CB=$(kt rvdk-test case contribute "$B" --kind informatie --legal-basis avg-6-1-e --file "$T/items.json" \
    --wait | awk '$2 == "delivered" {print $1}')
[ -n "$CB" ] || fail "contribution to $B not delivered"
kt rvdk-test case consent "$B" --to nctv-test --item "$CB" --necessity "Nodig voor de veiligheidsanalyse." \
    --data-kind gezinssituatie --wait | grep -q delivered || fail "consent on $B not delivered"
wait_until 20 relay_settled extern2-test || fail "copies unconfirmed before the lock"
lock_db "$T/state-$UITV/log.db"
if out=$(kt "$UITV" case plan "$B" --file "$T/plan.json" 2>&1); then
    unlock_db
    fail "a plan version sent with the log locked: $out"
fi
if out2=$(kt "$UITV" case disclose "$B" --to nctv-test --item "$CB" 2>&1); then
    unlock_db
    fail "a disclosure sent with the log locked: $out2"
fi
if out3=$(kt "$UITV" case advise "$B" --advice "Geen zorg meer." 2>&1); then
    unlock_db
    fail "an advice sent with the log locked: $out3"
fi
unlock_db
grep -q "when ketend next starts" <<< "$out3" || fail "advice failure unclear: $out3"
grep -q "when ketend next starts" <<< "$out" || fail "plan failure unclear: $out"
grep -q "when ketend next starts" <<< "$out2" || fail "disclosure failure unclear: $out2"
disclosures() { kt nctv-test case show "$B" --json | jq '.disclosures | length'; }
[ "$(disclosures)" = 0 ] || fail "a disclosure that was never logged reached nctv-test"
for id in politie-test "$G" rvdk-test nctv-test; do
    [ "$(plan_v "$id" 1 "$B")" = 1 ] || fail "$id got a plan version that was never logged"
done
kt_kill "$UITV"
kt_start "$UITV"
for id in politie-test "$G" rvdk-test nctv-test; do
    wait_until 20 has_v "$id" 2 "$B" || fail "$id did not get plan v2 of $B after the restart"
done
disclosed_b() { [ "$(disclosures)" = 1 ]; }
wait_until 20 disclosed_b || fail "the disclosure did not reach nctv-test after the restart"
grep -q "plan resume case_ref=$B version=2" "$T/$UITV.log" || fail "the plan resume is not in the journal"
grep -q "disclosure resume case_ref=$B" "$T/$UITV.log" || fail "the disclosure resume is not in the journal"
grep -q "advice resume case_ref=$B" "$T/$UITV.log" || fail "the advice resume is not in the journal"
advised_b() { kt "$1" case show "$B" --json | jq -e '.closure_advice' > /dev/null; }
for id in politie-test "$G"; do wait_until 20 advised_b "$id" || fail "$id did not get the advice on $B"; done
trail_b() { kt "$UITV" log show --case "$B" --json | jq "[.events[] | select($1)] | length"; }
[ "$(trail_b '.event=="DISCLOSED"')" = 1 ] || fail "the disclosure of $B is not logged exactly once"
DID=$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT lower(hex(message_id)) FROM disclosure WHERE case_ref='$B'")
[ "$(trail_b '.event=="MESSAGE_SENT" and .message_id=="'"$DID"'"')" = 1 ] \
    || fail "the disclosure's copy $DID is not logged as sent exactly once"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT (SELECT count(*) FROM disclosure WHERE step<>0)
    + (SELECT count(*) FROM plan_unsent) + (SELECT count(*) FROM closure_advice WHERE step<>0)")" = 0 ] \
    || fail "a plan version, disclosure or advice is still unsent"
pass "a plan version, disclosure or advice left unlogged by a crash is logged once and sent on the next start"

# A crash between recording a closure and telling the participants (here:
# the weegploeg file is locked, so the closure that the last kernpartij's
# decision recorded cannot be put there, logged and sent): the case is
# closed at the uitvoerder, and the next start tells everyone.
kt politie-test case close "$B" --decision close --wait | grep -q delivered || fail "politie's decision not delivered"
wait_until 20 relay_settled extern2-test || fail "copies unconfirmed before the lock"
lock_db "$T/state-$UITV/weegploeg.db"
kt "$G" case close "$B" --decision close --wait | grep -q delivered || { unlock_db; fail "the last decision not delivered"; }
send_failed() { grep -q "error: closure send_failed case_ref=$B" "$T/$UITV.log"; }
wait_until 30 send_failed || { unlock_db; fail "the closure's send did not fail"; }
unlock_db
closed "$UITV" "$B" || fail "the closure is not recorded at the uitvoerder"
for id in politie-test "$G" rvdk-test nctv-test; do
    [ "$(state "$id" "$B")" = open ] || fail "$id learnt of a closure that was never sent"
done
kt_kill "$UITV"
kt_start "$UITV"
for id in politie-test "$G" rvdk-test nctv-test; do
    wait_until 20 closed "$id" "$B" || fail "$id did not learn of the closure after the restart"
done
grep -q "closure resume case_ref=$B" "$T/$UITV.log" || fail "the resume is not in the journal"
[ "$(kt "$UITV" log show --case "$B" --json | jq '[.events[] | select(.event=="CASE_CLOSED")] | length')" = 1 ] \
    || fail "the closure of $B is not logged exactly once"
[ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM closure WHERE case_ref='$B'")" = 1 ] \
    || fail "closure of $B not in the weegploeg file"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT count(*) FROM casus WHERE closure_step<>0")" = 0 ] \
    || fail "a closure is still marked unsent"
[ "$(kt nctv-test case show "$B" --json | jq -r '.closure.advice // "none"')" = none ] \
    || fail "the externe casuspartner keeps the advice"
[ "$(kt politie-test case show "$B" --json | jq -r '.closure.advice')" = "Geen zorg meer." ] \
    || fail "politie-test lacks the advice"
if grep -q "advice_dropped" "$T/nctv-test.log"; then fail "the uitvoerder sent the advice to nctv-test on resume"; fi
pass "a closure left unsent by a crash goes to every participant on the next start, logged once"

# art. 15.2e: at a partner a read is on record only with the notice that
# carries it to the provenance log.  A failed outbox insert (injected with a
# trigger) refuses the read and leaves no access row behind.
nodedb="$T/state-nctv-test/node.db"
reads() { sqlite3 "$nodedb" "SELECT count(*) FROM access"; }
notices() { sqlite3 "$nodedb" "SELECT count(*) FROM outbox"; }
r0=$(reads); n0=$(notices)
sqlite3 -cmd ".timeout 10000" "$nodedb" "CREATE TRIGGER inject_outbox_fault BEFORE INSERT ON outbox
    BEGIN SELECT RAISE (ABORT, 'injected outbox fault'); END;"
if out=$(kt nctv-test case show "$A" 2>&1); then
    sqlite3 -cmd ".timeout 10000" "$nodedb" "DROP TRIGGER inject_outbox_fault"
    fail "a read was shown without its notice: $out"
fi
sqlite3 -cmd ".timeout 10000" "$nodedb" "DROP TRIGGER inject_outbox_fault"
[ "$(reads)" = "$r0" ] || fail "a read is on record without its ACCESS_NOTICE"
kt nctv-test case show "$A" > /dev/null || fail "the read is refused after the fault"
[ "$(reads)" = $((r0 + 1)) ] && [ "$(notices)" = $((n0 + 1)) ] \
    || fail "the read and its notice are not recorded together"
pass "a partner's read is recorded with its ACCESS_NOTICE or not at all"

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
# The same trail as a Graphviz graph: Graphviz itself reads it, with a
# node per event of the trail and the acting and receiving nodes.
kt "$UITV" log show --case "$A" --format dot > "$T/trail.dot" || fail "log show --format dot failed"
dot -Tsvg "$T/trail.dot" > "$T/trail.svg" || fail "dot does not read the trail: $(head -5 "$T/trail.dot")"
n_events=$(kt "$UITV" log show --case "$A" --json | jq '.events | length')
[ "$(grep -c '^  e[0-9]* \[shape=note' "$T/trail.dot")" = "$n_events" ] || fail "the graph lacks events"
for actor in politie-test rvdk-test nctv-test; do
    grep -q "^  \"$actor\" \[shape=box" "$T/trail.dot" || fail "the graph lacks $actor"
done
n_actors=$(grep -c '^  "[^"]*" \[shape=box' "$T/trail.dot")
[ "$(grep -c 'class="node"' "$T/trail.svg")" = $((n_events + n_actors)) ] \
    || fail "dot drew another graph than the trail"
if grep -q "Test Persoon" "$T/trail.dot"; then fail "personal data in the graph"; fi
if kt "$UITV" log show --type message_refused --format dot > /dev/null 2>&1; then
    fail "--format dot was taken without --case"
fi
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "log show --case gives the subject's trail: supplied, decided, sent, delivered, disclosed, closed"

# Schema 2 of the casusoverleg file kept the closure (with the advice) and a
# disclosure's necessity in the clear: such a file is sealed on start.
db="$T/state-$UITV/casusoverleg.db"
pb() {  # pb FIELD TEXT: a protobuf string field (TEXT < 128 bytes), in hex
    printf '%02x%02x' $((($1 << 3) | 2)) ${#2}
    printf '%s' "$2" | od -An -tx1 | tr -d ' \n'
}
clear=$(pb 1 "$A"; pb 2 "Oud advies in de klare tekst."; pb 3 politie-test)
sqlite3 "$db" "DROP TABLE plan_unsent; ALTER TABLE disclosure DROP COLUMN step;
    ALTER TABLE disclosure DROP COLUMN shared;
    ALTER TABLE casus DROP COLUMN closure_step; ALTER TABLE casus DROP COLUMN archived;
    ALTER TABLE progress DROP COLUMN received_ms; UPDATE casus SET closure=X'$clear' WHERE case_ref='$A';
    ALTER TABLE disclosure ADD COLUMN necessity TEXT NOT NULL DEFAULT '';
    UPDATE disclosure SET necessity='Oude noodzaak in de klare tekst.';
    UPDATE schema_version SET version=2 WHERE module='casusoverleg';"
in_clear "Oud advies" "$db" || fail "test setup: no schema-2 file"
kt_start "$UITV"
[ "$(sqlite3 "$db" "SELECT version FROM schema_version WHERE module='casusoverleg'")" = 7 ] || fail "not migrated"
[ "$(sqlite3 "$db" "SELECT length(closure) > 40 FROM casus WHERE case_ref='$A'")" = 1 ] || fail "the closure is gone"
for f in "$db"*; do
    if in_clear "Oud advies" "$f" || in_clear "Oude noodzaak" "$f"; then fail "clear text left in $f"; fi
done
# The same for the partner's casebox (schema 1: the necessity in the clear).
kt_kill nctv-test
nodedb="$T/state-nctv-test/node.db"
sqlite3 "$nodedb" "ALTER TABLE case_in DROP COLUMN live_ms;
    ALTER TABLE case_in DROP COLUMN advice; ALTER TABLE case_in DROP COLUMN advised_ms;
    ALTER TABLE case_in DROP COLUMN closure; ALTER TABLE case_in ADD COLUMN closure_advice BLOB;
    ALTER TABLE disclosure_in ADD COLUMN necessity TEXT NOT NULL DEFAULT '';
    UPDATE disclosure_in SET necessity='Oude noodzaak bij de extern.';
    UPDATE schema_version SET version=1 WHERE module='casebox';"
kt_start nctv-test
[ "$(sqlite3 "$nodedb" "SELECT version FROM schema_version WHERE module='casebox'")" = 4 ] || fail "casebox not migrated"
for f in "$nodedb"*; do if in_clear "Oude noodzaak" "$f"; then fail "clear text left in $f"; fi; done
[ "$(kt nctv-test case show "$A" --json | jq -r '.disclosures[0].necessity')" = "$NECESSITY" ] \
    || fail "the necessity is lost from the sealed copy"
pass "files from before the sealing are sealed on start: no advice or necessity left in the clear"
