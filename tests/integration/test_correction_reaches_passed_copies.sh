#!/usr/bin/env bash
# art. 12.5-12.6 with art. 9.2, 10.4-10.5: a correction reaches the copies
# of a signal's items that were passed on in the casusoverleg.
#
# - The gemeente shares two items of its signal with rvdk-test (a
#   casuspartij, `keten case share`); the uitvoerder discloses item 0 to
#   nctv-test (an externe casuspartner, `keten case disclose`, on the
#   gemeente's consent).
# - (a) The gemeente corrects item 0 (`keten signal correct`) while
#   nctv-test is down: rvdk-test's copy reads as the new item at once,
#   nctv-test's once it is back; each is a party of the correction that
#   confirms it, and until nctv-test has, the correction is not carried
#   out.  The old sealed copies are in no file of their state directories
#   (the copies are sealed: their text is in no file in the clear anyway).
# - The uitvoerder corrects item 1, which nctv-test was never disclosed:
#   rvdk-test's copy follows; nctv-test gets no notice, nor the new text
#   (art. 10.5).
# - The places of the copies name the signal's items they came from.
# - A share withdrawn on its way and taken all the same (its receipt came
#   after the withdrawal) is still reached.
# - (b) The gemeente withdraws the signal: both copies lose its items,
#   both confirm, and the sealed copies before it are left in no file.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie "$G":gemeente rvdk-test:rvdk nctv-test:extern; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" politie-test "$G" rvdk-test nctv-test
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
NODES=(politie-test "$G" rvdk-test nctv-test)
for id in "${NODES[@]}"; do kt_config "$id"; kt_start "$id"; done
for id in "${NODES[@]}"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

OLD0=Oudtekst4471     # item 0 as sent
NEW0=Nieuwtekst5582   # item 0 as the gemeente corrects it
OLD1=Tweedetekst6693  # item 1 as sent
NEW1=Bijgewerkt7704   # item 1 as the uitvoerder corrects it
kt_signal_file "$T/p.json" G-1
jq --arg a "Schoolverzuim bij $OLD0 (fictief)." --arg b "Gesprek met $OLD1 (fictief)." \
    '.wpg_basis = "none" | .legal_basis = "avg-6-1-e" | .source = {kind: "school"}
     | .items = [{kind: "fact", text: $a}, {kind: "fact", text: $b}]' "$T/p.json" > "$T/g.json"
out=$(kt "$G" signal submit --file "$T/g.json" --wait 2>&1) || fail "gemeente signal: $out"
S=$(echo "$out" | awk '$3 == "delivered" {print $2}')
[ -n "$S" ] || fail "gemeente signal not delivered: $out"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --party "$G" --party rvdk-test \
    --party nctv-test --criterion geweld --analysis "Fictief." > /dev/null
later=$(date -d '+30 days' +%F)
cat > "$T/plan.json" <<JSON
{ "goals": [ { "kind": "zorg", "text": "Begeleiding." } ],
  "measures": [ { "owner": "rvdk-test", "what": "Raadsonderzoek starten.", "due_on": "$later" } ] }
JSON
kt "$UITV" case plan "$A" --file "$T/plan.json" > /dev/null
has_plan() { [ "$(kt "$1" case list --json | jq -r --arg a "$A" '.cases[] | select(.case_ref==$a) | .plan_version')" = 1 ]; }
for id in "${NODES[@]}"; do wait_until 10 has_plan "$id" || fail "$id has no plan"; done

# The gemeente shares both items with rvdk-test; the uitvoerder discloses
# item 0 to nctv-test on the gemeente's consent.
kt "$G" case share "$A" --to rvdk-test --item "$S" --necessity "Nodig voor het raadsonderzoek." \
    --data-kind schoolverzuim --wait | grep -q delivered || fail "the share was not delivered"
kt "$G" case consent "$A" --to nctv-test --item "$S:0" --necessity "Nodig voor de risicoanalyse." \
    --data-kind schoolverzuim --wait | grep -q delivered || fail "the consent was not delivered"
kt "$UITV" case disclose "$A" --to nctv-test --item "$S:0" > /dev/null || fail "disclose failed"
# What a participant's copy reads: the texts of its shared or disclosed items.
copy() {
    kt "$1" case show "$A" --json | jq -r '[(.shared, .disclosures)[]?.items[]?.text] | join("|")'
}
reads() { [ "$(copy "$1")" = "$2" ]; }
wait_until 10 reads rvdk-test "Schoolverzuim bij $OLD0 (fictief).|Gesprek met $OLD1 (fictief)." \
    || fail "rvdk-test's share is not as sent: $(copy rvdk-test)"
wait_until 10 reads nctv-test "Schoolverzuim bij $OLD0 (fictief)." \
    || fail "nctv-test's disclosure is not as sent: $(copy nctv-test)"
wait_until 20 relay_settled || fail "the copies were not receipted"
pass "item 0 and 1 are shared with the casuspartij, item 0 disclosed to the externe casuspartner"

# The parties of a correction, and whether each confirmed.
parties() {
    kt "$UITV" correction list --json | jq -r --arg c "$1" '.corrections[] | select(.correction_id==$c)
        | [.parties[] | .node + ":" + .state] | sort | join(",")'
}
carried_out() {
    [ "$(kt "$UITV" correction list --json | jq -r --arg c "$1" \
        '.corrections[] | select(.correction_id==$c) | .carried_out')" = true ]
}
newest() { kt "$UITV" correction list --json | jq -r '.corrections | max_by(.decided_ms) | .correction_id'; }
# No file of the node's state directory holds text.
# The copies are sealed, so their text is in no file in the clear either
# way: what must be gone after a correction is the old sealed body.
# sealed_chunks ID: 32 bytes (hex) from the middle of each sealed body of
# the case's copies at node ID.
sealed_chunks() {
    local db table
    if [ "$1" = "$UITV" ]; then db="$T/state-$1/casusoverleg.db" table=disclosure
    else db="$T/state-$1/node.db" table=disclosure_in; fi
    sqlite3 -cmd ".timeout 10000" "$db" \
        "SELECT substr(hex(body), 2 * (length(body) / 2), 64) FROM $table WHERE case_ref='$A'"
}
# gone ID CHUNKS: none of the chunks is in a file of ID's state directory.
gone() {
    python3 - "$T/state-$1" $2 <<'PY' || fail "an old sealed body of $1 is still in its files"
import os, sys
root, chunks = sys.argv[1], [bytes.fromhex(c) for c in sys.argv[2:]]
for d, _, files in os.walk(root):
    for f in files:
        data = open(os.path.join(d, f), "rb").read()
        if any(c in data for c in chunks):
            sys.exit("%s holds an old sealed body" % os.path.join(d, f))
PY
}

# ---- (a) the gemeente corrects item 0, the externe casuspartner down ----
declare -A OLD_SEALED
for id in rvdk-test nctv-test "$UITV"; do
    OLD_SEALED[$id]=$(sealed_chunks "$id")
    [ -n "${OLD_SEALED[$id]}" ] || fail "no sealed copy at $id: the check cannot fail"
done
kt_kill nctv-test
echo "{\"kind\": \"fact\", \"text\": \"Schoolverzuim bij $NEW0 (fictief).\"}" > "$T/new0.json"
out=$(kt "$G" signal correct "$S" --item 0 --file "$T/new0.json" --wait 2>&1)
grep -q delivered <<< "$out" || fail "the gemeente's correction was not delivered: $out"
C0=$(newest)
wait_until 10 reads rvdk-test "Schoolverzuim bij $NEW0 (fictief).|Gesprek met $OLD1 (fictief)." \
    || fail "rvdk-test's share was not corrected: $(copy rvdk-test)"
rvdk_confirmed() { parties "$C0" | grep -q "rvdk-test:confirmed"; }
wait_until 10 rvdk_confirmed || fail "rvdk-test's confirmation is not listed: $(parties "$C0")"
parties "$C0" | grep -q "nctv-test:pending" || fail "nctv-test is not a party to confirm: $(parties "$C0")"
carried_out "$C0" && fail "the correction is carried out while nctv-test has not confirmed"
kt "$UITV" status --json | jq -e --arg c "$C0" \
    '[.corrections.unconfirmed[] | select(.correction_id==$c and .node=="nctv-test")] | length == 1' \
    > /dev/null || fail "keten status does not list nctv-test's confirmation as owed"
kt_start nctv-test
wait_until 10 link_up nctv-test || fail "no link for nctv-test after its restart"
wait_until 20 reads nctv-test "Schoolverzuim bij $NEW0 (fictief)." \
    || fail "nctv-test's disclosure was not corrected: $(copy nctv-test)"
wait_until 10 carried_out "$C0" || fail "the correction was not carried out: $(parties "$C0")"
[ "$(parties "$C0")" = "$G:confirmed,nctv-test:confirmed,rvdk-test:confirmed" ] \
    || fail "not exactly the holders confirmed: $(parties "$C0")"
for id in rvdk-test nctv-test "$UITV"; do gone "$id" "${OLD_SEALED[$id]}"; done
pass "(a) a correction reaches the shared and the disclosed copy; both confirm; the old sealed copies are in no file"

# ---- art. 10.5: item 1 was never disclosed to the externe casuspartner ----
echo "{\"kind\": \"fact\", \"text\": \"Gesprek met $NEW1 (fictief).\"}" > "$T/new1.json"
kt "$UITV" correction decide "$A" --signal "$S" --item 1 --correct-file "$T/new1.json" \
    --reason "Verzoek betrokkene (fictief)." > "$T/decided" || fail "decide failed: $(cat "$T/decided")"
C1=$(grep -Eo 'c-[0-9a-f]{16}' "$T/decided")
wait_until 10 reads rvdk-test "Schoolverzuim bij $NEW0 (fictief).|Gesprek met $NEW1 (fictief)." \
    || fail "rvdk-test's item 1 was not corrected: $(copy rvdk-test)"
wait_until 10 carried_out "$C1" || fail "the correction of item 1 was not carried out: $(parties "$C1")"
[ "$(parties "$C1")" = "$G:confirmed,rvdk-test:confirmed" ] \
    || fail "item 1's notice went elsewhere than to its holders: $(parties "$C1")"
reads nctv-test "Schoolverzuim bij $NEW0 (fictief)." || fail "nctv-test's copy changed: $(copy nctv-test)"
grep -q "correction=$C1" "$T/nctv-test.log" && fail "nctv-test received the notice of an item it does not hold"
pass "a correction of an item the externe casuspartner was not disclosed does not reach it (art. 10.5)"

# ---- each place names the signal's item it came from -----------------------
casusdb="$T/state-$UITV/casusoverleg.db"
places() {
    sqlite3 -cmd ".timeout 10000" "$casusdb" "SELECT recipient || ':' || position || '=' ||
        lower(hex(source_id)) || ':' || item_index FROM disclosed_item ORDER BY recipient, position"
}
want="nctv-test:0=$S:0
rvdk-test:0=$S:0
rvdk-test:1=$S:1"
[ "$(places)" = "$want" ] || fail "the places are not recorded: $(places)"
pass "each place of a share or disclosure names the signal's item it came from"

# ---- a participant confirms only once no old value is left in its files ----
# A reader holds rvdk-test's node.db (its write-ahead log cannot be
# emptied) while the uitvoerder corrects item 1 again: the copy changes,
# but rvdk-test does not confirm until its WAL is truncated; the notice,
# offered again, is noted once in its journal.
NEW1B=Herzien8815
echo "{\"kind\": \"fact\", \"text\": \"Gesprek met $NEW1B (fictief).\"}" > "$T/new1b.json"
mkfifo "$T/reader"
sqlite3 "$T/state-rvdk-test/node.db" < "$T/reader" > /dev/null 2>&1 &
READER=$!
exec 7> "$T/reader"
echo "BEGIN; SELECT count(*) FROM disclosure_in;" >&7
kt "$UITV" correction decide "$A" --signal "$S" --item 1 --correct-file "$T/new1b.json" \
    --reason "Verzoek betrokkene (fictief)." > "$T/decided" || fail "decide failed: $(cat "$T/decided")"
C3=$(grep -Eo 'c-[0-9a-f]{16}' "$T/decided")
waits() { grep -q "correction notice waits .*correction=$C3 .*held by a reader" "$T/rvdk-test.log"; }
wait_until 20 waits || { echo "COMMIT;" >&7; exec 7>&-; fail "rvdk-test did not wait for its WAL"; }
reads rvdk-test "Schoolverzuim bij $NEW0 (fictief).|Gesprek met $NEW1B (fictief)." \
    || { echo "COMMIT;" >&7; exec 7>&-; fail "rvdk-test's item 1 was not corrected: $(copy rvdk-test)"; }
sleep 2 # the notice is offered again at least once while the reader holds
parties "$C3" | grep -q "rvdk-test:pending" \
    || { echo "COMMIT;" >&7; exec 7>&-; fail "rvdk-test confirmed with its WAL not truncated: $(parties "$C3")"; }
echo "COMMIT;" >&7
exec 7>&-
wait "$READER" 2>/dev/null || true
wait_until 90 carried_out "$C3" || fail "the correction was not carried out once the reader ended: $(parties "$C3")"
[ "$(grep -c "correction notice waits .*correction=$C3 " "$T/rvdk-test.log")" -ge 2 ] \
    || fail "the notice was not offered again while rvdk-test waited"
noted=$(sqlite3 -cmd ".timeout 10000" "$T/state-rvdk-test/forget.db" \
    "SELECT count(*) FROM forgotten WHERE kind='correct' AND what LIKE '% correction $C3'")
[ "$noted" = 1 ] || fail "the notice offered again is noted $noted times in rvdk-test's journal"
pass "a participant confirms a correction only once its WAL is truncated; the notice is noted once"

# ---- a copy withdrawn after it was offered and taken all the same --------
# rvdk-test's share as a copy withdrawn on its way (its member's kind
# changed after it was offered) whose receipt came all the same: the node
# holds it, so a correction still reaches it (docs/ROSTER.md, "A
# member's kind changes").
SHARE=$(sqlite3 -cmd ".timeout 10000" "$casusdb" \
    "SELECT DISTINCT hex(message_id) FROM disclosed_item WHERE recipient='rvdk-test'")
kt_kill "$UITV"
[ "$(sqlite3 "$T/state-$UITV/node.db" "UPDATE relay SET state=4, taken_ms=settled_ms,
    refusal='withdrawn: composed for the member''s former kind' WHERE hex(id)='$SHARE';
    SELECT changes();")" = 1 ] || fail "the share is not a relay copy: the check cannot fail"
kt_start "$UITV"
for id in "$G" rvdk-test; do wait_until 10 link_up "$id" || fail "no link for $id"; done
NEW1C=Opnieuw9926
echo "{\"kind\": \"fact\", \"text\": \"Gesprek met $NEW1C (fictief).\"}" > "$T/new1c.json"
kt "$UITV" correction decide "$A" --signal "$S" --item 1 --correct-file "$T/new1c.json" \
    --reason "Verzoek betrokkene (fictief)." > "$T/decided" || fail "decide failed: $(cat "$T/decided")"
C4=$(grep -Eo 'c-[0-9a-f]{16}' "$T/decided")
wait_until 10 carried_out "$C4" || fail "the correction was not carried out: $(parties "$C4")"
[ "$(parties "$C4")" = "$G:confirmed,rvdk-test:confirmed" ] \
    || fail "rvdk-test, which took the withdrawn share, is not a party: $(parties "$C4")"
reads rvdk-test "Schoolverzuim bij $NEW0 (fictief).|Gesprek met $NEW1C (fictief)." \
    || fail "rvdk-test's item 1 was not corrected: $(copy rvdk-test)"
pass "a share withdrawn after it was offered, and taken all the same, is reached by a correction"

# ---- (b) the gemeente withdraws the signal ---------------------------------
for id in rvdk-test nctv-test "$UITV"; do OLD_SEALED[$id]=$(sealed_chunks "$id"); done
out=$(kt "$G" signal withdraw "$S" --reason "Onjuist ingestuurd (fictief)." --wait 2>&1)
grep -q delivered <<< "$out" || fail "the withdrawal was not delivered: $out"
C2=$(newest)
for id in rvdk-test nctv-test; do
    wait_until 10 reads "$id" "" || fail "$id still holds the withdrawn signal's items: $(copy "$id")"
done
wait_until 10 carried_out "$C2" || fail "the withdrawal was not carried out: $(parties "$C2")"
[ "$(parties "$C2")" = "$G:confirmed,nctv-test:confirmed,rvdk-test:confirmed" ] \
    || fail "not exactly the holders confirmed the withdrawal: $(parties "$C2")"
# The copies stay on record as received (a late repeat is not taken
# again), with nothing of the signal in them.
[ "$(kt rvdk-test case show "$A" --json | jq '.shared | length')" = 1 ] \
    && [ "$(kt nctv-test case show "$A" --json | jq '.disclosures | length')" = 1 ] \
    || fail "a copy's record went"
for id in rvdk-test nctv-test "$UITV"; do gone "$id" "${OLD_SEALED[$id]}"; done
pass "(b) a withdrawal empties the shared and the disclosed copy; both confirm; the sealed copies before it are in no file"

for id in "${NODES[@]}"; do kt "$id" log verify > /dev/null || fail "log verify fails at $id"; done
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "the logs verify"
