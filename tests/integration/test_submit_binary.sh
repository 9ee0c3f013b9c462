#!/usr/bin/env bash
# Binary submissions (docs/API.md, "Binary submissions"): a frame of 0x00
# and an ApiSubmit carries several signals, checked by the same rules as
# JSON, all before any is stored, and stored together or not at all; the
# answer is one ApiSubmitted frame with each signal's outcome.  The
# protobuf is written and read by hand (kt_binary in lib.sh: Python, no
# protobuf library), so the wire format in the docs is what is tested.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" BIN

listed() { kt politie-test signal list --json | jq '.signals | length'; }

# Three signals waiting for their receipts: one answer, in order, each
# delivered at its own place in the log, each listed.
kt_binary_spec "$T/three.json" '{id: 41, wait: true, signals: [range(3) as $i | $s[0] | .local_ref = "BIN-\($i)"]}'
out=$(kt_binary politie-test "$T/three.json")
[ "$(jq -r '.id' <<< "$out")" = 41 ] || fail "answer to another id: $out"
[ "$(jq -r '[.outcomes[].state] | join(",")' <<< "$out")" = delivered,delivered,delivered ] ||
    fail "not all delivered: $out"
[ "$(jq '[.outcomes[].log_index] | unique | length' <<< "$out")" = 3 ] || fail "log indexes: $out"
for i in 0 1 2; do
    id=$(jq -r ".outcomes[$i].message_id" <<< "$out")
    [ "$(kt politie-test signal list --json |
        jq -r --arg id "$id" '.signals[] | select(.message_id == $id) | "\(.local_ref) \(.state)"')" = "BIN-$i delivered" ] ||
        fail "signal $i is not listed as BIN-$i, delivered"
done
[ "$(listed)" = 3 ] || fail "expected 3 signals"
pass "three signals in one submission: one answer, each delivered and listed"

# Without wait: answered once stored; an art. 9/10 signal is held.
kt_binary_spec "$T/nowait.json" '{signals: [$s[0], ($s[0] | .wpg_basis = "art-9-10")]}'
out=$(kt_binary politie-test "$T/nowait.json")
[ "$(jq -r '[.outcomes[].state] | join(",")' <<< "$out")" = queued,held ] || fail "states: $out"
wait_until 10 bash -c "[ \"\$(\"$KETEN\" --socket \"$T/politie-test.sock\" signal list --json |
    jq '[.signals[] | select(.state == \"delivered\")] | length')\" = 4 ]" ||
    fail "the queued one was not delivered"
pass "without wait: queued and held, as in JSON"

# One bad signal refuses the whole submission, naming it; nothing is stored.
refused() {  # refused SPEC-FILTER TEXT WHAT
    kt_binary_spec "$T/bad.json" "$1"
    out=$(kt_binary politie-test "$T/bad.json")
    [ "$(jq -r '.outcomes | length' <<< "$out")" = 0 ] || fail "$3: outcomes given: $out"
    grep -qF -- "$2" <<< "$(jq -r '.error' <<< "$out")" || fail "$3: error was: $out"
    [ "$(listed)" = 5 ] || fail "$3: something was stored"
}
refused '{signals: [$s[0], ($s[0] | .subject.birth_date = "2001-02-30")]}' \
    "signals[1]: subject.birth_date" "an invalid date"
refused '{signals: [$s[0], $s[0], ($s[0] | ._representative = "R. Vertegenwoordiger")]}' \
    "signals[2]: sets a field only the police node sets" "a representative"
refused '{signals: [($s[0] | ._extra = [[99, "9a0603616263"]])]}' \
    "signals[0]: has fields a Signal does not" "an unknown field"
refused '{signals: [($s[0] | ._extra = [[12, "620358595a"]])]}' \
    "signals[0]: not in the canonical encoding" "local_ref given twice"
refused '{signals: [($s[0] | .description = "cut\u0000here")]}' \
    "signals[0]: not in the canonical encoding" "a NUL inside a string"
refused '{signals: []}' "a binary submission holds 1 to 1000 signals, not 0" "no signals"
refused '{signals: [range(1001) | $s[0] | .description = "x"]}' \
    "a binary submission holds 1 to 1000 signals, not 1001" "too many"
pass "one bad signal refuses the submission, naming it; nothing stored"

# A frame that is no ApiSubmit is refused, and the connection goes on.
echo '{"raw": "0a05ffffffffff", "then_json": true}' > "$T/raw.json"
out=$(kt_binary politie-test "$T/raw.json")
[ "$(jq -r '.error' <<< "$out")" = "the binary request is not an ApiSubmit message" ] ||
    fail "garbage: $out"
[ "$(jq -r '.then' <<< "$out")" = true ] || fail "the connection did not go on: $out"
echo '{"raw": "08019a0601ff", "then_json": true}' > "$T/raw.json"
out=$(kt_binary politie-test "$T/raw.json")
[ "$(jq -r '.error' <<< "$out")" = "the binary request has fields ApiSubmit does not" ] ||
    fail "unknown field: $out"
pass "a malformed binary request: refused, the connection usable"

# art. 7.1: the uitvoerder takes no signals, in binary neither.
out=$(kt_binary "$UITV" "$T/three.json")
grep -q "signal" <<< "$(jq -r '.error' <<< "$out")" || fail "uitvoerder: $out"
pass "the uitvoerder refuses a binary submission"

# Nothing personal in the logs: the names are in the signals only.
! grep -h "Test Persoon\|Agent Test\|Vertegenwoordiger" "$T"/*.log || fail "personal data in a log"
pass "no personal data in the logs"
