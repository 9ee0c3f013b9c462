#!/usr/bin/env bash
# ketend's exit status tells systemd whether a restart can help
# (docs/OPERATIONS.md, "Exit status"): 78 (EX_CONFIG) for what the operator
# must fix - the config, the key file, the roster, the membership, the
# role's settings - before any store is opened; 1 for what may pass (here:
# the port taken by another process).  ketend --check exits 78 on the same.
source "$(dirname "$0")/lib.sh"
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_keys gemeente-test gemeente
kt_roster 1 "$T/roster.txt" "$UITV" politie-test
PORT=

# expect_exit WANT ID WHAT [--check]: run ketend on $T/ID.cfg, which must
# exit with status WANT (within 20 s) and, for 78, leave no state behind.
expect_exit() {
    local want=$1 id=$2 what=$3 rc=0
    shift 3
    rm -rf "$T/state-$id"
    timeout 20 "$KETEND" --config "$T/$id.cfg" "$@" > "$T/$id.out" 2>&1 || rc=$?
    [ "$rc" = "$want" ] || fail "$what${1:+ ($1)}: exit $rc, want $want: $(cat "$T/$id.out")"
    if [ "$want" = 78 ] && [ -e "$T/state-$id" ]; then
        fail "$what${1:+ ($1)}: exit 78 but state-dir was created"
    fi
    pass "$what${1:+ ($1)}: exit $rc: $(head -c 200 "$T/$id.out")"
}
both() {  # both WANT ID WHAT: a start and --check
    expect_exit "$1" "$2" "$3"
    expect_exit "$1" "$2" "$3" --check
}

# A good config first: --check says ok and exits 0.
PORT=1   # any port: --check binds nothing; kt_start picks the real one below
kt_config "$UITV"
expect_exit 0 "$UITV" "good config" --check
grep -q "^ok: $UITV" "$T/$UITV.out" || fail "--check printed no ok line"

# A config that does not parse, and one that lacks node/id.
printf 'node\n    id = %s\n  key-file = "x"\n\tbroken\n' "$UITV" > "$T/broken.cfg"
cp "$T/broken.cfg" "$T/$UITV.cfg"
both 78 "$UITV" "config that does not parse"
kt_config "$UITV"
sed -i '/^    id = /d' "$T/$UITV.cfg"
both 78 "$UITV" "config without node/id"
expect_exit 78 nonexistent "config file missing"

# The key file: missing, readable by others, another node's.
kt_config "$UITV"
sed -i "s|keys/$UITV.secret|keys/missing.secret|" "$T/$UITV.cfg"
both 78 "$UITV" "key file missing"
kt_config "$UITV"
chmod 0640 "$T/keys/$UITV.secret"
both 78 "$UITV" "key file readable by its group"
chmod 0600 "$T/keys/$UITV.secret"
sed -i "s|keys/$UITV.secret|keys/politie-test.secret|" "$T/$UITV.cfg"
both 78 "$UITV" "key file of another node"

# The roster: missing, signed by a key other than the pinned one.
kt_config "$UITV" "$T/missing-roster.txt"
both 78 "$UITV" "roster file missing"
mkdir "$T/other"
"$KETEN" keygen --id "$UITV" --kind uitvoerder --out "$T/other" > /dev/null
"$KETEN" roster build --federation "$FED" --version 1 --signer "$T/other/$UITV.secret" \
    --referentiekader "$KT_REFERENTIEKADER" \
    --out "$T/forged.txt" "$T/other/$UITV.pub" "$T/keys/politie-test.pub" > /dev/null
kt_config "$UITV" "$T/forged.txt"
both 78 "$UITV" "roster not signed by the pinned key"

# art. 7.3: a roster that puts the example referentiekader in force, at a
# node that is not a test federation.
kt_config "$UITV"
sed -i 's/^    test-federation = 1$/    test-federation = 0/' "$T/$UITV.cfg"
both 78 "$UITV" "example referentiekader without node/test-federation"
grep -q "node/test-federation = 1" "$T/$UITV.out" || fail "the refusal does not say how: $(cat "$T/$UITV.out")"

# This node is not in the roster.
kt_config gemeente-test
both 78 gemeente-test "node not in the roster"

# The role's own check (node_role_t.check): a partner that binds instead
# of connecting.
kt_config politie-test
sed -i 's|^    connect = |    bind = |' "$T/politie-test.cfg"
both 78 politie-test "partner without transport/connect"
grep -q "needs transport/connect" "$T/politie-test.out" || fail "not the role's check: $(cat "$T/politie-test.out")"

# The agenda section (docs/CONFIG.md): a missing ics-dir, one that is no
# directory or not ketend's user's to write, a missing hook or one others
# may rewrite - a configuration error, refused by --check and by a start
# before any file is made (a start that went on would exit 1 and be
# restarted for ever).
agenda() {  # agenda LINE...: politie-test's config with these agenda settings
    kt_config politie-test
    printf 'agenda\n' >> "$T/politie-test.cfg"
    printf '    %s\n' "$@" >> "$T/politie-test.cfg"
}
saying() {  # saying PATTERN WHAT: the last refusal's words
    grep -q "$1" "$T/politie-test.out" || fail "$2: the refusal does not say '$1': $(cat "$T/politie-test.out")"
}
agenda "ics-dir = \"$T/no-ics\""
both 78 politie-test "agenda/ics-dir missing"
saying "agenda/ics-dir $T/no-ics does not exist.*install -d -o keten -g keten-weegploeg -m 2750 $T/no-ics" "missing ics-dir"
touch "$T/ics-file"
agenda "ics-dir = \"$T/ics-file\""
both 78 politie-test "agenda/ics-dir not a directory"
saying "is not a directory" "ics-dir a file"
# Run as root, --check judges for ketend's user: node/state-dir's owner.
mkdir -m 0755 "$T/ics-root" "$T/state-politie-test"
chown nobody "$T/state-politie-test"
agenda "ics-dir = \"$T/ics-root\""
rc=0
"$KETEND" --config "$T/politie-test.cfg" --check > "$T/politie-test.out" 2>&1 || rc=$?
[ $rc = 78 ] || fail "--check passed an ics-dir ketend's user cannot write: exit $rc: $(cat "$T/politie-test.out")"
saying "agenda/ics-dir $T/ics-root is not writable by ketend's user (uid $(id -u nobody))" "ics-dir not writable"
pass "agenda/ics-dir not writable by ketend's user: --check exit 78: $(cat "$T/politie-test.out")"
rm -rf "$T/state-politie-test"
agenda "hook = \"$T/no-hook\""
both 78 politie-test "agenda/hook missing"
saying "agenda/hook $T/no-hook: No such file" "missing hook"
printf '#!/bin/sh\nexit 0\n' > "$T/hook"
chmod 0775 "$T/hook"
agenda "hook = \"$T/hook\""
both 78 politie-test "agenda/hook writable by its group"
saying "writable by group or others; chmod go-w" "group-writable hook"
chmod 0755 "$T/hook"
agenda "hook = \"$T/hook\"" "ics-dir = \"$T/ics-root\""
expect_exit 0 politie-test "a good agenda section" --check

# A police spool that does not exist: the setup's mistake, refused with the
# way out (docs/OPERATIONS.md), not a start that fails and is restarted.
kt_config politie-test
printf 'intake\n    spool-dir = "%s"\n    representative = "Iemand"\n' "$T/no-spool" >> "$T/politie-test.cfg"
both 78 politie-test "intake/spool-dir missing"
saying "intake/spool-dir $T/no-spool does not exist; make it, e.g. install -d -o keten -g keten -m 0770 $T/no-spool" "missing spool"

# The intake section is read only at a kernpartij's node (docs/CONFIG.md):
# at the uitvoerder it is refused, naming the key, not ignored.
kt_config "$UITV"
printf 'intake\n    spool-dir = "%s"\n    representative = "Iemand"\n' "$T" >> "$T/$UITV.cfg"
both 78 "$UITV" "an intake section at the uitvoerder"
grep -q "intake/spool-dir is set, but $UITV's role is uitvoerder.*remove it" "$T/$UITV.out" \
    || fail "the refusal does not name the key and why: $(cat "$T/$UITV.out")"
# A section that sets nothing (its lines commented out) changes nothing:
# a config that ran before is not refused for it.
kt_config "$UITV"
printf 'intake\n    # spool-dir = "/var/spool/keten"\n' >> "$T/$UITV.cfg"
expect_exit 0 "$UITV" "an intake section of comments only at the uitvoerder" --check
# The unset-rights note names the intake settings only where they guard
# something: release-group at the police, representative-group with a spool.
kt_config "$UITV"
expect_exit 0 "$UITV" "the uitvoerder's rights note" --check
if grep -q "intake/" "$T/$UITV.out"; then fail "the uitvoerder's --check notes intake settings: $(cat "$T/$UITV.out")"; fi
kt_config politie-test
expect_exit 0 politie-test "the police's rights note" --check
grep -q "note: not set.*intake/release-group" "$T/politie-test.out" || fail "no release-group note at the police: $(cat "$T/politie-test.out")"
if grep -q "intake/representative-group" "$T/politie-test.out"; then
    fail "--check notes representative-group at a police node without a spool: $(cat "$T/politie-test.out")"
fi
pass "the rights note names the intake settings only at the police"

# Transient: the uitvoerder's port is held by another process (a running
# uitvoerder); a second one with its own state and socket exits 1.
PORT=
kt_config "$UITV"
kt_start "$UITV"
sed -e "s|state-$UITV|state-second|" -e "s|$UITV.sock|second.sock|" \
    "$T/$UITV.cfg" > "$T/second.cfg"
rc=0
timeout 20 "$KETEND" --config "$T/second.cfg" > "$T/second.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "port in use: exit $rc, want 1: $(cat "$T/second.out")"
grep -qi "in use" "$T/second.out" || fail "port in use: unclear message: $(cat "$T/second.out")"
pass "port in use by another process: exit 1: $(head -c 200 "$T/second.out")"
kill -0 "${KT_PID[$UITV]}" || fail "the first uitvoerder died"
# --check binds nothing, so the same config is fine for it.
"$KETEND" --config "$T/second.cfg" --check > /dev/null || fail "--check refused a config whose port is in use"
pass "--check binds nothing"

# And systemd does not restart what exits 78.
: "${KETEN_SOURCE_DIR:?KETEN_SOURCE_DIR must point at the source tree}"
for unit in ketend.service ketend@.service; do
    grep -qx "RestartPreventExitStatus=78" "$KETEN_SOURCE_DIR/systemd/$unit" ||
        fail "systemd/$unit restarts a ketend that exited 78"
done
pass "both units: RestartPreventExitStatus=78"
# A clock set by NTP before the start (docs/OPERATIONS.md, "Clocks").
for unit in ketend.service ketend@.service; do
    grep -qx "After=time-sync.target" "$KETEN_SOURCE_DIR/systemd/$unit" ||
        fail "systemd/$unit starts before time-sync.target"
done
pass "both units: After=time-sync.target"
