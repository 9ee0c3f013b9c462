#!/usr/bin/env bash
# The police node forwards what is dropped in its spool directory by itself:
# valid files go to done/ and reach the uitvoerder exactly once, invalid ones
# go to rejected/ with a .reason file; nothing is lost or sent twice when the
# uitvoerder is down, when ketend is killed halfway, or when a file that was
# already forwarded shows up again.
source "$(dirname "$0")/lib.sh"
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_roster 1 "$T/roster.txt" "$UITV" politie-test
PORT=
kt_config "$UITV"
kt_start "$UITV"
SPOOL="$T/spool"
mkdir "$SPOOL"
spool_config() {
    kt_config politie-test
    printf 'intake\n    spool-dir = "%s"\n    spool-poll-ms = 100\n' "$SPOOL" >> "$T/politie-test.cfg"
}
spool_config
kt_start politie-test
wait_until 10 link_up politie-test || fail "no link"

drop() {  # drop NAME [LOCAL_REF]: write under a temporary name, then rename
    kt_signal_file "$SPOOL/.$1.tmp" "${2:-$1}"
    mv "$SPOOL/.$1.tmp" "$SPOOL/$1.json"
}
count() { find "$SPOOL/$1" -name '*.json' | wc -l; }
stored() { sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM signal"; }
# Conditions are functions so wait_until re-evaluates them on every poll.
has() { test "$(count "$1")" = "$2"; }
stored_is() { test "$(stored)" = "$1"; }

for i in 1 2 3; do drop "bvh-$i"; done
echo '{ "subject": ' > "$T/broken.json"
head -c 70000 /dev/zero | tr '\0' ' ' > "$T/huge.json"
kt_signal_file "$T/full.json"; jq 'del(.melder)' "$T/full.json" > "$T/nomelder.json"
mv "$T/broken.json" "$T/huge.json" "$T/nomelder.json" "$SPOOL/"
wait_until 20 has done 3 || fail "done/ has $(count done) files"
wait_until 20 has rejected 3 || fail "rejected/ has $(count rejected) files"
for f in broken huge nomelder; do
    [ -s "$SPOOL/rejected/$f.json.reason" ] || fail "no reason for $f"
done
grep -q melder "$SPOOL/rejected/nomelder.json.reason" || fail "reason does not name the field"
grep -q "limit" "$SPOOL/rejected/huge.json.reason" || fail "oversize reason unclear"
wait_until 20 stored_is 3 || fail "uitvoerder stored $(stored)"
pass "3 valid files forwarded, 3 invalid rejected with reasons"

# The uitvoerder is down: files are still taken in, and delivered later.
kt_kill "$UITV"
for i in $(seq 10 59); do drop "down-$i"; done
wait_until 30 has done 53 || fail "done/ has $(count done) while uitvoerder down"
kt_start "$UITV"
wait_until 60 stored_is 53 || fail "uitvoerder stored $(stored) after restart"
pass "50 files dropped while the uitvoerder was down all arrived"

# A forwarded file that shows up again (as after a crash between commit and
# move) is not sent twice.
cp "$SPOOL/done/bvh-1.json" "$SPOOL/bvh-1.json"
wait_until 20 test ! -e "$SPOOL/bvh-1.json" || fail "re-dropped file not handled"
[ "$(stored)" = 53 ] || fail "re-dropped file was sent again"
pass "a file seen again after forwarding is not sent twice"

# ketend killed hard while it works through 200 files.
kt_kill politie-test
for i in $(seq 100 299); do drop "burst-$i"; done
kt_start politie-test
sleep 0.3
kt_kill politie-test KILL
kt_start politie-test
wait_until 60 has done 253 || fail "done/ has $(count done) after crash"
wait_until 60 stored_is 253 || fail "uitvoerder stored $(stored) after crash"
[ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(DISTINCT message_id) FROM signal")" = 253 ] \
    || fail "duplicate message ids"
refs=$(sqlite3 "$T/state-politie-test/node.db" "SELECT count(*), count(DISTINCT local_ref) FROM signal")
[ "$refs" = "253|253" ] || fail "police node recorded $refs signals (count|distinct local_ref)"
pass "a SIGKILL halfway loses nothing and sends nothing twice"
