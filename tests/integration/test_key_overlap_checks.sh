#!/usr/bin/env bash
# A node still on its old key file after its keys were rotated with an
# overlap is warned in the overlap's last 7 days (keys_overlap_ending)
# and alarmed once the overlap is over (keys_overlap_ended): in `keten
# status`, --json, --check and the metrics (docs/OPERATIONS.md, the checks;
# docs/ROSTER.md, "Rotating a member's keys").  The federation's clock is
# moved with libfaketime; the overlap is the real one (30 days).
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
P=politie-test
rv() { jfield "$1" .roster_version; }
has_rv() { [ "$(rv "$1")" = "$2" ]; }
# check_out ID: `keten status --check`'s line in $T/check.out, its exit status in rc.
check_out() {
    rc=0
    kt "$1" status --check > "$T/check.out" || rc=$?
}
# text_at OFFSET: the text of `keten status` at politie, by a client whose
# clock is moved as the daemons' (it counts what is left from its own).
text_at() {
    # shellcheck disable=SC2046
    $(kt_clock_wrap "$1") "$KETEN" --socket "$T/$P.sock" status > "$T/text"
}
metric() {
    local ep
    ep=$(kt "$P" status --json | jq -r .metrics_listen)
    http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r' | sed '1,/^$/d' | grep -F "keten_check{check=\"$1\"" \
        | awk '{print $2}'
}

mkdir -p "$T/new"
"$KETEN" keygen --id "$P" --kind politie --out "$T/new" --storage-from "$T/keys/$P.secret" > /dev/null
kt "$UITV" member rotate "$T/new/$P.pub" --overlap-days 30 | grep -q "roster version 2" \
    || fail "rotation failed"
wait_until 10 has_rv "$P" 2 || fail "politie did not get v2"
until=$(jfield "$P" .old_keys_until)
[[ "$until" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || fail "politie does not show its deadline: $until"
# The end is 00:00 Dutch time on $until (docs/ROSTER.md, "Roster dates
# are Dutch days"): 23:00 UTC the day before in winter, 22:00 in summer.
[ "$(jfield "$P" .old_keys_end_ms)" = "$(($(TZ=Europe/Amsterdam date -d "$until" +%s) * 1000))" ] \
    || fail "old_keys_end_ms is not 00:00 Dutch time on $until: $(jfield "$P" .old_keys_end_ms)"
[ "$(jfield "$P" '.old_keys_ending // false')" = false ] || fail "warned 31 days before the end"
check_out "$P"
if grep -q keys_overlap "$T/check.out" || kt "$P" status | grep -q "keys_overlap"; then
    fail "a key check raised 31 days before the end: $(cat "$T/check.out")"
fi
kt "$P" status | grep -Eq "^keys +rotated: the key file in use works until $until \(30 d" \
    || fail "the keys line does not say how long is left: $(kt "$P" status | grep '^keys')"
pass "a rotation with 30 days of overlap: the deadline shown, no check raised yet"

# The clocks are set from the end, 00:00 Dutch time on $until (a run
# across midnight moves nothing): an hour more than 7 days before it, quiet.
end_s=$(TZ=Europe/Amsterdam date -d "$until" +%s)
at() { echo "+$((end_s - $(date +%s) - $1))"; }
metrics_on "$P"
kt_restart_all_at "$(at $((7 * 86400 + 3600)))" "$UITV" "$P"
[ "$(jfield "$P" '.old_keys_ending // false')" = false ] || fail "warned with more than 7 days left"
[ "$(metric keys_overlap_ending)" = 0 ] || fail "keten_check keys_overlap_ending is not 0 with 7+ days left"
pass "with more than 7 days left nothing is raised"

# An hour less than 7 days before it: the warning, everywhere.
off=$(at $((7 * 86400 - 3600)))
kt_restart_all_at "$off" "$UITV" "$P"
wait_until 20 link_up "$P" || fail "no link 7 days before the end: the old key file still works"
no_alarm() { [ "$(jfield "$P" '.alarms | length')" = 0 ]; }
wait_until 20 no_alarm || fail "an alarm at politie: $(jfield "$P" .alarms)"
[ "$(jfield "$P" .old_keys_ending)" = true ] || fail "no old_keys_ending with less than 7 days left"
check_out "$P"
[ $rc = 1 ] || fail "status --check exits $rc, not 1 (WARNING): $(cat "$T/check.out")"
grep -q "the key file in use stops working at 00:00 Dutch time on $until: install the new one and restart" \
    "$T/check.out" || fail "status --check does not say why: $(cat "$T/check.out")"
text_at "$off"
grep -q "^check *WARNING keys_overlap_ending: the key file in use stops working at 00:00 Dutch time on $until" \
    "$T/text" || fail "the text has no check line: $(cat "$T/text")"
grep -Eq "^keys +rotated: the key file in use works until $until \(6 d 2[23] h" "$T/text" \
    || fail "the keys line does not say 6 d 23 h: $(grep '^keys' "$T/text")"
[ "$(metric keys_overlap_ending)" = 1 ] || fail "keten_check keys_overlap_ending is not 1"
[ "$(metric keys_overlap_ended)" = 0 ] || fail "keten_check keys_overlap_ended is not 0"
pass "within the last 7 days: keys_overlap_ending in --json, --check, the text and the metrics"

# Past the end: critical.  A start refuses the old key file once the
# overlap is over, so the node crosses the end while it runs: the clocks
# set to 20 s before 00:00 Dutch time on $until.
off=$(at 20)
kt_restart_all_at "$off" "$UITV" "$P"
[ "$(jfield "$P" .old_keys_ending)" = true ] || fail "not 'ending' 20 s before the end"
ended() { [ "$(jfield "$P" .old_keys_ended)" = true ]; }
wait_until 60 ended || fail "no old_keys_ended past the end"
[ "$(jfield "$P" '.old_keys_ending // false')" = false ] || fail "still 'ending' past the end"
check_out "$P"
[ $rc = 2 ] || fail "status --check exits $rc, not 2 (CRITICAL): $(cat "$T/check.out")"
grep -q "the key file in use stopped working at 00:00 Dutch time on $until" "$T/check.out" \
    || fail "status --check does not say why: $(cat "$T/check.out")"
text_at "$off"
grep -q "^check *CRITICAL keys_overlap_ended: " "$T/text" || fail "no critical check line: $(cat "$T/text")"
grep -Eq "^keys +OVERLAP ENDED: the key file in use stopped working on $until" "$T/text" \
    || fail "the keys line does not say it ended: $(grep '^keys' "$T/text")"
[ "$(metric keys_overlap_ended)" = 1 ] || fail "keten_check keys_overlap_ended is not 1"
[ "$(metric keys_overlap_ending)" = 0 ] || fail "keten_check keys_overlap_ending is not 0 past the end"
pass "crossing the end of the overlap: keys_overlap_ended (critical) in --json, --check, the text and the metrics"

# The new key file installed: the checks go.
kt_kill "$P"
cp "$T/new/$P.secret" "$T/keys/$P.secret"
chmod 600 "$T/keys/$P.secret"
KETEN_WRAP="$(kt_clock_wrap "$off")" kt_start "$P"
[ "$(jfield "$P" .old_keys_until)" = null ] || fail "still on the old keys after the switch"
check_out "$P"
if grep -q "key file in use" "$T/check.out"; then fail "a key check stayed after the switch: $(cat "$T/check.out")"; fi
[ "$(metric keys_overlap_ended)" = 0 ] || fail "keten_check keys_overlap_ended stayed"
pass "on the new key file no key check is raised"
