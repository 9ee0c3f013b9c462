#!/usr/bin/env bash
# Bundles (docs/PROTOCOL.md, "Bundles"): a node that reads them says so
# in its heartbeat (the uitvoerder in its reply), and each side then sends
# a run of envelopes to the other in one transport message.  A burst goes
# through them whole; a malformed bundle from a member is read as far as
# it is whole, and the uitvoerder goes on.
source "$(dirname "$0")/lib.sh"
SEND="$KETEN_BIN/tests/keten-peer-send"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" BUNDLE

said() { grep -q "link bundles peer=$2 max=1048576" "$T/$1.log"; }
wait_until 10 said politie-test "$UITV" || fail "the uitvoerder's reply did not say it reads bundles"
wait_until 10 said "$UITV" politie-test || fail "the member's heartbeat did not say it reads bundles"
pass "each side says it reads bundles, with its largest message"

# 2,000 signals, 500 in flight: the politie node sends runs of them in
# bundles, the uitvoerder its receipts; every one delivered and proven.
# The uitvoerder at log level debug names each bundle it reads.
kt_kill "$UITV"
sed -i 's/log-level = info/log-level = debug/' "$T/$UITV.cfg"
kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link after the uitvoerder's restart"
said_again() { [ "$(grep -c "link bundles peer=politie-test max=1048576" "$T/$UITV.log")" -ge 2 ]; }
wait_until 10 said_again || fail "the member did not say it again on the new connection"
out=$("$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/s.json" -n 2000 --inflight 500)
grep -q "not_delivered=0" <<< "$out" || fail "not all delivered: $out"
grep -q "transport bundle peer=politie-test envelopes=[0-9]" "$T/$UITV.log" ||
    fail "the burst came without bundles"
[ "$(kt politie-test signal list --json --limit 5000 | jq '[.signals[] | select(.state == "delivered")] | length')" = 2000 ] ||
    fail "not 2,000 delivered signals listed"
kt politie-test log verify > "$T/verify.out" || fail "log verify: $(cat "$T/verify.out")"
pass "a burst of 2,000 through bundles: all delivered, the log verified"

# Hostile bundles, sent with the member's own keys (so the uitvoerder
# reads them): 65 one-byte "envelopes" (one more than a bundle holds),
# then a bundle whose second length runs past its end.
UT=$(awk '/transport-public/ {print $3}' "$T/keys/$UITV.pub")
python3 - "$T/many.bin" "$T/cut.bin" <<'PY'
import struct, sys
open(sys.argv[1], "wb").write(b"\x00" + b"".join(struct.pack(">I", 1) + b"x" for _ in range(65)))
open(sys.argv[2], "wb").write(b"\x00" + struct.pack(">I", 1) + b"x" + struct.pack(">I", 99) + b"y")
PY
"$SEND" "$T/keys/politie-test.secret" "$UT" "tcp://127.0.0.1:$PORT" "$T/many.bin" > "$T/many.out" ||
    fail "not sent: $(cat "$T/many.out")"
malformed() { grep -q "transport malformed_bundle peer=politie-test taken=$1" "$T/$UITV.log"; }
wait_until 10 malformed 64 || fail "65 envelopes in a bundle: not stopped at 64: $(tail -3 "$T/$UITV.log")"
"$SEND" "$T/keys/politie-test.secret" "$UT" "tcp://127.0.0.1:$PORT" "$T/cut.bin" > "$T/cut.out" ||
    fail "not sent: $(cat "$T/cut.out")"
wait_until 10 malformed 1 || fail "a cut bundle: not stopped after its first: $(tail -3 "$T/$UITV.log")"
kill -0 "${KT_PID[$UITV]}" || fail "the uitvoerder stopped"
out=$(kt politie-test signal submit --file "$T/s.json" --wait) || fail "no signal after: $out"
grep -q delivered <<< "$out" || fail "not delivered after the hostile bundles: $out"
pass "a malformed bundle is read as far as it is whole; the uitvoerder goes on"
