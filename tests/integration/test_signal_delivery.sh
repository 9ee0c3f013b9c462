#!/usr/bin/env bash
# Politie submits a signal; the uitvoerder stores it once in the weegploeg
# file; politie holds the signed receipt with its provenance-log index.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "politie never saw the uitvoerder"

kt_signal_file "$T/s1.json" BVH-1
kt_delivered politie-test "$T/s1.json"
id=$KT_ID
pass "signal $id delivered"

[ "$(jfield "$UITV" .stored.signals)" = 1 ] || fail "uitvoerder does not hold exactly one signal"
[ "$(kt "$UITV" signal list --json | jq -r '.signals[0].sender')" = politie-test ] \
    || fail "stored signal is not attributed to politie-test"
pass "uitvoerder stored it, attributed to politie-test"

state=$(kt politie-test signal list --json | jq -r ".signals[] | select(.message_id==\"$id\") | .state")
[ "$state" = delivered ] || fail "politie lists state '$state'"
[ "$(jfield politie-test .last_receipt.message_id)" = "$id" ] || fail "status shows no receipt"
receipt_bytes=$(sqlite3 "$T/state-politie-test/node.db" \
    "SELECT length(receipt) FROM outbox WHERE hex(id)=upper('$id') AND state=1")
[ "${receipt_bytes:-0}" -gt 64 ] || fail "politie does not keep the signed receipt"
pass "politie holds the signed receipt ($receipt_bytes bytes)"

# No personal data in the uitvoerder's files in the clear.
for f in "$T/state-$UITV"/*.db "$T"/*.log; do
    if grep -q "Test Persoon" "$f"; then fail "personal data in clear in $f"; fi
done
pass "no personal data in clear in databases or logs"

# The same signal sent twice is two signals (distinct ids); a resend of
# the same id is deduplicated - covered by the crash test.
kt politie-test signal submit --file "$T/s1.json" --wait > /dev/null
[ "$(jfield "$UITV" .stored.signals)" = 2 ] || fail "second signal not stored"
[ "$(jfield "$UITV" .stored.subjects)" = 1 ] || fail "same person did not join one subject"
pass "two signals about one person share one subject"

# A queued signal is kept once, as the envelope it goes in (its row's
# body; docs/ARCHITECTURE.md, "Sealed records at rest"). Queued while the
# uitvoerder is away and politie restarts (SIGKILL), it is sent from the
# file after the restart, and stored once.
kt_kill "$UITV" KILL
out=$(kt politie-test signal submit --file "$T/s1.json")
id3=$(echo "$out" | grep -Eo '[0-9a-f]{32}' | head -n1)
[ -n "$id3" ] || fail "no message id: $out"
row=$(sqlite3 "$T/state-politie-test/node.db" \
    "SELECT s.envelope, length(s.body) > 0, length(o.header), o.state FROM signal s
      JOIN outbox o ON o.id = s.message_id WHERE hex(s.message_id)=upper('$id3')")
[ "$row" = "1|1|0|0" ] || fail "politie does not keep the queued signal once, as its envelope: $row"
kt_kill politie-test KILL
kt_start politie-test
kt_start "$UITV"
wait_until 20 link_up politie-test || fail "no link after the restarts"
delivered3() {
    [ "$(sqlite3 "$T/state-politie-test/node.db" "SELECT state FROM outbox WHERE hex(id)=upper('$id3')")" = 1 ]
}
wait_until 20 delivered3 || fail "the signal queued before the restart was not delivered"
[ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal WHERE hex(message_id)=upper('$id3')")" = 1 ] \
    || fail "the uitvoerder does not hold it once"
[ "$(jfield "$UITV" .stored.signals)" = 3 ] || fail "uitvoerder does not hold three signals"
pass "a signal queued before a restart was sent from the file and stored once"
