#!/usr/bin/env bash
# A hostile but admitted member (its own keys, keten-member-flood) cannot
# stall the uitvoerder or grow its records without bound by reporting
# incidents or access notices: each member's first 20 incidents of an
# hour are registered, the rest refused with the reason, and the
# incident_flood alarm names the member; its access notices likewise past
# 2000 an hour (access_notice_flood).  The honest police node's signal
# still goes through during the flood.  The budget renews when the hour
# is over (the uitvoerder's wall clock moved, never a shorter hour).  An
# incident sent again under an id already registered is refused as "id
# reused" unless it is the same report from the same member.
source "$(dirname "$0")/lib.sh"
A=gemeente-maastricht
KETEN_WRAP=$(kt_clock_file_wrap "$UITV") kt_uitvoerder_up "$A:gemeente" "om-test:om"
kt_config politie-test
kt_start politie-test
wait_until 10 link_up politie-test || fail "no link for politie-test"

q() { sqlite3 "$T/state-$UITV/node.db" "$1"; }
registered() { q "SELECT count(*) FROM incident WHERE reporter='$1'"; }
refused_log() {  # refused_log NODE TEXT: MESSAGE_REFUSED entries of NODE whose what starts so
    kt "$UITV" log show --type MESSAGE_REFUSED --limit 10000 --json |
        jq --arg n "$1" --arg w "$2" '[.events[] | select(.node == $n and (.what | startswith($w)))] | length'
}
alarm() {  # alarm MEMBER NAME: true or false
    jfield "$UITV" ".members[] | select(.id==\"$1\") | .alarms | index(\"$2\") != null"
}

# Finding 6: the same id with another body, or from another member.
ID=$(openssl rand -hex 16)
FLOOD_ID=$ID kt_member_flood "$A" incident 1 > /dev/null
[ "$(q "SELECT count(*) FROM incident WHERE hex(message_id)=upper('$ID')")" = 1 ] ||
    fail "the first incident under the id was not registered"
FLOOD_ID=$ID FLOOD_SUBJECTS=777 kt_member_flood "$A" incident 1 > /dev/null
FLOOD_ID=$ID kt_member_flood om-test incident 1 > /dev/null
[ "$(q "SELECT count(*), max(subjects) FROM incident")" = "1|0" ] ||
    fail "an incident under a used id changed the register: $(q 'SELECT count(*), max(subjects) FROM incident')"
[ "$(refused_log "$A" "this message id is already used")" = 1 ] || fail "the other body was not refused as id reused"
[ "$(refused_log om-test "this message id is already used")" = 1 ] ||
    fail "another member's report under the id was not refused as id reused"
grep -q 'incident refused peer=om-test reason="id reused"' "$T/$UITV.log" || fail "no id reused line"
pass "an incident under an id already used, with another body or from another member, is refused"

# Finding 1: a flood of incidents, while the police submits a signal.
kt_member_flood "$A" incident 1500 > "$T/flood.out" &
FP=$!
sleep 0.5
kt_signal_file "$T/s.json" P-1
t0=$(date +%s%N)
kt_delivered politie-test "$T/s.json"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $FP || fail "the flood driver failed: $(cat "$T/flood.out")"
echo "# police signal during the flood: ${ms} ms; $(cat "$T/flood.out")"
[ "$ms" -lt 5000 ] || fail "the police signal took $ms ms during the flood"
[ "$(registered "$A")" = 20 ] || fail "$(registered "$A") incidents registered, want the budget's 20"
budget() { [ "$(refused_log "$A" "incident budget")" -ge "$1" ]; }
wait_until 30 budget 98 || fail "the refusals past the budget are not on record: $(refused_log "$A" "incident budget")"
[ "$(alarm "$A" incident_flood)" = true ] || fail "no incident_flood alarm"
[ "$(alarm politie-test incident_flood)" = false ] || fail "the police got the alarm"
[ "$(grep -c "incident_flood peer=$A" "$T/$UITV.log")" = 1 ] || fail "the flood is not in the journal once"
pass "past 20 incidents an hour the member's are refused and alarmed; the police signal took ${ms} ms"

# The list and the status summary: a page, the newest first.
n=$(kt "$UITV" incident list --json | jq '.incidents | length')
[ "$n" = 20 ] || fail "incident list shows $n"
[ "$(kt "$UITV" incident list --limit 5 --json | jq -c '[(.incidents | length), .truncated]')" = '[5,true]' ] ||
    fail "incident list --limit 5 is not a page"
first=$(kt "$UITV" incident list --json | jq -r '.incidents[-1].id')
kt "$UITV" incident list --limit 1 > "$T/list.txt"
grep -q -- "--limit N for more" "$T/list.txt" || fail "a cut list does not say so: $(cat "$T/list.txt")"
kt "$UITV" incident show "$first" | grep -q "what happened" || fail "show of the oldest failed"
[ "$(jfield "$UITV" '.incidents.ap_pending_count')" = 20 ] || fail "ap_pending_count is not 20"
[ "$(jfield "$UITV" '.incidents.ap_pending | length')" -le 20 ] || fail "ap_pending not capped"
pass "incident list is a page (--limit), show reads any one, the status counts"

# Finding 5: a flood of access notices.
kt_member_flood "$A" access 2100 > "$T/flood.out"
accessed() {
    kt "$UITV" log show --type PERSONAL_DATA_ACCESSED --limit 10000 --json |
        jq --arg n "$A" '[.events[] | select(.node == $n)] | length'
}
[ "$(accessed)" = 2000 ] || fail "$(accessed) access notices logged, want the budget's 2000"
[ "$(alarm "$A" access_notice_flood)" = true ] || fail "no access_notice_flood alarm"
grep -q "access_notice_flood peer=$A" "$T/$UITV.log" || fail "the access flood is not in the journal"
pass "past 2000 access notices an hour the member's are refused and alarmed"

# The hour over (the uitvoerder's wall clock, and the member's, an hour
# on): the budget is there again.
echo "+3700" > "$T/$UITV.clock"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
    LD_PRELOAD=$(kt_faketime_lib) FAKETIME=+3700 kt_member_flood "$A" incident 30 > /dev/null
[ "$(registered "$A")" = 40 ] || fail "$(registered "$A") incidents registered after the hour, want 40"
grep -q "incident_flood ended peer=$A refused=" "$T/$UITV.log" || fail "the hour's count is not said"
pass "after the hour the member's next 20 incidents are registered"
kt "$UITV" log verify > /dev/null || fail "log verify fails"
