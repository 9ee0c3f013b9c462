#!/usr/bin/env bash
# art. 15.2c, 18.2: the uitvoerder adds a member, changes a member's role,
# revokes a member at once and records an opzegging; each change is a new
# signed roster version, pushed to every node and applied without a
# restart; a revoked member's connection drops and its next is refused; a
# node that receives a roster without itself stops sending and says so.
source "$(dirname "$0")/lib.sh"
kt_federation gemeente-test:gemeente
kt_keys om-new om
wait_until 10 link_up politie-test || fail "no link"
wait_until 10 link_up gemeente-test || fail "no gemeente link"
rv() { jfield "$1" .roster_version; }
has_rv() { [ "$(rv "$1")" = "$2" ]; }

# Add: version 2 reaches every node; the new member starts from it.
kt "$UITV" member add "$T/keys/om-new.pub" | grep -q "roster version 2" || fail "add failed"
for id in politie-test gemeente-test; do wait_until 10 has_rv "$id" 2 || fail "$id did not get v2"; done
cp "$T/state-$UITV/roster.txt" "$T/roster-v2.txt"
kt_config om-new "$T/roster-v2.txt"
kt_start om-new
wait_until 10 link_up om-new || fail "the new member cannot connect"
if kt "$UITV" member add "$T/keys/om-new.pub" 2>/dev/null; then fail "added twice"; fi
pass "member added: version 2 pushed and applied without a restart; the new node connects"

# A .pub whose encryption key is of low order is refused before anything is
# signed or kept (every node's keyring would refuse the roster after it).
kt_keys om-weak om
sed -i 's/^\(    encryption-public = \).*/\10000000000000000000000000000000000000000000000000000000000000000/' "$T/keys/om-weak.pub"
rc=0; out=$(kt "$UITV" member add "$T/keys/om-weak.pub" 2>&1) || rc=$?
[ $rc != 0 ] && grep -q "low order" <<< "$out" || fail "a weak encryption key was taken (exit $rc): $out"
[ "$(rv "$UITV")" = 2 ] || fail "the refused member changed the roster version"
pass "a member whose encryption key is of low order is refused; the roster stays at version 2"

# The uitvoerder restarts from the version it kept.
kt_kill "$UITV"; kt_start "$UITV"
[ "$(rv "$UITV")" = 2 ] || fail "uitvoerder forgot version 2 across a restart"
# Online as the uitvoerder sees it (a partner's own link flag lags by up to
# a heartbeat timeout): the revoked member learns of it only while connected.
online() { [ "$(kt "$UITV" status --json | jq -r --arg m "$1" '.members[] | select(.id==$m) | .online')" = true ]; }
for id in politie-test gemeente-test om-new; do
    wait_until 10 online "$id" || fail "$id not back after the uitvoerder restart"
done

# Revoke: the gemeente learns it, stops sending and says so; its connection
# drops and a new one with its key is refused.
kt "$UITV" member revoke gemeente-test | grep -q "roster version 3" || fail "revoke failed"
expelled() { [ "$(jfield gemeente-test .expelled)" = true ]; }
wait_until 10 expelled || fail "the revoked node does not know"
grep -q "drops this node: sending stopped" "$T/gemeente-test.log" || fail "the revoked node does not say so"
kt_signal_file "$T/s.json"
if out=$(kt gemeente-test signal submit --file "$T/s.json" 2>&1); then fail "a revoked node still sends"; fi
grep -q "no longer a member" <<< "$out" || fail "refusal unclear: $out"
wait_until 10 has_rv politie-test 3 || fail "politie did not get v3"
offline() { [ "$(kt "$UITV" status --json | jq -r '.members[] | select(.id=="gemeente-test") | .online')" = false ]; }
wait_until 10 offline || fail "the revoked member still shows online"
# ketend --check on its config warns: a start would send nothing (its
# retention still goes on, so it is not refused).
kt_kill gemeente-test
rc=0; out=$("$KETEND" --config "$T/gemeente-test.cfg" --check 2>&1) || rc=$?
[ $rc = 0 ] && grep -q "warning: gemeente-test is no longer an active member" <<< "$out" \
    || fail "--check does not warn of a revoked node (exit $rc): $out"
# Restarted with the roster it kept: it still knows it left.
kt_start gemeente-test
[ "$(jfield gemeente-test .expelled)" = true ] || fail "the revoked node forgot it left across a restart"
if out=$(kt gemeente-test signal submit --file "$T/s.json" 2>&1); then fail "a revoked node queued a signal after a restart"; fi
grep -q "no longer a member" <<< "$out" || fail "refusal after the restart unclear: $out"
kt_kill gemeente-test
rm -rf "$T/state-gemeente-test"
kt_config gemeente-test "$T/roster.txt"   # its old roster (v1) and its keys
kt_start gemeente-test
sleep 2   # a few heartbeat rounds: the link must stay down
[ "$(jfield gemeente-test .link.up)" = false ] || fail "the revoked key connected again"
pass "revoked: the node stops sending, shows offline, and its key is refused"

# What the uitvoerder kept for the revoked member can never be delivered:
# withdrawn on record (a MESSAGE_REFUSED each), its sealed bytes gone.
relay_g() { sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE recipient='gemeente-test' AND $1"; }
# Done: nothing pending, and each withdrawn copy on record and blanked.
withdrawn_done() { [ "$(relay_g "state IN (0,3) OR (state=4 AND (log_owed=1 OR length(header)>0))")" = 0 ]; }
wait_until 10 withdrawn_done || fail "copies for the revoked member are still pending or kept: $(relay_g "state IN (0,3)")"
n=$(relay_g "state=4 AND refusal LIKE 'withdrawn:%'")
[ "$n" -ge 1 ] || fail "nothing withdrawn: the check cannot fail"
[ "$(kt "$UITV" status --json | jq -r '.members[] | select(.id=="gemeente-test") | .expired_messages')" = 0 ] \
    || fail "status counts the withdrawn copies as expired"
logged=$(kt "$UITV" log show --type MESSAGE_REFUSED --json | jq '[.events[]
    | select((.what | startswith("withdrawn")) and (.recipients | index("gemeente-test")))] | length')
[ "$logged" = "$n" ] || fail "$n copies withdrawn, $logged on record"
pass "the $n copy(ies) kept for the revoked member withdrawn on record, without their bytes"

# Opzegging: the member stays until three months later.
# Three months from the Dutch today (roster dates are Dutch days).
day0=$(TZ=Europe/Amsterdam date -d '+3 months' +%F)
kt "$UITV" member opzegging politie-test | grep -q "roster version 4" || fail "opzegging failed"
wait_until 10 has_rv politie-test 4 || fail "politie did not get v4"
leaves=$(grep -A12 "^        politie-test" "$T/state-$UITV/roster.txt" | grep -o 'leaves-at = "[0-9-]*"')
one_of_days "leaves-at = \"$day0\"" "leaves-at = \"$(TZ=Europe/Amsterdam date -d '+3 months' +%F)\"" "$leaves" \
    || fail "leaves-at wrong: $leaves"
kt politie-test signal submit --file "$T/s.json" --wait | grep -q delivered || fail "politie stopped too early"
pass "opzegging recorded: leaves-at three months on, the member works until then"

# Kind (and so role): om-new becomes reclassering, a casuspartij, and may
# no longer bring signals in (art. 7.1).
kt "$UITV" member kind om-new reclassering | grep -q "roster version 5" || fail "kind change failed"
wait_until 10 has_rv om-new 5 || fail "om-new did not get v5"
[ "$(jfield om-new .role)" = casuspartij ] || fail "om-new's role did not change"
if kt om-new signal submit --file "$T/s.json" 2>/dev/null; then fail "a casuspartij submitted a signal"; fi
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "a member's role follows its new kind at once"
