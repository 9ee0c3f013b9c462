#!/usr/bin/env bash
# A hostile but authenticated member sends 600 incidents, each a valid
# incident padded to about 1 MB with a protobuf field no release knows
# (docs/OPERATIONS.md, "What one member can make the uitvoerder hold").
# Before, libzmq queued up to transport/hwm (10,000) of them for its
# connection, with no bound in bytes, and the checkers never looked at
# the padding: the uitvoerder's RSS went from 13 to 500 MiB in 30 s.
# Now a body with more than 4 KiB of unknown fields is refused: the
# padded incidents are refused with a reason, none is registered, and the
# honest police node is served meanwhile.  The queue itself is still
# counted in messages only (docs/OPERATIONS.md): a bound in bytes made
# libzmq 4.3.4 abort under honest load, so the RSS is reported, not
# bounded.
source "$(dirname "$0")/lib.sh"

A=gemeente-maastricht
kt_uitvoerder_up "$A:gemeente"
kt_config politie-test
kt_start politie-test
wait_until 10 link_up politie-test || fail "politie never saw the uitvoerder"
kt_signal_file "$T/s.json" P-0
kt_delivered politie-test "$T/s.json"

rss_mib() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/${KT_PID[$UITV]}/status"; }
before=$(rss_mib)

# The attacker's ketend never runs: its keys drive the flood.
FLOOD_PAD=1000000 kt_member_flood "$A" incident 600 > "$T/flood.out" 2>&1 &
FP=$!
# The police node submits a signal every second meanwhile, and each must
# be delivered.
(
    for i in 1 2 3 4 5; do
        kt_signal_file "$T/p$i.json" "P-$i"
        timeout 60 "$KETEN" --socket "$T/politie-test.sock" signal submit \
            --file "$T/p$i.json" --wait > "$T/p$i.out" 2>&1 || exit 1
        grep -q delivered "$T/p$i.out" || exit 1
        sleep 1
    done
) &
PP=$!
stop() { kill "$FP" "$PP" 2> /dev/null || true; wait "$FP" "$PP" 2> /dev/null || true; }

max=0
deadline=$((SECONDS + 180))
while kill -0 "$FP" 2> /dev/null || kill -0 "$PP" 2> /dev/null; do
    r=$(rss_mib)
    [ "$r" -gt "$max" ] && max=$r
    if [ $SECONDS -ge $deadline ]; then
        stop
        fail "the flood and the police signals did not end within 180 s"
    fi
    sleep 0.2
done
wait "$PP" || fail "a police signal was not delivered during the flood: $(cat "$T"/p*.out)"
wait "$FP" || true
pass "uitvoerder RSS ${before} MiB at rest, at most ${max} MiB during the flood; police served"

refused=$(grep -c 'incident refused .*reason="body carries .* fields this release does not know' \
    "$T/$UITV.log" || true)
[ "$refused" -gt 0 ] || fail "no padded incident was refused for its unknown fields: $(cat "$T/flood.out")"
! grep -q "incident registered" "$T/$UITV.log" || fail "a padded incident was registered"
pass "$refused padded incidents refused for their unknown fields, none registered"

# An incident with a little padding (a field a later release might add)
# is still taken.
FLOOD_PAD=100 kt_member_flood "$A" incident 1 > "$T/small.out" 2>&1 || fail "$(cat "$T/small.out")"
wait_until 10 grep -q "incident registered" "$T/$UITV.log" ||
    fail "an incident with 100 bytes of unknown fields was not registered"
pass "an incident with a small unknown field is registered"
