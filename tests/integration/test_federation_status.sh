#!/usr/bin/env bash
# The uitvoerder monitors the whole federation (docs/OPERATIONS.md,
# "Monitoring the federation").  Every partner's heartbeat carries its
# status; `keten status` at the uitvoerder shows each member at a glance
# (table, --json, --watch), a member that stops answering is offline within
# 10 s, a member that cannot take the new roster is flagged stale, a partner
# shows its own link and alarms (a message undelivered for over a minute
# included), and the Prometheus endpoint serves the same numbers - with node
# ids, kinds and roles only, never personal data, and no personal data in
# the daemons' logs either.
source "$(dirname "$0")/lib.sh"

PARTNERS=(politie-test gemeente-test om-test)

# metrics_show HOST:PORT LINE: the metrics carry LINE.  The body is
# rendered at most once a second, so callers poll this with wait_until.
metrics_show() {
    local body
    body=$(http_get "$1" "GET /metrics HTTP/1.0" | tr -d '\r')
    grep -qxF "$2" <<< "$body"
}

# exposition_bad: the lines of stdin not in the text exposition format
# 0.0.4 - comments, or NAME{LABELS} VALUE, with \\, \" and \n the only
# escapes in a label value.
exposition_bad() {
    grep -Ev '^# (HELP|TYPE) [a-z_]+ .+$' \
        | grep -Ev '^[a-z_]+(\{([a-z_]+="([^"\\]|\\[\\"n])*",?)+\})? (-?[0-9]+(\.[0-9]+)?|\+Inf)$' || true
}
# The check itself: escaped values pass, broken ones do not.
[ -z "$(printf '%s\n' 'a{v="x\"y\\z\nw"} 1' 'a{v="",w="1"} 2' | exposition_bad)" ] \
    || fail "the format check refuses escaped label values"
[ "$(printf '%s\n' 'a{v="x"y"} 1' 'a{v="x\"} 1' 'a{v="x\q"} 1' | exposition_bad | wc -l)" = 3 ] \
    || fail "the format check accepts broken label values"

kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_keys gemeente-test gemeente
kt_keys om-test om
kt_roster 1 "$T/roster.txt" "$UITV" "${PARTNERS[@]}"
PORT=
kt_config "$UITV"
kt_start "$UITV"   # chooses the transport port; restart it with metrics on
kt_kill "$UITV"
metrics_on "$UITV"
kt_start "$UITV"
for id in "${PARTNERS[@]}"; do kt_config "$id"; done
metrics_on politie-test
for id in "${PARTNERS[@]}"; do kt_start "$id"; done

# ---- every member online, with its status filled in --------------------
all_online() {
    [ "$(kt "$UITV" status --json | jq '[.members[] | select(.online)] | length')" = 3 ]
}
wait_until 10 all_online || fail "not all partners came online: $(kt "$UITV" status)"
# The round trip needs one heartbeat answered and the next one sent.
rtts_known() { [ "$(kt "$UITV" status --json | jq '[.members[] | select(.rtt_us > 0)] | length')" = 3 ]; }
wait_until 10 rtts_known || fail "round trips not reported: $(kt "$UITV" status --json)"
st=$(kt "$UITV" status --json)
for id in "${PARTNERS[@]}"; do
    m=$(echo "$st" | jq -c ".members[] | select(.id == \"$id\")")
    echo "$m" | jq -e '
        .online == true and .last_seen_ms > 0 and .rtt_us > 0
        and (.software_version | length) > 0 and (.uptime_s | type) == "number"
        and .outbox_depth == 0 and .oldest_undelivered_ms == 0
        and .roster_version == 1 and .roster_stale == false
        and (.checkpoint_size | type) == "number" and .key_age_days == 0
        and (.clock_skew_ms | type) == "number"
        and (if .clock_skew_ms < 0 then -.clock_skew_ms else .clock_skew_ms end) < 2000
        and .alarms == [] and (.kind | length) > 0 and (.role | length) > 0' > /dev/null \
        || fail "member $id not filled in: $m"
done
echo "$st" | jq -e '.federation == {"members": 3, "online": 3, "alarms": 0}
                    and .key_age_days == 0
                    and (.metrics_listen | test("^127\\.0\\.0\\.1:[0-9]+$"))' > /dev/null \
    || fail "federation summary wrong: $(echo "$st" | jq -c '{federation, key_age_days, metrics_listen}')"
pass "all 3 partners online with version, uptime, outbox, roster, checkpoint, key age, clock skew"

# docs/API.md's `status` (and "`status` additions") names every field the
# answer has: at the uitvoerder, at a partner and in a member's row.
api=$(awk '/^### `status`/ { on = 1; next } /^### / && !/^### `status` additions/ { on = 0 } on' \
    "$KT_SRC/docs/API.md")
[ -n "$api" ] || fail "docs/API.md has no status section"
fields=$( { echo "$st" | jq -r 'keys[], (.members[0] | keys[])'
            kt politie-test status --json | jq -r 'keys[]'; } | sort -u)
for k in $fields; do
    grep -qE "(^|[\`\"{,[ ])$k([\`\"?:,}]| [{:,}])" <<< "$api" ||
        fail "docs/API.md's status does not name the field $k"
done
pass "docs/API.md's status names every field of the answer ($(wc -w <<< "$fields") of them)"
# The monitoring-plugin convention: all well is OK and exit 0.
out=$(kt "$UITV" status --check) || fail "status --check exits $? with all well: $out"
[[ "$out" == "KETEN OK - $UITV: no alarms" ]] || fail "status --check line: $out"

table=$(kt "$UITV" status)
grep -q "^members *3 of 3 online, 0 alarms" <<< "$table" || fail "no summary line: $table"
grep -Eq "^MEMBER +KIND +ROLE +ONLINE +LAST_SEEN +RTT +OUTBOX +ROSTER +CHECKPT +VERSION +KEY_AGE +CLOCK_SKEW +RELAY +ALARMS" <<< "$table" \
    || fail "no member table: $table"
for id in "${PARTNERS[@]}"; do
    grep -Eq "^$id +[a-z]+ +[a-z]+ +yes " <<< "$table" || fail "$id not shown online: $table"
done
pass "keten status shows the members as a table"

# ---- a signal: the checkpoint politie verified reaches the uitvoerder ---
kt_signal_file "$T/s.json" FS-1
sed -i 's/Test Persoon/Zebulon Quaxtermans/; s/2001-04-12/1999-07-23/' "$T/s.json"
kt politie-test signal submit --file "$T/s.json" --wait | grep -q delivered \
    || fail "signal not delivered"
cp_seen() {
    [ "$(kt "$UITV" status --json | jq '.members[] | select(.id == "politie-test") | .checkpoint_size')" -gt 0 ]
}
wait_until 10 cp_seen || fail "politie's verified checkpoint never showed at the uitvoerder"
pass "the checkpoint politie verified shows at the uitvoerder"

# ---- a partner shows its own link and alarms ----------------------------
pst=$(kt politie-test status --json)
echo "$pst" | jq -e '.link.up == true and .alarms == [] and .outbox.depth == 0
                     and .outbox.oldest_undelivered_ms == 0 and .key_age_days == 0' > /dev/null \
    || fail "partner status wrong: $pst"
kt politie-test status | grep -q "^alarms *none" || fail "partner shows no alarm line"
pass "a partner shows its link, outbox and (no) alarms"

# ---- --watch, --count, --json --------------------------------------------
n=$(kt "$UITV" status --json --watch 1 --count 2 | jq -s length)
[ "$n" = 2 ] || fail "--watch 1 --count 2 --json gave $n documents"
n=$(kt "$UITV" status --watch=1 --count 2 | grep -c "^keten status, every 1 s")
[ "$n" = 2 ] || fail "--watch=1 --count 2 refreshed $n times"
rc=0; kt "$UITV" status --count 2 > /dev/null 2>&1 || rc=$?
[ $rc = 2 ] || fail "--count without --watch was not a usage error (rc=$rc)"
rc=0; kt "$UITV" status --watch 0 --count 1 > /dev/null 2>&1 || rc=$?
[ $rc = 2 ] || fail "--watch 0 was not a usage error (rc=$rc)"
pass "status --watch refreshes, --count bounds it, --json stays parseable"

# ---- metrics --------------------------------------------------------------
ep=$(jfield "$UITV" .metrics_listen)
out=$(http_get "$ep" "GET /metrics HTTP/1.0")
head -n1 <<< "$out" | grep -q "^HTTP/1.0 200 OK" || fail "GET /metrics: $(echo "$out" | head -n3)"
grep -qi "^Content-Type: text/plain; version=0.0.4" <<< "$out" || fail "not the 0.0.4 text format"
body=$(echo "$out" | tr -d '\r' | sed '1,/^$/d')
for line in 'keten_up 1' 'keten_members 3' 'keten_members_online 3' 'keten_signals_stored 1' \
    'keten_member_online{member="politie-test",kind="politie",role="kernpartij"} 1' \
    'keten_member_roster_version{member="om-test",kind="om",role="kernpartij"} 1' \
    'keten_member_alarm{member="gemeente-test",kind="gemeente",role="kernpartij",alarm="offline"} 0'; do
    grep -qxF "$line" <<< "$body" || fail "metrics lack '$line'"
done
grep -Eq '^keten_log_size [1-9][0-9]*$' <<< "$body" || fail "no keten_log_size"
grep -Eq '^keten_member_rtt_seconds\{member="gemeente-test",[^}]*\} [0-9.]+$' <<< "$body" \
    || fail "no member rtt"
# The exposition format: comments, or NAME{LABELS} VALUE; HELP and TYPE
# before a family's samples.
bad=$(echo "$body" | exposition_bad)
[ -z "$bad" ] || fail "lines not in the exposition format: $bad"
echo "$body" | awk '/^# TYPE/ {typed[$3] = 1; next} /^#/ {next}
    {name = $1; sub(/\{.*/, "", name); if (!typed[name]) {print name; exit 1}}' \
    || fail "a sample before its TYPE line"
pass "uitvoerder metrics in the text exposition format"

pep=$(jfield politie-test .metrics_listen)
pbody=$(http_get "$pep" "GET /metrics HTTP/1.1" | tr -d '\r' | sed '1,/^$/d')
for line in 'keten_up 1' 'keten_link_up 1' 'keten_outbox_pending 0' 'keten_alarm{alarm="link_down"} 0'; do
    grep -qxF "$line" <<< "$pbody" || fail "partner metrics lack '$line'"
done
grep -Eq '^keten_checkpoint_size [1-9][0-9]*$' <<< "$pbody" || fail "partner metrics lack the checkpoint"
pass "partner metrics: link, outbox, checkpoint, alarms"

http_get "$ep" "GET /other HTTP/1.0" | head -n1 | grep -q "^HTTP/1.0 404" || fail "GET /other is not 404"
http_get "$ep" "POST /metrics HTTP/1.0" | head -n1 | grep -q "^HTTP/1.0 405" || fail "POST is not 405"
http_get "$ep" "nonsense" | head -n1 | grep -q "^HTTP/1.0 400" || fail "a bad request is not 400"
# An oversized request is cut off; the endpoint keeps answering.
timeout 10 bash -c 'exec 3<>"/dev/tcp/$0/$1"; head -c 20000 /dev/zero | tr "\0" A >&3; cat <&3' \
    "${ep%:*}" "${ep##*:}" > /dev/null 2>&1 || true
metrics_show "$ep" "keten_up 1" || fail "endpoint dead after an oversized request"
pass "only GET /metrics is answered; bad and oversized requests are refused"

# ---- no personal data in status or metrics --------------------------------
for text in "$body" "$pbody" "$(kt "$UITV" status)" "$(kt "$UITV" status --json)" \
    "$(kt politie-test status)" "$(kt politie-test status --json)"; do
    if grep -Eqi "Zebulon|Quaxtermans|1999-07-23|Teststraat|Agent Test" <<< "$text"; then
        fail "personal data in status or metrics"
    fi
done
pass "no personal data in status or metrics"

# ---- a member that stops answering is offline within 10 s ----------------
kt_kill gemeente-test KILL
gone() {
    kt "$UITV" status --json | jq -e '.members[] | select(.id == "gemeente-test")
        | .online == false and (.alarms | index("offline"))' > /dev/null
}
start=$SECONDS
wait_until 10 gone || fail "gemeente-test not offline within 10 s: $(kt "$UITV" status)"
pass "a killed member shows offline after $((SECONDS - start)) s"
[ "$(jfield "$UITV" .federation.online)" = 2 ] || fail "federation summary still counts it online"
kt "$UITV" status | grep -Eq "^gemeente-test +gemeente +kernpartij +NO .*offline$" \
    || fail "table does not flag it: $(kt "$UITV" status)"
wait_until 5 metrics_show "$ep" 'keten_member_online{member="gemeente-test",kind="gemeente",role="kernpartij"} 0' \
    || fail "metrics still show it online"
wait_until 5 metrics_show "$ep" 'keten_member_alarm{member="gemeente-test",kind="gemeente",role="kernpartij",alarm="offline"} 1' \
    || fail "metrics raise no offline alarm"
set +e
out=$(kt "$UITV" status --check); rc=$?
set -e
[ $rc = 2 ] && [[ "$out" == "KETEN CRITICAL - $UITV: 1 member alarm(s), 2 of 3 online"* ]] \
    || fail "status --check with a member offline: rc=$rc $out"
set +e
out=$("$KETEN" --socket "$T/nobody.sock" status --check); rc=$?
set -e
[ $rc = 3 ] && [[ "$out" == "KETEN UNKNOWN"* ]] || fail "status --check without a daemon: rc=$rc $out"
pass "status and metrics flag the offline member; status --check says CRITICAL (exit 2), UNKNOWN (3) without a daemon"

# ---- a member that cannot take the new roster is stale -------------------
# om-test cannot keep a newer roster (a directory where its copy goes), so
# it does not take version 2 (no receipt: the relay offers it again) and
# goes on with version 1.
rm -f "$T/state-om-test/roster.txt"
mkdir "$T/state-om-test/roster.txt"
kt_keys reclassering-test reclassering
kt "$UITV" member add "$T/keys/reclassering-test.pub" | grep -q "roster version 2" || fail "member add failed"
# As the uitvoerder sees it: politie's next heartbeat says version 2.
politie_v2() {
    [ "$(kt "$UITV" status --json | jq '.members[] | select(.id == "politie-test") | .roster_version')" = 2 ]
}
wait_until 10 politie_v2 || fail "politie did not take version 2"
wait_until 10 grep -q "roster keep_failed" "$T/om-test.log" || fail "om did not fail to keep version 2"
[ "$(jfield om-test .roster_version)" = 1 ] || fail "om runs version $(jfield om-test .roster_version)"
kt "$UITV" status --json | jq -e '
    (.members[] | select(.id == "om-test") | .roster_version == 1 and .roster_stale == true
        and (.alarms | index("stale_roster")))
    and (.members[] | select(.id == "politie-test") | .roster_stale == false
        and (.alarms | index("stale_roster") | not))' > /dev/null \
    || fail "om not flagged stale: $(kt "$UITV" status --json | jq -c '.members[] | {id, roster_version, alarms}')"
kt "$UITV" status | grep -Eq "^om-test +om +kernpartij +yes .* 1 STALE .*stale_roster" \
    || fail "the table does not flag om stale: $(kt "$UITV" status)"
for line in 'keten_roster_version 2' \
    'keten_member_roster_stale{member="om-test",kind="om",role="kernpartij"} 1' \
    'keten_member_alarm{member="om-test",kind="om",role="kernpartij",alarm="stale_roster"} 1' \
    'keten_member_alarm{member="politie-test",kind="politie",role="kernpartij",alarm="stale_roster"} 0'; do
    wait_until 5 metrics_show "$ep" "$line" || fail "metrics lack '$line'"
done
# Prometheus base units: an age is in seconds, never days.
# One whole page (a fetch cut short on a loaded machine is fetched again).
whole_page() {
    m=$(http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r')
    grep -q '^keten_check{' <<< "$m"
}
wait_until 10 whole_page || fail "no whole metrics page: $m"
grep -Eq '^keten_key_age_seconds [0-9]+$' <<< "$m" || fail "no keten_key_age_seconds"
grep -Eq '^keten_access_review_due 0$' <<< "$m" || fail "a new node's keten_access_review_due is not 0"
grep -Eq '^keten_member_key_age_seconds\{member="politie-test",[^}]*\} [0-9]+$' <<< "$m" \
    || fail "no keten_member_key_age_seconds in: $(grep keten_member_key_age <<< "$m")"
if grep -q '^keten[a-z_]*_days' <<< "$m"; then fail "a metric is named in days, not seconds"; fi
pass "a member still on an older roster raises stale_roster in status and metrics"

# ---- a partner whose link is down says so --------------------------------
kt_kill "$UITV" KILL
wait_until 10 bash -c "! $(printf '%q' "$KETEN") --socket '$T/om-test.sock' status --json | jq -e '.link.up' > /dev/null" \
    || fail "om never saw the link down"
kt om-test status --json | jq -e '.alarms | index("link_down")' > /dev/null \
    || fail "om raises no link_down alarm: $(kt om-test status --json | jq -c .alarms)"
kt om-test status | grep -q "^alarms *link_down" || fail "om's status shows no link_down"
pass "a partner raises link_down when the uitvoerder is gone"

# ---- a message undelivered for over a minute -----------------------------
# With the uitvoerder down, a signal waits in politie's outbox.  Waiting a
# real minute for the alarm is too slow for a test: politie is stopped and
# the message's queue time (created_ms, not the sealed envelope) moved two
# minutes back, as if the uitvoerder had been gone that long.
kt_signal_file "$T/s2.json" FS-2
sed -i 's/Test Persoon/Zebulon Quaxtermans/; s/2001-04-12/1999-07-23/' "$T/s2.json"
kt politie-test signal submit --file "$T/s2.json" | grep -q queued || fail "signal not queued"
kt politie-test status --json | jq -e '.outbox.depth == 1 and (.alarms | index("undelivered_age") | not)' \
    > /dev/null || fail "a fresh message raised undelivered_age: $(kt politie-test status --json | jq -c .)"
kt_kill politie-test
sqlite3 "$T/state-politie-test/node.db" \
    "UPDATE outbox SET created_ms = created_ms - 120000 WHERE state = 0"
kt_start politie-test
pst=$(kt politie-test status --json)
echo "$pst" | jq -e '.outbox.depth == 1 and .outbox.oldest_undelivered_ms >= 120000
                     and (.alarms | index("link_down")) and (.alarms | index("undelivered_age"))
                     and (.alarms | index("backlog") | not)' > /dev/null \
    || fail "politie raises no undelivered_age: $(echo "$pst" | jq -c '{outbox, alarms}')"
kt politie-test status | grep -Eq "^alarms +.*undelivered_age" || fail "politie's status shows no undelivered_age"
pep=$(jfield politie-test .metrics_listen)
for line in 'keten_alarm{alarm="undelivered_age"} 1' 'keten_alarm{alarm="link_down"} 1' \
    'keten_alarm{alarm="backlog"} 0' 'keten_outbox_pending 1'; do
    wait_until 5 metrics_show "$pep" "$line" || fail "partner metrics lack '$line'"
done
http_get "$pep" "GET /metrics HTTP/1.0" | tr -d '\r' \
    | awk '$1 == "keten_oldest_undelivered_seconds" {found = 1; if ($2 < 120) exit 1} END {exit !found}' \
    || fail "keten_oldest_undelivered_seconds below two minutes"
# The uitvoerder back: the message goes and the alarms clear.
kt_start "$UITV"
cleared() { kt politie-test status --json | jq -e '.outbox.depth == 0 and .alarms == []' > /dev/null; }
wait_until 20 cleared || fail "alarms not cleared after delivery: $(kt politie-test status --json | jq -c '{outbox, alarms}')"
wait_until 5 metrics_show "$pep" 'keten_alarm{alarm="undelivered_age"} 0' || fail "metrics keep undelivered_age"
pass "a message undelivered for over a minute raises undelivered_age; delivery clears it"

# ---- no personal data in the daemons' logs --------------------------------
# Both signals named Zebulon Quaxtermans; the logs saw them go by.
[ "$(grep -c "signal accepted" "$T/politie-test.log")" -ge 2 ] || fail "politie logged no signal"
if grep -Ei "Zebulon|Quaxtermans|1999-07-23|Teststraat|Agent Test|test@politie" "$T"/*.log; then
    fail "personal data in a daemon log"
fi
pass "no personal data in the daemons' logs"

# ---- the endpoint is loopback unless asked for ---------------------------
kt_config om-test
printf 'metrics\n    listen = 0.0.0.0:9464\n' >> "$T/om-test.cfg"
msg=$("$KETEND" --config "$T/om-test.cfg" --check 2>&1) && fail "a non-loopback metrics address was accepted"
grep -q "metrics/allow-remote" <<< "$msg" || fail "refusal does not say why: $msg"
pass "a non-loopback metrics address needs metrics/allow-remote"
