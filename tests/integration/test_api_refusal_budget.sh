#!/usr/bin/env bash
# A local caller without the right cannot stall a node or grow its access
# table by asking without end: its first 100 refusals of an hour are
# recorded one by one (each a commit that waits for the disk), the rest
# answered and counted, and the count recorded in one row when the hour
# is over or the node stops.  Every right is given to a group the caller
# (root, running this test) is not in.
KT_GROUP=nogroup
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
N=130
for i in $(seq 1 $N); do
    kt politie-test signal list > /dev/null 2>&1 && fail "signal list was allowed to a caller outside the group"
done
rows() { sqlite3 "$T/state-politie-test/node.db" "SELECT count(*) FROM access WHERE what $1"; }
[ "$(rows "= 'refused:signal.list'")" = 100 ] || fail "$(rows "= 'refused:signal.list'") refusals recorded one by one, want 100"
[ "$(grep -c "api refused cmd=signal.list" "$T/politie-test.log")" = 100 ] ||
    fail "the journal holds $(grep -c "api refused cmd=signal.list" "$T/politie-test.log") refusal lines, want 100"
[ "$(grep -c "api refusal_flood uid=0" "$T/politie-test.log")" = 1 ] || fail "the flood is not in the journal once"
kt_kill politie-test
[ "$(rows "= 'refused:$((N - 100)) more in the hour, counted'")" = 1 ] ||
    fail "the counted refusals are not recorded at the stop: $(sqlite3 "$T/state-politie-test/node.db" "SELECT what FROM access ORDER BY id DESC LIMIT 2")"
pass "the first 100 refusals are recorded one by one, the rest counted and recorded in one row at the stop"
