#!/usr/bin/env bash
# art. 9-10, 10.5: a casusoverleg agenda goes to the participants of the
# cases on it and to nobody else - each participant only the cases it takes
# part in, an externe casuspartner the case_ref without the subject - and
# a partner node treats it like a weegploeg agenda (stored, shown, .ics,
# hook).  Only open cases go on it; a participant whose last case was taken
# off, and at the end every participant, gets a cancellation.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie "$G":gemeente rvdk-test:rvdk reclassering-test:reclassering nctv-test:extern; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" politie-test "$G" rvdk-test reclassering-test nctv-test
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
cat > "$T/hook.sh" <<HOOK
#!/bin/sh
echo "\$1 \$2 \$3" >> "$T/hook-\$(basename "\$(dirname "\$3")").out"
HOOK
chmod 755 "$T/hook.sh"
for id in politie-test "$G" rvdk-test reclassering-test nctv-test; do
    kt_config "$id"
    # The gemeente, and (now that any partner may receive casusoverleg
    # agendas) the casuspartij rvdk too, write .ics files and run the hook.
    if [ "$id" = "$G" ] || [ "$id" = rvdk-test ]; then
        mkdir "$T/ics-$id"
        printf 'agenda\n    ics-dir = "%s"\n    hook = "%s"\n' "$T/ics-$id" "$T/hook.sh" >> "$T/$id.cfg"
    fi
    kt_start "$id"
done
for id in politie-test "$G" rvdk-test reclassering-test nctv-test; do
    wait_until 10 link_up "$id" || fail "no link for $id"
done

# Three subjects: A (politie, gemeente, rvdk, nctv), C (politie, gemeente)
# and B, whose case is closed before any meeting.
submit() {  # submit NAME LOCAL_REF -> the new case_ref
    kt_signal_file "$T/$2.json" "$2"
    jq --arg n "$1" '.subject.name = $n' "$T/$2.json" > "$T/$2.n.json"
    kt politie-test signal submit --file "$T/$2.n.json" --wait | grep -q delivered || fail "$2 not delivered"
    kt "$UITV" signal list --json | jq -r '.signals[0].case_ref'
}
A=$(submit "Test Persoon" A-1)
B=$(submit "Bert Gesloten" B-1)
C=$(submit "Cor Tweede" C-1)
[ "$A" != "$B" ] && [ "$B" != "$C" ] && [ "$A" != "$C" ] || fail "expected three case_refs: $A $B $C"
kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --party "$G" --party rvdk-test \
    --party nctv-test --criterion geweld --analysis "Fictief." > /dev/null
for x in "$B" "$C"; do
    kt "$UITV" weegploeg decide "$x" --agenderen --party politie-test --party "$G" \
        --criterion geweld --analysis "Fictief." > /dev/null
done
# art. 9.4: B closes on the casusoverleg's advice, by each kernpartij
# involved at its own node.
echo '{ "goals": [ { "kind": "zorg", "text": "Begeleiding." } ], "measures": [] }' > "$T/plan-b.json"
kt "$UITV" case plan "$B" --file "$T/plan-b.json" > /dev/null
kt "$UITV" case advise "$B" --advice "Doelen bereikt." > /dev/null
advised() { kt "$1" case show "$B" --json | jq -e '.closure_advice' > /dev/null; }
for id in politie-test "$G"; do
    wait_until 10 advised "$id" || fail "$id did not get the advice on $B"
    kt "$id" case close "$B" --decision close --wait | grep -q delivered || fail "$id's decision not delivered"
done
b_closed() { [ "$(kt "$UITV" case list --json | jq -r --arg b "$B" '.cases[] | select(.case_ref==$b) | .state')" = closed ]; }
wait_until 10 b_closed || fail "$B did not close"

# Refusals: only open cases in the casusoverleg file, only at the uitvoerder.
if out=$(kt "$UITV" casusoverleg agenda --start 2026-12-02T14:00 --location X --case "$B" 2>&1); then
    fail "a closed case was put on a casusoverleg agenda"
fi
grep -q "case $B is closed" <<< "$out" || fail "closed case refusal unclear: $out"
if out=$(kt "$UITV" casusoverleg agenda --start 2026-12-02T14:00 --location X \
        --case k-0000000000000000 2>&1); then
    fail "an unknown case was put on a casusoverleg agenda"
fi
grep -q "no case k-0000000000000000 in the casusoverleg file" <<< "$out" \
    || fail "unknown case refusal unclear: $out"
if kt politie-test casusoverleg agenda --start 2026-12-02T14:00 --location X --case "$A" 2>/dev/null; then
    fail "a partner planned a casusoverleg"
fi
pass "closed and unknown cases, and a partner's plan, are refused"

M=$(kt "$UITV" casusoverleg agenda --start 2026-12-02T14:00 --location "Stadhuis, kamer 3" \
    --case "$A" --case "$C" --json | jq -r .meeting_id)
[[ "$M" == w-* ]] || fail "no meeting id: $M"
refs() { kt "$1" agenda list --json | jq -r --arg m "$M" '[.meetings[] | select(.meeting_id==$m) | .case_refs[]] | sort | join(",")'; }
seq_of() { kt "$1" agenda list --json | jq -r --arg m "$M" '.meetings[] | select(.meeting_id==$m) | .sequence'; }
has_seq() { [ "$(seq_of "$1")" = "$2" ]; }
for id in politie-test "$G" rvdk-test nctv-test; do
    wait_until 10 has_seq "$id" 0 || fail "$id did not receive the casusoverleg agenda"
done
both=$(printf '%s\n' "$A" "$C" | sort | paste -sd,)
[ "$(refs politie-test)" = "$both" ] || fail "politie got $(refs politie-test), not both cases"
[ "$(refs "$G")" = "$both" ] || fail "the gemeente got $(refs "$G"), not both cases"
[ "$(refs rvdk-test)" = "$A" ] || fail "rvdk got $(refs rvdk-test), not only its case $A"
[ "$(refs nctv-test)" = "$A" ] || fail "nctv got $(refs nctv-test), not only its case $A"
[ "$(kt "$G" agenda list --json | jq -r '.meetings[0].kind')" = casusoverleg ] || fail "kind not casusoverleg"
kt "$G" agenda list | grep -q "casusoverleg" || fail "agenda list shows no KIND"
[ "$(kt reclassering-test agenda list --json | jq '.meetings | length')" = 0 ] \
    || fail "reclassering, not a participant, received the agenda"
[ "$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE recipient='reclassering-test'")" = 0 ] \
    || fail "a copy was addressed to reclassering"
[ "$(sqlite3 "$T/state-reclassering-test/node.db" "SELECT count(*) FROM sqlite_master WHERE name='agenda'")" = 0 ] \
    || fail "reclassering keeps an agenda table"
[ "$(kt "$UITV" casusoverleg meetings --json | jq -r '[.meetings[0].recipients[].member] | join(",")')" \
    = "$G,nctv-test,politie-test,rvdk-test" ] || fail "recipients recorded wrongly"
[ "$(kt "$UITV" weegploeg meetings --json | jq '.meetings | length')" = 0 ] \
    || fail "the casusoverleg meeting is listed as a weegploeg meeting"
pass "the participants receive the agenda, each only its own cases; reclassering does not"

# Item content: subject without BSN, address or signals for a convenant
# party; the case_ref only for the externe casuspartner (art. 10.5).
item() { kt "$1" agenda show "$M" --json | jq -c --arg a "$A" '.items[] | select(.case_ref==$a)'; }
[ "$(item rvdk-test | jq -r '.subject.name + "|" + .subject.birth_date + "|" + .subject.municipality + "|" + .subject.address + "|" + (.signals | length | tostring)')" \
    = "Test Persoon|2001-04-12|Maastricht||0" ] || fail "rvdk's item is wrong: $(item rvdk-test)"
[ "$(item nctv-test | jq -r 'has("subject")')" = false ] || fail "nctv's item carries the subject: $(item nctv-test)"
shown=$(kt nctv-test agenda show "$M") || fail "nctv cannot show its agenda"
grep -q "$A" <<< "$shown" || fail "nctv's agenda show lacks the case_ref: $shown"
if grep -q "Test Persoon" <<< "$shown"; then fail "nctv sees the subject's name"; fi
[ "$(kt nctv-test audit access --json | jq -r --arg a "$A" '[.access[] | select(.case_ref==$a and .what=="agenda.show")] | length')" -ge 1 ] \
    || fail "nctv's read was not recorded"
pass "convenant parties get case_ref and subject; the externe casuspartner the case_ref only"

# The gemeente (and the casuspartij) write the .ics and run the hook.
for id in "$G" rvdk-test; do
    ics="$T/ics-$id/$M.ics"
    [ -f "$ics" ] || fail "$id wrote no .ics"
    grep -q "^SUMMARY:Casusoverleg ($M)" "$ics" || fail "$id's ics SUMMARY is not Casusoverleg"
    grep -q "^DTSTART;TZID=Europe/Amsterdam:20261202T140000" "$ics" || fail "$id's ics start wrong"
    if grep -q "Test Persoon" "$ics"; then fail "$id's ics holds a name although ics-personal-data is off"; fi
    hooked() { grep -q "^new $M $ics" "$T/hook-ics-$1.out"; }
    wait_until 10 hooked "$id" || fail "$id's hook did not run with (new, meeting, ics)"
done
pass "the gemeente writes $M.ics with SUMMARY Casusoverleg and runs its hook"

# A weegploeg command does not change a casusoverleg meeting.
if out=$(kt "$UITV" weegploeg agenda --meeting "$M" --location Y 2>&1); then
    fail "weegploeg agenda changed a casusoverleg meeting"
fi
grep -q "is a casusoverleg meeting" <<< "$out" || fail "kind refusal unclear: $out"

# A taken off: rvdk and nctv lose their last case and get a cancellation.
kt "$UITV" casusoverleg agenda --meeting "$M" --case "$C" > /dev/null
for id in politie-test "$G" rvdk-test nctv-test; do
    wait_until 10 has_seq "$id" 1 || fail "$id did not get version 1"
done
for id in rvdk-test nctv-test; do
    [ "$(kt "$id" agenda list --json | jq -r '.meetings[0].cancelled')" = true ] \
        || fail "$id's copy is not cancelled"
done
[ "$(refs "$G")" = "$C" ] || fail "the gemeente's copy does not hold $C only"
grep -q "^STATUS:CANCELLED" "$T/ics-rvdk-test/$M.ics" || fail "rvdk's ics not cancelled"
grep -q "^STATUS:CONFIRMED" "$T/ics-$G/$M.ics" || fail "the gemeente's ics was cancelled"
pass "a participant whose last case was taken off gets a cancellation"

# A back on, then the meeting cancelled: the cancellation reaches all.
kt "$UITV" casusoverleg agenda --meeting "$M" --case "$A" --case "$C" > /dev/null
for id in politie-test "$G" rvdk-test nctv-test; do wait_until 10 has_seq "$id" 2 || fail "$id: no v2"; done
kt "$UITV" casusoverleg agenda --meeting "$M" --cancel > /dev/null
for id in politie-test "$G" rvdk-test nctv-test; do
    wait_until 10 has_seq "$id" 3 || fail "$id did not get the cancellation"
    [ "$(kt "$id" agenda list --json | jq -r '.meetings[0].cancelled')" = true ] || fail "$id not cancelled"
done
grep -q "^METHOD:CANCEL" "$T/ics-$G/$M.ics" || fail "the gemeente's ics method not CANCEL"
wait_until 10 grep -q "^cancel $M" "$T/hook-ics-$G.out" || fail "hook not run for the cancellation"
[ "$(kt reclassering-test agenda list --json | jq '.meetings | length')" = 0 ] || fail "reclassering heard of it"
pass "the cancellation reaches every participant, and still nobody else"

# Every copy was logged as sent, as CASUS_AGENDA, and receipted.
wait_until 20 relay_settled || fail "copies not receipted"
kt_kill "$UITV"
[ "$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE type=6")" = 0 ] \
    || fail "a casusoverleg agenda went as WEEGPLOEG_AGENDA"
sent=$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE type=8")
delivered=$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE type=8 AND state=1")
[ "$sent" -gt 0 ] && [ "$sent" = "$delivered" ] || fail "$delivered of $sent casusoverleg agendas confirmed"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "all $sent casusoverleg agenda messages receipted; the log verifies"
