#!/usr/bin/env bash
# docs/API.md, "Arguments": every command declares the argument keys it
# takes and their types, and the dispatcher refuses a request with any
# other key or a wrongly typed value before the command runs, naming the
# key.
#
# - retention.run {"dry-run": true} (a typo of dry_run) is refused: it
#   must not be a real run, an art. 13 destruction, at either role.
# - dry_run as a string, limit as a string, -1, 0 or 1e308 are refused.
# - status takes no argument; a well-formed call still answers.
# - The CLI's own calls (retention run --dry-run, signal list, log
#   checkpoints) still pass.
source "$(dirname "$0")/lib.sh"

# call ID CMD ARGS-JSON: the raw answer of one local API request, as JSON.
call() {
    python3 - "$T/$1.sock" "$2" "$3" <<'PY'
import json, socket, struct, sys
path, cmd, args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
req = json.dumps({"id": 1, "cmd": cmd, "args": args}).encode()
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(path)
s.sendall(struct.pack(">I", len(req)) + req)
buf = b""
while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
    chunk = s.recv(65536)
    if not chunk:
        sys.exit("no answer")
    buf += chunk
print(buf[4:4 + struct.unpack(">I", buf[:4])[0]].decode())
PY
}

# refused ID CMD ARGS-JSON PATTERN: the call is answered with an error
# matching PATTERN.
refused() {
    local a
    a=$(call "$1" "$2" "$3")
    echo "$a" | jq -e 'has("error")' > /dev/null || fail "$1 $2 $3 was not refused: $a"
    echo "$a" | jq -r .error | grep -qE -- "$4" || fail "$1 $2 $3: error does not name it: $a"
}
answered() {
    local a
    a=$(call "$1" "$2" "$3")
    echo "$a" | jq -e 'has("result")' > /dev/null || fail "$1 $2 $3 was refused: $a"
}

kt_federation
wait_until 10 link_up politie-test || fail "no link"

for id in "$UITV" politie-test; do
    refused "$id" retention.run '{"dry-run": true}' 'retention.run takes no argument "dry-run" \(its arguments: dry_run\)'
    refused "$id" retention.run '{"dry_run": "true"}' 'argument dry_run of retention.run must be true or false'
    refused "$id" retention.run '{"dry_run": null}' 'dry_run'
done
pass "retention.run with a misspelt or wrongly typed dry_run is refused before it runs"

for v in '"5"' -1 0 10001 1e308 1.5 true; do
    refused politie-test signal.list "{\"limit\": $v}" 'argument limit of signal.list must be an integer from 1 to 10000'
    refused "$UITV" log.checkpoints "{\"limit\": $v}" 'argument limit of log.checkpoints must be an integer from 1 to 10000'
done
answered politie-test signal.list '{"limit": 5}'
answered "$UITV" log.checkpoints '{"limit": 10000}'
pass "limit outside 1..10000 or not an integer is refused; within it, answered"

refused "$UITV" status '{"verbose": true}' 'status takes no argument "verbose" \(its arguments: none\)'
refused politie-test signal.submit '{"signal": {}, "wiat": true}' 'signal.submit takes no argument "wiat"'
answered "$UITV" status '{}'
pass "unknown keys are refused by every command, with the key named"

kt "$UITV" retention run --dry-run > /dev/null || fail "keten retention run --dry-run at the uitvoerder"
kt politie-test retention run --dry-run > /dev/null || fail "keten retention run --dry-run at politie"
kt politie-test signal list --json > /dev/null || fail "keten signal list"
# --wait at the uitvoerder (case share, incident report: "any node"): the
# uitvoerder takes it, and the command itself answers.
kt "$UITV" incident report --what "Een USB-stick is kwijt." --found "$(TZ=Europe/Amsterdam date +%Y-%m-%dT%H:%M)" \
    --data-kind naw --subjects 1 --wait > /dev/null || fail "keten incident report --wait at the uitvoerder"
if out=$(kt "$UITV" case share k-0000000000000000 --to om-test --item 0000:0 --necessity x --data-kind naw \
    --wait 2>&1); then fail "a share of no case passed"; fi
grep -q 'takes no argument' <<< "$out" && fail "case share --wait at the uitvoerder: $out"
kt "$UITV" log checkpoints > /dev/null || fail "keten log checkpoints"
pass "the CLI's calls still pass"
