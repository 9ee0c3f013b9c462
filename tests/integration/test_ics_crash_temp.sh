#!/usr/bin/env bash
# A crash while ketend writes a calendar file (MEETING.ics is written as
# MEETING.ics.tmp.PID, synced and renamed) leaves the temporary file in
# agenda/ics-dir, holding the subjects' names when ics-personal-data is
# on.  No later write has that pid, and a destruction (art. 13) rewrites
# MEETING.ics only: the next start removes such files, and only those.
source "$(dirname "$0")/lib.sh"
kt_need_faultfs
G=gemeente-maastricht
kt_keys "$UITV" uitvoerder; kt_keys politie-test politie; kt_keys "$G" gemeente
kt_roster 1 "$T/roster.txt" "$UITV" politie-test "$G"
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
mkdir "$T/ics"
kt_config politie-test; kt_start politie-test
kt_config "$G"; printf 'agenda\n    ics-dir = "%s"\n    ics-personal-data = 1\n' "$T/ics" >> "$T/$G.cfg"
# Files in the directory keten did not write stay, whatever their names.
echo "eigen notitie" > "$T/ics/notitie.txt"
echo "eigen" > "$T/ics/agenda.ics.tmp.bak"
echo "eigen" > "$T/ics/rooster.txt.tmp.123"
mkdir "$T/ics/oud.ics.tmp.77"
ARM="$T/armed"
# Every fsync 3 s slow once armed: the calendar file's temporary copy is
# there long enough to crash on it.
KETEN_WRAP=$(kt_fault_wrap KETEN_FAULT_ARM="$ARM" KETEN_FAULT_AT=0 KETEN_FAULT_SYNCS=1 KETEN_FAULT_SYNC_DELAY_MS=3000) kt_start "$G"
for id in politie-test "$G"; do wait_until 10 link_up "$id" || fail "no link $id"; done
kt_signal_file "$T/s.json" R-1
sed -i "s/Test Persoon/Kalendermij Testpersoon/" "$T/s.json"
kt_delivered politie-test "$T/s.json"
A=$(kt "$UITV" signal list --json | jq -r --arg id "$KT_ID" '.signals[] | select(.message_id==$id) | .case_ref')
[ -n "$A" ] || fail "no case_ref for the signal"
touch "$ARM"
kt "$UITV" weegploeg agenda --start "$(date -d '+8 days' +%F)T10:00" --location Stadhuis --case "$A" > /dev/null
tmp_files() { find "$T/ics" -maxdepth 1 -type f -name 'w-*.ics.tmp.*'; }
tmp_there() { tmp_files | grep -q .; }
wait_until 30 tmp_there || fail "no temporary calendar file seen"
kt_kill "$G" KILL   # a crash (power cut) while the calendar file is written
tmp_there || fail "the crash left no temporary calendar file"
grep -laF Kalendermij $(tmp_files) > /dev/null || fail "the temporary file does not hold the name"
KETEN_WRAP= kt_start "$G"
wait_until 10 link_up "$G" || fail "no link $G"
if tmp_there; then fail "the start left the crashed write's temporary file: $(ls "$T/ics")"; fi
grep -q "agenda ics_temps_removed files=1" "$T/$G.log" || fail "no ics_temps_removed line"
for f in notitie.txt agenda.ics.tmp.bak rooster.txt.tmp.123 oud.ics.tmp.77; do
    [ -e "$T/ics/$f" ] || fail "the start removed $f, which keten did not write"
done
pass "a start removes the temporary calendar file a crash left, and nothing else"

# The subject destroyed (art. 13.3, 184 days later): its name is in no
# file of the calendar directory.
kt "$UITV" weegploeg decide "$A" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." > /dev/null
kt_restart_all_at +184d "$UITV" politie-test "$G"
for id in politie-test "$G"; do wait_until 20 link_up "$id" || fail "no link $id"; done
gone() { [ "$(sqlite3 "$T/state-$G/node.db" "SELECT count(*) FROM retain WHERE case_ref='$A' AND state='destroyed'")" = 1 ]; }
wait_until 20 gone || fail "A not destroyed at $G"
held=$(grep -rlaF Kalendermij "$T/ics" || true)
[ -z "$held" ] || fail "the destroyed subject's name is still in $held"
pass "after the destruction no calendar file names the subject"
