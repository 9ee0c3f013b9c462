#!/usr/bin/env bash
# For someone who checks the provenance log from outside: `keten log
# proof` at the uitvoerder gives one entry with its inclusion proof in the
# signed checkpoint and the log's verifier key, and checks them; the key
# is also in `keten status`.  The proof is checked again here by an
# independent implementation of RFC 9162's inclusion check (Python's
# hashlib), and a wrong key is refused.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" P-1
ID=$(kt politie-test signal submit --file "$T/s.json" --wait | grep -Eo '[0-9a-f]{32}' | head -n1)
[ -n "$ID" ] || fail "no signal delivered"
VKEY=$(kt "$UITV" status --json | jq -r .log.vkey)
[[ "$VKEY" == "$FED/log+"* ]] || fail "status shows no log key: $VKEY"
kt "$UITV" status | grep -q "^log key *$VKEY" || fail "the text status does not show the log key"

out=$(kt "$UITV" log proof "$ID" --vkey "$VKEY") || fail "log proof failed: $out"
grep -q "^verified: " <<< "$out" || fail "not verified: $out"
grep -q "message $ID" <<< "$out" || fail "the entry is not the signal's arrival: $out"
kt "$UITV" log proof "$ID" --json > "$T/proof.json"
[ "$(jq .verified "$T/proof.json")" = true ] || fail "JSON: not verified"
python3 - "$T/proof.json" <<'PY' || fail "the independent check refuses the proof"
import base64, hashlib, json, sys
p = json.load(open(sys.argv[1]))
entry = base64.b64decode(p["entry_base64"])
leaf = hashlib.sha256(b"\x00" + entry).digest()
assert leaf.hex() == p["leaf_hash"], "leaf"
text = p["checkpoint"].split("\n\n")[0].split("\n")
size, root = int(text[1]), base64.b64decode(text[2])
assert size == p["tree_size"], "size"
# RFC 9162 section 2.1.3.2
fn, sn, r = p["index"], size - 1, leaf
for h in (bytes.fromhex(x) for x in p["inclusion"]):
    assert sn != 0, "path too long"
    if fn % 2 == 1 or fn == sn:
        r = hashlib.sha256(b"\x01" + h + r).digest()
        if fn % 2 == 0:
            while fn % 2 == 0 and fn != 0:
                fn >>= 1; sn >>= 1
    else:
        r = hashlib.sha256(b"\x01" + r + h).digest()
    fn >>= 1; sn >>= 1
assert sn == 0 and r == root, "root"
PY
pass "log proof: the signal's arrival, proven in the signed checkpoint, checked here and independently"

# A wrong key (another log's) and a changed entry are refused.
"$KETEN" keygen --id uitvoerder-other --kind uitvoerder --out "$T/other" > "$T/other.out"
OTHER=$(grep -Eo "uitvoerder-other\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+" "$T/other.out" | head -n1)
[ -n "$OTHER" ] || fail "no other key"
if out=$(kt "$UITV" log proof "$ID" --vkey "$OTHER" 2>&1); then fail "a wrong key was accepted: $out"; fi
grep -q "not verified" <<< "$out" || fail "refusal unclear: $out"
kt "$UITV" log proof --index 0 --json | jq -e '.verified and .index == 0' > /dev/null \
    || fail "--index 0 not proven"
if kt "$UITV" log proof 00000000000000000000000000000000 > /dev/null 2>&1; then
    fail "a message never received was proven"
fi
if out=$(kt politie-test log proof "$ID" 2>&1); then fail "a partner answered log proof"; fi
grep -q "kept by the uitvoerder" <<< "$out" || fail "partner refusal unclear: $out"
pass "another log's key, an unknown message and a partner are refused"
