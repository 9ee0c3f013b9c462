#!/usr/bin/env bash
# art. 7.4 sub 1 ("eventueel na het inwinnen van additionele informatie"):
# the weegploeg decides meer informatie and asks one kernpartij a question;
# that kernpartij sees the open question and answers it; the uitvoerder
# keeps the answer in the weegploeg file (INFORMATION_ANSWERED), puts the
# subject on the next weegploeg agenda as a new version whose copies carry
# the answer, or lists it as due until a meeting is planned.  Answers from
# another party, to another kind of decision, or after a later decision are
# refused; the final decision closes the question.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_keys "$UITV" uitvoerder
# gemeente-heerlen is in the roster but not running: the subject does not
# live there, so it may not be asked (art. 8.4).
for spec in politie-test:politie om-test:om "$G":gemeente rvdk-test:rvdk gemeente-heerlen:gemeente; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" politie-test om-test "$G" rvdk-test gemeente-heerlen
kt_referentiekader
PORT=
kt_config "$UITV"
kt_start "$UITV"
for id in politie-test om-test "$G"; do kt_config "$id"; kt_start "$id"; done
for id in politie-test om-test "$G"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

kt_signal_file "$T/a.json" A-1
kt politie-test signal submit --file "$T/a.json" --wait | grep -q delivered || fail "A not delivered"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
[[ "$A" == k-* ]] || fail "no case_ref: $A"

# A weegploeg meeting still to come, with the subject on it.
FUTURE=$(date -d '+30 days' +%Y-%m-%dT10:00)
M=$(kt "$UITV" weegploeg agenda --start "$FUTURE" --location "Gemeentehuis" --case "$A" --json \
    | jq -r .meeting_id)
[[ "$M" == w-* ]] || fail "no meeting id: $M"
seq_of() { kt "$1" agenda list --json | jq -r --arg m "$2" '.meetings[] | select(.meeting_id==$m) | .sequence'; }
has_seq() { [ "$(seq_of "$1" "$2")" = "$3" ]; }
wait_until 10 has_seq politie-test "$M" 0 || fail "politie did not get the agenda"

# The question's own rules.
refused() {  # refused WHY ARGS...: the decision is refused and the reason contains WHY
    local why=$1; shift
    if out=$(kt "$UITV" weegploeg decide "$@" 2>&1); then fail "accepted: $*"; fi
    grep -q "$why" <<< "$out" || fail "refusal of '$*' does not say '$why': $out"
}
refused "needs --ask and --question" "$A" --meer-informatie --ask "$G" --analysis x
refused "with --meer-informatie only" "$A" --niet-agenderen --ask "$G" --question q --analysis x
refused "is not one" "$A" --meer-informatie --ask rvdk-test --question q --analysis x
refused "not an active member" "$A" --meer-informatie --ask nobody --question q --analysis x
refused "names no parties" "$A" --meer-informatie --ask "$G" --question q --party rvdk-test --analysis x
refused "sees only its own residents" "$A" --meer-informatie --ask gemeente-heerlen --question q --analysis x
refused "not both" "$A" --meer-informatie --ask "$G" --question q --question-file /dev/null --analysis x
[ "$(kt "$UITV" weegploeg decisions --json | jq '.decisions | length')" = 0 ] || fail "a refused decision was stored"
pass "meer informatie without a question, to a party that is no kernpartij, or with parties is refused"

D1=$(kt "$UITV" weegploeg decide "$A" --meer-informatie --ask "$G" --criterion geweld \
    --question "FICTIEF: Is de persoon bekend bij het sociaal team?" \
    --analysis "FICTIEF: nog niet te wegen." --json | jq -r .decision_id)
[[ "$D1" == d-* ]] || fail "no decision id: $D1"
CDB="$T/state-$UITV/casusoverleg.db"
[ "$(sqlite3 "$CDB" "SELECT count(*) FROM casus")" = 0 ] || fail "meer informatie opened a case"
tasks() { kt "$UITV" informatieplicht list --json | jq --arg a "$A" '[.. | objects | select(.case_ref? == $a)] | length'; }
[ "$(tasks)" = 0 ] || fail "meer informatie opened an informatieplicht task"
kt "$UITV" log show --case "$A" --json | jq -e --arg g "$G" '[.events[] | select(.event=="WEEGPLOEG_DECIDED"
    and .what=="meer-informatie" and .recipients==[$g])] | length == 1' > /dev/null \
    || fail "WEEGPLOEG_DECIDED meer-informatie with the party asked is not logged"
if grep -q "sociaal team" "$T/state-$UITV/weegploeg.db" "$T/state-$UITV/log.db"; then
    fail "the question is in the clear in the weegploeg file or the log"
fi
# Nor after a restart (the tasks of older decisions are filled in at start).
kt_kill "$UITV"
kt_start "$UITV"
for id in politie-test om-test "$G"; do wait_until 10 link_up "$id" || fail "no link for $id after the restart"; done
[ "$(tasks)" = 0 ] || fail "a restart opened an informatieplicht task for meer informatie"
pass "meer informatie is recorded and logged; no case, no informatieplicht task, also after a restart"

# At the gemeente: the open question.
question() { kt "$1" decision list --json | jq -r --arg d "$D1" '.decisions[] | select(.decision_id==$d) | .question'; }
is_question() { [ "$(question "$1")" = "$2" ]; }
wait_until 10 is_question "$G" open || fail "the gemeente does not see an open question: $(question "$G")"
wait_until 10 is_question politie-test open || fail "politie did not get the decision"
kt "$G" decision list | grep -q "open ($G)" || fail "decision list does not mark the question open"
kt "$G" decision show "$D1" | grep -q "sociaal team" || fail "the question is not shown"
[ "$(kt "$G" audit access --json | jq -r --arg a "$A" '[.access[] | select(.what=="decision.show" and .case_ref==$a)] | length')" = 1 ] \
    || fail "decision.show not recorded"
pass "the gemeente sees the open question; reading it is recorded"

echo '[{"kind": "fact", "text": "FICTIEF: bekend bij het sociaal team sinds 2025."}]' > "$T/items.json"
# Someone else answering: refused at its own node.
if out=$(kt politie-test decision answer "$D1" --legal-basis avg-6-1-e --file "$T/items.json" --wait 2>&1); then
    fail "politie answered a question put to the gemeente: $out"
fi
grep -q "asked $G, not this node" <<< "$out" || fail "refusal unclear: $out"
if out=$(kt "$G" decision answer d-0000000000000000 --legal-basis avg-6-1-e --file "$T/items.json" 2>&1); then
    fail "an unknown decision was answered"
fi
grep -q "no decision" <<< "$out" || fail "unknown decision refusal unclear: $out"
pass "an answer by a party not asked, or to an unknown decision, is refused"

ANS=$(kt "$G" decision answer "$D1" --legal-basis avg-6-1-e --file "$T/items.json" --wait \
    | awk '$2 == "delivered" {print $1}')
[ -n "$ANS" ] || fail "answer not delivered"
is_question "$G" answered || fail "the gemeente's list does not show the question answered"
kt "$UITV" log show --type information_answered --json | jq -e --arg a "$A" --arg g "$G" \
    '[.events[] | select(.case_ref==$a and .node==$g)] | length == 1' > /dev/null \
    || fail "INFORMATION_ANSWERED not logged"
trail=$(kt "$UITV" log show --case "$A")
grep -q "the weegploeg asked $G for more information" <<< "$trail" || fail "trail lacks the question: $trail"
grep -q "$G answered the weegploeg's question of decision $D1" <<< "$trail" || fail "trail lacks the answer: $trail"
pass "the gemeente answered; INFORMATION_ANSWERED is logged"

# The subject is on the next agenda as a new version, with the answer.
wait_until 10 has_seq politie-test "$M" 1 || fail "no new version of $M at politie: $(seq_of politie-test "$M")"
wait_until 10 has_seq "$G" "$M" 1 || fail "no new version of $M at the gemeente"
wait_until 10 has_seq om-test "$M" 1 || fail "no new version of $M at the OM"
aanvulling() {
    kt "$1" agenda show "$M" --json | jq -r --arg a "$A" \
        '.items[] | select(.case_ref==$a) | .signals[] | select(.source_kind=="aanvulling") | .sender'
}
[ "$(aanvulling politie-test)" = "$G" ] || fail "politie's copy does not carry the answer: $(aanvulling politie-test)"
[ "$(aanvulling om-test)" = "$G" ] || fail "OM's copy does not carry the answer"
kt politie-test agenda show "$M" --json | grep -q "sociaal team sinds 2025" || fail "the answer's item is not on the agenda"
kt "$UITV" weegploeg meetings --json | jq -e '.due == []' > /dev/null || fail "the subject is still listed as due"
kt "$UITV" weegploeg subject "$A" --json | jq -e --arg g "$G" '.open_question.asked == $g and (.answers | length) == 1' \
    > /dev/null || fail "weegploeg subject does not show the open question and the answer"
pass "the answer puts the subject on the planned meeting as a new version whose copies carry it"

# No meeting planned: the subject is due until one is.
kt "$UITV" weegploeg agenda --meeting "$M" --cancel > /dev/null
kt "$G" decision answer "$D1" --legal-basis avg-6-1-e --file "$T/items.json" --wait | grep -q delivered \
    || fail "second answer not delivered"
kt "$UITV" weegploeg meetings --json | jq -e --arg a "$A" '.due == [$a]' > /dev/null || fail "the subject is not due"
kt "$UITV" weegploeg meetings | grep -q "due on the next weegploeg agenda: $A" || fail "meetings does not list it as due"
M2=$(kt "$UITV" weegploeg agenda --start "$FUTURE" --location "Stadhuis" --json | jq -r .meeting_id)
[[ "$M2" == w-* ]] || fail "a meeting of the due subjects was not planned: $M2"
refs2() { kt politie-test agenda list --json | jq -r --arg m "$M2" '.meetings[] | select(.meeting_id==$m) | .case_refs | join(",")'; }
has_refs2() { [ "$(refs2)" = "$A" ]; }
wait_until 10 has_refs2 || fail "the new meeting does not hold the due subject: $(refs2)"
kt "$UITV" weegploeg meetings --json | jq -e '.due == []' > /dev/null || fail "still due after planning"
if out=$(kt "$UITV" weegploeg agenda --start "$FUTURE" --location X 2>&1); then fail "a meeting without subjects: $out"; fi
grep -q "none is due" <<< "$out" || fail "empty meeting refusal unclear: $out"
pass "without a planned meeting the subject is due; the next meeting planned takes it"

# An answer to another kind of decision, and after the final decision.
D2=$(kt "$UITV" weegploeg decide "$A" --agenderen --party "$G" --party politie-test --criterion geweld \
    --analysis "FICTIEF: casusoverleg." --json | jq -r .decision_id)
[[ "$D2" == d-* ]] || fail "agenderen after meer informatie failed: $D2"
[ "$(sqlite3 "$CDB" "SELECT count(*) FROM casus WHERE case_ref='$A'")" = 1 ] || fail "agenderen opened no case"
[ "$(tasks)" = 1 ] || fail "the final decision opened no informatieplicht task (art. 11.2): $(tasks)"
kt "$UITV" weegploeg decisions --json | jq -e --arg d "$D1" '.decisions[] | select(.decision_id==$d) | .open == false' \
    > /dev/null || fail "the final decision did not close the question"
kt "$UITV" weegploeg subject "$A" --json | jq -e 'has("open_question") | not' > /dev/null || fail "still an open question"
has_d2() { [ "$(kt "$G" decision list --json | jq -r --arg d "$D2" '[.decisions[] | select(.decision_id==$d)] | length')" = 1 ]; }
wait_until 10 has_d2 || fail "the gemeente did not get the final decision"
if out=$(kt "$G" decision answer "$D2" --legal-basis avg-6-1-e --file "$T/items.json" --wait 2>&1); then
    fail "an agenderen decision was answered: $out"
fi
grep -q "not a request for more information" <<< "$out" || fail "refusal unclear: $out"
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM decision_answer"; }
[ "$(stored)" = 2 ] || fail "expected two answers kept, got $(stored)"
if out=$(kt "$G" decision answer "$D1" --legal-basis avg-6-1-e --file "$T/items.json" --wait 2>&1); then
    fail "a closed question was answered: $out"
fi
grep -q "question of decision $D1 is closed" <<< "$out" || fail "late answer refusal unclear: $out"
[ "$(stored)" = 2 ] || fail "a refused answer was stored"
# Refused at the gemeente's own node (a later decision reached it), so
# nothing went out; the uitvoerder's own check is the unit test's.
kt "$UITV" log show --case "$A" --json | jq -e --arg g "$G" '[.events[] | select(.event=="MESSAGE_REFUSED"
    and .node==$g)] | length == 0' > /dev/null || fail "a closed question's answer was sent"
[ "$(jfield "$G" .outbox.depth)" = 0 ] || fail "a closed question's answer waits in the outbox"
kt "$UITV" weegploeg meetings --json | jq -e '.due == []' > /dev/null || fail "a refused answer made the subject due"
pass "answers to an agenderen decision and after the final decision are refused; nothing is kept"

# art. 12.3: the person's inzage overview holds what the gemeente answered.
TODAY=$(TZ=Europe/Amsterdam date +%F)
R=$(kt "$UITV" request open --kind inzage --received "$TODAY" --from betrokkene \
    --identity-by "Baliemedewerker Test" --identity-how "paspoort ingezien" --json | jq -r .request_id)
kt "$UITV" request link "$R" "$A" > /dev/null
kt politie-test request decide "$R" --grant | grep -q " delivered$" || fail "the grant was not delivered"
mkdir -p "$T/out"
kt "$UITV" request answer "$R" --out "$T/out" > /dev/null || fail "no inzage answer"
grep -q "aanvullende informatie gevraagd" "$T/out/overzicht-$R.txt" \
    || fail "the inzage overview does not hold the answer"
grep -qF "$(jq -r '.[0].text' "$T/items.json")" "$T/out/overzicht-$R.txt" \
    || fail "the answer's item is not in the inzage overview"
pass "the inzage overview shows what the gemeente answered the weegploeg"

wait_until 20 relay_settled || fail "copies not receipted"
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "every copy was receipted and the log verifies"
