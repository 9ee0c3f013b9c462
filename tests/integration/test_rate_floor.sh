#!/usr/bin/env bash
# The rate floor (bench/keten-rate-floor) runs every step of a signal on
# real parts - SQLite files, CurveZMQ sockets, libsodium - and checks its
# own results: a batch signature, a receipt's two signatures and the log
# root it rebuilds must all hold, or it stops with the step that failed.
# Here it must run to its end, print a figure for each step and the sum,
# and leave none of its files behind.  The figures themselves are not
# judged: a benchmark, not a timed test.
source "$(dirname "$0")/lib.sh"
FLOOR="$KETEN_BIN/keten-rate-floor"
[ -x "$FLOOR" ] || fail "$FLOOR not built"
mkdir "$T/floor"
"$FLOOR" "$T/floor" > "$T/out" 2> "$T/err" || fail "keten-rate-floor failed: $(cat "$T/err")"
steps=$(grep -cE '^  .* [0-9]+\.[0-9]+ us$' "$T/out")
[ "$steps" -eq 14 ] || fail "expected 14 steps, got $steps: $(cat "$T/out")"
grep -qE '^rate floor: [0-9.]+ us of CPU per signal, at most [0-9]+ signals/s on [0-9]+ cores' \
    "$T/out" || fail "no sum: $(cat "$T/out")"
# every step costs something: a step measured as 0.00 did not run
! grep -qE ' 0\.00 us$' "$T/out" || fail "a step with no CPU: $(cat "$T/out")"
[ -z "$(ls -A "$T/floor")" ] || fail "files left behind: $(ls "$T/floor")"
pass "the rate floor ran every step on real parts"
