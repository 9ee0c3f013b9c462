#!/usr/bin/env bash
# A signal larger than the uitvoerder takes in one message (its
# transport/max-message, 8 KiB here) is not sent: libzmq would drop the
# link for it on every retry, and the messages behind it with it.  The
# police node says so in its journal, keeps the signal queued, and the
# link stays up for everything else.
source "$(dirname "$0")/lib.sh"
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_roster 1 "$T/roster.txt" "$UITV" politie-test
PORT=
kt_config "$UITV"; kt_start "$UITV"; kt_kill "$UITV" # its port, then its limit
sed -i 's/^transport$/transport\n    max-message = 8192/' "$T/$UITV.cfg"
kt_start "$UITV"
kt_config politie-test
kt_start politie-test
wait_until 10 link_up politie-test || fail "no link"
told() { grep -q "link bundles peer=$UITV max=8192" "$T/politie-test.log"; }
wait_until 10 told || fail "the uitvoerder's limit was not heard"
kt_signal_file "$T/s.json"
jq --arg d "$(head -c 3000 /dev/zero | tr '\0' 'a')" \
    '.items = [range(3) | {kind: "fact", text: $d}]' "$T/s.json" > "$T/big.json"
ups() { grep -c "link up" "$T/politie-test.log"; }
before=$(ups)
kt politie-test signal submit --file "$T/big.json" | grep -q queued || fail "the large signal was not queued"
refused_here() { grep -q "outbox too_large id=.* uitvoerder_max=8192" "$T/politie-test.log"; }
wait_until 10 refused_here || fail "the police node does not say the signal is too large"
sleep 2 # several retries' worth (delivery/retry-min-ms is 200)
[ "$(ups)" = "$before" ] || fail "the link went down and up again $(( $(ups) - before )) times"
kt politie-test signal submit --file "$T/s.json" --wait | grep -q delivered \
    || fail "a signal behind the large one was not delivered"
[ "$(jfield politie-test .outbox.depth)" = 1 ] || fail "the large signal is not kept queued"
pass "a message larger than the uitvoerder takes is kept, not sent; the link stays up"
