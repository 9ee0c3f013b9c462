#!/usr/bin/env bash
# art. 8.4, 15.2g: after `keten member kind` a member gets nothing its new
# role may not receive, and keeps nothing of the weegploeg.  What the
# uitvoerder kept for om-test while it was a kernpartij and its node was
# down (a weegploeg agenda, an incident register entry) would be offered
# before the roster that tells the node its new role (the relay offers in
# the order made) and stored against its old one; once om-test is
# reclassering (a casuspartij) each copy is withdrawn on record instead
# (MESSAGE_REFUSED, then its sealed bytes go).  The node, applying that
# roster, drops the weegploeg agendas, decisions and incident register it
# kept as a kernpartij: rows, keys, and the subject's name in its calendar.
# A kind that keeps the role but sees less (the OM becomes a gemeente,
# which sees its own residents only, art. 6b) gets no copy composed for the
# kind it had either.  A node that becomes a kernpartij again gets the
# incident register it dropped, at once.
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_uitvoerder_up om-test:om om2-test:om
mkdir "$T/ics"
kt_config politie-test; kt_start politie-test
kt_config om2-test; kt_start om2-test
kt_config om-test
printf 'agenda\n    ics-dir = "%s"\n    ics-personal-data = 1\n' "$T/ics" >> "$T/om-test.cfg"
kt_start om-test
for id in politie-test om-test om2-test; do wait_until 10 link_up "$id" || fail "no link $id"; done

# While a kernpartij, om-test takes a weegploeg agenda (its calendar file
# names the subject), a decision and an incident register entry.
kt_signal_file "$T/s.json"
kt_delivered politie-test "$T/s.json"
CASE=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
M1=$(kt "$UITV" weegploeg agenda --start "$(date -d '+14 days' +%F)T10:00" --location "Zaal 1" \
    --duration 60 --case "$CASE" --json | jq -r .meeting_id)
kt "$UITV" weegploeg decide "$CASE" --niet-agenderen --criterion tegenindicatie \
    --analysis "Fictief." > /dev/null
kt politie-test incident report --what "Laptop kwijt." --found "$(TZ=Europe/Amsterdam date -d '-1 hour' +%FT%H:%M)" \
    --data-kind naw --subjects 1 --wait | grep -q delivered || fail "incident not delivered"
count() { kt om-test "$1" list --json | jq ".$2 | length"; }
holds_all() { [ "$(count agenda meetings)" = 1 ] && [ "$(count decision decisions)" = 1 ] &&
              [ "$(count incident incidents)" = 1 ]; }
wait_until 20 holds_all || fail "om-test did not get the agenda, the decision and the register"
grep -q "Test Persoon" "$T/ics/$M1.ics" || fail "the calendar file does not name the subject: the check cannot fail"
pass "om-test, a kernpartij, holds a weegploeg agenda, a decision and the incident register"

# om-test and om2-test are away; what is made meanwhile waits for them in
# the relay.
kt_kill om-test
kt_kill om2-test
M2=$(kt "$UITV" weegploeg agenda --start "$(date -d '+21 days' +%F)T10:00" --location "Zaal 2" \
    --duration 60 --case "$CASE" --json | jq -r .meeting_id)
kt politie-test incident report --what "Mail verkeerd verstuurd." \
    --found "$(TZ=Europe/Amsterdam date -d '-2 hours' +%FT%H:%M)" --data-kind naw --subjects 1 --wait \
    | grep -q delivered || fail "second incident not delivered"
WEEGPLOEG_AGENDA=6   # proto/keten.proto, MessageType
relay_to() { sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE recipient='$1' AND $2"; }
relay_om() { relay_to om-test "$1"; }
waits() { [ "$(relay_om "state=0")" -ge 2 ] && [ "$(relay_to om2-test "state=0")" -ge 2 ]; }
wait_until 10 waits || fail "nothing waits for om-test: the check cannot fail"

kt "$UITV" member kind om-test reclassering | grep -q "roster version 2" || fail "kind change failed"
# Withdrawn at once, on record, their bytes gone; only the roster waits.
role_text="withdrawn: the member's role no longer receives"
withdrawn() { relay_om "state=4 AND refusal='${role_text//\'/\'\'} $1'"; }
settled() { [ "$(relay_om "refusal GLOB 'withdrawn:*' AND (log_owed=1 OR length(header)>0)")" = 0 ]; }
wait_until 10 settled || fail "withdrawn copies are still owed or keep their bytes"
[ "$(withdrawn WEEGPLOEG_AGENDA)" = 1 ] || fail "the weegploeg agenda for om-test was not withdrawn"
[ "$(withdrawn INCIDENT_REGISTER)" = 1 ] || fail "the incident register entry for om-test was not withdrawn"
[ "$(relay_om "state IN (0,3)")" = 1 ] || fail "more than the roster push still waits for om-test"
logged=$(kt "$UITV" log show --type MESSAGE_REFUSED --json | jq --arg w "$role_text" '[.events[]
    | select((.what | startswith($w)) and (.recipients | index("om-test")))] | length')
[ "$logged" = 2 ] || fail "2 copies withdrawn, $logged on record"
[ "$(kt "$UITV" status --json | jq -r '.members[] | select(.id=="om-test") | .expired_messages')" = 0 ] \
    || fail "status counts the withdrawn copies as expired"
# A new version of a meeting it was on is not sent to it, not even as a
# cancellation.
kt "$UITV" weegploeg agenda --meeting "$M1" --location "Zaal 3" > /dev/null
[ "$(relay_om "type=$WEEGPLOEG_AGENDA")" = 2 ] || fail "a new version of the meeting was made for the casuspartij"
pass "what waited for om-test is withdrawn on record, without its bytes, when its role changes"

# om2-test becomes a gemeente (of the municipality its name gives, not
# the subject's): still a kernpartij, but the agendas composed for the OM
# (M2, and M1's new version) name a subject it may not see.  The incident
# register, the same for every kernpartij, still goes.
kt "$UITV" member kind om2-test gemeente | grep -q "roster version 3" || fail "kind change to gemeente failed"
kind_text="withdrawn: composed for the member's former kind"
[ "$(relay_to om2-test "state=4 AND type=$WEEGPLOEG_AGENDA AND refusal='${kind_text//\'/\'\'}'")" = 2 ] \
    || fail "the OM's agendas still wait for the gemeente"
[ "$(relay_to om2-test "state=4")" = 2 ] || fail "more than the agendas were withdrawn from om2-test"
kt_start om2-test
v3() { [ "$(jfield om2-test .roster_version)" = 3 ]; }
wait_until 20 v3 || fail "om2-test did not get roster version 3"
register_2() { [ "$(kt om2-test incident list --json | jq '.incidents | length')" = 2 ]; }
wait_until 20 register_2 || fail "the gemeente did not get the incident register entry"
! grep -q "agenda received .*meeting=$M2" "$T/om2-test.log" || fail "the OM's agenda reached the gemeente"
! grep -q "agenda received .*meeting=$M1 sequence=1" "$T/om2-test.log" || fail "the OM's new version reached the gemeente"
pass "the agendas composed for the OM are withdrawn when om2-test becomes a gemeente; the register still goes"

# om-test comes back: the roster reaches it, nothing of the weegploeg does,
# and what it kept as a kernpartij is gone.
kt_start om-test
has_v3() { [ "$(jfield om-test .roster_version)" = 3 ]; }
wait_until 20 has_v3 || fail "om-test did not get roster version 3"
wait_until 20 relay_settled || fail "relay not settled"
[ "$(jfield om-test .role)" = casuspartij ] || fail "om-test's role did not change"
! grep -q "agenda received .*meeting=$M2" "$T/om-test.log" || fail "the agenda made for the kernpartij reached the casuspartij"
[ "$(count agenda meetings)" = 0 ] || fail "the casuspartij still lists a weegploeg agenda"
rc=0; out=$(kt om-test agenda show "$M1" 2>&1) || rc=$?
[ $rc != 0 ] && ! grep -q "Test Persoon" <<< "$out" || fail "the casuspartij shows the agenda (exit $rc): $out"
rc=0; out=$(kt om-test decision list 2>&1) || rc=$?
[ $rc != 0 ] && grep -q "kernpartij" <<< "$out" || fail "the casuspartij lists decisions (exit $rc): $out"
rc=0; out=$(kt om-test incident list 2>&1) || rc=$?
[ $rc != 0 ] && grep -q "kernpartij" <<< "$out" || fail "the casuspartij reads the register (exit $rc): $out"
rows() { sqlite3 "$T/state-om-test/node.db" "SELECT count(*) FROM $1"; }
[ "$(rows "agenda WHERE kind='weegploeg'")" = 0 ] && [ "$(rows decision_in)" = 0 ] \
    && [ "$(rows incident_copy)" = 0 ] || fail "the weegploeg's data is still in om-test's node.db"
[ "$(rows "retain_shred WHERE case_ref='role'")" = 0 ] || fail "keys owed a shred are left"
grep -q "METHOD:CANCEL" "$T/ics/$M1.ics" && ! grep -q "Test Persoon" "$T/ics/$M1.ics" \
    || fail "the calendar file still shows the meeting: $(cat "$T/ics/$M1.ics")"
[ ! -e "$T/ics/$M2.ics" ] || fail "the withdrawn agenda has a calendar file"
grep -q "weegploeg data no longer kept here" "$T/om-test.log" || fail "the node does not say what it dropped"
! grep -q "Test Persoon" "$T/om-test.log" "$T/om2-test.log" "$T/$UITV.log" || fail "personal data in a journal"
! grep -qE "withdraw_failed|again_failed|role_data_failed|log_failed" "$T"/*.log || fail "a step failed (journal above)"
pass "the casuspartij holds and shows nothing of the weegploeg; its calendar entry is cancelled"

# The kernpartij keeps both agendas; a restart of om-test changes nothing.
politie_meetings() { kt politie-test agenda list --json | jq '[.meetings[] | select(.kind=="weegploeg")] | length'; }
[ "$(politie_meetings)" = 2 ] || fail "the kernpartij lost an agenda"
kt_kill om-test; kt_start om-test
[ "$(count agenda meetings)" = 0 ] && [ "$(rows "agenda WHERE kind='weegploeg'")" = 0 ] \
    || fail "the weegploeg agenda came back after a restart"
! grep -q "role_data_failed" "$T/om-test.log" || fail "dropping the weegploeg's data failed"

# om-test becomes an OM again: a kernpartij, which must hold the incident
# register (art. 4, 15.2g).  It dropped what it had as one, so the copies
# it took then count for nothing: it gets the whole register at once,
# after the roster that makes it a kernpartij - not at the uitvoerder's
# next start.
kt "$UITV" member kind om-test om | grep -q "roster version 4" || fail "kind change back to om failed"
has_v4() { [ "$(jfield om-test .roster_version)" = 4 ]; }
wait_until 20 has_v4 || fail "om-test did not get roster version 4"
[ "$(jfield om-test .role)" = kernpartij ] || fail "om-test is no kernpartij again"
register_om() { [ "$(count incident incidents)" = 2 ]; }
wait_until 20 register_om || fail "om-test, a kernpartij again, did not get the incident register: $(kt om-test incident list 2>&1)"
INCIDENT_REGISTER=21 # proto/keten.proto, MessageType
[ "$(relay_om "type=$INCIDENT_REGISTER AND state=2")" = 0 ] || fail "om-test refused a register copy"
# Nothing else of the weegploeg comes back with it: a withdrawn agenda is
# not made again.
[ "$(count agenda meetings)" = 0 ] || fail "a weegploeg agenda came back to om-test"
pass "om-test, an OM again, gets the whole incident register at once"
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "the kernpartij keeps its agendas; om-test still holds none after a restart; the log verifies"
