#!/usr/bin/env bash
# A signal larger than the uitvoerder takes in one message (its
# transport/max-message, 8 KiB here) is not sent: libzmq would drop the
# link for it on every retry, and the messages behind it with it.  The
# police node says so in its journal, keeps the signal queued, and the
# link stays up for everything else; once the limit is raised it goes.
# The police node's window (delivery/max-inflight) is one message here: the
# large signal, not sent, must not hold it, or nothing behind it goes.
# The other way round, a copy larger than a member takes (the gemeente's
# 8 KiB) is kept at the uitvoerder, not sent, and said so.
source "$(dirname "$0")/lib.sh"
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_keys gemeente-maastricht gemeente
kt_roster 1 "$T/roster.txt" "$UITV" politie-test gemeente-maastricht
PORT=
kt_config "$UITV"; kt_start "$UITV"; kt_kill "$UITV" # its port, then its limit
sed -i 's/^transport$/transport\n    max-message = 8192/' "$T/$UITV.cfg"
kt_start "$UITV"
kt_config politie-test
sed -i 's/^delivery$/delivery\n    max-inflight = 1/' "$T/politie-test.cfg"
grep -q "max-inflight = 1" "$T/politie-test.cfg" || fail "the window is not one message: this checks nothing"
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
    || fail "a signal behind the large one was not delivered (the window is one message)"
[ "$(jfield politie-test .outbox.depth)" = 1 ] || fail "the large signal is not kept queued"
states=$(kt politie-test signal list --json | jq -r '[.signals[].state] | sort | join(" ")')
[ "$states" = "delivered queued" ] || fail "the operator does not see the large signal undelivered: $states"
pass "a message larger than the uitvoerder takes is kept, not sent, out of the window; the link stays up"

# The limit raised: the kept signal goes.  The gemeente takes 8 KiB: the
# agenda copy with that signal is too large for it.
kt_kill "$UITV"
sed -i '/max-message = 8192/d' "$T/$UITV.cfg"
kt_start "$UITV"
kt_config gemeente-maastricht
sed -i 's/^transport$/transport\n    max-message = 8192/' "$T/gemeente-maastricht.cfg"
kt_start gemeente-maastricht
for id in politie-test gemeente-maastricht; do wait_until 10 link_up "$id" || fail "no link for $id"; done
drained() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
wait_until 20 drained || fail "the kept signal did not go once the limit was raised"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
kt "$UITV" weegploeg agenda --start "$(date -d '+7 days' +%F)T10:00" --location "Stadhuis" \
    --case "$A" > "$T/agenda.out" 2>&1 || fail "no agenda: $(cat "$T/agenda.out")"
told_member() { grep -q "relay too_large id=.* peer=gemeente-maastricht .* member_max=8192" "$T/$UITV.log"; }
wait_until 20 told_member || fail "the uitvoerder does not say the copy is too large for the gemeente"
gups=$(grep -c "link up" "$T/gemeente-maastricht.log")
sleep 2
[ "$(grep -c "link up" "$T/gemeente-maastricht.log")" = "$gups" ] \
    || fail "the gemeente's link went down and up again"
pass "a copy larger than a member takes is kept at the uitvoerder, not sent; the member's link stays up"
