#!/usr/bin/env bash
# Receipts made while the uitvoerder's commits are synced
# (docs/ARCHITECTURE.md, crash reasoning rules 2 and 19): the uitvoerder
# commits a drain's log entries and signals without waiting for the disk,
# syncs log.db's and weegploeg.db's write-ahead logs beside its loop, and
# makes, seals and signs the receipts meanwhile; they leave only once both
# syncs have succeeded.  The uitvoerder runs under tests/tools/faultfs.c
# with only the syncs of one of the two logs counted:
# - each made 3 s slower: the signal is stored while its caller still
#   waits for the receipt, which comes after the sync;
# - the first failing: the log is written anew and synced at once
#   (healed), and the receipt goes;
# - all of them failing, the heal's too: no receipt, and none for the
#   police node's retries either (the rows are not known durable), and
#   (log.db's) no checkpoint signed over the entries; the file takes no
#   writes until a restart, after which the signal is delivered once,
#   and the log still verifies;
# - the uitvoerder killed during the sync: no receipt, and after the
#   restart the signal is delivered once.
source "$(dirname "$0")/lib.sh"
LIB="$KETEN_BIN/libketen_faultfs.so"
[ -f "$LIB" ] || fail "$LIB not built"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
ARM="$T/armed"
DELAY_MS=3000

# with_syncs FILE AT DELAY_MS [ALL]: restart the uitvoerder (killed: a stop
# would wait out the slow syncs of its last checkpoint) under the library,
# from the moment $ARM exists each sync of FILE's write-ahead log DELAY_MS
# slower and the AT-th failing (0: none), with ALL=1 every one from the
# AT-th on.  One signal goes first: the first commit after a start begins
# a new log, whose header SQLite syncs on the committing thread itself.
N_WARM=0
with_syncs() {
    rm -f "$ARM"
    kt_kill "$UITV" KILL
    KETEN_WRAP="env LD_PRELOAD=$LIB KETEN_FAULT_ARM=$ARM KETEN_FAULT_SYNCS=1 KETEN_FAULT_SUFFIX=/$1-wal KETEN_FAULT_AT=$2 KETEN_FAULT_ALL=${4:-0} KETEN_FAULT_SYNC_DELAY_MS=$3 KETEN_FAULT_COUNT=$T/count ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ${KETEN_WRAP:-}" \
        kt_start "$UITV"
    wait_until 10 link_up politie-test || fail "no link after the restart"
    N_WARM=$((N_WARM + 1))
    kt_signal_file "$T/w.json" "WARM-$N_WARM"
    kt politie-test signal submit --file "$T/w.json" --wait > /dev/null || fail "the first signal after the restart"
}
plain_restart() {
    kt_kill "$UITV" KILL
    kt_start "$UITV"
    wait_until 10 link_up politie-test || fail "no link after the restart"
}
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal"; }
ms() { echo $(($(date +%s%N) / 1000000)); }
# arrives_within MS: the uitvoerder holds more than $before signals
# within MS ms.
arrives_within() {
    local deadline=$(($(ms) + $1))
    until [ "$(stored)" -gt "$before" ]; do
        [ "$(ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}
state_of() {  # state_of ID: its delivery state at the police node
    kt politie-test signal list --json | jq -r --arg id "$1" '.signals[] | select(.message_id == $id) | .state'
}
delivered() { [ "$(state_of "$1")" = delivered ]; }
# The uitvoerder's journal from the mark on (its file grows across restarts).
mark_log() { MARK=$(stat -c %s "$T/$UITV.log"); }
since_mark() { tail -c +$((MARK + 1)) "$T/$UITV.log"; }
logged() { grep -q "$1" <<< "$(since_mark)"; }
withheld() { logged "receipt withheld id=$1 .*storage unconfirmed"; }
# The largest checkpoint the uitvoerder keeps, and the largest the police
# node's witness has seen.
signed_size() { sqlite3 "$T/state-$UITV/node.db" "SELECT coalesce(max(size), 0) FROM checkpoint"; }
seen_size() { sqlite3 "$T/state-politie-test/node.db" "SELECT coalesce(max(size), 0) FROM witness_seen"; }
log_verifies() { kt "$UITV" log verify > "$T/verify.out" 2>&1; }

# A slow disk, either file: the signal is stored during the sync, its
# caller waits for the receipt until the sync has ended.
for file in log.db weegploeg.db; do
    with_syncs "$file" 0 $DELAY_MS
    kt_signal_file "$T/s1.json" "SLOW-$file"
    before=$(stored)
    touch "$ARM"
    started=$(ms)
    kt politie-test signal submit --file "$T/s1.json" --wait > "$T/out1" 2>&1 &
    SUB=$!
    arrives_within 2000 || fail "$file: the signal was not stored while the uitvoerder synced"
    kill -0 "$SUB" 2> /dev/null || fail "$file: the receipt came before the sync ended: $(cat "$T/out1")"
    wait "$SUB" || fail "$file: the submission failed: $(cat "$T/out1")"
    took=$(($(ms) - started))
    [ "$took" -ge $DELAY_MS ] || fail "$file: the caller had its receipt after $took ms, within the $DELAY_MS ms sync"
    [ "$(tr -d ' ' < "$T/count")" = 1 ] || fail "$(cat "$T/count") syncs of $file-wal counted, want 1"
    pass "a slow $file: the signal was stored during the sync, its receipt came after it ($took ms)"
done

# The sync fails once: the log is written anew and synced at once, which
# makes the commit durable after all; the receipt goes.
for file in log.db weegploeg.db; do
    with_syncs "$file" 1 0
    kt_signal_file "$T/s2.json" "EIO-$file"
    before=$(stored)
    mark_log
    touch "$ARM"
    out=$(kt politie-test signal submit --file "$T/s2.json" --wait 2>&1) || fail "$file: a healed sync: $out"
    logged "store sync_failed reason=\"disk I/O error\": healed" ||
        fail "$file: the healed sync was not logged"
    [ "$(tr -d ' ' < "$T/count")" -ge 2 ] || fail "$file: the log was not synced again after the failed sync"
    [ "$(stored)" = $((before + 1)) ] || fail "$file: $(stored) signals at the uitvoerder, want $((before + 1))"
    pass "$file's sync failing once: healed by writing the log anew and syncing it, the receipt went"
done

# Every sync of one file's log fails, the heal's too: no receipt, now or
# for the retries; no writes until a restart, which delivers the signal
# once; the provenance log still verifies.
for file in log.db weegploeg.db; do
    with_syncs "$file" 1 0 1
    signed=$(signed_size) seen=$(seen_size)
    kt_signal_file "$T/s3.json" "LOST-$file"
    before=$(stored)
    mark_log
    touch "$ARM"
    out=$(kt politie-test signal submit --file "$T/s3.json" 2>&1) || fail "$file: the police node refused: $out"
    id=$(grep -Eo '[0-9a-f]{32}' <<< "$out" | head -n1)
    [ -n "$id" ] || fail "$file: no id in $out"
    wait_until 10 logged "store sync_failed .*takes no writes until the node is restarted" ||
        fail "$file: the file's state after the unhealed sync was not logged"
    logged "signal store_failed count=1 reason=\".*disk I/O error" ||
        fail "$file: the drain's failure was not logged"
    wait_until 10 withheld "$id" || fail "$file: the police node's retry of $id was not withheld"
    ! delivered "$id" || fail "$file: $id delivered although its commit is not known durable"
    # A checkpoint over the log's entries only when they are durable:
    # the weegploeg file's failure leaves them so.
    if [ "$file" = log.db ]; then
        sleep 2.5 # a checkpoint push's interval
        [ "$(signed_size)" = "$signed" ] && [ "$(seen_size)" = "$seen" ] ||
            fail "$file: a checkpoint over entries not known durable: kept of size $(signed_size) (was $signed), seen by the police node of size $(seen_size) (was $seen)"
    fi
    [ "$(jfield "$UITV" .storage.error)" = "disk I/O error" ] ||
        fail "$file: the storage error shown is $(jfield "$UITV" .storage.error)"
    plain_restart
    wait_until 10 delivered "$id" || fail "$file: $id is $(state_of "$id") after the restart, not delivered"
    [ "$(stored)" = $((before + 1)) ] || fail "$file: $(stored) signals at the uitvoerder, want $((before + 1))"
    log_verifies || fail "$file: the log does not verify after the restart: $(cat "$T/verify.out")"
    pass "every sync of $file failing: no receipt (the retries' withheld too), no checkpoint over them; delivered once after the restart"
done

# Killed during the sync: no receipt, and the signal is delivered once
# after the restart.
with_syncs weegploeg.db 0 $DELAY_MS
kt_signal_file "$T/s4.json" KILL-4
before=$(stored)
touch "$ARM"
out=$(kt politie-test signal submit --file "$T/s4.json" 2>&1) || fail "the police node refused: $out"
id=$(grep -Eo '[0-9a-f]{32}' <<< "$out" | head -n1)
arrives_within 2000 || fail "the signal was not stored before the kill"
kt_kill "$UITV" KILL
sleep 0.5 # a receipt on its way would be in by now
! delivered "$id" || fail "$id delivered although the uitvoerder was killed during its sync"
kt_start "$UITV"
wait_until 10 link_up politie-test || fail "no link after the kill"
wait_until 10 delivered "$id" || fail "$id is $(state_of "$id") after the restart, not delivered"
[ "$(stored)" = $((before + 1)) ] || fail "$(stored) signals at the uitvoerder, want $((before + 1))"
log_verifies || fail "the log does not verify after the kill: $(cat "$T/verify.out")"
pass "killed during the sync: no receipt, delivered once after the restart"
