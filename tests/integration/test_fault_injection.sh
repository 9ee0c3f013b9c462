#!/usr/bin/env bash
# Fault injection at every write of the uitvoerder (tests/tools/faultfs.c,
# preloaded): a scenario - a signal in and its receipt out, a weegploeg
# agenda to the kernpartijen, a roster change pushed to every member - is
# run once to count the uitvoerder's writes to its files (each write,
# fsync, truncate or rename), then once per N with the N-th of them
# failing (EIO, every third run ENOSPC).  After each run, with the fault
# gone: the uitvoerder acknowledged nothing it did not store (every signal
# the police node holds as delivered is stored, once), every signal is
# delivered in the end, each agenda and roster version reached the
# members, and `keten log verify` passes.  KETEN_FAULT_STEP=S tries every
# S-th N only (default 5; 1 tries every one).
source "$(dirname "$0")/lib.sh"
LIB="$KETEN_BIN/libketen_faultfs.so"
[ -f "$LIB" ] || fail "$LIB not built"
G=gemeente-maastricht
kt_federation "$G:gemeente" om-test:om
for id in politie-test "$G" om-test; do wait_until 10 link_up "$id" || fail "no link for $id"; done
ARM="$T/armed"
COUNT="$T/count"
SENT=0        # signals submitted so far
ROSTER=1      # the roster version in force
KIND=om       # om-test's kind, flipped by each run's roster change

# uitvoerder_with AT [ERRNO]: restart the uitvoerder under the library,
# disarmed until $ARM exists, its AT-th write failing (0: none).
uitvoerder_with() {
    rm -f "$ARM" "$COUNT"
    kt_kill "$UITV"
    KETEN_WRAP="env LD_PRELOAD=$LIB KETEN_FAULT_ARM=$ARM KETEN_FAULT_AT=$1 KETEN_FAULT_ERRNO=${2:-EIO} KETEN_FAULT_COUNT=$COUNT ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ${KETEN_WRAP:-}" \
        kt_start "$UITV"
    for id in politie-test "$G" om-test; do wait_until 10 link_up "$id" || fail "no link for $id"; done
}

# The scenario; a step may fail under the fault, which is what is tested.
scenario() {
    SENT=$((SENT + 1))
    kt_signal_file "$T/s.json" "F-$SENT"
    kt politie-test signal submit --file "$T/s.json" > /dev/null || fail "the police node refused signal $SENT"
    local a=""
    settled() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
    wait_until 10 settled || true
    a=$(kt "$UITV" signal list --json 2> /dev/null | jq -r '.signals[0].case_ref // empty' 2> /dev/null || true)
    [ -z "$a" ] || kt "$UITV" weegploeg agenda --start "$(date -d '+2 days' +%F)T10:00" --location Zaal \
        --case "$a" > /dev/null 2>&1 || true
    if [ $KIND = om ]; then KIND=politie; else KIND=om; fi
    kt "$UITV" member kind om-test "$KIND" > /dev/null 2>&1 || true
}

# After the fault: everything the federation was told happened, once.
check() {
    local what=$1 stored delivered
    uitvoerder_with 0
    drained() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
    wait_until 30 drained || fail "$what: signals stay undelivered"
    [ "$(jfield politie-test .outbox.refused)" = 0 ] || fail "$what: a signal was refused"
    stored=$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal")
    [ "$stored" = "$SENT" ] || fail "$what: $stored signals stored, $SENT sent"
    local logged
    logged=$(kt "$UITV" log show --type MESSAGE_RECEIVED --limit 10000 --json \
        | jq '[.events[] | select(.message_type == "SIGNAL")] | length')
    [ "$logged" = "$SENT" ] || fail "$what: $logged signal arrivals logged, $SENT sent"
    ROSTER=$(kt "$UITV" status --json | jq -r .roster_version)
    same_roster() { [ "$(jfield "$1" .roster_version)" = "$ROSTER" ]; }
    for id in politie-test "$G" om-test; do
        wait_until 30 same_roster "$id" || fail "$what: $id runs roster $(jfield "$id" .roster_version), not $ROSTER"
    done
    relayed() { relay_settled; }
    wait_until 30 relayed || fail "$what: copies the uitvoerder relays stay unreceipted"
    kt "$UITV" log verify > /dev/null || fail "$what: log verify fails"
}

# Count the writes of one undisturbed run.
uitvoerder_with 0
touch "$ARM"
scenario
K=$(tr -d ' ' < "$COUNT")
[ "$K" -gt 10 ] || fail "the scenario made only $K writes: is the library preloaded?"
check "the undisturbed run"
echo "# the scenario makes $K writes at the uitvoerder"

step=${KETEN_FAULT_STEP:-5}
runs=0
for ((n = 1; n <= K; n += step)); do
    err=EIO
    [ $((n % 3)) != 0 ] || err=ENOSPC
    uitvoerder_with "$n" "$err"
    touch "$ARM"
    scenario
    check "write $n of $K failing with $err"
    runs=$((runs + 1))
done
pass "$runs runs, the N-th of $K writes failing: nothing acknowledged unstored, nothing lost or doubled, the log verifies"
