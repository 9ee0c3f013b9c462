#!/usr/bin/env bash
# art. 7.1-7.2: only a kernpartij brings a signal in.  A casuspartij's node
# refuses to send one, with the rule; an art. 9/10 Wpg police signal is
# held and does not leave the police node.
source "$(dirname "$0")/lib.sh"
kt_federation rvdk-test:rvdk
wait_until 10 link_up politie-test || fail "no link"
wait_until 10 link_up rvdk-test || fail "no rvdk link"
kt_signal_file "$T/s.json"

if out=$(kt rvdk-test signal submit --file "$T/s.json" 2>&1); then
    fail "rvdk could submit a signal: $out"
fi
echo "$out" | grep -q "art. 7.1" || fail "refusal does not cite art. 7.1: $out"
[ "$(kt rvdk-test signal list --json | jq '.signals | length')" = 0 ] || fail "rvdk stored it"
pass "casuspartij signal refused: $out"

jq '.wpg_basis = "art-9-10"' "$T/s.json" > "$T/held.json"
out=$(kt politie-test signal submit --file "$T/held.json")
echo "$out" | grep -q held || fail "art. 9/10 signal not held: $out"
# Give the node several pump and heartbeat rounds to (wrongly) send it.
kt politie-test signal submit --file "$T/s.json" --wait | grep -q delivered || fail "no delivery"
[ "$(jfield "$UITV" .stored.signals)" = 1 ] || fail "uitvoerder got the held signal"
[ "$(kt politie-test signal list --json | jq -r '[.signals[] | .state] | sort | join(",")')" \
    = "delivered,held" ] || fail "politie's list does not show one held and one delivered"
pass "art. 9/10 Wpg signal stays held on the police node"
