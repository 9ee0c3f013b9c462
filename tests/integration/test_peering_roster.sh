#!/usr/bin/env bash
# Peering, the roster side (docs/ROSTER.md, "Peering with another
# federation"): the uitvoerder pins another federation's uitvoerder as the
# next roster version, pushed to every member; its transport key is in the
# allow-list while the peering lasts; the end takes effect at once and the
# ended peering stays in the roster as history.  The link to the peer
# itself is not tested here.
source "$(dirname "$0")/lib.sh"
kt_federation
wait_until 10 link_up politie-test || fail "no link"
rv() { jfield "$1" .roster_version; }
has_rv() { [ "$(rv "$1")" = "$2" ]; }
# The other federation's uitvoerder: only its keys (kt_keys would take its
# verifier key for this federation's nodes).
"$KETEN" keygen --id uitvoerder-zeeland --kind uitvoerder --out "$T/peer" > /dev/null
PEER_PUB=$T/peer/uitvoerder-zeeland.pub
allowed() { [ -f "$T/state-$UITV/allow/peering.pga-zeeland.key" ]; }

out=$(kt "$UITV" peering add "$PEER_PUB" --federation pga-zeeland \
    --endpoint tcp://127.0.0.1:7001 --wpg-entitled) || fail "peering add failed: $out"
grep -q "roster version 2: peering with pga-zeeland" <<< "$out" || fail "add said: $out"
grep -Eq '^peer log key: pga-zeeland/log\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$' <<< "$out" \
    || fail "no peer log key: $out"
wait_until 10 has_rv politie-test 2 || fail "politie did not get v2"
list=$(kt politie-test peering list --json)
[ "$(jq -r '.peerings[0].federation, .peerings[0].uitvoerder, .peerings[0].active, .peerings[0].wpg_entitled' <<< "$list" | tr '\n' ' ')" \
    = "pga-zeeland uitvoerder-zeeland true true " ] || fail "politie's list: $list"
key=$(echo "$out" | sed -n 's/^peer log key: //p')
[ "$(jq -r '.peerings[0].log_key' <<< "$list")" = "$key" ] || fail "the log keys differ: $list"
allowed || fail "the peer's transport key is not in the allow-list"
kt "$UITV" peering list | grep -Eq '^pga-zeeland +uitvoerder-zeeland +tcp://127.0.0.1:7001 +[0-9-]{10} +- +yes$' \
    || fail "list: $(kt "$UITV" peering list)"
pass "peering added: version 2 pushed, listed at every node, the peer admitted"

if out=$(kt "$UITV" peering add "$PEER_PUB" --federation pga-zeeland \
        --endpoint tcp://127.0.0.1:7001 2>&1); then fail "peered twice"; fi
grep -q "already peered with pga-zeeland" <<< "$out" || fail "refusal unclear: $out"
if out=$(kt "$UITV" peering add "$PEER_PUB" --federation "$FED" \
        --endpoint tcp://127.0.0.1:7001 2>&1); then fail "peered with itself"; fi
grep -q "does not peer with itself" <<< "$out" || fail "refusal unclear: $out"
if out=$(kt "$UITV" peering add "$T/keys/politie-test.pub" --federation pga-brabant \
        --endpoint tcp://127.0.0.1:7001 2>&1); then fail "a politie key pinned as a peer"; fi
grep -q "key file says kind politie" <<< "$out" || fail "refusal unclear: $out"
if out=$(kt "$UITV" peering end pga-brabant 2>&1); then fail "ended an unknown peering"; fi
grep -q "pga-brabant is not a peer federation" <<< "$out" || fail "refusal unclear: $out"
[ "$(rv "$UITV")" = 2 ] || fail "a refused change made a version"
pass "peering refusals: twice, itself, not an uitvoerder, unknown"

day0=$(TZ=Europe/Amsterdam date +%F)   # ended = the Dutch today
out=$(kt "$UITV" peering end pga-zeeland) || fail "peering end failed: $out"
grep -q "roster version 3: peering with pga-zeeland ended" <<< "$out" || fail "end said: $out"
wait_until 10 has_rv politie-test 3 || fail "politie did not get v3"
list=$(kt politie-test peering list --json)
[ "$(jq -r '.peerings[0].active' <<< "$list")" = false ] || fail "still active: $list"
one_of_days "$day0" "$(TZ=Europe/Amsterdam date +%F)" "$(jq -r '.peerings[0].ended' <<< "$list")" \
    || fail "ended wrong: $list"
if allowed; then fail "the ended peer is still in the allow-list"; fi
grep -q "^        pga-zeeland" "$T/state-$UITV/roster.txt" || fail "the ended peering left the roster"
if kt "$UITV" peering end pga-zeeland 2>/dev/null; then fail "ended twice"; fi
pass "peering ended at once: the peer no longer admitted, the entry kept as history"

kt "$UITV" peering add "$PEER_PUB" --federation pga-zeeland --endpoint tcp://127.0.0.1:7002 \
    | grep -q "roster version 4" || fail "peering again failed"
[ "$(kt "$UITV" peering list --json | jq -r '[.peerings[] | select(.active)] | length')" = 1 ] \
    || fail "not one active peering: $(kt "$UITV" peering list --json)"
allowed || fail "the peer is not admitted again"
kt_kill "$UITV"
"$KETEN" log verify --file "$T/state-$UITV/log.db" > /dev/null || fail "log does not verify"
pass "an ended peering is replaced by a new one"
