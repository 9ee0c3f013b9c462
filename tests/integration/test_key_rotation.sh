#!/usr/bin/env bash
# Issue #5: the uitvoerder rotates a member's keys with an overlap period.
# The new keys are in the next roster version at once; until the overlap
# ends the member's node may go on with its old key file (it signs, is
# admitted and is reached under the old keys) and switches by a restart at
# a moment of its choosing.  Without an overlap the old keys stop at once.
source "$(dirname "$0")/lib.sh"
kt_federation gemeente-test:gemeente
wait_until 10 link_up politie-test || fail "no link"
wait_until 10 link_up gemeente-test || fail "no gemeente link"
rv() { jfield "$1" .roster_version; }
has_rv() { [ "$(rv "$1")" = "$2" ]; }
# switch_keys DIR ID: the operator puts ID's new key file from DIR in place.
switch_keys() {
    cp "$T/$1/$2.secret" "$T/keys/$2.secret"
    chmod 600 "$T/keys/$2.secret"
}
kt_signal_file "$T/s.json"
mkdir -p "$T/new"
# A rotation keeps the node's storage key (it wraps the data keys).
"$KETEN" keygen --id politie-test --kind politie --out "$T/new" \
    --storage-from "$T/keys/politie-test.secret" > /dev/null
"$KETEN" keygen --id gemeente-test --kind gemeente --out "$T/new" \
    --storage-from "$T/keys/gemeente-test.secret" > /dev/null
# Into the current key file's directory: refused, the key file untouched,
# and the refusal says what to do (docs/ROSTER.md, "Rotating a member's keys").
before=$(sha256sum < "$T/keys/politie-test.secret")
out=$("$KETEN" keygen --id politie-test --kind politie --out "$T/keys" \
    --storage-from "$T/keys/politie-test.secret" 2>&1) && fail "keygen wrote over the key file in use"
grep -q "refusing to overwrite $T/keys/politie-test.secret: .*give --out another directory.*docs/ROSTER.md" <<< "$out" \
    || fail "the refusal does not say what to do: $out"
[ "$(sha256sum < "$T/keys/politie-test.secret")" = "$before" ] || fail "the refused keygen changed the key file"
pass "keygen into the key file's own directory is refused and says what to do: $out"
mkdir -p "$T/third" "$T/anew"
"$KETEN" keygen --id politie-test --kind politie --out "$T/third" \
    --storage-from "$T/keys/politie-test.secret" > /dev/null
# One made without it would leave the node's records unreadable: the
# rotated keys with another storage key.
sed "s/^    storage-secret = .*/    storage-secret = $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')/" \
    "$T/new/politie-test.secret" > "$T/anew/politie-test.secret"
out=$("$KETEN" keygen --id politie-test --kind politie --out "$T/anew2" \
    --storage-from "$T/keys/gemeente-test.secret" 2>&1) && fail "another node's storage key taken: $out"
grep -q "holds the keys of gemeente-test" <<< "$out" || fail "--storage-from of another node: $out"

# Refusals first: nothing may change the roster.
if kt "$UITV" member rotate "$T/keys/politie-test.pub" 2>"$T/err"; then fail "rotated to the keys in use"; fi
grep -q "uses already" "$T/err" || fail "unclear refusal: $(cat "$T/err")"
if kt "$UITV" member rotate "$T/keys/$UITV.pub" 2>"$T/err"; then fail "rotated the uitvoerder"; fi
grep -q "pinned" "$T/err" || fail "unclear refusal: $(cat "$T/err")"
if kt "$UITV" member rotate "$T/new/politie-test.pub" --overlap-days 91 2>/dev/null; then
    fail "an overlap beyond 90 days was accepted"
fi
[ "$(rv "$UITV")" = 1 ] || fail "a refused rotation changed the roster"
pass "rotations to keys in use, of the uitvoerder, or with a 91-day overlap are refused"

# Rotate with an overlap: the police node still runs its old key file.
# At least 7 full days: until 00:00 Dutch time on the Dutch day 8.
day0=$(TZ=Europe/Amsterdam date -d '+8 days' +%F)
kt "$UITV" member rotate "$T/new/politie-test.pub" --overlap-days 7 | grep -q "roster version 2" \
    || fail "rotation failed"
wait_until 10 has_rv politie-test 2 || fail "politie did not get v2"
until=$(grep -A20 "^        politie-test" "$T/state-$UITV/roster.txt" | grep -o 'previous-until = "*[0-9-]*' \
    | grep -o '[0-9-]*$')
one_of_days "$day0" "$(TZ=Europe/Amsterdam date -d '+8 days' +%F)" "$until" \
    || fail "the roster does not keep the old keys until $day0 but '$until'"
[ "$(jfield politie-test .old_keys_until)" = "$until" ] || fail "politie does not show its deadline"
grep -q "rotates this node's keys" "$T/politie-test.log" || fail "politie does not say what to do"
"$KETEND" --config "$T/politie-test.cfg" --check | grep -q "this key file works until $until" \
    || fail "ketend --check does not see the rotation the running node sees"
kt politie-test signal submit --file "$T/s.json" --wait | grep -q delivered \
    || fail "a signal under the old keys was not delivered during the overlap"
# politie is a log witness: its cosignatures under the old key still count.
cosigned() { kt "$UITV" log checkpoints --json | jq -e '.checkpoints[0].cosigners == "politie-test"' > /dev/null; }
wait_until 10 cosigned || fail "the uitvoerder dropped politie's cosignature under its old key"
pass "during the overlap the old key file signs, connects, cosigns and is answered"

# A second rotation while the first one's overlap lasts would cut the node
# on its old key file off at once: refused.
if kt "$UITV" member rotate "$T/third/politie-test.pub" 2>"$T/err"; then fail "rotated twice in one overlap"; fi
grep -q "still in the overlap" "$T/err" || fail "unclear refusal: $(cat "$T/err")"

# The node switches key files by a restart; the new keys work, and the
# node that still holds only the old roster picks up from its kept copy.
kt_kill politie-test
# A key file made anew is refused at start: every record of the node
# would be unreadable under its storage key.
switch_keys anew politie-test
kt_launch politie-test && fail "ketend started on a key file with another storage key"
rc=0; "$KETEND" --config "$T/politie-test.cfg" > /dev/null 2>&1 || rc=$?
[ $rc = 78 ] || fail "a key file with another storage key exits $rc, not 78 (EX_CONFIG)"
grep -q "wrapped under another storage key than this key file's" "$T/politie-test.log" \
    || fail "the refusal does not say why: $(tail -3 "$T/politie-test.log")"
# ketend --check refuses it as the start does - the same words, exit 78 -
# reading keystore.db only: also a keystore from before the storage check
# (no check row: its newest key proves it), which it leaves without one.
KS="$T/state-politie-test/keystore.db"
ks_sum() { { cat "$KS"; cat "$KS-wal" 2> /dev/null || true; } | sha256sum; }
for row in 1 0; do
    [ $row = 1 ] || sqlite3 "$KS" "DELETE FROM storage_check"
    before=$(ks_sum)
    rc=0; "$KETEND" --config "$T/politie-test.cfg" --check > "$T/check.out" 2>&1 || rc=$?
    [ $rc = 78 ] || fail "--check of a key file with another storage key (check rows: $row): exit $rc, not 78: $(cat "$T/check.out")"
    grep -q "wrapped under another storage key than this key file's" "$T/check.out" \
        || fail "--check does not say why: $(cat "$T/check.out")"
    [ "$(ks_sum)" = "$before" ] || fail "--check wrote to keystore.db (check rows: $row)"
    [ "$(sqlite3 "$KS" "SELECT count(*) FROM storage_check")" = $row ] \
        || fail "--check changed keystore.db's storage check (check rows: $row)"
done
pass "--check refuses a key file with another storage key as the start does, writing nothing"
switch_keys new politie-test
"$KETEND" --config "$T/politie-test.cfg" --check > "$T/check.out" 2>&1 \
    || fail "--check refused the rotated key file that keeps the storage key: $(cat "$T/check.out")"
[ "$(sqlite3 "$KS" "SELECT count(*) FROM storage_check")" = 0 ] || fail "--check wrote the storage check"
kt_start politie-test
wait_until 10 link_up politie-test || fail "the new keys do not connect"
[ "$(jfield politie-test .old_keys_until)" = null ] || fail "still flagged as on the old keys"
kt politie-test signal submit --file "$T/s.json" --wait | grep -q delivered \
    || fail "a signal under the new keys was not delivered"
pass "after a restart with the new key file the node works under its new keys"

# Seen on its new keys (or the old ones leaked): the overlap ends at once.
kt "$UITV" member end-overlap politie-test | grep -q "roster version 3" || fail "end-overlap failed"
wait_until 10 has_rv politie-test 3 || fail "politie did not get v3"
if grep -A20 "^        politie-test" "$T/state-$UITV/roster.txt" | grep -q "previous-"; then
    fail "the old keys are still in the roster"
fi
kt politie-test signal submit --file "$T/s.json" --wait | grep -q delivered || fail "politie stopped after end-overlap"
if kt "$UITV" member end-overlap politie-test 2>"$T/err"; then fail "ended an overlap twice"; fi
grep -q "no key rotation overlap" "$T/err" || fail "unclear refusal: $(cat "$T/err")"
pass "end-overlap drops the old keys at once; the node on its new keys goes on"

# Without an overlap the old keys stop at once: the gemeente node on its
# old key file says so and stops; its connection is refused until it runs
# the new keys.
kt "$UITV" member rotate "$T/new/gemeente-test.pub" --overlap-days 0 | grep -q "roster version 4" \
    || fail "rotation without overlap failed"
stopped() { [ "$(jfield gemeente-test .expelled)" = true ]; }
wait_until 10 stopped || fail "the gemeente on old keys did not stop"
grep -q "replaces this node's keys: sending stopped" "$T/gemeente-test.log" \
    || fail "the gemeente does not say why it stopped"
offline() { [ "$(kt "$UITV" status --json | jq -r '.members[] | select(.id=="gemeente-test") | .online')" = false ]; }
wait_until 10 offline || fail "the old gemeente key is still online"
kt_kill gemeente-test
switch_keys new gemeente-test
kt_start gemeente-test
wait_until 10 link_up gemeente-test || fail "the gemeente's new keys do not connect"
online() { [ "$(kt "$UITV" status --json | jq -r '.members[] | select(.id=="gemeente-test") | .online')" = true ]; }
wait_until 10 online || fail "the uitvoerder does not see the gemeente on its new keys"
pass "without an overlap the old keys stop at once and the node says so; the new ones work"

# A change whose log entry cannot be written (log.db locked by another
# process) still takes effect - it was kept before anyone saw it - says
# what is missing, exits non-zero, and is logged on the next start.
"$KETEN" keygen --id om-test --kind om --out "$T/keys" > /dev/null
lock_db "$T/state-$UITV/log.db"
kt "$UITV" member add "$T/keys/om-test.pub" > "$T/out" 2> "$T/err" &
CPID=$!
wait_until 20 grep -q "change_incomplete" "$T/$UITV.log" || fail "the log entry did not fail"
unlock_db
if wait "$CPID"; then fail "a half-done change exited 0"; fi
grep -q "roster version 5" "$T/out" || fail "the change did not take effect: $(cat "$T/out" "$T/err")"
grep -q "not yet in the provenance log" "$T/err" || fail "the missing log entry is not reported: $(cat "$T/err")"
wait_until 10 has_rv politie-test 5 || fail "version 5 was not pushed"
kt_kill "$UITV"; kt_start "$UITV"
logged() { [ "$(sqlite3 "$T/state-$UITV/log.db" "SELECT count(*) FROM entry WHERE instr(entry, CAST('version 5 in force' AS BLOB)) > 0")" = 1 ]; }
logged || fail "version 5 was not logged (once) on the next start"
pass "a change whose log entry failed is in force, says so, and is logged on the next start"

# What waits for a member when its keys are rotated (here: a weegploeg
# agenda for the police node while it is down) is wrapped again for the
# new keys, so the node reads it after it switches key files.
wait_until 10 link_up politie-test || fail "no politie link after the restart"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
kt_kill politie-test
M=$(kt "$UITV" weegploeg agenda --start 2026-12-01T10:00 --location "Zaal 1" --case "$A" --json \
    | jq -r .meeting_id)
[[ "$M" == w-* ]] || fail "no meeting: $M"
kt "$UITV" member rotate "$T/third/politie-test.pub" --overlap-days 0 | grep -q "roster version 6" \
    || fail "the third rotation failed"
grep -q "relay rewrapped member=politie-test" "$T/$UITV.log" || fail "the waiting agenda was not wrapped again"
# The header the node gets is in the provenance log under its new hash.
[ "$(sqlite3 "$T/state-$UITV/log.db" "SELECT count(*) FROM entry WHERE instr(entry, CAST('wrapped again' AS BLOB)) > 0")" -ge 1 ] \
    || fail "the new header is not in the provenance log"
switch_keys third politie-test
# Down at the rotation, it never saw version 6: the operator copies it over.
cp "$T/state-$UITV/roster.txt" "$T/state-politie-test/roster.txt"
kt_start politie-test
has_agenda() { [ "$(kt politie-test agenda list --json | jq --arg m "$M" '[.meetings[] | select(.meeting_id==$m)] | length')" = 1 ]; }
wait_until 20 has_agenda || fail "the agenda that waited was not read under the new keys"
wait_until 20 relay_settled om-test || fail "what waited for politie was not all receipted"
if grep -q "does not unwrap" "$T/politie-test.log"; then fail "politie refused what waited for it"; fi
pass "what waited for a member is wrapped again for its new keys and read after the switch"

# A crash between keeping a rotation and wrapping again (simulated: the
# waiting rows are put back as they were before it): during the overlap
# the old key is still known, and the next start wraps them again.
mkdir -p "$T/fourth"
"$KETEN" keygen --id politie-test --kind politie --out "$T/fourth" \
    --storage-from "$T/keys/politie-test.secret" > /dev/null
kt_kill politie-test
M2=$(kt "$UITV" weegploeg agenda --start 2026-12-02T10:00 --location "Zaal 2" --case "$A" --json \
    | jq -r .meeting_id)
[[ "$M2" == w-* ]] || fail "no second meeting: $M2"
kt_kill "$UITV"
sqlite3 "$T/state-$UITV/node.db" \
    "SELECT hex(id) || '|' || hex(header) FROM relay WHERE recipient='politie-test' AND state=0" \
    > "$T/waiting"
[ -s "$T/waiting" ] || fail "nothing waits for politie"
kt_start "$UITV"
kt "$UITV" member rotate "$T/fourth/politie-test.pub" --overlap-days 7 | grep -q "roster version 7" \
    || fail "the fourth rotation failed"
kt_kill "$UITV"
while IFS='|' read -r id header; do
    sqlite3 "$T/state-$UITV/node.db" "UPDATE relay SET header=X'$header' WHERE id=X'$id'"
done < "$T/waiting"
before=$(grep -c "relay rewrapped member=politie-test" "$T/$UITV.log")
kt_start "$UITV"
[ "$(grep -c "relay rewrapped member=politie-test" "$T/$UITV.log")" -gt "$before" ] \
    || fail "the next start did not wrap the waiting agenda again"
switch_keys fourth politie-test
cp "$T/state-$UITV/roster.txt" "$T/state-politie-test/roster.txt"
kt_start politie-test
M=$M2
wait_until 20 has_agenda || fail "the agenda wrapped again at the start was not read under the new keys"
pass "a rotation interrupted before the rewrap is finished at the next start, during the overlap"

# Every rotation is in the provenance log, which still verifies.
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "the provenance log verifies after the rotations"
