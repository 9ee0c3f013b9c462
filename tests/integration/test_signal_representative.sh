#!/usr/bin/env bash
# art. 7.2a: police signals reach the weegploeg "via een vertegenwoordiger
# van de politie die deelneemt aan de weegploeg".
# - confirm mode: spool signals wait on the police node, and nothing
#   reaches the uitvoerder, until a member of intake/representative-group
#   confirms them (one by one or all, all or none); a restart neither
#   loses nor sends them; who confirmed is recorded at both ends.
# - auto mode: each spool signal goes at once in the configured
#   representative's name, which the uitvoerder keeps; the representative
#   withdraws it before the weegploeg weighed it (gone from the file with
#   its subject, on record in the log), and not after.
# - an art. 9/10 Wpg spool signal is confirmed first, then released; art.
#   10(1)(b) Wpg data is refused at intake.
source "$(dirname "$0")/lib.sh"
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_roster 1 "$T/roster.txt" "$UITV" politie-test
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
SPOOL="$T/spool"
mkdir "$SPOOL"
REP="Vertegenwoordiger Test"
ME=$(id -un)
other_group=$(getent group | cut -d: -f1,4 | grep -v "\b$ME\b" | grep -vx "$(id -gn):.*" | head -n1 | cut -d: -f1)
[ -n "$other_group" ] || fail "no group without $ME to test a refusal with"

police() {  # police MODE REPRESENTATIVE_GROUP: (re)start the police node so
    if [ -n "${KT_PID[politie-test]:-}" ]; then kt_kill politie-test; fi
    kt_config politie-test
    printf 'intake\n    spool-dir = "%s"\n    spool-poll-ms = 100\n    representative-mode = %s\n    representative = "%s"\n    representative-group = %s\n    release-group = %s\n' \
        "$SPOOL" "$1" "$REP" "$2" "$(id -gn)" >> "$T/politie-test.cfg"
    kt_start politie-test
    wait_until 10 link_up politie-test || fail "no link ($1, $2)"
}
drop_file() { cp "$1" "$SPOOL/.$2.tmp" && mv "$SPOOL/.$2.tmp" "$SPOOL/$2.json"; }
signal_for() {  # signal_for PATH NAME LOCAL_REF: a spool signal about NAME
    kt_signal_file "$1" "$3"
    sed -i "s/Test Persoon/$2/" "$1"
}
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal"; }
has_row() { [ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal WHERE hex(message_id)=upper('$1')")" = 1 ]; }
police_list() { kt politie-test signal list --json; }
state_of() { police_list | jq -r --arg id "$1" '.signals[] | select(.message_id==$id) | .state'; }
ids_in() { police_list | jq -r --arg s "$1" '[.signals[] | select(.state==$s) | .message_id] | sort | join(" ")'; }
n_in() { police_list | jq --arg s "$1" '[.signals[] | select(.state==$s)] | length'; }
n_in_is() { [ "$(n_in "$1")" = "$2" ]; }
delivered() { [ "$(state_of "$1")" = delivered ]; }
# The text table's REPRESENTATIVE cell (the last column) of signal ID.
rep_cell() {
    kt politie-test signal list | awk -v id="$1" 'NR == 1 { at = index($0, "REPRESENTATIVE") }
        $1 == id { print substr($0, at) }' | sed 's/ *$//'
}
cell_is() {  # cell_is ID TEXT WHAT
    local got
    got=$(rep_cell "$1")
    [ "$got" = "$2" ] || fail "signal list shows '$got' as the representative of $3, not '$2'"
}

# ---- confirm mode ---------------------------------------------------------
police confirm "$other_group"
signal_for "$T/c1.json" "Eerste Persoon" C-1
signal_for "$T/c2.json" "Tweede Persoon" C-2
drop_file "$T/c1.json" 2026-12-03-c1
drop_file "$T/c2.json" 2026-12-03-c2
wait_until 20 n_in_is awaiting-confirmation 2 || fail "the spool signals do not await confirmation: $(police_list)"
# A signal submitted through the API goes: the node pumped and sent while
# the spool signals waited.
kt_signal_file "$T/api.json" API-1
kt politie-test signal submit --file "$T/api.json" --wait | grep -q delivered || fail "no delivery"
[ "$(stored)" = 1 ] || fail "the uitvoerder got a signal awaiting confirmation"
police_list | jq -e --arg r "$REP" '[.signals[] | select(.state=="awaiting-confirmation"
    and .via=="spool" and .representative==$r)] | length == 2' > /dev/null \
    || fail "the list does not show the representative of the waiting signals: $(police_list)"
kt politie-test signal list | grep -q "awaiting-confirmation .*$REP" || fail "the table lacks state or representative"
pass "confirm mode: spool signals wait on the police node, nothing at the uitvoerder"

read -r C1 C2 <<< "$(ids_in awaiting-confirmation)"
if out=$(kt politie-test signal confirm --all 2>&1); then fail "confirmed by $ME outside $other_group"; fi
grep -q "needs a caller in group $other_group (intake/representative-group)" <<< "$out" \
    || fail "refusal unclear: $out"
# The submit group is not the representative's.
if kt politie-test signal confirm "$C1" 2> /dev/null; then fail "confirmed with submit's right"; fi
[ "$(n_in awaiting-confirmation)" = 2 ] && [ "$(stored)" = 1 ] || fail "a refused confirmation sent something"
pass "a confirmation by someone outside the representative group is refused: $out"

# A restart loses nothing and sends nothing.
police confirm "$(id -gn)"
[ "$(ids_in awaiting-confirmation)" = "$C1 $C2" ] || fail "the restart changed the waiting signals: $(police_list)"
# A signal that never left has nothing to withdraw or correct at the
# uitvoerder, even for the representative.
printf '{"kind": "fact", "text": "Gecorrigeerd (fictief)."}\n' > "$T/item.json"
if out=$(kt politie-test signal correct "$C1" --item 0 --file "$T/item.json" 2>&1); then
    fail "a signal awaiting confirmation was corrected"
fi
grep -q "never sent" <<< "$out" || fail "the refused correction does not say why: $out"
[ "$(stored)" = 1 ] || fail "the restart sent a waiting signal"
# All or none: one unknown id refuses the whole call, naming it.
UNKNOWN=0123456789abcdef0123456789abcdef
if out=$(kt politie-test signal confirm "$C1" "$UNKNOWN" 2>&1); then fail "confirmed with an unknown id"; fi
grep -q "$UNKNOWN: no signal with this message id" <<< "$out" || fail "unknown id not named: $out"
[ "$(state_of "$C1")" = awaiting-confirmation ] || fail "a refused bulk confirmation confirmed $C1"
pass "a restart keeps the waiting signals; an unknown id refuses the whole confirmation: $out"

out=$(kt politie-test signal confirm "$C1")
grep -q "signal $C1 confirmed by $ME, queued" <<< "$out" || fail "confirmation unclear: $out"
wait_until 20 delivered "$C1" || fail "the confirmed signal was not delivered"
[ "$(stored)" = 2 ] && has_row "$C1" || fail "the uitvoerder does not hold the confirmed signal"
[ "$(state_of "$C2")" = awaiting-confirmation ] || fail "$C2 left without its confirmation"
police_list | jq -e --arg id "$C1" --arg u "$ME" '.signals[] | select(.message_id==$id)
    | .confirmed_by == $u and .confirmed_ms > 0' > /dev/null || fail "the confirmation is not recorded with $ME"
uid=$(sqlite3 "$T/state-politie-test/node.db" "SELECT confirmed_uid FROM signal WHERE hex(message_id)=upper('$C1')")
[ "$uid" = "$(id -u)" ] || fail "confirmation recorded uid '$uid'"
if out=$(kt politie-test signal confirm "$C1" 2>&1); then fail "confirmed twice"; fi
grep -q "does not await confirmation" <<< "$out" || fail "second confirmation refusal unclear: $out"
# At the uitvoerder: who confirmed, in the log (the OS user) and in the file.
CASE1=$(kt_case_of "$C1")
kt "$UITV" log show --case "$CASE1" --json | jq -e --arg id "$C1" --arg u "$ME" \
    '[.events[] | select(.event=="MESSAGE_RECEIVED" and .message_id==$id and .os_user==$u
      and .what=="representative-confirmed")] | length == 1' > /dev/null \
    || fail "the uitvoerder's log does not record the confirmation by $ME"
kt "$UITV" weegploeg subject "$CASE1" --json | jq -e --arg id "$C1" --arg u "$ME" --arg r "$REP" \
    '.signals[] | select(.message_id==$id) | .confirmed_by == $u and .representative == $r' > /dev/null \
    || fail "the weegploeg file does not record representative and confirmation"
API=$(police_list | jq -r '.signals[] | select(.local_ref=="API-1") | .message_id')
police_list | jq -e --arg id "$API" '.signals[] | select(.message_id==$id)
    | .representative == null and .confirmed_by == null' > /dev/null || fail "an API signal has a representative"
cell_is "$API" "-" "the API signal"
cell_is "$C1" "$REP (confirmed by $ME)" "the confirmed spool signal"
cell_is "$C2" "$REP" "the spool signal awaiting confirmation"
pass "a confirmed signal goes once, recorded with $ME at the police node and the uitvoerder"

out=$(kt politie-test signal confirm --all)
grep -q "signal $C2 confirmed by $ME" <<< "$out" || fail "--all did not confirm $C2: $out"
wait_until 20 delivered "$C2" || fail "$C2 was not delivered"
[ "$(stored)" = 3 ] || fail "expected 3 signals at the uitvoerder, got $(stored)"
kt politie-test signal confirm --all | grep -q "no signal awaits confirmation" || fail "--all with none waiting unclear"
pass "--all confirms every waiting signal"

# An art. 9/10 Wpg spool signal: first the representative, then the release.
signal_for "$T/h.json" "Vijfde Persoon" H-1
jq '.wpg_basis = "art-9-10" | .legal_basis = "wpg-18-2"' "$T/h.json" > "$T/h2.json"
drop_file "$T/h2.json" 2026-12-03-h
wait_until 20 n_in_is awaiting-confirmation 1 || fail "the art. 9/10 spool signal does not await confirmation"
H=$(ids_in awaiting-confirmation)
release_h() { kt politie-test signal release "$H" --opsporingsbelang-checked --om-consulted "Officier Test" \
    --bevoegd-functionaris "Functionaris Test"; }
if out=$(release_h 2>&1); then fail "released before the representative confirmed it"; fi
grep -q "confirm it first" <<< "$out" || fail "refusal unclear: $out"
kt politie-test signal confirm "$H" | grep -q "confirmed by $ME, held" || fail "the confirmed art. 9/10 signal is not held"
[ "$(state_of "$H")" = held ] && [ "$(stored)" = 3 ] || fail "the art. 9/10 signal left before its release"
release_h | grep -q released || fail "the release failed"
wait_until 20 delivered "$H" || fail "the released signal was not delivered"
kt "$UITV" log show --case "$(kt_case_of "$H")" --json | jq -e --arg id "$H" --arg u "$ME" \
    '[.events[] | select(.event=="MESSAGE_RECEIVED" and .message_id==$id and .os_user==$u
      and .what=="wpg-release,representative-confirmed")] | length == 1' > /dev/null \
    || fail "the log does not record release and confirmation"
pass "an art. 9/10 spool signal is confirmed, then released, and both are on record"

# ---- auto mode -------------------------------------------------------------
police auto "$other_group"
signal_for "$T/a1.json" "Derde Persoon" A-1
drop_file "$T/a1.json" 2026-12-03-a1
spool_delivered() { [ "$(police_list | jq '[.signals[] | select(.local_ref=="A-1" and .state=="delivered")] | length')" = 1 ]; }
wait_until 20 spool_delivered || fail "auto mode did not forward the spool signal: $(police_list)"
A1=$(police_list | jq -r '.signals[] | select(.local_ref=="A-1") | .message_id')
police_list | jq -e --arg id "$A1" --arg r "$REP" '.signals[] | select(.message_id==$id)
    | .representative == $r and (.confirmed_by == null)' > /dev/null || fail "the list lacks the representative"
cell_is "$A1" "$REP" "the auto-mode spool signal"
cell_is "$API" "-" "the API signal (auto mode)"
cell_is "$C1" "$REP (confirmed by $ME)" "the confirmed spool signal (auto mode)"
CASE_A=$(kt_case_of "$A1")
kt "$UITV" weegploeg subject "$CASE_A" --json | jq -e --arg id "$A1" --arg r "$REP" \
    '.signals[] | select(.message_id==$id) | .representative == $r' > /dev/null \
    || fail "the uitvoerder does not record the representative"
pass "auto mode: the spool signal goes at once, in the representative's name, recorded at the uitvoerder"

# Art. 10(1)(b) Wpg data has no basis under the machtigingsbesluit: the
# spool rejects it with the reason, and nothing is stored or sent.
before=$(stored)
kt_signal_file "$T/b.json" B-1
jq '.wpg_basis = "art-10-1-b" | .legal_basis = "wpg-18-2"' "$T/b.json" > "$T/b2.json"
drop_file "$T/b2.json" 2026-12-03-b
wait_until 20 test -e "$SPOOL.state/rejected/2026-12-03-b.json.reason" || fail "the art. 10(1)(b) file was not rejected"
grep -q "art. 10(1)(b) Wpg data is not covered by the Wpg machtigingsbesluit" \
    "$SPOOL.state/rejected/2026-12-03-b.json.reason" || fail "the rejection does not give the rule"
[ "$(stored)" = "$before" ] && [ -z "$(police_list | jq -r '.signals[] | select(.local_ref=="B-1") | .message_id')" ] \
    || fail "art. 10(1)(b) data was stored"
pass "art. 10(1)(b) Wpg data is refused at intake: $(cat "$SPOOL.state/rejected/2026-12-03-b.json.reason")"

# The representative's right, not submit's.
if out=$(kt politie-test signal withdraw "$A1" --reason "Ingetrokken (fictief)." 2>&1); then
    fail "a spool signal withdrawn outside the representative group"
fi
grep -q "needs a caller in group $other_group (intake/representative-group)" <<< "$out" \
    || fail "refusal unclear: $out"
has_row "$A1" || fail "a refused withdrawal took the signal"
police auto "$(id -gn)"
out=$(kt politie-test signal withdraw "$A1" --reason "Ingetrokken (fictief)." --wait)
grep -q delivered <<< "$out" || fail "the withdrawal was not accepted: $out"
gone() { ! has_row "$A1" && [ "$(kt_case_of "$A1")" = "" ]; }
wait_until 10 gone || fail "the withdrawn signal is still in the uitvoerder's file or list"
own_gone() { [ -z "$(state_of "$A1")" ]; }
wait_until 10 own_gone || fail "the police node still lists the withdrawn signal"
kt "$UITV" log show --case "$CASE_A" --json | jq -e --arg id "$A1" \
    '[.events[] | select(.event=="SIGNAL_WITHDRAWN" and .message_id==$id
      and .node=="politie-test")] | length == 1' > /dev/null \
    || fail "the withdrawal is not in the log: $(kt "$UITV" log show --case "$CASE_A")"
kt "$UITV" log show --case "$CASE_A" | grep -q "withdrew its signal before the weegploeg weighed it" \
    || fail "keten log show does not tell the withdrawal"
# It was the subject's only signal and nothing was decided: the subject
# goes as an art. 13 destruction would take it (key shredded, rows gone).
subject_gone() {
    [ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM subject WHERE case_ref='$CASE_A'")" = 0 ] &&
    [ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT state FROM lifecycle WHERE case_ref='$CASE_A'")" = 3 ]
}
wait_until 10 subject_gone || fail "the subject of the withdrawn signal was not destroyed"
kt "$UITV" log show --case "$CASE_A" --json | jq -e '[.events[] | select(.event=="DESTROYED")] | length == 1' \
    > /dev/null || fail "the subject's destruction is not in the log"
if kt "$UITV" weegploeg subject "$CASE_A" > /dev/null 2>&1; then fail "the withdrawn subject can still be read"; fi
kt "$UITV" log verify > /dev/null || fail "log verify fails after the withdrawal"
pass "the representative withdraws a spool signal before it is weighed: gone from the file with its subject, logged"

# Weighed: a decision on its subject since it arrived.  Then the file and
# the decision rest on it; the correction route remains.
signal_for "$T/a2.json" "Vierde Persoon" A-2
drop_file "$T/a2.json" 2026-12-03-a2
a2_delivered() { [ "$(police_list | jq '[.signals[] | select(.local_ref=="A-2" and .state=="delivered")] | length')" = 1 ]; }
wait_until 20 a2_delivered || fail "the second spool signal was not forwarded"
A2=$(police_list | jq -r '.signals[] | select(.local_ref=="A-2") | .message_id')
CASE_B=$(kt_case_of "$A2")
kt "$UITV" weegploeg decide "$CASE_B" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." \
    > /dev/null || fail "the weegploeg could not decide"
rc=0
out=$(kt politie-test signal withdraw "$A2" --reason "Te laat (fictief)." --wait 2>&1) || rc=$?
[ $rc -ne 0 ] || fail "a weighed signal was withdrawn: $out"
grep -q "the weegploeg weighed this signal" <<< "$out" && grep -q "correction" <<< "$out" \
    || fail "refusal does not point to the correction route: $out"
has_row "$A2" || fail "a refused withdrawal took the weighed signal"
[ "$(state_of "$A2")" = delivered ] || fail "the police node dropped the weighed signal"
pass "after the weegploeg weighed it the withdrawal is refused: $out"

# A question for more information is not a weighing (the weegploeg has
# not weighed the subject yet): the representative may still withdraw.
signal_for "$T/a3.json" "Zesde Persoon" A-3
drop_file "$T/a3.json" 2026-12-03-a3
a3_delivered() { [ "$(police_list | jq '[.signals[] | select(.local_ref=="A-3" and .state=="delivered")] | length')" = 1 ]; }
wait_until 20 a3_delivered || fail "the third spool signal was not forwarded"
A3=$(police_list | jq -r '.signals[] | select(.local_ref=="A-3") | .message_id')
CASE_C=$(kt_case_of "$A3")
kt "$UITV" weegploeg decide "$CASE_C" --meer-informatie --ask politie-test --criterion geweld \
    --question "Is er meer bekend (fictief)?" --analysis "Fictief." > /dev/null \
    || fail "the weegploeg could not ask for more information"
out=$(kt politie-test signal withdraw "$A3" --reason "Ingetrokken (fictief)." --wait 2>&1) \
    || fail "a signal the weegploeg only asked about could not be withdrawn: $out"
grep -q delivered <<< "$out" || fail "the withdrawal after a question was not accepted: $out"
a3_gone() { ! has_row "$A3"; }
wait_until 10 a3_gone || fail "the signal withdrawn after a question is still in the uitvoerder's file"
pass "a question for more information is not a weighing: the representative still withdraws"
