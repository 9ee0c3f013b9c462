#!/usr/bin/env bash
# art. 13: every node forgets on the convenant's schedule.  Time is moved
# for the whole federation at once with libfaketime (every node restarted
# with its clock moved), never by shortening a period: the roster carries
# the maxima, 183, 365 and 1826 days.
#
# - A subject decided niet agenderen is gone 183 + 1 days later at the
#   uitvoerder and at politie, OM and the gemeente that had it on an
#   agenda: its name is in no file of any node (a refused request about
#   it stays in the register without its free texts), its keys are gone,
#   DESTROYED is logged, and the log verifies.  The gemeente is down at
#   that moment: the uitvoerder lists it as unconfirmed after a day, and
#   it destroys its copy when it comes back.
# - An agendered case is archived after a year (out of the lists,
#   readable through the recorded archive read at a kernpartij, gone at
#   the casuspartij), reopened on a kernpartij's order (never by the
#   uitvoerder), and destroyed five years after its last processing.
# - A SIGKILL in the middle of a destruction: the restart completes it,
#   DESTROYED is logged once.
source "$(dirname "$0")/lib.sh"
G=gemeente-maastricht
NODES=(politie-test om-test "$G" rvdk-test)
kt_keys "$UITV" uitvoerder
for spec in politie-test:politie om-test:om "$G":gemeente rvdk-test:rvdk; do
    kt_keys "${spec%%:*}" "${spec##*:}"
done
kt_roster 1 "$T/roster.txt" "$UITV" "${NODES[@]}"
kt_referentiekader
PORT=
kt_config "$UITV"; kt_start "$UITV"
mkdir "$T/ics"
for id in "${NODES[@]}"; do
    kt_config "$id"
    # The gemeente's calendar files carry names: they must be forgotten too.
    [ "$id" != "$G" ] || printf 'agenda\n    ics-dir = "%s"\n    ics-personal-data = 1\n' "$T/ics" >> "$T/$id.cfg"
    kt_start "$id"
done
for id in "${NODES[@]}"; do wait_until 10 link_up "$id" || fail "no link for $id"; done

# Two fictional subjects, both living in Maastricht.
FORGET=Vergeetmij   # niet agenderen: destroyed after 6 months
KEEP=Bewaarmij      # agendered: archived after a year, destroyed after 5
signal() {  # signal NAME LOCAL_REF: its case_ref at the uitvoerder
    kt_signal_file "$T/$1.json" "$2"
    sed -i "s/Test Persoon/$1 Testpersoon/" "$T/$1.json"
    local out id
    out=$(kt politie-test signal submit --file "$T/$1.json" --wait)
    grep -q delivered <<< "$out" || fail "$1 not delivered: $out"
    id=$(echo "$out" | grep -Eo '[0-9a-f]{32}' | head -n1)
    kt "$UITV" signal list --json | jq -r --arg id "$id" '.signals[] | select(.message_id==$id) | .case_ref'
}
A=$(signal "$FORGET" R-1)
B=$(signal "$KEEP" R-2)
[[ "$A" == k-* && "$B" == k-* && "$A" != "$B" ]] || fail "no case refs: $A $B"
M=$(kt "$UITV" weegploeg agenda --start 2026-12-14T10:00 --location "Stadhuis" \
    --case "$A" --case "$B" --json | jq -r .meeting_id)
on_agenda() { kt "$1" agenda list --json | jq -e --arg m "$M" --arg a "$2" \
    '[.meetings[] | select(.meeting_id==$m) | .case_refs[] | select(.==$a)] | length == 1'; }
for id in politie-test om-test "$G"; do wait_until 10 on_agenda "$id" "$A" || fail "$id has no agenda"; done
kt "$UITV" weegploeg decide "$A" --niet-agenderen --criterion tegenindicatie --analysis "Fictief." > /dev/null
kt "$UITV" weegploeg decide "$B" --agenderen --party rvdk-test --party "$G" --criterion geweld \
    --analysis "Fictief, casusoverleg." > /dev/null
decided() { kt "$1" decision list --json | jq -e --arg a "$2" '[.decisions[] | select(.case_ref==$a)] | length == 1'; }
for id in politie-test om-test "$G"; do
    wait_until 10 decided "$id" "$A" || fail "$id has no decision on A"
    wait_until 10 decided "$id" "$B" || fail "$id has no decision on B"
done
later=$(date -d '+30 days' +%F)
cat > "$T/plan.json" <<JSON
{ "goals": [ { "kind": "zorg", "text": "Begeleiding (fictief)." } ],
  "measures": [ { "owner": "rvdk-test", "what": "Raadsonderzoek (fictief).", "due_on": "$later" } ] }
JSON
kt "$UITV" case plan "$B" --file "$T/plan.json" > /dev/null
in_case() { kt "$1" case list --json | jq -e --arg a "$2" '[.cases[] | select(.case_ref==$a)] | length == 1'; }
for id in rvdk-test "$G"; do wait_until 10 in_case "$id" "$B" || fail "$id did not get the case"; done
wait_until 20 relay_settled || fail "copies not receipted"
# art. 12 and 13: A's request, refused, keeps the name in its free texts
# (how the identity was established, the kernpartij's motivation) until
# A is destroyed; the register keeps the request itself.
R=$(kt "$UITV" request open --kind inzage --received "$(TZ=Europe/Amsterdam date +%F)" --from betrokkene \
    --identity-by "Baliemedewerker Test" --identity-how "paspoort van $FORGET ingezien, niet gekopieerd" \
    --json | jq -r .request_id)
[[ "$R" == r-* ]] || fail "no request: $R"
kt "$UITV" request link "$R" "$A" > /dev/null
kt politie-test request decide "$R" --refuse 41-1-d --motivation "Onderzoek naar $FORGET loopt (fictief)." \
    | grep -q " delivered$" || fail "the refusal was not delivered"
mkdir "$T/rights-out"
kt "$UITV" request answer "$R" --out "$T/rights-out" > /dev/null || fail "the refusal was not made"
# Two more requests about A are still open when A is destroyed: R2 is
# decided after the destruction, R3 (a partial refusal withholding A's
# signal) before it.
open_request() {
    kt "$UITV" request open --kind inzage --received "$(TZ=Europe/Amsterdam date +%F)" --from betrokkene \
        --identity-by "Baliemedewerker Test" --identity-how "rijbewijs ingezien" --json | jq -r .request_id
}
R2=$(open_request)
R3=$(open_request)
for r in "$R2" "$R3"; do kt "$UITV" request link "$r" "$A" > /dev/null || fail "$r not linked"; done
sig_a=$(kt "$UITV" signal list --json | jq -r --arg a "$A" '[.signals[] | select(.case_ref==$a)][0].message_id')
kt politie-test request decide "$R3" --refuse 41-1-d --motivation "Dossier $FORGET (fictief)." --partial \
    --withhold "$sig_a" | grep -q " delivered$" || fail "the partial refusal was not delivered"

# Where a name could be: every node's state and the gemeente's calendar.
files() { echo "$T"/state-* "$T/ics"; }
holding() { grep -rlaF "$1" $(files) 2> /dev/null || true; }
[ -n "$(holding "$FORGET")" ] || fail "the check cannot fail: no file holds $FORGET before"
key_a=$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT hex(key_id) FROM subject WHERE case_ref='$A'")
[ -n "$key_a" ] || fail "no key id for A"
key_held() { [ "$(sqlite3 "$T/state-$UITV/keystore.db" "SELECT count(*) FROM data_key WHERE key_id=x'$1'")" = 1 ]; }
key_held "$key_a" || fail "A's key is not in the keystore"
status_of() { kt "$1" retention status --json | jq -r --arg a "$2" '.cases[] | select(.case_ref==$a) | .'"$3"; }
[ "$(status_of "$UITV" "$A" rule)" = not-agendered ] || fail "A's rule is not 13.3"
[ "$(status_of "$UITV" "$B" rule)" = archive ] || fail "B's rule is not 13.2"
kt "$UITV" retention run --dry-run | grep -q "nothing due" || fail "something is due on day 0"
pass "day 0: A is on the 13.3 schedule, B on 13.2; nothing due"

# ---- 183 + 1 days: A is destroyed; the gemeente is down --------------------
kt_kill "$G"
kt_restart_all_at +184d "$UITV" politie-test om-test rvdk-test
for id in politie-test om-test; do wait_until 20 link_up "$id" || fail "no link for $id after the move"; done
gone_at_uitv() { [ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT count(*) FROM subject WHERE case_ref='$A'")" = 0 ]; }
wait_until 20 gone_at_uitv || fail "A is still in the weegploeg file after 184 days"
for db in weegploeg.db casusoverleg.db; do
    for table in $(sqlite3 "$T/state-$UITV/$db" "SELECT name FROM sqlite_master WHERE type='table' AND sql LIKE '%case_ref%'"); do
        # What is kept of a destroyed subject is ids for its trail in
        # the log (no personal data): its state and its signals' ids.
        case $table in lifecycle | lifecycle_notice | signal_trail) continue ;; esac
        [ "$(sqlite3 "$T/state-$UITV/$db" "SELECT count(*) FROM $table WHERE case_ref='$A'")" = 0 ] \
            || fail "A still has rows in $db:$table"
    done
done
! key_held "$key_a" || fail "A's key is still in the keystore"
decided_gone() { ! decided "$1" "$A"; }
for id in politie-test om-test; do
    wait_until 20 decided_gone "$id" || fail "$id still lists the decision on A"
done
logged() { kt "$UITV" log show --case "$1" --json | jq -r "[.events[] | select(.event==\"$2\")] | length"; }
# Whether the uitvoerder (down) logged the destruction of $1: the log
# keeps each such entry under its once-key.
destroyed_logged() { sqlite3 "$T/state-$UITV/log.db" "SELECT count(*) FROM once WHERE key='destroyed/$1'"; }
[ "$(logged "$A" DESTROYED)" = 1 ] || fail "DESTROYED not logged once for A"
[ "$(status_of "$UITV" "$B" state)" = active ] || fail "B was touched"
kt "$UITV" request show "$R" --json | jq -e --arg a "$A" '.request | .state == "refused"
    and .case_ref == $a and .ground == "41-1-d" and (.identity_how | test("destroyed"))
    and (.motivation | test("destroyed")) and .identity_by == "Baliemedewerker Test"' > /dev/null \
    || fail "the register lost the request, or kept its texts: $(kt "$UITV" request show "$R" --json)"
# A kernpartij's decision on the open request after the destruction keeps
# no text either; the answer is that nothing is held.
kt politie-test request decide "$R2" --refuse 41-1-d --motivation "Dossier $FORGET (fictief)." \
    | grep -q " delivered$" || fail "the late decision was not delivered"
[ -z "$(grep -laF "$FORGET" "$T/state-$UITV"/requests.db*)" ] || fail "requests.db holds the late decision's text"
rc=0; out=$(kt "$UITV" request answer "$R2" --out "$T/rights-out" 2>&1) || rc=$?
[ $rc = 1 ] && grep -q "is destroyed (art. 13): nothing is held" <<< "$out" \
    || fail "a request about a destroyed subject was answered as if held (exit $rc): $out"
for r in "$R2" "$R3"; do
    kt "$UITV" request answer "$r" --out "$T/rights-out" --nothing-found > /dev/null \
        || fail "the request $r about the destroyed subject cannot be closed"
    kt "$UITV" request show "$r" --json | jq -e --arg a "$A" '.request | .state == "answered"
        and .case_ref == $a and .motivation == ""' > /dev/null \
        || fail "$r not answered as nothing held: $(kt "$UITV" request show "$r" --json)"
    [ -e "$T/rights-out/overzicht-$r.html" ] && [ ! -e "$T/rights-out/weigering-$r.html" ] \
        || fail "$r's documents are not an overview of nothing held: $(ls "$T/rights-out")"
done
pass "184 days: A destroyed at the uitvoerder (rows, key), politie and OM; DESTROYED logged"

# A register from before requests were forgotten with their subject
# (the texts put back while the uitvoerder is down): its start forgets them.
kt_kill "$UITV"
sqlite3 "$T/state-$UITV/requests.db" "UPDATE request SET identity_how='paspoort van $FORGET ingezien' WHERE id='$R'"
# A day later the gemeente has still not confirmed: keten status says so.
KETEN_WRAP="$(kt_clock_wrap +185d)" kt_start "$UITV"
kt_restart_all_at +185d politie-test om-test rvdk-test
kt "$UITV" request show "$R" --json | jq -e '.request.identity_how | test("destroyed")' > /dev/null \
    || fail "a start kept the text of a request about a destroyed subject"
unconfirmed() { kt "$UITV" status --json | jq -e --arg g "$G" '[.retention.unconfirmed[] | select(.node==$g)] | length >= 1'; }
wait_until 10 unconfirmed || fail "the down gemeente is not listed as unconfirmed"
kt "$UITV" status | grep -q "^unconfirmed.*$G" || fail "keten status does not show the unconfirmed gemeente"
KETEN_WRAP="$(kt_clock_wrap +185d)" kt_start "$G"
wait_until 20 link_up "$G" || fail "no link for the gemeente"
confirmed() { ! unconfirmed && [ "$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM relay WHERE recipient='$G' AND state=0")" = 0 ]; }
wait_until 20 confirmed || fail "the gemeente did not confirm the destruction"
wait_until 10 decided_gone "$G" || fail "the gemeente still lists the decision on A"
if on_agenda "$G" "$A"; then fail "the gemeente's agenda still names A"; fi
on_agenda "$G" "$B" || fail "the gemeente's agenda lost B"
left=$(holding "$FORGET")
[ -z "$left" ] || fail "$FORGET is still readable in: $left"
[ -n "$(holding "$KEEP")" ] || fail "$KEEP was forgotten with $FORGET"
for id in politie-test "$G"; do kt "$id" log verify > /dev/null || fail "log verify fails at $id"; done
pass "the gemeente, down during the destruction, destroyed its copy when it came back; no file of any node holds the name"

# ---- 366 days after B's last processing: archived --------------------------
kt_restart_all_at +551d "$UITV" "${NODES[@]}"
for id in "${NODES[@]}"; do wait_until 20 link_up "$id" || fail "no link for $id after the move"; done
archived() { [ "$(status_of "$UITV" "$B" state)" = archived ]; }
wait_until 20 archived || fail "B not archived after a year"
[ "$(logged "$B" ARCHIVED)" = 1 ] || fail "ARCHIVED not logged once for B"
kt "$UITV" weegploeg decisions --json | jq -e --arg b "$B" '[.cases[] | select(.case_ref==$b)] | length == 0' > /dev/null \
    || fail "the uitvoerder still lists the archived case"
decided_b_gone() { ! decided "$1" "$B"; }
for id in politie-test om-test "$G"; do wait_until 20 decided_b_gone "$id" || fail "$id still lists the archived decision"; done
case_gone() { ! in_case "$1" "$B"; }
wait_until 20 case_gone rvdk-test || fail "the casuspartij still has the archived case"
wait_until 20 case_gone "$G" || fail "the gemeente still lists the archived case"
if out=$(kt rvdk-test retention read "$B" 2>&1); then fail "a casuspartij read the archive"; fi
grep -q "kernpartij" <<< "$out" || fail "the casuspartij's refusal does not say why: $out"
if kt "$UITV" retention read "$B" > /dev/null 2>&1; then fail "the uitvoerder read the archive by itself"; fi
kt "$G" retention read "$B" | jq -e '.state == "archived"' > /dev/null || fail "the kernpartij cannot read the archive"
[ "$(kt "$G" audit access --json | jq -r --arg b "$B" '[.access[] | select(.what=="retention.read" and .case_ref==$b)] | length')" = 1 ] \
    || fail "the archive read is not recorded"
pass "a year on, B is archived: out of every list, gone at the casuspartij, read only by a kernpartij, on record"

# ---- art. 13.4: back on a kernpartij's order -------------------------------
if kt "$UITV" retention reopen "$B" --reason "x" > /dev/null 2>&1; then fail "the uitvoerder reopened by itself"; fi
if kt rvdk-test retention reopen "$B" --reason "x" > /dev/null 2>&1; then fail "a casuspartij reopened"; fi
if out=$(kt "$G" retention reopen "$A" --reason "Nieuw signaal (fictief)." 2>&1); then fail "a destroyed subject was reopened"; fi
kt "$G" retention reopen "$B" --reason "Nieuw signaal, hernieuwde weging (fictief)." | grep -q delivered \
    || fail "the kernpartij's order was not accepted"
# The order's reason goes with its receipt: the refused order (A) and the
# accepted one (B) keep no header in the kernpartij's outbox (18: RETENTION_ORDER).
[ "$(sqlite3 "$T/state-$G/node.db" "SELECT count(*) FROM outbox WHERE type=18 AND length(header)>0")" = 0 ] \
    || fail "a RETENTION_ORDER's sealed reason stayed in the kernpartij's outbox"
[ "$(status_of "$UITV" "$B" state)" = active ] || fail "B not active after the order"
[ "$(logged "$B" REOPENED)" = 1 ] || fail "REOPENED not logged"
kt "$UITV" log show --case "$B" --json | jq -e --arg g "$G" '[.events[] | select(.event=="REOPENED" and .node==$g)] | length == 1' > /dev/null \
    || fail "REOPENED does not name the ordering kernpartij"
kt "$UITV" weegploeg decisions --json | jq -e --arg b "$B" '[.cases[] | select(.case_ref==$b)] | length == 1' > /dev/null \
    || fail "the reopened case is not listed at the uitvoerder"
wait_until 20 decided "$G" "$B" || fail "the gemeente's copy did not come back"
# The casuspartij destroyed its copy when B was archived (art. 13.2): a plan
# version made after the reopen lifts its tombstone and is stored, not
# dropped as a late copy.
later=$(date -d '+581 days' +%F)
sed "s/\"due_on\": \"[0-9-]*\"/\"due_on\": \"$later\"/" "$T/plan.json" > "$T/plan2.json"
kt "$UITV" case plan "$B" --file "$T/plan2.json" > /dev/null || fail "no plan version after the reopen"
wait_until 20 in_case rvdk-test "$B" || fail "the casuspartij dropped a plan made after the reopen"
pass "only a kernpartij's order reopens archived data; REOPENED names it; the clock restarts; the casuspartij takes the new plan"

# ---- five years after the reopening: destroyed, through a crash -------------
# The uitvoerder is killed (SIGKILL, injected by strace at the first
# truncation of a -wal file, which only a destruction's checkpoint does)
# in the middle of destroying B; the next start completes it, once.
key_b=$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT hex(key_id) FROM subject WHERE case_ref='$B'")
AT=+2378d   # 551 + 1826 + 1
for id in "$UITV" "${NODES[@]}"; do kt_kill "$id"; done
if command -v strace > /dev/null; then
    wal=()
    for db in weegploeg casusoverleg keystore node; do wal+=(-P "$T/state-$UITV/$db.db-wal"); done
    # It serves first: the schedule waits for a member's heartbeat to
    # confirm its clock (docs/RETENTION.md, "A clock the federation confirms").
    KETEN_WRAP="$(kt_clock_wrap $AT) strace -f -qq -o $T/strace.out -e trace=ftruncate \
            -e inject=ftruncate:signal=KILL:when=1 ${wal[*]}" kt_launch "$UITV" ||
        fail "the uitvoerder under strace did not come up"
    KETEN_WRAP="$(kt_clock_wrap $AT)" kt_start "${NODES[0]}"
    uitv_gone() { ! kill -0 "${KT_PID[$UITV]}" 2> /dev/null; }
    wait_until 30 uitv_gone || fail "the uitvoerder was not killed during the destruction"
    kt_kill "$UITV"; kt_kill "${NODES[0]}"
    grep -q "killed by SIGKILL" "$T/strace.out" || fail "strace did not kill the uitvoerder: $(tail -n3 "$T/strace.out")"
    [ "$(destroyed_logged "$B")" = 0 ] || fail "DESTROYED was logged before the destruction was complete"
    # lifecycle state 2: destroying, begun and not complete.
    [ "$(sqlite3 "$T/state-$UITV/weegploeg.db" "SELECT state FROM lifecycle WHERE case_ref='$B'")" = 2 ] \
        || fail "the kill did not come in the middle of the destruction"
    pass "the uitvoerder was killed in the middle of destroying B"
fi
KETEN_WRAP="$(kt_clock_wrap $AT)" kt_start "$UITV"
for id in "${NODES[@]}"; do KETEN_WRAP="$(kt_clock_wrap $AT)" kt_start "$id"; done
gone_b() { [ "$(status_of "$UITV" "$B" state)" = "" ] && [ -z "$(holding "$KEEP")" ]; }
wait_until 30 gone_b || fail "B not destroyed everywhere after five years: $(holding "$KEEP")"
! key_held "$key_b" || fail "B's key is still in the keystore"
[ "$(logged "$B" DESTROYED)" = 1 ] || fail "DESTROYED not logged once for B"
wait_until 20 relay_settled || fail "destroy notices not confirmed"
for id in "${NODES[@]}"; do kt "$id" log verify > /dev/null || fail "log verify fails at $id"; done
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "the uitvoerder's log does not verify"
pass "five years after the reopening B is destroyed everywhere, DESTROYED logged once; every log verifies"
