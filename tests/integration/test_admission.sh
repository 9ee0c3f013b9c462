#!/usr/bin/env bash
# Only roster members get in: a node whose transport key is not in the
# uitvoerder's roster cannot connect; random bytes on the uitvoerder's port
# neither crash it nor store anything.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"

# A rogue node with its own keys, a roster signed by the (test) uitvoerder
# key naming it, but absent from the roster the uitvoerder runs with.
kt_keys gemeente-rogue gemeente
kt_roster 1 "$T/roster-rogue.txt" "$UITV" politie-test gemeente-rogue
kt_config gemeente-rogue "$T/roster-rogue.txt"
kt_start gemeente-rogue
kt_signal_file "$T/s.json"
kt gemeente-rogue signal submit --file "$T/s.json" > /dev/null
# It retries every 300 ms; give it ten heartbeat timeouts to get in.
sleep 3
[ "$(jfield gemeente-rogue .link.up)" = false ] || fail "rogue node got a link"
[ "$(jfield gemeente-rogue .outbox.depth)" = 1 ] || fail "rogue's signal left its outbox"
[ "$(jfield "$UITV" .stored.signals)" = 0 ] || fail "uitvoerder stored the rogue's signal"
pass "a transport key outside the roster cannot connect"

# Random bytes and a fake ZMTP greeting on the uitvoerder's port.
for i in $(seq 1 20); do
    { head -c $((RANDOM % 4096 + 1)) /dev/urandom > /dev/tcp/127.0.0.1/"$PORT"; } 2>/dev/null || true
done
{ printf '\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x03\x00CURVE\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
  head -c 300 /dev/urandom; } > /dev/tcp/127.0.0.1/"$PORT" 2>/dev/null || true
kill -0 "${KT_PID[$UITV]}" || fail "uitvoerder died on random bytes"
[ "$(jfield "$UITV" .stored.signals)" = 0 ] || fail "random bytes stored something"
kt politie-test signal submit --file "$T/s.json" --wait | grep -q delivered \
    || fail "uitvoerder no longer serves members after random bytes"
[ "$(jfield "$UITV" .stored.signals)" = 1 ] || fail "expected exactly the member's signal"
pass "random bytes neither crash the uitvoerder nor store anything"
