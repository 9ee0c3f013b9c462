#!/usr/bin/env bash
# art. 7.3-7.4, 8.2, 8.5, 10.1: the weegploeg decides per subject against
# the referentiekader; agenderen opens the case in the casusoverleg file
# (a separate file) with a copy of the weegploeg data, and the decision
# reaches politie, OM and the gemeente of residence - no other gemeente.
source "$(dirname "$0")/lib.sh"
RK="$(cd "$(dirname "$0")/../.." && pwd)/configs/referentiekader-example.zpl"
G1=gemeente-maastricht
G2=gemeente-heerlen
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie om-test:om "$G1":gemeente "$G2":gemeente rvdk-test:rvdk nctv-test:extern; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" politie-test om-test "$G1" "$G2" rvdk-test nctv-test
PORT=
kt_config "$UITV"
kt_start "$UITV"   # picks the port; then restart with the referentiekader
kt_kill "$UITV"
printf 'weegploeg\n    referentiekader = "%s"\n' "$RK" >> "$T/$UITV.cfg"

# A referentiekader other than the one the roster names is refused at start.
sed 's/version = example-2026.1/version = other-1/' "$RK" > "$T/rk-other.zpl"
sed "s#$RK#$T/rk-other.zpl#" "$T/$UITV.cfg" > "$T/bad.cfg"
sed -i "s#state-$UITV#state-bad#; s#$UITV.sock#bad.sock#" "$T/bad.cfg"
if out=$(timeout 60 "$KETEND" --config "$T/bad.cfg" 2>&1); then fail "started with another referentiekader"; fi
grep -q "roster names example-2026.1" <<< "$out" || fail "mismatch refusal unclear: $out"
pass "a referentiekader the roster does not name is refused: $out"

kt_start "$UITV"
grep -q "referentiekader example=yes" "$T/$UITV.log" || fail "no warning that the example is in force"
for id in politie-test om-test "$G1" "$G2" rvdk-test nctv-test; do kt_config "$id"; kt_start "$id"; done
for id in politie-test om-test "$G1" "$G2"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

kt_signal_file "$T/a.json" A-1
jq '.subject.name = "Ander Persoon" | .subject.municipality = "Heerlen" | .local_ref = "B-1"' \
    "$T/a.json" > "$T/b.json"
kt politie-test signal submit --file "$T/a.json" --wait | grep -q delivered || fail "A not delivered"
kt politie-test signal submit --file "$T/b.json" --wait | grep -q delivered || fail "B not delivered"
A=$(kt "$UITV" signal list --json | jq -r '.signals[-1].case_ref')
B=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')

refused() {  # refused WHY ARGS...: the decision is refused and the reason contains WHY
    local why=$1; shift
    if out=$(kt "$UITV" weegploeg decide "$@" 2>&1); then fail "accepted: $*"; fi
    grep -q "$why" <<< "$out" || fail "refusal of '$*' does not say '$why': $out"
}
refused "not in referentiekader" "$A" --agenderen --party rvdk-test --criterion onbekend --analysis x
refused "names 1..32 parties" "$A" --agenderen --criterion geweld --analysis x
refused "not an active member" "$A" --agenderen --party nobody --criterion geweld --analysis x
refused "names no parties" "$A" --niet-agenderen --party rvdk-test --analysis x
refused "no subject" k-0000000000000000 --niet-agenderen --analysis x
if kt politie-test weegploeg decide "$A" --niet-agenderen --analysis x 2>/dev/null; then
    fail "a partner recorded a weegploeg decision"
fi
[ "$(kt "$UITV" weegploeg decisions --json | jq '.decisions | length')" = 0 ] || fail "a refused decision was stored"
pass "decisions with unknown criteria, missing or unknown parties are refused"

printf 'FICTIEF. Feiten en tegenindicaties gewogen.\nAdvies: casusoverleg.\n' > "$T/analysis.txt"
D=$(kt "$UITV" weegploeg decide "$A" --agenderen --party rvdk-test --party nctv-test --party "$G1" \
    --criterion ideologie --criterion geweld --analysis-file "$T/analysis.txt" --json | jq -r .decision_id)
[[ "$D" == d-* ]] || fail "no decision id: $D"
has_decision() { [ "$(kt "$1" decision list --json | jq -r --arg d "$D" '[.decisions[] | select(.decision_id==$d)] | length')" = 1 ]; }
for id in politie-test om-test "$G1"; do wait_until 10 has_decision "$id" || fail "$id did not get the decision"; done
kt "$G2" decision list --json | jq -e '.decisions | length == 0' > /dev/null || fail "Heerlen got Maastricht's decision"
if kt rvdk-test decision list 2>/dev/null; then fail "a casuspartij lists weegploeg decisions"; fi
pass "the decision reaches politie, OM and the gemeente of residence only"

# art. 8.5, 10.1: the case is in the casusoverleg file, a file of its own.
CDB="$T/state-$UITV/casusoverleg.db"
[ -f "$CDB" ] || fail "no casusoverleg file"
[ "$(sqlite3 "$CDB" "SELECT participants FROM casus WHERE case_ref='$A'")" = "rvdk-test,nctv-test,$G1" ] \
    || fail "case participants wrong"
[ "$(sqlite3 "$CDB" "SELECT count(*) FROM casus_signal WHERE case_ref='$A'")" = 1 ] || fail "signal not copied"
[ "$(sqlite3 "$CDB" "SELECT count(*) FROM casus_analysis WHERE case_ref='$A'")" = 1 ] || fail "analysis not copied"
if grep -q "Test Persoon\|Advies: casusoverleg" "$CDB" "$T/state-$UITV/weegploeg.db"; then
    fail "personal data in the clear in the weegploeg or casusoverleg file"
fi
[ "$(kt "$UITV" weegploeg decisions --json | jq -r '.cases[0].case_ref')" = "$A" ] || fail "case not listed"
pass "agenderen opened the case in casusoverleg.db with the signal and the analysis, sealed"

# Reading the analysis at the gemeente is recorded first.
kt "$G1" decision show "$D" | grep -q "Advies: casusoverleg" || fail "analysis not shown"
[ "$(kt "$G1" audit access --json | jq -r --arg a "$A" '[.access[] | select(.what=="decision.show" and .case_ref==$a)] | length')" = 1 ] \
    || fail "decision.show not recorded"
pass "reading the analysis is recorded with the OS user"

# Niet agenderen: no case; Heerlen (residence of B) is told.
kt "$UITV" weegploeg decide "$B" --niet-agenderen --criterion tegenindicatie --analysis "Geen zorgen." > /dev/null
nb() { [ "$(kt "$G2" decision list --json | jq '.decisions | length')" = 1 ]; }
wait_until 10 nb || fail "Heerlen did not get the decision on its resident"
[ "$(sqlite3 "$CDB" "SELECT count(*) FROM casus WHERE case_ref='$B'")" = 0 ] || fail "niet agenderen opened a case"
wait_until 20 relay_settled || fail "copies not receipted"
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
relay_settled || fail "undelivered copies"
pass "niet agenderen opens no case; every copy was receipted and the log verifies"
