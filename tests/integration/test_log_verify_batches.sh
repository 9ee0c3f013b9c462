#!/usr/bin/env bash
# log.verify at the uitvoerder checks every stored checkpoint (signed by
# the log, its root the tree's): an Ed25519 check and a tree root each.
# It checks them in batches between the loop's other work, so a long log
# never holds the loop (a log of 200,000 entries once held it 45 s, past
# every member's heartbeat timeout).
#
# - With a few thousand checkpoints, `status` calls made while a verify
#   runs are answered at once, not after it.
# - A verify still checks every row, every time: a checkpoint row changed
#   after a clean verify is found by the next one.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json"

# One signal at a time: one checkpoint each.
"$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/s.json" -n 2500 \
    --inflight 1 --batch 1 > "$T/bench.out" || fail "bench: $(cat "$T/bench.out")"
DB=
for f in "$T/state-$UITV"/*.db; do
    if sqlite3 "$f" "SELECT 1 FROM checkpoint LIMIT 1" > /dev/null 2>&1; then DB=$f; fi
done
[ -n "$DB" ] || fail "no checkpoint table at the uitvoerder"
n=$(sqlite3 "$DB" "SELECT count(*) FROM checkpoint")
[ "$n" -ge 2000 ] || fail "only $n checkpoints"

# verify_while_status: one log.verify, and status calls one after another
# until it answers; prints the verify's answer, its time and the slowest
# status answer (ms), and how many status calls were answered meanwhile.
verify_while_status() {
    python3 - "$T/$UITV.sock" <<'PY'
import json, socket, struct, sys, threading, time
path = sys.argv[1]
def call(cmd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(120)
    s.connect(path)
    req = json.dumps({"id": 1, "cmd": cmd}).encode()
    s.sendall(struct.pack(">I", len(req)) + req)
    buf = b""
    while len(buf) < 4 or len(buf) < 4 + struct.unpack(">I", buf[:4])[0]:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("no answer to " + cmd)
        buf += chunk
    s.close()
    return json.loads(buf[4:])
out = {}
def verify():
    t0 = time.monotonic()
    out["answer"] = call("log.verify")
    out["ms"] = (time.monotonic() - t0) * 1000
t = threading.Thread(target=verify)
t.start()
time.sleep(0.02)
slowest, n = 0.0, 0
while t.is_alive():
    t0 = time.monotonic()
    r = call("status")
    assert "result" in r, r
    if t.is_alive():
        slowest = max(slowest, (time.monotonic() - t0) * 1000)
        n += 1
t.join()
print(json.dumps({"answer": out["answer"], "verify_ms": round(out["ms"]),
                  "slowest_status_ms": round(slowest), "statuses": n}))
PY
}

r=$(verify_while_status)
echo "$r" | jq -e --argjson n "$n" '.answer.result.checkpoints | .checkpoints >= $n and .bad == 0 and
    (has("first_bad_size") | not)' > /dev/null || fail "verify: $r"
v=$(echo "$r" | jq .verify_ms) s=$(echo "$r" | jq .slowest_status_ms) c=$(echo "$r" | jq .statuses)
# The verify takes a while (n checkpoints at a quarter millisecond or
# more); status, asked meanwhile, waits at most a batch.
[ "$c" -ge 3 ] || fail "only $c status calls were answered during a $v ms verify: $r"
[ "$s" -le $((v / 3)) ] || fail "status waited $s ms during a $v ms verify: $r"
pass "$n checkpoints verified in $v ms while $c status calls were answered (slowest $s ms)"

# A row changed after a clean verify: found by the next.
bad=$(sqlite3 "$DB" "SELECT size FROM checkpoint ORDER BY size LIMIT 1 OFFSET 10")
sqlite3 "$DB" ".timeout 5000" "UPDATE checkpoint SET root = randomblob(32) WHERE size = $bad"
r=$(verify_while_status)
echo "$r" | jq -e --argjson n "$n" --argjson b "$bad" \
    '.answer.result.checkpoints | .checkpoints >= $n and .bad == 1 and .first_bad_size == $b' \
    > /dev/null || fail "a changed checkpoint row was not found: $r"
out=$(kt "$UITV" log verify 2>&1) && fail "keten log verify passed a changed checkpoint: $out"
pass "a checkpoint row changed after a clean verify is found by the next (size $bad)"
