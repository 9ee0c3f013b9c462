#!/usr/bin/env bash
# Federations that know each other (docs/FEDERATIONS.md).  Three
# federations on one machine: Limburg with 10 nodes, Brabant and Zeeland
# with 4; the OM is a member of Limburg and of Brabant.  Limburg and
# Zeeland agree a peering (an entry in each roster; one side alone
# connects nowhere), connect over CurveZMQ and witness each other's log.
# A subject moves from Limburg to Zeeland on the decision of the
# kernpartij whose signal it is: Zeeland's weegploeg file holds it, both
# logs record it with each other's index and prove it, inzage at either
# side lists it, Brabant and the OM's Brabant node hold nothing of it.  A
# replayed transfer stores nothing new, a forged one is refused, a peer's
# log that goes back raises the alarm until its tree is named, and a
# peering ended by one side closes the link.
source "$(dirname "$0")/lib.sh"
# The uitvoerder's log goes back on purpose here: the witnesses' alarms that
# it went back are expected (lib.sh still fails on any other).
KT_LOG_ALARM_OK=1
SEND="$KETEN_BIN/tests/keten-peer-send"

# mkfed FED UITV ID:KIND...: keys, roster, configs and running nodes.
mkfed() {
    FED=$1 UITV=$2 KT_ROSTER="$T/roster-$1.txt" PORT=
    shift 2
    kt_keys "$UITV" uitvoerder
    local ids=("$UITV") spec
    for spec in "$@"; do kt_keys "${spec%%:*}" "${spec##*:}"; ids+=("${spec%%:*}"); done
    kt_roster 1 "$KT_ROSTER" "${ids[@]}"
    kt_config "$UITV"
    kt_start "$UITV"
    for id in "${ids[@]:1}"; do kt_config "$id"; kt_start "$id"; done
    for id in "${ids[@]:1}"; do wait_until 15 link_up "$id" || fail "no link for $id"; done
}
L=uitvoerder-limburg B=uitvoerder-brabant Z=uitvoerder-zeeland
mkfed pga-limburg "$L" politie-limburg:politie om-limburg:om gemeente-maastricht:gemeente \
    gemeente-heerlen:gemeente gemeente-venlo:gemeente gemeente-sittard-geleen:gemeente \
    rvdk-limburg:rvdk reclassering-limburg:reclassering extern-limburg:extern
P_L=$PORT
mkfed pga-brabant "$B" politie-brabant:politie om-brabant:om gemeente-eindhoven:gemeente
mkfed pga-zeeland "$Z" politie-zeeland:politie om-zeeland:om gemeente-middelburg:gemeente
P_Z=$PORT
pass "three federations run: Limburg (10 nodes), Brabant and Zeeland (4 each)"

# ---- a peering on one side only connects nowhere -----------------------------
kt "$L" peering add "$T/keys/$Z.pub" --federation pga-zeeland \
    --endpoint "tcp://127.0.0.1:$P_Z" > "$T/peer-l.out" || fail "peering add at Limburg: $(cat "$T/peer-l.out")"
grep -q "pga-zeeland/" "$T/peer-l.out" || fail "peering add prints no log key to compare: $(cat "$T/peer-l.out")"
sleep 3
[ "$(jfield "$L" '.peerings[0].connected')" = false ] || fail "connected with a peering on one side only"
pass "Limburg pins Zeeland: no connection while Zeeland's roster does not pin Limburg"

kt "$Z" peering add "$T/keys/$L.pub" --federation pga-limburg \
    --endpoint "tcp://127.0.0.1:$P_L" > /dev/null || fail "peering add at Zeeland"
up() { [ "$(jfield "$1" '.peerings[0].connected')" = true ]; }
wait_until 20 up "$L" || fail "Limburg's link to Zeeland is not up: $(jfield "$L" .peerings)"
wait_until 20 up "$Z" || fail "Zeeland's link to Limburg is not up: $(jfield "$Z" .peerings)"
[ "$(jfield "$L" '.peerings[0].connection')" = dials ] || fail "pga-limburg sorts first and should dial"
[ "$(jfield "$B" '.peerings | length')" = 0 ] || fail "Brabant has a peering"
pass "both rosters pin the other: Limburg dials, Zeeland admits it"

# ---- each witnesses the other's log ------------------------------------------
witnessed() { [ "$(jfield "$1" '.peerings[0].witness.checkpoint_size // 0')" -gt 0 ]; }
wait_until 20 witnessed "$L" || fail "Limburg verified no checkpoint of Zeeland's log: $(jfield "$L" .peerings[0].witness)"
wait_until 20 witnessed "$Z" || fail "Zeeland verified no checkpoint of Limburg's log: $(jfield "$Z" .peerings[0].witness)"
cosigned_by() {
    kt "$1" log checkpoints --json | jq -e --arg w "$2" '[.checkpoints[] | select((.cosigners // "") | tostring | contains($w))] | length > 0'
}
wait_until 20 cosigned_by "$L" "$Z" || fail "no checkpoint of Limburg's cosigned by $Z: $(kt "$L" log checkpoints --json | head -c 600)"
wait_until 20 cosigned_by "$Z" "$L" || fail "no checkpoint of Zeeland's cosigned by $L"
[ "$(jfield "$L" '.peerings[0].log_alarm')" = false ] || fail "a log alarm at Limburg"
pass "each uitvoerder verifies the other's checkpoints and cosigns them"
# Its witness's alarms that cannot be read are not known, not none: the
# peering's log_alarm is null and the section is named (status_incomplete).
pdb="$T/state-$L/peer-pga-zeeland.db"
sqlite3 "$pdb" "ALTER TABLE witness_alarm RENAME TO witness_alarm_away;"
json=$(kt "$L" status --json)
rc=0
kt "$L" status --check > /dev/null || rc=$?
sqlite3 "$pdb" "ALTER TABLE witness_alarm_away RENAME TO witness_alarm;"
jq -e '.peerings[0].log_alarm == null and ([.unreadable[]?.section] | index("peerings.pga-zeeland.witness") != null)' \
    <<< "$json" > /dev/null || fail "an unreadable peer witness: $(jq -c '{peerings, unreadable}' <<< "$json")"
[ "$rc" = 2 ] || fail "an unreadable peer witness is not critical (rc $rc)"
[ "$(jfield "$L" '.peerings[0].log_alarm')" = false ] || fail "log_alarm not false once readable again"
pass "a peer's witness that cannot be read: its log_alarm not known (null), named unreadable"
kt "$Z" backup "$T/bk-z" > /dev/null || fail "backup at Zeeland"

# ---- a subject moves from Limburg to Zeeland ---------------------------------
kt_signal_file "$T/s.json" L-1
jq '.subject.name = "Overdracht Testpersoon" | .subject.bsn = "111222333"' "$T/s.json" > "$T/s2.json"
kt politie-limburg signal submit --file "$T/s2.json" --wait | grep -q delivered || fail "signal not delivered"
CASE=$(kt "$L" signal list --json | jq -r '.signals[0].case_ref')
[[ "$CASE" == k-* ]] || fail "no case_ref: $CASE"

refused() {  # refused PATTERN ARGS...: the transfer is refused with PATTERN
    local pat=$1 out rc=0; shift
    out=$(kt "$L" transfer "$CASE" "$@" 2>&1) || rc=$?
    [ $rc != 0 ] && grep -q -- "$pat" <<< "$out" || fail "not refused with '$pat' (rc $rc): $out"
}
BASIS="art. 6 lid 1 sub e AVG; betrokkene verhuist naar Zeeland"
refused "no peering with federation pga-brabant" --to pga-brabant --basis "$BASIS"
refused "politie-limburg did not decide it moves to pga-zeeland" --to pga-zeeland --basis "$BASIS"
# art. 4: each kernpartij decides at its own node; a casuspartij does not.
out=$(kt rvdk-limburg decision transfer "$CASE" --to pga-zeeland --basis "$BASIS" --wait 2>&1) \
    && fail "a casuspartij decided a transfer: $out"
grep -q "this node is not one" <<< "$out" || fail "casuspartij refusal unclear: $out"
out=$(kt politie-limburg decision transfer "$CASE" --to pga-brabant --basis "$BASIS" --wait 2>&1) \
    && fail "a decision to a federation not peered was taken: $out"
grep -q "refused: no peering with that federation in force" <<< "$out" || fail "unpeered decision: $out"
kt politie-limburg decision transfer "$CASE" --to pga-zeeland --basis "Een andere grondslag" --wait \
    | grep -q " delivered$" || fail "the first decision was not delivered"
refused "politie-limburg decided that $CASE moves to pga-zeeland on another basis" --to pga-zeeland --basis "$BASIS"
[ "$(kt "$L" transfers --json | jq '.sent | length')" = 0 ] || fail "a refused transfer was recorded"
kt politie-limburg decision transfer "$CASE" --to pga-zeeland --basis "$BASIS" --wait \
    | grep -q " delivered$" || fail "the decision was not delivered"
kt "$L" log show --case "$CASE" --json | jq -e '[.events[] | select(.node == "politie-limburg"
    and .what == "transfer decision: to pga-zeeland")] | length == 2' > /dev/null \
    || fail "the decisions are not in Limburg's log under politie-limburg"
pass "refused without a peering, without the decision of the kernpartij whose signal it is, or on another basis; a casuspartij cannot decide; each decision signed at its node and logged"

kt "$L" transfer "$CASE" --to pga-zeeland --basis "$BASIS" --json > "$T/tr.json" || fail "transfer: $(cat "$T/tr.json")"
ID=$(jq -r .id "$T/tr.json")
accepted() { [ "$(kt "$L" transfers --json | jq -r --arg i "$ID" '.sent[] | select(.id == $i) | .state')" = accepted ]; }
wait_until 20 accepted || fail "the transfer was not accepted: $(kt "$L" transfers --json)"
SENT=$(kt "$L" transfers --json | jq -c --arg i "$ID" '.sent[] | select(.id == $i)')
A=$(jq -r .log_index <<< "$SENT") BZ=$(jq -r .peer_log_index <<< "$SENT")
REC=$(kt "$Z" transfers --json | jq -c --arg i "$ID" '.received[] | select(.id == $i)')
[ -n "$REC" ] || fail "Zeeland has no record of the transfer"
CZ=$(jq -r .case_ref <<< "$REC")
[ "$(jq -r '.from_case_ref + " " + (.sent_log_index | tostring) + " " + (.log_index | tostring) + " " + .federation + " " + .basis' <<< "$REC")" \
    = "$CASE $A $BZ pga-limburg $BASIS" ] || fail "Zeeland's record does not match Limburg's: $REC / $SENT"
kt "$Z" weegploeg subject "$CZ" --json > "$T/subj.json" || fail "Zeeland cannot show $CZ"
grep -q "Overdracht Testpersoon" "$T/subj.json" || fail "Zeeland's weegploeg file lacks the subject: $(head -c 400 "$T/subj.json")"
grep -q "Agent Test" "$T/subj.json" && fail "the melder crossed to Zeeland"
pass "the subject is in Zeeland's weegploeg file as $CZ, with a link back to Limburg's $CASE (no melder)"

# Both logs: sent at A, received at BZ, answered with BZ; each proves its entry.
kt "$L" log show --type transfer_sent --json | jq -e --argjson a "$A" --arg c "$CASE" \
    '[.events[] | select(.index == $a and .case_ref == $c)] | length == 1' > /dev/null \
    || fail "Limburg's log has no TRANSFER_SENT at $A: $(kt "$L" log show --type transfer_sent --json)"
kt "$L" log show --type transfer_answered --json | jq -e --arg w "accepted by pga-zeeland at its log index $BZ" \
    '[.events[] | select(.what == $w)] | length == 1' > /dev/null || fail "Limburg's log lacks Zeeland's index"
kt "$Z" log show --type transfer_received --json | jq -e --argjson b "$BZ" --arg c "$CASE" --arg a "$A" \
    '[.events[] | select(.index == $b and (.what | contains("its \($c) at its log index \($a)")))] | length == 1' \
    > /dev/null || fail "Zeeland's log has no TRANSFER_RECEIVED at $BZ naming $CASE and $A"
kt "$L" log proof --index "$A" > "$T/proof-l.out" || fail "Limburg cannot prove entry $A: $(cat "$T/proof-l.out")"
kt "$Z" log proof --index "$BZ" > "$T/proof-z.out" || fail "Zeeland cannot prove entry $BZ: $(cat "$T/proof-z.out")"
kt "$L" log verify > /dev/null || fail "Limburg's log does not verify"
kt "$Z" log verify > /dev/null || fail "Zeeland's log does not verify"
pass "both logs record the transfer with each other's index ($A, $BZ) and prove it"

# ---- the rest of the country holds nothing of it -----------------------------
for d in "$T/state-$B" "$T/state-politie-brabant" "$T/state-om-brabant" "$T/state-gemeente-eindhoven"; do
    ! grep -rlaF -e "$CASE" -e "$CZ" -e "$ID" "$d" > /dev/null || fail "$d holds the transferred subject"
done
grep -rlaF "$CASE" "$T/state-$L" > /dev/null || fail "the check cannot fail: Limburg's files do not name $CASE"
[ "$(kt "$B" transfers --json | jq '.received | length')" = 0 ] || fail "Brabant received a transfer"
pass "Brabant, and the OM's Brabant node, hold nothing of it"

# ---- inzage at either side lists the transfer --------------------------------
TODAY=$(TZ=Europe/Amsterdam date +%F)
inzage() {  # inzage UITV CASE KERNPARTIJ: the overview's text
    local r
    r=$(kt "$1" request open --kind inzage --received "$TODAY" --from betrokkene \
        --identity-by "Baliemedewerker Test" --identity-how "paspoort ingezien" --json | jq -r .request_id)
    kt "$1" request link "$r" "$2" > /dev/null
    kt "$3" request decide "$r" --grant | grep -q " delivered$" || fail "no grant from $3"
    mkdir -p "$T/out-$1"
    kt "$1" request answer "$r" --out "$T/out-$1" > /dev/null
    cat "$T/out-$1/overzicht-$r.txt"
}
inzage "$L" "$CASE" politie-limburg > "$T/inz-l.txt"
grep -q "aan de uitvoerder van een andere regio ($Z)" \
    "$T/inz-l.txt" || fail "Limburg's inzage does not list the transfer: $(cat "$T/inz-l.txt")"
inzage "$Z" "$CZ" politie-zeeland > "$T/inz-z.txt"
grep -q "van de uitvoerder van pga-limburg" "$T/inz-z.txt" \
    || fail "Zeeland's inzage does not list the transfer: $(cat "$T/inz-z.txt")"
pass "inzage at Limburg lists the transfer as a recipient; at Zeeland where it came from"
# No trust carried further: what Zeeland took in is not Zeeland's to pass on.
out=$(kt "$Z" transfer "$CZ" --to pga-limburg --basis x 2>&1) \
    && fail "a subject taken in was passed on: $out"
grep -q "nothing to transfer: no kernpartij of this region brought in a signal of $CZ" <<< "$out" \
    || fail "passing on refused unclearly: $out"
pass "a subject taken in from another region is not passed on"

# ---- a replayed transfer stores nothing; a forged one is refused -------------
kt_kill "$Z"
jq '.subject.name = "Tweede Testpersoon" | .subject.bsn = "123456782" | .local_ref = "L-2"
    | . + {items: [{kind: "fact", text: "Geblokkeerd4477 (fictief)."}]}' "$T/s.json" > "$T/s3.json"
out=$(kt politie-limburg signal submit --file "$T/s3.json" --wait)
grep -q delivered <<< "$out" || fail "second signal: $out"
S2=$(echo "$out" | grep -Eo '[0-9a-f]{32}' | head -n1)
CASE2=$(kt "$L" signal list --json | jq -r --arg c "$CASE" '[.signals[] | select(.case_ref != $c)][0].case_ref')
kt politie-limburg decision transfer "$CASE2" --to pga-zeeland --basis "$BASIS" --wait > /dev/null
kt "$L" transfer "$CASE2" --to pga-zeeland --basis "$BASIS" --json > "$T/tr2.json"
ID2=$(jq -r .id "$T/tr2.json")
envelope_hex() { sqlite3 "$T/state-$L/node.db" "SELECT hex(envelope) FROM transfer_out WHERE hex(id) = upper('$ID2')"; }
OLD=$(envelope_hex)
[ -n "$OLD" ] || fail "no pending envelope kept for $ID2"
# art. 12.5-12.6: an item blocked while the transfer waits for Zeeland is
# not in what Zeeland gets: the envelope is sealed again, under its id.
kt "$L" correction decide "$CASE2" --signal "$S2" --item 0 --block > /dev/null || fail "block failed"
resealed() { local now; now=$(envelope_hex); [ -n "$now" ] && [ "$now" != "$OLD" ]; }
wait_until 20 resealed || fail "the waiting transfer was not sealed again after the correction"
envelope_hex | xxd -r -p > "$T/env.bin"
FED=pga-zeeland UITV=$Z PORT=$P_Z KT_ROSTER="$T/roster-pga-zeeland.txt" kt_start "$Z"
ID=$ID2 wait_until 30 accepted || fail "the second transfer was not accepted after Zeeland came back"
CZ2=$(kt "$Z" transfers --json | jq -r --arg i "$ID2" '.received[] | select(.id == $i) | .case_ref')
kt "$Z" weegploeg subject "$CZ2" --json > "$T/subj2.json" || fail "Zeeland cannot show $CZ2"
grep -q "Tweede Testpersoon" "$T/subj2.json" || fail "Zeeland lacks the second subject"
if grep -q Geblokkeerd4477 "$T/subj2.json"; then fail "Zeeland got an item blocked before the transfer was delivered"; fi
count() { sqlite3 "$T/state-$Z/log.db" "SELECT count(*) FROM sqlite_master" > /dev/null; kt "$Z" log show --type transfer_received --json | jq '.events | length'; }
N_LOG=$(count)
N_SIG=$(kt "$Z" signal list --json | jq '.signals | length')
[ "$N_LOG" = 2 ] && [ "$N_SIG" = 2 ] || fail "Zeeland: $N_LOG transfers logged, $N_SIG signals"
ZT=$(awk '/transport-public/ {print $3}' "$T/keys/$Z.pub")
"$SEND" "$T/keys/$L.secret" "$ZT" "tcp://127.0.0.1:$P_Z" "$T/env.bin" > "$T/replay.out" \
    || fail "replay not sent: $(cat "$T/replay.out")"
dup() { grep -q "transfer duplicate id=$ID2 federation=pga-limburg same=yes" "$T/$Z.log"; }
wait_until 10 dup || fail "the replay was not seen as the same transfer: $(tail -5 "$T/$Z.log")"
grep -q "answers=[1-9]" "$T/replay.out" || fail "the replay got no answer: $(cat "$T/replay.out")"
# A forgery: one byte of the signed header changed.
"$SEND" "$T/keys/$L.secret" "$ZT" "tcp://127.0.0.1:$P_Z" "$T/env.bin" 40 > "$T/forge.out" || fail "forgery not sent"
forged() { grep -q "peer message refused id=.* federation=pga-limburg" "$T/$Z.log"; }
wait_until 10 forged || fail "the forged transfer was not refused: $(tail -5 "$T/$Z.log")"
[ "$(count)" = 2 ] && [ "$(kt "$Z" signal list --json | jq '.signals | length')" = 2 ] \
    || fail "a replay or forgery stored something"
pass "a replayed transfer is answered as before and stores nothing; a forged one is refused"

# ---- a peer's log that goes back raises the alarm; its operator names the tree --
kt_kill "$Z"
"$KETEN" -c "$T/$Z.cfg" restore "$T/bk-z" > /dev/null || fail "restore at Zeeland"
FED=pga-zeeland UITV=$Z PORT=$P_Z KT_ROSTER="$T/roster-pga-zeeland.txt" kt_start "$Z"
peer_alarm() { [ "$(jfield "$L" '.peerings[0].log_alarm')" = true ]; }
wait_until 30 peer_alarm || fail "Limburg did not see Zeeland's log go back: $(jfield "$L" .peerings[0])"
rc=0; kt "$L" status --check > "$T/check.out" || rc=$?
[ $rc = 2 ] && grep -q "peered federation(s) whose log showed a fork or rollback" "$T/check.out" \
    || fail "status --check does not say so (rc $rc): $(cat "$T/check.out")"
out=$(kt politie-limburg log reanchor --peer pga-zeeland --size 1 --root "$(printf '0%.0s' $(seq 64))" --reason x 2>&1) \
    && fail "a partner took --peer: $out"
read -r size root < <(kt "$Z" status --json | jq -r '"\(.log.size) \(.log.root)"')
kt "$L" log reanchor --peer pga-zeeland --size "$size" --root "$root" \
    --reason "Zeeland restored from a backup (fictief)" > /dev/null || fail "reanchor at Limburg"
[ "$(jfield "$L" '.peerings[0].log_alarm')" = false ] || fail "the alarm stays after the reanchor"
kt_signal_file "$T/z.json" Z-1
sed -i 's/Maastricht/Middelburg/' "$T/z.json"
kt politie-zeeland signal submit --file "$T/z.json" --wait > /dev/null || fail "no signal at Zeeland"
follows() { [ "$(jfield "$L" '.peerings[0].witness.checkpoint_size')" -gt "$size" ]; }
wait_until 20 follows || fail "Limburg's witness does not follow Zeeland's log from the named tree"
[ "$(jfield "$L" '.peerings[0].log_alarm')" = false ] || fail "a new alarm after the reanchor"
pass "Zeeland restored: Limburg's witness raises peer_log_alarms; re-anchored on the named tree it follows again"

# ---- a peering ended by one side closes the link -----------------------------
kt "$Z" peering end pga-limburg > /dev/null || fail "peering end"
down() { [ "$(jfield "$L" '.peerings[0].connected')" = false ]; }
wait_until 20 down || fail "Limburg still connected after Zeeland ended the peering"
[ "$(jfield "$Z" '.peerings | length')" = 0 ] || fail "Zeeland still has the link"
pass "Zeeland ends the peering: the link closes"
