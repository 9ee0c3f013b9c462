#!/usr/bin/env bash
# docs/OPERATIONS.md, "Confirming the clock by hand": a member whose
# uitvoerder stays away has no peer to confirm its clock, so its safety
# net waits for ever (critical after a day).  `keten clock confirm` is the
# operator's way out: on record in the access log and the journal, shown
# in the status and its checks, and void as soon as the wall clock steps.
# The member's clock is moved with libfaketime from a file (2040 days on,
# then a step of a minute while it runs), never by shortening a period.
source "$(dirname "$0")/lib.sh"
P=politie-test
kt_federation
wait_until 10 link_up "$P" || fail "no link"
kt_signal_file "$T/s.json" R-1
kt_delivered "$P" "$T/s.json"
S=$KT_ID
sig_rows() { sqlite3 "$T/state-$P/node.db" "SELECT count(*) FROM signal WHERE hex(message_id)=upper('$S')"; }
[ "$(sig_rows)" = 1 ] || fail "$P does not hold its signal"
# grep -q may stop reading early: tail's SIGPIPE is no failure (pipefail).
since() { tail -n +"$((at + 1))" "$T/$P.log" || true; }

# ---- the uitvoerder gone, the member 2040 days on: it waits ----------------
kt_kill "$UITV"
kt_kill "$P"
at=$(wc -l < "$T/$P.log")
wrap=$(kt_clock_file_wrap "$P")
echo "+2040d" > "$T/$P.clock"
KETEN_WRAP=$wrap kt_start "$P"
deferred() { since | grep -q "retention deferred: no peer has measured"; }
wait_until 20 deferred || fail "$P's safety net did not wait for a confirmed clock"
sleep 2
[ "$(sig_rows)" = 1 ] || fail "$P's signal is gone on a clock no one confirmed"
out=$(kt "$P" retention run 2>&1) && fail "retention run went on unconfirmed: $out"
[ "$(jfield "$P" .clock.by_operator)" = null ] || fail "by_operator shown without a confirmation"
pass "the uitvoerder gone, $P 2040 days on: its safety net waits"

# ---- the operator confirms: it runs, on record -----------------------------
out=$(kt "$P" clock confirm --hours 24) || fail "clock confirm refused: $out"
echo "$out" | grep -q "confirmed by its operator until" || fail "clock confirm says: $out"
gone() { [ "$(sig_rows)" = 0 ]; }
wait_until 20 gone || fail "the safety net did not run on the operator's confirmation"
kt "$P" retention run > /dev/null || fail "retention run refused on the operator's confirmation"
since | grep -q "clock confirmed_by_operator user=$(id -un) uid=$(id -u) hours=24 .*peers_agree=0 peers_disagree=0" ||
    fail "the journal does not say who confirmed the clock"
since | grep -q "retention resumed" || fail "no retention resumed line"
[ "$(jfield "$P" .clock.confirmed)" = true ] || fail "the status does not count the clock confirmed"
[ "$(jfield "$P" .clock.by_operator)" = true ] || fail "the status does not say on whose word"
left=$(jfield "$P" .clock.operator_left_s)
[ "$left" -gt 86000 ] && [ "$left" -le 86400 ] || fail "operator_left_s: $left"
jfield "$P" .clock.why | grep -q "confirmed by its operator (keten clock confirm) for" ||
    fail "why: $(jfield "$P" .clock.why)"
# A warning at least (the link down is an alarm of its own).
check=$(kt "$P" status --check) && fail "status --check is OK on the operator's word: $check"
echo "$check" | grep -q "confirmed by its operator" || fail "status --check: $check"
kt "$P" status | grep -q "^ *clock .*confirmed by its operator" || fail "keten status: $(kt "$P" status)"
kt "$P" audit access --json | jq -e --arg u "$(id -un)" \
    '.access | any(.what == "clock.confirm:24h" and .user == $u and .case_ref == "")' > /dev/null ||
    fail "the access log has no clock.confirm record: $(kt "$P" audit access --json)"
out=$(kt "$P" clock confirm --hours 25 2>&1) && fail "a confirmation of 25 hours went on: $out"
pass "the operator's confirmation: the safety net runs, on record, shown as a warning"

# ---- the wall clock steps: the confirmation is void -----------------------
echo "+176256060" > "$T/$P.clock" # 2040 days and a minute: a step of 60 s
sleep 1
out=$(kt "$P" retention run 2>&1) && fail "retention run went on after the clock stepped: $out"
echo "$out" | grep -q "waits for a clock the federation confirms" || fail "retention run: $out"
# The step is measured as the wall clock's offset from the monotonic one,
# each read a moment apart: under load it may come out a second short.
since | grep -Eq "clock operator_confirmation_void step_s=(59|60|61):" ||
    fail "the journal does not say that the step voided the confirmation"
[ "$(jfield "$P" .clock.confirmed)" = false ] || fail "still confirmed after the step"
echo "+2040d" > "$T/$P.clock" # stepped back: void all the same
sleep 1
[ "$(jfield "$P" .clock.confirmed)" = false ] || fail "confirmed again by a step back"
kt "$P" status --check | grep -q "confirmed by its operator" && fail "the check still says so"
pass "a step of the wall clock voids the operator's confirmation for good"
