#!/usr/bin/env bash
# art. 7.2a, 12.5, 13: a weegploeg agenda lists persons with signals to
# weigh.  When the police withdraws the only signal about a person, that
# person has no basis to be on it any more: the name, birth date and
# address leave the agenda at every party - the copy a member holds, and
# the copy still waiting in the uitvoerder's relay for a member away.
# A person with two signals of which one is withdrawn stays, with the
# other.
#   M1: planned while every member is up (each holds its copy);
#   M2: planned while the gemeente is away (its copy waits in the relay).
# Then politie withdraws the only signal of A and one of B's two; the
# gemeente comes back.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
kt_federation "$G:gemeente"
for id in politie-test "$G"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

sub() {  # sub LOCAL_REF NAME BIRTH_DATE ADDRESS: the delivered signal's id
    kt_signal_file "$T/$1.json" "$1"
    jq --arg n "$2" --arg b "$3" --arg a "$4" \
        '.subject.name=$n | .subject.birth_date=$b | .subject.address=$a' "$T/$1.json" > "$T/$1.j2"
    kt politie-test signal submit --file "$T/$1.j2" --wait | awk '$3 == "delivered" {print $2}'
}
ALONE=Eenlingnaam7315 ABORN=1987-03-17 AADDR=Intrekstraat7316
TWICE=Tweelingnaam7317
S1=$(sub A-1 "$ALONE Testpersoon" $ABORN "$AADDR 9, 6211 AB")
S2=$(sub B-1 "$TWICE Testpersoon" 2002-05-05 "Blijfstraat 2, 6211 AC")
S3=$(sub B-2 "$TWICE Testpersoon" 2002-05-05 "Blijfstraat 2, 6211 AC")
for s in "$S1" "$S2" "$S3"; do [ -n "$s" ] || fail "a signal was not delivered"; done
A=$(kt_case_of "$S1") B=$(kt_case_of "$S2")
[[ "$A" == k-* && "$B" == k-* && "$A" != "$B" ]] || fail "no two subjects: A=$A B=$B"
[ "$(kt_case_of "$S3")" = "$B" ] || fail "the two signals about one person are not one subject"

plan() {
    kt "$UITV" weegploeg agenda --start "$(date -d "+$1 days" +%F)T10:00" --location Stadhuis \
        --case "$A" --case "$B" --json | jq -r .meeting_id
}
shows() { kt "$1" agenda show "$2" --json 2> /dev/null | grep -qF "$3"; }
M1=$(plan 7)
for id in politie-test "$G"; do wait_until 10 shows "$id" "$M1" "$ALONE" || fail "$id has no M1"; done
wait_until 20 relay_settled || fail "M1 was not receipted"
kt_kill "$G"
M2=$(plan 8)
wait_until 10 shows politie-test "$M2" "$ALONE" || fail "politie has no M2"
waiting() {  # the gemeente's copies waiting in the relay that name A
    sqlite3 -cmd ".timeout 10000" "$T/state-$UITV/node.db" \
        "SELECT count(*) FROM relay WHERE recipient='$G' AND state IN (0, 3)
          AND type=$1 AND instr(',' || case_refs || ',', ',$A,') > 0"
}
AGENDA_TYPE=$(awk '$1 == "WEEGPLOEG_AGENDA" {gsub(/;/, "", $3); print $3}' "$KT_SRC/proto/keten.proto")
[ "$(waiting "$AGENDA_TYPE")" -ge 1 ] || fail "no copy of M2 naming A waits for the gemeente"
pass "M1 reached every member; M2 waits in the relay for the gemeente"

for s in "$S1" "$S3"; do
    out=$(kt politie-test signal withdraw "$s" --reason "Onjuist ingestuurd (fictief)." --wait)
    grep -q delivered <<< "$out" || fail "the withdrawal was not delivered: $out"
done
# A has no signal left; B keeps S2.
[ "$(kt "$UITV" signal list --json | jq --arg a "$A" '[.signals[] | select(.case_ref==$a)] | length')" = 0 ] \
    || fail "the uitvoerder still lists a signal of A"

# No trace of A in what a node shows of an agenda: name, birth date,
# address; B still there with the one signal left.
clean() {  # clean NODE MEETING
    local out
    out=$(kt "$1" agenda show "$2" --json 2> /dev/null) || return 1
    ! grep -qF -e "$ALONE" -e "$ABORN" -e "$AADDR" -e "$A" <<< "$out" &&
        jq -e --arg b "$B" '[.items[] | select(.case_ref==$b) | .signals | length] == [1]' \
            <<< "$out" > /dev/null
}
for m in "$M1" "$M2"; do
    wait_until 10 clean politie-test "$m" \
        || fail "politie (up) still shows A on $m: $(kt politie-test agenda show "$m" --json)"
done
pass "a member that is up drops the subject whose only signal was withdrawn; the other stays with one"

# The copy of M2 that named A no longer waits for the gemeente with A's
# data: withdrawn on record, a version without A waits in its place.
[ "$(waiting "$AGENDA_TYPE")" = 0 ] || fail "a copy naming A still waits in the relay for the gemeente"
blanked() {
    sqlite3 -cmd ".timeout 10000" "$T/state-$UITV/node.db" \
        "SELECT count(*) FROM relay WHERE recipient='$G' AND type=$AGENDA_TYPE
          AND instr(',' || case_refs || ',', ',$A,') > 0 AND state=4 AND length(header) > 0"
}
none_kept() { [ "$(blanked)" = 0 ]; }
wait_until 10 none_kept || fail "the withdrawn copy keeps its sealed bytes"

kt_start "$G"
wait_until 20 link_up "$G" || fail "no link for the gemeente"
wait_until 30 relay_settled || fail "the gemeente did not take what waited for it"
for m in "$M1" "$M2"; do
    wait_until 10 clean "$G" "$m" \
        || fail "the gemeente still shows A on $m: $(kt "$G" agenda show "$m" --json)"
done
# Its database: the agenda rows name A nowhere (the bodies are sealed;
# case_refs says what each holds), and no file holds A in clear.
rows=$(sqlite3 -cmd ".timeout 10000" "$T/state-$G/node.db" "SELECT meeting_id, case_refs FROM agenda")
grep -qF "$A" <<< "$rows" && fail "an agenda row of the gemeente still names A: $rows"
grep -q "$B" <<< "$rows" || fail "the gemeente's agendas lost B: $rows"
if grep -rlaF -e "$ALONE" -e "$AADDR" "$T/state-$G" "$T/state-politie-test"; then
    fail "a file holds A's data in clear"
fi
kt "$UITV" log show --json | grep -qF -e "$ALONE" -e "$AADDR" -e "$ABORN" \
    && fail "the provenance log holds A's data"
for id in "$UITV" politie-test "$G"; do kt "$id" log verify > /dev/null || fail "log verify fails at $id"; done
pass "the gemeente back: no agenda of it holds A's name, birth date or address; B stays"
