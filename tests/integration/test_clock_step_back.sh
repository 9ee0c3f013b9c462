#!/usr/bin/env bash
# A wall clock stepped back while ketend runs (as NTP does to a clock that
# ran fast; CLOCK_MONOTONIC untouched): durations are on the monotonic
# clock, so the uptime stays sane - in the node's status, its metrics and
# the uitvoerder's view - and the link is not taken for down
# (docs/OPERATIONS.md, "Clocks").  libfaketime reads each node's offset
# from a file, changed here while the node runs.
source "$(dirname "$0")/lib.sh"
P=politie-test
kt_federation
metrics_on "$P"
wait_until 10 link_up "$P" || fail "no link"
for id in "$UITV" "$P"; do kt_kill "$id"; done
KETEN_WRAP=$(kt_clock_file_wrap "$UITV") kt_start "$UITV"
KETEN_WRAP=$(kt_clock_file_wrap "$P") kt_start "$P"
wait_until 20 link_up "$P" || fail "no link after the restart"
online() { [ "$(jfield "$UITV" .federation.online)" = 1 ]; }
wait_until 10 online || fail "$P not online at the uitvoerder"
sane() { [ -n "$1" ] && [ "$1" != null ] && [ "$1" -ge 0 ] && [ "$1" -lt 3600 ]; }
seen_uptime() { kt "$UITV" status --json | jq -r --arg p "$P" '.members[] | select(.id==$p) | .uptime_s'; }
at=$(wc -l < "$T/$P.log")

echo "-60" > "$T/$P.clock" # politie's clock 60 s back, inside clock-skew-ms
sleep 4
up=$(jfield "$P" .uptime_s)
sane "$up" || fail "politie's uptime after its clock stepped back: $up"
ep=$(jfield "$P" .metrics_listen)
m=$(http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r' | awk '/^keten_uptime_seconds /{print $2}')
sane "$m" || fail "keten_uptime_seconds after the step: $m"
seen=$(seen_uptime)
sane "$seen" || fail "the uitvoerder shows politie's uptime as $seen"
tail -n +"$((at + 1))" "$T/$P.log" | grep "link down" && fail "a clock stepped back faked a link down"
link_up "$P" || fail "the link is down after the step: $(jfield "$P" .link)"
pass "politie's clock 60 s back: uptime $up s (metrics $m s, at the uitvoerder $seen s), the link stays up"

echo "-60" > "$T/$UITV.clock" # the uitvoerder's too
sleep 4
up=$(jfield "$UITV" .uptime_s)
sane "$up" || fail "the uitvoerder's uptime after its clock stepped back: $up"
online || fail "$P is offline at the uitvoerder after its clock stepped back"
tail -n +"$((at + 1))" "$T/$P.log" | grep "link down" && fail "a clock stepped back faked a link down"
pass "the uitvoerder's clock 60 s back too: uptime $up s, $P online"
