#!/usr/bin/env bash
# docs/ARCHITECTURE.md, Crash reasoning, rule 9: a node never locks itself
# out with its own roster.  The kept file is durable before node.db
# records its version, so a crash or a failed write in between leaves a
# node that starts (on the version before, or on the kept file, which it
# then records); and a different roster under a version already seen is
# refused, and its receipt says so.
#
# Fault injection: strace attached to one ketend makes the rename of its
# kept roster.txt fail (-P: only that path).  Where strace cannot attach the
# tests say SKIP, visibly, with the reason.
source "$(dirname "$0")/lib.sh"
# One case loses the uitvoerder's state (an old backup restored), so its
# log goes back: a witness that saw a checkpoint past it raises the alarm,
# as it must (whether it saw one depends on timing); lib.sh fails on any other.
KT_LOG_ALARM_OK=1
kt_federation
kt_keys om-new om
kt_keys gemeente-new gemeente
kt_keys extra-new om
wait_until 10 link_up politie-test || fail "no link"
rv() { jfield "$1" .roster_version; }
has_rv() { [ "$(rv "$1")" = "$2" ]; }
seen() { sqlite3 "$T/state-$1/node.db" "SELECT coalesce(max(version), 0) FROM roster_seen"; }
kept() { [ -e "$T/state-$1/roster.txt" ] && grep -Eo '^    version = [0-9]+' "$T/state-$1/roster.txt" | grep -Eo '[0-9]+' || echo 0; }
SKIPPED=0
skip() { echo "ok - $1 # SKIP $2"; SKIPPED=$((SKIPPED + 1)); }

STRACE_PID=
NO_STRACE=
traced() { [ "$(awk '/^TracerPid:/ {print $2}' "/proc/$1/status")" != 0 ]; }
strace_probe() {
    command -v strace > /dev/null || { NO_STRACE="strace is not installed"; return; }
    [ -z "${KETEN_WRAP:-}" ] || { NO_STRACE="the daemon runs under KETEN_WRAP"; return; }
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
# inject_start ID STRACE_ARGS...: trace ID's ketend on the temporary file
# its kept roster.txt is written to (-P matches a rename by its first
# path) and on its state directory.
inject_start() {
    local id=$1; shift
    : > "$T/strace.out"
    strace -qq -y -p "${KT_PID[$id]}" -P "$T/state-$id/roster.txt.tmp.${KT_PID[$id]}" -P "$T/state-$id" \
        -o "$T/strace.out" "$@" 2> "$T/strace.err" &
    STRACE_PID=$!
    wait_until 10 traced "${KT_PID[$id]}" || fail "strace did not attach to $id: $(cat "$T/strace.err")"
}
inject_stop() {  # inject_stop ID
    kill -TERM "$STRACE_PID"
    wait "$STRACE_PID" 2> /dev/null || true
    wait_until 10 eval "! traced ${KT_PID[$1]}" || fail "strace did not detach"
}
injected() { grep -c INJECTED "$T/strace.out" || true; }
injected_at_least() { [ "$(injected)" -ge "$1" ]; }
RENAMES=trace=rename,renameat,renameat2
with_strace() { if [ -n "$NO_STRACE" ]; then skip "$1" "$NO_STRACE"; else "$1"; fi; }

test_a_member_that_crashes_before_its_roster_is_in_place_starts_again() {
    # Every rename of politie's roster.txt fails; once one has, politie is
    # killed: a crash between writing the new version and renaming it in.
    inject_start politie-test -e "$RENAMES" -e "inject=rename,renameat,renameat2:error=EIO"
    kt "$UITV" member add "$T/keys/om-new.pub" | grep -q "roster version 2" || fail "add failed"
    wait_until 20 injected_at_least 1 || fail "politie never renamed a kept roster"
    # ketend first, then strace: the tracee, let go with SIGKILL pending,
    # dies without another rename.
    kill -KILL "${KT_PID[politie-test]}" "$STRACE_PID" 2> /dev/null || true
    wait "$STRACE_PID" 2> /dev/null || true
    kt_kill politie-test KILL
    [ "$(seen politie-test)" -le "$(kept politie-test)" ] || [ "$(seen politie-test)" -le 1 ] \
        || fail "node.db has seen version $(seen politie-test), no file holds it (kept: $(kept politie-test))"
    kt_launch politie-test \
        || fail "politie refuses its own roster after the crash: $(grep -o 'refusing the downgrade' "$T/politie-test.log" | tail -n1)"
    # The push was never receipted, so the relay offers it again.
    wait_until 20 has_rv politie-test 2 || fail "politie did not get version 2 after the restart"
    [ "$(seen politie-test)" = 2 ] && [ "$(kept politie-test)" = 2 ] || fail "seen $(seen politie-test), kept $(kept politie-test)"
    kt_kill politie-test; kt_start politie-test
    has_rv politie-test 2 || fail "politie forgot version 2 across a restart"
    pass "test_a_member_that_crashes_before_its_roster_is_in_place_starts_again"
}

test_the_uitvoerder_whose_kept_roster_cannot_be_renamed_starts_again() {
    # The uitvoerder's own change: the kept file cannot be put in place, so
    # the change is not in force (nothing pushed) and the node still runs.
    local before
    before=$(rv "$UITV")
    inject_start "$UITV" -e "$RENAMES" -e "inject=rename,renameat,renameat2:error=EIO:when=1"
    if kt "$UITV" member add "$T/keys/gemeente-new.pub" > "$T/add.out" 2>&1; then
        fail "a change whose roster could not be kept was reported as made"
    fi
    wait_until 10 injected_at_least 1 || fail "the uitvoerder never renamed a kept roster"
    inject_stop "$UITV"
    [ "$(seen "$UITV")" -le "$(kept "$UITV")" ] \
        || fail "node.db has seen version $(seen "$UITV"), no file holds it (kept: $(kept "$UITV"))"
    kt_kill "$UITV"
    kt_launch "$UITV" \
        || fail "the uitvoerder refuses its own roster: $(grep -o 'refusing the downgrade' "$T/$UITV.log" | tail -n1)"
    has_rv "$UITV" "$before" || fail "the uitvoerder runs $(rv "$UITV"), not $before"
    kt "$UITV" member add "$T/keys/gemeente-new.pub" | grep -q "roster version $((before + 1))" \
        || fail "the change cannot be made again"
    wait_until 20 has_rv politie-test $((before + 1)) || fail "politie did not get the new version"
    pass "test_the_uitvoerder_whose_kept_roster_cannot_be_renamed_starts_again"
}

test_the_kept_file_is_fsynced_with_its_directory_before_it_is_recorded() {
    # A power cut after the rename must not lose it: the directory is
    # fsynced after the rename, before node.db commits the version.
    inject_start politie-test -e trace=rename,renameat,renameat2,fsync,fdatasync \
        -P "$T/state-politie-test/node.db-wal"
    kt "$UITV" member revoke gemeente-new | grep -q "roster version" || fail "revoke failed"
    local v
    v=$(rv "$UITV")
    wait_until 20 has_rv politie-test "$v" || fail "politie did not get version $v"
    inject_stop politie-test
    # After the rename of roster.txt: the directory's fsync, then node.db's.
    awk -v dir="<$T/state-politie-test>" -v wal="node.db-wal>" '
        /rename/ && /roster.txt"/ { renamed = 1; next }
        renamed && /sync\(/ && index($0, dir) { dirsync = 1; next }
        renamed && /sync\(/ && index($0, wal) { ok = dirsync; exit }
        END { exit !ok }' "$T/strace.out" \
        || fail "roster.txt not durable before node.db records it: $(cat "$T/strace.out")"
    pass "test_the_kept_file_is_fsynced_with_its_directory_before_it_is_recorded"
}

test_a_different_roster_under_a_version_seen_is_refused_and_receipted_so() {
    # The uitvoerder restored from an old backup (state lost, the configured
    # roster v1) signs a different roster under a version politie has seen:
    # politie's latest records its opzegging, the rebuilt one does not.
    local v
    kt "$UITV" member opzegging politie-test > /dev/null || fail "opzegging failed"
    v=$(rv "$UITV")
    wait_until 20 has_rv politie-test "$v" || fail "politie did not get version $v"
    kt_kill "$UITV"
    rm -rf "$T/state-$UITV"
    kt_start "$UITV"
    # Changes up to politie's version, none of them its opzegging.
    local changes=("member add $T/keys/om-new.pub" "member add $T/keys/gemeente-new.pub"
        "member kind om-new reclassering" "member kind gemeente-new rvdk" "member revoke om-new")
    for c in "${changes[@]}"; do
        [ "$(rv "$UITV")" -lt "$v" ] || break
        # shellcheck disable=SC2086
        kt "$UITV" $c > /dev/null || fail "$c failed"
    done
    [ "$(rv "$UITV")" = "$v" ] || fail "could not rebuild version $v at the uitvoerder ($(rv "$UITV"))"
    # The copy of version v is the last pushed to politie; the ones before
    # may equal what politie has, byte for byte, and are then taken.
    last() {
        sqlite3 "$T/state-$UITV/node.db" "SELECT state FROM relay WHERE recipient='politie-test'
            AND type=4 ORDER BY created_ms DESC, rowid DESC LIMIT 1"
    }
    answered() { [ "$(last)" != 0 ]; }
    wait_until 20 answered || fail "politie never answered version $v"
    [ "$(last)" = 2 ] || fail "a different roster under version $v was receipted as accepted"
    grep -q "differs from the version-$v roster accepted before" "$T/politie-test.log" \
        || fail "politie does not say why it refused"
    has_rv politie-test "$v" || fail "politie changed its roster"
    pass "test_a_different_roster_under_a_version_seen_is_refused_and_receipted_so"
}

test_a_lost_kept_roster_is_a_downgrade_even_when_its_old_version_was_seen() {
    # politie saw version 1 (its configured roster) and then a newer one;
    # its kept roster.txt is lost (or an old backup restored).  The
    # configured version 1 is one it knows, byte for byte, yet older than
    # the newest it accepted: refused, never run on (an old member list
    # would admit members whose access was taken).
    local v out
    kt "$UITV" member add "$T/keys/extra-new.pub" > /dev/null || fail "member add failed"
    v=$(rv "$UITV")
    wait_until 20 has_rv politie-test "$v" || fail "politie did not get version $v"
    kt_kill politie-test
    rm -f "$T/state-politie-test/roster.txt"
    if out=$(timeout 20 "$KETEND" --config "$T/politie-test.cfg" 2>&1); then
        fail "politie started on an older roster than version $v: $out"
    fi
    grep -q "refusing the downgrade" <<< "$out" || fail "the refusal does not say why: $out"
    pass "test_a_lost_kept_roster_is_a_downgrade_even_when_its_old_version_was_seen"
}

strace_probe
with_strace test_a_member_that_crashes_before_its_roster_is_in_place_starts_again
with_strace test_the_uitvoerder_whose_kept_roster_cannot_be_renamed_starts_again
with_strace test_the_kept_file_is_fsynced_with_its_directory_before_it_is_recorded
test_a_different_roster_under_a_version_seen_is_refused_and_receipted_so
test_a_lost_kept_roster_is_a_downgrade_even_when_its_old_version_was_seen
if [ "$SKIPPED" != 0 ]; then
    echo "SKIP: $SKIPPED roster crash tests did not run (the '# SKIP' lines above say why)" | tee /dev/stderr
fi
