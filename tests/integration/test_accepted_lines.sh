#!/usr/bin/env bash
# The "signal accepted" journal lines (docs/OPERATIONS.md, "Journal"): a
# signal gets a line of its own, up to 20 a second; a burst past that is
# counted and said in one `signal accepted_counted` line once the second
# is over, so that journald's rate limit never drops the node's warnings
# for it.  Every accepted signal is in exactly one of the two.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" LINES
LOG="$T/politie-test.log"

own() { grep -c "signal accepted id=" "$LOG" || true; }
counted() { grep -o "signal accepted_counted count=[0-9]*" "$LOG" | awk -F= '{n += $2} END {print n + 0}'; }

out=$(kt politie-test signal submit --file "$T/s.json" --wait) || fail "not submitted: $out"
id=$(awk '{print $2}' <<< "$out")
grep -q "signal accepted id=$id uid=$(id -u) state=queued via=api" "$LOG" ||
    fail "a lone signal has no line of its own: $(grep 'signal accepted' "$LOG" | tail -2)"
pass "a lone signal gets its own line, with its id and its caller"

# 3,000 signals, 500 in flight: far more than 20 a second.
start=$(date +%s%N)
out=$("$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/s.json" -n 3000 --inflight 500)
end=$(date +%s%N)
grep -q "not_delivered=0" <<< "$out" || fail "not all delivered: $out"
all_said() { [ "$(($(own) + $(counted)))" -ge 3001 ]; }
wait_until 10 all_said || fail "not every signal said: $(own) lines, $(counted) counted"
[ "$(($(own) + $(counted)))" = 3001 ] || fail "$(own) lines and $(counted) counted for 3,001 signals"
# Each second of the burst began at most one window of 20 lines.
seconds=$(((end - start + 999999999) / 1000000000))
[ "$(own)" -le "$((1 + 20 * (seconds + 1)))" ] || fail "$(own) lines of their own in $seconds s"
[ "$(counted)" -gt 0 ] || fail "nothing counted"
grep -q "signal accepted_counted count=[0-9]* queued=[0-9]* held=0 awaiting-confirmation=0 spool=0 api=[0-9]*$" "$LOG" ||
    fail "the counted line does not say its states: $(grep accepted_counted "$LOG" | head -1)"
pass "a burst of 3,000: $(own) lines of their own in $seconds s, $(counted) counted, none lost"

# After the burst (and after its last second) a signal has its own line again.
sleep 1.1
out=$(kt politie-test signal submit --file "$T/s.json") || fail "not submitted: $out"
id=$(awk '{print $2}' <<< "$out")
wait_until 5 grep -q "signal accepted id=$id " "$LOG" || fail "no line of its own after the burst"
pass "after the burst, a signal has its own line again"

# Stopped in the middle of a burst: the second's count is said as the
# node stops, and so are the signals of a group whose sync was still
# running (stored, but never answered).
"$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/s.json" -n 20000 --inflight 1000 \
    > "$T/b.out" 2>&1 &
bench=$!
base=$(($(own) + $(counted)))
stored_now() { sqlite3 "$T/state-politie-test/node.db" "SELECT count(*) FROM signal"; }
burst_on() { [ "$(stored_now)" -gt "$((base + 2000))" ]; }
wait_until 20 burst_on || fail "the burst did not start"
kt_kill politie-test
wait "$bench" || true
stored=$(stored_now)
grep -A1000 "node stopping id=politie-test" "$LOG" | grep -q "signal accepted_counted" ||
    fail "no count said as the node stopped"
[ "$(($(own) + $(counted)))" = "$stored" ] ||
    fail "$(own) lines and $(counted) counted by the stop, $stored signals stored"
pass "stopped during a burst: every stored signal said ($stored)"
