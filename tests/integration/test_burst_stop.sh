#!/usr/bin/env bash
# A burst of submissions is stored in one group commit, sent while its
# log is synced beside the police node's loop (partner_flush;
# docs/ARCHITECTURE.md, "Crash reasoning", rule 19).  The node is stopped with SIGTERM at moments
# before, during and after that commit, and started again each time: it
# stops cleanly, no caller heard "delivered" for a signal that is not
# stored at both ends nor "queued" (a caller still waiting at the stop)
# for one the police node does not hold, and every signal the police
# node holds reaches the uitvoerder, once.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" BURST
held() { sqlite3 "$T/state-politie-test/node.db" "SELECT count(*) FROM signal"; }
stored() { jfield "$UITV" .stored.signals; }
drained() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
answered=0 queued=0 rounds=""
for pause in 0 0.005 0.02 0.05 0.2; do
    rm -f "$T/sent"
    KT_BURST_SENT="$T/sent" kt_burst politie-test 1000 "$T/s.json" > "$T/answers" &
    burst=$!
    # A tight, bounded wait: wait_until looks only every 50 ms.
    for _ in $(seq 5000); do [ -e "$T/sent" ] && break; sleep 0.002; done
    [ -e "$T/sent" ] || fail "the burst was not sent"
    sleep "$pause"
    pid=${KT_PID[politie-test]}
    kill -TERM "$pid"
    rc=0
    wait "$pid" || rc=$?
    unset "KT_PID[politie-test]"
    [ $rc = 0 ] || fail "stopped $pause s into a burst, the node exited $rc: $(tail -n 5 "$T/politie-test.log")"
    wait "$burst" || true
    kt_start politie-test
    wait_until 10 link_up politie-test || fail "no link after the restart"
    wait_until 30 drained || fail "the outbox does not drain after a stop $pause s into a burst"
    [ "$(jfield politie-test .outbox.refused)" = 0 ] || fail "a signal was refused"
    [ "$(held)" = "$(stored)" ] ||
        fail "after a stop $pause s into a burst: the police node holds $(held) signals, the uitvoerder $(stored)"
    # delivered, or (a caller still waiting at the stop, docs/API.md
    # signal.submit) queued: either way stored, once.
    while read -r state id; do
        case $state in
            delivered) answered=$((answered + 1)) ;;
            queued) queued=$((queued + 1)) ;;
            *) fail "an answer other than delivered or queued: $state $id" ;;
        esac
        one=$(sqlite3 "$T/state-politie-test/node.db" "SELECT count(*) FROM signal WHERE hex(message_id)=upper('$id')")
        [ "$one" = 1 ] || fail "$id was answered $state, and the police node does not hold it"
    done < "$T/answers"
    rounds="$rounds $(wc -l < "$T/answers")"
done
[ "$(held)" -gt 0 ] || fail "no burst was stored at all"
pass "stopped five times into a burst of 1,000 (answered before the stop:$rounds): $(held) signals held at both ends, once; the $answered answered delivered and the $queued answered queued at the stop are stored"
