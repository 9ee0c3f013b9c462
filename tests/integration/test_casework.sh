#!/usr/bin/env bash
# art. 4, 9.4, 10.5, 6b: the convenant parties decide their casework at their
# own node, signed.  Consent to pass an item to an externe casuspartner comes
# only from the party the item came from; a disclosure passes only items with
# that consent, as the uitvoerder holds them; a case closes only when each
# kernpartij involved decided close from its own node; art. 9/10 Wpg data
# reaches no casuspartij or externe casuspartner.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie "$G":gemeente rvdk-test:rvdk nctv-test:extern; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" politie-test "$G" rvdk-test nctv-test
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
for id in politie-test "$G" rvdk-test nctv-test; do kt_config "$id"; done
# The police node releases held art. 9/10 Wpg signals (Wpg machtigingsbesluit).
printf 'intake\n    release-group = %s\n' "$KT_GROUP" >> "$T/politie-test.cfg"
for id in politie-test "$G" rvdk-test nctv-test; do kt_start "$id"; done
for id in politie-test "$G" rvdk-test nctv-test; do
    wait_until 10 link_up "$id" || fail "no link for $id"
done

# One subject: a police signal and a gemeente signal with items of its own.
kt_signal_file "$T/p0.json" P-1
jq '.items = [{kind: "fact", text: "Waarneming (fictief)."}]' "$T/p0.json" > "$T/p.json"
PSIG=$(kt politie-test signal submit --file "$T/p.json" --wait | awk '$3 == "delivered" {print $2}')
[ -n "$PSIG" ] || fail "police signal not delivered"
jq '.wpg_basis = "none" | .legal_basis = "avg-6-1-e" | .local_ref = "G-1"
    | .melder = {name: "Leerplicht Test", contact: "lp@gemeente.invalid"}
    | .items = [{kind: "fact", text: "Schoolverzuim sinds oktober (fictief)."}]' "$T/p.json" > "$T/g.json"
out=$(kt "$G" signal submit --file "$T/g.json" --wait 2>&1) || fail "gemeente signal: $out"
GSIG=$(echo "$out" | awk '$3 == "delivered" {print $2}')
[ -n "$GSIG" ] || fail "gemeente signal not delivered: $out"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
[ "$(kt "$UITV" signal list --json | jq -r '[.signals[].case_ref] | unique | length')" = 1 ] \
    || fail "the two signals are not on one subject"
kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --party "$G" --party rvdk-test \
    --party nctv-test --criterion geweld --analysis "Fictief." > /dev/null
later=$(date -d '+30 days' +%F)
cat > "$T/plan.json" <<JSON
{ "goals": [ { "kind": "zorg", "text": "Begeleiding." } ],
  "measures": [ { "owner": "rvdk-test", "what": "Raadsonderzoek starten.", "due_on": "$later" } ] }
JSON
kt "$UITV" case plan "$A" --file "$T/plan.json" > /dev/null
has_plan() { [ "$(kt "$1" case list --json | jq -r --arg a "$A" '.cases[] | select(.case_ref==$a) | .plan_version')" = 1 ]; }
for id in politie-test "$G" rvdk-test nctv-test; do wait_until 10 has_plan "$id" || fail "$id has no plan"; done

# rvdk-test contributes two items.
echo '[{"kind": "fact", "text": "Gezinssituatie onderzocht (fictief)."},
       {"kind": "fact", "text": "Broer onder toezicht (fictief)."}]' > "$T/items.json"
CID=$(kt rvdk-test case contribute "$A" --kind informatie --legal-basis avg-6-1-e --file "$T/items.json" \
    --wait | awk '$2 == "delivered" {print $1}')
[ -n "$CID" ] || fail "contribution not delivered"

# art. 10.5: only the party an item came from consents to passing it on.
if out=$(kt "$G" case consent "$A" --to nctv-test --item "$CID:0" --necessity "Nodig voor het plan." \
        --data-kind gezinssituatie --wait 2>&1); then
    fail "the gemeente consented to rvdk-test's item: $out"
fi
grep -q "came from rvdk-test; only the party that supplied it consents" <<< "$out" \
    || fail "refusal unclear: $out"
[ "$(kt "$UITV" log show --case "$A" --json | jq '[.events[] | select(.event=="MESSAGE_REFUSED"
    and .message_type=="CASE_DECISION" and .node=="'"$G"'")] | length')" = 1 ] \
    || fail "the refused consent is not in the provenance log"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT count(*) FROM consent")" = 0 ] \
    || fail "a refused consent is stored"
# An externe casuspartner supplies nothing and consents to nothing.
if out=$(kt nctv-test case consent "$A" --to nctv-test --item "$CID" --necessity x --data-kind y 2>&1); then
    fail "an externe casuspartner sent a consent"
fi
pass "consent from a party other than the item's source is refused and logged"

# A disclosure of an item without its source's consent is refused, and
# nothing is recorded or sent.
if out=$(kt "$UITV" case disclose "$A" --to nctv-test --item "$CID:0" 2>&1); then
    fail "disclosed without consent: $out"
fi
grep -q "item $CID:0 has no consent of rvdk-test" <<< "$out" || fail "refusal unclear: $out"
# The typed-in way is gone.
if out=$(kt "$UITV" case disclose "$A" --to nctv-test --consent rvdk-test --item "$CID:0" 2>&1); then
    fail "the old --consent option was taken"
fi
kt rvdk-test case consent "$A" --to nctv-test --item "$CID:0" \
    --necessity "Nodig voor de risicoanalyse in het plan." --data-kind gezinssituatie --wait \
    | grep -q delivered || fail "rvdk-test's consent not delivered"
if out=$(kt "$UITV" case disclose "$A" --to nctv-test --item "$CID:0" --item "$CID:1" 2>&1); then
    fail "an item without consent went along with a consented one: $out"
fi
grep -q "item $CID:1 has no consent of rvdk-test" <<< "$out" || fail "refusal unclear: $out"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT count(*) FROM disclosure")" = 0 ] \
    || fail "a refused disclosure is recorded"
sleep 1
[ "$(kt nctv-test case show "$A" --json | jq '.disclosures | length')" = 0 ] \
    || fail "the externe casuspartner received a refused disclosure"
pass "a disclosure with an item lacking its source's consent is refused; nothing recorded or sent"

# With consent: exactly the consented item, as supplied, with the consent's
# necessity and kinds of data.
kt "$UITV" case disclose "$A" --to nctv-test --item "$CID:0" > /dev/null
disclosed() { [ "$(kt nctv-test case show "$A" --json | jq '.disclosures | length')" = 1 ]; }
wait_until 10 disclosed || fail "the disclosure did not arrive"
got=$(kt nctv-test case show "$A" --json)
[ "$(jq -r '.disclosures[0].items | length' <<< "$got")" = 1 ] || fail "not exactly one item: $got"
[ "$(jq -r '.disclosures[0].items[0].text' <<< "$got")" = "Gezinssituatie onderzocht (fictief)." ] \
    || fail "not the item as supplied: $got"
[ "$(jq -r '.disclosures[0].necessity' <<< "$got")" \
    = "rvdk-test: Nodig voor de risicoanalyse in het plan." ] || fail "necessity wrong: $got"
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT data_kinds || '|' || consenting FROM disclosure")" \
    = "gezinssituatie|rvdk-test" ] || fail "disclosure not recorded with its consent"
if grep -aq "risicoanalyse" "$T/state-$UITV"/casusoverleg.db* "$T/state-$UITV"/log.db*; then
    fail "the necessity is in the clear at the uitvoerder"
fi
[ "$(kt "$UITV" log show --case "$A" --json | jq '[.events[] | select(.event=="DISCLOSED")] | length')" = 1 ] \
    || fail "the disclosure is not logged once"
pass "with consent the externe casuspartner receives exactly the consented item, as supplied"

# Police data never goes to an externe casuspartner, consent or not; nor does
# the police's art. 9/10 Wpg data (released under the machtigingsbesluit).
if out=$(kt politie-test case consent "$A" --to nctv-test --item "$PSIG:0" --necessity "Nodig." \
        --data-kind politie --wait 2>&1); then
    fail "the police consented to passing police data to an externe casuspartner: $out"
fi
grep -q "item $PSIG:0 is held under wpg-16, which does not allow sharing with an externe" <<< "$out" \
    || fail "refusal unclear: $out"
pass "police data is never consented to an externe casuspartner"

# art. 9.4: the casusoverleg advises; each kernpartij involved decides at its
# own node; one is not enough, a continue keeps the case open.
if out=$(kt politie-test case close "$A" --decision close 2>&1); then
    fail "a closure decision without an advice was sent: $out"
fi
grep -q "no advice of the casusoverleg" <<< "$out" || fail "refusal unclear: $out"
kt "$UITV" case advise "$A" --advice "Doelen bereikt." --json > "$T/advice.json"
[ "$(jq -r '.to_decide | sort | join(",")' "$T/advice.json")" = "$G,politie-test" ] \
    || fail "involved kernpartijen wrong: $(cat "$T/advice.json")"
advised() { [ "$(kt "$1" case show "$A" --json | jq -r '.closure_advice.advice')" = "Doelen bereikt." ]; }
for id in politie-test "$G"; do wait_until 10 advised "$id" || fail "$id did not get the advice"; done
[ "$(kt rvdk-test case show "$A" --json | jq 'has("closure_advice")')" = false ] \
    || fail "a casuspartij got the advice"
if grep -q "advice_dropped\|closure refused" "$T/nctv-test.log"; then
    fail "the advice was sent to the externe casuspartner"
fi
# A casuspartij cannot send a closure decision.
n0=$(sqlite3 "$T/state-rvdk-test/node.db" "SELECT count(*) FROM outbox")
if out=$(kt rvdk-test case close "$A" --decision close --wait 2>&1); then
    fail "a casuspartij decided on closure: $out"
fi
grep -q "not a kernpartij" <<< "$out" || fail "refusal unclear: $out"
[ "$(sqlite3 "$T/state-rvdk-test/node.db" "SELECT count(*) FROM outbox")" = "$n0" ] \
    || fail "the casuspartij's closure decision was queued"
if kt "$G" case close "$A" --decision continue 2> /dev/null; then fail "continue without a reason"; fi
state() { kt "$1" case list --json | jq -r --arg c "$A" '.cases[] | select(.case_ref==$c) | .state'; }
kt politie-test case close "$A" --decision close --wait | grep -q delivered || fail "politie's decision not delivered"
[ "$(state "$UITV")" = open ] || fail "one kernpartij's decision closed the case"
[ "$(kt "$UITV" case list --json | jq -r --arg c "$A" '.cases[] | select(.case_ref==$c)
    | .closure_advice.still_to_decide | join(",")')" = "$G" ] || fail "the uitvoerder does not show who is still to decide"
kt "$UITV" case list | grep -q "advised, 1 to decide" || fail "case list does not show the advice"
kt "$G" case close "$A" --decision continue --reason "Nog niet alle doelen bereikt." --wait \
    | grep -q delivered || fail "the gemeente's decision not delivered"
[ "$(state "$UITV")" = open ] || fail "a continue closed the case"
[ "$(kt "$UITV" case list --json | jq -r --arg c "$A" '.cases[] | select(.case_ref==$c)
    | [.closure_advice.decided[] | .party + "=" + .decision] | join(",")')" = "$G=continue,politie-test=close" ] \
    || fail "the decisions are not shown"
if grep -aq "Nog niet alle doelen" "$T/state-$UITV"/casusoverleg.db* "$T/state-$UITV"/log.db*; then
    fail "the reason is in the clear at the uitvoerder"
fi
pass "one kernpartij's close is not enough and a continue keeps the case open"

# A decision on an advice that was replaced meanwhile is refused at the
# uitvoerder: politie-test decides while the uitvoerder is away, and is
# itself away when the casusoverleg advises anew.
kt_kill "$UITV"
OLD=$(kt politie-test case close "$A" --decision close | awk '$2 == "queued" {print $1}')
[ -n "$OLD" ] || fail "the decision was not queued"
kt_kill politie-test
kt_start "$UITV"
kt "$UITV" case advise "$A" --advice "Doelen bereikt, opnieuw bezien." > /dev/null
kt_start politie-test
refused_old() { grep -q "case_decision refused id=$OLD peer=politie-test reason=\"the decision answers an advice" "$T/$UITV.log"; }
wait_until 20 refused_old || fail "a decision on a replaced advice was not refused"
readvised() { [ "$(kt politie-test case show "$A" --json | jq -r '.closure_advice.advice')" = "Doelen bereikt, opnieuw bezien." ]; }
wait_until 20 readvised || fail "the new advice did not reach politie-test"
[ "$(state "$UITV")" = open ] || fail "a decision on a replaced advice closed the case"
[ "$(kt "$UITV" case list --json | jq -r --arg c "$A" '.cases[] | select(.case_ref==$c)
    | .closure_advice.still_to_decide | sort | join(",")')" = "$G,politie-test" ] \
    || fail "decisions on the replaced advice still count"
pass "a decision on an advice replaced meanwhile is refused at the uitvoerder; the new advice starts afresh"

kt politie-test case close "$A" --decision close --wait | grep -q delivered || fail "politie's close not delivered"
[ "$(state "$UITV")" = open ] || fail "one kernpartij's decision closed the case"
kt "$G" case close "$A" --decision close --wait | grep -q delivered || fail "the gemeente's close not delivered"
closed() { [ "$(state "$1")" = closed ]; }
for id in "$UITV" politie-test "$G" rvdk-test nctv-test; do
    wait_until 10 closed "$id" || fail "$id did not mark the case closed"
done
[ "$(kt "$UITV" log show --case "$A" --json | jq -r '[.events[] | select(.event=="CASE_CLOSED")]
    | (length|tostring) + ":" + (.[0].recipients | sort | join(","))')" = "1:$G,politie-test" ] \
    || fail "CASE_CLOSED does not name the deciding kernpartijen once"
[ "$(kt nctv-test case show "$A" --json | jq -r '.closure.decided_by | sort | join(",")')" = "$G,politie-test" ] \
    || fail "the participants do not learn who decided"
[ "$(kt politie-test case show "$A" --json | jq -r '.closure.advice')" = "Doelen bereikt, opnieuw bezien." ] \
    || fail "a kernpartij lacks the advice in the closure"
[ "$(kt nctv-test case show "$A" --json | jq -r '.closure | has("advice")')" = false ] \
    || fail "the externe casuspartner keeps the advice"
[ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM closure WHERE case_ref='$A'")" = 1 ] \
    || fail "closure not in the weegploeg file"
pass "the case closes once each kernpartij involved decided close from its own node"

# art. 6b: a subject known only from art. 9/10 Wpg data reaches a casuspartij
# on a casusoverleg agenda as the case_ref only; a kernpartij sees it.
kt_signal_file "$T/w.json" W-1
sed -i 's/Test Persoon/Wpg Testpersoon/; s/2001-04-12/1990-01-02/' "$T/w.json"
jq '.wpg_basis = "art-9-10" | .legal_basis = "wpg-16" | .items = [{kind: "fact", text: "Wpg-feit (fictief)."}]' \
    "$T/w.json" > "$T/held.json"
kt politie-test signal submit --file "$T/held.json" > /dev/null
HID=$(kt politie-test signal list --json | jq -r '.signals[] | select(.state=="held") | .message_id')
kt politie-test signal release "$HID" --opsporingsbelang-checked --om-consulted "Officier Test" \
    --bevoegd-functionaris "Functionaris Test" \
    | grep -q released || fail "release failed"
arrived() { [ "$(kt "$UITV" signal list --json | jq --arg h "$HID" '[.signals[] | select(.message_id==$h)] | length')" = 1 ]; }
wait_until 20 arrived || fail "the released signal did not reach the uitvoerder"
W=$(kt "$UITV" signal list --json | jq -r --arg a "$A" '[.signals[] | select(.case_ref != $a)][0].case_ref')
[ -n "$W" ] && [ "$W" != null ] || fail "no case for the Wpg subject"
kt "$UITV" weegploeg decide "$W" --agenderen --party politie-test --party "$G" --party rvdk-test \
    --party nctv-test --criterion geweld --analysis "Fictief." > /dev/null
if out=$(kt politie-test case consent "$W" --to nctv-test --item "$HID:0" --necessity "Nodig." \
        --data-kind politie --wait 2>&1); then
    fail "consent to pass art. 9/10 Wpg data to an externe casuspartner: $out"
fi
grep -q "item $HID:0 is art. 9/10 Wpg data" <<< "$out" || fail "refusal unclear: $out"
kt "$UITV" casusoverleg agenda --start "$(date -d '+7 days' +%F)T10:00" --location Zaal --case "$W" \
    > /dev/null || fail "no casusoverleg agenda"
got_agenda() { [ "$(kt "$1" agenda list --json | jq '.meetings | length')" -ge 1 ]; }
for id in politie-test rvdk-test; do wait_until 10 got_agenda "$id" || fail "$id got no agenda"; done
M=$(kt rvdk-test agenda list --json | jq -r '.meetings[0].meeting_id')
item() { kt "$1" agenda show "$M" --json | jq -c --arg w "$W" '.items[] | select(.case_ref==$w)'; }
[ "$(item rvdk-test | jq -r 'has("subject")')" = false ] \
    || fail "the casuspartij got the subject of art. 9/10 Wpg data: $(item rvdk-test)"
[ "$(item politie-test | jq -r '.subject.name')" = "Wpg Testpersoon" ] \
    || fail "the kernpartij lacks the subject: $(item politie-test)"
if grep -aq "Wpg Testpersoon" "$T/state-rvdk-test"/node.db*; then
    fail "art. 9/10 Wpg data is kept at the casuspartij"
fi
pass "art. 9/10 Wpg data reaches no casuspartij on a casusoverleg agenda, nor an externe casuspartner by consent"

kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "the log verifies"
