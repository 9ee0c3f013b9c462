#!/usr/bin/env bash
# Fault injection at every write (tests/tools/faultfs.c, preloaded): a
# scenario - two signals in and their receipts out, one of them withdrawn
# by its sender (art. 12.5: gone from the weegploeg file), a weegploeg
# agenda to the kernpartijen, a roster change pushed to every member - is
# run once to count one node's writes to its files (each write, fsync,
# truncate or rename), then once per N with the N-th of them failing
# (EIO; every third run ENOSPC).  Both the uitvoerder and the police node
# are put through it.  After each run, with the fault gone: nothing
# unstored was acknowledged (every signal the police node holds as
# delivered is stored, its arrival logged once), every signal is
# delivered in the end and every withdrawn one gone, every member runs
# the newest roster, every copy the uitvoerder relays is receipted, and
# `keten log verify` passes.  KETEN_FAULT_STEP=S tries every S-th N only
# (default 10; 1 tries each).
source "$(dirname "$0")/lib.sh"
kt_need_faultfs
G=gemeente-maastricht
kt_federation "$G:gemeente" om-test:om
for id in politie-test "$G" om-test; do wait_until 10 link_up "$id" || fail "no link for $id"; done
ARM="$T/armed"
COUNT="$T/count"
KEPT=0        # signals submitted and not withdrawn
N_SENT=0
KIND=om       # om-test's kind, flipped by each run's roster change
WITHDRAWN=()

# with_fault NODE AT [ERRNO]: restart NODE under the library, disarmed
# until $ARM exists, its AT-th write failing (0: none).
with_fault() {
    local node=$1
    rm -f "$ARM" "$COUNT"
    kt_kill "$node"
    KETEN_WRAP=$(kt_fault_wrap KETEN_FAULT_ARM="$ARM" KETEN_FAULT_AT="$2" KETEN_FAULT_ERRNO="${3:-EIO}" \
        KETEN_FAULT_COUNT="$COUNT") \
        kt_start "$node"
    for id in politie-test "$G" om-test; do wait_until 10 link_up "$id" || fail "no link for $id"; done
}

# submit: one signal from the police node (a refusal under the fault is
# what is tested, so not fatal); its id, or "" - also from the error of
# a signal stored and sent whose record the disk did not confirm
# (docs/ARCHITECTURE.md, crash reasoning rule 19).
submit() {
    N_SENT=$((N_SENT + 1))
    kt_signal_file "$T/s.json" "F-$N_SENT"
    kt politie-test signal submit --file "$T/s.json" 2>&1 | grep -Eo '[0-9a-f]{32}' | head -n1 || true
}

# The scenario; any step may fail under the fault.
scenario() {
    local a b case_ref
    a=$(submit)
    b=$(submit)
    [ -z "$a" ] || KEPT=$((KEPT + 1))
    settled() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
    wait_until 10 settled || true
    if [ -n "$b" ]; then
        KEPT=$((KEPT + 1))
        if kt politie-test signal withdraw "$b" --reason "Fout ingevoerd." > /dev/null 2>&1; then
            KEPT=$((KEPT - 1))
            WITHDRAWN+=("$b")
        fi
    fi
    case_ref=$(kt "$UITV" signal list --json 2> /dev/null | jq -r '.signals[0].case_ref // empty' 2> /dev/null || true)
    [ -z "$case_ref" ] || kt "$UITV" weegploeg agenda --start "$(date -d '+2 days' +%F)T10:00" \
        --location Zaal --case "$case_ref" > /dev/null 2>&1 || true
    if [ $KIND = om ]; then KIND=politie; else KIND=om; fi
    kt "$UITV" member kind om-test "$KIND" > /dev/null 2>&1 || true
}

# After the fault, the node restarted without it: everything the
# federation was told happened, once.
check() {
    local what=$1 node=$2 stored logged roster
    with_fault "$node" 0
    drained() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
    wait_until 30 drained || fail "$what: messages stay in the police outbox"
    [ "$(jfield politie-test .outbox.refused)" = 0 ] || fail "$what: a message was refused"
    gone() {
        local listed
        listed=$(kt "$UITV" signal list --json | jq -r '.signals[].message_id')
        for w in "${WITHDRAWN[@]}"; do ! grep -qx "$w" <<< "$listed" || return 1; done
        [ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal")" = "$KEPT" ]
    }
    wait_until 30 gone || fail "$what: $(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal") signals stored, want $KEPT (${#WITHDRAWN[@]} withdrawn)"
    logged=$(kt "$UITV" log show --type MESSAGE_RECEIVED --limit 10000 --json \
        | jq '[.events[] | select(.message_type == "SIGNAL")] | length')
    [ "$logged" = $((KEPT + ${#WITHDRAWN[@]})) ] \
        || fail "$what: $logged signal arrivals logged, want $((KEPT + ${#WITHDRAWN[@]}))"
    roster=$(kt "$UITV" status --json | jq -r .roster_version)
    same_roster() { [ "$(jfield "$1" .roster_version)" = "$roster" ]; }
    for id in politie-test "$G" om-test; do
        wait_until 30 same_roster "$id" || fail "$what: $id runs roster $(jfield "$id" .roster_version), not $roster"
    done
    wait_until 30 relay_settled || fail "$what: copies the uitvoerder relays stay unreceipted"
    kt "$UITV" log verify > /dev/null || fail "$what: log verify fails"
}

step=${KETEN_FAULT_STEP:-10}
for node in "$UITV" politie-test; do
    # Count the writes of one undisturbed run.
    with_fault "$node" 0
    touch "$ARM"
    scenario
    K=$(tr -d ' ' < "$COUNT")
    [ "$K" -gt 10 ] || fail "the scenario made only $K writes at $node: is the library preloaded?"
    check "the undisturbed run at $node" "$node"
    runs=0
    for ((n = 1; n <= K; n += step)); do
        err=EIO
        [ $((n % 3)) != 0 ] || err=ENOSPC
        with_fault "$node" "$n" "$err"
        touch "$ARM"
        scenario
        check "$node: write $n of $K failing with $err" "$node"
        runs=$((runs + 1))
    done
    pass "$node: $runs runs, the N-th of $K writes failing: nothing acknowledged unstored, nothing lost or doubled, withdrawn signals gone, the log verifies"
done
