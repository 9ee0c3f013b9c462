#!/usr/bin/env bash
# keten log verify recomputes the uitvoerder's provenance log from its
# entries and names the first bad index when an entry was changed in place,
# dropped or reordered (issue #4, the checks that need no checkpoint).
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json"
for i in $(seq 1 12); do kt politie-test signal submit --file "$T/s.json" > /dev/null; done
twelve() { [ "$(jfield "$UITV" .log.size)" = 12 ]; }
wait_until 30 twelve || fail "log did not reach 12 entries"
root=$(jfield "$UITV" .log.root)

out=$("$KETEN" -c "$T/$UITV.cfg" log verify)   # while the daemon runs
grep -q "12 entries verified, root $root" <<< "$out" || fail "verify: $out"
pass "a running uitvoerder's log verifies: $out"
kt_kill "$UITV"

LOG="$T/state-$UITV/log.db"
expect_bad() {  # expect_bad FILE INDEX WHAT
    local out
    if out=$("$KETEN" log verify --file "$1" 2>&1); then fail "$3 not detected: $out"; fi
    grep -q "at index $2:" <<< "$out" || fail "$3: wrong index in '$out'"
    pass "$3 detected: $out"
}
tampered() {  # tampered NAME SQL: a copy of the log with SQL applied
    cp "$LOG" "$T/$1.db"
    sqlite3 "$T/$1.db" "DROP TRIGGER entry_no_update; DROP TRIGGER entry_no_delete; $2"
    echo "$T/$1.db"
}
sqlite3 "$LOG" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
expect_bad "$(tampered byte "UPDATE entry SET entry = CAST(entry AS BLOB) || x'00' WHERE idx = 5")" 5 \
    "one entry changed in place"
expect_bad "$(tampered drop "DELETE FROM entry WHERE idx = 7")" 7 "a dropped entry"
expect_bad "$(tampered swap "UPDATE entry SET idx = -1 WHERE idx = 3; UPDATE entry SET idx = 3 WHERE idx = 4;
                            UPDATE entry SET idx = 4 WHERE idx = -1")" 3 "two entries reordered"
expect_bad "$(tampered head "DELETE FROM entry WHERE idx = 11")" 11 "the newest entry dropped under the stored head"
