#!/usr/bin/env bash
# art. 15.3, 18.4: keten report counts what the federation did, per
# gemeente only from 5 on ("< 5" below, secondary suppression stated), in
# text, CSV and a self-contained HTML page that a real browser renders;
# no case_ref, name or birth date in any of them.  The figures are kept
# apart from the subjects: a destruction (art. 13, 184 days later under
# faketime) leaves last quarter's figures as they were.
source "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
G1=gemeente-maastricht
G2=gemeente-heerlen
NODES=(politie-test om-test "$G1" "$G2")
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie om-test:om "$G1":gemeente "$G2":gemeente; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" "${NODES[@]}"
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
for id in "${NODES[@]}"; do kt_config "$id"; kt_start "$id"; done
for id in "${NODES[@]}"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

# The quarter of today on the Dutch calendar (the report's calendar).
quarter_of() {  # quarter_of DATE_ARGS: YYYYQn in Europe/Amsterdam
    local ym; ym=$(TZ=Europe/Amsterdam date "$@" +%Y-%m)
    echo "${ym%-*}Q$(( (10#${ym#*-} - 1) / 3 + 1 ))"
}
Q=$(quarter_of)

# Six residents of Maastricht, two of Heerlen: fictional, each its own subject.
NAMES=() BIRTHS=() REFS=()
signal() {  # signal NAME BIRTH MUNICIPALITY LOCAL_REF [CATEGORY]: its case_ref
    kt_signal_file "$T/s.json" "$4"
    jq --arg n "$1" --arg b "$2" --arg m "$3" --arg c "${5:-uitingen}" \
        '.subject.name = $n | .subject.birth_date = $b | .subject.municipality = $m | .category = $c' \
        "$T/s.json" > "$T/$4.json"
    local out id
    out=$(kt politie-test signal submit --file "$T/$4.json" --wait)
    grep -q delivered <<< "$out" || fail "$1 not delivered: $out"
    id=$(echo "$out" | grep -Eo '[0-9a-f]{32}' | head -n1)
    kt "$UITV" signal list --json | jq -r --arg id "$id" '.signals[] | select(.message_id==$id) | .case_ref'
}
for i in 1 2 3 4 5 6 7 8; do
    if [ $i -le 6 ]; then m=Maastricht; else m=Heerlen; fi
    NAMES+=("Rapportpersoon$i Fictief"); BIRTHS+=("199$i-0$i-1$i")
    # The last one's category is a sender's own word that names a person:
    # a label counted fewer than 5 times is never published.
    c=uitingen
    [ $i != 8 ] || c=jan-fictief-1998
    REFS+=("$(signal "${NAMES[-1]}" "${BIRTHS[-1]}" "$m" "R-$i" "$c")")
done
for r in "${REFS[@]}"; do [[ "$r" == k-* ]] || fail "no case_ref: ${REFS[*]}"; done

# Decisions: Maastricht agenderen and niet agenderen, Heerlen niet agenderen.
kt "$UITV" weegploeg decide "${REFS[0]}" --agenderen --party "$G1" --criterion geweld \
    --analysis "Fictief, casusoverleg." > /dev/null
kt "$UITV" weegploeg decide "${REFS[1]}" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." > /dev/null
kt "$UITV" weegploeg decide "${REFS[6]}" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." > /dev/null
# A second agenderen on the subject whose case is open adds to that case:
# a decision more, no case opened more.
kt "$UITV" weegploeg decide "${REFS[0]}" --agenderen --party "$G1" --criterion geweld \
    --analysis "Fictief, nogmaals." > /dev/null
later=$(date -d '+30 days' +%F)
cat > "$T/plan.json" <<JSON
{ "goals": [ { "kind": "zorg", "text": "Begeleiding (fictief)." } ],
  "measures": [ { "owner": "$G1", "what": "Gesprek (fictief).", "due_on": "$later" } ] }
JSON
kt "$UITV" case plan "${REFS[0]}" --file "$T/plan.json" > /dev/null
# An incident, reported to the AP within AVG art. 33's 72 hours.
F=$(TZ=Europe/Amsterdam date -d '-1 hour' +%FT%H:%M)
kt politie-test incident report --what "Een USB-stick is kwijt." --found "$F" --data-kind naw \
    --subjects 1 --wait | grep -q delivered || fail "incident not delivered"
I=$(kt "$UITV" incident list --json | jq -r '.incidents[0].id')
kt "$UITV" incident update "$I" --persons-informed not-required \
    --note "Versleuteld (art. 34.3a AVG)." > /dev/null
kt "$UITV" incident close "$I" --ap-notified "$(TZ=Europe/Amsterdam date +%FT%H:%M)" \
    --handling "Stick teruggevonden." | grep -q closed || fail "incident not closed"
wait_until 20 relay_settled || fail "copies not receipted"

# ---- the report --------------------------------------------------------------
kt "$UITV" report --period "$Q" > "$T/report.txt"
kt "$UITV" report --period "$Q" --format csv --out "$T/report.csv"
kt "$UITV" report --period "$Q" --format html --out "$T/report.html"
[ -s "$T/report.csv" ] && [ -s "$T/report.html" ] || fail "--out wrote nothing"
python3 - "$T/report.csv" "$G1" "$G2" <<'PY' || fail "the CSV does not count what the test did"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0] == ["section", "measure", "gemeente", "value"], rows[0]
assert all(len(r) == 4 for r in rows), "a row without 4 fields"
v = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
g1, g2 = sys.argv[2], sys.argv[3]
want = {
    ("signals", "signals received", "total"): "8",
    ("signals", "signals received", g1): "6",
    ("signals", "signals received", g2): "< 5",
    ("signals", "signals received", "other"): "< 5",
    ("signals", "source kind: eigen", "total"): "8",
    ("signals", "category: uitingen", "total"): "7",
    ("signals", "category: (others, each fewer than 5)", "total"): "1",
    ("weegploeg", "decisions", "total"): "4",
    ("weegploeg", "decisions", g1): "< 5",
    ("weegploeg", "decisions", g2): "< 5",
    ("weegploeg", "outcome: agenderen", "total"): "2",
    ("weegploeg", "outcome: niet-agenderen", "total"): "2",
    ("weegploeg", "outcome: meer-informatie", "total"): "0",
    ("casusoverleg", "cases opened", "total"): "1",
    ("casusoverleg", "cases closed", "total"): "0",
    ("casusoverleg", "plan versions issued", "total"): "1",
    ("casusoverleg", "plan versions issued", g1): "< 5",
    ("casusoverleg", "measures overdue at the time of this report (open plans)", "total"): "0",
    ("casusoverleg", "days open, median (closed cases)", "total"): "< 5",
    ("rights", "inzage requests answered", "total"): "0",
    ("incidents", "incidents reported", "total"): "1",
    ("incidents", "closed, AP notified", "total"): "1",
    ("incidents", "AP notified within 72 hours (AVG art. 33)", "total"): "1",
    ("retention", "subjects destroyed (art. 13)", "total"): "0",
}
bad = {k: (w, v.get(k)) for k, w in want.items() if v.get(k) != w}
assert not bad, bad
# No count below 5 per gemeente is shown as a number.
small = [r for r in rows[1:] if r[2] not in ("total",) and r[3].isdigit() and int(r[3]) < 5]
assert not small, small
# Labels are counted for the region only: a label table per gemeente and
# its line of all would give each other's hidden cells away.
split = [r for r in rows[1:] if ":" in r[1] and r[2] != "total"]
assert not split, split
PY
pass "the CSV counts exactly what the test did; per gemeente below 5 shows as '< 5'"

grep -q "^Suppression: A count per gemeente below 5" "$T/report.txt" || fail "the text does not state the rule"
grep -Eq "^signals received +8 +6 +< 5 +< 5 *$" "$T/report.txt" || fail "text line wrong: $(grep 'signals received' "$T/report.txt")"
grep -q "roster version 1" "$T/report.txt" || fail "the text does not name the roster version"
grep -q "incidents reported: 1" "$T/report.txt" || fail "incidents not in the text"
pass "the text report states the period, the roster version and the suppression rule"

for f in "$T/report.txt" "$T/report.csv" "$T/report.html"; do
    for s in "${REFS[@]}" "${NAMES[@]}" "${BIRTHS[@]}" Rapportpersoon jan-fictief; do
        ! grep -qF "$s" "$f" || fail "$f holds '$s'"
    done
done
kt "$UITV" report --period "$Q" --format csv | grep -q "^signals,signals received,$G1,6" \
    || fail "the check above cannot fail: stdout differs from --out"
pass "no case_ref, name or birth date in any format"

# ---- the HTML page in a real browser -----------------------------------------
H="$T/report.html"
grep -q 'http-equiv="Content-Security-Policy" content="default-src .none.;[^"]*script-src .none.' "$H" \
    || fail "no CSP that forbids scripts"
! grep -qiE "<script|javascript:|https?://[^\"]*\.(css|js|png|woff)|@import|<img|<link" "$H" \
    || fail "the page loads or runs something"
grep -q "Suppression:" "$H" && grep -q "roster version 1" "$H" && grep -q "$FED" "$H" \
    || fail "the page does not state rule, roster version or federation"
[ "$(grep -o '<rect class="bar"' "$H" | wc -l)" -ge 1 ] || fail "no bars in the charts"
CHROME=$(command -v chromium || command -v chromium-browser) || fail "chromium not installed (make deps)"
chrome() { timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
    --no-first-run --hide-scrollbars "$@" 2> "$T/chrome.err"; }
chrome --screenshot="$T/shot.png" --window-size=1024,1400 "file://$H" > /dev/null \
    || fail "chromium failed: $(tail -5 "$T/chrome.err")"
python3 "$HERE/report_png_check.py" "$T/shot.png" || fail "the rendered page is wrong"
chrome --print-to-pdf="$T/report.pdf" --no-pdf-header-footer "file://$H" > /dev/null \
    || fail "chromium could not print: $(tail -5 "$T/chrome.err")"
pages=$(grep -ac "/Type /Page\b" "$T/report.pdf" || true)
[ "${pages:-0}" -ge 1 ] || fail "the printed page has no pages"
# The check can fail: the same page without its bars is refused.
sed 's/<rect class="bar"[^>]*>//g' "$H" > "$T/nobars.html"
chrome --screenshot="$T/nobars.png" --window-size=1024,1400 "file://$T/nobars.html" > /dev/null
! python3 "$HERE/report_png_check.py" "$T/nobars.png" > /dev/null 2>&1 || fail "the PNG check passes a page without bars"
sed 's#<table>#<table style="width:1400px">#' "$H" > "$T/wide.html"
chrome --screenshot="$T/wide.png" --window-size=1024,1400 "file://$T/wide.html" > /dev/null
! python3 "$HERE/report_png_check.py" "$T/wide.png" > /dev/null 2>&1 || fail "the PNG check passes a page too wide"
pass "chromium renders the page with its bars, within the page width, and prints it ($pages page(s))"

# ---- a period is checked -------------------------------------------------------
for bad in 2026Q5 26Q1 2026-13 "2026 Q1" ""; do
    if kt "$UITV" report --period "$bad" > /dev/null 2>&1; then fail "period '$bad' accepted"; fi
done
kt "$UITV" report --period "$(TZ=Europe/Amsterdam date +%Y)" --format csv | grep -q "^signals,signals received,total,8" \
    || fail "the year does not hold the quarter's signals"
if out=$(kt "$G1" report --period "$Q" 2>&1); then fail "a gemeente node made a report"; fi
grep -q "kept by the uitvoerder" <<< "$out" || fail "the refusal at a partner is unclear: $out"
pass "a malformed period is refused; the year holds the quarter; a partner node refuses"

# ---- 184 days later: every subject not agendered is destroyed (art. 13.3) -------
for id in "${NODES[@]}"; do kt_kill "$id"; done
KETEN_WRAP="$(kt_clock_wrap +184d)" kt_kill "$UITV"
KETEN_WRAP="$(kt_clock_wrap +184d)" kt_start "$UITV"
# A member's heartbeat confirms the uitvoerder's clock (docs/RETENTION.md,
# "A clock the federation confirms").
KETEN_WRAP="$(kt_clock_wrap +184d)" kt_start politie-test
gone() { [ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM subject")" = 1 ]; }
wait_until 30 gone || fail "the subjects not agendered were not destroyed"
kt "$UITV" report --period "$Q" --format csv > "$T/after.csv"
# (The overdue measures are a snapshot of the plans in force, said so.)
diff <(grep -v "at the time of this report" "$T/report.csv") \
    <(grep -v "at the time of this report" "$T/after.csv") \
    || fail "the destruction changed last quarter's figures"
grep -q "^casusoverleg,measures overdue at the time of this report (open plans),total,1" "$T/after.csv" \
    || fail "the plan's measure, due 30 days after it was made, is not overdue 184 days on"
Q2=$(quarter_of -d '+184 days')
kt "$UITV" report --period "$Q2" --format csv | grep -q "^retention,subjects destroyed (art. 13),total,7" \
    || fail "the destructions are not counted in $Q2"
if sqlite3 "$T/state-$UITV/weegploeg.db" "DELETE FROM figure" 2> /dev/null; then
    fail "figure rows can be deleted"
fi
pass "the destruction left $Q's figures as they were and is counted in $Q2; figure rows cannot be deleted"
