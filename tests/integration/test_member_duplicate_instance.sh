#!/usr/bin/env bash
# A copy of a member's node - its state directory copied, as a restored
# VM snapshot or a copied disk has it - started beside the original, with
# the same key file: both connect with the same transport key and member
# id, so the transport and the signatures cannot tell them apart, and the
# uitvoerder's copies went to whichever spoke last.  Each ketend run sends
# an instance id of its own in its heartbeat; the uitvoerder raises
# duplicate_instance for the member (status, --check, metrics, journal)
# and says it in its heartbeat reply, so both copies show it too.  The
# alarm is held for an hour after the copy is stopped, then ends by
# itself (the clock is moved, not the rule shortened).
source "$(dirname "$0")/lib.sh"

# Every daemon's clock reads its offset from one file, so that the whole
# federation can move an hour on at once, without a restart (which would
# forget what the uitvoerder holds).  The monotonic clock moves with it:
# the hold counts on it, so that a wall clock set back changes nothing.
faketime_lib=$(kt_faketime_lib)
echo "+0" > "$T/clock"
CLOCK="env LD_PRELOAD=$faketime_lib FAKETIME_TIMESTAMP_FILE=$T/clock FAKETIME_NO_CACHE=1"
CLOCK+=" ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ${KETEN_WRAP:-}"

kt_uitvoerder_up
kt_kill "$UITV"
metrics_on "$UITV"
KETEN_WRAP=$CLOCK kt_start "$UITV"
kt_config politie-test
KETEN_WRAP=$CLOCK kt_start politie-test
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json"
kt_delivered politie-test "$T/s.json"

# The copy: the same config and key file, its own state directory (a
# copy of the original's, taken while it was stopped) and socket.
kt_kill politie-test
cp -a "$T/state-politie-test" "$T/state-kopie"
sed -e "s#state-politie-test#state-kopie#" -e "s#politie-test.sock#kopie.sock#" \
    "$T/politie-test.cfg" > "$T/kopie.cfg"
KETEN_WRAP=$CLOCK kt_start politie-test
KETEN_WRAP=$CLOCK kt_start kopie
wait_until 10 link_up kopie || fail "the copy has no link"

row() { kt "$UITV" status --json | jq -c '.members[] | select(.id=="politie-test")'; }
has_alarm() { kt "$1" status --json | jq -e "${2:-.alarms} | index(\"duplicate_instance\") != null"; }
member_dup() { has_alarm "$UITV" '(.members[] | select(.id=="politie-test") | .alarms)'; }
wait_until 20 member_dup || fail "no duplicate_instance for politie-test at the uitvoerder: $(row)"
[ "$(row | jq -r '.duplicate_instance')" = true ] || fail "the member row: $(row)"
rc=0; out=$(kt "$UITV" status --check) || rc=$?
[ $rc = 2 ] && grep -q "member alarm(s)" <<< "$out" || fail "--check (rc $rc): $out"
kt "$UITV" status | grep -q "^politie-test: two copies of the member's node run with its keys" \
    || fail "the text does not say it: $(kt "$UITV" status)"
ep=$(jfield "$UITV" .metrics_listen)
want='keten_member_alarm{member="politie-test",kind="politie",role="kernpartij",alarm="duplicate_instance"} 1'
# Read whole before grep -q looks: under pipefail its early exit would
# fail the pipe (SIGPIPE) once the answer outgrows what one write carries.
metrics=$(http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r')
grep -qxF "$want" <<< "$metrics" || fail "no '$want' in the metrics"
# The journal names both runs, which each copy's journal names at its start.
line=$(grep "member duplicate_instance peer=politie-test" "$T/$UITV.log") \
    || fail "no journal line at the uitvoerder"
ours=$(grep -Eo 'instance=[0-9a-f]{8}' "$T/politie-test.log" | tail -n1 | cut -d= -f2)
theirs=$(grep -Eo 'instance=[0-9a-f]{8}' "$T/kopie.log" | tail -n1 | cut -d= -f2)
[ -n "$ours" ] && [ -n "$theirs" ] && [ "$ours" != "$theirs" ] || fail "instances: '$ours' '$theirs'"
grep -q "$ours" <<< "$line" && grep -q "$theirs" <<< "$line" || fail "the line: $line"
[ "$(grep -c "member duplicate_instance peer=" "$T/$UITV.log")" = 1 ] || fail "said more than once"
pass "a copy of the node beside the original: duplicate_instance at the uitvoerder, once in its journal"

for id in politie-test kopie; do
    wait_until 10 has_alarm "$id" || fail "$id does not show the alarm: $(jfield "$id" .alarms)"
    [ "$(jfield "$id" .instance)" = "$([ $id = kopie ] && echo "$theirs" || echo "$ours")" ] \
        || fail "$id's status names another instance: $(jfield "$id" .instance)"
    kt "$id" status | grep -q "^duplicate .*ANOTHER COPY of this node runs with its keys" \
        || fail "$id's text: $(kt "$id" status)"
    rc=0; kt "$id" status --check > /dev/null || rc=$?
    [ $rc = 2 ] || fail "$id's --check: rc $rc"
    grep -q "link duplicate_instance" "$T/$id.log" || fail "no journal line at $id"
done
pass "both copies show it as their own alarm, each naming its own instance"
# The copies take turns on the member's link, each turn a new route whose
# bundle limit starts at 0: the line that says it comes once a minute at
# most, not at every turn.
bundles() { grep -c "link bundles peer=$2" "$T/$1.log" || true; }
b0=$(bundles "$UITV" politie-test) p0=$(bundles politie-test "$UITV") k0=$(bundles kopie "$UITV")
sleep 10
b1=$(bundles "$UITV" politie-test) p1=$(bundles politie-test "$UITV") k1=$(bundles kopie "$UITV")
[ $((b1 - b0)) -le 1 ] && [ $((p1 - p0)) -le 1 ] && [ $((k1 - k0)) -le 1 ] \
    || fail "link bundles lines in 10 s of two copies: uitvoerder $((b1 - b0)), politie-test $((p1 - p0)), kopie $((k1 - k0))"
pass "two copies taking turns: the link bundles line is not repeated at each turn"

# The copy is stopped: held, so that a person sees it ...
kt_kill kopie
sleep 2
member_dup || fail "the alarm ended at once: $(row)"
# ... for an hour after the last alternation; then it ends by itself,
# at the uitvoerder and at the copy that is left.
echo "+61m" > "$T/clock"
ended() { ! member_dup && ! has_alarm politie-test; }
wait_until 20 ended || fail "the alarm does not end: $(row) / $(jfield politie-test .alarms)"
grep -q "member duplicate_instance ended peer=politie-test" "$T/$UITV.log" || fail "no end line"
# The turns left out are counted in the line a minute on.
grep -Eq "link bundles peer=politie-test max=[0-9]+ repeated=[1-9]" "$T/$UITV.log" \
    || fail "the turns left out are not counted: $(grep "link bundles" "$T/$UITV.log")"
rc=0; out=$(kt "$UITV" status --check) || rc=$?
[ $rc = 0 ] || fail "--check after the end (rc $rc): $out"
pass "the copy stopped: the alarm is held, and ends an hour later"
