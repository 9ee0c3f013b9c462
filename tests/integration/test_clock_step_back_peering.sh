#!/usr/bin/env bash
# A wall clock stepped back while an uitvoerder runs (NTP correcting a
# clock that ran fast; CLOCK_MONOTONIC untouched) does not take its
# peering for down: the link's timeout and the redial run on the
# monotonic clock (docs/OPERATIONS.md, "Clocks").  Two federations of an
# uitvoerder and a police node each, peered; libfaketime reads the dialling
# uitvoerder's clock offset from a file, changed while it runs.
source "$(dirname "$0")/lib.sh"
# A members' heartbeat timeout shorter than the peer's checkpoint push
# (every 2 s, all that a quiet peering hears): the peering must still
# read connected at every check below, not only in the second after
# each push.
KT_HEARTBEAT_TIMEOUT_MS=1000
L=uitvoerder-limburg Z=uitvoerder-zeeland
mkfed() { # mkfed FED UITV MEMBER: keys, roster, configs and running nodes
    FED=$1 UITV=$2 KT_ROSTER="$T/roster-$1.txt" PORT=
    kt_keys "$UITV" uitvoerder
    kt_keys "$3" politie
    kt_roster 1 "$KT_ROSTER" "$UITV" "$3"
    kt_config "$UITV"
    kt_start "$UITV"
    kt_config "$3"
    kt_start "$3"
    wait_until 15 link_up "$3" || fail "no link for $3"
}
mkfed pga-limburg "$L" politie-limburg
P_L=$PORT
mkfed pga-zeeland "$Z" politie-zeeland
P_Z=$PORT
kt "$L" peering add "$T/keys/$Z.pub" --federation pga-zeeland \
    --endpoint "tcp://127.0.0.1:$P_Z" > /dev/null || fail "peering add at Limburg"
kt "$Z" peering add "$T/keys/$L.pub" --federation pga-limburg \
    --endpoint "tcp://127.0.0.1:$P_L" > /dev/null || fail "peering add at Zeeland"
up() { [ "$(jfield "$1" '.peerings[0].connected')" = true ]; }
wait_until 20 up "$L" || fail "Limburg's link to Zeeland is not up: $(jfield "$L" .peerings)"
[ "$(jfield "$L" '.peerings[0].connection')" = dials ] || fail "pga-limburg sorts first and should dial"

kt_kill "$L"
KETEN_WRAP=$(kt_clock_file_wrap "$L") \
    FED=pga-limburg KT_ROSTER="$T/roster-pga-limburg.txt" PORT=$P_L kt_start "$L"
wait_until 20 up "$L" || fail "Limburg's link to Zeeland is not up after the restart"
sleep 2
echo "-60" > "$T/$L.clock"
for _ in $(seq 20); do
    up "$L" || fail "Limburg's peering taken for down after its clock stepped back: $(jfield "$L" .peerings)"
    sleep 0.2
done
pass "the dialling uitvoerder's clock 60 s back: its peering stays connected"
