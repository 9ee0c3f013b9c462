#!/usr/bin/env bash
# Receipts (docs/PROTOCOL.md, "Receipts"): a member whose heartbeat says it
# reads RECEIPTS gets the receipts of one batch in one envelope, kept once
# as proof of delivery and referred to by every outbox row it settled;
# every receipt in it is still proven in the log.  One receipt at a time
# still comes as a RECEIPT.  A member that takes only small messages (as an
# older release, which says nothing) gets one RECEIPT per message, and one
# that takes a little more gets RECEIPTS in chunks that fit; so do they when
# the uitvoerder seals less than the member takes.  In a RECEIPTS the
# hashes a receipt's path shares with the one before it are sent once.
source "$(dirname "$0")/lib.sh"
SMALL=gemeente-heerlen CHUNKED=gemeente-maastricht
kt_federation "$SMALL:gemeente" "$CHUNKED:gemeente"
# transport/max-message: 8 KiB is below what the uitvoerder batches for,
# 32 KiB leaves it 16 KiB of receipts per message.
for spec in "$SMALL:8192" "$CHUNKED:32768"; do
    id=${spec%%:*}
    kt_kill "$id"
    sed -i "s/^transport$/transport\n    max-message = ${spec##*:}/" "$T/$id.cfg"
    kt_start "$id"
done
for id in politie-test "$SMALL" "$CHUNKED"; do
    wait_until 10 link_up "$id" || fail "no link for $id"
done
kt_signal_file "$T/p.json" P-1
jq '.source.kind = "sociale-dienst" | .wpg_basis = "none" | .legal_basis = "avg-6-1-e"' "$T/p.json" \
    > "$T/g.json"
q() { sqlite3 "$T/state-$1/node.db" "$2"; }

# Every signal of a burst delivered, each with its proof of delivery and its
# log proof kept.
burst() {  # burst ID N FILE
    kt_burst "$1" "$2" "$3" > "$T/$1.burst" || fail "burst from $1"
    [ "$(grep -c '^delivered ' "$T/$1.burst")" = "$2" ] ||
        fail "$1: not all delivered: $(sort "$T/$1.burst" | uniq -c | head -3)"
}
proven() {  # proven ID N: the witness kept N proofs, raised no alarm
    [ "$(kt "$1" log verify --json | jq '.receipts')" = "$2" ] &&
        [ "$(jfield "$1" '.log_witness.alarms | length')" = 0 ]
}

kt politie-test signal submit --file "$T/p.json" --wait > /dev/null || fail "one signal"
[ "$(q politie-test "SELECT count(*) FROM outbox WHERE receipt IS NOT NULL AND receipts_id IS NULL")" = 1 ] ||
    fail "one signal in flight: not a RECEIPT of its own"
burst politie-test 300 "$T/p.json"
batched=$(q politie-test "SELECT count(*) FROM outbox WHERE receipts_id IS NOT NULL")
[ "$batched" -ge 290 ] || fail "only $batched of 300 settled by RECEIPTS"
[ "$(q politie-test "SELECT count(*) FROM outbox WHERE state=1 AND receipt IS NULL AND receipts_id IS NULL")" = 0 ] ||
    fail "a delivered row without its proof of delivery"
[ "$(q politie-test "SELECT count(*) FROM outbox o WHERE receipts_id IS NOT NULL AND NOT EXISTS
        (SELECT 1 FROM outbox_receipts r WHERE r.id=o.receipts_id)")" = 0 ] ||
    fail "a row refers to a RECEIPTS envelope that is not kept"
kept=$(q politie-test "SELECT count(*) FROM outbox_receipts")
[ "$kept" -ge 1 ] && [ "$kept" -lt 30 ] || fail "$kept RECEIPTS envelopes for 300 signals"
# Neighbouring receipts' paths share their upper levels, sent once: a
# whole path at this log's size is nine hashes (about 400 bytes a
# receipt), shared about two (140); each receipt carries its log entry
# too (about 130 bytes).
per=$(q politie-test "SELECT sum(length(envelope)) / $batched FROM outbox_receipts")
[ "$per" -lt 400 ] || fail "$per bytes of RECEIPTS per receipt: paths not shared"
wait_until 10 proven politie-test 301 ||
    fail "not every receipt proven: $(kt politie-test log verify --json) $(jfield politie-test .log_witness.alarms)"
pass "300 signals at once: their receipts came in $kept RECEIPTS, each kept once; every proof kept"

burst "$SMALL" 100 "$T/g.json"
[ "$(q "$SMALL" "SELECT count(*) FROM outbox_receipts")" = 0 ] ||
    fail "RECEIPTS to a member that takes 8 KiB"
[ "$(q "$SMALL" "SELECT count(*) FROM outbox WHERE state=1 AND receipt IS NOT NULL")" = 100 ] ||
    fail "not every row has its own RECEIPT"
wait_until 10 proven "$SMALL" 100 || fail "$SMALL: not every receipt proven"
pass "a member that takes only 8 KiB gets a RECEIPT per message"

# Each chunk's first receipt carries its whole path (it has no receipt
# before it in its message): every proof verifies.
burst "$CHUNKED" 600 "$T/g.json"
chunks=$(q "$CHUNKED" "SELECT count(*) FROM outbox_receipts")
largest=$(q "$CHUNKED" "SELECT max(length(envelope)) FROM outbox_receipts")
[ "$chunks" -ge 4 ] || fail "$chunks RECEIPTS for 600 signals to a member that takes 32 KiB"
[ "$largest" -lt 32768 ] || fail "a RECEIPTS envelope of $largest bytes to a member that takes 32 KiB"
wait_until 10 proven "$CHUNKED" 600 || fail "$CHUNKED: not every receipt proven"
# Nothing refused and offered again: each RECEIPTS was taken as it came.
grep -q "refused\|unhandled" "$T/$CHUNKED.log" && fail "refused: $(grep refused "$T/$CHUNKED.log" | head -3)"
pass "a member that takes 32 KiB gets 600 in $chunks envelopes, the largest $largest bytes, each proven"

# The uitvoerder's own transport/max-message below the member's (64 KiB
# against 1 MiB): its chunks fit what it can seal, and none is lost.
kt_kill "$UITV"
sed -i "s/^transport$/transport\n    max-message = 65536/" "$T/$UITV.cfg"
kt_start "$UITV"
# Its first heartbeat of this run says what it takes (until then: a RECEIPT each).
heard() { [ -n "$(jfield "$UITV" '.members[] | select(.id == "politie-test") | .software_version')" ]; }
wait_until 10 heard || fail "no heartbeat from politie-test after the uitvoerder's restart"
before=$(q politie-test "SELECT coalesce(max(rowid), 0) FROM outbox_receipts")
burst politie-test 600 "$T/p.json"
grep -q "seal_failed" "$T/$UITV.log" && fail "a receipt was not sealed: $(grep seal_failed "$T/$UITV.log" | head -2)"
chunks=$(q politie-test "SELECT count(*) FROM outbox_receipts WHERE rowid > $before")
largest=$(q politie-test "SELECT max(length(envelope)) FROM outbox_receipts WHERE rowid > $before")
[ "$chunks" -ge 4 ] && [ "$largest" -lt 65536 ] ||
    fail "$chunks RECEIPTS, the largest $largest bytes, from an uitvoerder that seals 64 KiB"
pass "an uitvoerder that seals 64 KiB sends 600 receipts in $chunks envelopes, the largest $largest bytes"
