#!/usr/bin/env bash
# A restore of a backup taken by an older release (one that needs a
# schema migration) makes ketend copy the restored files into
# STATE/pre-migration-TIME before it migrates them; the replay of the
# journal then destroys again what was destroyed after the backup.  The
# replay notes nothing (the notes are there), so the copy must be removed
# when the replay ends: it holds the destroyed subject's signal and key
# (docs/OPERATIONS.md: such copies go as soon as the node forgets
# anything).  The files the restore replaced (before-restore-TIME) are
# newer - the destruction was done in them - and stay for the operator
# until the node next forgets anything.
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_uitvoerder_up
mkdir "$T/spool"
kt_config politie-test
printf 'intake\n    spool-dir = "%s"\n    spool-poll-ms = 100\n    representative = "Vertegenwoordiger Test"\n' "$T/spool" >> "$T/politie-test.cfg"
kt_start politie-test
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" R-1
sed -i "s/Test Persoon/Vergeetmij Testpersoon/" "$T/s.json"
kt_delivered politie-test "$T/s.json"
SID=$KT_ID
A=$(kt_case_of "$SID")
[ -n "$A" ] || fail "no case_ref for the signal"
kt "$UITV" weegploeg decide "$A" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." > /dev/null
P="$T/state-politie-test"
sig_rows() { sqlite3 "$1/node.db" "SELECT count(*) FROM signal WHERE hex(message_id)=upper('$SID')"; }
KEY=$(sqlite3 "$P/node.db" "SELECT hex(key_id) FROM signal WHERE hex(message_id)=upper('$SID')")
[ -n "$KEY" ] || fail "the politie node holds no key for its signal"
key_rows() { sqlite3 "$1/keystore.db" "SELECT count(*) FROM data_key WHERE key_id=x'$KEY'"; }
mkdir "$T/bk"; kt politie-test backup "$T/bk/p0" > /dev/null || fail "backup"
[ "$(sig_rows "$T/bk/p0")" = 1 ] && [ "$(key_rows "$T/bk/p0")" = 1 ] || fail "the backup lacks the signal"

# 183.5 days later the subject is destroyed everywhere (art. 13.3).
kt_restart_all_at +4404h "$UITV" politie-test
wait_until 20 link_up politie-test || fail "no link"
gone() { [ "$(sig_rows "$P")" = 0 ] && [ "$(key_rows "$P")" = 0 ]; }
wait_until 20 gone || fail "politie still holds the signal after 183.5 days"

# The backup as an older release wrote it: spool's last migration not run.
B="$T/bk/p0"
sqlite3 "$B/node.db" "DROP INDEX spool_by_message; UPDATE schema_version SET version=version-1 WHERE module='spool';"
sum=$(sha256sum "$B/node.db" | cut -d' ' -f1); size=$(stat -c %s "$B/node.db")
jq --arg s "$sum" --argjson n "$size" '(.files[] | select(.name=="node.db")) |= (.sha256=$s | .bytes=$n)' \
    "$B/MANIFEST.json" > "$B/m" && mv "$B/m" "$B/MANIFEST.json"
kt_kill politie-test
"$KETEN" -c "$T/politie-test.cfg" restore "$B" > "$T/restore.out" || fail "restore: $(cat "$T/restore.out")"
ls -d "$P"/before-restore-* > /dev/null 2>&1 || fail "the restore set no files aside"
# Started on a day before its own schedule would destroy the subject
# (170 days on), so that the replay alone forgets it again, whatever the
# calendar makes of 6 months from today.
# (Its clock is then 13.5 days behind the uitvoerder's, so the two do
# not talk: only the start matters here.)
KETEN_WRAP=$(kt_clock_wrap +4080h) kt_start politie-test
replayed() { grep -q "restore replayed" "$T/politie-test.log"; }
wait_until 20 replayed || fail "the restored node did not replay its journal"
grep -q "backup pre_migration dir=" "$T/politie-test.log" || fail "the start took no pre-migration copy"
grep -q "restore redo seq=[0-9]* kind=destroy case_ref=$A" "$T/politie-test.log" ||
    fail "the replay did not destroy the subject again"
[ "$(sig_rows "$P")" = 0 ] && [ "$(key_rows "$P")" = 0 ] || fail "the restored node holds the destroyed signal"
for d in "$P"/pre-migration-*; do
    [ -e "$d" ] || continue
    fail "$(basename "$d") is still there after the replay (signal rows $(sig_rows "$d"), key rows $(key_rows "$d"))"
done
sed -n '/restore redo/,$p' "$T/politie-test.log" | grep -q "backup copies_removed copies=1" \
    || fail "the replay's end did not remove the copy"
aside=$(ls -d "$P"/before-restore-*) || fail "the files the restore replaced are gone"
[ "$(sig_rows "$aside")" = 0 ] && [ "$(key_rows "$aside")" = 0 ] \
    || fail "the replaced files hold the destroyed signal"
pass "the replay of a restored older backup removes the copies that held the destroyed subject"
