#!/usr/bin/env bash
# A hostile member cannot flood the uitvoerder's journal: the lines its
# messages cause one by one (a refusal each, a malformed bundle) are
# written for the first 20 of each kind a minute, as they always were;
# the rest are counted and said in one "..._counted peer=... count=N"
# line when the minute is over or the node stops (docs/OPERATIONS.md,
# "Journal").  Before, 50,000 bad bundles wrote ~640,000 lines, and
# journald's rate limit then dropped the node's own warnings too.
source "$(dirname "$0")/lib.sh"
A=gemeente-maastricht
kt_uitvoerder_up "$A:gemeente"
kt_config politie-test
kt_start politie-test
wait_until 10 link_up politie-test || fail "politie never saw the uitvoerder"

LOG="$T/$UITV.log"
before=$(wc -l < "$LOG")
# Bundles of 64 one-byte envelopes (3,200,000 refusals), then proofs
# asked for a log size that was never signed: every one refused.  The
# bundles overfill the uitvoerder's receive queue, which once made it
# abort in libzmq 4.3.4 when the sender gave up (its ROUTER no longer
# pings: docs/ARCHITECTURE.md, "Transport"); it must stay up.
kt_member_flood "$A" badbundle 50000 > "$T/flood-bundles.out" ||
    fail "the bundle flood failed: $(cat "$T/flood-bundles.out")"
kt_member_flood "$A" cpreq 20000 0:1000000 > "$T/flood-cpreq.out" ||
    fail "the checkpoint flood failed: $(cat "$T/flood-cpreq.out")"
kill -0 "${KT_PID[$UITV]}" || fail "the uitvoerder died under the flood: $(tail -n 3 "$LOG")"
# Stopped, the uitvoerder says the counts of the minute still open.
kt_kill "$UITV"
grown=$(($(wc -l < "$LOG") - before))
lines() { tail -n +"$((before + 1))" "$LOG" | grep -c "$1" || true; }

# Each kind: 20 lines a minute at most, plus its count.  The floods'
# lines, whatever the uitvoerder took of them before it stopped, and the
# node's own (link, heartbeat, stop) stay under 200.
MAX=200
[ "$grown" -le "$MAX" ] || fail "the journal grew by $grown lines, want at most $MAX: $(
    tail -n +"$((before + 1))" "$LOG" | sed 's/[0-9a-f]\{32\}/ID/g; s/=[0-9]\+/=N/g' |
        sort | uniq -c | sort -rn | head -5)"
for kind in "message refused id=.* peer=$A " \
    "checkpoint request_refused peer=$A "; do
    n=$(lines "$kind")
    [ "$n" -ge 1 ] && [ "$n" -le 20 ] || fail "$n lines of '$kind', want 1 to 20"
done
# The first lines are as they were, the rest counted in one line each.
[ "$(lines "message refused id=[-0-9a-f]* peer=$A reason=\"[^\"]*\"$")" -ge 1 ] ||
    fail "no 'message refused' line as before"
for kind in "message refused" "checkpoint request_refused"; do
    [ "$(lines "$kind""_counted peer=$A count=[1-9][0-9]*$")" = 1 ] ||
        fail "no count of '$kind': $(tail -n 5 "$LOG")"
done
pass "a member's flood wrote $grown journal lines, each kind's excess counted in one line"
