# Shared by the tests of a police representative's withdrawal (art. 7.2a)
# whose destruction fails part-way: an uitvoerder with the example
# referentiekader and a politie node with a spool in auto mode, on
# loopback, and the helpers below.  Source after lib.sh.
#
# withdraw_federation FILE NAME: the federation up; FILE (e.g.
# forget.db-wal) is the file uitv_with makes fail, NAME the surname each
# dropped signal's subject gets (a new person each time).
withdraw_federation() {
    WD_FAULT=$1 WD_NAME=$2
    kt_need_faultfs
    kt_keys "$UITV" uitvoerder
    kt_keys politie-test politie
    kt_roster 1 "$T/roster.txt" "$UITV" politie-test
    PORT=
    kt_config "$UITV"; kt_start "$UITV"; kt_kill "$UITV"
    printf 'weegploeg\n    referentiekader = "%s"\n' "$KT_SRC/configs/referentiekader-example.zpl" >> "$T/$UITV.cfg"
    kt_start "$UITV"
    SPOOL="$T/spool"; mkdir "$SPOOL"
    kt_config politie-test
    printf 'intake\n    spool-dir = "%s"\n    spool-poll-ms = 100\n    representative-mode = auto\n    representative = "Vertegenwoordiger Test"\n    representative-group = %s\n    release-group = %s\n' \
        "$SPOOL" "$(id -gn)" "$(id -gn)" >> "$T/politie-test.cfg"
    kt_start politie-test
    wait_until 10 link_up politie-test || fail "no link"
    ARM="$T/armed"; COUNT="$T/count"
    N=0
}

# uitv_with AT [ALL]: restart the uitvoerder (a clean start: nothing is
# counted before $ARM exists) with $WD_FAULT's AT-th write failing (from
# the AT-th on with ALL=1; AT=0 only counts), armed once $ARM exists.
uitv_with() {
    rm -f "$ARM" "$COUNT"
    kt_kill "$UITV"
    KETEN_WRAP=$(kt_fault_wrap KETEN_FAULT_ARM="$ARM" KETEN_FAULT_AT="$1" KETEN_FAULT_ALL="${2:-0}" \
        KETEN_FAULT_SUFFIX="$WD_FAULT" KETEN_FAULT_COUNT="$COUNT") kt_start "$UITV"
    wait_until 10 link_up politie-test || fail "no link"
}

# drop: a new spool signal about a new person, delivered; its id in SID,
# its case at the uitvoerder in CASE.
drop() {
    N=$((N + 1))
    kt_signal_file "$T/s$N.json" "W-$N"
    sed -i "s/Test Persoon/$WD_NAME$N Testpersoon/" "$T/s$N.json"
    cp "$T/s$N.json" "$SPOOL/.s$N.tmp" && mv "$SPOOL/.s$N.tmp" "$SPOOL/s$N.json"
    dl() { [ "$(kt politie-test signal list --json | jq -r --arg r "W-$N" '.signals[] | select(.local_ref==$r) | .state')" = delivered ]; }
    wait_until 20 dl || fail "spool signal $N not delivered"
    SID=$(kt politie-test signal list --json | jq -r --arg r "W-$N" '.signals[] | select(.local_ref==$r) | .message_id')
    CASE=$(kt "$UITV" signal list --json | jq -r --arg id "$SID" '.signals[] | select(.message_id==$id) | .case_ref')
    [ -n "$CASE" ] || fail "signal $N has no case_ref at the uitvoerder"
}

# withdraw_waiting: the police representative withdraws signal SID and
# waits for the answer - at most 10 s, not the CLI's two minutes when none
# comes (the police node keeps the withdrawal and retries it).
withdraw_waiting() {
    timeout 10 "$KETEN" --socket "$T/politie-test.sock" signal withdraw "$SID" \
        --reason "Ingetrokken (fictief)." --wait 2>&1 || true
}
