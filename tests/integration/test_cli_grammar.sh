#!/usr/bin/env bash
# The keten CLI is one grammar (issue #16): options and arguments in any
# order where a command parses them by hand (member), and under --json a
# failure is also said as {"error": "...", "exit": N} on stdout, against
# no daemon and against a real one that refuses.
source "$(dirname "$0")/lib.sh"

# No daemon: the error as JSON on stdout, the human line on stderr.
rc=0
"$KETEN" --socket "$T/nobody.sock" status --json > "$T/out" 2> "$T/err" || rc=$?
[ $rc -eq 1 ] || fail "status without a daemon: exit $rc"
[ "$(jq -r .exit "$T/out")" = 1 ] || fail "no exit 1 in the JSON error: $(cat "$T/out")"
jq -r .error "$T/out" | grep -q "cannot connect" || fail "JSON error: $(cat "$T/out")"
grep -q "^keten: cannot connect" "$T/err" || fail "no human line: $(cat "$T/err")"
# Without --json stdout stays empty.
rc=0
"$KETEN" --socket "$T/nobody.sock" status > "$T/out" 2> /dev/null || rc=$?
[ $rc -eq 1 ] && [ ! -s "$T/out" ] || fail "status without --json: exit $rc, $(cat "$T/out")"
# A usage error after --json: exit 2, as JSON too.
rc=0
"$KETEN" case show --json > "$T/out" 2> "$T/err" || rc=$?
[ $rc -eq 2 ] && [ "$(jq -r .exit "$T/out")" = 2 ] \
    && [ "$(jq -r .error "$T/out")" = "case show: give one CASE_REF" ] \
    || fail "usage error under --json: exit $rc, $(cat "$T/out")"
pass "without a daemon and on a usage error, --json says the error as JSON"

kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_roster 1 "$T/roster.txt" "$UITV" politie-test
unset PORT
kt_config "$UITV"
kt_start "$UITV"

# A refusal by the daemon: exit 1 and its reason as JSON.
rc=0
kt "$UITV" case show k-0123456789abcdef --json > "$T/out" 2> "$T/err" || rc=$?
[ $rc -eq 1 ] || fail "an unknown case: exit $rc, $(cat "$T/out")"
[ "$(jq -r .exit "$T/out")" = 1 ] || fail "refusal not as JSON: $(cat "$T/out")"
reason=$(jq -r .error "$T/out")
[ -n "$reason" ] && grep -qF "keten: $reason" "$T/err" \
    || fail "the JSON error '$reason' is not the human one: $(cat "$T/err")"
# A JSON answer is not followed by an error object: stdout is one document.
kt "$UITV" status --json > "$T/out" || fail "status --json failed"
jq -e .roster_version "$T/out" > /dev/null || fail "status --json: $(cat "$T/out")"
pass "a daemon's refusal under --json: exit 1 and {error, exit} on stdout"

# member rotate: the option before PUB_FILE works as after it.
mkdir -p "$T/new"
"$KETEN" keygen --id politie-test --kind politie --out "$T/new" > /dev/null
rc=0
kt "$UITV" member rotate --overlap-days 91 "$T/new/politie-test.pub" 2> "$T/err" || rc=$?
[ $rc -eq 2 ] && grep -q "0..90" "$T/err" || fail "--overlap-days 91 first: exit $rc, $(cat "$T/err")"
rc=0
kt "$UITV" member rotate --overlap-days 2> "$T/err" || rc=$?
[ $rc -eq 2 ] || fail "--overlap-days without a value: exit $rc"
# At least 3 full days: until 00:00 Dutch time on the Dutch day 4.
day0=$(TZ=Europe/Amsterdam date -d '+4 days' +%F)
kt "$UITV" member rotate --overlap-days 3 "$T/new/politie-test.pub" > "$T/out" \
    || fail "rotate with the option first failed: $(cat "$T/out")"
grep -q "roster version 2" "$T/out" || fail "rotate: $(cat "$T/out")"
until=$(grep -A20 "^        politie-test" "$T/state-$UITV/roster.txt" |
    grep -o 'previous-until = "*[0-9-]*' | grep -o '[0-9-]*$')
one_of_days "$day0" "$(TZ=Europe/Amsterdam date -d '+4 days' +%F)" "$until" \
    || fail "the old keys are kept until '$until', not $day0: --overlap-days 3 was not taken"
pass "member rotate --overlap-days N PUB_FILE works as PUB_FILE --overlap-days N"
