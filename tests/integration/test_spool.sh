#!/usr/bin/env bash
# The police node forwards what is dropped in its spool directory by itself:
# valid files go to done/ and reach the uitvoerder exactly once, invalid ones
# go to rejected/ with a .reason file; nothing is lost or sent twice when the
# uitvoerder is down, when ketend is killed halfway, or when a file that was
# already forwarded shows up again.  A file leaves done/ once the receipt
# for its signal is kept (art. 13; test_spool_retention.sh), so what is
# asserted of done/ itself is asserted while the uitvoerder is down and no
# receipt can come; otherwise the spool table says what was forwarded.
source "$(dirname "$0")/lib.sh"
kt_spool_federation

drop() {  # drop NAME [LOCAL_REF]: write under a temporary name, then rename
    kt_signal_file "$SPOOL/.$1.tmp" "${2:-$1}"
    mv "$SPOOL/.$1.tmp" "$SPOOL/$1.json"
}
count() { find "$SPOOL_STATE/$1" -name '*.json' | wc -l; }
in_spool() { find "$SPOOL" -maxdepth 1 -name '*.json' | wc -l; }
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal"; }
# Conditions are functions so wait_until re-evaluates them on every poll.
has() { test "$(count "$1")" = "$2"; }
stored_is() { test "$(stored)" = "$1"; }
# What the police node recorded as forwarded (name and hash), which stays
# when the file leaves done/.
recorded() { sqlite3 "$T/state-politie-test/node.db" "SELECT count(*) FROM spool"; }
recorded_is() { test "$(recorded)" = "$1"; }
# The table keeps a name's BLAKE2b-256, not the name (art. 13).
name_rows() {  # name_rows NAME [WHAT]: rows recorded for file name NAME (count(WHAT))
    local h
    h=$(printf %s "$1" | b2sum -l 256 | cut -d' ' -f1)
    sqlite3 "$T/state-politie-test/node.db" \
        "SELECT count(${2:-*}) FROM spool WHERE hex(name_hash)=upper('$h')"
}
# forwarded NAME: NAME was recorded as forwarded and is out of the spool
# and work/ (in done/, or already gone from it after its receipt).
forwarded() {
    [ "$(name_rows "$1")" -ge 1 ] && [ ! -e "$SPOOL/$1" ] && [ ! -e "$SPOOL_STATE/work/$1" ]
}

for i in 1 2 3; do drop "bvh-$i"; done
echo '{ "subject": ' > "$T/broken.json"
head -c 70000 /dev/zero | tr '\0' ' ' > "$T/huge.json"
kt_signal_file "$T/full.json"; jq 'del(.melder)' "$T/full.json" > "$T/nomelder.json"
mv "$T/broken.json" "$T/huge.json" "$T/nomelder.json" "$SPOOL/"
wait_until 20 recorded_is 3 || fail "the police node recorded $(recorded) files as forwarded"
wait_until 20 has rejected 3 || fail "rejected/ has $(count rejected) files"
for f in broken huge nomelder; do
    [ -s "$SPOOL_STATE/rejected/$f.json.reason" ] || fail "no reason for $f"
done
grep -q melder "$SPOOL_STATE/rejected/nomelder.json.reason" || fail "reason does not name the field"
grep -q "limit" "$SPOOL_STATE/rejected/huge.json.reason" || fail "oversize reason unclear"
wait_until 20 stored_is 3 || fail "uitvoerder stored $(stored)"
wait_until 20 has done 0 || fail "done/ still has $(count done) files after their receipts"
pass "3 valid files forwarded, 3 invalid rejected with reasons"

# The uitvoerder is down: files are still taken in, and delivered later.
kt_kill "$UITV"
for i in $(seq 10 59); do drop "down-$i"; done
# No receipt can come: every one of them waits in done/.
wait_until 30 has done 50 || fail "done/ has $(count done) while uitvoerder down"
[ "$(recorded)" = 53 ] || fail "the police node recorded $(recorded) files as forwarded"
kt_start "$UITV"
wait_until 60 stored_is 53 || fail "uitvoerder stored $(stored) after restart"
wait_until 30 has done 0 || fail "done/ still has $(count done) files after their receipts"
pass "50 files dropped while the uitvoerder was down all arrived"

# A forwarded file that shows up again (as after a crash between commit and
# move) is not sent twice, though its copy left done/ long ago: the same
# bytes under the same name (drop writes them again).
n_seen=$(grep -c 'spool already_forwarded' "$T/politie-test.log" || true)
drop bvh-1
seen_again() { [ "$(grep -c 'spool already_forwarded' "$T/politie-test.log")" -gt "$n_seen" ]; }
wait_until 20 seen_again || fail "re-dropped file not recognised as forwarded"
wait_until 20 forwarded bvh-1.json || fail "re-dropped file not handled"
wait_until 20 has done 0 || fail "the re-dropped copy stays in done/ after its signal's receipt"
[ "$(stored)" = 53 ] && [ "$(recorded)" = 53 ] || fail "re-dropped file was sent again"
pass "a file seen again after forwarding is not sent twice"

# ketend killed hard while it works through 200 files.
kt_kill politie-test
for i in $(seq 100 299); do drop "burst-$i"; done
kt_start politie-test
sleep 0.3
kt_kill politie-test KILL
kt_start politie-test
wait_until 60 recorded_is 253 || fail "the police node recorded $(recorded) files after crash"
[ "$(in_spool)" = 0 ] || fail "$(in_spool) files left in the spool after the crash"
wait_until 60 stored_is 253 || fail "uitvoerder stored $(stored) after crash"
wait_until 60 has done 0 || fail "done/ still has $(count done) files after their receipts"
[ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(DISTINCT message_id) FROM signal")" = 253 ] \
    || fail "duplicate message ids"
refs=$(sqlite3 "$T/state-politie-test/node.db" "SELECT count(*), count(DISTINCT local_ref) FROM signal")
[ "$refs" = "253|253" ] || fail "police node recorded $refs signals (count|distinct local_ref)"
pass "a SIGKILL halfway loses nothing and sends nothing twice"

LOG="$T/politie-test.log"
rejected_has() { test -e "$SPOOL_STATE/rejected/$1"; }
logged() { grep -q "$1" "$LOG"; }
lines() { grep -c "$1" "$LOG" || true; }
SKIPPED=0
skip() {  # skip TEST WHY: say visibly that TEST did not run, and why
    echo "ok - $1 # SKIP $2"
    SKIPPED=$((SKIPPED + 1))
}

test_a_later_file_of_the_same_name_never_replaces_a_record() {
    echo '{ "subject": ' > "$T/first"
    echo '[1]' > "$T/second"
    mv "$T/first" "$SPOOL/dup.json"
    wait_until 20 rejected_has dup.json || fail "first dup.json not rejected"
    mv "$T/second" "$SPOOL/dup.json"
    wait_until 20 rejected_has dup.1.json || fail "second dup.json not rejected"
    grep -q subject "$SPOOL_STATE/rejected/dup.json" || fail "first rejected dup.json was replaced"
    grep -q '\[1\]' "$SPOOL_STATE/rejected/dup.1.json" || fail "second dup.json not kept as dup.1.json"
    [ -s "$SPOOL_STATE/rejected/dup.json.reason" ] || fail "first reason was replaced"
    # A forwarded file of an existing done/ name (other content) is sent
    # and kept beside the earlier one.  With the uitvoerder down no receipt
    # takes the earlier one out of done/ first.
    local before
    before=$(stored)
    kt_kill "$UITV"
    drop bvh-4
    wait_until 20 test -e "$SPOOL_STATE/done/bvh-4.json" || fail "first bvh-4.json not in done/"
    drop bvh-4 bvh-4-again
    wait_until 20 test -e "$SPOOL_STATE/done/bvh-4.1.json" || fail "second bvh-4.json not in done/"
    grep -q '"bvh-4"' "$SPOOL_STATE/done/bvh-4.json" || fail "done/bvh-4.json was replaced"
    grep -q '"bvh-4-again"' "$SPOOL_STATE/done/bvh-4.1.json" || fail "second bvh-4.json not kept as bvh-4.1.json"
    kt_start "$UITV"
    wait_until 20 stored_is $((before + 2)) || fail "not both bvh-4.json forwarded"
    wait_until 20 has done 0 || fail "done/ still holds bvh-4 after the receipts"
    # A reason left without its file (ketend died between writing the
    # reason and moving the file) is not overwritten either.
    echo "earlier reason" > "$SPOOL_STATE/rejected/orphan.json.reason"
    echo '{' > "$T/orphan"
    mv "$T/orphan" "$SPOOL/orphan.json"
    wait_until 20 rejected_has orphan.1.json || fail "orphan.json not rejected"
    [ "$(cat "$SPOOL_STATE/rejected/orphan.json.reason")" = "earlier reason" ] \
        || fail "an existing .reason was overwritten"
    [ -e "$SPOOL_STATE/rejected/orphan.1.json" ] && [ ! -e "$SPOOL_STATE/rejected/orphan.json" ] \
        || fail "orphan.json not moved beside its own reason"
    pass "test_a_later_file_of_the_same_name_never_replaces_a_record"
}

test_an_overlong_name_is_rejected_visibly_and_dot_files_are_left_alone() {
    local long
    long="$(printf 'x%.0s' $(seq 1 230)).json"
    echo '{}' > "$T/long"
    echo '{}' > "$SPOOL/.in-progress.json"
    echo '{}' > "$SPOOL/.in-progress.json.tmp"
    mv "$T/long" "$SPOOL/$long"
    wait_until 20 test ! -e "$SPOOL/$long" || fail "overlong name left in the spool"
    # Gone from the spool when claimed; the reason and the move follow.
    beside() {
        local r
        r=$(find "$SPOOL_STATE/rejected" -name "name-too-long-*.json.reason" | head -n1)
        [ -n "$r" ] && [ -e "${r%.reason}" ]
    }
    wait_until 20 beside || fail "overlong file not in rejected/ beside its reason"
    local reason
    reason=$(find "$SPOOL_STATE/rejected" -name "name-too-long-*.json.reason" | head -n1)
    [ -n "$reason" ] || fail "overlong name not in rejected/ under a short name"
    [ -e "${reason%.reason}" ] || fail "overlong file not beside its reason"
    grep -q "file name is 235 bytes, more than the limit of 200" "$reason" \
        || fail "reason does not say the name is too long"
    grep -qF "$long" "$reason" || fail "reason does not keep the original name"
    # That scan saw the dot files too; one more forwarded file proves a
    # further scan.
    drop after-dot
    wait_until 20 forwarded after-dot.json || fail "after-dot.json not forwarded"
    [ -e "$SPOOL/.in-progress.json" ] && [ -e "$SPOOL/.in-progress.json.tmp" ] \
        || fail "a dot file was taken"
    ! compgen -G "$SPOOL_STATE/rejected/.in-progress*" > /dev/null || fail "a dot file was rejected"
    rm "$SPOOL/.in-progress.json" "$SPOOL/.in-progress.json.tmp"
    pass "test_an_overlong_name_is_rejected_visibly_and_dot_files_are_left_alone"
}

test_the_log_names_a_class_never_a_file_or_its_content() {
    kt_signal_file "$T/full.json" Privé-1
    jq '. + {"geheimVeldJansen": 1}' "$T/full.json" > "$T/unknown"
    mv "$T/unknown" "$SPOOL/Jansen-Pietje.json"
    wait_until 20 rejected_has Jansen-Pietje.json || fail "unknown key not rejected"
    grep -q geheimVeldJansen "$SPOOL_STATE/rejected/Jansen-Pietje.json.reason" \
        || fail "the reason file does not name the unknown key"
    grep -q 'spool rejected class=invalid_signal ino=' "$LOG" || fail "no class in the log"
    grep -q 'spool rejected class=name_too_long ino=' "$LOG" || fail "no name_too_long class"
    grep -q 'spool rejected class=too_large ino=' "$LOG" || fail "no too_large class"
    ! grep -E 'Jansen|geheimVeld|xxxxxxxxxx|bvh-|dup\.|orphan|swap|linked|left[.-]|stored-crash|retry-E|nfs-|gone\.' "$LOG" \
        || fail "the log shows a file name or file content"
    pass "test_the_log_names_a_class_never_a_file_or_its_content"
}

# The file is in work/ (claimed by ketend) with no trace of it in rejected/.
claimed() {
    [ -e "$SPOOL_STATE/work/$1" ] || fail "$1 is not in work/"
    [ ! -e "$SPOOL/$1" ] || fail "$1 is still in the spool"
    ! compgen -G "$SPOOL_STATE/rejected/${1%.json}*" > /dev/null || fail "$1 has an entry in rejected/"
}
local_refs() {  # local_refs REF: how many signals the police node stored with local_ref REF
    sqlite3 "$T/state-politie-test/node.db" "SELECT count(*) FROM signal WHERE local_ref='$1'"
}
accepted() { lines 'signal accepted .* via=spool'; }
accepted_above() { [ "$(accepted)" -gt "$1" ]; }

test_a_file_with_another_name_elsewhere_is_rejected() {
    # A hard link may be a file its writer did not mean to send (or could
    # not read): only a file with exactly one name is taken.
    local before
    # What earlier tests sent is delivered first: a late arrival of theirs
    # must not count as this file sent.
    settled() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
    wait_until 20 settled || fail "earlier signals were not delivered"
    before=$(stored)
    kt_signal_file "$T/linked" linked-1
    ln "$T/linked" "$SPOOL/linked.json"
    wait_until 20 rejected_has linked.json || fail "a hard-linked file was not rejected"
    grep -q "hard link" "$SPOOL_STATE/rejected/linked.json.reason" || fail "the reason does not say hard link"
    # The log line follows the moves' fsyncs.
    wait_until 10 logged 'spool rejected class=hard_link ino=' || fail "no hard_link class in the log"
    [ "$(local_refs linked-1)" = 0 ] && [ "$(stored)" = "$before" ] || fail "a hard-linked file was sent"
    [ -s "$T/linked" ] || fail "the other name of the file was touched"
    pass "test_a_file_with_another_name_elsewhere_is_rejected"
}

test_a_file_left_in_work_before_it_was_stored_is_sent_once() {
    # What a crash after the claim and before the commit leaves: the file
    # in work/, not in the table.  The next start sends it, once.
    local before
    before=$(stored)
    kt_kill politie-test
    kt_signal_file "$SPOOL_STATE/work/left.json" left-1
    kt_start politie-test
    wait_until 20 forwarded left.json || fail "left.json not handled from work/"
    wait_until 30 stored_is $((before + 1)) || fail "left.json not forwarded"
    [ "$(local_refs left-1)" = 1 ] || fail "left.json stored $(local_refs left-1) times"
    [ -z "$(ls -A "$SPOOL_STATE/work")" ] || fail "work/ is not empty"
    pass "test_a_file_left_in_work_before_it_was_stored_is_sent_once"
}

test_a_move_target_on_another_filesystem_refuses_the_start() {
    # A rename cannot cross filesystems, nor mounts of one filesystem
    # (EXDEV): with the state directory, or done/ in it, on a mount of its
    # own every move would fail, on every scan.  ketend refuses to start,
    # naming both directories; --check says the same where it can see it.
    if ! unshare -rm true 2> /dev/null; then
        skip "${FUNCNAME[0]}" "no mount namespace (unshare -rm)"
        return 0
    fi
    local out rc fs="$T/spool-fs"
    mkdir -p "$fs" "$fs.state/done"
    sed -e "s|$SPOOL|$fs|" -e "s|state-politie-test|state-fs|" -e "s|politie-test.sock|fs.sock|" \
        "$T/politie-test.cfg" > "$T/fs.cfg"
    # mounted MOUNT-COMMAND [--check]: ketend (or its check) with MOUNT-COMMAND
    # run first in a mount namespace of its own; its output in out, its
    # status in rc.
    mounted() {
        rc=0
        # shellcheck disable=SC2016
        out=$(timeout 20 unshare -rm sh -c "$1"' && exec "$0" --config "$1" $2' \
            "$KETEND" "$T/fs.cfg" "${2:-}" 2>&1) || rc=$?
    }
    # done/ (or work/, rejected/) a mount of its own: refused by --check
    # and the start alike, 78 (not restarted every 5 s for ever).
    local how check done="\"$fs.state/done\""
    for how in "mount -t tmpfs none $done" "mount --bind $done $done"; do
        for check in --check ""; do
            mounted "$how" $check
            [ "$rc" = 78 ] || fail "ketend ${check:-start} exited $rc with $how: $out"
            grep -q "$fs.state/done/ is on another \(filesystem\|mount\) than the spool $fs" <<< "$out" \
                || fail "refusal unclear: $out"
        done
    done
    rm -r "$fs.state"
    mounted 'mkdir "'"$fs.state"'" && mount -t tmpfs none "'"$fs.state"'"'
    [ "$rc" = 78 ] || fail "ketend started (or exited $rc) with its state directory on another filesystem: $out"
    grep -q "put intake/spool-state-dir beside the spool; $fs.state is on another filesystem than the spool $fs$" <<< "$out" \
        || fail "refusal unclear: $out"
    # The same filesystem, another mount: what systemd makes of two
    # ReadWritePaths= entries.  st_dev alone cannot see it.
    rm -r "$fs.state"
    mkdir "$fs.state"
    mounted 'mount --bind "'"$fs.state"'" "'"$fs.state"'"' --check
    [ "$rc" = 78 ] || fail "ketend --check passed (or exited $rc) with its state directory on a mount of its own: $out"
    grep -q "(each ReadWritePaths= entry is one): keep both under one entry; $fs.state is on another mount than the spool $fs$" <<< "$out" \
        || fail "refusal unclear: $out"
    mounted 'mount --bind "'"$fs.state"'" "'"$fs.state"'"'
    [ "$rc" = 78 ] || fail "ketend started (or exited $rc) with its state directory on a mount of its own: $out"
    grep -q "(each ReadWritePaths= entry is one): keep both under one entry; $fs.state is on another mount than the spool $fs$" <<< "$out" \
        || fail "refusal unclear: $out"
    [ -z "$(ls -A "$fs.state")" ] || fail "ketend made something in a state directory it refused"
    pass "${FUNCNAME[0]}"
}

# Fault injection: strace attached to the police ketend makes chosen system
# calls on the spool or work/ (-P: only those with such a descriptor or
# path) fail or wait.  Whether strace can attach at all is probed once, on a
# process of our own: where it can, a failure to attach to ketend is a
# failure; where it cannot (no strace, ptrace not permitted, the daemon
# under KETEN_WRAP) the tests say SKIP, visibly, with the reason.
STRACE_PID=
NO_STRACE=
traced() { [ "$(awk '/^TracerPid:/ {print $2}' "/proc/$1/status")" != 0 ]; }
strace_probe() {
    if ! command -v strace > /dev/null; then
        NO_STRACE="strace is not installed"
        return
    fi
    if [ -n "${KETEN_WRAP:-}" ]; then
        NO_STRACE="the daemon runs under KETEN_WRAP"
        return
    fi
    sleep 60 &
    local pid=$! spid
    strace -qq -p "$pid" -e trace=none -o /dev/null 2> "$T/strace-probe.err" &
    spid=$!
    wait_until 10 eval "traced $pid || ! kill -0 $spid" || true
    traced "$pid" || NO_STRACE="strace cannot attach: $(head -n1 "$T/strace-probe.err")"
    kill "$spid" 2> /dev/null || true
    wait "$spid" 2> /dev/null || true
    kill "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
}
inject_start() {  # inject_start STRACE_ARGS...
    local pid=${KT_PID[politie-test]}
    strace -qq -p "$pid" -P "$SPOOL" -P "$SPOOL_STATE/work" -o "$T/strace.out" "$@" 2> "$T/strace.err" &
    STRACE_PID=$!
    wait_until 10 traced "$pid" || fail "strace did not attach to ketend: $(cat "$T/strace.err")"
}
inject_stop() {
    kill -TERM "$STRACE_PID"
    wait "$STRACE_PID" 2>/dev/null || true
    wait_until 10 eval '! traced ${KT_PID[politie-test]}' || fail "strace did not detach"
}
injected() { grep -c INJECTED "$T/strace.out" || true; }
injected_at_least() { [ "$(injected)" -ge "$1" ]; }
with_strace() {  # with_strace TEST: run TEST, or say why it cannot run
    if [ -n "$NO_STRACE" ]; then
        skip "$1" "$NO_STRACE"
    else
        "$1"
    fi
}

test_a_file_replaced_after_it_was_read_is_still_sent() {
    # The review's reproduction.  Every rename on the spool and work/ waits
    # 2 s; once the first swap.json is stored, ketend is about to move it to
    # done/, and the writer drops a new swap.json (rename over the name).
    # Moving by name would put the new file in done/ unsent; the file ketend
    # claimed into work/ is a different one, so the new one is sent too.
    local before n
    before=$(stored)
    n=$(accepted)
    inject_start -e trace=renameat2 -e inject=renameat2:delay_enter=2000000
    drop swap swap-first
    wait_until 20 accepted_above "$n" || fail "the first swap.json was not accepted"
    drop swap swap-second
    wait_until 40 stored_is $((before + 2)) \
        || fail "the file that replaced swap.json was not sent ($(($(stored) - before)) of 2 stored)"
    inject_stop
    # Both versions recorded (under one name, two hashes); their files
    # have left done/ with their receipts.
    [ "$(name_rows swap.json "DISTINCT hash")" = 2 ] \
        || fail "the spool table does not hold both versions of swap.json"
    wait_until 20 forwarded swap.json || fail "a swap.json is left in the spool or work/"
    [ "$(local_refs swap-first)|$(local_refs swap-second)" = "1|1" ] || fail "not each version sent once"
    pass "test_a_file_replaced_after_it_was_read_is_still_sent"
}

test_a_file_left_in_work_after_it_was_stored_is_not_sent_again() {
    # ketend is killed after the commit, while its move out of work/ (the
    # second rename: the first is the claim) waits: the next start finds
    # the file in work/ and in the table, and only moves it.
    local before n
    before=$(stored)
    n=$(accepted)
    inject_start -e trace=renameat2 -e inject=renameat2:delay_enter=30000000:when=2
    drop stored-crash stored-crash-1
    wait_until 20 accepted_above "$n" || fail "stored-crash.json was not accepted"
    # ketend first, then strace: the tracee, let go with SIGKILL pending,
    # dies without making the delayed rename.
    kill -KILL "${KT_PID[politie-test]}" "$STRACE_PID"
    wait "$STRACE_PID" 2> /dev/null || true
    kt_kill politie-test KILL
    [ -e "$SPOOL_STATE/work/stored-crash.json" ] || fail "stored-crash.json not in work/ at the crash"
    kt_start politie-test
    wait_until 20 test ! -e "$SPOOL_STATE/work/stored-crash.json" || fail "stored-crash.json not moved on"
    wait_until 30 stored_is $((before + 1)) || fail "stored-crash.json did not arrive"
    logged 'spool already_forwarded' || fail "no already_forwarded note"
    [ "$(local_refs stored-crash-1)" = 1 ] || fail "stored-crash.json stored $(local_refs stored-crash-1) times"
    [ -z "$(ls -A "$SPOOL_STATE/work")" ] || fail "work/ is not empty"
    pass "test_a_file_left_in_work_after_it_was_stored_is_not_sent_again"
}

test_a_passing_read_error_is_retried_and_warned_once_a_minute() {
    # Every scan (100 ms) fails to open the file; the warning is written
    # once, not once per scan.  ESTALE and ETIMEDOUT (NFS) pass too.
    local before retries
    for e in EMFILE:24 ESTALE:116 ETIMEDOUT:110; do
        before=$(stored)
        retries=$(lines "spool read_retry ino=[0-9]* errno=${e#*:}")
        # A bounded number of failures, run out before strace is stopped:
        # killed in the middle of an injection, strace leaves ENOSYS.
        inject_start -e trace=openat -e "inject=openat:error=${e%:*}:when=1..12"
        drop "retry-${e%:*}"
        wait_until 20 injected_at_least 5 || fail "fewer than 5 attempts to read while open fails"
        [ "$(lines "spool read_retry ino=[0-9]* errno=${e#*:}")" = $((retries + 1)) ] \
            || fail "${e%:*}: not exactly one read_retry warning for 5 failed scans"
        claimed "retry-${e%:*}.json"
        wait_until 20 injected_at_least 12 || fail "the 12 failed opens did not run out"
        inject_stop
        wait_until 20 forwarded "retry-${e%:*}.json" || fail "retry-${e%:*}.json not retried"
        wait_until 20 stored_is $((before + 1)) || fail "retry-${e%:*}.json not forwarded after the retry"
    done
    pass "test_a_passing_read_error_is_retried_and_warned_once_a_minute"
}

test_a_file_that_vanishes_leaves_no_stray_reason() {
    # Seen as gone three times when it is opened in work/, then once more
    # when it is moved to rejected/ (after its reason was written: the
    # second rename, the first is the claim); then it goes through.  A
    # reason left behind by the failed move would push the file to
    # gone.1.json: only gone.json and gone.json.reason may be there.
    local vanished
    vanished=$(lines 'spool vanished')
    inject_start -e trace=openat,renameat2 -e inject=openat:error=ENOENT:when=1..3 \
        -e inject=renameat2:error=ENOENT:when=2
    echo '{' > "$T/gone"
    mv "$T/gone" "$SPOOL/gone.json"
    wait_until 20 rejected_has gone.json || fail "gone.json not rejected in the end"
    inject_stop
    [ "$(injected)" = 4 ] || fail "not 4 faults injected"
    [ "$(lines 'spool vanished')" = $((vanished + 4)) ] || fail "not 4 vanished notes"
    [ -e "$SPOOL_STATE/rejected/gone.json" ] && [ ! -e "$SPOOL/gone.json" ] || fail "gone.json not moved"
    [ "$(find "$SPOOL_STATE/rejected" -name 'gone*' | wc -l)" = 2 ] || fail "stray entries for gone.json"
    pass "test_a_file_that_vanishes_leaves_no_stray_reason"
}

test_without_rename_noreplace_nothing_is_replaced_or_lost() {
    # A filesystem without RENAME_NOREPLACE (NFS) answers EINVAL.  The
    # claim is then a plain rename into work/ (ketend's own), and a move out
    # of work/ is link + unlink.  The plain rename is its own system call
    # only where the kernel has renameat beside renameat2.
    if [ "$(uname -m)" != x86_64 ]; then
        skip "${FUNCNAME[0]}" "renameat is renameat2 here"
        return 0
    fi
    local before
    before=$(stored)
    # The uitvoerder down: no receipt takes a file out of done/ while done/
    # is looked at.
    kt_kill "$UITV"
    inject_start -e trace=renameat2 -e inject=renameat2:error=EINVAL
    drop nfs-1
    drop nfs-2
    wait_until 20 test -e "$SPOOL_STATE/done/nfs-2.json" || fail "first nfs-2.json not in done/"
    drop nfs-2 nfs-2-again # done/nfs-2.json is there: kept beside it
    echo '{' > "$T/nfs-bad"
    mv "$T/nfs-bad" "$SPOOL/nfs-bad.json"
    wait_until 20 test -e "$SPOOL_STATE/done/nfs-1.json" || fail "nfs-1.json not in done/"
    wait_until 20 test -e "$SPOOL_STATE/done/nfs-2.1.json" || fail "second nfs-2.json not in done/"
    wait_until 20 rejected_has nfs-bad.json || fail "nfs-bad.json not rejected"
    inject_stop
    [ "$(injected)" -ge 3 ] || fail "RENAME_NOREPLACE was not refused"
    grep -q '"nfs-2"' "$SPOOL_STATE/done/nfs-2.json" || fail "done/nfs-2.json was replaced"
    grep -q '"nfs-2-again"' "$SPOOL_STATE/done/nfs-2.1.json" || fail "second nfs-2.json not kept as nfs-2.1.json"
    [ -s "$SPOOL_STATE/rejected/nfs-bad.json.reason" ] || fail "no reason for nfs-bad.json"
    for f in done/nfs-1.json done/nfs-2.json done/nfs-2.1.json rejected/nfs-bad.json; do
        [ "$(stat -c %h "$SPOOL_STATE/$f")" = 1 ] || fail "$f was linked, not moved"
    done
    [ -z "$(ls -A "$SPOOL_STATE/work")" ] || fail "work/ is not empty"
    kt_start "$UITV"
    wait_until 30 stored_is $((before + 3)) || fail "not all three files forwarded"
    wait_until 30 has done 0 || fail "done/ still has $(count done) files after their receipts"
    pass "test_without_rename_noreplace_nothing_is_replaced_or_lost"
}

test_a_passing_failure_to_open_the_spool_at_start_is_restarted() {
    # The start's check, and ketend --check, look at the spool and its
    # state directory first.  A failure that says nothing about the setup
    # (an I/O error, a stale NFS handle) is no refusal, which exits 78 and
    # leaves the unit failed for good: once, the start goes on; for as
    # long as it lasts, the start exits 1, which the unit restarts, and
    # --check passes, saying it could not tell.  A refusal of access is
    # the setup's, and stays a refusal.
    local e rc out inject
    # LeakSanitizer cannot run under ptrace, and its failure would change
    # the exit status these runs are about (the ASan build).
    local -x ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
    kt_kill politie-test
    for e in EIO ESTALE; do
        inject="strace -qq -o /dev/null -P $SPOOL -e trace=openat -e inject=openat:error=$e"
        KETEN_WRAP="$inject:when=1" kt_launch politie-test \
            || fail "$e on the spool's first open: the start did not go on: $(tail -n1 "$LOG")"
        # strace -o FILE blocks the signals that would end it: ketend ends it.
        kill -TERM "$(pgrep -P "${KT_PID[politie-test]}")"
        kt_kill politie-test
        rc=0
        $inject "$KETEND" --config "$T/politie-test.cfg" >> "$LOG" 2>&1 || rc=$?
        [ "$rc" = 1 ] || fail "$e on every open of the spool: ketend exited $rc, not 1 (restarted)"
        rc=0
        out=$($inject "$KETEND" --config "$T/politie-test.cfg" --check 2>&1) || rc=$?
        [ "$rc" = 0 ] && grep -q "spool check_deferred" <<< "$out" \
            || fail "--check with $e on the spool exited $rc: $out"
    done
    rc=0
    out=$(strace -qq -o /dev/null -P "$SPOOL" -e trace=openat -e inject=openat:error=EACCES \
        "$KETEND" --config "$T/politie-test.cfg" --check 2>&1) || rc=$?
    [ "$rc" = 78 ] || fail "--check with the spool refused to ketend exited $rc: $out"
    kt_start politie-test
    pass "${FUNCNAME[0]}"
}

test_a_later_file_of_the_same_name_never_replaces_a_record
test_an_overlong_name_is_rejected_visibly_and_dot_files_are_left_alone
test_a_file_with_another_name_elsewhere_is_rejected
test_a_file_left_in_work_before_it_was_stored_is_sent_once
test_a_move_target_on_another_filesystem_refuses_the_start
strace_probe
with_strace test_a_passing_failure_to_open_the_spool_at_start_is_restarted
with_strace test_a_file_replaced_after_it_was_read_is_still_sent
with_strace test_a_file_left_in_work_after_it_was_stored_is_not_sent_again
with_strace test_a_passing_read_error_is_retried_and_warned_once_a_minute
with_strace test_a_file_that_vanishes_leaves_no_stray_reason
with_strace test_without_rename_noreplace_nothing_is_replaced_or_lost
test_the_log_names_a_class_never_a_file_or_its_content
if [ "$SKIPPED" != 0 ]; then
    echo "SKIP: $SKIPPED spool tests did not run (the '# SKIP' lines above say why)" | tee /dev/stderr
fi
