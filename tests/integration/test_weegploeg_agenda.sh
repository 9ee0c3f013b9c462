#!/usr/bin/env bash
# art. 8.2-8.4, 6b: the uitvoerder plans a weegploeg meeting and each
# kernpartij receives its own copy of the agenda - politie and OM every
# subject, a gemeente only its own residents - stored, shown, written as an
# .ics file and announced by the hook; changes and cancellations update the
# same calendar event, also for a node that was down; reads are recorded.
source "$(dirname "$0")/lib.sh"
G1=gemeente-maastricht
G2=gemeente-heerlen
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_keys om-test om
kt_keys "$G1" gemeente
kt_keys "$G2" gemeente
kt_keys rvdk-test rvdk
kt_roster 1 "$T/roster.txt" "$UITV" politie-test om-test "$G1" "$G2" rvdk-test
PORT=
kt_config "$UITV"
kt_start "$UITV"
mkdir "$T/ics"
cat > "$T/hook.sh" <<HOOK
#!/bin/sh
echo "\$1 \$2 \$3" >> "$T/hook.out"
HOOK
chmod 755 "$T/hook.sh"
for id in politie-test om-test "$G1" "$G2" rvdk-test; do
    kt_config "$id"
    if [ "$id" = "$G1" ]; then
        printf 'agenda\n    ics-dir = "%s"\n    hook = "%s"\n' "$T/ics" "$T/hook.sh" >> "$T/$id.cfg"
    fi
    kt_start "$id"
done
for id in politie-test om-test "$G1" "$G2" rvdk-test; do
    wait_until 10 link_up "$id" || fail "no link for $id"
done

# Two subjects: one living in Maastricht, one in Heerlen.
kt_signal_file "$T/a.json" A-1
jq '.subject.name = "Ander Persoon" | .subject.birth_date = "1999-02-03"
    | .subject.municipality = "Heerlen" | .local_ref = "B-1"' "$T/a.json" > "$T/b.json"
kt politie-test signal submit --file "$T/a.json" --wait | grep -q delivered || fail "A not delivered"
kt politie-test signal submit --file "$T/b.json" --wait | grep -q delivered || fail "B not delivered"
A=$(kt "$UITV" signal list --json | jq -r '.signals[] | select(.sender=="politie-test") | .case_ref' | tail -n1)
B=$(kt "$UITV" signal list --json | jq -r '.signals[] | select(.sender=="politie-test") | .case_ref' | head -n1)
[ -n "$A" ] && [ -n "$B" ] && [ "$A" != "$B" ] || fail "expected two case_refs, got '$A' '$B'"

# Refusals of the plan itself.
if out=$(kt "$UITV" weegploeg agenda --start 2026-02-30T10:00 --location X --case "$A" 2>&1); then
    fail "an impossible date was accepted"
fi
grep -q "YYYY-MM-DDTHH:MM" <<< "$out" || fail "bad date refusal unclear: $out"
# The CLI says so itself, naming --start, before anything is sent: exit 2
# (the command line is wrong) even with no ketend to ask.
rc=0
out=$("$KETEN" --socket "$T/none.sock" weegploeg agenda --start 2026-02-30T10:00 --location X \
    --case "$A" 2>&1) || rc=$?
[ "$rc" = 2 ] && grep -q -- "--start '2026-02-30T10:00' is not a Dutch date" <<< "$out" \
    || fail "the CLI sent an impossible --start (exit $rc): $out"
# 02:30 on 28 March 2027 does not exist in Dutch time (02:00 -> 03:00).
if out=$(kt "$UITV" weegploeg agenda --start 2027-03-28T02:30 --location X --case "$A" 2>&1); then
    fail "a start the spring clock change skips was accepted"
fi
grep -q "2027-03-28T02:30 does not exist in Dutch time" <<< "$out" \
    || fail "spring gap refusal unclear: $out"
if out=$(kt "$UITV" weegploeg agenda --start 2026-12-01T10:00 --location X --case k-0000000000000000 2>&1); then
    fail "an unknown case_ref was accepted"
fi
grep -q "no subject" <<< "$out" || fail "unknown case_ref refusal unclear: $out"
if kt politie-test weegploeg agenda --start 2026-12-01T10:00 --location X --case "$A" 2>/dev/null; then
    fail "a partner could plan a weegploeg"
fi
pass "malformed plans and a partner's plan are refused"

M=$(kt "$UITV" weegploeg agenda --start 2026-12-01T10:00 --location "Gemeentehuis, zaal 2" \
    --case "$A" --case "$B" --json | jq -r .meeting_id)
[[ "$M" == w-* ]] || fail "no meeting id: $M"

refs() { kt "$1" agenda list --json | jq -r --arg m "$M" '[.meetings[] | select(.meeting_id==$m) | .case_refs[]] | sort | join(",")'; }
seq_of() { kt "$1" agenda list --json | jq -r --arg m "$M" '.meetings[] | select(.meeting_id==$m) | .sequence'; }
has_seq() { [ "$(seq_of "$1")" = "$2" ]; }
for id in politie-test om-test "$G1" "$G2"; do
    wait_until 10 has_seq "$id" 0 || fail "$id did not receive the agenda"
done
both=$(printf '%s\n' "$A" "$B" | sort | paste -sd,)
[ "$(refs politie-test)" = "$both" ] || fail "politie did not get both subjects"
[ "$(refs om-test)" = "$both" ] || fail "OM did not get both subjects"
[ "$(refs "$G1")" = "$A" ] || fail "Maastricht got $(refs "$G1"), not only its resident $A"
[ "$(refs "$G2")" = "$B" ] || fail "Heerlen got $(refs "$G2"), not only its resident $B"
pass "politie and OM get every subject, each gemeente only its residents"

# A non-resident gemeente cannot read the other subject: it never received it.
if kt "$G2" agenda show "$M" --json | grep -q "Test Persoon"; then
    fail "Heerlen can see Maastricht's resident"
fi
if sqlite3 "$T/state-$G2/node.db" "SELECT case_refs FROM agenda" | grep -q "$A"; then
    fail "Heerlen's node holds Maastricht's case_ref"
fi
# A casuspartij may receive casusoverleg agendas, never weegploeg agendas
# (the policy table refuses WEEGPLOEG_AGENDA to it): it lists none.
kt rvdk-test agenda list --json | jq -e '[.meetings[] | select(.kind == "weegploeg")] | length == 0' \
    > /dev/null || fail "a casuspartij lists weegploeg agendas"
if out=$(kt rvdk-test decision list 2>&1); then fail "a casuspartij lists weegploeg decisions: $out"; fi
grep -q "art. 8.4" <<< "$out" || fail "casuspartij refusal does not cite art. 8.4: $out"
pass "a non-resident gemeente and a casuspartij do not see the item"

# The gemeente's dossierhouder: details on request (recorded), .ics, hook.
kt "$G1" agenda show "$M" | grep -q "Test Persoon" || fail "agenda show lacks the subject"
[ "$(kt "$G1" audit access --json | jq -r --arg a "$A" '[.access[] | select(.case_ref==$a and .what=="agenda.show")] | length')" = 1 ] \
    || fail "the read was not recorded"
[ "$(kt "$G1" audit access --json | jq -r '.access[0].user')" = "$(id -un)" ] || fail "wrong user recorded"
kt "$G1" audit access --since 2000-01-01 | grep -q "$A" || fail "audit access does not list it"
[ "$(kt "$G1" audit access --since 2099-01-01 --json | jq '.access | length')" = 0 ] || fail "--since ignored"
ics="$T/ics/$M.ics"
[ -f "$ics" ] || fail "no .ics file"
grep -q "^UID:$M@$FED" "$ics" || fail "ics has no UID"
grep -q "^SEQUENCE:0" "$ics" || fail "ics has no SEQUENCE:0"
grep -q "^DTSTART;TZID=Europe/Amsterdam:20261201T100000" "$ics" || fail "ics start wrong"
grep -q "^DTEND;TZID=Europe/Amsterdam:20261201T120000" "$ics" || fail "ics end wrong"
grep -q "^LOCATION:Gemeentehuis\\\\, zaal 2" "$ics" || fail "ics location not escaped"
if grep -q "Test Persoon" "$ics"; then fail "ics holds a name although ics-personal-data is off"; fi
hooked() { grep -q "^new $M $ics" "$T/hook.out"; }
wait_until 10 hooked || fail "hook did not run with (new, meeting, ics)"
pass "Maastricht stores, shows (recorded), writes $M.ics and runs the hook"

# The printable agenda: a new 0600 file, self-contained, marked
# Vertrouwelijk, its read recorded; Debian's chromium prints it.
kt "$G1" agenda show "$M" --format html --out "$T/agenda.html" | grep -q "wrote" \
    || fail "no printable agenda"
[ "$(stat -c %a "$T/agenda.html")" = 600 ] || fail "the printable agenda is not mode 0600"
grep -q "VERTROUWELIJK" "$T/agenda.html" && grep -q "Test Persoon" "$T/agenda.html" \
    || fail "the printable agenda lacks its marking or its subject"
grep -q "script-src 'none'" "$T/agenda.html" || fail "no CSP that forbids scripts"
! grep -qiE "<script|<img|<link|https?://" "$T/agenda.html" || fail "the page loads or runs something"
if kt "$G1" agenda show "$M" --format html --out "$T/agenda.html" > /dev/null 2>&1; then
    fail "an existing file was overwritten"
fi
[ "$(kt "$G1" audit access --json | jq -r --arg a "$A" '[.access[] | select(.case_ref==$a and .what=="agenda.show")] | length')" -ge 2 ] \
    || fail "the printable agenda's read was not recorded"
CHROME=$(command -v chromium || command -v chromium-browser) || fail "chromium not installed (make deps)"
timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" --no-first-run \
    --print-to-pdf="$T/agenda.pdf" --no-pdf-header-footer "file://$T/agenda.html" > /dev/null 2> "$T/chrome.err" \
    || fail "chromium could not print the agenda: $(tail -3 "$T/chrome.err")"
[ "$(grep -ac "/Type /Page\b" "$T/agenda.pdf" || true)" -ge 1 ] || fail "the printed agenda has no pages"
pass "the printable agenda: 0600, marked Vertrouwelijk, read recorded, printed by chromium"

# Change: Heerlen's subject is taken off; Heerlen gets a cancellation.
kt "$UITV" weegploeg agenda --meeting "$M" --case "$A" > /dev/null
wait_until 10 has_seq "$G2" 1 || fail "Heerlen did not get the change"
[ "$(kt "$G2" agenda list --json | jq -r '.meetings[0].cancelled')" = true ] \
    || fail "Heerlen's copy is not cancelled"
wait_until 10 has_seq "$G1" 1 || fail "Maastricht did not get the change"
grep -q "^SEQUENCE:1" "$ics" || fail "ics not updated"
pass "a subject taken off cancels the meeting for its gemeente only"

# A node that is down gets the next version when it is back.
kt_kill "$G1"
kt "$UITV" weegploeg agenda --meeting "$M" --location "Politiebureau, zaal 1" > /dev/null
kt_start "$G1"
wait_until 15 has_seq "$G1" 2 || fail "Maastricht did not catch up after its restart"
grep -q "^LOCATION:Politiebureau\\\\, zaal 1" "$ics" || fail "ics location not updated"
pass "a gemeente that was down receives the change when it is back"

# Cancellation: everyone who had it, same calendar event.
kt "$UITV" weegploeg agenda --meeting "$M" --cancel > /dev/null
for id in politie-test om-test "$G1"; do
    wait_until 10 has_seq "$id" 3 || fail "$id did not get the cancellation"
done
grep -q "^STATUS:CANCELLED" "$ics" || fail "ics not cancelled"
grep -q "^METHOD:CANCEL" "$ics" || fail "ics method not CANCEL"
wait_until 10 grep -q "^cancel $M" "$T/hook.out" || fail "hook not run for the cancellation"
if kt "$UITV" weegploeg agenda --meeting "$M" --location Y 2>/dev/null; then
    fail "a cancelled meeting was changed"
fi
[ "$(kt "$UITV" weegploeg meetings --json | jq -r '.meetings[0].sequence')" = 3 ] || fail "meetings list"
pass "cancellation reaches every recipient; a cancelled meeting stays cancelled"

# A meeting planned in the past (Dutch calendar) is sent, with a warning;
# one in the future is not warned about.
kt "$UITV" weegploeg agenda --start 2026-01-05T09:30 --location "Zaal 1" --case "$A" \
    > "$T/past.out" 2> "$T/past.err" || fail "a meeting in the past was refused"
grep -q "warning: the meeting starts at 2026-01-05T09:30, which is in the past" "$T/past.err" \
    || fail "no warning for a meeting in the past: $(cat "$T/past.err")"
P=$(awk '/^meeting /{print $2; exit}' "$T/past.out")
kt "$UITV" weegploeg agenda --meeting "$P" --cancel > /dev/null 2>&1 || fail "cancel $P"
next_year=$(( $(date +%Y) + 1 ))
kt "$UITV" weegploeg agenda --start "$next_year-01-05T09:30" --location "Zaal 1" --case "$A" \
    > "$T/future.out" 2> "$T/future.err" || fail "a meeting next year was refused"
[ ! -s "$T/future.err" ] || fail "a meeting next year was warned about: $(cat "$T/future.err")"
F=$(awk '/^meeting /{print $2; exit}' "$T/future.out")
kt "$UITV" weegploeg agenda --meeting "$F" --cancel > /dev/null 2>&1 || fail "cancel $F"
pass "planning in the past is sent with a warning, planning ahead without"

# A subject with more signals than an agenda item carries (a kernpartij's
# node refuses more than 256) is refused when the agenda is composed,
# naming it, instead of being sent and refused by every kernpartij.
kt_signal_file "$T/big.json" BIG-1
sed -i "s/Test Persoon/Veel Testpersoon/" "$T/big.json"
"$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/big.json" -n 257 --inflight 50 \
    > /dev/null 2>&1 || fail "the 257 signals were not sent"
BIG=$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT case_ref FROM signal GROUP BY case_ref HAVING count(*) = 257")
[[ "$BIG" == k-* ]] || fail "no subject with 257 signals: $BIG"
rc=0; out=$(kt "$UITV" weegploeg agenda --start "$next_year-02-02T09:30" --location "Zaal 1" --case "$BIG" 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "has 257 signals and answers; an agenda item carries at most 256" <<< "$out" \
    && ! grep -q "recorded" <<< "$out" \
    || fail "an agenda item of 257 signals was not refused when composed (exit $rc): $out"
pass "a subject with more signals than an agenda item carries is refused when the agenda is composed"

# Every copy was logged as sent and confirmed as delivered, without names.
wait_until 20 relay_settled || fail "copies not receipted"
kt_kill "$UITV"
sent=$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay")
delivered=$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE state=1")
[ "$sent" = "$delivered" ] || fail "$delivered of $sent agenda messages confirmed"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "all $sent agenda messages receipted; the log verifies"
