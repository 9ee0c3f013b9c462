#!/usr/bin/env bash
# The text of `keten status` shows everything `keten status --check` and
# the metrics alarm on (docs/OPERATIONS.md, "Monitoring the federation"):
# a line per check raised, from the same list (common/statuscheck.c), and
# the lines that say which - at the uitvoerder its own alarms and the
# file that fails its writes, the open incidents and their AP deadline,
# the newest checkpoint and its cosigners, the peered federations (link,
# log alarm) and the transfers; at a partner its log witness.
#
# First against a stand-in ketend that answers `status` with a fixed
# answer raising every check there is (so a check added to
# common/statuscheck.c without a way to show it fails here), then against
# real daemons: a file that fails its writes, an overdue incident.
source "$(dirname "$0")/lib.sh"

# ---- a stand-in ketend: the status answer in $T/status.json ---------------
cat > "$T/fake.py" <<'PY'
import json, os, socket, struct, sys
path, answer = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(4)
def read(c, n):
    b = b""
    while len(b) < n:
        part = c.recv(n - len(b))
        if not part: raise EOF
        b += part
    return b
class EOF(Exception): pass
while True:
    c, _ = s.accept()
    try:
        req = json.loads(read(c, struct.unpack(">I", read(c, 4))[0]))
        body = json.dumps({"id": req.get("id"), "ok": True,
                           "result": json.load(open(answer))}).encode()
        c.sendall(struct.pack(">I", len(body)) + body)
    except EOF:
        pass
    c.close()
PY
python3 "$T/fake.py" "$T/fake.sock" "$T/status.json" >> "$T/fake.log" 2>&1 &
KT_PID[fake]=$!
wait_until 5 test -S "$T/fake.sock" || fail "the stand-in ketend did not start"
fake() { "$KETEN" --socket "$T/fake.sock" "$@"; }
NOW=$(($(date +%s) * 1000))

# An uitvoerder with every alarm of its own raised.
cat > "$T/uitvoerder.json" <<JSON
{"node": "uitvoerder-x", "kind": "uitvoerder", "role": "uitvoerder", "software_version": "0.1.0",
 "uptime_s": 100, "roster_version": 3, "key_age_days": 10, "expelled": true,
 "access_review_due": true, "access_review_days": 91,
 "alarms": ["storage_failing"],
 "clock": {"confirmed": false, "agree": 0, "disagree": 2, "skew_ms": -17280000000, "peer": "om-x",
           "why": "this node's clock is 17280000 s ahead of the federation's (om-x's clock; 2 peer(s) disagree, 0 agree)",
           "retention_waiting_s": 90000, "retention_overdue": true},
 "storage": {"failing": true, "error": "database or disk is full", "since_ms": $((NOW - 60000)),
             "file": "weegploeg.db"},
 "unreadable": [{"section": "review", "error": "no such table: review"}],
 "checkpoint": {"size": 12, "root": "ab", "signed_ms": $((NOW - 2000)),
                "cosigners": "politie-x,om-x"},
 "federation": {"members": 2, "online": 1, "alarms": 3},
 "members": [{"id": "politie-x", "kind": "politie", "role": "kernpartij", "online": false,
              "last_seen_ms": 0, "alarms": ["offline"], "left": false},
             {"id": "om-x", "kind": "om", "role": "kernpartij", "online": true,
              "last_seen_ms": $((NOW - 300)), "relay_pending": 2, "relay_oldest_ms": 90000,
              "storage_failing": true, "expired_messages": 4, "expired_recent": 1,
              "alarms": ["relay_backlog", "storage_failing"], "left": false}],
 "log": {"size": 12, "root": "ab", "vkey": "x/log+1+AA"}, "stored": {"signals": 1, "subjects": 1},
 "incidents": {"open": 2, "ap_pending": [
     {"id": "i-0000000000000001", "ap_deadline_ms": $((NOW - 3600000)), "overdue": true},
     {"id": "i-0000000000000002", "ap_deadline_ms": $((NOW + 7200000)), "overdue": false}]},
 "rights": {"open": [{"id": "r-1", "kind": "inzage", "due": "2026-01-01", "state": "overdue"},
                     {"id": "r-2", "kind": "inzage", "due": "2026-01-02", "state": "warning"}],
            "warnings": 1, "alarms": 1},
 "corrections": {"unconfirmed": [{"correction_id": "c-1", "case_ref": "W-1", "node": "om-x"}],
                 "overdue": [{"correction_id": "c-2", "case_ref": "W-2", "due_ms": 1}]},
 "retention": {"due": 0, "warnings": ["W-3"],
               "unconfirmed": [{"node": "om-x", "action": "destroy", "case_ref": "W-4"}]},
 "informatieplicht": {"open": 1, "review_due": [{"task_id": "t-1", "case_ref": "W-5", "review_on": "2026-01-01"}],
                      "before_retention": [{"task_id": "t-2", "case_ref": "W-6", "state": "open",
                                            "action": "destroy", "due_ms": 1}]},
 "peerings": [{"federation": "pga-zeeland", "uitvoerder": "uitvoerder-z", "endpoint": "tcp://z:7001",
               "connection": "dials", "connected": false, "last_seen_ms": 0,
               "witness": {"checkpoint_size": 9, "alarms": []}, "log_alarm": true}],
 "transfers": {"pending": 3, "accepted": 1, "refused": 0, "received": 2}}
JSON
# A police node with every alarm of a partner's raised.
cat > "$T/partner.json" <<JSON
{"node": "politie-x", "kind": "politie", "role": "kernpartij", "software_version": "0.1.0",
 "uptime_s": 100, "roster_version": 3, "key_age_days": 10,
 "old_keys_until": "2026-01-02", "old_keys_end_ms": $((NOW - 60000)), "old_keys_ended": true,
 "alarms": ["link_down", "log_alarm"],
 "clock": {"confirmed": false, "agree": 0, "disagree": 0,
           "why": "no peer has measured this node's clock within the hour",
           "retention_waiting_s": 1000, "retention_waiting": true},
 "link": {"peer": "uitvoerder-x", "up": false, "last_seen_ms": 0, "rtt_us": 0},
 "outbox": {"depth": 0, "oldest_ms": 0, "oldest_undelivered_ms": 0, "delivered": 0, "refused": 0},
 "last_receipt": null,
 "log_witness": {"checkpoint_size": 9, "checkpoint_root": "ab", "receipts_proven": 2, "pending": 0,
                 "alarms": [{"at_ms": $((NOW - 5000)), "what": "two different trees of size 9"}]},
 "spool": {"rejected_waiting": 1, "rejected_keep_days": 14, "next_removal_ms": $((NOW + 3600000)),
           "rejected_removed_within_2_days": 1, "warning": "1 rejected spool file will be removed within 2 days",
           "waiting": 2, "waiting_stuck": 1, "oldest_waiting_ms": $((NOW - 1200000))},
 "retention": {"warnings": [], "due": 0, "unconfirmed": []}}
JSON

# Every check there is, by name, from the one list.
checks=$(grep -oE '^ *\[C_[A-Z_]+\] = \{"[a-z_]+", STATUSCHECK_' "$KT_SRC/common/statuscheck.c" \
    | grep -oE '"[a-z_]+"' | tr -d '"')
# As many as the enum there has (C_COUNT aside): none missed by the pattern.
n=$(grep -cE '^    C_[A-Z_]+,$' "$KT_SRC/common/statuscheck.c")
[ "$(wc -l <<< "$checks")" = "$n" ] && [ "$n" -ge 20 ] \
    || fail "$n checks in common/statuscheck.c, but these names found: $checks"
cp "$T/uitvoerder.json" "$T/status.json"
uitv_text=$(fake status)
uitv_check=$(fake status --check) && fail "status --check is OK for everything raised"
cp "$T/partner.json" "$T/status.json"
partner_text=$(fake status)
# The spool that cannot be read hides the warning of its rejected files:
# the third answer raises that one, a key file that still works, and a
# clock confirmed by the operator alone (keten clock confirm).
jq --argjson until_ms $((NOW + 3 * 86400000)) '.spool = {"error": "cannot read the spool: Permission denied"}
    | del(.old_keys_ended) | .old_keys_until = "2026-01-09" | .old_keys_end_ms = $until_ms
    | .old_keys_ending = true
    | .clock = {"confirmed": true, "agree": 0, "disagree": 1, "skew_ms": 17280000000,
                "peer": "uitvoerder-x", "operator_left_s": 3600, "by_operator": true,
                "why": "this node'"'"'s clock is confirmed by its operator (keten clock confirm) for 3600 s more, not by a peer (1 peer(s) disagree, 0 agree)"}' \
    "$T/partner.json" > "$T/status.json"
spool_text=$(fake status)
grep -Eq "^clock +this node's clock is confirmed by its operator \(keten clock confirm\) for 3600 s more" <<< "$spool_text" \
    || fail "the clock line does not say it rests on the operator's word: $spool_text"
for c in $checks; do
    grep -Eq "^check +(CRITICAL|WARNING) $c: " <<< "$uitv_text"$'\n'"$partner_text"$'\n'"$spool_text" \
        || fail "the text shows no check $c: $uitv_text $partner_text $spool_text"
done
pass "every check of common/statuscheck.c has its line in the text of keten status"

# The verdict line, as --check says it.
grep -q "^checks *CRITICAL: [0-9]* raised" <<< "$uitv_text" || fail "no verdict line: $uitv_text"
[[ "$uitv_check" == "KETEN CRITICAL - uitvoerder-x: "* ]] || fail "status --check: $uitv_check"
# Which member, file, incident, peering: the lines that say it (the
# ages count from NOW, some seconds ago on a busy machine).
for want in \
    '^alarms +storage_failing$' \
    '^storage +FAILING: weegploeg\.db, for 1 min [0-9]+ s: database or disk is full$' \
    "^clock +NOT CONFIRMED: this node's clock is 17280000 s ahead of the federation's \\(om-x's clock; 2 peer\\(s\\) disagree, 0 agree\\); retention waits, for 1 d 1 h" \
    '^UNREADABLE +review cannot be read, its alarms are unknown: no such table: review' \
    '^checkpoint +size 12, signed .* UTC \([0-9]+\.[0-9] s ago\), cosigned by politie-x, om-x$' \
    '^incidents +2 open' \
    '^ALARM +incident i-0000000000000001: no AP outcome recorded, its AP deadline \(AVG art\. 33, 72 hours\) passed at ' \
    '^warning +incident i-0000000000000002: notify the AP by .* UTC \(AVG art\. 33\), in 1 h' \
    '^peerings +1, 0 connected$' \
    '^ALARM +pga-zeeland \(uitvoerder-z, dials tcp://z:7001\): NOT connected, last seen never; its log verified to size 9; LOG ALARM' \
    '^transfers +3 pending, 1 accepted, 0 refused, 2 received' \
    '^politie-x +politie +kernpartij +NO .* offline$' \
    '^om-x +om +kernpartij +yes .* 2, 1 min 30 s old +relay_backlog,storage_failing$' \
    '^om-x missed 4 messages' \
    '^om-x: a database file at the member fails its writes \(storage_failing\)'; do
    grep -Eq "$want" <<< "$uitv_text" || fail "the uitvoerder's text lacks /$want/: $uitv_text"
done
for want in '^alarms +link_down,log_alarm$' \
    "^clock +NOT CONFIRMED: no peer has measured this node's clock within the hour; retention waits, for 16 min 40 s$" \
    '^keys +OVERLAP ENDED: the key file in use stopped working on 2026-01-02; install the new one and restart$' \
    '^spool waiting +2 files, the oldest for 20 min [0-9]+ s \(STUCK: ' \
    '^log witness +checkpoint size 9 verified, 2 receipts proven, 0 pending, 1 alarm$' \
    '^ALARM +the log witness, .* UTC: two different trees of size 9'; do
    grep -Eq "$want" <<< "$partner_text" || fail "the partner's text lacks /$want/: $partner_text"
done
grep -Eq '^keys +rotated: the key file in use works until 2026-01-09 \((2 d 23 h|3 d)' <<< "$spool_text" \
    || fail "the keys line does not say what is left: $spool_text"
pass "the text names the file, the incidents and their deadline, the checkpoint, the peerings, the witness"

# ---- real daemons ----------------------------------------------------------
kt_federation
wait_until 10 link_up politie-test || fail "no link"
# The newest checkpoint, cosigned by the police node (a witness).
kt_signal_file "$T/s1.json" TX-1
kt_delivered politie-test "$T/s1.json"
cosigned() { kt "$UITV" status | grep -q "^checkpoint .*cosigned by politie-test"; }
wait_until 15 cosigned || fail "no cosigned checkpoint in the text: $(kt "$UITV" status)"
# An incident past its 72 hours.
found=$(TZ=Europe/Amsterdam date -d '-4 days' +%Y-%m-%dT%H:%M)
kt "$UITV" incident report --what "Een USB-stick is kwijt." --found "$found" --data-kind naw \
    --subjects 3 > /dev/null
id=$(kt "$UITV" status --json | jq -r '.incidents.ap_pending[0].id')
text=$(kt "$UITV" status)
grep -q "^check *CRITICAL incident_overdue: 1 incident(s) past the 72 hours" <<< "$text" \
    || fail "no check line for the overdue incident: $text"
grep -q "^ALARM *incident $id: no AP outcome recorded, its AP deadline" <<< "$text" \
    || fail "the overdue incident is not named: $text"
pass "an overdue incident is in the text, named, as --check raises it"
# The weegploeg file fails its writes (another process holds it).
lock_db "$T/state-$UITV/weegploeg.db"
kt_signal_file "$T/s2.json" TX-2
kt politie-test signal submit --file "$T/s2.json" > /dev/null
locked() { [ "$(jfield "$UITV" '.storage.file // ""')" = weegploeg.db ]; }
wait_until 15 locked || fail "storage does not name the file: $(kt "$UITV" status --json | jq -c .storage)"
text=$(kt "$UITV" status)
unlock_db
grep -q "^storage *FAILING: weegploeg.db, for .*: database is locked" <<< "$text" \
    || fail "the text does not name the file that fails: $text"
grep -q "^alarms *storage_failing" <<< "$text" || fail "the text shows no alarm of its own: $text"
grep -q "^check *CRITICAL node_alarms" <<< "$text" || fail "no check line for storage_failing: $text"
pass "a file that fails its writes at the uitvoerder is named in the text, as the alert says"
