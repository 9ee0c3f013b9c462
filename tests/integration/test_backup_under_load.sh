#!/usr/bin/env bash
# A backup taken while signals arrive is one moment of the node
# (docs/OPERATIONS.md, "What a backup is"): in every backup taken during
# a burst of submissions, at politie and at the uitvoerder, every row
# sealed under a data key has its key in the same backup's keystore.db,
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" R-1
mkdir "$T/bk"
# Bursts one after another, each stored in one group commit.
( for b in $(seq 1 40); do kt_burst politie-test 10 "$T/s.json"; done ) > "$T/burst.out" &
BURST=$!
n=0
for i in 1 2 3 4 5 6; do
    kt politie-test backup "$T/bk/p$i" > /dev/null || fail "backup $i at politie"
    kt "$UITV" backup "$T/bk/u$i" > /dev/null || fail "backup $i at the uitvoerder"
done
wait $BURST
[ "$(grep -c '^delivered\|^queued' "$T/burst.out")" -gt 0 ] || fail "no submission answered: $(head -3 "$T/burst.out")"
# Rows and keys of one backup DIR: sealed rows whose key is missing, keys
# with no row.
orphans() {  # orphans DIR TABLE.FILE
    sqlite3 "$1/keystore.db" "ATTACH '$1/$2' AS d;
        SELECT count(*) FROM d.$3 WHERE key_id IS NOT NULL AND key_id NOT IN (SELECT key_id FROM data_key)"
}
sizes=""
for i in 1 2 3 4 5 6; do
    rows=$(sqlite3 "$T/bk/p$i/node.db" "SELECT count(*) FROM signal")
    sizes="$sizes $rows"
    [ "$(orphans "$T/bk/p$i" node.db signal)" = 0 ] || fail "politie backup $i: a signal row without its key"
    [ "$(orphans "$T/bk/u$i" weegploeg.db subject)" = 0 ] || fail "uitvoerder backup $i: a subject without its key"
done
# The check can fail: a key taken from a copy is found missing.
cp -r "$T/bk/p6" "$T/bk/spoilt"
sqlite3 "$T/bk/spoilt/keystore.db" "ATTACH '$T/bk/spoilt/node.db' AS d;
    DELETE FROM data_key WHERE key_id = (SELECT key_id FROM d.signal LIMIT 1)"
[ "$(orphans "$T/bk/spoilt" node.db signal)" -gt 0 ] || fail "the check cannot fail: a missing key is not found"
[ "$(sqlite3 "$T/bk/p6/node.db" "SELECT count(*) FROM signal")" -gt "$(sqlite3 "$T/bk/p1/node.db" "SELECT count(*) FROM signal")" ] \
    || fail "the check cannot fail: no signal arrived between the backups (signal rows:$sizes)"
pass "backups taken during a burst of submissions: every sealed row has its key (politie's signal rows:$sizes)"
