#!/usr/bin/env bash
# art. 7.2a, 12.5: a withdrawal sent while its signal still waits for its
# receipt can reach the uitvoerder before the signal is stored there: in
# the same drain (its arrivals are stored at the drain's end), or past the
# signal's retry after the uitvoerder was away.  It waits for its signal
# (no receipt: the police node sends it again) instead of being refused
# for good while the signal is stored after all.  Every withdrawn signal
# is gone from the weegploeg file, and no withdrawal is refused.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json"
N=10
submit_withdraw() {  # submit_withdraw FILE: N signals, each withdrawn at once
    local i id
    for i in $(seq 1 $N); do
        id=$(kt politie-test signal submit --file "$T/s.json" | grep -Eo '[0-9a-f]{32}' | head -n1)
        [ -n "$id" ] || fail "no signal id"
        kt politie-test signal withdraw "$id" --reason "Fout ingevoerd." > /dev/null \
            || fail "the withdrawal of $id was refused at the police node"
        echo "$id" >> "$1"
    done
}
drained() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
stored() {  # stored FILE: how many of its signals the weegploeg file holds
    local id n=0
    for id in $(cat "$1"); do
        n=$((n + $(sqlite3 "$T/state-$UITV/weegploeg.db" \
            "SELECT count(*) FROM signal WHERE message_id=X'$id'")))
    done
    echo "$n"
}
submit_withdraw "$T/a"
wait_until 60 drained || fail "the outbox did not drain"
[ "$(stored "$T/a")" = 0 ] || fail "$(stored "$T/a") of $N withdrawn signals are still stored"
pass "a withdrawal sent right after its signal removes it"

kt_kill "$UITV" KILL
submit_withdraw "$T/b"
kt_start "$UITV"
wait_until 90 drained || fail "the outbox did not drain after the uitvoerder came back"
[ "$(stored "$T/b")" = 0 ] || fail "$(stored "$T/b") of $N withdrawn signals are still stored"
[ "$(jfield politie-test .outbox.refused)" = 0 ] || fail "a withdrawal or signal was refused: $(grep refused "$T/$UITV.log" | head -3)"
grep -q "correction waits id=" "$T/$UITV.log" || fail "no withdrawal overtook its signal: the test proved nothing"
pass "withdrawals that overtook their signals while the uitvoerder was away waited for them"
