#!/usr/bin/env bash
# An opzegging without a date is given on the Dutch today (Europe/Amsterdam,
# common/calendar.h), as an explicit date is checked against it: at 00:30
# Dutch time on 15 January (23:30 UTC on the 14th) the notice is of 15
# January and the member leaves on 15 April, not a day early.
source "$(dirname "$0")/lib.sh"

# 2027-01-14 23:30 UTC = 2027-01-15 00:30 Dutch time; the daemons on UTC.
KETEN_WRAP="env TZ=UTC $(kt_clock_wrap "+$(( $(date -u -d '2027-01-14 23:30' +%s) - $(date +%s) ))")"
export KETEN_WRAP
kt_federation gemeente-test:gemeente om-test:om
row() { kt "$UITV" status --json | jq -c --arg m "$1" '.members[] | select(.id == $m)'; }

kt "$UITV" member opzegging gemeente-test > /dev/null
kt "$UITV" member opzegging om-test 2027-01-15 > /dev/null
got=$(row gemeente-test | jq -r '"\(.notice_given // "") \(.leaves_at)"')
echo "no date given at 00:30 Dutch time on 2027-01-15: $got"
[ "$(row gemeente-test | jq -r .leaves_at)" = 2027-04-15 ] \
    || fail "a notice given on 2027-01-15 (Dutch) without a date: $got"
[ "$(row om-test | jq -r .leaves_at)" = 2027-04-15 ] || fail "the explicit 2027-01-15: $(row om-test)"
pass "a notice without a date is of the Dutch day"
