#!/usr/bin/env bash
# art. 9.2, 10.4: the participants of a casusoverleg share what they hold
# with each other, as far as necessary.  A participant shares its own items
# with named participants; the uitvoerder shares another party's items only
# with that party's consent for each recipient.  Exactly the named
# recipients get them (a participant not named gets nothing); the share is
# recorded with its necessity sealed and logged as SHARED; art. 9/10 Wpg
# data never reaches a casuspartij (art. 6b); an externe casuspartner gets
# data by consent and disclosure only (art. 10.5).
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_keys "$UITV" uitvoerder
# gemeente-heerlen is a member that takes no part in the case (no daemon).
for spec in politie-test:politie om-test:om "$G":gemeente rvdk-test:rvdk nctv-test:extern \
    gemeente-heerlen:gemeente; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" politie-test om-test "$G" rvdk-test nctv-test gemeente-heerlen
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
NODES=(politie-test om-test "$G" rvdk-test nctv-test)
for id in "${NODES[@]}"; do kt_config "$id"; done
# The police node releases held art. 9/10 Wpg signals (Wpg machtigingsbesluit).
printf 'intake\n    release-group = %s\n' "$KT_GROUP" >> "$T/politie-test.cfg"
for id in "${NODES[@]}"; do kt_start "$id"; done
for id in "${NODES[@]}"; do
    wait_until 10 link_up "$id" || fail "no link for $id"
done

# One subject, known from an art. 9/10 Wpg signal of the police, released
# under the machtigingsbesluit; agendered with every party but
# gemeente-heerlen.
kt_signal_file "$T/w.json" P-1
jq '.wpg_basis = "art-9-10" | .legal_basis = "wpg-16" | .items = [{kind: "fact", text: "Wpg-feit (fictief)."}]' \
    "$T/w.json" > "$T/held.json"
kt politie-test signal submit --file "$T/held.json" > /dev/null
HID=$(kt politie-test signal list --json | jq -r '.signals[] | select(.state=="held") | .message_id')
[ -n "$HID" ] || fail "the art. 9/10 signal is not held"
kt politie-test signal release "$HID" --opsporingsbelang-checked --om-consulted "Officier Test" \
    --bevoegd-functionaris "Functionaris Test" | grep -q released || fail "release failed"
arrived() { [ "$(kt "$UITV" signal list --json | jq '.signals | length')" = 1 ]; }
wait_until 20 arrived || fail "the released signal did not reach the uitvoerder"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --party om-test --party "$G" \
    --party rvdk-test --party nctv-test --criterion geweld --analysis "Fictief." > /dev/null
later=$(date -d '+30 days' +%F)
cat > "$T/plan.json" <<JSON
{ "goals": [ { "kind": "zorg", "text": "Begeleiding." } ],
  "measures": [ { "owner": "rvdk-test", "what": "Raadsonderzoek starten.", "due_on": "$later" } ] }
JSON
kt "$UITV" case plan "$A" --file "$T/plan.json" > /dev/null
has_plan() { [ "$(kt "$1" case list --json | jq -r --arg a "$A" '.cases[] | select(.case_ref==$a) | .plan_version')" = 1 ]; }
for id in "${NODES[@]}"; do wait_until 10 has_plan "$id" || fail "$id has no plan"; done

# The police contributes to the casusoverleg; the contribution is its own.
echo '[{"kind": "fact", "text": "Contact met broer in Antwerpen (fictief)."}]' > "$T/items.json"
PCID=$(kt politie-test case contribute "$A" --kind netwerk --legal-basis wpg-16 --file "$T/items.json" \
    --wait | awk '$2 == "delivered" {print $1}')
[ -n "$PCID" ] || fail "the police contribution was not delivered"

casusdb="$T/state-$UITV/casusoverleg.db"
shared_n() { kt "$1" case show "$A" --json | jq '.shared | length'; }
inbox() { sqlite3 "$T/state-$1/node.db" "SELECT count(*) FROM disclosure_in"; }
shared_log() {
    kt "$UITV" log show --case "$A" --json \
        | jq -c '[.events[] | select(.event=="SHARED") | {node, recipients}]'
}

# --- refusals first: nothing recorded, sent or logged -----------------------

# art. 6b: art. 9/10 Wpg data goes to no casuspartij, not even with a
# kernpartij named beside it.
if out=$(kt politie-test case share "$A" --to "$G" --to rvdk-test --item "$HID:0" \
        --necessity "Nodig voor de afstemming." --data-kind politie --wait 2>&1); then
    fail "art. 9/10 Wpg data was shared with a casuspartij: $out"
fi
grep -q "item $HID:0 is art. 9/10 Wpg data, .* never to rvdk-test, a casuspartij" <<< "$out" \
    || fail "refusal unclear: $out"
pass "art. 9/10 Wpg data shared with a casuspartij is refused, naming the item and the recipient"

# art. 9.2: a participant shares what it supplied itself.
if out=$(kt "$G" case share "$A" --to om-test --item "$PCID:0" --necessity "Nodig." \
        --data-kind netwerk --wait 2>&1); then
    fail "the gemeente shared the police's contribution: $out"
fi
grep -q "item $PCID:0 came from politie-test; a participant shares only what it supplied itself" <<< "$out" \
    || fail "refusal unclear: $out"
pass "sharing another party's item is refused"

# Only participants of the case, other than the sender; an externe
# casuspartner by consent and disclosure only.
for to in gemeente-heerlen nobody-test politie-test nctv-test; do
    if out=$(kt politie-test case share "$A" --to "$to" --item "$PCID:0" --necessity "Nodig." \
            --data-kind netwerk --wait 2>&1); then
        fail "a share to $to was taken: $out"
    fi
    case $to in
        gemeente-heerlen | nobody-test) want="$to is not a participant of case $A" ;;
        politie-test) want="politie-test supplied the items itself" ;;
        nctv-test) want="nctv-test is an externe casuspartner: .* keten case disclose" ;;
    esac
    grep -q "$want" <<< "$out" || fail "refusal of $to unclear: $out"
done
# A recipient named twice is refused at the sending node already.
if out=$(kt politie-test case share "$A" --to "$G" --to "$G" --item "$PCID:0" --necessity "Nodig." \
        --data-kind netwerk 2>&1); then
    fail "a recipient named twice was taken: $out"
fi
grep -q "named twice" <<< "$out" || fail "refusal unclear: $out"
[ "$(sqlite3 "$casusdb" "SELECT count(*) FROM disclosure")" = 0 ] || fail "a refused share was recorded"
[ "$(sqlite3 "$casusdb" "SELECT count(*) FROM share")" = 0 ] || fail "a refused share decision was stored"
[ "$(shared_log)" = "[]" ] || fail "a refused share was logged as SHARED: $(shared_log)"
[ "$(kt "$UITV" log show --case "$A" --json | jq '[.events[] | select(.event=="MESSAGE_REFUSED"
    and .message_type=="CASE_DECISION")] | length')" = 6 ] || fail "the refused shares are not logged as refused"
pass "a share to a non-participant, the sender itself or an externe casuspartner is refused"

# --- a participant shares its own contribution ------------------------------

kt politie-test case share "$A" --to "$G" --item "$PCID:0" \
    --necessity "Nodig om de gemeentelijke zorg af te stemmen op het netwerk." \
    --data-kind netwerk --data-kind contacten --wait | grep -q delivered \
    || fail "the police's share was not delivered"
got_share() { [ "$(shared_n "$G")" = "$1" ]; }
wait_until 10 got_share 1 || fail "the gemeente did not receive the share"
got=$(kt "$G" case show "$A" --json)
[ "$(jq -r '.shared[0].source' <<< "$got")" = politie-test ] || fail "source wrong: $got"
[ "$(jq -r '.shared[0].necessity' <<< "$got")" = "Nodig om de gemeentelijke zorg af te stemmen op het netwerk." ] \
    || fail "necessity wrong: $got"
[ "$(jq -r '.shared[0].data_kinds | join(",")' <<< "$got")" = "netwerk,contacten" ] \
    || fail "kinds wrong: $got"
[ "$(jq -r '.shared[0].items | length' <<< "$got")" = 1 ] \
    && [ "$(jq -r '.shared[0].items[0].text' <<< "$got")" = "Contact met broer in Antwerpen (fictief)." ] \
    || fail "not the item as supplied: $got"
[ "$(jq '.disclosures | length' <<< "$got")" = 0 ] || fail "a share is listed as a disclosure: $got"
text=$(kt "$G" case show "$A")
grep -q "shared with this node in the casusoverleg" <<< "$text" \
    && grep -q "from politie-test; kinds of data: netwerk, contacten" <<< "$text" \
    && grep -q "Contact met broer in Antwerpen" <<< "$text" \
    || fail "case show does not list the share under its own heading: $text"
pass "the named participant receives the item as supplied, with source, necessity and kinds"

# A participant not named receives nothing (the copies went out together).
for id in om-test rvdk-test nctv-test; do
    [ "$(shared_n "$id")" = 0 ] || fail "$id received a share it was not named in"
    [ "$(inbox "$id")" = 0 ] || fail "$id keeps something shared or disclosed"
done
if grep -aq "Antwerpen" "$T/state-om-test"/node.db* "$T/state-rvdk-test"/node.db*; then
    fail "the item is at a participant that was not named"
fi
pass "the participants not named receive nothing"

[ "$(shared_log)" = "[{\"node\":\"politie-test\",\"recipients\":[\"$G\"]}]" ] \
    || fail "SHARED not logged once with exactly the gemeente: $(shared_log)"
[ "$(kt "$UITV" log show --case "$A" --json | jq -r '[.events[] | select(.event=="SHARED")][0].what // ""')" = "" ] \
    || fail "SHARED carries text"
[ "$(sqlite3 "$casusdb" "SELECT recipient || '|' || consenting || '|' || shared || '|' || step FROM disclosure")" \
    = "$G|politie-test|1|0" ] || fail "the share is not recorded for exactly the gemeente"
[ "$(sqlite3 "$casusdb" "SELECT sender || '|' || recipients FROM share")" = "politie-test|$G" ] \
    || fail "the share decision is not kept"
if grep -aq "gemeentelijke zorg" "$casusdb"* "$T/state-$UITV"/log.db*; then
    fail "the necessity is in the clear at the uitvoerder"
fi
pass "the share is recorded (necessity sealed) and logged as SHARED with exactly its recipient"

# art. 15.2e: the gemeente's read of the shared item is on record and goes
# to the provenance log.
[ "$(sqlite3 "$T/state-$G/node.db" "SELECT count(*) FROM access WHERE what='case.show' AND case_ref='$A'")" -ge 1 ] \
    || fail "the gemeente's read is not recorded"
read_logged() {
    [ "$(kt "$UITV" log show --case "$A" --json | jq --arg g "$G" '[.events[]
        | select(.event=="PERSONAL_DATA_ACCESSED" and .node==$g)] | length')" -ge 1 ]
}
wait_until 10 read_logged || fail "the gemeente's read is not in the provenance log"
pass "the recipient's read of a shared item is recorded and logged"

# --- the uitvoerder shares on the casusoverleg's decision ---------------------

if out=$(kt "$UITV" case share "$A" --to om-test --item "$PCID:0" \
        --necessity "Besluit casusoverleg: nodig voor de strafrechtelijke afweging." --data-kind netwerk 2>&1); then
    fail "the uitvoerder shared without the source's consent: $out"
fi
grep -q "item $PCID:0 has no consent of politie-test, the party it came from, to go to om-test" <<< "$out" \
    || fail "refusal unclear: $out"
[ "$(sqlite3 "$casusdb" "SELECT count(*) FROM disclosure")" = 1 ] || fail "a refused share was recorded"
# Consent to another participant; a consent to the gemeente does not cover om-test.
kt politie-test case consent "$A" --to om-test --item "$PCID:0" \
    --necessity "Nodig voor de strafrechtelijke afweging." --data-kind netwerk --wait \
    | grep -q delivered || fail "the police's consent to om-test was not delivered"
if out=$(kt "$UITV" case share "$A" --to om-test --to rvdk-test --item "$PCID:0" \
        --necessity "Besluit casusoverleg." --data-kind netwerk 2>&1); then
    fail "the consent to om-test covered rvdk-test: $out"
fi
grep -q "has no consent of politie-test, the party it came from, to go to rvdk-test" <<< "$out" \
    || fail "refusal unclear: $out"
kt "$UITV" case share "$A" --to om-test --item "$PCID:0" \
    --necessity "Besluit casusoverleg: nodig voor de strafrechtelijke afweging." --data-kind netwerk \
    --json > "$T/share.json" || fail "the uitvoerder's share with consent failed: $(cat "$T/share.json")"
[ "$(jq -r '.source' "$T/share.json")" = politie-test ] || fail "source wrong: $(cat "$T/share.json")"
got_share_om() { [ "$(shared_n om-test)" = 1 ]; }
wait_until 10 got_share_om || fail "om-test did not receive the uitvoerder's share"
[ "$(kt om-test case show "$A" --json | jq -r '.shared[0].source + "|" + .shared[0].items[0].text')" \
    = "politie-test|Contact met broer in Antwerpen (fictief)." ] || fail "om-test's share is wrong"
[ "$(shared_n "$G")" = 1 ] && [ "$(shared_n rvdk-test)" = 0 ] \
    || fail "the uitvoerder's share went to a participant not named"
[ "$(shared_log)" = "[{\"node\":\"politie-test\",\"recipients\":[\"$G\"]},{\"node\":\"politie-test\",\"recipients\":[\"om-test\"]}]" ] \
    || fail "the uitvoerder's share is not logged as SHARED once: $(shared_log)"
pass "the uitvoerder shares another party's item only with its consent for that recipient"

# Crash safety: a share recorded but not logged and sent (the log locked, as
# a crash at that point leaves it) is finished on the next start, logged
# once, and reaches exactly its recipient.
kt politie-test case consent "$A" --to rvdk-test --item "$PCID:0" \
    --necessity "Nodig voor het raadsonderzoek." --data-kind netwerk --wait \
    | grep -q delivered || fail "the police's consent to rvdk-test was not delivered"
wait_until 20 relay_settled nctv-test || fail "copies unconfirmed before the lock"
lock_db "$T/state-$UITV/log.db"
if out=$(kt "$UITV" case share "$A" --to rvdk-test --item "$PCID:0" \
        --necessity "Besluit casusoverleg: nodig voor het raadsonderzoek." --data-kind netwerk 2>&1); then
    unlock_db
    fail "a share was sent with the log locked: $out"
fi
unlock_db
grep -q "is recorded, but not logged and sent to every recipient yet (done when ketend next starts)" <<< "$out" \
    || fail "share failure unclear: $out"
[ "$(shared_n rvdk-test)" = 0 ] || fail "a share that was never logged reached rvdk-test"
kt_kill "$UITV"
kt_start "$UITV"
got_share_rvdk() { [ "$(shared_n rvdk-test)" = 1 ]; }
wait_until 20 got_share_rvdk || fail "the share did not reach rvdk-test after the restart"
grep -q "disclosure resume case_ref=$A" "$T/$UITV.log" || fail "the resume is not in the journal"
[ "$(kt "$UITV" log show --case "$A" --json | jq -c '[.events[] | select(.event=="SHARED")
    | select(.recipients == ["rvdk-test"])] | length')" = 1 ] || fail "the resumed share is not logged once"
[ "$(sqlite3 "$casusdb" "SELECT count(*) FROM disclosure WHERE step<>0")" = 0 ] \
    || fail "a share is still unsent"
[ "$(shared_n om-test)" = 1 ] && [ "$(shared_n "$G")" = 1 ] || fail "the resumed share went elsewhere too"
pass "a share left unlogged by a crash is logged once and sent on the next start"

kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "the log verifies"
