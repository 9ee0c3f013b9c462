#!/usr/bin/env bash
# Issue #4 (docs/PROTOCOL.md, "Checkpoints, proofs and witnesses"): 1,000
# signals flow; every receipt carries an inclusion proof against a signed
# checkpoint, and every one verifies against checkpoints proven consistent
# with the newest the police node kept; the police node (a witness) cosigns;
# a log rolled back is detected by the partner from its kept checkpoint.
source "$(dirname "$0")/lib.sh"
# The uitvoerder's log goes back on purpose here: the witnesses' alarms that
# it went back are expected (lib.sh still fails on any other).
KT_LOG_ALARM_OK=1
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" PROOF
"$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/s.json" -n 1000 --inflight 100 \
    > "$T/bench.out" || fail "bench failed: $(cat "$T/bench.out")"
size=$(jfield "$UITV" .log.size)
[ "$size" -ge 1000 ] || fail "log size $size"
# The next push (every 2 s) brings the newest checkpoint with its
# consistency proof; requests settle the receipts' own checkpoints.
caught_up() {
    [ "$(jfield politie-test .log_witness.checkpoint_size)" = "$(jfield "$UITV" .log.size)" ] &&
        [ "$(kt politie-test log verify --json | jq '.pending')" = 0 ]
}
wait_until 20 caught_up || fail "politie did not catch up: $(kt politie-test log verify --json)"
out=$(kt politie-test log verify --json)
[ "$(echo "$out" | jq '.receipts')" = 1000 ] || fail "not every receipt kept a proof: $out"
[ "$(echo "$out" | jq '.verified')" = 1000 ] || fail "not every proof verified: $out"
[ "$(echo "$out" | jq '.failed')" = 0 ] || fail "failed proofs: $out"
kt politie-test log verify | grep -q "1000 receipts: 1000 proven" || fail "plain output"
pass "1,000 receipts: every inclusion proof verifies, in checkpoints consistent with the newest"

# politie is a witness: its cosignature is on the uitvoerder's checkpoints.
cosigned() { kt "$UITV" log checkpoints --json | jq -e '.checkpoints[0].cosigners == "politie-test"' > /dev/null; }
wait_until 10 cosigned || { grep -h "cosign" $T/*.log | head -5; false; } || fail "no cosignature: $(kt "$UITV" log checkpoints --json | jq -c '.checkpoints[0]')"
kt "$UITV" log verify > "$T/v.out" || fail "uitvoerder log verify: $(cat "$T/v.out")"
grep -q "stored checkpoints: each signed by this log" "$T/v.out" || fail "checkpoints not checked"
pass "the police node cosigns the checkpoints it verified; the uitvoerder's checkpoints verify"

# The uitvoerder restarts with its log intact and no longer knows which
# checkpoint the police node holds: the first receipts come without a
# consistency proof, and later ones with proofs from checkpoints the
# police node has seen but not kept.  A proof from anything but the kept
# checkpoint no longer moves it on: the police node asks for the proof
# from the one it kept, the uitvoerder answers with checkpoints it signed
# when they were current (never a new one for an older size), and the
# police node catches up with every receipt proven and no alarm.
kt_kill "$UITV"
kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link after the restart"
"$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/s.json" -n 300 --inflight 100 \
    > "$T/bench2.out" || fail "bench after the restart failed: $(cat "$T/bench2.out")"
wait_until 20 caught_up || fail "politie did not catch up after the restart: $(kt politie-test log verify --json)"
[ "$(jfield politie-test '.log_witness.alarms | length')" = 0 ] ||
    fail "an honest restart raised an alarm: $(jfield politie-test .log_witness.alarms)"
out=$(kt politie-test log verify --json)
[ "$(echo "$out" | jq '.receipts')" = 1300 ] && [ "$(echo "$out" | jq '.verified')" = 1300 ] ||
    fail "not every receipt proven after the restart: $out"
if grep -q "request_refused" "$T/$UITV.log"; then
    fail "a request was refused: $(grep request_refused "$T/$UITV.log" | head -3)"
fi
kt "$UITV" log verify > "$T/v2.out" || fail "uitvoerder log verify after the restart: $(cat "$T/v2.out")"
pass "after an uitvoerder restart the police node reconnects its chain through requests, without an alarm"

# Rollback: the uitvoerder comes back with an empty log.  The police node
# holds a checkpoint of $size entries and raises the alarm.
kt_kill "$UITV"
rm -f "$T/state-$UITV/log.db"*
kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link after restart"
kt politie-test signal submit --file "$T/s.json" --wait > /dev/null || true
alarmed() { [ "$(jfield politie-test '.log_witness.alarms | length')" -ge 1 ]; }
wait_until 10 alarmed || fail "the rollback was not noticed"
jfield politie-test ".log_witness.alarms[].what" | grep -q "went back" || fail "alarm text: $(jfield politie-test .log_witness.alarms)"
if kt politie-test log verify > /dev/null 2>&1; then fail "log verify passes after a rollback"; fi
grep -q "log alarm" "$T/politie-test.log" || fail "alarm not in the journal"
pass "a rolled-back log raises the alarm at the partner (status, log verify, journal)"
