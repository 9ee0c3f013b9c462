# Shared helpers for integration tests: real ketend processes on loopback.
#
# Every test sources this file, builds a small federation in a fresh temp
# directory, and on exit kills exactly the daemons it started (by pid) and
# removes the directory.  Waits are bounded polls on real outcomes.
set -euo pipefail

: "${KETEN_BIN:?KETEN_BIN must point at the build directory}"
KETEN="$KETEN_BIN/keten"
KETEND="$KETEN_BIN/ketend"
T=$(mktemp -d /tmp/keten-it.XXXXXX)
declare -A KT_PID=()
FED=pga-test
UITV=uitvoerder-test
# The source tree (ctest sets KETEN_SOURCE_DIR; bench/ scripts find it).
KT_SRC=${KETEN_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# The referentiekader kt_roster puts in force: the example, so every
# node of a test federation sets node/test-federation = 1 (kt_config);
# a test of a region's own sets KT_REFERENTIEKADER (and KT_TEST_FEDERATION).
KT_REFERENTIEKADER=${KT_REFERENTIEKADER:-$KT_SRC/configs/referentiekader-example.zpl}
KT_TEST_FEDERATION=${KT_TEST_FEDERATION:-1}

# kt_cleanup [RC]: stop the daemons, report, remove $T, exit with RC (the
# status it finds when none is given).  A test's own EXIT trap passes its
# status: `(exit $rc)` would end the trap there under set -e.
kt_cleanup() {
    local rc=${1:-$?}
    # A clean stop (TERM) so that sanitizer and leak reports are written;
    # KILL whatever has not stopped within 5 s.
    for id in "${!KT_PID[@]}"; do kill -TERM "${KT_PID[$id]}" 2>/dev/null || true; done
    for id in "${!KT_PID[@]}"; do
        local n=0
        while kill -0 "${KT_PID[$id]}" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.05; n=$((n + 1)); done
        kill -KILL "${KT_PID[$id]}" 2>/dev/null || true
        wait "${KT_PID[$id]}" 2>/dev/null || true
    done
    if grep -lE "ERROR: (Address|Leak)Sanitizer|runtime error:|definitely lost: [1-9]|ERROR SUMMARY: [1-9]" \
            "$T"/*.log 2>/dev/null; then
        echo "FAIL: a daemon reported a sanitizer or valgrind error (log above)" >&2
        [ $rc -ne 0 ] || rc=1
    fi
    # Every receipt a member got must bind its message to the log: no
    # witness alarm, no receipt without its entry or whose header the
    # member no longer knows.  A test that makes the uitvoerder's log go
    # back on purpose (KT_LOG_ALARM_OK=1) still gets no other alarm.
    local expected='went back|two different trees|not in checkpoint|does not verify|not consistent'
    if grep -hE 'log alarm|log unproven .*reason="(no log entry|header not known)"' "$T"/*.log 2>/dev/null |
            { if [ -n "${KT_LOG_ALARM_OK:-}" ]; then grep -vE "$expected"; else cat; fi; } | grep .; then
        echo "FAIL: a member's witness raised an alarm or could not bind a receipt to its message (above)" >&2
        [ $rc -ne 0 ] || rc=1
    fi
    if [ $rc -ne 0 ]; then
        echo "--- test failed (rc=$rc); daemon logs:" >&2
        for f in "$T"/*.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 30 "$f" >&2; }; done
    fi
    rm -rf "$T"
    exit $rc
}
trap kt_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

# wait_until TIMEOUT_S COMMAND...: poll until COMMAND succeeds, or fail.
# Every 50 ms for the first 2 s, then every 250 ms: most conditions run
# keten and jq, and a wait of a minute polled at 20 a second took the
# CPU the daemons under test needed (the suite runs two tests at once on
# two cores).
wait_until() {
    local timeout=$1; shift
    local deadline=$((SECONDS + timeout)) n=0
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        if [ $n -lt 40 ]; then sleep 0.05; n=$((n + 1)); else sleep 0.25; fi
    done
}

# kt_keys ID KIND: generate a node's keys into $T/keys.
kt_keys() {
    "$KETEN" keygen --id "$1" --kind "$2" --out "$T/keys" > "$T/keygen-$1.out"
    if [ "$2" = uitvoerder ]; then
        UITV_KEY=$(grep -Eo "$1\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+" "$T/keygen-$1.out" | head -n1)
        [ -n "$UITV_KEY" ] || fail "keygen printed no verifier key for $1"
    fi
}

# kt_roster VERSION OUT ID...: a signed roster of the given members.
kt_roster() {
    local version=$1 out=$2; shift 2
    local pubs=()
    for id in "$@"; do pubs+=("$T/keys/$id.pub"); done
    "$KETEN" roster build --federation "$FED" --version "$version" \
        --signer "$T/keys/$UITV.secret" --referentiekader "$KT_REFERENTIEKADER" \
        --out "$out" "${pubs[@]}" > /dev/null
}

# Every right of the local API goes to the group of the user running the
# test (docs/API.md, "Who may do what"); a test of a refusal narrows it.
KT_GROUP=${KT_GROUP:-$(id -gn)}

# KT_WEEGPLOEG: lines of the uitvoerder's weegploeg section, written by
# kt_config so that they hold from its first start (set by
# kt_referentiekader).  KT_HEARTBEAT_TIMEOUT_MS: every node's
# heartbeat-timeout-ms (2000 unless a test sets it before kt_config).
KT_WEEGPLOEG=()

# kt_referentiekader [LINE...]: the uitvoerder weighs by $KT_REFERENTIEKADER
# (the example unless the test set another) from its first start; each
# LINE (e.g. "review-days = 30") goes into the same weegploeg section.
# Call it before kt_federation, kt_uitvoerder_up or kt_config "$UITV".
kt_referentiekader() {
    KT_WEEGPLOEG=("referentiekader = \"$KT_REFERENTIEKADER\"" "$@")
}

# kt_config ID [ROSTER]: write $T/ID.cfg; the uitvoerder binds port $PORT
# (or "*" before it is known), partners connect to $PORT.
kt_config() {
    local id=$1 roster=${2:-${KT_ROSTER:-$T/roster.txt}} transport
    if [ "$id" = "$UITV" ]; then
        transport="    bind = tcp://127.0.0.1:${PORT:-*}"
    else
        transport="    connect = tcp://127.0.0.1:${PORT:?uitvoerder port unknown}"
    fi
    cat > "$T/$id.cfg" <<CFG
node
    id = $id
    key-file = "$T/keys/$id.secret"
    state-dir = "$T/state-$id"
    socket = "$T/$id.sock"
    roster = "$roster"
    uitvoerder-key = "$UITV_KEY"
    log-level = info
    test-federation = $KT_TEST_FEDERATION
transport
$transport
    heartbeat-ms = 200
    heartbeat-timeout-ms = ${KT_HEARTBEAT_TIMEOUT_MS:-2000}
delivery
    retry-min-ms = 300
    retry-max-ms = 2000
access
    read-group = $KT_GROUP
    submit-group = $KT_GROUP
    weegploeg-group = $KT_GROUP
    disclosure-group = $KT_GROUP
    rights-group = $KT_GROUP
    audit-group = $KT_GROUP
    admin-group = $KT_GROUP
CFG
    if [ "$id" = "$UITV" ] && [ ${#KT_WEEGPLOEG[@]} -gt 0 ]; then
        printf 'weegploeg\n' >> "$T/$id.cfg"
        printf '    %s\n' "${KT_WEEGPLOEG[@]}" >> "$T/$id.cfg"
    fi
}

kt() { local id=$1; shift; "$KETEN" --socket "$T/$id.sock" "$@"; }
# sqlite3 on a running daemon's files waits for its locks, up to 10 s, as
# the daemon itself would: the shell's own default is not to wait at all,
# so a test's read during the daemon's checkpoint, or its write during
# one of the daemon's commits, failed at once with "database is locked"
# on a busy machine (read as an empty count, or a change not made).
sqlite3() { command sqlite3 -cmd ".timeout 10000" "$@"; }
# relay_settled [RECIPIENT]: every copy the uitvoerder relays has its receipt
# (RECIPIENT's excepted: a member that can no longer take them).
relay_settled() {
    [ "$(sqlite3 "$T/state-$UITV/node.db" \
        "SELECT count(*) FROM relay WHERE state=0 AND recipient<>'${1:-}'")" = 0 ]
}
# one_of_days WANT_BEFORE WANT_AFTER GOT: GOT is a day computed before or
# after a command that may have run across midnight UTC.
one_of_days() { [ "$3" = "$1" ] || [ "$3" = "$2" ]; }

# kt_launch ID: start ketend for ID and wait until its API answers (or it exits).
kt_launch() {
    local id=$1
    # KETEN_WRAP runs the daemon under a tool, e.g.
    #   KETEN_WRAP="valgrind --error-exitcode=9 --leak-check=full"
    # shellcheck disable=SC2086
    ${KETEN_WRAP:-} "$KETEND" --config "$T/$id.cfg" >> "$T/$id.log" 2>&1 &
    KT_PID[$id]=$!
    # A daemon under a tool (valgrind: a start of several seconds, more
    # on a busy machine) gets longer to come up.
    local deadline=$((SECONDS + ${KETEN_WRAP:+100} + 20))
    until kt "$id" status > /dev/null 2>&1; do
        if ! kill -0 "${KT_PID[$id]}" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
            kill -KILL "${KT_PID[$id]}" 2>/dev/null || true
            wait "${KT_PID[$id]}" 2>/dev/null || true
            unset "KT_PID[$id]"
            return 1
        fi
        sleep 0.05
    done
}

# kt_start ID: start ketend for ID.  The uitvoerder's port is chosen once,
# below the kernel's ephemeral range so that no outgoing connection takes
# it while the uitvoerder is down, and kept for its restarts.
kt_start() {
    local id=$1
    if [ "$id" = "$UITV" ] && [ -z "${PORT:-}" ]; then
        local lo tries=0
        lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)
        while [ $tries -lt 30 ]; do
            tries=$((tries + 1))
            PORT=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
            kt_config "$id"
            kt_launch "$id" && return 0
            grep -q "Address already in use" "$T/$id.log" || break
        done
        fail "ketend $id did not come up"
    fi
    kt_launch "$id" || fail "ketend $id did not come up"
}

kt_kill() {  # kt_kill ID [SIGNAL]
    local id=$1 sig=${2:-TERM}
    kill -"$sig" "${KT_PID[$id]}" 2>/dev/null || true
    wait "${KT_PID[$id]}" 2>/dev/null || true
    unset "KT_PID[$id]"
}

# kt_clock_wrap OFFSET: a KETEN_WRAP that runs a daemon with its clock
# moved by OFFSET (libfaketime's FAKETIME, e.g. +15d; Debian package
# faketime).  The library is preloaded by env, which execs the daemon, so
# KT_PID holds the daemon itself (the faketime command forks and waits).
# ASan must come first otherwise; here it need not.
# The library is libfaketimeMT, the one for threaded programs: ketend's
# threads (libzmq's, the commit thread's) read the clock too, and plain
# libfaketime parses its offset without a lock, so a reading made while
# another thread parses gets the real time - at every reading where the
# offset is read from a file without a cache (kt_clock_file_wrap), which
# made a clock moved an hour on go back to now for a moment.
kt_faketime_lib() {
    local lib
    lib=$(find /usr/lib /usr/lib64 /usr/local/lib -name libfaketimeMT.so.1 2> /dev/null | head -n1)
    [ -n "$lib" ] || fail "libfaketimeMT.so.1 not found: install the Debian package faketime"
    echo "$lib"
}
kt_clock_wrap() {
    local lib
    lib=$(kt_faketime_lib)
    echo "env LD_PRELOAD=$lib FAKETIME=$1 ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ${KETEN_WRAP:-}"
}
# kt_clock_file_wrap ID: a KETEN_WRAP whose wall clock offset libfaketime
# reads from $T/ID.clock at every reading (written "+0" here; write
# another offset, e.g. -60, to step the clock of the running daemon),
# the monotonic clock left alone, as NTP steps a clock.
kt_clock_file_wrap() {
    local lib
    lib=$(kt_faketime_lib)
    echo "+0" > "$T/$1.clock"
    echo "env LD_PRELOAD=$lib FAKETIME_TIMESTAMP_FILE=$T/$1.clock FAKETIME_NO_CACHE=1" \
        "FAKETIME_DONT_FAKE_MONOTONIC=1" \
        "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ${KETEN_WRAP:-}"
}

# kt_need_faultfs: the test's fault library (tests/tools/faultfs.c) is
# built, or the test fails here.  kt_fault_wrap VAR=VALUE...: a
# KETEN_WRAP that runs a daemon under it, with those KETEN_FAULT_*
# settings (faultfs.c says which).  Preloaded by env, as kt_clock_wrap.
KT_FAULTFS="$KETEN_BIN/libketen_faultfs.so"
kt_need_faultfs() {
    [ -f "$KT_FAULTFS" ] || fail "$KT_FAULTFS not built"
}
kt_fault_wrap() {
    echo "env LD_PRELOAD=$KT_FAULTFS $* ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 ${KETEN_WRAP:-}"
}

# kt_restart_all_at OFFSET ID...: stop the daemons ID... (the uitvoerder
# first of them) and start them again with every clock moved by OFFSET
# ("" for the real clock): time moves for the whole federation at once.
kt_restart_all_at() {
    local offset=$1 wrap="${KETEN_WRAP:-}"; shift
    for id in "$@"; do kt_kill "$id"; done
    [ -z "$offset" ] || wrap=$(kt_clock_wrap "$offset")
    for id in "$@"; do KETEN_WRAP="$wrap" kt_start "$id"; done
}

# kt_restart_skewed ID OFFSET PEER: stop ID alone, start it again with its
# clock moved by OFFSET (kt_clock_wrap) and wait until its journal says
# that its clock and PEER's disagree (the test fails otherwise).  KT_AT:
# the lines its journal had before the restart, for what it says since.
kt_said_disagrees() { tail -n +"$((KT_AT + 1))" "$T/$1.log" | grep -q "clock disagrees peer=$2"; }
kt_restart_skewed() {
    local id=$1 offset=$2 peer=$3
    kt_kill "$id"
    KT_AT=$(wc -l < "$T/$id.log")
    KETEN_WRAP=$(kt_clock_wrap "$offset") kt_start "$id"
    wait_until 20 kt_said_disagrees "$id" "$peer" ||
        fail "$id did not say that its clock and $peer's disagree"
}

jfield() { kt "$1" status --json | jq -r "$2"; }
# kt_clock_confirmed ID: ID's clock counts as confirmed, for the steps
# that wait for it (keten retention run).  Not before a heartbeat timeout
# after its start (docs/RETENTION.md, "A clock the federation confirms"):
# wait_until 20 kt_clock_confirmed ID.
kt_clock_confirmed() { [ "$(jfield "$1" .clock.confirmed)" = true ]; }
# metrics_on ID: serve metrics on a loopback port the kernel picks.
metrics_on() {
    printf 'metrics\n    listen = 127.0.0.1:*\n' >> "$T/$1.cfg"
}

# http_get HOST:PORT REQUEST-LINE: the whole answer (bash /dev/tcp, no curl).
http_get() {
    local host=${1%:*} port=${1##*:}
    timeout 10 bash -c 'exec 3<>"/dev/tcp/$0/$1" || exit 1
                        printf "%s\r\nHost: %s\r\n\r\n" "$2" "$0" >&3
                        cat <&3' "$host" "$port" "$2"
}
link_up() { [ "$(jfield "$1" .link.up)" = true ]; }

# kt_delivered NODE FILE: NODE submits the signal in FILE and waits for
# its receipt; its message id in KT_ID (the test fails otherwise).
kt_delivered() {
    local out
    out=$(kt "$1" signal submit --file "$2" --wait 2>&1) || fail "submit at $1 failed: $out"
    grep -q "delivered" <<< "$out" || fail "submit --wait did not report delivery: $out"
    KT_ID=$(grep -Eo '[0-9a-f]{32}' <<< "$out" | head -n1)
}

# kt_case_of MESSAGE_ID: the case_ref the uitvoerder gave that signal
# (empty when it has none).
kt_case_of() {
    kt "$UITV" signal list --json | jq -r --arg id "$1" '.signals[] | select(.message_id==$id) | .case_ref'
}

# A fictional signal (no real person) as the police would submit it.
kt_signal_file() {  # kt_signal_file PATH [LOCAL_REF]
    cat > "$1" <<JSON
{ "subject": { "name": "Test Persoon", "birth_date": "2001-04-12",
               "address": "Teststraat 1, 6211 AA", "municipality": "Maastricht" },
  "description": "Fictional test signal.",
  "category": "uitingen",
  "observed_on": "2026-11-01",
  "melder": { "name": "Agent Test", "contact": "test@politie.invalid" },
  "source": { "kind": "eigen" },
  "wpg_basis": "art-8-13",
  "legal_basis": "wpg-16",
  "local_ref": "${2:-T-1}" }
JSON
}

# kt_spool_federation [LINE...]: an uitvoerder and a police node that
# forwards what is dropped in $SPOOL (polled every 100 ms, in the name of
# representative "Vertegenwoordiger Test"), each LINE added to its intake
# section; both running and linked.  ketend keeps its work/, done/ and
# rejected/ in $SPOOL_STATE, beside the spool (intake/spool-state-dir's
# default).
kt_spool_federation() {
    kt_uitvoerder_up
    SPOOL="$T/spool"
    SPOOL_STATE="$T/spool.state"
    mkdir "$SPOOL"
    kt_config politie-test
    {
        printf 'intake\n    spool-dir = "%s"\n    spool-poll-ms = 100\n' "$SPOOL"
        printf '    representative = "Vertegenwoordiger Test"\n'
        local line
        for line in "$@"; do printf '    %s\n' "$line"; done
    } >> "$T/politie-test.cfg"
    kt_start politie-test
    wait_until 10 link_up politie-test || fail "no link"
}

# kt_uitvoerder_up [ID:KIND...]: keys for the uitvoerder, politie-test and
# each extra member, roster version 1 of them all, and the uitvoerder
# configured and running (PORT set): what every federation here starts
# from.  KT_MEMBERS holds the members' ids.
kt_uitvoerder_up() {
    kt_keys "$UITV" uitvoerder
    kt_keys politie-test politie
    KT_MEMBERS=(politie-test)
    local spec
    for spec in "$@"; do kt_keys "${spec%%:*}" "${spec##*:}"; KT_MEMBERS+=("${spec%%:*}"); done
    kt_roster 1 "$T/roster.txt" "$UITV" "${KT_MEMBERS[@]}"
    PORT=
    kt_config "$UITV"
    kt_start "$UITV"
}

# kt_member_flood MEMBER MODE COUNT [ARG]: a hostile member.  MEMBER's
# own keys drive keten-member-flood (tests/tools/member_flood.c) against
# the running uitvoerder; MEMBER's ketend should not run.  Prints the
# driver's summary line.
kt_member_flood() {
    local m=$1 transport
    shift
    transport=$(awk '/transport-public/ {print $3}' "$T/keys/$UITV.pub")
    "$KETEN_BIN/tests/keten-member-flood" "$T/keys/$m.secret" "$T/roster.txt" "$UITV_KEY" \
        "$UITV" "$transport" "tcp://127.0.0.1:$PORT" "$@"
}

# kt_member_pinger MEMBER [STALL_MS [LIMIT_S]]: a hostile member that
# speaks ZMTP itself (tests/tools/zmtp_pinger.c): MEMBER's own keys, a
# PING after each of its messages until the uitvoerder stops reading
# them, then a TCP reset.  MEMBER's ketend should not run.  Prints the
# tool's summary line; its exit status is the tool's.
kt_member_pinger() {
    local m=$1 transport
    shift
    transport=$(awk '/transport-public/ {print $3}' "$T/keys/$UITV.pub")
    "$KETEN_BIN/tests/keten-zmtp-pinger" "$T/keys/$m.secret" "$T/roster.txt" "$UITV_KEY" \
        "$UITV" "$transport" 127.0.0.1 "$PORT" "$@"
}

# Two-node federation (uitvoerder + politie), both running.
kt_federation() {
    kt_uitvoerder_up "$@"
    local id
    for id in "${KT_MEMBERS[@]}"; do kt_config "$id"; kt_start "$id"; done
}

# lock_db FILE / unlock_db: another process holds FILE's write lock, so the
# daemon's next write to it fails (after its 250 ms busy timeout) as a crash
# at that point would leave things. The holder waits out a write the daemon
# is making at that moment, and says "locked" only once the lock is its own.
lock_db() {
    mkfifo "$T/lock.fifo"
    sqlite3 -bail "$1" < "$T/lock.fifo" > "$T/lock.out" 2>&1 &
    LOCK_PID=$!
    exec 3> "$T/lock.fifo"
    printf '.timeout 20000\nBEGIN IMMEDIATE;\nSELECT '"'locked'"';\n' >&3
    have_lock() { grep -qx locked "$T/lock.out"; }
    wait_until 25 have_lock || fail "cannot lock $1: $(cat "$T/lock.out")"
}
unlock_db() { echo "ROLLBACK;" >&3; exec 3>&-; wait "$LOCK_PID"; rm -f "$T/lock.fifo"; }

# kt_burst ID N FILE: N submissions of the signal in FILE (each waiting
# for its receipt) written to ID's socket in one send, so that they
# arrive in one read and are stored in one group commit, sent while its
# log is synced beside the loop (partner_flush).  One line per answer, in the order they
# come: "delivered ID", "queued ID" or "error TEXT"; fewer lines when the
# node closes the connection first.  With KT_BURST_SENT set, that file is
# made once all of them are sent.
kt_burst() {
    python3 - "$T/$1.sock" "$2" "$3" <<'PY'
import json, os, socket, struct, sys
path, n, signal = sys.argv[1], int(sys.argv[2]), json.load(open(sys.argv[3]))
frames = b""
for i in range(n):
    body = json.dumps({"id": i, "cmd": "signal.submit", "args": {"signal": signal, "wait": True}}).encode()
    frames += struct.pack(">I", len(body)) + body
s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
s.connect(path)
s.sendall(frames)
if os.environ.get("KT_BURST_SENT"):
    open(os.environ["KT_BURST_SENT"], "w").close()
buf, got = b"", 0
while got < n:
    try:
        chunk = s.recv(65536)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
    while len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">I", buf[:4])[0]:
        size = struct.unpack(">I", buf[:4])[0]
        a = json.loads(buf[4:4 + size])
        buf = buf[4 + size:]
        got += 1
        if "error" in a:
            print("error", a["error"])
        else:
            print(a["result"]["state"], a["result"]["message_id"])
PY
}

# kt_binary ID SPEC.json: a binary submission (docs/API.md) to ID's socket: send the submission SPEC describes, print the
# answer as JSON.  SPEC: {"id", "wait", "signals": [signal JSON, with
# "_extra": [[field, "hex bytes of a whole extra field"]] and
# "_representative"], "raw": "hex of a whole ApiSubmit instead",
# "then_json": true (then a JSON status request on the same connection)}.
kt_binary() {
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
kt_binary_spec() {  # kt_binary_spec FILE JQ-FILTER: a SPEC of the signal in $T/s.json ($s[0])
    jq -n --slurpfile s "$T/s.json" "$2" > "$1"
}
