#!/usr/bin/env bash
# Roster dates are Dutch days (docs/ROSTER.md, "Roster dates are Dutch
# days"): a member's keys stop at 00:00 Dutch time on its leaves-at day -
# 23:00 UTC the day before in winter - at the uitvoerder and at its own
# node alike, whatever TZ they run in; and a revocation at 00:30 Dutch
# time is dated that Dutch day.  The daemons run on UTC, their clocks
# moved to either side of a Dutch midnight.
source "$(dirname "$0")/lib.sh"

# at UTC-TIME: a libfaketime offset that puts the clock there.
at() { echo "+$(($(date -u -d "$1" +%s) - $(date +%s)))"; }
# 2027-01-14 22:30 UTC = 23:30 Dutch time on the 14th (CET).
KETEN_WRAP="env TZ=UTC $(kt_clock_wrap "$(at '2027-01-14 22:30')")"
export KETEN_WRAP
kt_federation gemeente-test:gemeente om-test:om
row() { kt "$UITV" status --json | jq -c --arg m "$1" '.members[] | select(.id == $m)'; }

# Notice given on 15 October: gemeente-test leaves on 15 January.
kt "$UITV" member opzegging gemeente-test 2026-10-15 > /dev/null
[ "$(row gemeente-test | jq -r .leaves_at)" = 2027-01-15 ] || fail "leaves_at: $(row gemeente-test)"
row gemeente-test | jq -e '.left == false' > /dev/null \
    || fail "at 23:30 Dutch time the day before, the member has left already: $(row gemeente-test)"
[ "$(jfield gemeente-test '.expelled // false')" = false ] \
    || fail "gemeente-test stopped at 23:30 Dutch time the day before"
pass "at 23:30 Dutch time on the day before leaves-at the member is still in"

# 2027-01-14 23:30 UTC = 00:30 Dutch time on the 15th: its day has come,
# though the UTC day is still the 14th.
KETEN_WRAP="env TZ=UTC" kt_restart_all_at "$(at '2027-01-14 23:30')" "$UITV" gemeente-test om-test
row gemeente-test | jq -e '.left == true' > /dev/null \
    || fail "at 00:30 Dutch time on leaves-at the uitvoerder still admits it: $(row gemeente-test)"
[ "$(jfield gemeente-test '.expelled // false')" = true ] \
    || fail "at 00:30 Dutch time on leaves-at the member's own node still sends"
pass "at 00:30 Dutch time on leaves-at (23:30 UTC the day before) it has left, on both sides"

# A revocation at 00:30 Dutch time: leaves-at is the Dutch today, 15
# January, not the UTC 14th.
kt "$UITV" member revoke om-test > /dev/null
[ "$(row om-test | jq -r .leaves_at)" = 2027-01-15 ] \
    || fail "a revocation at 00:30 Dutch time on 2027-01-15: $(row om-test)"
row om-test | jq -e '.left == true' > /dev/null || fail "the revoked member is not out: $(row om-test)"
pass "a revocation at 00:30 Dutch time is of the Dutch day, and at once"
