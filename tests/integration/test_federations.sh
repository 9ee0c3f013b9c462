#!/usr/bin/env bash
# A party in several federations (docs/OPERATIONS.md, "A party in several
# federations"): the OM is a member of two federations, with one ketend
# for each - its own keys, state, socket and log.  `keten --federation
# NAME` reaches the node of that federation, found by its roster among the
# NODE.cfg files of the config directory; `keten status --all` shows both.
# An agenda in one federation reaches the OM's node of that federation,
# and nothing of it is in the other node's files.
source "$(dirname "$0")/lib.sh"

# ---- federation A (the lib's): uitvoerder, politie, om-a -------------------
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_keys om-a om
kt_roster 1 "$T/roster.txt" "$UITV" politie-test om-a
PORT=
kt_config "$UITV"
kt_start "$UITV"
for id in politie-test om-a; do kt_config "$id"; kt_start "$id"; done
FED_A=$FED UITV_A=$UITV

# ---- federation B: another uitvoerder, om-b ----------------------------------
FED=fed-brabant-test UITV=uitvoerder-b KT_ROSTER="$T/roster-b.txt" PORT=
kt_keys "$UITV" uitvoerder
kt_keys om-b om
kt_roster 1 "$KT_ROSTER" "$UITV" om-b
kt_config "$UITV"
kt_start "$UITV"
kt_config om-b
kt_start om-b
UITV_B=$UITV
UITV=$UITV_A
for id in politie-test om-a om-b; do wait_until 10 link_up "$id" || fail "no link for $id"; done

# The OM's machine: its two configs, nothing else.
export KETEN_CONFIG_DIR="$T/om-etc"
mkdir "$KETEN_CONFIG_DIR"
cp "$T/om-a.cfg" "$T/om-b.cfg" "$KETEN_CONFIG_DIR/"
# A second name for a config is the same node (a hard link); a symbolic
# link is no config at all (ketend reads none through one).
ln "$KETEN_CONFIG_DIR/om-a.cfg" "$KETEN_CONFIG_DIR/zz-om-a.cfg"
ln -s om-b.cfg "$KETEN_CONFIG_DIR/zz-link.cfg"
om() { local f=$1; shift; "$KETEN" --federation "$f" "$@"; }
[ "$(om "$FED_A" status --json | jq -r .node)" = om-a ] || fail "--federation $FED_A is not om-a"
[ "$(om fed-brabant-test status --json | jq -r '.node + " " + .federation_name')" = "om-b fed-brabant-test" ] \
    || fail "--federation fed-brabant-test is not om-b"
out=$(om nowhere status 2>&1) && fail "an unknown federation was found: $out"
grep -q "no node of federation nowhere in $KETEN_CONFIG_DIR; found: $FED_A ($KETEN_CONFIG_DIR/om-a.cfg), fed-brabant-test" <<< "$out" \
    || fail "unknown federation unclear: $out"
out=$("$KETEN" -c "$T/om-a.cfg" --federation "$FED_A" status 2>&1) && fail "-c with -f: $out"
pass "keten --federation NAME reaches this machine's node of NAME; an unknown name lists the ones there"

# ---- separate keys, state and logs ------------------------------------------
[ "$(sha256sum < "$T/keys/om-a.secret")" != "$(sha256sum < "$T/keys/om-b.secret")" ] || fail "one key for two federations"
[ "$(om "$FED_A" status --json | jq -r .roster_version)" = 1 ] || fail "no roster at om-a"
# An agenda in A reaches om-a, never om-b.
kt_signal_file "$T/s.json" R-1
sed -i 's/Test Persoon/Tweeledig Testpersoon/' "$T/s.json"
out=$(kt politie-test signal submit --file "$T/s.json" --wait)
grep -q delivered <<< "$out" || fail "signal not delivered: $out"
A=$(kt "$UITV_A" signal list --json | jq -r '.signals[0].case_ref')
M=$(kt "$UITV_A" weegploeg agenda --start "$(date -d '+14 days' +%F)T10:00" --location "Stadhuis" --case "$A" --json |
    jq -r .meeting_id)
has_meeting() { om "$1" agenda list --json | jq -e --arg m "$M" '[.meetings[] | select(.meeting_id==$m)] | length == 1'; }
wait_until 10 has_meeting "$FED_A" > /dev/null || fail "om-a did not get the agenda"
has_meeting fed-brabant-test > /dev/null && fail "om-b lists the other federation's agenda"
grep -rlaF "$M" "$T/state-om-a" > /dev/null || fail "the check cannot fail: om-a's files do not hold the meeting"
left=$(grep -rlaF -e "$M" -e "$A" "$T/state-om-b" "$T/state-$UITV_B" 2> /dev/null || true)
[ -z "$left" ] || fail "federation B's files hold A's meeting or subject: $left"
pass "separate keys; an agenda of one federation reaches the OM's node of it, and none of the other's files"

# ---- one status for both ----------------------------------------------------
out=$("$KETEN" status --all) || fail "status --all: $out"
grep -Eq "^$FED_A +om-a +kernpartij +OK +no alarms" <<< "$out" || fail "status --all lacks om-a: $out"
grep -Eq "^fed-brabant-test +om-b +kernpartij +OK +no alarms" <<< "$out" || fail "status --all lacks om-b: $out"
[ "$("$KETEN" status --all --json | jq -r '[.nodes[] | .federation] | sort | join(",")')" = "$(printf '%s\n' "$FED_A" fed-brabant-test | sort | paste -sd,)" ] \
    || fail "status --all --json"
kt_kill "$UITV_B"
down() { ! "$KETEN" status --all --check > "$T/check.out"; }
wait_until 10 down || fail "status --all --check stays OK with B's uitvoerder gone"
grep -q "^KETEN CRITICAL - .*fed-brabant-test/om-b: .*alarm" "$T/check.out" || fail "status --all --check: $(cat "$T/check.out")"
kt_kill om-b
rc=0; "$KETEN" status --all > "$T/all.out" || rc=$?
[ $rc = 1 ] && grep -Eq "^fed-brabant-test +om-b +- +UNKNOWN +no answer" "$T/all.out" || fail "a node down (rc $rc): $(cat "$T/all.out")"
# CRITICAL (a node whose uitvoerder is gone) is graver than UNKNOWN.
kt_kill "$UITV_A"
link_gone() { om "$FED_A" status --json | jq -e '.alarms | index("link_down")' > /dev/null; }
wait_until 15 link_gone || fail "om-a never saw its link down"
rc=0; "$KETEN" status --all --check > "$T/check.out" || rc=$?
[ $rc = 2 ] && grep -q "^KETEN CRITICAL - " "$T/check.out" || fail "CRITICAL and UNKNOWN together (rc $rc): $(cat "$T/check.out")"
rc=0; KETEN_CONFIG_DIR="$T/empty" "$KETEN" status --all --check > "$T/check.out" 2>&1 || rc=$?
[ $rc = 3 ] && grep -q "^KETEN UNKNOWN - cannot read the config directory" "$T/check.out" || fail "no config dir (rc $rc): $(cat "$T/check.out")"
mkdir "$T/empty"
rc=0; KETEN_CONFIG_DIR="$T/empty" "$KETEN" status --all --check > "$T/check.out" 2>&1 || rc=$?
[ $rc = 3 ] && grep -q "^KETEN UNKNOWN - no node configuration" "$T/check.out" || fail "no node (rc $rc): $(cat "$T/check.out")"
pass "keten status --all shows both federations' nodes; --check gives the gravest (CRITICAL over UNKNOWN); no node is UNKNOWN"
