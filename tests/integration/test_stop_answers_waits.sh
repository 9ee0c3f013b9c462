#!/usr/bin/env bash
# A `wait` submission whose signal is stored but whose receipt has not
# come when ketend is stopped is answered "queued" with its message id
# before the socket closes (docs/API.md, signal.submit): the caller
# learns the id instead of an end of stream that invites a duplicate.
# After the restart the signal goes on and is delivered once.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" STOPWAIT

# The uitvoerder frozen: no receipt comes.
kill -STOP "${KT_PID[$UITV]}"
kt politie-test signal submit --file "$T/s.json" --wait > "$T/submit.out" 2> "$T/submit.err" &
submit=$!
stored() { kt politie-test signal list --json | jq -e '.signals | length == 1' > /dev/null; }
wait_until 10 stored || { kill -CONT "${KT_PID[$UITV]}"; fail "the signal was not stored"; }
sleep 0.3
kt_kill politie-test
rc=0
wait "$submit" || rc=$?
kill -CONT "${KT_PID[$UITV]}"
[ $rc -eq 0 ] || fail "the waiting caller got no answer (rc=$rc): $(cat "$T/submit.out" "$T/submit.err")"
id=$(sed -nE 's/^signal ([0-9a-f]{32,64}) queued$/\1/p' "$T/submit.out")
[ -n "$id" ] || fail "not answered queued with an id: $(cat "$T/submit.out" "$T/submit.err")"
pass "a waiting caller is answered 'queued $id' when ketend stops"

kt_start politie-test
delivered() {
    [ "$(kt politie-test signal list --json | jq -r --arg id "$id" \
        '[.signals[] | select(.message_id == $id) | .state] | join(",")')" = delivered ]
}
wait_until 30 delivered || fail "signal $id not delivered after the restart: $(kt politie-test signal list --json)"
[ "$(kt politie-test signal list --json | jq '.signals | length')" = 1 ] || fail "not one signal"
pass "after the restart signal $id is delivered, once"
