#!/usr/bin/env bash
# art. 12 (inzage): the uitvoerder's desk registers a person's request,
# finds the subject by BSN and by name and birth date (the lookup recorded
# in the access log with the request as its purpose), and answers with an
# overview in Dutch that names every recipient with dates and the origin of
# each item - never the melder, never another person; a refusal on an art.
# 41 UAVG ground gives the motivated letter; a request left open past four
# weeks raises the alarm in `keten status`.  Whether a request is granted or
# refused is a kernpartij's decision, sent signed from its node (art. 4):
# the desk answers only after one came, and as it says.
source "$(dirname "$0")/lib.sh"
G1=gemeente-maastricht
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_keys "$G1" gemeente
kt_roster 1 "$T/roster.txt" "$UITV" politie-test "$G1"
kt_referentiekader
PORT=
kt_config "$UITV"
kt_start "$UITV"
for id in politie-test "$G1"; do kt_config "$id"; kt_start "$id"; done
for id in politie-test "$G1"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

# One fictional person (BSN 111222333 passes the elfproef), from the police
# and from the gemeente, with HTML in the police text; and another person.
kt_signal_file "$T/p.json" P-1
jq '.subject.bsn = "111222333"
    | .description = "Fictief: <script>alert(1)</script> & <b>vet</b> bij het station."' \
    "$T/p.json" > "$T/a.json"
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
jq '.subject = {name: "Test Persoon", birth_date: "2001-04-12", bsn: "111222333",
                 address: "Teststraat 1, 6211 AA", municipality: "Maastricht"}
    | .local_ref = "G-1"' "$REPO/configs/signal-example.json" > "$T/g.json"
jq '.subject.name = "Ander Persoon" | .subject.birth_date = "1999-02-03" | .local_ref = "B-1"' \
    "$T/p.json" > "$T/b.json"
kt politie-test signal submit --file "$T/a.json" --wait | grep -q delivered || fail "politie signal not delivered"
kt "$G1" signal submit --file "$T/g.json" --wait | grep -q delivered || fail "gemeente signal not delivered"
kt politie-test signal submit --file "$T/b.json" --wait | grep -q delivered || fail "B not delivered"
A=$(kt "$UITV" signal list --json | jq -r '.signals[] | select(.sender=="'"$G1"'") | .case_ref')
B=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
[ "$(kt "$UITV" signal list --json | jq --arg a "$A" '[.signals[] | select(.case_ref==$a)] | length')" = 2 ] \
    || fail "the two signals are not one subject"
START=$(date -d '+7 days' +%Y-%m-%dT10:00)
kt "$UITV" weegploeg agenda --start "$START" --location "Stadhuis" --case "$A" > /dev/null
wait_until 20 relay_settled || fail "agenda copies not receipted"
# The casusoverleg: the gemeente contributes about the person's network
# (another person: never in the overview) and about the person.
kt "$UITV" weegploeg decide "$A" --agenderen --party politie-test --party "$G1" \
    --criterion geweld --analysis "Fictief." > /dev/null
echo '[{"kind": "fact", "text": "Broer Netwerkpersoon Geheim woont bij betrokkene (fictief)."}]' > "$T/items.json"
kt "$G1" case contribute "$A" --kind netwerk --legal-basis avg-6-1-e --file "$T/items.json" --wait \
    | grep -q delivered || fail "contribution not delivered"
INFO="Fictief: schuldhulpverlening sinds <mei> & lopend."
jq -n --arg t "$INFO" '[{kind: "fact", text: $t}]' > "$T/info.json"
kt "$G1" case contribute "$A" --kind informatie --legal-basis avg-6-1-e --file "$T/info.json" --wait \
    | grep -q delivered || fail "informatie contribution not delivered"
wait_until 20 relay_settled || fail "decision copies not receipted"
pass "politie and $G1 supplied signals on one person; the agenda and the decision went to both; $G1 contributed"

TODAY=$(TZ=Europe/Amsterdam date +%F)
DUE=$(TZ=Europe/Amsterdam date -d "$TODAY +28 days" +%F)
open_request() {
    kt "$UITV" request open --kind inzage --received "$TODAY" --from "$@" \
        --identity-by "Baliemedewerker Test" --identity-how "paspoort ingezien, niet gekopieerd" --json
}
R=$(open_request betrokkene | jq -r .request_id)
[[ "$R" == r-* ]] || fail "no request id: $R"
[ "$(kt "$UITV" request show "$R" --json | jq -r .request.due)" = "$DUE" ] || fail "due is not $DUE"
if kt "$UITV" request open --kind inzage --received "$TODAY" --from vertegenwoordiger \
        --identity-by X --identity-how Y 2>/dev/null; then
    fail "a representative without the representation was taken"
fi
RV=$(open_request vertegenwoordiger --representation curatele | jq -r .request_id)
[ "$(kt "$UITV" request show "$RV" --json | jq -r .request.representation)" = curatele ] \
    || fail "representation not recorded"
pass "requests registered, due four weeks after receipt ($DUE), the representation recorded"

kt "$UITV" request find "$R" --bsn 111222333 --json > "$T/f1.json"
jq -e --arg a "$A" '.matches | length == 1 and .[0].case_ref == $a and .[0].certain' "$T/f1.json" > /dev/null \
    || fail "find by BSN: $(cat "$T/f1.json")"
kt "$UITV" request find "$R" --name "test  PERSOON" --birth-date 2001-04-12 --json > "$T/f2.json"
jq -e --arg a "$A" '.matches | length == 1 and .[0].case_ref == $a' "$T/f2.json" > /dev/null \
    || fail "find by name and birth date: $(cat "$T/f2.json")"
kt "$UITV" request find "$R" --bsn 123456782 | grep -q "no subject found" || fail "an unknown BSN found someone"
n=$(kt "$UITV" audit access --json | jq --arg r "request $R" '[.access[] | select(.what == $r)] | length')
[ "$n" = 3 ] || fail "the lookups are not in the access log with the request as purpose ($n)"
if grep -q 111222333 "$T/state-$UITV/requests.db" "$T/state-$UITV/node.db"; then fail "a BSN was kept"; fi
pass "found by BSN and by name plus birth date; every lookup recorded under 'request $R'"

OUT="$T/out"
mkdir "$OUT"
if kt "$UITV" request answer "$R" --out "$OUT" 2>/dev/null; then fail "answered before linking"; fi
kt "$UITV" request link "$R" "$A" > /dev/null
# art. 4, 12.3: the desk does not answer before a kernpartij decided.
rc=0; out=$(kt "$UITV" request answer "$R" --out "$OUT" 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "no kernpartij has decided" <<< "$out" \
    || fail "answered without a kernpartij's decision (exit $rc): $out"
[ ! -e "$OUT/overzicht-$R.html" ] || fail "an overview was written without a decision"
kt "$UITV" request show "$R" | grep -q "^decision *none yet" || fail "show does not say no decision yet"
kt politie-test request decide "$R" --grant | grep -q " delivered$" || fail "the grant was not delivered"
kt "$UITV" request show "$R" --json | jq -e '.request.decision
    | .outcome == "grant" and .decided_by == "politie-test" and (.os_user | length > 0)' > /dev/null \
    || fail "the grant is not recorded as politie-test's: $(kt "$UITV" request show "$R" --json)"
kt "$UITV" log show --case "$A" --json | jq -e --arg r "$R" '[.events[] | select(.event == "RIGHTS_DECIDED"
    and .node == "politie-test" and .what == "request \($r) grant")] | length == 1' > /dev/null \
    || fail "the decision is not in the provenance log under politie-test"
kt "$UITV" request answer "$R" --out "$OUT" > /dev/null
[ "$(kt "$UITV" request show "$R" --json | jq -r '.request | .state + " " + .decided_by')" \
    = "answered politie-test" ] || fail "not answered as politie-test decided"
pass "no answer before a decision; politie-test's grant recorded under its node id and in the log; the desk answered"
[ "$(stat -c %a "$OUT/overzicht-$R.html")" = 600 ] || fail "the overview is readable by others"
n=$(kt "$UITV" audit access --json | jq --arg r "request $R" --arg a "$A" \
    '[.access[] | select(.what == $r and .case_ref == $a)] | length')
[ "$n" = 3 ] || fail "the read for the overview is not recorded ($n)"

# The documents, parsed: tags balanced, no script, the text as a person reads it.
check_html() {  # check_html FILE: prints the text (tags stripped, entities decoded)
    perl -e '
        local $/; my $h = <STDIN>;
        $h =~ /^<!DOCTYPE html>/ or die "no doctype\n";
        $h =~ /<script|\son[a-z]+=|javascript:/i and die "script in the document\n";
        $h =~ /<link|<img|src=|url\(/i and die "not self-contained\n";
        $h =~ /\@media print/ or die "no print stylesheet\n";
        my @stack; my %void = map { $_ => 1 } qw(meta br hr img);
        my $text = $h; $text =~ s/<style>.*?<\/style>//s;
        while ($h =~ /<(\/?)([a-zA-Z0-9]+)[^>]*>/g) {
            my ($close, $tag) = ($1, lc $2);
            next if $void{$tag};
            if ($close) { my $top = pop @stack; die "</$tag> closes <$top>\n" if !$top || $top ne $tag }
            else { push @stack, $tag }
        }
        die "unclosed: @stack\n" if @stack;
        (my $bare = $text) =~ s/<[^>]*>//g;
        $bare =~ /[<>]/ and die "a bare < or > in the text\n";
        $bare =~ /&(?!amp;|lt;|gt;|quot;|#39;)/ and die "a bare & in the text\n";
        $bare =~ s/&lt;/</g; $bare =~ s/&gt;/>/g; $bare =~ s/&quot;/"/g; $bare =~ s/&#39;/\x27/g;
        $bare =~ s/&amp;/&/g;
        print $bare;' < "$1"
}
HT=$(check_html "$OUT/overzicht-$R.html") || fail "overview HTML not well-formed"
TXT=$(cat "$OUT/overzicht-$R.txt")
NL_TODAY=$(TZ=Europe/Amsterdam LC_ALL=C date +%-d)
MONTHS=(januari februari maart april mei juni juli augustus september oktober november december)
NL_TODAY="$NL_TODAY ${MONTHS[$((10#$(TZ=Europe/Amsterdam date +%m) - 1))]} $(TZ=Europe/Amsterdam date +%Y)"
for doc in HT TXT; do
    text=${!doc}
    for want in "Vertrouwelijk" "Test Persoon" "111222333" "agenda van de weegploeg" \
                "ingebracht door politie-test op $NL_TODAY" "ingebracht door $G1 op $NL_TODAY" \
                "soort bron: school" "soort bron: eigen" "<script>alert(1)</script>" \
                "het voorkomen van uitreizen" "besluit van de weegploeg over u" \
                "Daaraan nemen deel: politie-test, $G1" "$INFO" \
                "een bijdrage over een persoon uit uw omgeving, van $G1 op $NL_TODAY"; do
        grep -qF -- "$want" <<< "$text" || fail "overview ($doc) lacks '$want'"
    done
    for never in "Agent Test" "test@politie.invalid" "Medewerker Veiligheid" "veiligheid@gemeente" \
                 "Ander Persoon" "1999-02-03" "mentor, school" "$B" "Netwerkpersoon"; do
        if grep -qF -- "$never" <<< "$text"; then fail "overview ($doc) shows '$never'"; fi
    done
done
grep -qF "<script>" "$OUT/overzicht-$R.html" && fail "signal text not escaped"
grep -qF "<mei>" "$OUT/overzicht-$R.html" && fail "contribution text not escaped"
# Each recipient row carries the day it was sent and the day it was confirmed.
for who in politie-test "$G1"; do
    grep -qE "<tr><td>$NL_TODAY, [0-9]{2}:[0-9]{2}</td><td>$who</td><td>agenda van de weegploeg[^<]*</td><td>$NL_TODAY, [0-9]{2}:[0-9]{2}</td></tr>" \
        "$OUT/overzicht-$R.html" || fail "$who: no recipient row with dates in the HTML"
done
grep -qE "^  $NL_TODAY, [0-9]{2}:[0-9]{2}  aan politie-test: .*ontvangst bevestigd: $NL_TODAY" \
    "$OUT/overzicht-$R.txt" || fail "politie-test row without dates"
grep -qE "^  $NL_TODAY, [0-9]{2}:[0-9]{2}  aan $G1: .*ontvangst bevestigd: $NL_TODAY" \
    "$OUT/overzicht-$R.txt" || fail "$G1 row without dates"
pass "the overview names politie-test and $G1 as recipients with dates and each item's origin; $G1's informatie in full, its netwerk contribution without a name; no melder, text escaped"

# art. 12.4: a refusal on an art. 41 UAVG ground, and a partial one.
kt "$UITV" request link "$RV" "$A" > /dev/null
rc=0; kt "$G1" request decide "$RV" --refuse 41-1-z --motivation x > /dev/null 2>&1 || rc=$?
[ $rc != 0 ] || fail "an unknown ground was taken"
MOT="Inzage zou een lopend opsporingsonderzoek schaden."
kt "$G1" request decide "$RV" --refuse 41-1-d --motivation "$MOT" | grep -q " delivered$" \
    || fail "$G1's refusal was not delivered"
kt "$UITV" request answer "$RV" --out "$OUT" > /dev/null
[ ! -e "$OUT/overzicht-$RV.html" ] || fail "a full refusal wrote an overview"
LT=$(check_html "$OUT/weigering-$RV.html") || fail "letter HTML not well-formed"
for text in "$LT" "$(cat "$OUT/weigering-$RV.txt")"; do
    for want in "onderdeel d" "opsporing en de vervolging van strafbare feiten" "$MOT" \
                "Autoriteit Persoonsgegevens" "$RV" "de curator van betrokkene"; do
        grep -qF -- "$want" <<< "$text" || fail "letter lacks '$want'"
    done
done
[ "$(kt "$UITV" request show "$RV" --json | jq -r '.request | .state + " " + .ground + " " + .decided_by')" \
    = "refused 41-1-d $G1" ] || fail "refusal not recorded as $G1's"
RP=$(open_request betrokkene | jq -r .request_id)
kt "$UITV" request link "$RP" "$A" > /dev/null
PID_=$(kt "$UITV" log show --case "$A" --json | jq -r '[.events[] | select(.event=="MESSAGE_RECEIVED" and .node=="politie-test")][0].message_id')
# An id that is not a signal of the linked subject is refused on arrival,
# not accepted and then failing the answer.
out=$(kt politie-test request decide "$RP" --refuse 41-1-d --motivation "$MOT" --partial \
    --withhold 0123456789abcdef0123456789abcdef 2>&1 || true)
grep -q "refused: .*withheld id 1 is not a signal of $A" <<< "$out" \
    || fail "a partial refusal withholding a stranger's id was not refused: $out"
kt politie-test request decide "$RP" --refuse 41-1-d --motivation "$MOT" --partial --withhold "$PID_" \
    | grep -q " delivered$" || fail "the partial refusal was not delivered"
kt "$UITV" request answer "$RP" --out "$OUT" > /dev/null
PT=$(check_html "$OUT/overzicht-$RP.html") || fail "partial overview not well-formed"
grep -qF "ingebracht door $G1" <<< "$PT" || fail "the rest is missing from the partial overview"
if grep -qF "ingebracht door politie-test" <<< "$PT"; then fail "the withheld item is in the overview"; fi
grep -qF "gedeeltelijk" "$OUT/weigering-$RP.txt" || fail "the letter does not say partial"
pass "a refusal on art. 41 lid 1 sub d UAVG gives the motivated letter; a partial one the rest"

# A blocked (afgeschermd) item is still held: the person's overview shows
# it, marked so (art. 12.3); a deleted one holds nothing and is left out.
kt_signal_file "$T/c.json" C-1
jq '.subject.name = "Derde Persoon" | .subject.birth_date = "1998-05-06" | del(.subject.bsn)
    | .items = [{kind: "fact", text: "Afgeschermdfeit (fictief)."},
                {kind: "fact", text: "Verwijderdfeit (fictief)."}]' "$T/c.json" > "$T/c2.json"
out=$(kt politie-test signal submit --file "$T/c2.json" --wait)
SC=$(awk '$3 == "delivered" {print $2}' <<< "$out")
[ -n "$SC" ] || fail "the third signal was not delivered: $out"
CC=$(kt "$UITV" signal list --json | jq -r --arg id "$SC" '.signals[] | select(.message_id==$id) | .case_ref')
kt "$UITV" correction decide "$CC" --signal "$SC" --item 0 --block > /dev/null || fail "block failed"
kt "$UITV" correction decide "$CC" --signal "$SC" --item 1 --delete > /dev/null || fail "delete failed"
RC=$(open_request betrokkene | jq -r .request_id)
kt "$UITV" request link "$RC" "$CC" > /dev/null || fail "request link"
kt politie-test request decide "$RC" --grant | grep -q " delivered$" || fail "the grant was not delivered"
kt "$UITV" request answer "$RC" --out "$OUT" > /dev/null || fail "the answer failed"
for f in "$OUT/overzicht-$RC.txt" "$OUT/overzicht-$RC.html"; do
    grep -qF "Afgeschermdfeit (fictief)." "$f" && grep -qF "afgeschermd: bewaard" "$f" \
        || fail "the overview does not show the blocked item, marked: $f"
    if grep -qF "Verwijderdfeit" "$f"; then fail "the overview shows a deleted item: $f"; fi
done
if kt "$UITV" weegploeg subject "$CC" --json | grep -qF "Afgeschermdfeit"; then
    fail "the blocked item is shown to the uitvoerder"
fi
pass "the overview shows a blocked item, marked afgeschermd, and leaves a deleted one out"

# art. 12.3: a request left open past four weeks raises the alarm.
RO=$(open_request betrokkene | jq -r .request_id)
kt "$UITV" status | grep -q "^ *request.*$RO inzage due $DUE" || fail "open request not in status: $(kt "$UITV" status)"
kt_restart_all_at +29d "$UITV"
kt "$UITV" status --json | jq -e --arg r "$RO" \
    '.rights.alarms == 1 and (.rights.open[] | select(.id == $r) | .state == "overdue")' > /dev/null \
    || fail "no alarm 29 days on: $(kt "$UITV" status --json | jq -c .rights)"
kt "$UITV" status | grep -q "ALARM.*$RO.*OVERDUE" || fail "status shows no alarm: $(kt "$UITV" status)"
pass "a request open past four weeks is an alarm in keten status"

# art. 13.2 with 12.3: a year on, the agendered subject is archived - out of
# every list, yet in the person's inzage, marked as archived.
kt_restart_all_at +400d "$UITV" politie-test "$G1"
archived() { kt "$UITV" retention status --json \
    | jq -e --arg a "$A" '.cases[] | select(.case_ref==$a) | .state == "archived"' > /dev/null; }
wait_until 20 archived || fail "A not archived after a year"
TODAY=$(TZ=Europe/Amsterdam date -d '+400 days' +%F)   # the daemons' today now
RA=$(open_request betrokkene | jq -r .request_id)
kt "$UITV" request find "$RA" --bsn 111222333 --json | jq -e --arg a "$A" \
    '.matches[0] | .case_ref == $a and .archived' > /dev/null || fail "the archived subject is not found"
kt "$UITV" request link "$RA" "$A" | grep -q archived || fail "the link does not say archived"
kt "$G1" request decide "$RA" --grant | grep -q " delivered$" || fail "the grant was not delivered"
kt "$UITV" request answer "$RA" --out "$OUT" > /dev/null
AT=$(check_html "$OUT/overzicht-$RA.html") || fail "archived overview HTML not well-formed"
for text in "$AT" "$(cat "$OUT/overzicht-$RA.txt")"; do
    for want in "<script>alert(1)</script>" "$INFO" "- gearchiveerd" \
                "gearchiveerd, alleen nog raadpleegbaar door de kernpartijen"; do
        grep -qF -- "$want" <<< "$text" || fail "archived overview lacks '$want'"
    done
    for never in "Agent Test" "Netwerkpersoon" "Ander Persoon"; do
        if grep -qF -- "$never" <<< "$text"; then fail "archived overview shows '$never'"; fi
    done
done
n=$(kt "$UITV" audit access --json | jq --arg r "request $RA" --arg a "$A" \
    '[.access[] | select(.what == $r and .case_ref == $a)] | length')
[ "$n" = 2 ] || fail "the archive read for the overview is not recorded ($n)"
pass "an archived subject's signals and contributions are in the overview, marked archived; the read on record"
