#!/usr/bin/env bash
# art. 13: the police spool forgets.  A forwarded file's plaintext leaves
# done/ once the receipt for its signal is kept (a held art. 9/10 Wpg
# signal's only after its release is receipted), while a re-drop of the
# same file is still recognised; a rejected file and its reason are kept
# intake/rejected-keep-days (14) after the rejection, and keten status
# warns when one goes within 2 days.  Time is moved for every node of the
# federation at once with libfaketime, never by shortening the rule.
source "$(dirname "$0")/lib.sh"
kt_spool_federation "release-group = $(id -gn)"

LOG="$T/politie-test.log"
DB="$T/state-politie-test/node.db"
MARKER="Merkwaardig Vergeetkind" # the subject's name: in no file once forgotten
# What no file may hold: the subject's name, or the first file's name,
# which says who it is about (the spool table keeps a hash of it).
FORGET="Vergeetkind"
# marked PATH REF [WPG]: a signal about MARKER (Wpg basis WPG, art-8-13 by default).
marked() {
    kt_signal_file "$1.src" "$2"
    sed -e "s/Test Persoon/$MARKER/" -e "s/art-8-13/${3:-art-8-13}/" "$1.src" > "$1"
    rm "$1.src"
}
drop_file() { cp "$1" "$SPOOL/.$2.tmp" && mv "$SPOOL/.$2.tmp" "$SPOOL/$2.json"; }
count() { find "$SPOOL_STATE/$1" -name '*.json' | wc -l; }
has() { test "$(count "$1")" = "$2"; }
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal"; }
stored_is() { test "$(stored)" = "$1"; }
recorded() { sqlite3 "$DB" "SELECT count(*) FROM spool"; }
# The files of the police node that hold MARKER: its spool, the spool's
# state directory and the node's state.
plaintext_files() { grep -rliF "$FORGET" "$SPOOL" "$SPOOL_STATE" "$T/state-politie-test" || true; }
seen_again() { [ "$(grep -c 'spool already_forwarded' "$LOG" || true)" -gt "$1" ]; }
spool_status() { kt politie-test status --json | jq -r ".spool.$1"; }

test_after_its_receipt_no_plaintext_is_kept_and_a_redrop_is_still_recognised() {
    marked "$T/first.json" ret-a
    drop_file "$T/first.json" vergeetkind-001
    wait_until 20 stored_is 1 || fail "the signal did not reach the uitvoerder"
    wait_until 20 has done 0 || fail "done/ keeps the file after its receipt"
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE settled_ms IS NOT NULL")" = 1 ] \
        || fail "the file left done/ before its receipt was kept"
    local left
    left=$(plaintext_files)
    [ -z "$left" ] || fail "plaintext kept after the receipt in: $left"
    grep -q 'spool forgotten ino=' "$LOG" || fail "no forgotten line in the log"
    # The same bytes under the same name again: recognised, not sent, and
    # forgotten again.
    local n
    n=$(grep -c 'spool already_forwarded' "$LOG" || true)
    drop_file "$T/first.json" vergeetkind-001
    wait_until 20 seen_again "$n" || fail "the re-dropped file was not recognised as sent"
    wait_until 20 has done 0 || fail "the re-dropped copy stays in done/"
    [ ! -e "$SPOOL/vergeetkind-001.json" ] && [ -z "$(ls -A "$SPOOL_STATE/work")" ] \
        || fail "the re-dropped file is still in the spool or work/"
    [ "$(stored)" = 1 ] && [ "$(recorded)" = 1 ] || fail "the re-dropped file was sent again"
    left=$(plaintext_files)
    [ -z "$left" ] || fail "plaintext kept after the re-drop in: $left"
    pass "${FUNCNAME[0]}"
}

test_a_held_signal_keeps_its_file_until_its_release_is_receipted() {
    marked "$T/held.json" ret-held art-9-10
    drop_file "$T/held.json" 2026-12-03-002
    wait_until 20 test -e "$SPOOL_STATE/done/2026-12-03-002.json" || fail "the held file not in done/"
    # A later file, sent and forgotten, proves done/ was looked at again.
    marked "$T/later.json" ret-later
    drop_file "$T/later.json" 2026-12-03-003
    wait_until 20 stored_is 2 || fail "the later signal did not arrive"
    wait_until 20 test ! -e "$SPOOL_STATE/done/2026-12-03-003.json" || fail "the later file was kept"
    [ -e "$SPOOL_STATE/done/2026-12-03-002.json" ] || fail "the held signal's file left done/ unreleased"
    # The marker is found where it is: the grep above can fail.
    [ "$(plaintext_files)" = "$SPOOL_STATE/done/2026-12-03-002.json" ] \
        || fail "the held file is not the one file holding the plaintext: $(plaintext_files)"
    local id
    id=$(kt politie-test signal list --json | jq -r '.signals[] | select(.state=="held") | .message_id')
    [ -n "$id" ] || fail "no held signal listed"
    kt politie-test signal release "$id" --opsporingsbelang-checked --om-consulted "Officier Test" \
        --bevoegd-functionaris "Functionaris Test" > /dev/null || fail "the release was refused"
    wait_until 20 stored_is 3 || fail "the released signal did not arrive"
    wait_until 20 has done 0 || fail "the released signal's file stays after its receipt"
    [ -z "$(plaintext_files)" ] || fail "plaintext kept after the release in: $(plaintext_files)"
    pass "${FUNCNAME[0]}"
}

# at OFFSET: every node of the federation restarted with its clock at
# OFFSET from now; one more file sent and forgotten proves the spool timer
# (and with it the rejected/ pass, which runs first at start) has run.
AT_N=0
at() {
    kt_restart_all_at "$1" "$UITV" politie-test
    wait_until 20 link_up politie-test || fail "no link at $1"
    AT_N=$((AT_N + 1))
    local before
    before=$(stored)
    marked "$T/probe-$AT_N.json" "ret-probe-$AT_N"
    drop_file "$T/probe-$AT_N.json" "probe-$AT_N"
    wait_until 30 stored_is $((before + 1)) || fail "at $1 a signal does not reach the uitvoerder"
    wait_until 20 has done 0 || fail "at $1 done/ keeps a file after its receipt"
}

test_a_rejected_file_is_kept_13_days_and_gone_after_15_with_a_warning_before() {
    local before_ms after_ms next day=86400000
    printf '{ "subject": { "name": "%s" ' "$MARKER" > "$T/broken"
    before_ms=$(date +%s%3N)
    mv "$T/broken" "$SPOOL/broken.json"
    wait_until 20 test -s "$SPOOL_STATE/rejected/broken.json.reason" || fail "broken.json not rejected"
    wait_until 20 test -e "$SPOOL_STATE/rejected/broken.json" || fail "broken.json not in rejected/"
    after_ms=$(date +%s%3N)
    [ "$(spool_status rejected_waiting)" = 1 ] || fail "status does not count the rejected file"
    [ "$(spool_status rejected_keep_days)" = 14 ] || fail "status does not say the 14 days"
    next=$(spool_status next_removal_ms)
    [ "$next" -ge $((before_ms + 14 * day)) ] && [ "$next" -le $((after_ms + 14 * day)) ] \
        || fail "next removal is not 14 days after the rejection: $next ($before_ms..$after_ms)"
    [ "$(spool_status warning)" = null ] || fail "a warning 14 days ahead"
    kt politie-test status | grep -q '^spool .*1 rejected, next removed in' \
        || fail "keten status does not show the rejected file: $(kt politie-test status)"

    at +11d
    [ -e "$SPOOL_STATE/rejected/broken.json" ] || fail "removed after 11 days"
    [ "$(spool_status warning)" = null ] || fail "a warning 3 days before the removal"
    at +13d
    [ -e "$SPOOL_STATE/rejected/broken.json" ] && [ -e "$SPOOL_STATE/rejected/broken.json.reason" ] \
        || fail "removed after 13 days"
    [ "$(spool_status rejected_removed_within_2_days)" = 1 ] || fail "not counted as going soon"
    spool_status warning | grep -q "1 rejected spool file will be removed within 2 days" \
        || fail "no warning a day before the removal: $(spool_status warning)"
    kt politie-test status | grep -q '^warning .*within 2 days' \
        || fail "keten status shows no warning: $(kt politie-test status)"
    [ "$(plaintext_files)" = "$SPOOL_STATE/rejected/broken.json" ] \
        || fail "the rejected file is not the one file holding the plaintext: $(plaintext_files)"
    at +15d
    # Removed once the clock is confirmed, a heartbeat timeout after the start.
    rejected_gone() { [ ! -e "$SPOOL_STATE/rejected/broken.json" ]; }
    wait_until 10 rejected_gone || fail "still there 15 days after the rejection"
    # The file goes first, then its reason, then the line in the log.
    wait_until 10 test ! -e "$SPOOL_STATE/rejected/broken.json.reason" || fail "its reason is still there"
    wait_until 10 grep -q 'spool rejected_expired ino=' "$LOG" || fail "no rejected_expired line in the log"
    [ "$(spool_status rejected_waiting)" = 0 ] && [ "$(spool_status warning)" = null ] \
        || fail "status still counts or warns"
    [ -z "$(plaintext_files)" ] || fail "plaintext kept in: $(plaintext_files)"
    ! grep -iE 'broken|2026-12-03-|probe-|vergeetkind' "$LOG" || fail "the log names a file"
    pass "${FUNCNAME[0]}"
}

test_after_its_receipt_no_plaintext_is_kept_and_a_redrop_is_still_recognised
test_a_held_signal_keeps_its_file_until_its_release_is_receipted
test_a_rejected_file_is_kept_13_days_and_gone_after_15_with_a_warning_before
