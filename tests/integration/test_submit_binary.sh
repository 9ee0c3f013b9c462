#!/usr/bin/env bash
# Binary submissions (docs/API.md, "Binary submissions"): a frame of 0x00
# and an ApiSubmit carries several signals, checked by the same rules as
# JSON, all before any is stored, and stored together or not at all; the
# answer is one ApiSubmitted frame with each signal's outcome.  The
# protobuf is written and read by hand here (Python, no protobuf library),
# so the wire format in the docs is what is tested.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" BIN

# bin SOCKET_ID SPEC.json: send the submission SPEC describes, print the
# answer as JSON.  SPEC: {"id", "wait", "signals": [signal JSON, with
# "_extra": [[field, "hex bytes of a whole extra field"]] and
# "_representative"], "raw": "hex of a whole ApiSubmit instead",
# "then_json": true (then a JSON status request on the same connection)}.
bin() {
    python3 - "$T/$1.sock" "$2" <<'PY'
import json, socket, struct, sys
path, spec = sys.argv[1], json.load(open(sys.argv[2]))
def varint(n):
    out = b""
    while True:
        b = n & 0x7F; n >>= 7
        if n: out += bytes([b | 0x80])
        else: return out + bytes([b])
def field(no, wt, payload):
    key = varint(no << 3 | wt)
    if wt == 0: return key + varint(payload)
    return key + varint(len(payload)) + payload
def s(no, v): return field(no, 2, v.encode()) if v else b""
WPG = {"none": 0, "art-8-13": 1, "art-9-10": 2}
def signal(j):
    sub, mel, src = j["subject"], j["melder"], j["source"]
    out = field(1, 2, s(1, sub["name"]) + s(2, sub["birth_date"]) + s(3, sub.get("address", "")) +
                s(4, sub["municipality"]) + s(5, sub.get("bsn", "")))
    out += s(2, j["description"]) + s(3, j["category"]) + s(4, j["observed_on"])
    out += field(5, 2, s(1, mel["name"]) + s(2, mel["contact"]))
    out += s(6, src["kind"]) + s(7, src.get("detail", ""))
    if WPG[j.get("wpg_basis", "none")]: out += field(8, 0, WPG[j["wpg_basis"]])
    out += s(9, j["legal_basis"]) + s(12, j.get("local_ref", ""))
    out += s(17, j.get("_representative", ""))
    for _, raw in j.get("_extra", []): out += bytes.fromhex(raw)
    return out
if "raw" in spec:
    msg = bytes.fromhex(spec["raw"])
else:
    msg = field(1, 0, spec.get("id", 7)) if spec.get("id", 7) else b""
    for j in spec["signals"]: msg += field(2, 2, signal(j))
    if spec.get("wait"): msg += field(3, 0, 1)
frame = b"\0" + msg
c = socket.socket(socket.AF_UNIX); c.settimeout(60); c.connect(path)
c.sendall(struct.pack(">I", len(frame)) + frame)
def recv_frame():
    head = b""
    while len(head) < 4: head += c.recv(4 - len(head))
    n = struct.unpack(">I", head)[0]; body = b""
    while len(body) < n: body += c.recv(n - len(body))
    return body
body = recv_frame()
assert body[0] == 0, "not a binary answer: %r" % body[:40]
def parse(b):
    i, out = 0, []
    while i < len(b):
        key = 0; sh = 0
        while True:
            x = b[i]; i += 1; key |= (x & 0x7F) << sh; sh += 7
            if not x & 0x80: break
        no, wt = key >> 3, key & 7
        v = 0; sh = 0
        while True:
            x = b[i]; i += 1; v |= (x & 0x7F) << sh; sh += 7
            if not x & 0x80: break
        if wt == 2: out.append((no, b[i:i + v])); i += v
        else: out.append((no, v))
    return out
STATES = {1: "queued", 2: "held", 3: "delivered", 4: "refused"}
answer = {"id": 0, "error": "", "outcomes": []}
for no, v in parse(body[1:]):
    if no == 1: answer["id"] = v
    if no == 2: answer["error"] = v.decode()
    if no == 3:
        o = {"message_id": "", "state": "", "log_index": 0, "reason": ""}
        for k, w in parse(v):
            if k == 1: o["message_id"] = w.hex()
            if k == 2: o["state"] = STATES.get(w, str(w))
            if k == 3: o["log_index"] = w
            if k == 4: o["reason"] = w.decode()
        answer["outcomes"].append(o)
if spec.get("then_json"):
    req = json.dumps({"id": 1, "cmd": "status"}).encode()
    c.sendall(struct.pack(">I", len(req)) + req)
    answer["then"] = json.loads(recv_frame())["ok"]
print(json.dumps(answer))
PY
}
spec() {  # spec FILE JQ-FILTER: a submission of the test signal, shaped by the filter
    jq -n --slurpfile s "$T/s.json" "$2" > "$1"
}
listed() { kt politie-test signal list --json | jq '.signals | length'; }

# Three signals waiting for their receipts: one answer, in order, each
# delivered at its own place in the log, each listed.
spec "$T/three.json" '{id: 41, wait: true, signals: [range(3) as $i | $s[0] | .local_ref = "BIN-\($i)"]}'
out=$(bin politie-test "$T/three.json")
[ "$(jq -r '.id' <<< "$out")" = 41 ] || fail "answer to another id: $out"
[ "$(jq -r '[.outcomes[].state] | join(",")' <<< "$out")" = delivered,delivered,delivered ] ||
    fail "not all delivered: $out"
[ "$(jq '[.outcomes[].log_index] | unique | length' <<< "$out")" = 3 ] || fail "log indexes: $out"
for i in 0 1 2; do
    id=$(jq -r ".outcomes[$i].message_id" <<< "$out")
    [ "$(kt politie-test signal list --json |
        jq -r --arg id "$id" '.signals[] | select(.message_id == $id) | "\(.local_ref) \(.state)"')" = "BIN-$i delivered" ] ||
        fail "signal $i is not listed as BIN-$i, delivered"
done
[ "$(listed)" = 3 ] || fail "expected 3 signals"
pass "three signals in one submission: one answer, each delivered and listed"

# Without wait: answered once stored; an art. 9/10 signal is held.
spec "$T/nowait.json" '{signals: [$s[0], ($s[0] | .wpg_basis = "art-9-10")]}'
out=$(bin politie-test "$T/nowait.json")
[ "$(jq -r '[.outcomes[].state] | join(",")' <<< "$out")" = queued,held ] || fail "states: $out"
wait_until 10 bash -c "[ \"\$(\"$KETEN\" --socket \"$T/politie-test.sock\" signal list --json |
    jq '[.signals[] | select(.state == \"delivered\")] | length')\" = 4 ]" ||
    fail "the queued one was not delivered"
pass "without wait: queued and held, as in JSON"

# One bad signal refuses the whole submission, naming it; nothing is stored.
refused() {  # refused SPEC-FILTER TEXT WHAT
    spec "$T/bad.json" "$1"
    out=$(bin politie-test "$T/bad.json")
    [ "$(jq -r '.outcomes | length' <<< "$out")" = 0 ] || fail "$3: outcomes given: $out"
    grep -qF -- "$2" <<< "$(jq -r '.error' <<< "$out")" || fail "$3: error was: $out"
    [ "$(listed)" = 5 ] || fail "$3: something was stored"
}
refused '{signals: [$s[0], ($s[0] | .subject.birth_date = "2001-02-30")]}' \
    "signals[1]: subject.birth_date" "an invalid date"
refused '{signals: [$s[0], $s[0], ($s[0] | ._representative = "R. Vertegenwoordiger")]}' \
    "signals[2]: sets a field only the police node sets" "a representative"
refused '{signals: [($s[0] | ._extra = [[99, "9a0603616263"]])]}' \
    "signals[0]: has fields a Signal does not" "an unknown field"
refused '{signals: [($s[0] | ._extra = [[12, "620358595a"]])]}' \
    "signals[0]: not in the canonical encoding" "local_ref given twice"
refused '{signals: [($s[0] | .description = "cut\u0000here")]}' \
    "signals[0]: not in the canonical encoding" "a NUL inside a string"
refused '{signals: []}' "a binary submission holds 1 to 1000 signals, not 0" "no signals"
refused '{signals: [range(1001) | $s[0] | .description = "x"]}' \
    "a binary submission holds 1 to 1000 signals, not 1001" "too many"
pass "one bad signal refuses the submission, naming it; nothing stored"

# A frame that is no ApiSubmit is refused, and the connection goes on.
echo '{"raw": "0a05ffffffffff", "then_json": true}' > "$T/raw.json"
out=$(bin politie-test "$T/raw.json")
[ "$(jq -r '.error' <<< "$out")" = "the binary request is not an ApiSubmit message" ] ||
    fail "garbage: $out"
[ "$(jq -r '.then' <<< "$out")" = true ] || fail "the connection did not go on: $out"
echo '{"raw": "08019a0601ff", "then_json": true}' > "$T/raw.json"
out=$(bin politie-test "$T/raw.json")
[ "$(jq -r '.error' <<< "$out")" = "the binary request has fields ApiSubmit does not" ] ||
    fail "unknown field: $out"
pass "a malformed binary request: refused, the connection usable"

# art. 7.1: the uitvoerder takes no signals, in binary neither.
out=$(bin "$UITV" "$T/three.json")
grep -q "signal" <<< "$(jq -r '.error' <<< "$out")" || fail "uitvoerder: $out"
pass "the uitvoerder refuses a binary submission"

# Nothing personal in the logs: the names are in the signals only.
! grep -h "Test Persoon\|Agent Test\|Vertegenwoordiger" "$T"/*.log || fail "personal data in a log"
pass "no personal data in the logs"
