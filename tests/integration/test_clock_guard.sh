#!/usr/bin/env bash
# art. 13: retention archives and destroys only on a clock the federation
# confirms (docs/RETENTION.md, "A clock the federation confirms"): a late
# deletion can be made up, an early one cannot.  Clocks are moved with
# libfaketime, one node at a time or all together.
#
# 1. The uitvoerder alone restarted 200 days ahead (a wrong RTC, a VM
#    restored with a bad time): it destroys nothing, although a subject
#    never weighed would be due; the members' heartbeats, refused for their
#    age, still measure the difference: the journal says the clocks
#    disagree (once), the member shows clock_skew, status --check raises
#    retention_clock_waiting and `keten retention run` refuses.  Back on
#    the right clock nothing is lost and retention runs.
# 2. Every node 200 days ahead together: the subject is destroyed.
# 3. A member alone far ahead: its safety net destroys nothing; its own
#    status names the cause.
source "$(dirname "$0")/lib.sh"
P=politie-test
kt_federation
wait_until 10 link_up "$P" || fail "no link"
kt_signal_file "$T/s.json" R-1
kt_delivered "$P" "$T/s.json"
n_signals() { kt "$UITV" signal list --json | jq '.signals | length'; }
[ "$(n_signals)" = 1 ] || fail "the uitvoerder does not hold the signal"
# grep -q may stop reading early: tail's SIGPIPE is no failure (pipefail).
since() { tail -n +"$(($2 + 1))" "$T/$1.log" || true; }   # since ID LINES: the log after LINES
lines() { wc -l < "$T/$1.log"; }
confirmed() { [ "$(jfield "$1" .clock.confirmed)" = true ]; }
member_alarms() { kt "$UITV" status --json | jq -c --arg p "$P" '.members[] | select(.id==$p) | .alarms'; }
# alarm_served ID ALARM: ID's metrics carry keten_alarm{alarm="ALARM"} 1, so
# that the alarm pages by itself (node_alarms, which adds the node's alarms
# up, has no rule of its own: docs/OPERATIONS.md, "Alert rules").
alarm_served() {
    local body
    body=$(http_get "$(jfield "$1" .metrics_listen)" "GET /metrics HTTP/1.0" | tr -d '\r')
    grep -qxF "keten_alarm{alarm=\"$2\"} 1" <<< "$body"
}
metrics_on "$UITV"
metrics_on "$P"

# ---- 1. the uitvoerder alone 200 days ahead --------------------------------
kt_restart_skewed "$UITV" +200d "$P"
at=$KT_AT
since "$UITV" "$at" | grep -q "clock disagrees peer=$P skew_s=-17280" ||
    fail "the uitvoerder did not say by how much its clock and $P's disagree"
sleep 3 # heartbeats enough for a schedule that would run
since "$UITV" "$at" | grep -q "retention destroyed" && fail "a wrong clock at the uitvoerder destroyed data"
[ "$(n_signals)" = 1 ] || fail "the signal is gone"
[ "$(since "$UITV" "$at" | grep -c "retention deferred")" = 1 ] ||
    fail "retention's deferral is not said once: $(since "$UITV" "$at" | grep -c "retention deferred")"
why=$(jfield "$UITV" .clock.why)
grep -q "this node's clock is 1728[0-9]* s ahead of the federation's ($P's clock" <<< "$why" ||
    fail "the status does not name the cause: $why"
since "$UITV" "$at" | grep -q "message refused .*peer=$P reason=\"message is dated 1728[0-9]* s before this node's clock.*disagree" ||
    fail "the refusal does not say the clocks disagree"
[ "$(jfield "$UITV" .clock.confirmed)" = false ] || fail "the uitvoerder's clock counts as confirmed"
member_alarms | grep -q clock_skew || fail "$P shows no clock_skew at the uitvoerder: $(member_alarms)"
check=$(kt "$UITV" status --check) && fail "status --check is OK while retention waits"
echo "$check" | grep -q "retention waits for a confirmed clock" || fail "status --check: $check"
ep=$(kt "$UITV" status --json | jq -r '.clock.retention_waiting')
[ "$ep" = true ] || fail "status does not say retention waits"
out=$(kt "$UITV" retention run 2>&1) && fail "retention run by hand went on: $out"
echo "$out" | grep -q "waits for a clock the federation confirms" || fail "retention run: unclear error: $out"
kt "$UITV" retention run --dry-run > /dev/null || fail "a dry run was refused"
wait_until 10 confirmed "$P" && fail "$P's clock counts as confirmed by an uitvoerder 200 days ahead"
jfield "$P" .alarms | grep -q clock_skew || fail "$P does not raise clock_skew: $(jfield "$P" .alarms)"
jfield "$UITV" .alarms | grep -q clock_skew || fail "the uitvoerder does not raise clock_skew: $(jfield "$UITV" .alarms)"
wait_until 5 alarm_served "$UITV" clock_skew || fail "the uitvoerder's metrics do not serve its clock_skew"
pass "the uitvoerder alone 200 days ahead destroys nothing; the clocks' disagreement is named, retention waits"

kt_kill "$UITV"
at=$(lines "$UITV")
kt_start "$UITV"
wait_until 20 confirmed "$UITV" || fail "the uitvoerder's clock is not confirmed back on time"
[ "$(n_signals)" = 1 ] || fail "the signal is gone"
kt "$UITV" retention run > /dev/null || fail "retention run refused on a confirmed clock"
since "$UITV" "$at" | grep -q "retention deferred" || fail "no deferral before the first heartbeat"
wait_until 10 confirmed "$P" || fail "$P's clock is not confirmed"
kt "$UITV" status --check > /dev/null || fail "status --check: $(kt "$UITV" status --check)"
pass "back on the right clock nothing is lost; retention runs"

# ---- 2. the whole federation 200 days ahead --------------------------------
at=$(lines "$UITV")
kt_restart_all_at +200d "$UITV" "$P"
gone() { [ "$(n_signals)" = 0 ]; }
wait_until 30 gone || fail "the subject is not destroyed with every clock 200 days ahead"
since "$UITV" "$at" | grep -q "retention destroyed case_ref=" || fail "no destruction line"
pass "every clock 200 days ahead together: the subject never weighed is destroyed"

# ---- 3. a member alone far ahead ------------------------------------------
kt_signal_file "$T/s2.json" R-2
kt_delivered "$P" "$T/s2.json"
S=$KT_ID
sig_rows() { sqlite3 "$T/state-$P/node.db" "SELECT count(*) FROM signal WHERE hex(message_id)=upper('$S')"; }
[ "$(sig_rows)" = 1 ] || fail "$P does not hold its signal"
kt_restart_skewed "$P" +2040d "$UITV"
at=$KT_AT
sleep 3
since "$P" "$at" | grep -q "retention destroyed" && fail "the safety net destroyed on a clock no peer confirms"
[ "$(sig_rows)" = 1 ] || fail "$P's signal is gone"
jfield "$P" .alarms | grep -q clock_skew || fail "$P does not raise clock_skew: $(jfield "$P" .alarms)"
wait_until 5 alarm_served "$P" clock_skew || fail "$P's metrics do not serve its clock_skew"
check=$(kt "$P" status --check) && fail "status --check at $P is OK while retention waits"
echo "$check" | grep -q "ahead of the federation's ($UITV's clock" || fail "status --check at $P: $check"
out=$(kt "$P" retention run 2>&1) && fail "retention run by hand went on at $P: $out"
member_alarms | grep -q clock_skew || fail "$P shows no clock_skew at the uitvoerder: $(member_alarms)"
pass "a member alone far ahead: its safety net destroys nothing; its status names the cause"
