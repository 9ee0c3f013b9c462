#!/usr/bin/env bash
# README.md's "A two-node federation by hand", run as written: its ```sh
# blocks, in order, from the top of the source tree, against the build
# directory (the `make build` line left out, B and D pointed at the build
# and a temp dir, port 7700 moved to a free one).  The signal must be
# delivered and listed at the uitvoerder, and the README's own kill must
# stop both daemons; any daemon still running afterwards is killed by pid.
source "$(dirname "$0")/lib.sh"
: "${KETEN_SOURCE_DIR:?KETEN_SOURCE_DIR must point at the source tree}"
readme=$KETEN_SOURCE_DIR/README.md

awk '/^## A two-node federation by hand/ { on = 1; next }
     /^## / { on = 0 }
     on && /^```sh$/ { code = 1; next }
     code && /^```$/ { code = 0; next }
     on && code' "$readme" > "$T/readme.sh"
[ "$(grep -c . "$T/readme.sh")" -ge 10 ] || fail "no sh blocks found in the README section"
grep -q '^make build ' "$T/readme.sh" || fail "the section no longer starts with make build"
grep -q '^B=build; D=/tmp/fed; ' "$T/readme.sh" || fail "the section no longer sets B=build; D=/tmp/fed"

# A free port below the ephemeral range, instead of 7700.
lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
    (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null || break
done
sed -e '/^make build /d' \
    -e "s|^B=build; D=/tmp/fed; |B=\"$KETEN_BIN\"; D=\"$T/fed\"; |" \
    -e "s|tcp://127.0.0.1:7700|tcp://127.0.0.1:$port|g" "$T/readme.sh" > "$T/run.sh"
grep -q "127.0.0.1:$port" "$T/run.sh" || fail "the section no longer puts the transport on 127.0.0.1:7700"

rc=0
(cd "$KETEN_SOURCE_DIR" && timeout 120 bash -euo pipefail "$T/run.sh") > "$T/out" 2>&1 || rc=$?
# Whatever the outcome: the daemons it started are ours to stop, by pid,
# and their logs are checked by lib.sh's cleanup.
# Every pid goes to lib.sh's cleanup before any failure is reported, so
# one daemon left running does not leave the other behind.
left=
for f in "$T"/fed/*.pid; do
    [ -f "$f" ] || continue
    id=$(basename "$f" .pid)
    cp "$T/fed/$id.log" "$T/$id.log" 2> /dev/null || true
    pid=$(cat "$f")
    n=0
    while kill -0 "$pid" 2> /dev/null && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
    if kill -0 "$pid" 2> /dev/null; then
        KT_PID[$id]=$pid
        left="$left $id (pid $pid)"
    fi
done
[ -z "$left" ] || fail "ketend$left still runs after the README's kill"
cat "$T/out"
[ $rc = 0 ] || fail "the README's commands failed (exit $rc)"

id=$(grep -oE '^signal [0-9a-f]{32} delivered' "$T/out" | awk '{print $2}')
[ -n "$id" ] || fail "the police signal was not delivered"
grep -qE "^$id +k-[0-9a-f]+ +politie-limburg " "$T/out" || fail "signal list at the uitvoerder lacks $id"
grep -qE '^outbox +depth 0, .*delivered 1' "$T/out" || fail "the police status shows no delivery"
[ "$(grep -c '^ok: ' "$T/out")" = 2 ] || fail "ketend --check did not pass both configs"
pass "README by hand: signal $id delivered, listed at the uitvoerder, both daemons stopped"
