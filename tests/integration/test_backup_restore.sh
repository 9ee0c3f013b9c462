#!/usr/bin/env bash
# Backup and restore (docs/OPERATIONS.md, "Backup and restore").
#
# - `keten backup DIR` at a running uitvoerder and politie: every database
#   file with a manifest whose sizes and SHA-256 match; a directory that is
#   not empty, a relative parent that does not exist, are refused.
# - A restore while ketend runs, of another node's backup, or of a damaged
#   backup is refused and changes nothing.
# - A correction (art. 12.5) after a backup: the restored uitvoerder and
#   politie hold the old text again in their files, and the next start
#   carries the correction out again before serving: both show the new
#   text, neither the old.
# - A subject destroyed (art. 13, the whole federation's clock moved 184
#   days) after a backup comes back with the restored files, and is
#   destroyed again at the next start, before the node serves anything: its
#   rows and its key are in no file of the node's state.  At the uitvoerder the log went
#   back: politie, its witness, says so (log_alarm), as documented, until
#   its operator re-anchors it on the tree the uitvoerder's operator names
#   (`keten log reanchor`); from there it follows the log, proven as
#   always.  At politie the notice's own message ids are destroyed again.
# - A schema migration takes a copy first (a module's version set back).
source "$(dirname "$0")/lib.sh"
# The uitvoerder's log goes back on purpose here: the witnesses' alarms that
# it went back are expected (lib.sh still fails on any other).
KT_LOG_ALARM_OK=1
kt_referentiekader
kt_federation
wait_until 10 link_up politie-test || fail "no link"

kt_signal_file "$T/a.json" R-1
OLD=Ouderwetsch7731
NEW=Nieuwerwetsch4410
jq --arg t "Gezien bij $OLD (fictief)." '. + {items: [{kind: "fact", text: $t}]}' "$T/a.json" > "$T/a2.json"
mv "$T/a2.json" "$T/a.json"
out=$(kt politie-test signal submit --file "$T/a.json" --wait)
grep -q delivered <<< "$out" || fail "signal not delivered: $out"
S=$(echo "$out" | grep -Eo '[0-9a-f]{32}' | head -n1)
A=$(kt "$UITV" signal list --json | jq -r --arg id "$S" '.signals[] | select(.message_id==$id) | .case_ref')
[[ "$A" == k-* ]] || fail "no case_ref"
M=$(kt "$UITV" weegploeg agenda --start 2026-12-14T10:00 --location "Stadhuis" --case "$A" --json | jq -r .meeting_id)
shows() {  # shows NODE TEXT: what the node shows of A's signal holds TEXT
    if [ "$1" = "$UITV" ]; then kt "$UITV" weegploeg subject "$A" --json | grep -qF "$2"
    else kt "$1" agenda show "$M" --json 2> /dev/null | grep -qF "$2"; fi
}
wait_until 10 shows politie-test "$OLD" || fail "politie's agenda does not show the item"
kt "$UITV" weegploeg decide "$A" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." > /dev/null
decided() { kt politie-test decision list --json | jq -e --arg a "$A" '[.decisions[] | select(.case_ref==$a)] | length == 1'; }
wait_until 10 decided || fail "politie has no decision"
wait_until 20 relay_settled || fail "copies not receipted"

# ---- backup ---------------------------------------------------------------
mkdir "$T/bk"
kt "$UITV" backup "$T/bk/u0" | grep -q "^backup of $UITV written to $T/bk/u0: [0-9]* files" \
    || fail "backup at the uitvoerder"
m="$T/bk/u0/MANIFEST.json"
for f in node.db keystore.db forget.db weegploeg.db log.db; do
    [ "$(jq -r --arg f "$f" '.files[] | select(.name==$f) | .sha256' "$m")" = "$(sha256sum "$T/bk/u0/$f" | cut -d' ' -f1)" ] \
        || fail "$f missing from the backup or its sha256 differs"
done
jq -e --arg u "$UITV" '.node==$u and .kind=="uitvoerder" and .purpose=="backup" and .format=="keten-backup-1"' "$m" > /dev/null \
    || fail "manifest: $(cat "$m")"
[ "$(stat -c %a "$T/bk/u0")" = 700 ] && [ "$(stat -c %a "$T/bk/u0/log.db")" = 600 ] || fail "backup not private"
sqlite3 "$T/bk/u0/weegploeg.db" "PRAGMA integrity_check" | grep -qx ok || fail "copy not a sound database"
out=$(kt "$UITV" backup "$T/bk/u0" 2>&1) && fail "backup into a full directory: $out"
grep -q "is not empty" <<< "$out" || fail "refusal unclear: $out"
out=$(kt "$UITV" backup "$T/nowhere/x" 2>&1) && fail "backup below a missing directory: $out"
pass "backup: every database file, manifest and checksums match; a used or missing directory refused"

# ---- refusals ----------------------------------------------------------------
kt politie-test backup "$T/bk/p0" > /dev/null || fail "backup at politie"
out=$("$KETEN" -c "$T/$UITV.cfg" restore "$T/bk/u0" 2>&1) && fail "restore while ketend runs: $out"
grep -q "is running" <<< "$out" || fail "running refusal unclear: $out"
kt_kill "$UITV"
before=$(cd "$T/state-$UITV" && sha256sum ./*.db)
cp -r "$T/bk/u0" "$T/bk/bad"
printf 'x' | dd of="$T/bk/bad/weegploeg.db" bs=1 seek=5000 conv=notrunc status=none
out=$("$KETEN" -c "$T/$UITV.cfg" restore "$T/bk/bad" 2>&1) && fail "restore of a damaged backup: $out"
grep -q "weegploeg.db does not match the manifest" <<< "$out" || fail "damage unclear: $out"
rm "$T/bk/bad/MANIFEST.json"
out=$("$KETEN" -c "$T/$UITV.cfg" restore "$T/bk/bad" 2>&1) && fail "restore without a manifest: $out"
grep -q "an unfinished backup" <<< "$out" || fail "no-manifest refusal unclear: $out"
rm -r "$T/bk/bad"; cp -r "$T/bk/u0" "$T/bk/bad"
jq 'del(.files[] | select(.name == "keystore.db"))' "$T/bk/u0/MANIFEST.json" > "$T/bk/bad/MANIFEST.json"
rm "$T/bk/bad/keystore.db"
out=$("$KETEN" -c "$T/$UITV.cfg" restore "$T/bk/bad" 2>&1) && fail "restore without the keystore: $out"
grep -q "does not hold what this node has: keystore.db" <<< "$out" || fail "incomplete backup unclear: $out"
[ "$before" = "$(cd "$T/state-$UITV" && sha256sum ./*.db)" ] || fail "a refused restore changed files"
ls -d "$T/state-$UITV"/before-restore-* "$T/state-$UITV"/restore-incoming-* 2> /dev/null \
    && fail "a refused restore left a directory"
# A restore cut off half-way (its staging directory still there): ketend
# does not start on it, and says what to do (exit 78: not to be retried).
mkdir "$T/state-$UITV/restore-incoming-1"
rc=0; "$KETEND" --config "$T/$UITV.cfg" > "$T/cut.log" 2>&1 || rc=$?
[ $rc = 78 ] && grep -q "a restore was cut off half-way" "$T/cut.log" || fail "ketend on a half restore (rc $rc): $(cat "$T/cut.log")"
rmdir "$T/state-$UITV/restore-incoming-1"
kt_start "$UITV"
pass "restore refused while ketend runs, of a damaged, unfinished or incomplete backup; nothing changed; ketend refuses a half restore"

# ---- a correction after a backup is carried out again -----------------------
echo "{\"kind\": \"fact\", \"text\": \"Gezien bij $NEW (fictief).\"}" > "$T/new.json"
kt "$UITV" correction decide "$A" --signal "$S" --item 0 --correct-file "$T/new.json" \
    --reason "Verzoek betrokkene (fictief)." > /dev/null || fail "correction decide failed"
corrected() { shows "$1" "$NEW" && ! shows "$1" "$OLD"; }
for id in "$UITV" politie-test; do wait_until 10 corrected "$id" || fail "$id not corrected"; done
wait_until 20 relay_settled || fail "correction not receipted"
kt_kill "$UITV"
out=$("$KETEN" -c "$T/$UITV.cfg" restore "$T/bk/u0") || fail "restore failed: $out"
grep -q "carries out again the 1 correction(s)" <<< "$out" || fail "restore said: $out"
kt_start "$UITV"
corrected "$UITV" || fail "the restored uitvoerder shows the old text"
aside=$(ls -d "$T/state-$UITV"/before-restore-*)
[ -f "$aside/weegploeg.db" ] && [ ! -f "$aside/forget.db" ] || fail "the replaced files are not kept aside: $aside"
decisions() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM correction WHERE hex(signal_id) = upper('$S')"; }
[ "$(decisions)" = 1 ] || fail "the replay recorded $(decisions) decisions"
# A replay cut off after its decision's commit, before its progress was
# recorded, runs again: the decision is there, so it is not taken twice.
kt_kill "$UITV"
after=$(sqlite3 "$T/bk/u0/forget.db" "SELECT coalesce(max(seq), 0) FROM forgotten")
sqlite3 "$T/state-$UITV/forget.db" "INSERT INTO restored (id, backup_taken_ms, restored_ms, after_seq) VALUES (1, 0, 0, $after)"
kt_start "$UITV"
[ "$(decisions)" = 1 ] || fail "a replay run twice decided the correction $(decisions) times"
corrected "$UITV" || fail "the uitvoerder lost the correction on a second replay"
grep -q "restore redo seq=[0-9]* kind=correct case_ref=$A" "$T/$UITV.log" || fail "no correction redone"
kt_kill politie-test
out=$("$KETEN" -c "$T/politie-test.cfg" restore "$T/bk/u0" 2>&1) && fail "restore of another node's backup: $out"
grep -q "is a backup of $UITV, and this node is politie-test" <<< "$out" || fail "wrong node unclear: $out"
"$KETEN" -c "$T/politie-test.cfg" restore "$T/bk/p0" > /dev/null || fail "restore at politie failed"
kt_start politie-test
corrected politie-test || fail "restored politie shows the old text"
wait_until 10 link_up politie-test || fail "no link after politie's restore"
pass "a correction made after the backup is carried out again at the restored uitvoerder and politie"
kt "$UITV" backup "$T/bk/u1" > /dev/null || fail "second backup"
kt politie-test backup "$T/bk/p1" > /dev/null || fail "second backup at politie"

# What each node holds of A: the uitvoerder its subject (and its key),
# politie the decision it received.
key_a=$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT hex(key_id) FROM subject WHERE case_ref='$A'")
[ -n "$key_a" ] || fail "no key id for A"
holds() {
    if [ "$1" = "$UITV" ]; then
        [ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM subject WHERE case_ref='$A'")" = 1 ] ||
            [ "$(sqlite3 "$T/state-$UITV/keystore.db" "SELECT count(*) FROM data_key WHERE key_id=x'$key_a'")" = 1 ]
    else
        [ "$(sqlite3 "$T/state-$1/node.db" "SELECT count(*) FROM decision_in WHERE case_ref='$A'")" = 1 ]
    fi
}
gone() { ! holds "$1"; }
holds "$UITV" && holds politie-test || fail "the check cannot fail: A is not held before"

# ---- 184 days: the subject is destroyed, then a backup brings it back ------
kt_restart_all_at +184d "$UITV" politie-test
wait_until 20 link_up politie-test || fail "no link after the move"
wait_until 30 gone "$UITV" || fail "not destroyed at the uitvoerder"
wait_until 30 gone politie-test || fail "not destroyed at politie"
wait_until 20 relay_settled || fail "notices not receipted"

# politie verifies the log as it is now (a receipt carries its tree).
kt_signal_file "$T/c.json" R-3
kt politie-test signal submit --file "$T/c.json" --wait > /dev/null || fail "no signal after the destruction"
kt_kill "$UITV"
out=$("$KETEN" -c "$T/$UITV.cfg" restore "$T/bk/u1") || fail "restore failed: $out"
grep -q "destroys again the 1 subject(s) destroyed" <<< "$out" || fail "restore said: $out"
holds "$UITV" || fail "the check cannot fail: the restored files do not hold A"
# A backup taken while the decision on A was still to be sent (made so
# here): the start must not send it anew before the replay destroys A,
# or its newer time would lift politie's tombstone.
d_a=$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT decision_id FROM decision WHERE case_ref='$A'")
[ -n "$d_a" ] || fail "no decision on A in the backup"
sqlite3 "$T/state-$UITV/weegploeg.db" "UPDATE decision SET sent=0 WHERE case_ref='$A'"
sqlite3 "$T/state-$UITV/node.db" "DELETE FROM relay WHERE origin='decision/$d_a'"
KETEN_WRAP="$(kt_clock_wrap +184d)" kt_start "$UITV"
gone "$UITV" || fail "the restored uitvoerder serves with A (or its key) in its files"
grep -q "restore replayed" "$T/$UITV.log" || fail "no replay logged"
# A copy sealed anew by the start would be in the relay now (its send
# waits for politie's next heartbeat).
[ "$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE origin='decision/$d_a'")" = 0 ] \
    || fail "the restored uitvoerder sealed A's decision anew before destroying A again"
wait_until 10 link_up politie-test || fail "no link after the uitvoerder's restore"
if grep -q "tombstone_lifted case_ref=$A" "$T/politie-test.log"; then
    fail "politie took A's decision over its tombstone"
fi
kt "$UITV" log verify > /dev/null || fail "the restored log does not verify"
# The next receipt politie gets carries the uitvoerder's tree, which is
# not the one politie verified before.
kt_signal_file "$T/b.json" R-2
kt politie-test signal submit --file "$T/b.json" --wait > /dev/null || fail "no signal after the restore"
witness_alarm() { kt politie-test status --json | jq -e '.alarms | index("log_alarm")'; }
wait_until 30 witness_alarm || fail "politie did not notice the log went back: $(kt politie-test status --json | jq -c "{alarms, log_witness}")"
kt politie-test log verify > /dev/null && fail "log verify passes at politie with the alarm raised"
pass "uitvoerder restored: the destroyed subject destroyed again before serving; politie's witness raises log_alarm"

# ---- politie's operator re-anchors its witness on the tree named ------------
# Size and root from one answer: the log may grow between two.
read -r size root < <(kt "$UITV" status --json | jq -r '"\(.log.size) \(.log.root)"')
[[ "$size" =~ ^[0-9]+$ && "$root" =~ ^[0-9a-f]{64}$ ]] || fail "the uitvoerder's status names no tree: $size $root"
out=$(kt politie-test log reanchor --size "$size" --root "$root" 2>&1) && fail "reanchor without a reason: $out"
# A tree named wrong is found out by the next proof: the alarm is back.
zero=$(printf '0%.0s' $(seq 64))
kt politie-test log reanchor --size "$size" --root "$zero" --reason "Named wrong (fictief)" > /dev/null \
    || fail "reanchor on a wrong root refused outright"
kt_signal_file "$T/w.json" R-5
kt politie-test signal submit --file "$T/w.json" --wait > /dev/null || fail "no signal after the wrong reanchor"
wait_until 20 witness_alarm || fail "a wrong root was not found out"
read -r size root < <(kt "$UITV" status --json | jq -r '"\(.log.size) \(.log.root)"')
out=$(kt politie-test log reanchor --size "$size" --root "$root" --reason "Incident 2026-07: restore (fictief)") \
    || fail "reanchor failed: $out"
grep -q "re-anchored on size $size" <<< "$out" || fail "reanchor said: $out"
kt politie-test status --json | jq -e '.alarms | index("log_alarm") | not' > /dev/null || fail "the alarm stays after reanchor"
kt_signal_file "$T/d.json" R-4
kt politie-test signal submit --file "$T/d.json" --wait > /dev/null || fail "no signal after the reanchor"
proven() { [ "$(kt politie-test status --json | jq '.log_witness.checkpoint_size')" -gt "$size" ]; }
wait_until 20 proven || fail "politie's witness did not follow the log from the named tree"
kt politie-test status --json | jq -e '.alarms | index("log_alarm") | not' > /dev/null || fail "a new alarm after reanchor"
kt politie-test log verify > /dev/null || fail "log verify fails at politie after the reanchor"
grep -q "log witness reanchored user=" "$T/politie-test.log" || fail "the reanchor is not in the journal"
out=$(kt politie-test log reanchor --size "$size" --root "$root" --reason "again" 2>&1) && fail "a reanchor without an alarm: $out"
grep -q "raised no alarm" <<< "$out" || fail "no-alarm refusal unclear: $out"
pass "politie's operator re-anchors the witness on the tree the uitvoerder names (a wrong one is found out); it follows the log from there, verify passes"

kt_kill politie-test
out=$("$KETEN" -c "$T/politie-test.cfg" restore "$T/bk/p1") || fail "restore at politie failed: $out"
holds politie-test || fail "the check cannot fail: politie's restored files do not hold A"
KETEN_WRAP="$(kt_clock_wrap +184d)" kt_start politie-test
gone politie-test || fail "restored politie serves with A's decision in its files"
# The journal's destruction is done again (politie's own schedule, run at
# the start, may have been first).
grep -q "restore redo seq=[0-9]* kind=destroy case_ref=$A" "$T/politie-test.log" || fail "politie did not replay A's destruction"
grep -q "restore replayed" "$T/politie-test.log" || fail "politie's replay not logged"
# The replay ran before the schedule (which waits for the uitvoerder's
# heartbeat to confirm the clock, docs/RETENTION.md): the files the
# restore replaced are newer, A destroyed in them, and stay for the
# operator until the node next forgets anything (forget.c).
aside=$(ls -d "$T/state-politie-test"/before-restore-*) || fail "the files the restore replaced are gone"
[ "$(sqlite3 "$aside/node.db" "SELECT count(*) FROM decision_in WHERE case_ref='$A'")" = 0 ] ||
    fail "the replaced files hold the destroyed subject"
pass "politie restored: its copy destroyed again; the replaced files kept aside do not hold it"

# ---- a migration takes a copy first -----------------------------------------
kt_kill politie-test
sqlite3 "$T/state-politie-test/node.db" "UPDATE schema_version SET version = version - 1 WHERE module = 'access'"
ver=$(sqlite3 "$T/state-politie-test/node.db" "SELECT version FROM schema_version WHERE module = 'access'")
# The last migration runs again (and fails: its table is there); the copy
# is taken before it all the same.
KETEN_WRAP="$(kt_clock_wrap +184d)" kt_launch politie-test || true
pre=$(ls -d "$T/state-politie-test"/pre-migration-* 2> /dev/null | head -n1)
[ -n "$pre" ] || fail "no copy before the migration of access to $((ver + 1)): $(tail -n 5 "$T/politie-test.log")"
jq -e '.purpose == "pre-migration" and .node == "politie-test"' "$pre/MANIFEST.json" > /dev/null || fail "pre-migration manifest"
[ "$(sqlite3 "$pre/node.db" "SELECT version FROM schema_version WHERE module = 'access'")" = "$ver" ] \
    || fail "the copy is not of before the migration"
pass "a schema migration took a copy of every file first"
