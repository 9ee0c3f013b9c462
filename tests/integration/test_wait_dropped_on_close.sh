#!/usr/bin/env bash
# A caller that submits with --wait and goes away before the receipt
# (the uitvoerder is down: it may take hours) leaves nothing waiting at
# the node: its waiter is let go when its connection closes, and the
# signal still goes on and is delivered (docs/API.md, "Waits").
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" GONEWAIT
waiters() { jfield politie-test .submissions.receipt_waiters; }

# The uitvoerder frozen: no receipt comes.
kill -STOP "${KT_PID[$UITV]}"
"$KETEN" --socket "$T/politie-test.sock" signal submit --file "$T/s.json" --wait \
    > "$T/submit.out" 2>&1 &
submit=$!
one_waits() { [ "$(waiters)" = 1 ]; }
wait_until 30 one_waits || { kill -CONT "${KT_PID[$UITV]}"; fail "no caller waits: $(waiters)"; }
kill -KILL "$submit"
wait "$submit" 2> /dev/null || true
none_waits() { [ "$(waiters)" = 0 ]; }
wait_until 30 none_waits || { kill -CONT "${KT_PID[$UITV]}"; fail "$(waiters) callers still wait"; }
pass "a caller that went away waits no more at the node"

kill -CONT "${KT_PID[$UITV]}"
delivered() { [ "$(kt politie-test signal list --json | jq -r '[.signals[].state] | join(",")')" = delivered ]; }
wait_until 30 delivered || fail "the signal was not delivered: $(kt politie-test signal list --json)"
pass "its signal is delivered all the same"
