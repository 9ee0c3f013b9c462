#!/usr/bin/env bash
# Monitoring with Prometheus (docs/OPERATIONS.md, "Prometheus"): the
# metrics of a real uitvoerder and partner pass `promtool check metrics`;
# every alarm and every check they can carry has an alert rule in the
# shipped monitoring/keten-alerts.yml, and a row in the table of checks of
# docs/OPERATIONS.md; the rules pass `promtool check rules`
# and fires, in `promtool test rules`, on its series and on nothing else;
# the keten_check series follow the status (a member that goes away raises
# member_alarms, as `keten status --check` does); and every metric the
# shipped Grafana dashboard asks for is served.
source "$(dirname "$0")/lib.sh"
command -v promtool > /dev/null || fail "promtool missing (Debian package prometheus; make deps installs it)"

RULES=$KT_SRC/monitoring/keten-alerts.yml
DASHBOARD=$KT_SRC/monitoring/keten-federation.json

# scrape ID OUT: the metrics body of ID into OUT.
scrape() {
    local ep
    ep=$(kt "$1" status --json | jq -r .metrics_listen)
    http_get "$ep" "GET /metrics HTTP/1.0" | tr -d '\r' | sed '1,/^$/d' > "$2"
    [ -s "$2" ] || fail "no metrics from $1"
}

kt_uitvoerder_up
kt_kill "$UITV"
metrics_on "$UITV"
kt_start "$UITV"
kt_config politie-test
metrics_on politie-test
kt_start politie-test
online() { [ "$(kt "$UITV" status --json | jq '.federation.online')" = 1 ]; }
wait_until 10 online || fail "politie never came online"

# ---- the exposition passes promtool's lint -----------------------------
for id in "$UITV" politie-test; do
    scrape "$id" "$T/$id.prom"
    out=$(promtool check metrics < "$T/$id.prom" 2>&1) || fail "promtool check metrics on $id: $out"
    [ -z "$out" ] || fail "promtool check metrics on $id says: $out"
done
pass "the metrics of both roles pass promtool check metrics"

# ---- every alarm and check served has its rule --------------------------
out=$(promtool check rules "$RULES" 2>&1) || fail "promtool check rules: $out"
cat "$T/$UITV.prom" "$T/politie-test.prom" > "$T/all.prom"
labels() { grep -oE "^$1\{.*$2=\"[a-z_]+\"" "$T/all.prom" | grep -oE "$2=\"[a-z_]+\"" | sort -u; }
checks=$(labels keten_check check)
[ "$(wc -l <<< "$checks")" -ge 16 ] || fail "fewer checks served than status --check knows: $checks"
n=0
for l in $(labels keten_member_alarm alarm); do
    grep -qF "expr: keten_member_alarm{$l} == 1" "$RULES" || fail "no rule for member alarm $l"; n=$((n + 1))
done
for l in $(labels keten_alarm alarm); do
    [ "$l" = 'alarm="storage_failing"' ] && { grep -qF "expr: keten_storage_failing == 1" "$RULES" || fail "no rule for storage_failing"; n=$((n + 1)); continue; }
    grep -qF "expr: keten_alarm{$l} == 1" "$RULES" || fail "no rule for node alarm $l"; n=$((n + 1))
done
for l in $checks; do
    # The two sums of the alarms above page through their own rules.
    case $l in 'check="member_alarms"' | 'check="node_alarms"') continue ;; esac
    grep -qF "expr: keten_check{$l} > 0" "$RULES" || fail "no rule for check $l"; n=$((n + 1))
done
[ "$n" -ge 28 ] || fail "only $n alarms and checks seen in the scrapes"
pass "all $n alarms and checks served have an alert rule"

# The operator's table of checks (docs/OPERATIONS.md, "Prometheus
# metrics") names every check served.
table=$(sed -n '/^| check | severity | raised when |$/,/^$/p' "$KT_SRC/docs/OPERATIONS.md")
[ -n "$table" ] || fail "no table of checks in docs/OPERATIONS.md"
for l in $checks; do
    name=${l#check=\"}; name=${name%\"}
    grep -qF "\`$name\`" <<< "$table" || fail "docs/OPERATIONS.md's table of checks leaves out $name"
done
pass "the docs' table of checks names every check served"

# ---- each rule fires on its own series, and only on it ------------------
python3 - "$RULES" "$T/rules.test.yml" <<'PY'
import json, re, sys
rules, out = sys.argv[1], sys.argv[2]
alerts = []
for line in open(rules):
    m = re.match(r"\s+- alert: (\w+)", line)
    if m: alerts.append({"name": m.group(1)}); continue
    m = re.match(r"\s+expr: (\w+)(\{[^}]*\})? (==|>) (\d+)", line)
    if m: alerts[-1].update(metric=m.group(1), sel=m.group(2) or "{}", op=m.group(3), thr=int(m.group(4))); continue
    m = re.match(r"\s+severity: (\w+)", line)
    if m: alerts[-1]["severity"] = m.group(1); continue
    m = re.match(r"\s+(summary|description): (\".*\")$", line)
    if m: alerts[-1].setdefault("ann", {})[m.group(1)] = json.loads(m.group(2))
assert len(alerts) >= 29, len(alerts)
def labels(sel):
    return dict(re.findall(r'(\w+)="([^"]*)"', sel))
def fmt(metric, ls):
    return metric + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(ls.items())) + "}"
o = ["rule_files:", f"  - {rules}", "evaluation_interval: 1m", "tests:"]
for a in alerts:
    ls = labels(a["sel"]); ls.setdefault("job", "keten"); ls["instance"] = "node-a:9100"
    raised = 0 if a["op"] == "==" and a["thr"] == 0 else a["thr"] + (1 if a["op"] == ">" else 0)
    calm = 1 if raised == 0 else 0
    exp = dict(ls); exp["severity"] = a["severity"]
    o += ["  - interval: 1m", "    input_series:",
          f"      - series: '{fmt(a['metric'], ls)}'", f"        values: '{raised}x30'",
          f"      - series: '{fmt(a['metric'], dict(ls, instance='node-b:9100'))}'", f"        values: '{calm}x30'",
          "    alert_rule_test:", "      - eval_time: 20m", f"        alertname: {a['name']}", "        exp_alerts:",
          "          - exp_labels:"] + [f"              {k}: {v}" for k, v in sorted(exp.items())]
    # The annotations as Prometheus renders them for this series.
    o += ["            exp_annotations:"]
    for k, v in sorted(a["ann"].items()):
        v = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: ls.get(m.group(1), ""), v)
        o.append(f"              {k}: {json.dumps(v.replace('{{ $value }}', str(raised)))}")
    # Every other rule stays quiet on this rule's series.
    for b in alerts:
        if b["name"] != a["name"]:
            o += ["      - eval_time: 20m", f"        alertname: {b['name']}", "        exp_alerts: []"]
open(out, "w").write("\n".join(o) + "\n")
PY
out=$(promtool test rules "$T/rules.test.yml" 2>&1) || fail "promtool test rules: $out"
pass "every alert rule fires on its series and no other rule does"

# ---- the checks follow the status ---------------------------------------
grep -qx 'keten_check{check="member_alarms",severity="critical"} 0' "$T/$UITV.prom" \
    || fail "member_alarms not 0 with all well: $(grep keten_check "$T/$UITV.prom")"
kt_kill politie-test
raised() {
    scrape "$UITV" "$T/now.prom"
    grep -qx 'keten_check{check="member_alarms",severity="critical"} 1' "$T/now.prom"
}
wait_until 20 raised || fail "member_alarms never raised: $(grep keten_check "$T/now.prom")"
grep -qx 'keten_member_alarm{member="politie-test",kind="politie",role="kernpartij",alarm="offline"} 1' "$T/now.prom" \
    || fail "offline not served: $(grep keten_member_alarm "$T/now.prom")"
rc=0; out=$(kt "$UITV" status --check) || rc=$?
[ $rc = 2 ] && grep -q "1 member alarm(s)" <<< "$out" || fail "status --check disagrees (rc $rc): $out"
pass "a member that goes away raises keten_check member_alarms, as status --check says"

# ---- the dashboard asks only for what is served -------------------------
jq -e '.uid == "keten-federation" and (.panels | length) > 10' "$DASHBOARD" > /dev/null \
    || fail "dashboard not a Grafana dashboard"
for m in $(jq -r '.panels[].targets[].expr' "$DASHBOARD" | grep -oE 'keten_[a-z_]+' | sort -u); do
    grep -q "^# TYPE $m " "$T/all.prom" || fail "the dashboard asks for $m, which no node serves"
done
pass "every metric of the Grafana dashboard is served"
# The uitvoerder's own copies waiting for each member (the RELAY column)
# have their panels, beside the members' own outboxes.
for m in keten_member_relay_pending keten_member_relay_oldest_seconds; do
    jq -e --arg m "$m" '[.panels[].targets[].expr | select(startswith($m + "{"))] | length == 1' \
        "$DASHBOARD" > /dev/null || fail "the dashboard has no panel for $m"
done
pass "the dashboard shows the uitvoerder's copies waiting per member"
