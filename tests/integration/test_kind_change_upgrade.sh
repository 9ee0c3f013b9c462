#!/usr/bin/env bash
# The upgrade from a release that kept no made_for (docs/ROSTER.md, "A
# member's kind changes").  An older release ran `keten member kind`
# while om-test was away: the OM's agenda still waits for it, made_for ''.
# At the first start of this version that copy is taken as composed for
# the member's former kind and withdrawn - not as composed for the kind
# it has now, which would deliver the OM's agenda to a gemeente (art. 6b,
# 8.4) - while om2-test's, whose kind never changed, is noted as composed
# for an OM and delivered.  The pass runs once: a later start reads the
# relay for it no more.
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_uitvoerder_up om-test:om om2-test:om
kt_config politie-test; kt_start politie-test
kt_config om-test; kt_config om2-test
wait_until 10 link_up politie-test || fail "no link politie-test"
kt_signal_file "$T/s.json"
kt_delivered politie-test "$T/s.json"
CASE=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
agenda() {
    kt "$UITV" weegploeg agenda --start "$(date -d "+$1 days" +%F)T10:00" --location "Zaal $1" \
        --duration 60 --case "$CASE" --json | jq -r .meeting_id
}
db() { sqlite3 "$T/state-$UITV/node.db" "$@"; }
WEEGPLOEG_AGENDA=6 # proto/keten.proto, MessageType
copy() { echo "recipient='$1' AND type=$WEEGPLOEG_AGENDA AND origin GLOB 'meeting/$2/*'"; }

# Both OMs are away; the agenda waits for each.
M=$(agenda 14)
HEADER=$(db "SELECT hex(header) FROM relay WHERE $(copy om-test "$M")")
[ -n "$HEADER" ] || fail "no agenda waits for om-test"
kt "$UITV" member kind om-test gemeente | grep -q "roster version 2" || fail "kind change failed"
# What an older release leaves: the OM's copy still waiting, no copy
# saying whom it was composed for, and no note that they were noted.
kt_kill "$UITV"
db "UPDATE relay SET state=0, settled_ms=NULL, refusal=NULL, log_owed=0, header=x'$HEADER'
    WHERE $(copy om-test "$M");
    UPDATE relay SET made_for='' WHERE state IN (0,3);
    DELETE FROM meta WHERE key='relay_made_for_noted';"
[ "$(db "SELECT count(*) FROM relay WHERE state=0 AND made_for='' AND $(copy om-test "$M")")" = 1 ] \
    || fail "the old state was not set up"
kt_start "$UITV"
kind_text="withdrawn: composed for the member's former kind"
[ "$(db "SELECT state || ' ' || refusal FROM relay WHERE $(copy om-test "$M")")" = "4 $kind_text" ] \
    || fail "the OM's agenda kept before made_for still waits for the gemeente: $(db "SELECT state, made_for FROM relay WHERE $(copy om-test "$M")")"
[ "$(db "SELECT made_for FROM relay WHERE $(copy om2-test "$M")")" = om ] \
    || fail "om2-test's agenda was not noted as composed for an OM"
grep -q "relay made_for_noted copies=[0-9]* former_kind=1" "$T/$UITV.log" \
    || fail "the start does not say what it noted"
kt_start om-test; kt_start om2-test
v2() { [ "$(jfield "$1" .roster_version)" = 2 ]; }
wait_until 20 v2 om-test || fail "om-test did not get roster version 2"
got() { grep -q "agenda received .*meeting=$2" "$T/$1.log"; }
wait_until 20 got om2-test "$M" || fail "om2-test, still an OM, did not get the agenda"
wait_until 20 relay_settled || fail "relay not settled"
! got om-test "$M" || fail "the OM's agenda reached the gemeente"
pass "a copy kept before made_for for a member whose kind changed since is withdrawn at the upgrade"

# Once: a copy without made_for at a later start is not looked for.
kt_kill om2-test
M2=$(agenda 21)
kt_kill "$UITV"
db "UPDATE relay SET made_for='' WHERE $(copy om2-test "$M2")"
kt_start "$UITV"
[ "$(db "SELECT made_for FROM relay WHERE $(copy om2-test "$M2")")" = "" ] \
    || fail "the relay was read for copies kept before made_for at a second start"
[ "$(grep -c "relay made_for_noted" "$T/$UITV.log")" = 1 ] || fail "the pass ran again"
[ "$(db "SELECT value FROM meta WHERE key='relay_made_for_noted'")" = 1 ] || fail "no note that it ran"
! grep -q "Test Persoon" "$T"/*.log || fail "personal data in a journal"
pass "the pass over the copies kept before made_for runs once"
