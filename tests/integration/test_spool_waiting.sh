#!/usr/bin/env bash
# A file in the police spool that ketend cannot claim (here: one it
# cannot move, which the journal only says as `spool claim_failed`) is
# counted in status as waiting, with its age, and after 15 minutes raises
# the warning spool_file_stuck: in `keten status`, --json, --check and the
# metrics (docs/SIGNAL-FORMAT.md, "Files that wait"; docs/OPERATIONS.md).
# The clock is moved with libfaketime; the 15 minutes are the real rule.
source "$(dirname "$0")/lib.sh"
P=politie-test
# An immovable file: root is refused a rename only of an immutable file
# (chattr +i); any other user, of a file in a directory it may not write.
STUCK="$T/spool/vast.json"
pin() {
    if [ "$(id -u)" = 0 ]; then
        chattr +i "$STUCK" || fail "chattr +i failed (the test needs a filesystem with the immutable flag)"
    else
        chmod 0555 "$T/spool"
    fi
}
unpin() {
    if [ "$(id -u)" = 0 ]; then chattr -i "$STUCK" 2> /dev/null || true; else chmod 0755 "$T/spool"; fi
}
trap 'rc=$?; unpin; kt_cleanup $rc' EXIT
kt_spool_federation
metrics_on "$P"
drop() {  # drop NAME: write under a temporary name, then rename
    kt_signal_file "$SPOOL/.$1.tmp" "$1"
    mv "$SPOOL/.$1.tmp" "$SPOOL/$1.json"
}
sp() { jfield "$P" ".spool.$1"; }
waiting_is() { [ "$(sp waiting)" = "$1" ]; }
check_out() {
    rc=0
    kt "$P" status --check > "$T/check.out" || rc=$?
}
# text_at OFFSET: `keten status` by a client on the daemons' moved clock.
text_at() {
    # shellcheck disable=SC2046
    $(kt_clock_wrap "$1") "$KETEN" --socket "$T/$P.sock" status > "$T/text"
}
metric() {
    local ep
    ep=$(kt "$P" status --json | jq -r .metrics_listen)
    http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r' | sed '1,/^$/d' \
        | awk -v k="$1" 'index($0, k) == 1 { print $2 }'
}
forwarded() { [ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal")" = "$1" ]; }

waiting_is 0 || fail "an empty spool has files waiting: $(jfield "$P" .spool)"
[ "$(sp oldest_waiting_ms)" = null ] || fail "an empty spool has an oldest file"
kt "$P" status | grep -Eq "^spool waiting +none$" || fail "no line for the files waiting: $(kt "$P" status)"
pass "an empty spool: none waiting"

# The file put in while ketend is down, so no scan claims it first.
kt_kill "$P"
drop vast
pin
dropped_ms=$(($(stat -c %Z "$STUCK") * 1000))
kt_start "$P"
wait_until 10 grep -q "spool claim_failed" "$T/$P.log" || fail "the file was not refused its claim"
wait_until 10 waiting_is 1 || fail "the file that cannot be claimed is not waiting: $(jfield "$P" .spool)"
# Its age counts from its ctime (when it came into the spool).
oldest=$(sp oldest_waiting_ms)
[ "$oldest" -ge "$dropped_ms" ] && [ "$oldest" -lt $((dropped_ms + 1000)) ] \
    || fail "oldest_waiting_ms $oldest is not the file's ctime $dropped_ms"
[ "$(sp waiting_stuck)" = 0 ] || fail "stuck at once"
check_out "$P"
if grep -q "spool file" "$T/check.out"; then fail "warned at once: $(cat "$T/check.out")"; fi
kt "$P" status | grep -Eq "^spool waiting +1 file, the oldest for [0-9.]+ s$" \
    || fail "the line does not say its age: $(kt "$P" status | grep '^spool')"
# Another file goes through beside it and does not count.
drop door
wait_until 10 forwarded 1 || fail "the other file was not forwarded"
waiting_is 1 || fail "a file forwarded still counts as waiting"
pass "a file that cannot be claimed counts as waiting from its ctime; one forwarded does not"

# The clocks set from the file's ctime: 14 minutes after it, within the 15.
since() { echo "+$((dropped_ms / 1000 + $1 - $(date +%s)))"; }
kt_restart_all_at "$(since $((14 * 60)))" "$UITV" "$P"
waiting_is 1 || fail "the file is no longer waiting 14 minutes on"
[ "$(sp waiting_stuck)" = 0 ] || fail "stuck after 14 minutes"
[ "$(metric 'keten_check{check="spool_file_stuck"')" = 0 ] || fail "keten_check spool_file_stuck not 0"
pass "after 14 minutes nothing is raised"

# 16 minutes after it: the warning, everywhere.
off=$(since $((16 * 60)))
kt_restart_all_at "$off" "$UITV" "$P"
[ "$(sp waiting_stuck)" = 1 ] || fail "not stuck after 16 minutes: $(jfield "$P" .spool)"
wait_until 20 link_up "$P" || fail "no link 16 minutes on"
check_out "$P"
[ $rc = 1 ] || fail "status --check exits $rc, not 1 (WARNING): $(cat "$T/check.out")"
grep -q "1 spool file(s) waiting over 15 minutes, neither forwarded nor rejected" "$T/check.out" \
    || fail "status --check does not say it: $(cat "$T/check.out")"
text_at "$off"
grep -q "^check *WARNING spool_file_stuck: 1 spool file(s) waiting over 15 minutes" "$T/text" \
    || fail "the text has no check line: $(cat "$T/text")"
grep -Eq "^spool waiting +1 file, the oldest for 16 min [0-9]+ s \(STUCK: " "$T/text" \
    || fail "the text does not say how old: $(grep '^spool' "$T/text")"
[ "$(metric 'keten_check{check="spool_file_stuck"')" = 1 ] || fail "keten_check spool_file_stuck not 1"
[ "$(metric 'keten_spool_waiting_files ')" = 1 ] || fail "keten_spool_waiting_files not 1"
age=$(metric 'keten_spool_oldest_waiting_seconds ')
awk -v a="$age" 'BEGIN { exit !(a >= 960 && a < 1100) }' || fail "keten_spool_oldest_waiting_seconds $age"
if command -v promtool > /dev/null; then  # test_prometheus.sh requires it
    ep=$(kt "$P" status --json | jq -r .metrics_listen)
    http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r' | sed '1,/^$/d' > "$T/p.prom"
    out=$(promtool check metrics < "$T/p.prom" 2>&1) && [ -z "$out" ] || fail "promtool check metrics: $out"
fi
pass "after 16 minutes: spool_file_stuck in --json, --check, the text and the metrics"

# Movable again: claimed, forwarded, and the warning goes by itself.
unpin
wait_until 20 forwarded 2 || fail "the file was not forwarded once it could be claimed"
wait_until 10 waiting_is 0 || fail "still waiting: $(jfield "$P" .spool)"
[ "$(sp waiting_stuck)" = 0 ] || fail "still stuck"
# (The metrics are rendered at most once a second.)
unstuck() { [ "$(metric 'keten_check{check="spool_file_stuck"')" = 0 ]; }
wait_until 10 unstuck || fail "keten_check spool_file_stuck stayed"
pass "once it can be claimed the file is forwarded and the warning goes"
