#!/usr/bin/env bash
# A member that sends a different message under an id the uitvoerder has
# already stored (a bug or worse in its software) is refused, and the
# refusal is on the record as any other: a MESSAGE_REFUSED entry naming the
# member, within its refusal budget.  The stored signal is untouched.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "politie never saw the uitvoerder"

kt_signal_file "$T/s1.json" BVH-1
kt_delivered politie-test "$T/s1.json"
id=$KT_ID

# The politie node stopped, its keys send another message under that id.
kt_kill politie-test
"$KETEN_BIN/tests/keten-envelope-make" "$T/keys/politie-test.secret" "$T/roster.txt" \
    "$UITV_KEY" "$UITV" "$id" "$T/reused.bin" || fail "no envelope made"
transport=$(awk '/transport-public/ {print $3}' "$T/keys/$UITV.pub")
"$KETEN_BIN/tests/keten-peer-send" "$T/keys/politie-test.secret" "$transport" \
    "tcp://127.0.0.1:$PORT" "$T/reused.bin" > "$T/send.out" || fail "not sent: $(cat "$T/send.out")"
grep -q "answers=[1-9]" "$T/send.out" || fail "no answer: $(cat "$T/send.out")"
grep -q "message refused id=$id peer=politie-test reason=\"id reused\"" "$T/$UITV.log" \
    || fail "the uitvoerder did not refuse the reused id"
refusals() {
    kt "$UITV" log show --type MESSAGE_REFUSED --json \
        | jq --arg id "$id" '[.events[] | select(.node == "politie-test"
            and (.what | startswith("this message id is already used")))] | length'
}
[ "$(refusals)" = 1 ] || fail "the refusal is not in the log: $(refusals) entries"
pass "the reused id is refused and the refusal logged"

[ "$(jfield "$UITV" .stored.signals)" = 1 ] || fail "the uitvoerder does not hold exactly one signal"
kt "$UITV" log verify > /dev/null || fail "log verify fails"
pass "the stored signal is untouched and the log verifies"
