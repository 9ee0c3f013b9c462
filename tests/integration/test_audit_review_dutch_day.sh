#!/usr/bin/env bash
# keten audit review: "to <= today" is the Dutch today (Europe/Amsterdam),
# whatever the daemon's TZ (docs/OPERATIONS.md, "Access review"): at 00:30
# Dutch time on 15 January (23:30 UTC on the 14th) a period ending on the
# 15th is taken, one ending on the 16th refused.
source "$(dirname "$0")/lib.sh"

KETEN_WRAP="env TZ=UTC $(kt_clock_wrap "+$(( $(date -u -d '2027-01-14 23:30' +%s) - $(date +%s) ))")"
export KETEN_WRAP
kt_federation
if out=$(kt "$UITV" audit review --period 2027-01-01..2027-01-16 --finding "Geen bijzonderheden." 2>&1); then
    fail "a period ending tomorrow (Dutch) was taken: $out"
fi
grep -q "ends after today" <<< "$out" || fail "refusal unclear: $out"
kt "$UITV" audit review --period 2027-01-01..2027-01-15 --finding "Geen bijzonderheden." \
    | grep -q "access review of 2027-01-01..2027-01-15 recorded" \
    || fail "a period ending on the Dutch today (2027-01-15) was refused"
pass "audit review's today is the Dutch day"
