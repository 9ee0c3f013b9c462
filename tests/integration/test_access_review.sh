#!/usr/bin/env bash
# art. 15.2e-f: the access log is reviewed periodically.  keten audit review
# records a review (who, when, the period, the finding) after checking its
# arguments; keten status says one is due access/review-days (91) after the
# last one, or after the node first ran, which is tested by moving every
# node's clock, not by shortening the rule.  keten audit export writes the
# access records as Logboek Dataverwerkingen records.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"

due() { jfield "$1" .access_review_due; }
for id in "$UITV" politie-test; do
    [ "$(due "$id")" = false ] || fail "$id, just started, is overdue for its access review"
    [ "$(jfield "$id" .access_review_days)" = 91 ] || fail "$id: review period is not 91 days"
    if kt "$id" status | grep -q "^access review"; then fail "$id's status reminds already"; fi
done
pass "a new node is not due for an access review"

# ---- audit review: the arguments are checked, nothing half-stored ----------
today=$(date -u +%F)
from=$(date -u -d '-90 days' +%F)
refused() {  # refused WHY ARGS...: the review is refused, its answer says WHY
    local why=$1; shift
    if out=$(kt "$UITV" audit review "$@" 2>&1); then fail "review accepted with $*: $out"; fi
    grep -q "$why" <<< "$out" || fail "refusal of $* does not say '$why': $out"
}
refused "YYYY-MM-DD" --period 2026-13-01..2026-12-01 --finding "Geen bijzonderheden."
refused "YYYY-MM-DD" --period 2026-02-30..2026-03-01 --finding "Geen bijzonderheden."
refused "FROM..TO" --period "$from" --finding "Geen bijzonderheden."
refused "start is after its end" --period "$today..$from" --finding "Geen bijzonderheden."
refused "ends after today" --period "$from..2099-01-01" --finding "Geen bijzonderheden."
refused "control characters" --period "$from..$today" --finding "$(printf 'een\ttab')"
refused "finding" --period "$from..$today" --finding "$(head -c 2001 /dev/zero | tr '\0' x)"
refused "required" --period "$from..$today"
[ "$(kt "$UITV" audit reviews --json | jq '.reviews | length')" = 0 ] || fail "a refused review was stored"
pass "audit review refuses bad dates, a reversed or future period and a bad finding; stores none"

finding=$(printf 'Steekproef van 40 inzagen.\nGeen onrechtmatige inzage gevonden.')
kt "$UITV" audit review --period "$from..$today" --finding "$finding" | grep -q "access review of $from..$today recorded" \
    || fail "review not recorded"
kt "$UITV" audit reviews --json > "$T/reviews.json"
jq -e --arg f "$from" --arg t "$today" --arg u "$(id -un)" --arg x "$finding" \
    '.reviews | length == 1 and .[0].from == $f and .[0].to == $t and .[0].user == $u and .[0].finding == $x' \
    "$T/reviews.json" > /dev/null || fail "the review is not listed as recorded: $(cat "$T/reviews.json")"
kt "$UITV" audit reviews | grep -q "$from..$today" || fail "audit reviews text lacks the period"
if grep -q "Steekproef" "$T/$UITV.log"; then fail "the finding went to the journal"; fi
pass "a review is recorded with the OS user, the period and the finding (not in the journal)"

# ---- the reminder: 92 days later both nodes are due; a review clears it ----
kt_restart_all_at +92d "$UITV" politie-test
wait_until 20 link_up politie-test || fail "no link at +92d"
[ "$(due politie-test)" = true ] || fail "politie-test, never reviewed, is not due after 92 days"
kt politie-test status | grep -q "^access review .*DUE: none recorded in the 91 days" \
    || fail "status has no reminder line: $(kt politie-test status)"
set +e
kt politie-test status --check > "$T/check.out"
rc=$?
set -e
[ $rc = 1 ] && grep -q "access log review is due" "$T/check.out" \
    || fail "status --check does not warn (rc $rc): $(cat "$T/check.out")"
[ "$(due "$UITV")" = true ] || fail "the uitvoerder, last reviewed 92 days ago, is not due"
kt "$UITV" status | grep -q "^access review .*DUE: last one" || fail "uitvoerder status has no reminder"
kt politie-test audit review --period "$from..$today" --finding "Geen bijzonderheden." > /dev/null
[ "$(due politie-test)" = false ] || fail "a review did not clear the reminder"
pass "92 days on, status reminds (and --check warns) until a review is recorded"

kt_restart_all_at +200d "$UITV" politie-test
[ "$(due politie-test)" = true ] || fail "108 days after its review politie-test is not due"
kt_restart_all_at "" "$UITV" politie-test
pass "the reminder returns access/review-days after the last review"

# ---- audit export --format logboek -----------------------------------------
wait_until 20 link_up politie-test || fail "no link after the clock came back"
kt_signal_file "$T/s.json"
out=$(kt politie-test signal submit --file "$T/s.json" --wait)
S=$(echo "$out" | grep -Eo '[0-9a-f]{32}' | head -n1)
A=$(kt "$UITV" signal list --json | jq -r --arg id "$S" '.signals[] | select(.message_id==$id) | .case_ref')
[[ "$A" == k-* ]] || fail "no case_ref for the signal"
kt "$UITV" weegploeg subject "$A" > /dev/null || fail "weegploeg subject failed"
kt "$UITV" audit export --format logboek > "$T/logboek.jsonl" || fail "export failed"
jq -e -s --arg a "$A" --arg u "$(id -un)" --arg n "$UITV" '
    [.[] | select(.name == "weegploeg.subject")] | length == 1 and
    (.[0] | .status_code == "STATUS_CODE_OK" and (.trace_id | test("^[0-9a-f]{32}$")) and
     (.operation_id | test("^[0-9a-f]{16}$")) and .start_time == .end_time and
     .resource.attributes["service.name"] == "keten" and .resource.attributes["keten.node"] == $n and
     .attributes["dpl.core.processing_activity_id"] == "urn:keten:activity:weegploeg.subject" and
     .attributes["dpl.core.data_subject_id"] == $a and .attributes["dpl.keten.actor"] == $u and
     (.attributes["dpl.keten.purpose"] | test("art. 7-8")))' "$T/logboek.jsonl" > /dev/null \
    || fail "the export does not hold the read as a logboek record: $(cat "$T/logboek.jsonl")"
n=$(wc -l < "$T/logboek.jsonl")
[ "$n" = "$(kt "$UITV" audit access --limit 10000 --json | jq '.access | length')" ] \
    || fail "the export holds $n records, not one per access record"
# The ids are derived from the record: a second export is the same.
kt "$UITV" audit export --format logboek | cmp -s - "$T/logboek.jsonl" || fail "a second export differs"
kt "$UITV" audit export --format logboek --out "$T/out.jsonl" | grep -q "$n record(s) written" \
    || fail "--out did not report the records"
[ "$(stat -c %a "$T/out.jsonl")" = 600 ] || fail "the export file is not 0600"
cmp -s "$T/out.jsonl" "$T/logboek.jsonl" || fail "--out wrote something else"
if kt "$UITV" audit export --format logboek --out "$T/out.jsonl" 2> /dev/null; then
    fail "--out overwrote an existing file"
fi
[ "$(kt "$UITV" audit export --format logboek --since 2099-01-01 | wc -l)" = 0 ] || fail "--since ignored"
# A second :60 or :61 is no UTC time keten keeps: refused, not rolled over.
for bad in 2026-11-01T10:00:60Z 2026-11-01T23:59:61Z 2026-11-01T10:60:00Z; do
    if out=$(kt "$UITV" audit access --since "$bad" 2>&1); then fail "--since $bad was taken"; fi
    grep -q "YYYY-MM-DDTHH:MM:SSZ" <<< "$out" || fail "--since $bad: refusal unclear: $out"
done
set +e
kt "$UITV" audit export --format csv > /dev/null 2>&1
rc=$?
set -e
[ $rc = 2 ] || fail "an unknown format was not a usage error (rc $rc)"
pass "audit export writes one Logboek Dataverwerkingen record per access record, stable ids"

# A busy node: pages of 10,000 records are answers of more than 1 MiB.
sqlite3 "$T/state-$UITV/node.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
    WHERE i < 12000) INSERT INTO access (at_ms, uid, user, what, case_ref)
    SELECT 1764000000000 + i, 0, 'test', 'weegploeg.subject', '$A' FROM n"
[ "$(kt "$UITV" audit access --limit 10000 --json | jq '.access | length')" = 10000 ] ||
    fail "a page of 10,000 access records was not read"
kt "$UITV" audit export --format logboek > "$T/busy.jsonl" || fail "the export of a busy node failed"
[ "$(wc -l < "$T/busy.jsonl")" -ge 12000 ] || fail "$(wc -l < "$T/busy.jsonl") records exported, want 12,000 or more"
pass "a busy node's access records are read and exported in pages of more than 1 MiB"
