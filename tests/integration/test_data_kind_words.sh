#!/usr/bin/env bash
# A kind of data is a word of letters, - and _ (docs/CASUSOVERLEG.md,
# "Kinds of data").  The kinds of a consent are named in the provenance
# log (DISCLOSED), which keeps them for good, also after the subject's
# data is destroyed; an incident's go to every kernpartij.  So a BSN, a
# date or a name given as a kind is refused - by a consent, a share and an
# incident report alike - and the refusal names the field, never the value.
# Every person here is fictional.
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_federation rvdk-test:rvdk extern-test:extern
for id in rvdk-test extern-test; do wait_until 10 link_up $id || fail "no link $id"; done
kt_signal_file "$T/s.json"
kt_delivered politie-test "$T/s.json"
CASE=$(kt "$UITV" signal list --json | jq -r '.signals[0].case_ref')
kt "$UITV" weegploeg decide "$CASE" --agenderen --party rvdk-test --party extern-test \
    --criterion ideologie --analysis "x" > /dev/null
echo '[{"kind": "fact", "text": "Eerder contact."}]' > "$T/items.json"
CID=$(kt rvdk-test case contribute "$CASE" --kind informatie --legal-basis avg-6-1-e \
      --file "$T/items.json" --wait | awk '$2=="delivered"{print $1}')
[ -n "$CID" ] || fail "contribution not delivered"

NOT_WORDS=("bsn:999993653" "J.deVries-2004-03-17" "999993653" "2004-03-17" "naw 2")
# refused WHAT OUT: the command failed with a reason that names the second
# kind and quotes none of the values.
refused() {
    grep -q "data kind 2 must be a word of 1..64 letters" <<< "$2" || fail "$1: refusal unclear: $2"
    local v
    for v in "${NOT_WORDS[@]}"; do
        if grep -qF -- "$v" <<< "$2"; then fail "$1: the refusal quotes the kind: $2"; fi
    done
}
for kind in "${NOT_WORDS[@]}"; do
    if out=$(kt rvdk-test case consent "$CASE" --to extern-test --item "$CID" --necessity "Nodig." \
            --data-kind netwerk --data-kind "$kind" --wait 2>&1); then
        fail "a consent took a kind that is not a word: $out"
    fi
    refused "consent" "$out"
    if out=$(kt "$UITV" case share "$CASE" --to rvdk-test --item "$CID" --necessity "Nodig." \
            --data-kind netwerk --data-kind "$kind" 2>&1); then
        fail "the uitvoerder's share took a kind that is not a word: $out"
    fi
    refused "share" "$out"
    if out=$(kt politie-test incident report --what "Een lijst is verkeerd gemaild." \
            --found "$(date +%FT%H:%M)" --data-kind naw --data-kind "$kind" --subjects 1 2>&1); then
        fail "an incident report took a kind that is not a word: $out"
    fi
    grep -q "data kind 2 must be a word of 1..64 letters" <<< "$out" || fail "incident: refusal unclear: $out"
    if grep -qF -- "$kind" <<< "$out"; then fail "incident: the refusal quotes the kind: $out"; fi
done
[ "$(sqlite3 "$T/state-$UITV/casusoverleg.db" "SELECT count(*) FROM consent")" = 0 ] \
    || fail "a consent with a kind that is not a word is stored"
[ "$(kt "$UITV" incident list --json | jq '.incidents | length')" = 0 ] \
    || fail "an incident with a kind that is not a word is registered"
pass "a BSN, a date or a name as a kind of data is refused, and no refusal quotes it"

# Words of letters, - and _ pass, and are what DISCLOSED names.
kt rvdk-test case consent "$CASE" --to extern-test --item "$CID" --necessity "Nodig." \
    --data-kind gezinssituatie --data-kind medische-gegevens --wait | grep -q delivered \
    || fail "the consent was not delivered"
kt "$UITV" case disclose "$CASE" --to extern-test --item "$CID" > /dev/null \
    || fail "the disclosure failed"
kt "$UITV" log show --case "$CASE" | grep -q "with consent (kinds: gezinssituatie,medische-gegevens)" \
    || fail "DISCLOSED does not name the kinds: $(kt "$UITV" log show --case "$CASE")"
kt politie-test incident report --what "Een lijst is verkeerd gemaild." --found "$(date +%FT%H:%M)" \
    --data-kind naw --data-kind school_verzuim --subjects 1 --wait > /dev/null \
    || fail "an incident with words as kinds was refused"
# Nothing of the refused kinds anywhere: not in a node's files (the
# provenance log among them), not in a journal.
for v in "${NOT_WORDS[@]}"; do
    if grep -rqaF -- "$v" "$T"/state-* "$T"/*.log; then fail "$v is kept or logged"; fi
done
pass "words pass; DISCLOSED names them; no refused kind is in a node's files or a journal"
