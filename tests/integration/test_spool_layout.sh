#!/usr/bin/env bash
# ketend's own directories for the police spool - work/, done/, rejected/ -
# are not in the spool, which the police system writes, but beside it
# (intake/spool-state-dir, by default SPOOL-DIR.state).  The writer can
# rename anything in its spool; with ketend's directories there, a file
# left in a renamed work/ was never sent and one in a renamed done/ never
# forgotten.  Now the writer renaming all it can loses nothing.  A node of
# the layout before has its directories moved at start, whole, by one
# rename each: a crash at any point of it leaves every file in one place or
# the other, and the next start goes on; nothing is lost, sent twice or
# kept longer than its rule.  A directory in the spool named like one of
# ketend's that is the writer's is left alone.
source "$(dirname "$0")/lib.sh"
kt_spool_federation

LOG="$T/politie-test.log"
DB="$T/state-politie-test/node.db"
drop() {  # drop NAME LOCAL_REF: a signal file, written under a dot name and renamed
    kt_signal_file "$SPOOL/.$1.tmp" "$2"
    sed -i "s/Test Persoon/Persoon $2/" "$SPOOL/.$1.tmp"
    mv "$SPOOL/.$1.tmp" "$SPOOL/$1.json"
}
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal"; }
stored_is() { test "$(stored)" = "$1"; }
local_refs() {  # how many signals the police node stored with local_ref $1
    sqlite3 "$DB" "SELECT count(*) FROM signal WHERE local_ref='$1'"
}
recorded() { sqlite3 "$DB" "SELECT count(*) FROM spool"; }
recorded_is() { test "$(recorded)" = "$1"; }
lines() { grep -c "$1" "$LOG" || true; }
lines_above() { [ "$(lines "$1")" -gt "$2" ]; }
# Where the police node's files hold the text $1: under the spool (and
# anything the writer renamed there), the spool's state directory and the
# node's state.
holding() { grep -rlF "$1" "$SPOOL" "$SPOOL_STATE" "$T/state-politie-test" 2> /dev/null || true; }
# held_nowhere TEXT...: no file holds any TEXT now (a function, so that
# wait_until looks again on every poll).
held_nowhere() {
    local text
    for text in "$@"; do [ -z "$(holding "$text")" ] || return 1; done
}
receipted() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
# The directories in the spool, by name, each followed by a space.
spool_dirs() {
    local d
    for d in "$SPOOL"/*/; do [ ! -d "$d" ] || printf '%s ' "$(basename "$d")"; done
}
spool_status() { kt politie-test status --json | jq -r ".spool.$1"; }
no_spool_dirs() { [ -z "$(spool_dirs)" ]; }

test_the_writer_renaming_what_it_can_in_the_spool_loses_nothing() {
    # With the uitvoerder down, one signal waits in done/ for its receipt
    # and an invalid file lies in rejected/.  node.db is locked, so the
    # next file, once claimed, cannot be stored: it stays in work/.  Then
    # ketend dies, and the writer renames every directory it can reach in
    # its spool.  The layout before lost the file in work/ and kept the
    # one in done/ for good; now both are sent, once, and forgotten after
    # their receipts, and the rejected file waits for its time.
    local before
    before=$(stored)
    kt_kill "$UITV"
    drop waiting-1 lay-waiting
    wait_until 20 recorded_is 1 || fail "waiting-1.json was not forwarded"
    echo '{ "subject": "Persoon lay-rejected" ' > "$SPOOL/.bad.tmp"
    mv "$SPOOL/.bad.tmp" "$SPOOL/bad.json"
    wait_until 20 lines_above 'spool rejected class=invalid_signal' 0 || fail "bad.json was not rejected"
    local failed
    failed=$(lines 'submit store_failed')
    lock_db "$DB"
    drop inflight-1 lay-inflight
    wait_until 20 lines_above 'submit store_failed' "$failed" || fail "the claimed file was stored under the lock"
    [ ! -e "$SPOOL/inflight-1.json" ] || fail "inflight-1.json was not claimed"
    [ -n "$(find "$SPOOL/" "$SPOOL_STATE/" -mindepth 2 -path '*/work/inflight-1.json' 2> /dev/null)" ] \
        || fail "inflight-1.json is not in a work/"
    kt_kill politie-test KILL
    unlock_db
    # The writer: everything it can rename in its spool.
    local d n=0
    for d in "$SPOOL"/*/; do
        [ -d "$d" ] || continue
        mv "$d" "${d%/}.renamed"
        n=$((n + 1))
    done
    [ "$n" = 0 ] || fail "the spool held $n directories the writer could rename"
    kt_start "$UITV"
    kt_start politie-test
    wait_until 30 stored_is $((before + 2)) || fail "$(($(stored) - before)) of 2 signals arrived"
    [ "$(local_refs lay-waiting)|$(local_refs lay-inflight)" = "1|1" ] || fail "not each signal stored once"
    wait_until 20 receipted || fail "the receipts did not come"
    wait_until 20 held_nowhere 'Persoon lay-waiting' 'Persoon lay-inflight' \
        || fail "plaintext kept after the receipts in: $(holding 'Persoon lay-')"
    [ "$(holding 'Persoon lay-rejected')" = "$SPOOL_STATE/rejected/bad.json" ] \
        || fail "the rejected file is not where ketend keeps it: $(holding 'Persoon lay-rejected')"
    [ "$(spool_status rejected_waiting)" = 1 ] || fail "status does not count the rejected file"
    pass "${FUNCNAME[0]}"
}

# old_layout: ketend stopped, its directories put back into the spool as
# a ketend before this change kept them (the spool table in node.db is the
# same in both layouts: only where the files are differs).
old_layout() {
    kt_kill politie-test
    local sub
    for sub in work "done" rejected; do mv "$SPOOL_STATE/$sub" "$SPOOL/$sub"; done
    rmdir "$SPOOL_STATE"
}

# prepared REF: a node of the layout before, its uitvoerder down, with
#   done/REF-sent.json     forwarded, its receipt not yet kept;
#   work/REF-stored.json   stored and queued, not yet moved on (a crash
#                          between the commit and the move);
#   work/REF-new.json      claimed, not yet stored (a crash before the
#                          commit);
#   rejected/REF-bad.json  rejected, with its reason (NEXT_REMOVAL: when
#                          status said it goes).
prepared() {
    local ref=$1 n
    kt_kill "$UITV"
    n=$(recorded)
    drop "$ref-sent" "$ref-sent"
    drop "$ref-stored" "$ref-stored"
    wait_until 20 recorded_is $((n + 2)) || fail "$ref: the files were not forwarded"
    wait_until 20 test -e "$SPOOL_STATE/done/$ref-stored.json" || fail "$ref-stored.json not in done/"
    echo "{ \"subject\": \"Persoon $ref-bad\" " > "$SPOOL/.$ref-bad.tmp"
    mv "$SPOOL/.$ref-bad.tmp" "$SPOOL/$ref-bad.json"
    wait_until 20 test -e "$SPOOL_STATE/rejected/$ref-bad.json" || fail "$ref-bad.json not rejected"
    NEXT_REMOVAL=$(spool_status next_removal_ms)
    old_layout
    mv "$SPOOL/done/$ref-stored.json" "$SPOOL/work/"
    kt_signal_file "$SPOOL/work/$ref-new.json" "$ref-new"
    sed -i "s/Test Persoon/Persoon $ref-new/" "$SPOOL/work/$ref-new.json"
}

# upgraded REF BEFORE: the node of prepared REF started (BEFORE: what the
# uitvoerder held before): every signal arrives once, the one stored
# before the crash is only moved on, done/ forgets after the receipts,
# and the rejected file keeps its reason and its time; nothing is left in
# the spool.
upgraded() {
    local ref=$1 before=$2 sub
    kt_start "$UITV"
    wait_until 30 stored_is $((before + 3)) || fail "$ref: $(($(stored) - before)) of 3 signals arrived"
    for sub in sent stored new; do
        [ "$(local_refs "$ref-$sub")" = 1 ] || fail "$ref-$sub stored $(local_refs "$ref-$sub") times"
    done
    for sub in work "done" rejected; do
        [ ! -e "$SPOOL/$sub" ] || fail "$ref: the spool still holds $sub/"
    done
    wait_until 20 receipted || fail "$ref: the receipts did not come"
    wait_until 20 held_nowhere "Persoon $ref-sent" "Persoon $ref-new" \
        || fail "$ref: plaintext kept after the receipts in: $(holding "Persoon $ref-")"
    [ -z "$(ls -A "$SPOOL_STATE/work")" ] || fail "$ref: work/ is not empty"
    [ -s "$SPOOL_STATE/rejected/$ref-bad.json.reason" ] && [ -e "$SPOOL_STATE/rejected/$ref-bad.json" ] \
        || fail "$ref: the rejected file or its reason is gone"
}

test_a_node_of_the_layout_before_moves_on_start_and_loses_nothing() {
    local before moved already
    before=$(stored)
    prepared up
    moved=$(lines 'spool layout_moved')
    already=$(lines 'spool already_forwarded')
    kt_start politie-test
    [ "$(lines 'spool layout_moved')" = $((moved + 3)) ] || fail "not 3 directories moved: $(grep layout "$LOG")"
    # Rejected when it was, not when it moved: its reason's time stayed.
    [ "$(spool_status next_removal_ms)" = "$NEXT_REMOVAL" ] || fail "the move changed the rejected file's time"
    upgraded up "$before"
    lines_above 'spool already_forwarded' "$already" || fail "up-stored.json was not recognised as sent"
    [ "$(stat -c %a "$SPOOL_STATE")" = 700 ] || fail "the state directory is $(stat -c %a "$SPOOL_STATE")"
    pass "${FUNCNAME[0]}"
}

test_a_start_killed_during_the_move_goes_on_at_the_next() {
    # ketend is killed (SIGKILL, by strace) as it makes the move's first,
    # then second, then third rename: work/, done/, rejected/ in that
    # order.  After each, every directory is whole in one place: the ones
    # before it moved, the rest still in the spool.  The start after the
    # last finishes, and nothing is lost or sent twice.
    # (renameat is a system call of its own only where the kernel has it
    # beside renameat2.)
    if ! command -v strace > /dev/null || [ -n "${KETEN_WRAP:-}" ] || [ "$(uname -m)" != x86_64 ]; then
        echo "ok - ${FUNCNAME[0]} # SKIP no strace, the daemon under KETEN_WRAP, or no renameat here"
        return 0
    fi
    local before when sub
    before=$(stored)
    prepared cut
    for when in 1 2 2; do
        KETEN_WRAP="strace -qq -o /dev/null -e trace=renameat -e inject=renameat:signal=KILL:when=$when" \
            kt_launch politie-test && fail "ketend was not killed at rename $when"
        case "$when:$(spool_dirs)" in
            "1:done rejected work " | "2:done rejected " | "2:rejected ") ;;
            *) fail "killed at rename $when, the spool holds: $(ls "$SPOOL")" ;;
        esac
        for sub in work "done" rejected; do
            [ -d "$SPOOL/$sub" ] || [ -d "$SPOOL_STATE/$sub" ] || fail "$sub/ is in neither place"
        done
    done
    [ "$(spool_dirs)" = "rejected " ] || fail "the kills did not stop at rejected/"
    kt_start politie-test
    upgraded cut "$before"
    pass "${FUNCNAME[0]}"
}

test_an_older_ketend_run_between_two_starts_of_this_one_is_taken_in() {
    # This layout, then an older ketend (its directories in the spool
    # again), then this one: the state directory holds files already, some
    # under the names the old directories use.  They join without
    # replacing any: done/ numbered, rejected/ with each reason beside its
    # file, work/ claimed from once the name is free.  Each signal is sent
    # once and each file forgotten or kept by its rule.
    local before failed
    before=$(stored)
    kt_kill "$UITV"
    drop dup mix-a
    wait_until 20 test -e "$SPOOL_STATE/done/dup.json" || fail "the first dup.json is not in done/"
    drop dup mix-b
    wait_until 20 test -e "$SPOOL_STATE/done/dup.1.json" || fail "the second dup.json is not in done/"
    local i
    for i in 1 2; do
        echo "{ \"subject\": \"Persoon mix-bad-$i\" " > "$SPOOL/.rb.tmp"
        mv "$SPOOL/.rb.tmp" "$SPOOL/rb.json"
        wait_until 20 test -e "$SPOOL_STATE/rejected/rb$([ $i = 1 ] || echo .1).json" \
            || fail "rb.json number $i was not rejected"
    done
    # w.json claimed and not stored (node.db locked), then a crash.
    failed=$(lines 'submit store_failed')
    lock_db "$DB"
    drop w mix-w-new
    wait_until 20 lines_above 'submit store_failed' "$failed" || fail "w.json was stored under the lock"
    [ -e "$SPOOL_STATE/work/w.json" ] || fail "w.json is not in work/"
    kt_kill politie-test KILL
    unlock_db
    # What the older ketend left in the spool: the second dup.json sent and
    # waiting for its receipt, the second rb.json rejected, and a w.json
    # of its own claimed and not stored.
    mkdir "$SPOOL/work" "$SPOOL/done" "$SPOOL/rejected"
    mv "$SPOOL_STATE/done/dup.1.json" "$SPOOL/done/dup.json"
    mv "$SPOOL_STATE/rejected/rb.1.json" "$SPOOL/rejected/rb.json"
    mv "$SPOOL_STATE/rejected/rb.1.json.reason" "$SPOOL/rejected/rb.json.reason"
    kt_signal_file "$SPOOL/work/w.json" mix-w-old
    sed -i "s/Test Persoon/Persoon mix-w-old/" "$SPOOL/work/w.json"
    local merging deferred
    merging=$(lines 'spool layout_merging dir=work')
    deferred=$(lines 'spool claim_deferred')
    kt_start politie-test
    lines_above 'spool layout_merging dir=work' "$merging" || fail "work/ was not merged"
    kt_start "$UITV"
    wait_until 30 stored_is $((before + 4)) || fail "$(($(stored) - before)) of 4 signals arrived"
    lines_above 'spool claim_deferred' "$deferred" || fail "the old w.json did not wait for its name"
    for i in a b w-new w-old; do
        [ "$(local_refs "mix-$i")" = 1 ] || fail "mix-$i stored $(local_refs "mix-$i") times"
    done
    wait_until 20 receipted || fail "the receipts did not come"
    wait_until 20 no_spool_dirs || fail "the spool still holds $(spool_dirs)"
    wait_until 20 held_nowhere 'Persoon mix-w' 'Persoon mix-a' \
        || fail "plaintext kept after the receipts in: $(holding 'Persoon mix-')"
    [ -z "$(ls -A "$SPOOL_STATE/done")" ] || fail "done/ keeps $(ls "$SPOOL_STATE/done")"
    # Both rejected files, each beside its own reason.
    local f n=0
    for f in "$SPOOL_STATE"/rejected/rb*.json; do
        [ -s "$f.reason" ] || fail "$(basename "$f") lacks its reason"
        grep -q "Persoon mix-bad-" "$f" || fail "$(basename "$f") is not an rb.json"
        n=$((n + 1))
    done
    [ "$n" = 2 ] || fail "rejected/ holds $n of the 2 rb.json files"
    pass "${FUNCNAME[0]}"
}

test_a_writers_directory_named_like_ketends_is_left_alone() {
    # After the change a writer may make work/, done/ or rejected/ in its
    # spool, with signal files in them: they are its own, not ketend's
    # (not of ketend's user), so nothing in them is moved or sent; each
    # start says it left them (an operator may have meant them for
    # ketend).  Root is needed to make them another user's.
    if [ "$(id -u)" != 0 ]; then
        echo "ok - ${FUNCNAME[0]} # SKIP not root: cannot make a directory another user's"
        return 0
    fi
    local before sub warned
    before=$(stored)
    kt_kill politie-test
    for sub in work "done" rejected; do
        mkdir "$SPOOL/$sub"
        kt_signal_file "$SPOOL/$sub/planted.json" "lay-planted-$sub"
        chown -R 65534:65534 "$SPOOL/$sub"
    done
    warned=$(lines 'spool layout_not_ketends dir=[a-z]* uid=65534$')
    kt_start politie-test
    [ "$(lines 'spool layout_not_ketends dir=[a-z]* uid=65534$')" = $((warned + 3)) ] \
        || fail "not one warning for each directory left: $(grep layout_not "$LOG")"
    drop after-planted lay-after
    wait_until 20 stored_is $((before + 1)) || fail "the signal dropped after them did not arrive"
    for sub in work "done" rejected; do
        [ -e "$SPOOL/$sub/planted.json" ] || fail "$sub/planted.json was taken"
        [ "$(local_refs "lay-planted-$sub")" = 0 ] || fail "$sub/planted.json was sent"
    done
    [ "$(stored)" = $((before + 1)) ] || fail "a planted file was sent"
    rm -r "$SPOOL/work" "$SPOOL/done" "$SPOOL/rejected"
    pass "${FUNCNAME[0]}"
}

test_a_state_directory_of_another_user_is_refused_by_the_check() {
    # The state directory, or work/, done/ or rejected/ in it, of another
    # user (who could read and change the signals there) is refused by
    # ketend --check and by the start alike: 78, which the unit does not
    # restart.  Root is needed to make one another user's.
    if [ "$(id -u)" != 0 ]; then
        echo "ok - ${FUNCNAME[0]} # SKIP not root: cannot make a directory another user's"
        return 0
    fi
    local sub rc out
    kt_kill politie-test
    for sub in "" work "done" rejected; do
        chown 65534:65534 "$SPOOL_STATE/$sub"
        rc=0
        out=$("$KETEND" --config "$T/politie-test.cfg" --check 2>&1) || rc=$?
        [ "$rc" = 78 ] || fail "--check with ${sub:-the state directory} another user's exited $rc: $out"
        grep -q "belongs to uid 65534" <<< "$out" || fail "refusal unclear: $out"
        rc=0
        timeout 20 "$KETEND" --config "$T/politie-test.cfg" >> "$LOG" 2>&1 || rc=$?
        [ "$rc" = 78 ] || fail "the start with ${sub:-the state directory} another user's exited $rc"
        chown "$(id -u):$(id -g)" "$SPOOL_STATE/$sub"
    done
    kt_start politie-test
    pass "${FUNCNAME[0]}"
}

test_the_writer_renaming_what_it_can_in_the_spool_loses_nothing
test_a_state_directory_of_another_user_is_refused_by_the_check
test_a_node_of_the_layout_before_moves_on_start_and_loses_nothing
test_a_start_killed_during_the_move_goes_on_at_the_next
test_an_older_ketend_run_between_two_starts_of_this_one_is_taken_in
test_a_writers_directory_named_like_ketends_is_left_alone
! grep -E 'lay-|mix-|Persoon|(up|cut)-(sent|stored|new|bad)|planted|dup\.|rb\.|w\.json' "$LOG" \
    || fail "the log shows a file name or file content"
