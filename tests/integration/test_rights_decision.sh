#!/usr/bin/env bash
# art. 4, 12.3-12.4: a decision on a person's request is a kernpartij's,
# sent signed from its node; the uitvoerder records it under the signing
# node's id (never a name typed in), checks it against its register, and
# the desk's answer follows the newest one.  A casuspartij and an externe
# casuspartner cannot decide; the desk cannot answer before a decision.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie "$G":gemeente rvdk-test:rvdk nctv-test:extern; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
NODES=(politie-test "$G" rvdk-test nctv-test)
kt_roster 1 "$T/roster.txt" "$UITV" "${NODES[@]}"
PORT=
kt_config "$UITV"; kt_start "$UITV"
for id in "${NODES[@]}"; do kt_config "$id"; kt_start "$id"; done
for id in "${NODES[@]}"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

TODAY=$(TZ=Europe/Amsterdam date +%F)
open_request() {  # open_request KIND: the new request's id
    kt "$UITV" request open --kind "$1" --received "$TODAY" --from betrokkene \
        --identity-by "Baliemedewerker Test" --identity-how "paspoort ingezien, niet gekopieerd" \
        --json | jq -r .request_id
}
decision_of() { kt "$UITV" request show "$1" --json | jq -c .request.decision; }
R=$(open_request inzage)
C=$(open_request correctie)
[[ "$R" == r-* && "$C" == r-* ]] || fail "no request ids: $R $C"
kt "$UITV" request show "$R" | grep -q "^decision *none yet" || fail "a decision before any was sent"

# ---- a casuspartij and an externe casuspartner cannot decide (art. 4) -------
for node in rvdk-test nctv-test; do
    rc=0; out=$(kt "$node" request decide "$R" --grant 2>&1) || rc=$?
    [ $rc = 1 ] && grep -q "art. 4" <<< "$out" || fail "$node decided (exit $rc): $out"
    rc=0; out=$(kt "$node" informatieplicht decide t-0123456789abcdef --inform 2>&1) || rc=$?
    [ $rc = 1 ] && grep -q "art. 4" <<< "$out" || fail "$node decided a task (exit $rc): $out"
done
[ "$(decision_of "$R")" = null ] || fail "a decision was recorded: $(decision_of "$R")"
# At the uitvoerder the decision is not the desk's: the commands point to the kernpartij.
rc=0; out=$(kt "$UITV" request decide "$R" --grant 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "kernpartij decides" <<< "$out" || fail "the uitvoerder decided (exit $rc): $out"
pass "rvdk-test and nctv-test cannot decide a request or a task; the uitvoerder neither"

# ---- the desk cannot answer before a kernpartij decided ----------------------
OUT="$T/out"; mkdir "$OUT"
rc=0; out=$(kt "$UITV" request answer "$R" --out "$OUT" --nothing-found 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "no kernpartij has decided on request $R" <<< "$out" \
    || fail "answered without a decision (exit $rc): $out"
ls "$OUT" | grep -q . && fail "documents written without a decision: $(ls "$OUT")"
rc=0; kt "$UITV" request answer "$R" --out "$OUT" --refuse 41-1-d 2> /dev/null || rc=$?
[ $rc = 2 ] || fail "the desk took a ground of its own: exit $rc"
pass "no answer before a kernpartij's decision, and no ground of the desk's own"

# ---- the uitvoerder checks a decision against its register ---------------------
rc=0; out=$(kt "$G" request decide "$C" --grant 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "refused: .*only an inzage request is granted" <<< "$out" \
    || fail "a correctie request was granted (exit $rc): $out"
rc=0; out=$(kt "$G" request decide r-0123456789abcdef --grant 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "no request r-0123456789abcdef" <<< "$out" || fail "an unknown request: $out"
rc=0; out=$(kt "$G" request decide "$R" --refuse 41-1-k --motivation x 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "41-1-a .. 41-1-j" <<< "$out" || fail "an unknown ground (exit $rc): $out"
[ "$(decision_of "$C")" = null ] || fail "a refused decision was recorded"
pass "a grant of a correctie request, an unknown request, an unknown ground: refused with the reason"

# ---- recorded under the signing node; the newest one counts -------------------
kt politie-test request decide "$R" --grant | grep -q " delivered$" || fail "politie-test's grant"
[ "$(decision_of "$R" | jq -r '.outcome + " " + .decided_by')" = "grant politie-test" ] \
    || fail "the grant is not politie-test's: $(decision_of "$R")"
MOT="Inzage zou een lopend onderzoek schaden (fictief)."
kt "$G" request decide "$R" --refuse 41-1-d --motivation "$MOT" | grep -q " delivered$" \
    || fail "$G's refusal"
[ "$(decision_of "$R" | jq -r '.outcome + " " + .decided_by + " " + .ground')" = "refuse $G 41-1-d" ] \
    || fail "the newest decision is not $G's refusal: $(decision_of "$R")"
kt "$G" request decide "$C" --refuse 41-1-i --motivation "$MOT" | grep -q " delivered$" \
    || fail "$G's refusal of the correctie request"
# The log holds ids and codes, never the motivation.
if grep -qaF "lopend onderzoek schaden" "$T/state-$UITV/log.db"*; then fail "the motivation is in the log"; fi
kt "$UITV" request answer "$R" --out "$OUT" --nothing-found > /dev/null || fail "the answer"
[ -e "$OUT/weigering-$R.html" ] && [ ! -e "$OUT/overzicht-$R.html" ] \
    || fail "the answer did not follow the refusal: $(ls "$OUT")"
grep -qF "$MOT" "$OUT/weigering-$R.txt" || fail "the letter lacks the kernpartij's motivation"
[ "$(kt "$UITV" request show "$R" --json | jq -r '.request | .state + " " + .decided_by + " " + .ground')" \
    = "refused $G 41-1-d" ] || fail "not closed as $G decided"
kt "$UITV" request answer "$C" --out "$OUT" --nothing-found > /dev/null || fail "the correctie answer"
[ "$(kt "$UITV" request show "$C" --json | jq -r '.request.state')" = refused ] || fail "C not refused"
# A closed request takes no decision.
rc=0; out=$(kt politie-test request decide "$R" --grant 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "is refused already" <<< "$out" || fail "a closed request took a decision: $out"
# The kernpartij keeps no copy of what it sent once it is answered: the
# motivation may name the person and would outlive the subject.
for node in politie-test "$G"; do
    [ "$(sqlite3 "$T/state-$node/node.db" "SELECT count(*) FROM outbox WHERE type=20 AND length(header)>0")" = 0 ] \
        || fail "$node keeps the decisions it sent"
done
pass "decisions recorded as politie-test's and $G's; the desk followed the newest; a closed request takes none"

# ---- a decision sent while the uitvoerder is down arrives when it is back -------
R2=$(open_request inzage)
kt_kill "$UITV"
kt politie-test request decide "$R2" --grant > "$T/decide.out" 2>&1 &
WAITER=$!
outboxed() { [ "$(jfield politie-test .outbox.depth)" -ge 1 ]; }
wait_until 10 outboxed || fail "the decision is not in politie-test's outbox"
kt_start "$UITV"
wait "$WAITER" || fail "the waiting decide failed: $(cat "$T/decide.out")"
grep -q " delivered$" "$T/decide.out" || fail "not delivered: $(cat "$T/decide.out")"
[ "$(decision_of "$R2" | jq -r '.outcome + " " + .decided_by')" = "grant politie-test" ] \
    || fail "the decision from the outbox is not recorded: $(decision_of "$R2")"
pass "a decision made while the uitvoerder was down is delivered from the outbox when it is back"

# ---- a register that fails after the log entry: the retry is logged once -------
# (requests.db locked by another process, as a crash between the two would
# leave it): no receipt, the kernpartij's outbox retries, and the retry is
# recorded under the entry already written.
R3=$(open_request inzage)
lock_db "$T/state-$UITV/requests.db"
kt "$G" request decide "$R3" --grant > "$T/decide3.out" 2>&1 &
WAITER=$!
failed() { grep -q "rights decision_failed" "$T/$UITV.log"; }
wait_until 30 failed || fail "the register did not fail"
unlock_db
wait "$WAITER" || fail "the retried decision failed: $(cat "$T/decide3.out")"
MID=$(awk '{print $1}' "$T/decide3.out")
[[ "$MID" =~ ^[0-9a-f]{32}$ ]] || fail "no message id: $(cat "$T/decide3.out")"
[ "$(sqlite3 "$T/state-$UITV/requests.db" "SELECT count(*) || ' ' || max(node) FROM request_decision WHERE message_id=X'$MID'")" \
    = "1 $G" ] || fail "the decision is not recorded once under $G"
idx=$(sqlite3 "$T/state-$UITV/requests.db" "SELECT log_index FROM request_decision WHERE message_id=X'$MID'")
[ "$(sqlite3 "$T/state-$UITV/log.db" "SELECT group_concat(idx) FROM entry WHERE instr(entry, X'$MID') > 0")" = "$idx" ] \
    || fail "the decision is logged more than once, or not under its recorded index"
pass "a decision retried after a failed register is logged once, under the index it is recorded with"
