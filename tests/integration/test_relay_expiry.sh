#!/usr/bin/env bash
# A member away longer than delivery/max-age-s (30 days) would refuse the
# uitvoerder's older messages unread, so retrying them could never
# succeed: when it is heard from again they expire at the uitvoerder, on
# record in the provenance log (MESSAGE_REFUSED naming the member and the
# type), and `keten status` says what the member missed.  Newer messages
# still arrive; nothing is offered again after it expired.  Time moves for
# the whole federation at once (libfaketime), the rule is not shortened.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_federation "$G:gemeente"
for id in politie-test "$G"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

# The gemeente is away; an incident goes to every kernpartij's register.
kt_kill "$G"
kt politie-test incident report --what "Een USB-stick is kwijt." \
    --found "$(TZ=Europe/Amsterdam date -d '-1 hour' +%FT%H:%M)" --data-kind naw --subjects 1 \
    --wait | grep -q delivered || fail "incident not delivered"
pending() {
    sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE recipient='$G' AND state=0"
}
[ "$(pending)" -ge 1 ] || fail "no copy waits for $G"
WAITING=$(pending)

# 31 days later for everyone; the gemeente comes back.
kt_restart_all_at +31d "$UITV" politie-test
KETEN_WRAP=$(kt_clock_wrap +31d) kt_start "$G"
for id in politie-test "$G"; do wait_until 20 link_up "$id" || fail "no link for $id after 31 days"; done
expired() { [ "$(jfield "$UITV" ".members[] | select(.id==\"$G\") | .expired_messages")" = "$WAITING" ]; }
wait_until 20 expired || fail "status: $(kt "$UITV" status --json | jq -c ".members[] | select(.id==\"$G\")")"
[ "$(pending)" = 0 ] || fail "expired copies are still offered"
kt "$UITV" status | grep -q "$G missed $WAITING message" || fail "status text does not say what $G missed"
# A warning for the week after, so that someone sends again what it needs.
rc=0; out=$(kt "$UITV" status --check) || rc=$?
[ $rc -ge 1 ] && grep -q "$WAITING message(s) to members expired undelivered within 7 days" <<< "$out" \
    || fail "status --check does not warn of the expired copies (rc $rc): $out"
kt "$UITV" status | grep -Eq "^check +WARNING expired_messages: $WAITING message" \
    || fail "the text shows no check expired_messages"
logged=$(kt "$UITV" log show --type MESSAGE_REFUSED --json \
    | jq --arg g "$G" '[.events[] | select((.recipients // []) | index($g)) | select(.what | startswith("expired"))] | length')
[ "$logged" = "$WAITING" ] || fail "$logged of $WAITING expiries in the log"
grep -q "relay expired peer=$G messages=$WAITING" "$T/$UITV.log" || fail "no log line for the expiry"
pass "copies older than max-age-s expire at the uitvoerder, logged and shown, not retried"

# Something new reaches the gemeente as before; the expiry is logged once.
kt politie-test incident report --what "Verkeerd geadresseerde mail." \
    --found "$(TZ=Europe/Amsterdam date -d '+31 days -1 hour' +%FT%H:%M)" --data-kind naw \
    --subjects 1 --wait > /dev/null || fail "second incident not delivered"
settled() { [ "$(pending)" = 0 ] && [ "$(sqlite3 "$T/state-$UITV/node.db" \
    "SELECT count(*) FROM relay WHERE recipient='$G' AND state=1")" -ge 1 ]; }
wait_until 20 settled || fail "a new copy did not reach $G"
kt_restart_all_at +31d "$UITV"
wait_until 20 link_up "$G" || fail "no link after the uitvoerder's restart"
again=$(kt "$UITV" log show --type MESSAGE_REFUSED --json | jq '[.events[] | select(.what | startswith("expired"))] | length')
[ "$again" = "$WAITING" ] || fail "expiries logged $again times"
kt "$UITV" log verify > /dev/null || fail "log verify fails"
pass "new messages arrive; each expiry is logged once; the log verifies"
