#!/usr/bin/env bash
# art. 12.3 (inzage) for a person with many signals: the overview of 600
# signals of a realistic size (some 2.4 MiB of documents) is given through
# `keten request answer` like any other.  An overview larger than an answer
# of the local API can carry (16 MiB) is refused with the limit named, and
# the request stays open, nothing written: never answered without its
# documents.  Signals of more than 32 MiB as stored are refused before
# they are read (the daemon's memory stays bounded), with no read on record.
source "$(dirname "$0")/lib.sh"
drained() { [ "$(jfield politie-test .outbox.depth)" = 0 ]; }
kt_federation
wait_until 10 link_up politie-test || fail "no link"

# A signal of a realistic size: a description of some 800 bytes and four
# items, as the example in configs/.  Fictional persons only.
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
TEXT=$(printf 'Fictief: de mentor beschrijft uitspraken in de klas en op sociale media, %.0s' $(seq 11))
jq --arg d "$TEXT" '.subject = {name: "Test Persoon", birth_date: "2001-04-12", bsn: "111222333",
                                address: "Teststraat 1, 6211 AA", municipality: "Maastricht"}
    | .description = $d | .local_ref = "L-1"' "$REPO/configs/signal-example.json" > "$T/a.json"
"$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/a.json" -n 600 --inflight 100 \
    > "$T/bench.out" 2>&1 || fail "bench failed: $(cat "$T/bench.out")"
wait_until 60 drained || fail "the signals did not all reach the uitvoerder"

TODAY=$(TZ=Europe/Amsterdam date +%F)
# request_for BSN: a granted inzage request linked to the subject with BSN.
request_for() {
    local r a
    r=$(kt "$UITV" request open --kind inzage --received "$TODAY" --from betrokkene \
        --identity-by "Baliemedewerker Test" --identity-how "paspoort ingezien" --json | jq -r .request_id)
    a=$(kt "$UITV" request find "$r" --bsn "$1" --json | jq -r '.matches[0].case_ref')
    [ -n "$a" ] && [ "$a" != null ] || fail "no subject with BSN $1"
    kt "$UITV" request link "$r" "$a" > /dev/null
    kt politie-test request decide "$r" --grant | grep -q " delivered$" || fail "the grant was not delivered"
    echo "$r"
}
R=$(request_for 111222333)
OUT="$T/out"
mkdir "$OUT"
rc=0; out=$(kt "$UITV" request answer "$R" --out "$OUT" 2>&1) || rc=$?
[ $rc = 0 ] || fail "the overview of 600 signals was not given (exit $rc): $out"
[ "$(kt "$UITV" request show "$R" --json | jq -r .request.state)" = answered ] || fail "not answered"
size=$(cat "$OUT/overzicht-$R.html" "$OUT/overzicht-$R.txt" | wc -c)
[ "$size" -gt $((2 * 1024 * 1024)) ] || fail "the documents are only $size bytes: not the case tested"
n=$(grep -c 'Afkomstig van' "$OUT/overzicht-$R.txt")
[ "$n" = 600 ] || fail "the overview shows $n of the 600 signals"
tail -n 3 "$OUT/overzicht-$R.html" | grep -q '</html>' || fail "the overview is cut short"
pass "the overview of 600 signals ($size bytes) was given and the request answered"

# Another person, with 900 signals of 10,000-byte descriptions: more than
# 16 MiB of documents.
BIG=$(printf 'Fictief: een lange beschrijving van wat de school zag en hoorde. %.0s' $(seq 150))
jq --arg d "${BIG:0:9990}" '.subject = {name: "Ander Persoon", birth_date: "1999-02-03", bsn: "123456782",
                                        address: "Proefweg 2, 6211 AB", municipality: "Maastricht"}
    | .description = $d | .local_ref = "L-2"' "$REPO/configs/signal-example.json" > "$T/b.json"
"$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/b.json" -n 900 --inflight 100 \
    > "$T/bench2.out" 2>&1 || fail "bench failed: $(cat "$T/bench2.out")"
wait_until 60 drained || fail "the signals did not all reach the uitvoerder"
RB=$(request_for 123456782)
rc=0; out=$(kt "$UITV" request answer "$RB" --out "$OUT" 2>&1) || rc=$?
[ $rc = 1 ] || fail "an overview of more than 16 MiB: exit $rc: $out"
grep -q "16 MiB" <<< "$out" || fail "the refusal does not name the limit: $out"
grep -q "nothing was closed" <<< "$out" || fail "the refusal does not say the request is open: $out"
[ "$(kt "$UITV" request show "$RB" --json | jq -r .request.state)" = open ] || fail "the request was closed"
[ ! -e "$OUT/overzicht-$RB.html" ] && [ ! -e "$OUT/overzicht-$RB.txt" ] || fail "a document was written"
kt "$UITV" status > /dev/null || fail "the daemon does not answer after the refusal"
pass "an overview over 16 MiB is refused naming the limit; the request stays open, nothing written"

# More of the same: 3,300 signals, over 32 MiB as stored.  Refused before
# anything is read: no read on record for the attempt.
reads() { kt "$UITV" audit access --json --limit 10000 | jq --arg r "request $RB" '[.access[] | select(.what == $r)] | length'; }
before=$(reads)
"$KETEN_BIN/keten-bench" --socket "$T/politie-test.sock" --file "$T/b.json" -n 2400 --inflight 200 \
    > "$T/bench3.out" 2>&1 || fail "bench failed: $(cat "$T/bench3.out")"
wait_until 120 drained || fail "the signals did not all reach the uitvoerder"
rc=0; out=$(kt "$UITV" request answer "$RB" --out "$OUT" 2>&1) || rc=$?
[ $rc = 1 ] || fail "signals over 32 MiB: exit $rc: $out"
grep -Eq "are [0-9]+ MiB as stored, more than 32 MiB: .*16 MiB.*nothing was closed" <<< "$out" \
    || fail "the refusal does not name the limits: $out"
[ "$(kt "$UITV" request show "$RB" --json | jq -r .request.state)" = open ] || fail "the request was closed"
[ "$(reads)" = "$before" ] || fail "a read was recorded for an overview that was not made"
pass "signals over 32 MiB as stored are refused before they are read; the request stays open"
