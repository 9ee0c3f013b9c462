#!/usr/bin/env bash
# art. 11.2-11.5: every weegploeg decision, agenderen or niet agenderen,
# opens an informatieplicht task; the kernpartijen are consulted (11.3);
# a kernpartij decides at its node (art. 4) to defer informing on a ground
# of art. 41 UAVG with a note and a review date (11.4): recorded at the
# uitvoerder as that node's decision, in the task and the provenance log;
# `keten status` lists the deferral when that date comes (every clock
# moved with libfaketime); then a kernpartij decides the person can be
# informed, the desk informs (11.5; never before such a decision), and the
# letter (art. 14 AVG, Dutch) parses: well-formed
# HTML without script, every section, the controllers and the AP named, no
# one else's data, and a text version with the same sections.
# art. 8.3, 10.3: the accuracy review worklist lists a subject after
# weegploeg/review-days and not after a recorded review.
source "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || fail "python3 is needed to parse the letter"
G=gemeente-maastricht
NODES=(politie-test om-test "$G")
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie om-test:om "$G":gemeente; do kt_keys "${spec%%:*}" "${spec##*:}"; done
kt_roster 1 "$T/roster.txt" "$UITV" "${NODES[@]}"
kt_referentiekader "review-days = 30"
PORT=
kt_config "$UITV"; kt_start "$UITV"
for id in "${NODES[@]}"; do kt_config "$id"; kt_start "$id"; done
for id in "${NODES[@]}"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

signal() {  # signal NAME LOCAL_REF: its case_ref at the uitvoerder
    kt_signal_file "$T/$2.json" "$2"
    sed -i "s/Test Persoon/$1/" "$T/$2.json"
    local out id
    out=$(kt politie-test signal submit --file "$T/$2.json" --wait)
    grep -q delivered <<< "$out" || fail "$1 not delivered: $out"
    id=$(echo "$out" | grep -Eo '[0-9a-f]{32}' | head -n1)
    kt "$UITV" signal list --json | jq -r --arg id "$id" '.signals[] | select(.message_id==$id) | .case_ref'
}
A=$(signal "Informeer Testpersoon" I-1)
B=$(signal "Ander Testpersoon" I-2)
[[ "$A" == k-* && "$B" == k-* && "$A" != "$B" ]] || fail "no case refs: $A $B"

# ---- a niet-agenderen decision opens a task ---------------------------------
kt "$UITV" weegploeg decide "$A" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." > /dev/null
task_of() { kt "$UITV" informatieplicht list --json | jq -r --arg a "$1" '[.tasks[] | select(.case_ref==$a)]'; }
[ "$(task_of "$A" | jq length)" = 1 ] || fail "not one task for A: $(task_of "$A")"
TASK=$(task_of "$A" | jq -r '.[0].task_id')
[[ "$TASK" == t-* ]] || fail "no task id: $TASK"
[ "$(task_of "$A" | jq -r '.[0].outcome + "/" + .[0].state')" = niet-agenderen/open ] \
    || fail "A's task is not an open niet-agenderen task: $(task_of "$A")"
kt "$UITV" weegploeg decide "$B" --agenderen --party "$G" --criterion geweld --analysis "Fictief." > /dev/null
[ "$(task_of "$B" | jq -r '.[0].outcome')" = agenderen ] || fail "agenderen opened no task"
[ "$(jfield "$UITV" .informatieplicht.open)" = 2 ] || fail "status does not count 2 open tasks"
kt "$UITV" informatieplicht list | grep -q "$TASK" || fail "the table does not list $TASK"
pass "a niet-agenderen decision opened task $TASK (an agenderen one too); status counts them"

# ---- consult; a kernpartij defers with a ground, a note and a review date ----
refused() {  # refused WHY ARGS...: refused at the uitvoerder with exit 1, a reason containing WHY
    local why=$1 rc=0 out; shift
    out=$(kt "$UITV" informatieplicht "$@" 2>&1) || rc=$?
    [ $rc = 1 ] || fail "informatieplicht $* exits $rc: $out"
    grep -q -- "$why" <<< "$out" || fail "refusal of '$*' does not say '$why': $out"
}
decide_refused() {  # decide_refused NODE WHY ARGS...: a decision NODE sends is refused
    local node=$1 why=$2 rc=0 out; shift 2
    out=$(kt "$node" informatieplicht decide "$@" 2>&1) || rc=$?
    [ $rc = 1 ] || fail "decide $* at $node exits $rc: $out"
    grep -q -- "$why" <<< "$out" || fail "refusal of decide '$*' at $node does not say '$why': $out"
}
TODAY=$(TZ=Europe/Amsterdam date +%F)
REVIEW=$(TZ=Europe/Amsterdam date -d '+30 days' +%F)
decide_refused "$G" "11.3" "$TASK" --defer uavg-41-1-d --note "Lopend onderzoek (fictief)." --review "$REVIEW"
refused "11.3" inform "$TASK" --on "$TODAY" --by "$G" --how "Per brief."
refused "kernpartij" consult "$TASK" --party nobody
refused "11.3" letter "$TASK" --out "$T"
kt "$UITV" informatieplicht consult "$TASK" --party politie-test | grep -q "$TASK open" || fail "consult"
kt "$UITV" informatieplicht consult "$TASK" --party "$G" > /dev/null
decide_refused "$G" "41-1-a" "$TASK" --defer uavg-41-1-z --note "x" --review "$REVIEW"
decide_refused "$G" "after today" "$TASK" --defer uavg-41-1-d --note "x" --review "$TODAY"
decide_refused "$G" "at most 366 days" "$TASK" --defer uavg-41-1-d --note "x" --review 9999-12-31
decide_refused "$G" "no informatieplicht task" t-0000000000000000 --inform
rc=0; kt "$G" informatieplicht decide "$TASK" --defer uavg-41-1-d --review "$REVIEW" 2> /dev/null || rc=$?
[ $rc = 2 ] || fail "a deferral without a note: exit $rc"
# art. 4: consulted, the desk still does not inform on its own.
refused "keten informatieplicht decide" inform "$TASK" --on "$TODAY" --by "$G" --how "Per brief."
kt "$G" informatieplicht decide "$TASK" --defer uavg-41-1-d \
    --note "Lopend onderzoek naar Qzxvnotitie (fictief)." --review "$REVIEW" | grep -q " delivered$" \
    || fail "the deferral was not delivered"
t=$(task_of "$A")
[ "$(echo "$t" | jq -r '.[0].state + " " + .[0].ground + " " + .[0].review_on + " " + .[0].decided_by + " " + (.[0].consulted | join(","))')" \
    = "deferred uavg-41-1-d $REVIEW $G $G,politie-test" ] || fail "the deferral is not as decided: $t"
kt "$UITV" log show --case "$A" --json | jq -e --arg t "$TASK" --arg g "$G" '[.events[]
    | select(.event == "RIGHTS_DECIDED" and .node == $g and .what == "informatieplicht \($t) defer uavg-41-1-d")]
    | length == 1' > /dev/null || fail "the deferral is not in the provenance log under $G"
if kt "$UITV" log show --case "$A" --json | grep -q Qzxvnotitie; then fail "the note is in the log"; fi
[ "$(jfield "$UITV" '.informatieplicht.review_due | length')" = 0 ] || fail "due for review on day 0"
refused "11.3" letter "$TASK" --out "$T"
ls "$T"/informatie-* > /dev/null 2>&1 && fail "a letter was written while informing is deferred"
if grep -qaF "Qzxvnotitie" "$T/state-$UITV/weegploeg.db"*; then fail "the note is in the clear"; fi
pass "no letter before a decision to inform nor while deferred; a review at most a year on"
pass "consulted politie and the gemeente; $G deferred on uavg-41-1-d until $REVIEW, recorded as its decision; the note is sealed"

# ---- 31 days on: the deferral is due for review --------------------------------
kt_restart_all_at +31d "$UITV" "${NODES[@]}"
for id in "${NODES[@]}"; do wait_until 10 link_up "$id" || fail "no link for $id after the restart"; done
due=$(jfield "$UITV" '.informatieplicht.review_due')
[ "$(echo "$due" | jq -r '.[0].task_id + " " + .[0].review_on')" = "$TASK $REVIEW" ] \
    || fail "status does not list the deferral as due: $due"
kt "$UITV" status | grep -q "review due.*$TASK" || fail "keten status does not show the review"
pass "31 days on, keten status lists $TASK as due for review"

# ---- the ground has lapsed: a kernpartij decides to inform; the desk informs (11.5)
ON=$(TZ=Europe/Amsterdam date -d '+31 days' +%F)
kt politie-test informatieplicht decide "$TASK" --inform | grep -q " delivered$" \
    || fail "the decision to inform was not delivered"
[ "$(task_of "$A" | jq -r '.[0].state + " " + .[0].decided_by')" = "to-inform politie-test" ] \
    || fail "the task is not cleared by politie-test: $(task_of "$A")"
refused "not an active member" inform "$TASK" --on "$ON" --by nobody --how "Per brief."
refused "decision to inform" inform "$TASK" --on "$TODAY" --by "$G" --how "Per brief."
kt "$UITV" informatieplicht inform "$TASK" --on "$ON" --by "$G" --how "Per brief aan het woonadres." \
    | grep -q "$TASK informed" || fail "inform"
[ "$(task_of "$A" | jq -r '.[0].state + " " + .[0].decided_by')" = "informed politie-test" ] \
    || fail "the informed task does not show who cleared it: $(task_of "$A")"
[ "$(jfield "$UITV" '.informatieplicht.review_due | length')" = 0 ] || fail "still due after informing"
decide_refused politie-test "is done" "$TASK" --defer uavg-41-1-d --note x --review "$(TZ=Europe/Amsterdam date -d '+60 days' +%F)"
pass "politie-test decided to inform; informed on $ON by $G; the task is done and no longer due"

# ---- the letter ------------------------------------------------------------------
mkdir "$T/out"
kt "$UITV" informatieplicht letter "$TASK" --out "$T/out" > /dev/null || fail "no letter"
HTML="$T/out/informatie-$TASK.html"
TXT="$T/out/informatie-$TASK.txt"
[ "$(stat -c %a "$HTML") $(stat -c %a "$TXT")" = "600 600" ] || fail "the letter is readable by others"
python3 - "$HTML" "$TXT" <<'PY' || fail "the letter does not pass the checker"
import sys, xml.etree.ElementTree as ET
html, txt = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2], encoding="utf-8").read()
def no(cond, why):
    if cond:
        sys.exit("letter: " + why)
no(not html.startswith("<!DOCTYPE html>"), "no doctype")
root = ET.fromstring(html[len("<!DOCTYPE html>"):])  # well-formed, or it raises
no(root.tag != "html" or root.get("lang") != "nl", "not an html element in Dutch")
no(any(e.tag in ("script", "iframe", "object", "embed") for e in root.iter()), "active content")
no(any(k.lower().startswith("on") for e in root.iter() for k in e.attrib), "an event handler")
want = ["aanleiding", "verantwoordelijken", "doeleinden", "gegevens", "ontvangers",
        "bewaartermijnen", "rechten", "klacht"]
secs = [e for e in root.iter("section")]
no([s.get("id") for s in secs] != want, "sections %s" % [s.get("id") for s in secs])
text_of = lambda e: " ".join("".join(e.itertext()).split())
by_id = {s.get("id"): text_of(s) for s in secs}
no("gemeente-maastricht" not in by_id["verantwoordelijken"] and "Maastricht" not in by_id["verantwoordelijken"],
   "the gemeente is not named as controller")
no("gezamenlijke verwerkingsverantwoordelijken" not in by_id["verantwoordelijken"], "no joint controllers")
no("Autoriteit Persoonsgegevens" not in by_id["klacht"], "no complaint to the AP")
for right in ("inzage", "correctie", "verwijdering", "afscherming", "verzet"):
    no(right not in by_id["rechten"], "right %s missing" % right)
no("uiterlijk 6 maanden" not in by_id["bewaartermijnen"]
   or "5 jaar" not in by_id["bewaartermijnen"], "retention periods missing")
whole = text_of(root)
no("Informeer Testpersoon" not in whole, "the person is not named")
for other in ("Ander Testpersoon", "Agent Test", "politie.invalid", "Fictional test signal", "Fictief."):
    no(other in whole or other in txt, "names someone or something else: " + other)
titles = [text_of(s.find("h2")) for s in secs]
heads = [l[3:-3] for l in txt.splitlines() if l.startswith("== ") and l.endswith(" ==")]
no(titles != heads, "the text's sections %s differ from the HTML's %s" % (heads, titles))
PY
kt "$UITV" audit access --json | jq -e --arg a "$A" \
    '[.access[] | select(.what=="informatieplicht.letter" and .case_ref==$a)] | length == 1' > /dev/null \
    || fail "the letter was not recorded as a read of personal data"
pass "the letter parses: sections, controllers, rights, the AP; the person and no one else; .txt alike"

# ---- the accuracy review (review-days = 30) ------------------------------------
due_of() { kt "$UITV" review list --json | jq -r --arg a "$1" '[.due[] | select(.case_ref==$a) | .file] | sort | join(",")'; }
[ "$(due_of "$A")" = weegploeg ] || fail "A is not due for review after 31 days: $(due_of "$A")"
[ "$(due_of "$B")" = casusoverleg,weegploeg ] || fail "B's subject and case are not due: $(due_of "$B")"
[ "$(jfield "$UITV" .review.due)" = 3 ] || fail "status does not count 3 due"
rc=0; kt "$UITV" review record "$A" --result fine --note x 2> /dev/null || rc=$?
[ $rc = 2 ] || fail "a review with an unknown result: exit $rc"
kt "$UITV" review record "$A" --result ok --note "Gegevens gecontroleerd (fictief)." | grep -q "$A reviewed: ok" \
    || fail "review not recorded"
[ -z "$(due_of "$A")" ] || fail "A is still due after its review"
[ "$(due_of "$B")" = casusoverleg,weegploeg ] || fail "B's review changed"
kt "$UITV" review record "$B" --result correction-needed --note "Adres verouderd (fictief)." > /dev/null
[ "$(jfield "$UITV" .review.due)" = 0 ] || fail "still due after the reviews"
pass "the review worklist lists A and B after 30 days, and not after their reviews"

# ---- art. 11.5 and 13: retention does not wait for the informing ----------------
# A was informed; B's task is open, but B is agendered (archived after a
# year).  C, weighed niet agenderen and never informed, is destroyed 183
# days after its last processing: 160 days on, status says so, 4 weeks
# ahead, and names C's task only.
C=$(signal "Derde Testpersoon" I-3)
kt "$UITV" weegploeg decide "$C" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." > /dev/null
TC=$(task_of "$C" | jq -r '.[0].task_id')
[ "$(jfield "$UITV" '.informatieplicht.before_retention | length')" = 0 ] \
    || fail "a task is listed before retention on day 31"
kt_restart_all_at +191d "$UITV" "${NODES[@]}"
for id in "${NODES[@]}"; do wait_until 10 link_up "$id" || fail "no link for $id after 191 days"; done
before=$(jfield "$UITV" '.informatieplicht.before_retention')
[ "$(echo "$before" | jq -r '[.[] | .task_id + " " + .action] | join(",")')" = "$TC destroy" ] \
    || fail "status does not warn of C's task alone before its destruction: $before"
kt "$UITV" status | grep -q "warning .*$TC ($C) open, not informed yet (art. 11.5): the subject is destroyed" \
    || fail "keten status does not say it: $(kt "$UITV" status)"
check=$(kt "$UITV" status --check || true)
grep -q "not informed, archived or destroyed within 4 weeks" <<< "$check" \
    || fail "keten status --check does not raise it: $check"
pass "a person not informed whose subject is destroyed within 4 weeks is a warning in keten status"
