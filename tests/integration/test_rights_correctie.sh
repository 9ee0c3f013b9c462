#!/usr/bin/env bash
# art. 12.5-12.6: a correction decided at the uitvoerder reaches every copy.
#
# - politie submits a signal about a fictional person in Maastricht with a
#   distinctive item text; the weegploeg agenda goes to politie and the
#   gemeente.  The uitvoerder corrects the item: the gemeente's copy shows
#   the new text, the old text is in no file of the gemeente's or the
#   uitvoerder's state directory, and `keten correction list` shows the
#   gemeente's confirmation with its time; CORRECTED is logged.
# - A block hides an item at every node; an unblock shows it again.
# - A node that corrects a signal it did not send is refused by the
#   uitvoerder (the gemeente's node is made to try).
# - politie corrects, then withdraws its own signal: at every node.
# - A correction a party cannot confirm within four weeks raises an alarm.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_federation "$G:gemeente"
for id in politie-test "$G"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

OLD=Ouderwetsch7731   # the item text to correct away
NEW=Nieuwerwetsch4410
OPINION=Meningstekst5512
kt_signal_file "$T/s.json" R-1
sed -i "s/Test Persoon/Corrigeer Testpersoon/" "$T/s.json"
jq --arg old "Gezien bij $OLD (fictief)." --arg op "$OPINION (fictief)." \
    '. + {items: [{kind: "fact", text: $old}, {kind: "opinion", text: $op, of: "wijkagent"}]}' \
    "$T/s.json" > "$T/s2.json"
out=$(kt politie-test signal submit --file "$T/s2.json" --wait)
grep -q delivered <<< "$out" || fail "the signal was not delivered: $out"
S=$(echo "$out" | grep -Eo '[0-9a-f]{32}' | head -n1)
A=$(kt "$UITV" signal list --json | jq -r --arg id "$S" '.signals[] | select(.message_id==$id) | .case_ref')
[[ "$A" == k-* ]] || fail "no case_ref for the signal"
M=$(kt "$UITV" weegploeg agenda --start 2026-12-14T10:00 --location "Stadhuis" --case "$A" --json |
    jq -r .meeting_id)
shows() { kt "$1" agenda show "$M" --json 2> /dev/null | grep -qF "$2"; }
for id in politie-test "$G"; do
    wait_until 10 shows "$id" "$OLD" || fail "$id's agenda does not show the item"
done
wait_until 20 relay_settled || fail "the agendas were not receipted"
pass "the agenda with the item reached politie and the gemeente"

# ---- correct ---------------------------------------------------------------
# politie's own record of a signal it queued is the envelope it sent,
# sealed under the signal's data key, and the outbox keeps no second copy.
own_row() {
    sqlite3 -cmd ".timeout 10000" "$T/state-politie-test/node.db" \
        "SELECT s.envelope, length(s.body) > 0, length(o.header) FROM signal s
          JOIN outbox o ON o.id = s.message_id WHERE hex(s.message_id)=upper('$S')"
}
[ "$(own_row)" = "1|1|0" ] || fail "politie keeps the signal otherwise than once, as its envelope: $(own_row)"
echo "{\"kind\": \"fact\", \"text\": \"Gezien bij $NEW (fictief).\"}" > "$T/new.json"
# The person's request (art. 12.5): in the register, linked to the subject.
open_request() {  # open_request KIND: the new request's id
    kt "$UITV" request open --kind "$1" --received "$(TZ=Europe/Amsterdam date +%F)" \
        --from betrokkene --identity-by "Baliemedewerker Test" \
        --identity-how "paspoort ingezien, niet gekopieerd" --json | jq -r .request_id
}
REQ=$(open_request correctie)
INZ=$(open_request inzage)
decide_refused() {  # decide_refused WHY REQUEST: the decision naming REQUEST is refused with WHY
    local rc=0 out
    out=$(kt "$UITV" correction decide "$A" --signal "$S" --item 0 --correct-file "$T/new.json" \
        --request "$2" 2>&1) || rc=$?
    [ $rc = 1 ] && grep -q -- "$1" <<< "$out" || fail "a decision on request $2 (exit $rc): $out"
}
decide_refused "no request r-0123456789abcdef" r-0123456789abcdef
decide_refused "link request $REQ to its subject first" "$REQ"
kt "$UITV" request link "$REQ" "$A" > /dev/null || fail "request link"
kt "$UITV" request link "$INZ" "$A" > /dev/null || fail "request link"
decide_refused "asks for inzage" "$INZ"
OUT="$T/out"; mkdir "$OUT"
rc=0; out=$(kt "$UITV" request answer "$REQ" --out "$OUT" 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "no correction names request $REQ" <<< "$out" \
    || fail "a correctie request answered before any correction (exit $rc): $out"
[ "$(kt "$UITV" correction list --json | jq '.corrections | length')" = 0 ] \
    || fail "a refused decision was recorded"
kt "$UITV" correction decide "$A" --signal "$S" --item 0 --correct-file "$T/new.json" \
    --request "$REQ" --reason "Verzoek betrokkene (fictief)." > "$T/decided" \
    || fail "correction decide failed: $(cat "$T/decided")"
C=$(grep -Eo 'c-[0-9a-f]{16}' "$T/decided")
[ -n "$C" ] || fail "no correction id: $(cat "$T/decided")"
# art. 12.5: on a request it is due no later than the request is; both shown.
grep -q "the request's 4 weeks" "$T/decided" || fail "decide does not show the request's deadline: $(cat "$T/decided")"
REQ_DUE=$(kt "$UITV" request list --json | jq -r --arg r "$REQ" '.requests[] | select(.id==$r) | .due_ms')
kt "$UITV" correction list --json | jq -e --arg c "$C" --argjson rd "$REQ_DUE" \
    '.corrections[] | select(.correction_id==$c) | .request_due_ms == $rd and
     .due_ms == ([$rd, .decision_due_ms] | min)' > /dev/null \
    || fail "the correction's due_ms is not the earlier of its request's ($REQ_DUE) and its own"
corrected() { shows "$1" "$NEW" && ! shows "$1" "$OLD"; }
for id in politie-test "$G"; do
    wait_until 10 corrected "$id" || fail "$id's copy was not corrected"
done
kt "$UITV" weegploeg subject "$A" --json | grep -qF "$NEW" || fail "the uitvoerder does not show the new text"
confirmed_at() {
    kt "$UITV" correction list --json | jq -r --arg c "$C" --arg n "$1" \
        '.corrections[] | select(.correction_id==$c) | .parties[] | select(.node==$n) | .confirmed_ms // empty'
}
has_confirmed() { [ -n "$(confirmed_at "$1")" ]; }
wait_until 10 has_confirmed "$G" || fail "the gemeente's confirmation is not listed"
# politie corrected its own record too, read from that envelope: now
# sealed on its own under a new key.
wait_until 10 has_confirmed politie-test || fail "politie's confirmation is not listed"
[ "$(own_row)" = "0|1|0" ] || fail "politie's own record was not sealed again on its own: $(own_row)"
t=$(confirmed_at "$G")
now=$(($(date +%s) * 1000))
[ "$t" -gt $((now - 60000)) ] && [ "$t" -le $((now + 1000)) ] || fail "confirmation time $t is not now"
kt "$UITV" correction list | grep -q "$G" || fail "keten correction list does not show the gemeente"
[ "$(kt "$UITV" correction list --json | jq -r --arg c "$C" '.corrections[] | select(.correction_id==$c) | .request_id')" = "$REQ" ] \
    || fail "the request id is not kept"
left=$(grep -rlaF "$OLD" "$T/state-$G" "$T/state-$UITV" "$T/state-politie-test" 2> /dev/null || true)
[ -z "$left" ] || fail "the old text is still in: $left"
[ "$(kt "$UITV" log show --case "$A" --json | jq '[.events[] | select(.event=="CORRECTED")] | length')" = 1 ] \
    || fail "CORRECTED is not logged once"
pass "a correction reached the gemeente's copy, the old text is in no file, the confirmation is listed with its time"

# ---- the request is answered once its correction is carried out ----------
carried() {
    [ "$(kt "$UITV" correction list --json | jq -r --arg c "$C" \
        '.corrections[] | select(.correction_id==$c) | .carried_out')" = true ]
}
wait_until 10 carried || fail "the correction was not carried out"
kt "$UITV" request answer "$REQ" --out "$OUT" > /dev/null || fail "the correctie request was not answered"
[ -e "$OUT/besluit-$REQ.html" ] && [ -e "$OUT/besluit-$REQ.txt" ] && [ ! -e "$OUT/overzicht-$REQ.html" ] \
    || fail "the answer is not the letter of what changed: $(ls "$OUT")"
grep -q "Signaal ${S:24:8}, onderdeel 1" "$OUT/besluit-$REQ.txt" && grep -q "verbeterd" "$OUT/besluit-$REQ.txt" \
    || fail "the letter does not say what changed: $(cat "$OUT/besluit-$REQ.txt")"
if grep -qF "$NEW" "$OUT/besluit-$REQ.txt"; then fail "the letter holds the data itself"; fi
[ "$(kt "$UITV" request show "$REQ" --json | jq -r '.request | .state + " " + .decided_by')" = "answered $UITV" ] \
    || fail "the request is not closed as answered: $(kt "$UITV" request show "$REQ" --json)"
[ "$(jfield "$UITV" '[.rights.open[] | select(.id=="'"$REQ"'")] | length')" = 0 ] \
    || fail "the answered request is still listed as open"
pass "the correctie request named by the correction is answered once it is carried out: the letter says what changed"
# A change request about nobody held is answered as such without a
# kernpartij's decision (a kernpartij can only refuse one).
NONE=$(open_request verwijdering)
kt "$UITV" request answer "$NONE" --out "$OUT" --nothing-found > /dev/null \
    || fail "a verwijdering request about nobody held was not answered"
[ "$(kt "$UITV" request show "$NONE" --json | jq -r '.request.state')" = answered ] \
    || fail "the request about nobody held is not answered"
[ -e "$OUT/overzicht-$NONE.txt" ] || fail "no overview of nothing held: $(ls "$OUT")"

# ---- block, unblock ------------------------------------------------------
all_confirmed() {
    kt "$UITV" correction list --json | jq -e '[.corrections[] | select(.carried_out|not)] | length == 0' > /dev/null
}
kt "$UITV" correction decide "$A" --signal "$S" --item 1 --block > /dev/null || fail "block failed"
hidden() { ! shows "$1" "$OPINION"; }
for id in politie-test "$G"; do
    wait_until 10 hidden "$id" || fail "$id still shows the blocked item"
done
if kt "$UITV" weegploeg subject "$A" --json | grep -qF "$OPINION"; then
    fail "the uitvoerder still shows the blocked item"
fi
wait_until 10 all_confirmed || fail "the block was not confirmed by every party"
kt "$UITV" correction decide "$A" --signal "$S" --item 1 --unblock > /dev/null || fail "unblock failed"
for id in politie-test "$G"; do
    wait_until 10 shows "$id" "$OPINION" || fail "$id does not show the unblocked item"
done
wait_until 10 all_confirmed || fail "the unblock was not confirmed by every party"
kt "$UITV" status --json | jq -e '.corrections.unconfirmed == [] and .corrections.overdue == []' > /dev/null \
    || fail "keten status lists open corrections: $(kt "$UITV" status --json | jq -c .corrections)"
pass "a blocked item is shown at no node; unblocked, it shows again"

# ---- a node that did not send the signal -----------------------------------
# The gemeente's node is made to believe it sent politie's signal (a row
# of its own signal table under politie's id), so it sends the
# withdrawal: the uitvoerder refuses it.
kt_signal_file "$T/g.json" G-1
sed -i -e "s/Test Persoon/Ander Testpersoon/" -e 's/"eigen"/"school"/' \
    -e 's/"art-8-13"/"none"/' -e 's/"wpg-16"/"avg-6-1-e"/' "$T/g.json"
gout=$(kt "$G" signal submit --file "$T/g.json" --wait)
grep -q delivered <<< "$gout" || fail "the gemeente's own signal was not delivered: $gout"
sqlite3 -cmd ".timeout 10000" "$T/state-$G/node.db" "INSERT INTO signal (message_id, local_ref, category, wpg_basis,
    held, created_ms, submitted_uid, key_id, body) SELECT x'$S', local_ref, category, wpg_basis,
    held, created_ms, submitted_uid, key_id, body FROM signal LIMIT 1"
rc=0
refused=$(kt "$G" signal withdraw "$S" --reason "Niet van ons." --wait 2>&1) || rc=$?
[ $rc -ne 0 ] && grep -q "art. 12.5" <<< "$refused" || fail "the uitvoerder took it: rc=$rc $refused"
shows "$G" "$NEW" || fail "the refused withdrawal changed the gemeente's agenda"
# The made-up row goes again (it does not decrypt under politie's id).
sqlite3 -cmd ".timeout 10000" "$T/state-$G/node.db" "DELETE FROM signal WHERE message_id=x'$S'"
rc=0
kt "$G" correction list > /dev/null 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a partner lists corrections"
pass "a withdrawal of another party's signal is refused by the uitvoerder"

# ---- politie corrects, then withdraws its own signal --------------------
OPINION2=Bijgesteld6620
echo "{\"kind\": \"opinion\", \"text\": \"$OPINION2 (fictief).\", \"of\": \"wijkagent\"}" > "$T/op.json"
out=$(kt politie-test signal correct "$S" --item 1 --file "$T/op.json" --wait)
grep -q delivered <<< "$out" || fail "politie's correction was not delivered: $out"
for id in politie-test "$G"; do
    wait_until 10 shows "$id" "$OPINION2" || fail "$id's copy does not show politie's correction"
done
shows "$G" "$OPINION" && fail "the gemeente still shows the opinion politie corrected"
# ---- politie withdraws its own signal -----------------------------------
out=$(kt politie-test signal withdraw "$S" --reason "Onjuist ingestuurd (fictief)." --wait)
grep -q delivered <<< "$out" || fail "the withdrawal was not delivered: $out"
gone_at() { ! shows "$1" "$NEW" && ! shows "$1" "$OPINION2"; }
for id in politie-test "$G"; do
    wait_until 10 gone_at "$id" || fail "$id still shows the withdrawn signal"
done
[ "$(kt "$UITV" signal list --json | jq --arg id "$S" '[.signals[] | select(.message_id==$id)] | length')" = 0 ] \
    || fail "the uitvoerder still lists the withdrawn signal"
own_gone() { [ "$(kt politie-test signal list --json | jq --arg id "$S" '[.signals[] | select(.message_id==$id)] | length')" = 0 ]; }
wait_until 10 own_gone || fail "politie still lists its withdrawn signal"
wait_until 10 all_confirmed || fail "the withdrawal was not confirmed by every party"
kt "$UITV" correction list --json | jq -e '[.corrections[] | select(.by_sender and .decided_by=="politie-test")] | length == 2' \
    > /dev/null || fail "the withdrawal is not on record in politie's name"
for id in politie-test "$G"; do kt "$id" log verify > /dev/null || fail "log verify fails at $id"; done
# A, its only signal withdrawn, has nothing left to weigh or put on an
# agenda; its meeting still changes, and the uitvoerder still starts.
rc=0; out=$(kt "$UITV" weegploeg decide "$A" --niet-agenderen --criterion tegenindicatie \
    --analysis "Fictief." 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "has no signals left" <<< "$out" || fail "a subject without signals was not refused (exit $rc): $out"
kt "$UITV" weegploeg agenda --meeting "$M" --location "Zaal 2" > /dev/null \
    || fail "the meeting of a subject without signals cannot change"
moved() { kt politie-test agenda show "$M" --json 2> /dev/null | grep -qF "Zaal 2"; }
wait_until 10 moved || fail "the meeting's change did not reach politie"
kt_kill "$UITV"
kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link after the uitvoerder's restart"
pass "politie corrected, then withdrew its own signal: at every node, on record in its name; the emptied subject holds nothing up"

# ---- art. 12.6: four weeks --------------------------------------------------
# A correction the gemeente (down) cannot confirm: unconfirmed at once, an
# alarm once the four weeks have passed, carried out when it comes back.
kt_signal_file "$T/t.json" R-2
sed -i "s/Test Persoon/Later Testpersoon/" "$T/t.json"
jq '. + {items: [{kind: "fact", text: "Vierwekentekst (fictief)."}]}' "$T/t.json" > "$T/t2.json"
out=$(kt politie-test signal submit --file "$T/t2.json" --wait)
grep -q delivered <<< "$out" || fail "the second signal was not delivered: $out"
S2=$(echo "$out" | grep -Eo '[0-9a-f]{32}' | head -n1)
A2=$(kt "$UITV" signal list --json | jq -r --arg id "$S2" '.signals[] | select(.message_id==$id) | .case_ref')
M2=$(kt "$UITV" weegploeg agenda --start 2026-12-21T10:00 --location "Stadhuis" --case "$A2" --json |
    jq -r .meeting_id)
on_agenda2() { kt "$1" agenda show "$M2" --json 2> /dev/null | grep -qF Vierwekentekst; }
for id in politie-test "$G"; do wait_until 10 on_agenda2 "$id" || fail "$id has no second agenda"; done
wait_until 20 relay_settled || fail "the second agendas were not receipted"
kt_kill "$G"
kt "$UITV" correction decide "$A2" --signal "$S2" --item 0 --block > /dev/null || fail "block failed"
unconfirmed_g() {
    kt "$UITV" status --json | jq -e --arg g "$G" '[.corrections.unconfirmed[] | select(.node==$g)] | length == 1' > /dev/null
}
wait_until 10 unconfirmed_g || fail "the down gemeente is not listed as unconfirmed"
kt "$UITV" status --json | jq -e '.corrections.overdue == []' > /dev/null || fail "overdue on day 0"
kt_restart_all_at +29d "$UITV" politie-test
wait_until 20 link_up politie-test || fail "no link for politie after the move"
kt "$UITV" status --json | jq -e '.corrections.overdue | length == 1' > /dev/null \
    || fail "a correction past its four weeks is not overdue"
kt "$UITV" status | grep -q "^ALARM.*art. 12.6" || fail "keten status raises no alarm"
kt "$UITV" correction list | grep -q OVERDUE || fail "keten correction list does not mark it OVERDUE"
KETEN_WRAP="$(kt_clock_wrap +29d)" kt_start "$G"
wait_until 20 link_up "$G" || fail "no link for the gemeente"
not_overdue() { kt "$UITV" status --json | jq -e '.corrections.overdue == [] and .corrections.unconfirmed == []' > /dev/null; }
wait_until 20 not_overdue || fail "the gemeente's late confirmation did not carry it out"
hidden2() { ! on_agenda2 "$1"; }
wait_until 10 hidden2 "$G" || fail "the gemeente still shows the blocked item"
pass "a correction not confirmed within four weeks raises an alarm; the late confirmation carries it out"
