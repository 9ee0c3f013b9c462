#!/usr/bin/env bash
# art. 18.2: an opzegging takes three calendar months.  Given on a month's
# last day whose month three on is shorter, the member leaves on that
# month's last day (31 March: 30 June; 30 November: 28 February), as
# retention's calendar months do (common/calendar.h, kt_months_on) - not
# in the month after it.
source "$(dirname "$0")/lib.sh"

# Every daemon's clock at 2027-04-05 12:00 UTC.
KETEN_WRAP=$(kt_clock_wrap "+$(( $(date -u -d '2027-04-05 12:00' +%s) - $(date +%s) ))")
export KETEN_WRAP
kt_federation gemeente-test:gemeente om-test:om
row() { kt "$UITV" status --json | jq -c --arg m "$1" '.members[] | select(.id == $m)'; }

kt "$UITV" member opzegging gemeente-test 2027-03-31 > /dev/null
leaves=$(row gemeente-test | jq -r .leaves_at)
[ "$leaves" = 2027-06-30 ] || fail "an opzegging of 2027-03-31 leaves at $leaves, not 2027-06-30"
pass "three months from 31 March end on 30 June"

kt "$UITV" member opzegging om-test 2027-01-31 > /dev/null
leaves=$(row om-test | jq -r .leaves_at)
[ "$leaves" = 2027-04-30 ] || fail "an opzegging of 2027-01-31 leaves at $leaves, not 2027-04-30"
pass "three months from 31 January end on 30 April"

# The roster written is taken again: the uitvoerder restarts on it.
kt_kill "$UITV"
kt_start "$UITV"
[ "$(row gemeente-test | jq -r .leaves_at)" = 2027-06-30 ] || fail "leaves-at lost on restart"
pass "the roster with leaves-at 2027-06-30 is taken on restart"
