#!/usr/bin/env bash
# A member that has left the federation (art. 15.2c, 18.2: revoked, or
# past the leaves-at of its opzegging) is no longer watched: `keten status`
# at the uitvoerder lists it as left, without alarms, the federation's
# summary does not count it, `keten status --check` stays OK, and the
# metrics serve no series for it - also after the uitvoerder restarts
# (docs/OPERATIONS.md, "Monitoring the federation").
source "$(dirname "$0")/lib.sh"

kt_federation gemeente-test:gemeente om-test:om
metrics_on "$UITV"
kt_kill "$UITV"
kt_start "$UITV"
online() { [ "$(jfield "$UITV" .federation.online)" = "$1" ]; }
wait_until 10 online 3 || fail "not all members online: $(kt "$UITV" status)"

# scrape OUT: the uitvoerder's metrics body, whole (rendered once a second).
scrape() {
    local ep
    ep=$(jfield "$UITV" .metrics_listen)
    http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r' | sed '1,/^$/d' > "$1"
    grep -q '^keten_check{' "$1"
}
# row ID: the uitvoerder's status row of member ID.
row() { kt "$UITV" status --json | jq -c --arg m "$1" '.members[] | select(.id == $m)'; }

# ---- an opzegging: a member like any other until its leaves-at ---------
kt "$UITV" member opzegging om-test > /dev/null
row om-test | jq -e '.left == false and (.leaves_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
                     and .online == true' > /dev/null \
    || fail "a member under notice is not shown as still in: $(row om-test)"

# ---- revoked: left at once, no alarm ------------------------------------
kt "$UITV" member revoke gemeente-test > /dev/null
# Its roster stays at the version without the revocation and it stops
# its heartbeats: before, that was stale_roster at once and offline after
# the timeout, for good.  Wait out the timeout.
expelled() { [ "$(jfield gemeente-test '.expelled // false')" = true ]; }
wait_until 10 expelled || fail "gemeente-test never learnt it was revoked"
sleep 3
row gemeente-test | jq -e '.left == true and .online == false and .alarms == []
                           and .roster_stale == false' > /dev/null \
    || fail "the revoked member is not shown as left without alarms: $(row gemeente-test)"
kt "$UITV" status --json | jq -e '.federation == {"members": 2, "online": 2, "alarms": 0}' > /dev/null \
    || fail "the summary counts the revoked member: $(jfield "$UITV" .federation)"
out=$(kt "$UITV" status --check) || fail "status --check exits $? after a revocation: $out"
[[ "$out" == "KETEN OK - $UITV: no alarms" ]] || fail "status --check after a revocation: $out"
table=$(kt "$UITV" status)
grep -Eq "^gemeente-test +gemeente +kernpartij +left .* -$" <<< "$table" \
    || fail "the table does not show the revoked member as left: $table"
grep -q "^members *2 of 2 online, 0 alarms; 1 left the federation" <<< "$table" \
    || fail "the summary line does not say who left: $table"
wait_until 5 scrape "$T/m.prom" || fail "no metrics"
if grep -q 'member="gemeente-test"' "$T/m.prom"; then
    fail "the metrics still serve the revoked member: $(grep 'member="gemeente-test"' "$T/m.prom")"
fi
for line in 'keten_members 2' 'keten_members_online 2' 'keten_alarms 0' \
    'keten_check{check="member_alarms",severity="critical"} 0'; do
    grep -qxF "$line" "$T/m.prom" || fail "metrics lack '$line': $(grep -E '^keten_(members|alarms|check)' "$T/m.prom")"
done
pass "a revoked member is shown as left: no alarm in status, --check or metrics, not counted"

# ---- the same after a restart, when it was never heard from -------------
kt_kill gemeente-test
kt_kill "$UITV"
kt_start "$UITV"
wait_until 10 online 2 || fail "the members still in did not come back: $(kt "$UITV" status)"
row gemeente-test | jq -e '.left == true and .alarms == []' > /dev/null \
    || fail "after a restart the revoked member is not left: $(row gemeente-test)"
out=$(kt "$UITV" status --check) || fail "status --check exits $? after a restart: $out"
[[ "$out" == "KETEN OK - $UITV: no alarms" ]] || fail "status --check after a restart: $out"
pass "after a restart the revoked member raises nothing either"

# ---- an opzegging's leaves-at passed: left ------------------------------
# Its three months are over: the federation's clocks a hundred days on.
kt_kill om-test
kt_restart_all_at +100d "$UITV" politie-test
wait_until 15 online 1 || fail "politie did not come back: $(kt "$UITV" status)"
row om-test | jq -e '.left == true and .online == false and .alarms == []' > /dev/null \
    || fail "the member past its leaves-at is not left: $(row om-test)"
kt "$UITV" status --json | jq -e '.federation == {"members": 1, "online": 1, "alarms": 0}' > /dev/null \
    || fail "the summary counts the member past its leaves-at: $(jfield "$UITV" .federation)"
# A hundred days on the access review is due (a warning); no member alarm.
rc=0; out=$(kt "$UITV" status --check) || rc=$?
[ $rc -lt 2 ] && ! grep -q "member alarm" <<< "$out" || fail "status --check past a leaves-at (rc $rc): $out"
wait_until 5 scrape "$T/m2.prom" || fail "no metrics"
if grep -qE 'member="(om|gemeente)-test"' "$T/m2.prom"; then
    fail "the metrics serve members that left: $(grep -E 'member="(om|gemeente)-test"' "$T/m2.prom")"
fi
grep -qxF 'keten_members 1' "$T/m2.prom" || fail "keten_members: $(grep '^keten_members' "$T/m2.prom")"
pass "a member past the leaves-at of its opzegging is shown as left, and raises nothing"
