#!/usr/bin/env bash
# docs/REPORT.md, "cases opened": a case counts once, in the commit that
# opens it in the casusoverleg file (art. 8.5), not when the agenderen
# decision is recorded.  A decision whose send fails before the case opens
# (casusoverleg.db locked by another process, as a crash there would
# leave it), then a second agenderen on the subject before the first is
# resumed, open one case: the report says 1, before and after the resume
# at the next start.
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json"
kt_delivered politie-test "$T/s.json"
A=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
[[ "$A" == k-* ]] || fail "no case_ref: $A"

# The report reads the union of the figure tables (one per file) and shows
# a count below 5 as "< 5": the rows themselves are counted here.
opened() {
    local db sum=0
    for db in weegploeg casusoverleg; do
        sum=$((sum + $(sqlite3 "$T/state-$UITV/$db.db" \
            "SELECT coalesce(sum(n), 0) FROM figure WHERE kind='case-opened'")))
    done
    echo "$sum"
}
cases() { sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT count(*) FROM casus"; }
decide() {
    kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --criterion geweld \
        --analysis "Fictief, $1." 2>&1
}

lock_db "$T/state-$UITV/casusoverleg.db"
if out=$(decide eerste); then
    unlock_db
    fail "the decision was sent with casusoverleg.db locked: $out"
fi
unlock_db
grep -q "recorded but not sent yet" <<< "$out" || fail "the first decision: $out"
[ "$(cases)" = 0 ] || fail "the case opened with its file locked: this test checks nothing"
[ "$(opened)" = 0 ] || fail "a case not opened yet counts as opened: $(opened)"
pass "a decision recorded whose case has not opened counts no case opened"

out=$(decide tweede) || fail "the second decision: $out"
[ "$(cases)" = 1 ] || fail "the second decision did not open the case"
[ "$(opened)" = 1 ] || fail "one case opened counts as $(opened)"
kt_kill "$UITV"
kt_start "$UITV"
grep -q "decision resume" "$T/$UITV.log" || fail "the first decision was not resumed"
[ "$(cases)" = 1 ] || fail "the resume opened another case"
[ "$(opened)" = 1 ] || fail "one case opened counts as $(opened) after the resume"
pass "two agenderen, the first resumed after the second, count one case opened"
