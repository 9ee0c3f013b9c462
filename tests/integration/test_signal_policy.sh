#!/usr/bin/env bash
# art. 7.1-7.2: only a kernpartij brings a signal in.  A casuspartij's node
# refuses to send one, with the rule; an art. 9/10 Wpg police signal is
# held and does not leave the police node.
source "$(dirname "$0")/lib.sh"
kt_federation rvdk-test:rvdk gemeente-test:gemeente
wait_until 10 link_up politie-test || fail "no link"
wait_until 10 link_up rvdk-test || fail "no rvdk link"
kt_signal_file "$T/s.json"

if out=$(kt rvdk-test signal submit --file "$T/s.json" 2>&1); then
    fail "rvdk could submit a signal: $out"
fi
grep -q "art. 7.1" <<< "$out" || fail "refusal does not cite art. 7.1: $out"
[ "$(kt rvdk-test signal list --json | jq '.signals | length')" = 0 ] || fail "rvdk stored it"
pass "casuspartij signal refused: $out"

# Art. 9/10 Wpg data's basis (wpg-18-2) leaves the police node only held,
# in a signal marked art-9-10; and a Wpg basis is police data, which only
# the police sends (the uitvoerder refuses it from a gemeente).
for wpg in art-8-13 none; do
    jq --arg w "$wpg" '.wpg_basis = $w | .legal_basis = "wpg-18-2"' "$T/s.json" > "$T/nine.json"
    rc=0; out=$(kt politie-test signal submit --file "$T/nine.json" 2>&1) || rc=$?
    [ $rc != 0 ] && grep -q "wpg_basis must be art-9-10" <<< "$out" \
        || fail "a wpg-18-2 signal marked $wpg was not refused (exit $rc): $out"
done
jq '.items = [{kind: "fact", text: "Feit (fictief).", legal_basis: "wpg-18-2"}]' "$T/s.json" > "$T/nine.json"
rc=0; out=$(kt politie-test signal submit --file "$T/nine.json" 2>&1) || rc=$?
[ $rc != 0 ] && grep -q "items\[0\].legal_basis: wpg-18-2" <<< "$out" \
    || fail "a wpg-18-2 item in an art. 8-13 signal was not refused (exit $rc): $out"
jq '.wpg_basis = "none" | .legal_basis = "wpg-20"' "$T/s.json" > "$T/gem.json"
rc=0; out=$(kt gemeente-test signal submit --file "$T/gem.json" --wait 2>&1) || rc=$?
[ $rc != 0 ] && grep -q "a Wpg basis is only for police data; gemeente-test is not the police" <<< "$out" \
    || fail "the uitvoerder took a Wpg basis from a gemeente (exit $rc): $out"
[ "$(jfield "$UITV" .stored.signals)" = 0 ] || fail "the uitvoerder stored a refused signal"
pass "wpg-18-2 only in a held art. 9/10 signal; a Wpg basis only from the police"

jq '.wpg_basis = "art-9-10" | .items = [{kind: "fact", text: "Negentienfeit (fictief)."}]' \
    "$T/s.json" > "$T/held.json"
out=$(kt politie-test signal submit --file "$T/held.json")
grep -q held <<< "$out" || fail "art. 9/10 signal not held: $out"
# Give the node several pump and heartbeat rounds to (wrongly) send it.
kt politie-test signal submit --file "$T/s.json" --wait | grep -q delivered || fail "no delivery"
[ "$(jfield "$UITV" .stored.signals)" = 1 ] || fail "uitvoerder got the held signal"
[ "$(kt politie-test signal list --json | jq -r '[.signals[] | .state] | sort | join(",")')" \
    = "delivered,held" ] || fail "politie's list does not show one held and one delivered"
# Nothing of it leaves before its release: not a correction, not a
# withdrawal's reason.
held_id=$(kt politie-test signal list --json | jq -r '.signals[] | select(.state=="held") | .message_id')
echo '{"kind": "fact", "text": "Gecorrigeerd (fictief)."}' > "$T/item.json"
for cmd in "correct $held_id --item 0 --file $T/item.json --reason x" "withdraw $held_id --reason x"; do
    rc=0; out=$(kt politie-test signal $cmd 2>&1) || rc=$?
    [ $rc = 1 ] && grep -q "held under the Wpg" <<< "$out" || fail "signal ${cmd%% *} of a held signal (exit $rc): $out"
done
if grep -q "correction" "$T/$UITV.log"; then fail "the uitvoerder heard of the held signal's correction"; fi
pass "art. 9/10 Wpg signal stays held on the police node; its correction and withdrawal are refused"

# Release: only an authorised police user (intake/release-group) releases.
held_id=$(kt politie-test signal list --json | jq -r '.signals[] | select(.state=="held") | .message_id')
release() { kt politie-test signal release "$held_id" --opsporingsbelang-checked --om-consulted "Officier Test" \
    --bevoegd-functionaris "Functionaris Test"; }
if out=$(release 2>&1); then fail "released with no release-group configured"; fi
grep -q "intake/release-group" <<< "$out" || fail "refusal does not name the setting: $out"
restart_politie_with_group() {
    kt_kill politie-test
    kt_config politie-test
    printf 'intake\n    release-group = %s\n' "$1" >> "$T/politie-test.cfg"
    kt_start politie-test
}
other_group=$(getent group | cut -d: -f1,4 | grep -v "\b$(id -un)\b" | grep -vx "$(id -gn):.*" | head -n1 | cut -d: -f1)
restart_politie_with_group "$other_group"
if out=$(release 2>&1); then fail "released by a user outside group $other_group"; fi
grep -q "needs a caller in group" <<< "$out" || fail "unauthorised refusal unclear: $out"
grep -q "api refused cmd=signal.release uid=$(id -u)" "$T/politie-test.log" || fail "refused release not logged"
pass "release refused without a release group and for a user outside it: $out"
restart_politie_with_group "$(id -gn)"
wait_until 10 link_up politie-test || fail "no link after restart"
# The held signal's id is wholly random (no creation time in its first bytes).
created_hex=$(printf '%012x' "$(sqlite3 "$T/state-politie-test/node.db" "SELECT created_ms FROM signal WHERE hex(message_id)=upper('$held_id')")")
[ "${held_id:0:8}" != "${created_hex:0:8}" ] || fail "held signal id is time-ordered: $held_id"

# Release: refused without the checks, then forwarded once, recorded with the
# OS user; a second release is refused.
if kt politie-test signal release "$held_id" --om-consulted "Officier Test" 2>/dev/null; then
    fail "released without the opsporingsbelang check"
fi
if kt politie-test signal release "$held_id" --opsporingsbelang-checked \
    --bevoegd-functionaris "Functionaris Test" 2>/dev/null; then
    fail "released without OM consultation"
fi
# Wpg machtigingsbesluit art. 2c: a blank name records nobody; the bevoegd
# functionaris of art. 2:10 Bpg is consulted too.  The daemon refuses, not
# only the CLI: the API is called directly as well.
for blank in " " "   " "$(printf '\xc2\xa0 ')"; do
    if out=$(kt politie-test signal release "$held_id" --opsporingsbelang-checked \
        --om-consulted "$blank" --bevoegd-functionaris "Functionaris Test" 2>&1); then
        fail "released with a blank OM officer '$blank'"
    fi
    grep -q "om_consulted must name the OM officer" <<< "$out" || fail "blank officer refusal unclear: $out"
    if out=$(kt politie-test signal release "$held_id" --opsporingsbelang-checked \
        --om-consulted "Officier Test" --bevoegd-functionaris "$blank" 2>&1); then
        fail "released with a blank bevoegd functionaris '$blank'"
    fi
    grep -q "bevoegd_functionaris must name" <<< "$out" || fail "blank functionaris refusal unclear: $out"
done
if out=$(kt politie-test signal release "$held_id" --opsporingsbelang-checked \
    --om-consulted "Officier Test" 2>&1); then
    fail "released without the bevoegd functionaris"
fi
grep -q "2:10 Bpg" <<< "$out" || fail "missing functionaris refusal unclear: $out"
[ "$(jfield "$UITV" .stored.signals)" = 1 ] || fail "a refused release sent the signal"
pass "a release needs a non-blank OM officer and bevoegd functionaris: $out"
kt politie-test signal release "$held_id" --opsporingsbelang-checked --om-consulted "Officier Test" \
    --bevoegd-functionaris "Functionaris Test" | grep -q released || fail "release failed"
two() { [ "$(jfield "$UITV" .stored.signals)" = 2 ]; }
wait_until 20 two || fail "released signal did not reach the uitvoerder"
[ "$(kt "$UITV" signal list --json | jq -r "[.signals[] | select(.message_id==\"$held_id\")] | length")" = 1 ] \
    || fail "the released signal kept its message id"
uid=$(sqlite3 "$T/state-politie-test/node.db" \
    "SELECT released_uid FROM signal WHERE hex(message_id)=upper('$held_id')")
[ "$uid" = "$(id -u)" ] || fail "release recorded uid '$uid', not $(id -u)"
grep -q "signal released id=$held_id uid=$(id -u)" "$T/politie-test.log" || fail "release not logged"
if sqlite3 "$T/state-politie-test/node.db" .dump | grep -q "Officier Test\|Functionaris Test"; then
    fail "an officer's name stored in the clear"
fi
if kt politie-test signal release "$held_id" --opsporingsbelang-checked --om-consulted X \
    --bevoegd-functionaris Y 2>/dev/null; then
    fail "released twice"
fi
# The uitvoerder's provenance log: the released signal's arrival names the
# OS user who released it and that it was a Wpg release - never the
# officers' names.
case_ref=$(kt "$UITV" signal list --json | jq -r ".signals[] | select(.message_id==\"$held_id\") | .case_ref")
trail=$(kt "$UITV" log show --case "$case_ref" --json)
echo "$trail" | jq -e --arg id "$held_id" --arg u "$(id -un)" \
    '[.events[] | select(.event=="MESSAGE_RECEIVED" and .message_id==$id
      and .os_user==$u and .what=="wpg-release")] | length == 1' > /dev/null \
    || fail "the log does not record the release by $(id -un): $trail"
if sqlite3 "$T/state-$UITV/log.db" .dump | grep -q "Officier Test\|Functionaris Test"; then
    fail "an officer's name is in the uitvoerder's log"
fi
kt "$UITV" log show --case "$case_ref" | grep -q "($(id -un)) supplied a SIGNAL.*wpg-release" \
    || fail "keten log show does not say who released it: $(kt "$UITV" log show --case "$case_ref")"
pass "held signal released once, after both checks, recorded with uid $uid"

# A new text for the released art. 9/10 signal is art. 9/10 data: it
# leaves only as the release did, by the release group with the checks.
echo '{"kind": "fact", "text": "Nieuw negentienfeit (fictief)."}' > "$T/nine-item.json"
correct_nine() { kt politie-test signal correct "$held_id" --item 0 --file "$T/nine-item.json" "$@"; }
rc=0; out=$(correct_nine --wait 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "art. 9/10 Wpg signal: its new text leaves only as a release does" <<< "$out" \
    || fail "a new text for a released art. 9/10 signal went without a release (exit $rc): $out"
restart_politie_with_group "$other_group"
wait_until 10 link_up politie-test || fail "no link after restart"
rc=0; out=$(correct_nine --opsporingsbelang-checked --om-consulted "Officier Correctie" \
    --bevoegd-functionaris "Functionaris Correctie" --wait 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "needs a caller in group $other_group (intake/release-group)" <<< "$out" \
    || fail "a user outside the release group sent a new art. 9/10 text (exit $rc): $out"
restart_politie_with_group "$(id -gn)"
wait_until 10 link_up politie-test || fail "no link after restart"
out=$(correct_nine --opsporingsbelang-checked --om-consulted "Officier Correctie" \
    --bevoegd-functionaris "Functionaris Correctie" --wait 2>&1) || fail "the released correction failed: $out"
grep -q delivered <<< "$out" || fail "the released correction was not delivered: $out"
kt "$UITV" weegploeg subject "$case_ref" --json | grep -qF "Nieuw negentienfeit" \
    || fail "the uitvoerder does not hold the new text"
trail=$(kt "$UITV" log show --case "$case_ref" --json)
for ev in MESSAGE_RECEIVED CORRECTED; do
    echo "$trail" | jq -e --arg e "$ev" --arg u "$(id -un)" \
        '[.events[] | select(.event==$e and .node=="politie-test" and .os_user==$u)] | length >= 1' \
        > /dev/null || fail "$ev does not name the OS user who corrected: $trail"
done
grep -q "correction own=correct signal=$held_id uid=$(id -u) opsporingsbelang_checked=yes" \
    "$T/politie-test.log" || fail "politie's journal does not say who corrected and that it was released"
for db in "$T/state-$UITV/weegploeg.db" "$T/state-$UITV/log.db" "$T/state-politie-test/node.db"; do
    if sqlite3 "$db" .dump | grep -q "Officier Correctie\|Functionaris Correctie"; then
        fail "an officer's name is in the clear in $db"
    fi
done
pass "a new text for a released art. 9/10 signal goes only by the release group with the checks; who asked is on record"

# Wpg besluit at the receiving side: police data only from the police.  The
# gemeente node sends it (its own intake does not know the rule); the
# uitvoerder refuses it with the reason, and the gemeente sees the refusal.
wait_until 10 link_up gemeente-test || fail "no gemeente link"
if out=$(kt gemeente-test signal submit --file "$T/s.json" --wait 2>&1); then
    fail "uitvoerder accepted a Wpg basis from a gemeente: $out"
fi
grep -q "only for police data" <<< "$out" || fail "refusal does not give the rule: $out"
[ "$(kt gemeente-test signal list --json | jq -r '.signals[0].state')" = refused ] \
    || fail "gemeente does not list the signal as refused"
grep -q "message refused\|signal refused" "$T/$UITV.log" || fail "refusal not logged at the uitvoerder"
pass "a Wpg basis from a gemeente is refused by the uitvoerder: $out"

# Items are recorded as professionals are told to (docs/SIGNAL-FORMAT.md,
# "Items"); an opinion without whose it is, or a diagnosis without its flag,
# is refused with the rule, and nothing is stored.
before=$(kt politie-test signal list --json | jq '.signals | length')
jq '.items = [{"kind": "opinion", "text": "Lijkt radicaal."}]' "$T/s.json" > "$T/op.json"
if out=$(kt politie-test signal submit --file "$T/op.json" 2>&1); then fail "opinion without 'of' accepted"; fi
grep -q "an opinion says whose" <<< "$out" || fail "refusal unclear: $out"
jq '.items = [{"kind": "diagnosis", "text": "x", "special_category": true}] | .special_category = true' \
    "$T/s.json" > "$T/dx.json"
if out=$(kt politie-test signal submit --file "$T/dx.json" 2>&1); then fail "diagnosis without flag accepted"; fi
grep -q "qualified_professional" <<< "$out" || fail "refusal unclear: $out"
[ "$(kt politie-test signal list --json | jq '.signals | length')" = "$before" ] || fail "a refused signal was stored"
jq '.items = [{"kind": "fact", "text": "Pamflet."}, {"kind": "opinion", "of": "agent", "text": "Zorgen."},
              {"kind": "counter-indication", "text": "Werkt mee."}]' "$T/s.json" > "$T/ok.json"
kt politie-test signal submit --file "$T/ok.json" --wait | grep -q delivered || fail "signal with items not delivered"
pass "items: opinions say whose, diagnoses are flagged; valid items are delivered"
