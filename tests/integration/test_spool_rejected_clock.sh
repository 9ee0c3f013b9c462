#!/usr/bin/env bash
# art. 13 and docs/RETENTION.md, "A clock the federation confirms": the
# police spool forgets a rejected file by the clock alone (14 days after
# the rejection), so it waits, like the schedule, for a clock the
# federation confirms.  The politie node restarted alone with its clock
# 30 days ahead keeps the file; every node at +15 days together removes it.
source "$(dirname "$0")/lib.sh"
kt_spool_federation
P=politie-test
LOG="$T/$P.log"
# grep -q may stop reading early: tail's SIGPIPE is no failure (pipefail).
since() { tail -n +"$(($2 + 1))" "$T/$1.log" || true; }

printf '{ "subject": { "name": "Afgewezen Bestand" ' > "$T/broken"
mv "$T/broken" "$SPOOL/broken.json"
wait_until 20 test -s "$SPOOL_STATE/rejected/broken.json.reason" || fail "broken.json not rejected"
wait_until 20 test -e "$SPOOL_STATE/rejected/broken.json" || fail "broken.json not in rejected/"

kt_restart_skewed "$P" +30d "$UITV"
at=$KT_AT
# The spool's rejected/ pass runs at start and then with the scans.
sleep 3
[ -e "$SPOOL_STATE/rejected/broken.json" ] && [ -e "$SPOOL_STATE/rejected/broken.json.reason" ] \
    || fail "a clock no peer confirms removed the rejected file"
since "$P" "$at" | grep -q 'spool rejected_expired' && fail "the log says a rejected file expired"
pass "a politie clock alone far ahead does not forget the spool's rejected files"

kt_restart_all_at +15d "$UITV" "$P"
wait_until 20 link_up "$P" || fail "no link at +15d"
wait_until 20 test ! -e "$SPOOL_STATE/rejected/broken.json" \
    || fail "still there 15 days after the rejection on a clock the federation confirms"
grep -q 'spool rejected_expired ino=' "$LOG" || fail "no rejected_expired line in the log"
pass "on a confirmed clock 15 days on, the rejected file is removed"
