#!/usr/bin/env bash
# A roster pushed to a node that is older than, or different from, the one
# it holds under that version - here a uitvoerder restored from an old
# backup that goes on changing the membership - is refused with a refusal
# receipt: the node keeps its roster and raises roster_conflict (kept across
# a restart, ended by a strictly newer roster), and the uitvoerder raises
# roster_refused for that member and writes ROSTER_REFUSED in the provenance
# log.  The same roster arriving twice is harmless: accepted, no alarm.  And
# the log lists its entries by type and time (keten log show --type).
source "$(dirname "$0")/lib.sh"
# The uitvoerder is restored from a backup, so its log goes back: a
# witness that saw a checkpoint past the backup raises the alarm, as it
# must (whether it saw one depends on timing); lib.sh fails on any other.
KT_LOG_ALARM_OK=1
kt_federation gemeente-test:gemeente
for k in om-a om-b om-c om-d; do kt_keys "$k" om; done
G=gemeente-test
wait_until 10 link_up politie-test || fail "no link"
wait_until 10 link_up "$G" || fail "no gemeente link"
rv() { jfield "$1" .roster_version; }
has_rv() { [ "$(rv "$1")" = "$2" ]; }
alarms() { jfield "$1" '.alarms | join(",")'; }
has_alarm() { alarms "$1" | tr , '\n' | grep -qx "$2"; }
member() { kt "$UITV" status --json | jq -r --arg m "$1" ".members[] | select(.id==\$m) | $2"; }
member_alarm() { member "$1" '.alarms | join(",")' | tr , '\n' | grep -qx "$2"; }
online() { [ "$(member "$1" .online)" = true ]; }
# The uitvoerder stopped, its state directory copied or put back whole: a
# backup as an operator makes one, and a restore of it.
backup() { kt_kill "$UITV"; cp -a "$T/state-$UITV" "$T/backup-$1"; kt_start "$UITV"; }
restore() {
    kt_kill "$UITV"
    rm -rf "$T/state-$UITV"
    cp -a "$T/backup-$1" "$T/state-$UITV"
    kt_start "$UITV"
    wait_until 15 online "$G" || fail "$G did not reconnect to the restored uitvoerder"
}
# Every roster push to the gemeente answered (the om-* nodes never run).
g_settled() {
    [ "$(sqlite3 "$T/state-$UITV/node.db" \
        "SELECT count(*) FROM relay WHERE recipient='$G' AND state IN (0, 3)")" = 0 ]
}
refused_rows() {
    sqlite3 "$T/state-$UITV/node.db" \
        "SELECT count(*) FROM relay WHERE recipient='$G' AND type=4 AND state=2"
}

kt "$UITV" member add "$T/keys/om-a.pub" | grep -q "roster version 2" || fail "add failed"
for id in politie-test "$G"; do wait_until 10 has_rv "$id" 2 || fail "$id did not get v2"; done
backup v2

# The same roster twice: pushed while the gemeente is down, and offered again
# at its first heartbeat after the uitvoerder restarted (another message id).
kt_kill "$G"
kt "$UITV" member add "$T/keys/om-b.pub" | grep -q "roster version 3" || fail "add b failed"
kt_kill "$UITV"
kt_start "$UITV"
kt_start "$G"
wait_until 15 has_rv "$G" 3 || fail "$G did not get v3"
wait_until 15 g_settled || fail "the pushes to $G were not answered"
grep -q "roster offered peer=$G version=3" "$T/$UITV.log" || fail "v3 was not offered a second time"
[ "$(refused_rows)" = 0 ] || fail "a repeated roster was refused"
has_alarm "$G" roster_conflict && fail "a repeated roster raised roster_conflict"
member_alarm "$G" roster_refused && fail "a repeated roster raised roster_refused"
pass "the same roster twice is accepted without an alarm"

# Same version, other content: the restored uitvoerder (at v2) makes its own
# version 3.
restore v2
kt "$UITV" member add "$T/keys/om-c.pub" | grep -q "roster version 3" || fail "add c failed"
wait_until 15 has_alarm "$G" roster_conflict || fail "$G raised no roster_conflict"
[ "$(rv "$G")" = 3 ] || fail "$G gave up its own v3"
[ "$(jfield "$G" .roster_conflict.version)" = 3 ] || fail "the conflict names the wrong version"
grep -q "roster conflict version=3 held=3" "$T/$G.log" || fail "no warning at $G"
grep -q 'roster refused reason="this roster differs from the version-3 roster' "$T/$G.log" ||
    fail "the refusal does not say why"
grep -q "om-c" "$T/state-$G/roster.txt" && fail "$G kept the replayed roster"
wait_until 15 member_alarm "$G" roster_refused || fail "the uitvoerder raised no roster_refused"
[ "$(kt "$UITV" status --json | jq '.federation.alarms')" -ge 1 ] || fail "federation.alarms not counted"
[ "$(refused_rows)" -ge 1 ] || fail "the refusal receipt was not kept"
# ROSTER_REFUSED on record, with the member as node and no other text.
out=$(kt "$UITV" log show --type roster_refused --json)
[ "$(echo "$out" | jq --arg g "$G" '[.events[] | select(.node==$g and .event=="ROSTER_REFUSED" and .message_type=="ROSTER")] | length')" -ge 1 ] ||
    fail "no ROSTER_REFUSED entry for $G: $out"
kt "$G" status | grep -q "roster conflict .*version 3" || fail "keten status does not show the conflict"
rc=0; kt "$G" status --check > /dev/null || rc=$?
[ $rc = 2 ] || fail "status --check at $G exits $rc, not critical"
# Kept across a restart.
kt_kill "$G"; kt_start "$G"
has_alarm "$G" roster_conflict || fail "roster_conflict lost in a restart"
kt_kill "$UITV"; kt_start "$UITV"
wait_until 15 online "$G" || fail "$G not back"
member_alarm "$G" roster_refused || fail "roster_refused lost in a restart"
pass "same version, other content: refused, roster kept, alarm on both sides, on record"

# A strictly newer roster ends both alarms.
kt "$UITV" member add "$T/keys/om-d.pub" | grep -q "roster version 4" || fail "add d failed"
wait_until 15 has_rv "$G" 4 || fail "$G did not take v4"
has_alarm "$G" roster_conflict && fail "v4 did not end roster_conflict"
wait_until 15 g_settled || fail "v4 not answered"
member_alarm "$G" roster_refused && fail "v4 did not end roster_refused"
pass "a strictly newer roster ends the alarms"

# An older version, never seen here: the uitvoerder restored to v2 again
# makes a version 3 while the gemeente runs 4.
restore v2
sleep 1.1
T0=$(date -u +%FT%TZ)
kt "$UITV" member add "$T/keys/om-c.pub" | grep -q "roster version 3" || fail "add c again failed"
wait_until 15 has_alarm "$G" roster_conflict || fail "an older roster raised no roster_conflict"
[ "$(rv "$G")" = 4 ] || fail "$G went back to an older roster"
grep -q 'roster refused reason="roster version 3 is older than version 4 held here' "$T/$G.log" ||
    fail "the refusal of the older roster does not say why"
wait_until 15 member_alarm "$G" roster_refused || fail "no roster_refused for the older roster"
pass "an older roster: refused, roster kept, alarm on both sides"

# keten log show --type: by event and time.  The restored log holds the
# version-2 change from before T0; the version-3 change and its refusals
# came after.
count() { kt "$UITV" log show "$@" --json | jq '.events | length'; }
[ "$(count --type roster_changed)" -ge 2 ] || fail "not every ROSTER_CHANGED listed"
[ "$(count --type ROSTER_CHANGED --since "$T0")" = 1 ] || fail "--since does not bound the list"
[ "$(count --type Roster_Changed --until "$T0")" -ge 1 ] || fail "--until lists nothing before"
kt "$UITV" log show --type roster_changed --until "$T0" --json |
    jq -e '[.events[] | select(.what | test("om-c"))] | length == 0' > /dev/null ||
    fail "--until lists an entry after it"
out=$(kt "$UITV" log show --type roster_refused --since "$T0" --json)
echo "$out" | jq -e --arg g "$G" '.events | length >= 1 and all(.event == "ROSTER_REFUSED") and any(.node == $g)' \
    > /dev/null || fail "--type roster_refused --since lists the wrong entries: $out"
echo "$out" | jq -e '.order == "newest" and .limit == 100' > /dev/null || fail "defaults wrong: $out"
# Newest first, or oldest first; --limit bounds and says so.
kt "$UITV" log show --type message_sent --json |
    jq -e '[.events[].index] as $i | $i == ($i | sort | reverse) and ($i | length) >= 2' > /dev/null ||
    fail "not newest first"
kt "$UITV" log show --type message_sent --oldest-first --json |
    jq -e '[.events[].index] as $i | $i == ($i | sort)' > /dev/null || fail "not oldest first"
kt "$UITV" log show --type message_sent --limit 1 --json |
    jq -e '(.events | length) == 1 and .truncated' > /dev/null || fail "--limit does not bound"
[ "$(count --type roster_refused --since "$(date -u -d tomorrow +%F)")" = 0 ] ||
    fail "entries from the future"
kt "$UITV" log show --type roster_refused | grep -q "^INDEX .*EVENT .*NODE" || fail "no table"
kt "$UITV" log show --type roster_refused | grep -q "ROSTER_REFUSED entr" || fail "no summary line"
# Input checked before anything is asked.
if out=$(kt "$UITV" log show --type no_such_event 2>&1); then fail "an unknown event was taken"; fi
grep -q "one of: .*MESSAGE_REFUSED.*ROSTER_REFUSED" <<< "$out" || fail "unclear: $out"
if kt "$UITV" log show --type roster_refused --since 2026-13-01 2>/dev/null; then fail "a bad date taken"; fi
if kt "$UITV" log show --type roster_refused --limit 10001 2>/dev/null; then fail "limit above 10000 taken"; fi
if kt "$UITV" log show 2>/dev/null; then fail "log show without --case or --type ran"; fi
if out=$(kt "$G" log show --type roster_refused 2>&1); then fail "a partner listed a log it does not keep"; fi
pass "log show --type lists entries by event and time, bounded, and checks its input"

# An operator who has seen to the cause ends both alarms by hand; the
# uitvoerder's clearing is on record with the OS user.
kt "$G" roster clear-alarm | grep -q "roster_conflict cleared (it was raised for roster version 3)" ||
    fail "the partner's alarm was not cleared"
has_alarm "$G" roster_conflict && fail "roster_conflict still raised"
[ "$(jfield "$G" .roster_conflict)" = null ] || fail "the conflict is still shown"
if kt "$G" roster clear-alarm 2>/dev/null; then fail "cleared an alarm that was not raised"; fi
grep -q "roster conflict_cleared version=3 user=" "$T/$G.log" || fail "the clearing is not in $G's journal"
if kt "$UITV" roster clear-alarm 2>/dev/null; then fail "the uitvoerder cleared without a member"; fi
if kt "$UITV" roster clear-alarm no-such-member 2>/dev/null; then fail "cleared an unknown member"; fi
kt "$UITV" roster clear-alarm "$G" | grep -q "roster_refused cleared for $G" ||
    fail "the uitvoerder's alarm was not cleared"
member_alarm "$G" roster_refused && fail "roster_refused still raised"
member_alarm politie-test roster_refused || fail "another member's alarm went with it"
if kt "$UITV" roster clear-alarm "$G" 2>/dev/null; then fail "cleared twice"; fi
kt "$UITV" log show --type roster_alarm_cleared --json |
    jq -e --arg g "$G" --arg u "$(id -un)" '.events | length == 1 and .[0].node == $g and .[0].os_user == $u' \
    > /dev/null || fail "the clearing is not on record"
kt_kill "$UITV"; kt_start "$UITV"
member_alarm "$G" roster_refused && fail "a cleared alarm came back at a restart"
# A new refusal raises it again.
kt "$UITV" member add "$T/keys/om-d.pub" | grep -q "roster version 4" || fail "add d again failed"
wait_until 15 has_alarm "$G" roster_conflict || fail "a second conflict raised nothing at $G"
wait_until 15 member_alarm "$G" roster_refused || fail "a second refusal raised nothing at the uitvoerder"
pass "an operator clears the alarms, on record; a new refusal raises them again"
