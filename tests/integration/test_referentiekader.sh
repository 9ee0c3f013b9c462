#!/usr/bin/env bash
# art. 7.3: a region puts its own referentiekader in force.  The roster
# names it by version and SHA-256; a decision records both, at the
# uitvoerder and at the kernpartijen; `keten referentiekader adopt` puts
# the next one in force as a new roster version at every node, on record
# (REFERENTIEKADER_IN_FORCE), and the next decision is weighed against it.
# The example stays an example: refused without node/test-federation = 1,
# at start, in an adoption and in a roster pushed at run time.  A config
# file whose bytes are not the roster's is refused at start.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht

# The region's own referentiekader, written here (not the example).
cat > "$T/rk-a.zpl" <<'ZPL'
referentiekader
    version = limburg-2027.1
    example = 0
    criterion
        ideologie
            text = "Uitingen die een extremistische ideologie onderschrijven"
        geweld
            text = "Goedkeuren of verheerlijken van geweld"
        oud-criterium
            text = "Alleen in de eerste versie"
ZPL
sed 's/Alleen in de eerste versie/Een andere tekst/' "$T/rk-a.zpl" > "$T/rk-a-changed.zpl"
cat > "$T/rk-b.zpl" <<'ZPL'
referentiekader
    version = limburg-2027.2
    example = 0
    criterion
        ideologie
            text = "Uitingen die een extremistische ideologie onderschrijven"
        geweld
            text = "Goedkeuren of verheerlijken van geweld"
        nieuw
            text = "Nieuw in de tweede versie"
ZPL
SHA_A=$(sha256sum "$T/rk-a.zpl" | cut -d' ' -f1)
SHA_B=$(sha256sum "$T/rk-b.zpl" | cut -d' ' -f1)
SHA_CHANGED=$(sha256sum "$T/rk-a-changed.zpl" | cut -d' ' -f1)
EXAMPLE="$KT_SRC/configs/referentiekader-example.zpl"

KT_REFERENTIEKADER="$T/rk-a.zpl"
KT_TEST_FEDERATION=0
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie om-test:om "$G":gemeente; do kt_keys "${spec%%:*}" "${spec##*:}"; done
IDS=("$UITV" politie-test om-test "$G")

# roster build: --referentiekader is required and names the example for a
# test federation; the roster carries version, hash and example flag.
rc=0
"$KETEN" roster build --federation "$FED" --version 1 --signer "$T/keys/$UITV.secret" \
    --out "$T/x.txt" "$T/keys/$UITV.pub" 2> "$T/err" || rc=$?
[ $rc = 2 ] && grep -q -- "--referentiekader FILE is required.*configs/referentiekader-example.zpl" "$T/err" ||
    fail "roster build without --referentiekader: exit $rc, $(cat "$T/err")"
kt_roster 1 "$T/roster.txt" "${IDS[@]}"
grep -qx "    referentiekader = limburg-2027.1" "$T/roster.txt" || fail "roster lacks the version"
grep -qx "    referentiekader-sha256 = $SHA_A" "$T/roster.txt" || fail "roster lacks the file's SHA-256"
grep -qx "    referentiekader-example = 0" "$T/roster.txt" || fail "roster lacks the example flag"
pass "roster build puts the region's file in the roster: limburg-2027.1 sha256=$SHA_A"

PORT=
kt_config "$UITV"
kt_start "$UITV"   # picks the port; then restart with the referentiekader file
kt_kill "$UITV"
printf 'weegploeg\n    referentiekader = "%s"\n' "$T/rk-a.zpl" >> "$T/$UITV.cfg"

# A config file of the roster's version but other bytes: refused at start
# (exit 78, a configuration problem), naming both hashes.
sed -e "s#$T/rk-a.zpl#$T/rk-a-changed.zpl#" -e "s#state-$UITV#state-bad#" \
    -e "s#$UITV.sock#bad.sock#" "$T/$UITV.cfg" > "$T/bad.cfg"
rc=0
out=$(timeout 60 "$KETEND" --config "$T/bad.cfg" 2>&1) || rc=$?
[ $rc = 78 ] || fail "a changed referentiekader file: exit $rc, not 78: $out"
grep -q "$SHA_CHANGED.*$SHA_A" <<< "$out" || fail "the refusal does not name both hashes: $out"
pass "a referentiekader file with other bytes than the roster names is refused: $out"

kt_start "$UITV"
for id in "${IDS[@]:1}"; do kt_config "$id"; kt_start "$id"; done
for id in "${IDS[@]:1}"; do wait_until 10 link_up "$id" || fail "no link for $id"; done
show() { kt "$1" referentiekader show --json; }
[ "$(show "$UITV" | jq -r '[.version, .referentiekader_sha256, .example, .kept] | join(" ")')" = \
    "limburg-2027.1 $SHA_A false true" ] || fail "uitvoerder shows $(show "$UITV")"
show "$UITV" | jq -e '[.criteria[].code] == ["ideologie", "geweld", "oud-criterium"]' > /dev/null ||
    fail "criteria not shown: $(show "$UITV")"
[ "$(show politie-test | jq -r '[.version, .referentiekader_sha256] | join(" ")')" = "limburg-2027.1 $SHA_A" ] ||
    fail "politie shows $(show politie-test)"
kt "$UITV" referentiekader show | grep -q "Alleen in de eerste versie" || fail "criterion text not shown"
pass "keten referentiekader show: version, hash and criteria at the uitvoerder, version and hash at a partner"

# Two subjects from the police.
kt_signal_file "$T/a.json" A-1
jq '.subject.name = "Ander Persoon" | .local_ref = "B-1"' "$T/a.json" > "$T/b.json"
jq '.subject.name = "Derde Persoon" | .local_ref = "C-1"' "$T/a.json" > "$T/c.json"
for s in a b c; do
    kt politie-test signal submit --file "$T/$s.json" --wait | grep -q delivered || fail "$s not delivered"
done
mapfile -t REFS < <(kt "$UITV" signal list --json | jq -r '.signals[].case_ref' | sort -u)
[ "${#REFS[@]}" = 3 ] || fail "three subjects expected: ${REFS[*]}"

# A decision records the version and hash it was weighed against.
D1=$(kt "$UITV" weegploeg decide "${REFS[0]}" --niet-agenderen --criterion oud-criterium \
    --analysis "FICTIEF." --json | jq -r .decision_id)
[[ "$D1" == d-* ]] || fail "no decision: $D1"
# shellcheck disable=SC2086 # dec NODE "GROUP COMMAND" DECISION: two words
dec() { kt "$1" $2 --json | jq -r --arg d "$3" '.decisions[] | select(.decision_id==$d) | .referentiekader + " " + .referentiekader_sha256'; }
[ "$(dec "$UITV" "weegploeg decisions" "$D1")" = "limburg-2027.1 $SHA_A" ] || fail "uitvoerder: $(dec "$UITV" "weegploeg decisions" "$D1")"
[ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT referentiekader_sha256 FROM decision WHERE decision_id='$D1'")" = "$SHA_A" ] ||
    fail "the decision table's column lacks the hash"
kt "$UITV" weegploeg decisions | grep -q "limburg-2027.1 *$SHA_A" || fail "keten weegploeg decisions does not print the hash"
got() { [ "$(dec politie-test "decision list" "$1")" = "$2" ]; }
wait_until 10 got "$D1" "limburg-2027.1 $SHA_A" || fail "politie: $(dec politie-test "decision list" "$D1")"
kt politie-test decision show "$D1" | grep -q "referentiekader-sha256 $SHA_A" || fail "decision show lacks the hash"
pass "decision $D1 records limburg-2027.1 sha256=$SHA_A at the uitvoerder and at the kernpartij"

# adopt: refusals first.
refused() {  # refused WHY FILE
    local out rc=0
    out=$(kt "$UITV" referentiekader adopt "$2" 2>&1) || rc=$?
    [ $rc = 1 ] || fail "adopt $2: exit $rc: $out"
    grep -q "$1" <<< "$out" || fail "adopt $2 does not say '$1': $out"
}
refused "in force already" "$T/rk-a.zpl"
refused "needs a new version" "$T/rk-a-changed.zpl"
refused "is an example" "$EXAMPLE"
if kt politie-test referentiekader adopt "$T/rk-b.zpl" 2> "$T/err"; then fail "a partner adopted"; fi
grep -q "uitvoerder puts a referentiekader in force" "$T/err" || fail "partner refusal: $(cat "$T/err")"
[ "$(jfield "$UITV" .roster_version)" = 1 ] || fail "a refused adoption changed the roster"
pass "adopt refuses the version in force, a changed file under an adopted version, an example, a partner"

# adopt B: a new roster version at every node, on record.
out=$(kt "$UITV" referentiekader adopt "$T/rk-b.zpl") || fail "adopt B failed: $out"
grep -q "roster version 2: referentiekader limburg-2027.2 sha256=$SHA_B in force" <<< "$out" ||
    fail "adopt said: $out"
at() { [ "$(show "$1" | jq -r '[.roster_version, .version, .referentiekader_sha256] | join(" ")')" = "2 limburg-2027.2 $SHA_B" ]; }
for id in "${IDS[@]}"; do wait_until 15 at "$id" || fail "$id: $(show "$id")"; done
show "$UITV" | jq -e '[.history[] | .version + "@" + (.roster_version|tostring)] == ["limburg-2027.1@1", "limburg-2027.2@2"]' > /dev/null ||
    fail "history: $(show "$UITV")"
log=$(kt "$UITV" log show --type referentiekader_in_force --oldest-first --json)
[ "$(echo "$log" | jq -r '[.events[] | select(.event=="REFERENTIEKADER_IN_FORCE") | .what] | join(",")')" = \
    "limburg-2027.1 sha256=$SHA_A,limburg-2027.2 sha256=$SHA_B" ] || fail "log: $log"
[ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM referentiekader_adopted")" = 2 ] ||
    fail "the adopted ones are not both kept"
if sqlite3 "$T/state-$UITV/weegploeg.db" "DELETE FROM referentiekader_adopted" 2> /dev/null; then
    fail "the kept referentiekaders could be deleted"
fi
refused "needs a new version: limburg-2027.1 was in force before" "$T/rk-a-changed.zpl"
pass "adopt: roster version 2 at every node, REFERENTIEKADER_IN_FORCE on record, both kept append-only"

# The next decision is weighed against B: A's own criterion is refused.
if out=$(kt "$UITV" weegploeg decide "${REFS[1]}" --niet-agenderen --criterion oud-criterium --analysis x 2>&1); then
    fail "a criterion only in the old referentiekader was accepted"
fi
grep -q "not in referentiekader limburg-2027.2" <<< "$out" || fail "refusal unclear: $out"
D2=$(kt "$UITV" weegploeg decide "${REFS[1]}" --niet-agenderen --criterion nieuw --analysis "FICTIEF." --json |
    jq -r .decision_id)
[ "$(dec "$UITV" "weegploeg decisions" "$D2")" = "limburg-2027.2 $SHA_B" ] || fail "D2 at the uitvoerder"
wait_until 10 got "$D2" "limburg-2027.2 $SHA_B" || fail "politie: $(dec politie-test "decision list" "$D2")"
[ "$(dec "$UITV" "weegploeg decisions" "$D1")" = "limburg-2027.1 $SHA_A" ] || fail "D1 changed"
pass "the next decision records limburg-2027.2 sha256=$SHA_B; a criterion only in the old one is refused"

# A restart takes the one in force from the kept ones (the config file
# still names A).
kt_kill "$UITV"; kt_start "$UITV"
at "$UITV" || fail "after a restart: $(show "$UITV")"
show "$UITV" | jq -e '[.criteria[].code] | index("nieuw")' > /dev/null || fail "criteria lost in a restart"
[ "$(kt "$UITV" log show --type referentiekader_in_force --json | jq '.events | length')" = 2 ] ||
    fail "a restart logged the referentiekader again"
pass "after a restart the kept limburg-2027.2 is in force, logged once"

# A roster pushed at run time that names an example, at a node that is not
# a test federation: refused (roster_refused at the uitvoerder), not applied.
kt_kill "$UITV"
sed -i 's/^    test-federation = 0$/    test-federation = 1/' "$T/$UITV.cfg"
kt_start "$UITV"
wait_until 15 link_up politie-test || fail "politie not back"
kt "$UITV" referentiekader adopt "$EXAMPLE" | grep -q "roster version 3" || fail "a test-federation uitvoerder did not adopt the example"
member_alarm() {
    kt "$UITV" status --json | jq -r --arg m "$1" '.members[] | select(.id==$m) | .alarms | join(",")' |
        tr , '\n' | grep -qx "$2"
}
wait_until 15 member_alarm politie-test roster_refused || fail "no roster_refused for politie"
grep -q "roster refused version=3: example referentiekader example-2026.1" "$T/politie-test.log" ||
    fail "politie does not say why"
[ "$(show politie-test | jq -r '[.roster_version, .version] | join(" ")')" = "2 limburg-2027.2" ] ||
    fail "politie applied the example roster: $(show politie-test)"
pass "an example roster pushed to a node that is not a test federation is refused, alarm raised"

# A node that is not a test federation refuses to start on an example roster.
KT_REFERENTIEKADER=$EXAMPLE kt_roster 9 "$T/example-roster.txt" "${IDS[@]}"
kt_config "$G" "$T/example-roster.txt"
sed -i "s#state-$G#state-example#; s#$G.sock#example.sock#" "$T/$G.cfg"
rc=0
out=$(timeout 60 "$KETEND" --config "$T/$G.cfg" 2>&1) || rc=$?
[ $rc = 78 ] && grep -q "is an example.*node/test-federation = 1" <<< "$out" ||
    fail "start on an example roster: exit $rc: $out"
rc=0
out=$(timeout 60 "$KETEND" --config "$T/$G.cfg" --check 2>&1) || rc=$?
[ $rc = 78 ] && grep -q "is an example" <<< "$out" || fail "--check on an example roster: exit $rc: $out"
pass "a node without node/test-federation refuses to start on an example roster (exit 78, --check too)"
