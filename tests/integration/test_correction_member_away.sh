#!/usr/bin/env bash
# art. 12.6: a correction notice reaches a member that was away longer
# than delivery/max-age-s.  The gemeente is down when a deletion is
# decided; the federation's clocks move 32 days on, past the age at which
# the gemeente refuses a message unread.  At its first heartbeat the
# uitvoerder's copy expires (on record) and the notice is made again,
# fresh: the gemeente applies it, the deleted text leaves its agenda, the
# correction is carried out, and the list shows the gemeente once.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_federation "$G:gemeente"
for id in politie-test "$G"; do wait_until 10 link_up "$id" || fail "no link for $id"; done
kt_signal_file "$T/t.json" R-2
jq '. + {items: [{kind: "fact", text: "Vierwekentekst (fictief)."}]}' "$T/t.json" > "$T/t2.json"
out=$(kt politie-test signal submit --file "$T/t2.json" --wait)
S=$(echo "$out" | awk '$3 == "delivered" {print $2}')
[ -n "$S" ] || fail "signal not delivered: $out"
A=$(kt "$UITV" signal list --json | jq -r --arg id "$S" '.signals[] | select(.message_id==$id) | .case_ref')
M=$(kt "$UITV" weegploeg agenda --start "$(date -d '+14 days' +%F)T10:00" --location "Stadhuis" \
    --case "$A" --json | jq -r .meeting_id)
on_agenda() { kt "$1" agenda show "$M" --json 2> /dev/null | grep -qF Vierwekentekst; }
for id in politie-test "$G"; do wait_until 10 on_agenda "$id" || fail "$id has no agenda"; done
wait_until 20 relay_settled || fail "the agendas were not receipted"

kt_kill "$G"
out=$(kt "$UITV" correction decide "$A" --signal "$S" --item 0 --delete --reason "Verzoek betrokkene (fictief).")
C=$(grep -Eo 'c-[0-9a-f]{16}' <<< "$out")
[ -n "$C" ] || fail "no correction decided: $out"
# The due time printed is UTC, and says so.
grep -Eq "decided; due [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC$" <<< "$out" \
    || fail "the due time does not say it is UTC: $out"
parties() {
    kt "$UITV" correction list --json | jq -r --arg c "$C" '.corrections[] | select(.correction_id==$c)
        | [.parties[] | .node + ":" + .state] | sort | join(",")'
}
pol_ok() { parties | grep -q "politie-test:confirmed"; }
wait_until 10 pol_ok || fail "politie did not confirm: $(parties)"

# 32 days on; the gemeente comes back.
kt_restart_all_at +32d "$UITV" politie-test
wait_until 20 link_up politie-test || fail "no link for politie after 32 days"
KETEN_WRAP="$(kt_clock_wrap +32d)" kt_start "$G"
wait_until 20 link_up "$G" || fail "no link for the gemeente after 32 days"
expired_logged() {
    kt "$UITV" log show --type MESSAGE_REFUSED --json | jq -e --arg g "$G" \
        '[.events[] | select((.recipients // []) | index($g))] | length >= 1' > /dev/null
}
wait_until 20 expired_logged || fail "the expired notice is not on record"
gone() { ! on_agenda "$G"; }
wait_until 20 gone || fail "the gemeente still holds the deleted text: $(parties)"
carried_out() {
    [ "$(kt "$UITV" correction list --json | jq -r --arg c "$C" \
        '.corrections[] | select(.correction_id==$c) | .carried_out')" = true ]
}
wait_until 20 carried_out || fail "the correction was not carried out: $(parties)"
[ "$(parties)" = "$G:confirmed,politie-test:confirmed" ] \
    || fail "the parties are not each listed once, confirmed: $(parties)"
grep -q "correction notice_made_again id=$C peer=$G" "$T/$UITV.log" \
    || fail "the uitvoerder did not say it made the notice again"
[ "$(kt "$UITV" status --json | jq '.corrections.overdue | length')" = 0 ] \
    || fail "the correction is still overdue"
pass "a notice expired on its way to a member away 32 days is made again; the member applies it; carried out"

# Restarted, nothing is made again: the member has it.
kt_restart_all_at +32d "$UITV"
wait_until 20 link_up "$G" || fail "no link for the gemeente after the restart"
[ "$(grep -c "correction notice_made_again id=$C" "$T/$UITV.log")" = 1 ] \
    || fail "the notice was made again once more after a restart"
for id in "$UITV" politie-test "$G"; do kt "$id" log verify > /dev/null || fail "log verify fails at $id"; done
pass "a restart makes nothing again; the logs verify"
