#!/usr/bin/env bash
# A status that cannot be read in full fails closed (docs/OPERATIONS.md,
# "keten status --check"): a part of the status whose store the node
# cannot read - the incident register, the requests, the corrections,
# retention, informatieplicht, the accuracy review, the transfers and the
# members' roster_refused alarms at the uitvoerder; retention and the log
# witness at a partner - is named in the status
# ("unreadable"), shown in the text, raises the critical check
# status_incomplete in `keten status --check` and the metrics, and is
# never read as "nothing due".  A table renamed away stands in for a
# damaged page: a read of it fails as a read of a damaged file would.
# A partner's witness that cannot be read also reaches the uitvoerder, in
# its heartbeat: the member's alarm log_witness_unreadable, not "no log
# alarm".
source "$(dirname "$0")/lib.sh"

kt_federation
metrics_on "$UITV"
kt_kill "$UITV"
kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link"

# db_of ID TABLE: the database file of ID that holds TABLE.
db_of() {
    local f
    for f in "$T/state-$1"/*.db; do
        if [ "$(sqlite3 "$f" "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='$2'")" = 1 ]; then
            echo "$f"
            return
        fi
    done
    fail "no table $2 at $1"
}
# The daemon writes its files meanwhile (a retention run once its clock
# is confirmed): the test's own changes wait for its locks, up to 10 s.
rename() { sqlite3 -cmd ".timeout 10000" "$1" "ALTER TABLE $2 RENAME TO $3;"; }
check() { local rc=0; CHECK=$(kt "$1" status --check) || rc=$?; CHECK_RC=$rc; }
unreadable() { kt "$1" status --json | jq -r '[.unreadable[]?.section] | join(",")'; }
metric_incomplete() {
    local ep
    ep=$(jfield "$UITV" .metrics_listen)
    # Read whole first: grep -q's early exit fails the pipe under pipefail.
    local metrics
    metrics=$(http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r')
    grep -qxF "keten_check{check=\"status_incomplete\",severity=\"critical\"} $1" <<< "$metrics"
}

# ---- an overdue incident, then a register that cannot be read ------------
found=$(TZ=Europe/Amsterdam date -d '-4 days' +%Y-%m-%dT%H:%M)
kt "$UITV" incident report --what "Een USB-stick is kwijt." --found "$found" --data-kind naw \
    --subjects 3 > /dev/null
check "$UITV"
[ "$CHECK_RC" = 2 ] && grep -q "incident(s) past the 72 hours" <<< "$CHECK" \
    || fail "an overdue incident is not critical (rc $CHECK_RC): $CHECK"
[ -z "$(unreadable "$UITV")" ] || fail "unreadable with all well: $(unreadable "$UITV")"
wait_until 5 metric_incomplete 0 || fail "status_incomplete not 0 with all well"
db=$(db_of "$UITV" incident)
rename "$db" incident incident_away
check "$UITV"
[ "$CHECK_RC" = 2 ] && grep -q "status incomplete, cannot read: incidents" <<< "$CHECK" \
    || fail "an unreadable register is not critical (rc $CHECK_RC): $CHECK"
[ "$(unreadable "$UITV")" = incidents ] || fail "unreadable: $(unreadable "$UITV")"
kt "$UITV" status --json | jq -e '.unreadable[0].error | test("incident")' > /dev/null \
    || fail "no reason given: $(kt "$UITV" status --json | jq -c .unreadable)"
kt "$UITV" status | grep -q "^UNREADABLE *incidents cannot be read" \
    || fail "the text does not say it: $(kt "$UITV" status)"
wait_until 5 metric_incomplete 1 || fail "the metrics do not raise status_incomplete"
rename "$db" incident_away incident
[ -z "$(unreadable "$UITV")" ] || fail "still unreadable once readable again: $(unreadable "$UITV")"
pass "an incident register that cannot be read is critical (status_incomplete), not 'no alarms'"

# ---- every other part of the uitvoerder's status -------------------------
for spec in request:rights correction:corrections lifecycle:retention \
    infoplicht_task:informatieplicht review:review transfer_out:transfers transfer_in:transfers; do
    table=${spec%%:*} section=${spec##*:}
    db=$(db_of "$UITV" "$table")
    rename "$db" "$table" "${table}_away"
    check "$UITV"
    got=$(unreadable "$UITV")
    rename "$db" "${table}_away" "$table"
    [ "$CHECK_RC" = 2 ] && grep -q "status incomplete, cannot read: $section" <<< "$CHECK" \
        || fail "$section unreadable is not critical (rc $CHECK_RC): $CHECK"
    [ "$got" = "$section" ] || fail "$table renamed away: unreadable is '$got', not $section"
done
pass "requests, corrections, retention, informatieplicht, review and transfers unreadable: each named and critical"
db=$(db_of "$UITV" transfer_out)
rename "$db" transfer_out transfer_out_away
text=$(kt "$UITV" status)
rename "$db" transfer_out_away transfer_out
grep -q "^transfers *cannot be read (see UNREADABLE)" <<< "$text" \
    || fail "the text does not say the transfers cannot be read: $text"
if grep -q "^transfers *0 pending" <<< "$text"; then fail "the text reads them as none: $text"; fi
pass "transfers that cannot be read are not shown as 0 pending"

# ---- the members' roster_refused alarms ----------------------------------
# The relay's column of message types renamed away: the last answer to a
# roster push cannot be read (relay_last_answer); what waits for a member
# still can (relay_waiting), the unconfirmed retention notices cannot.
db=$(db_of "$UITV" relay)
sqlite3 -cmd ".timeout 10000" "$db" "ALTER TABLE relay RENAME COLUMN type TO type_away;"
check "$UITV"
got=$(unreadable "$UITV")
json=$(kt "$UITV" status --json)
sqlite3 -cmd ".timeout 10000" "$db" "ALTER TABLE relay RENAME COLUMN type_away TO type;"
[ "$CHECK_RC" = 2 ] && grep -Eq "status incomplete, cannot read: .*roster_refused" <<< "$CHECK" \
    || fail "roster_refused unreadable is not critical (rc $CHECK_RC): $CHECK"
[ "$got" = roster_refused,retention ] || fail "the relay's type renamed away: unreadable is '$got'"
jq -e '.unreadable[] | select(.section == "roster_refused") | .error | test("last answer")' \
    <<< "$json" > /dev/null || fail "no reason given: $(jq -c .unreadable <<< "$json")"
[ -z "$(unreadable "$UITV")" ] || fail "still unreadable once readable again: $(unreadable "$UITV")"
pass "a member's roster_refused alarm that cannot be read is critical, not 'no alarm'"

# ---- a partner's retention and log witness -------------------------------
check politie-test
[ "$CHECK_RC" = 0 ] || fail "politie not OK to begin with: $CHECK"
db=$(db_of politie-test retain)
rename "$db" retain retain_away
check politie-test
text=$(kt politie-test status)
json=$(kt politie-test status --json)
rename "$db" retain_away retain
[ "$CHECK_RC" = 2 ] && grep -q "status incomplete, cannot read: retention" <<< "$CHECK" \
    || fail "a partner's unreadable retention is not critical (rc $CHECK_RC): $CHECK"
jq -e '(.unreadable | map(.section)) == ["retention"] and (.retention.error | length) > 0' \
    <<< "$json" > /dev/null || fail "partner status: $(jq -c '{unreadable, retention}' <<< "$json")"
grep -q "^retention *UNREADABLE: " <<< "$text" || fail "the partner's text shows retention as read: $text"
if grep -q "^retention *0 due now" <<< "$text"; then fail "the text reads it as nothing due: $text"; fi
db=$(db_of politie-test witness_alarm)
rename "$db" witness_alarm witness_alarm_away
check politie-test
[ "$CHECK_RC" = 2 ] && grep -q "status incomplete, cannot read: log_witness" <<< "$CHECK" \
    || fail "a partner's unreadable witness is not critical (rc $CHECK_RC): $CHECK"
[ "$(unreadable politie-test)" = log_witness ] || fail "unreadable: $(unreadable politie-test)"
# Its `keten log verify` verified nothing: it says so and fails, not "all well".
vrc=0
verify=$(kt politie-test log verify 2>&1) || vrc=$?
[ "$vrc" = 1 ] && grep -q "log witness cannot be read: .*read the alarms" <<< "$verify" \
    || fail "log verify with the witness's alarms unreadable (rc $vrc): $verify"
pass "a partner's retention or log witness that cannot be read is critical, and named"

# ---- ... and at the uitvoerder, which watches the federation -------------
# Its heartbeat says its witness cannot be read: the member's alarm
# log_witness_unreadable, in the row, --check, the text and the metrics.
row() { kt "$UITV" status --json | jq -c '.members[] | select(.id=="politie-test")'; }
witness_alarm() { row | jq -e '.alarms | index("log_witness_unreadable") != null' > /dev/null; }
metric_witness() {
    local ep
    ep=$(jfield "$UITV" .metrics_listen)
    local metrics
    metrics=$(http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r')
    grep -qxF \
        "keten_member_alarm{member=\"politie-test\",kind=\"politie\",role=\"kernpartij\",alarm=\"log_witness_unreadable\"} $1" \
        <<< "$metrics"
}
wait_until 10 witness_alarm || fail "the uitvoerder does not see politie's witness unreadable: $(row)"
[ "$(row | jq -c '[.log_witness_unreadable, .online]')" = '[true,true]' ] \
    || fail "the member row: $(row)"
check "$UITV"
[ "$CHECK_RC" = 2 ] && grep -q "1 member alarm(s)" <<< "$CHECK" \
    || fail "the uitvoerder's --check (rc $CHECK_RC): $CHECK"
kt "$UITV" status | grep -q "^politie-test: the member's log witness cannot be read" \
    || fail "the uitvoerder's text does not say it: $(kt "$UITV" status)"
wait_until 5 metric_witness 1 || fail "no keten_member_alarm log_witness_unreadable 1 in the metrics"
# The member's journal says why, once a minute, not at every heartbeat.
grep -q 'witness alarms_unreadable reason=".*no such table: witness_alarm' "$T/politie-test.log" \
    || fail "politie's journal does not say why its witness cannot be read"
[ "$(grep -c 'witness alarms_unreadable' "$T/politie-test.log")" = 1 ] \
    || fail "politie's journal repeats the unreadable witness: $(grep -c 'witness alarms_unreadable' "$T/politie-test.log")"
rename "$db" witness_alarm_away witness_alarm
check politie-test
[ "$CHECK_RC" = 0 ] || fail "politie not OK once readable again: $CHECK"
no_witness_alarm() { ! witness_alarm; }
wait_until 10 no_witness_alarm || fail "log_witness_unreadable does not end: $(row)"
wait_until 5 metric_witness 0 || fail "the metric does not go back to 0"
pass "a member's witness that cannot be read is its alarm at the uitvoerder, not 'no log alarm'"
