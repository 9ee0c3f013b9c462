#!/usr/bin/env bash
# The witness (docs/PROTOCOL.md, "Checkpoints, proofs and witnesses") on an
# honest uitvoerder that is killed -9 and restarted, and then stopped for a
# few seconds, while two members submit thousands of signals with many in
# flight: after each break in the chain the receipts come without a
# consistency proof, the members ask for proofs, and the answers travel
# behind their backlog, older than the kept checkpoint by the time they
# arrive.  No witness may take one for a rollback (lib.sh's kt_cleanup
# fails on any log alarm), and each catches up: every receipt proven,
# nothing pending.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
BP=
# A bench and a stopped uitvoerder are not left behind by a failure.
s_cleanup() {
    local rc=$? id
    [ -z "$BP" ] || kill -KILL $BP 2>/dev/null || true
    for id in "${!KT_PID[@]}"; do kill -CONT "${KT_PID[$id]}" 2>/dev/null || true; done
    kt_cleanup $rc
}
trap s_cleanup EXIT
kt_federation "$G:gemeente"
for id in politie-test "$G"; do wait_until 10 link_up "$id" || fail "no link for $id"; done
cp "$KT_SRC/configs/signal-example.json" "$T/gem.json"
for round in kill stop; do
    "$KETEN_BIN/keten-bench" --socket "$T/$G.sock" --file "$T/gem.json" -n 4000 --inflight 2000 \
        --json >> "$T/bench.out" 2>&1 &
    BP=$!
    "$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" \
        --file "$KT_SRC/configs/signal-police-example.json" -n 4000 --inflight 1000 \
        --batch 64 >> "$T/bench.out" 2>&1 &
    BP="$BP $!"
    sleep 0.5
    if [ $round = kill ]; then
        kt_kill "$UITV" KILL
        kt_start "$UITV"
    else
        kill -STOP "${KT_PID[$UITV]}"
        sleep 3
        kill -CONT "${KT_PID[$UITV]}"
    fi
    for p in $BP; do wait "$p" || fail "bench failed ($round): $(tail -5 "$T/bench.out")"; done
    BP=
    grep -h "log alarm" "$T"/*.log && fail "a witness alarm on an honest uitvoerder ($round)"
done
caught_up() {
    local id=$1 v
    v=$(kt "$id" log verify --json) || return 1
    [ "$(jfield "$id" .log_witness.checkpoint_size)" = "$(jfield "$UITV" .log.size)" ] &&
        [ "$(echo "$v" | jq '.pending')" = 0 ] && [ "$(echo "$v" | jq '.failed')" = 0 ]
}
for id in politie-test "$G"; do
    wait_until 40 caught_up "$id" || fail "$id did not catch up: $(kt "$id" log verify --json)"
done
pass "uitvoerder killed and stopped under load: no alarm, every witness caught up"
