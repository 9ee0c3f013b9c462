#!/usr/bin/env bash
# keten restore on hostile and damaged input, and on a disk that fills up
# (docs/OPERATIONS.md, "What a restore does").
#
# - A restore cut off half-way (its staging directory left) makes ketend
#   refuse to start "until the restore is run again": run again, it
#   succeeds and ketend starts.
# - A disk that fails a write or a rename (ENOSPC, once, at each of the
#   restore's writes in turn): the restore fails with a reason, and the
#   node's files are as they were, nothing left beside them.
# - A backup truncated, one whose file is a symbolic link, one the node's
#   user cannot read (restore as root switches to it), one of a newer
#   release, one whose file is no database: refused with a
#   reason that names the problem; nothing changed.
source "$(dirname "$0")/lib.sh"
kt_need_faultfs
kt_referentiekader
kt_federation
wait_until 10 link_up politie-test || fail "no link"
kt_signal_file "$T/s.json" R-1
kt_delivered politie-test "$T/s.json"
P="$T/state-politie-test"
mkdir "$T/bk"
kt politie-test backup "$T/bk/p0" > /dev/null || fail "backup"
B="$T/bk/p0"
kt_kill politie-test
restore() { "$KETEN" -c "$T/politie-test.cfg" restore "$@"; }
# The node's files and the directories beside them.
state() { (cd "$P" && sha256sum ./*.db && find . -mindepth 1 -maxdepth 1 -type d | sort); }

# ---- a restore cut off half-way, run again ----------------------------------
# As a restore killed after its first step leaves it: the staging
# directory with a copy of the backup's file.
mkdir "$P/restore-incoming-1"
cp "$B/node.db" "$P/restore-incoming-1/"
rc=0; "$KETEND" --config "$T/politie-test.cfg" > "$T/cut.log" 2>&1 || rc=$?
[ $rc = 78 ] && grep -q "run keten -c CONFIG restore DIR again" "$T/cut.log" \
    || fail "ketend on a half restore (rc $rc): $(cat "$T/cut.log")"
out=$(restore "$B" 2>&1) || fail "the restore run again failed: $out"
[ ! -e "$P/restore-incoming-1" ] || fail "the restore run again left the cut-off staging directory: $(ls -R "$P/restore-incoming-1")"
kt_start politie-test
kt_kill politie-test
pass "a restore cut off half-way and run again: ketend starts"

# ---- a disk that fails once, at each write in turn ---------------------------
ARM="$T/arm"; touch "$ARM"
faulty() {  # faulty AT: restore with the AT-th write or rename failing (ENOSPC)
    env LD_PRELOAD="$KT_FAULTFS" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        KETEN_FAULT_ARM="$ARM" KETEN_FAULT_AT="$1" KETEN_FAULT_ERRNO=ENOSPC \
        KETEN_FAULT_COUNT="$T/count" "$KETEN" -c "$T/politie-test.cfg" restore "$B"
}
faulty 0 > /dev/null 2>&1 || fail "a restore counting its writes failed"
n=$(($(cat "$T/count")))
[ "$n" -gt 5 ] || fail "the check cannot fail: the restore made $n writes"
for ((at = 1; at <= n; at++)); do
    before=$(state)
    out=$(faulty "$at" 2>&1) && { before=$(state); continue; } # a write whose failure is healed
    grep -q "^keten: " <<< "$out" || fail "write $at of $n failed without a reason: $out"
    [ "$before" = "$(state)" ] || fail "write $at of $n failed and the node's files changed: $out
before:
$before
after:
$(state)"
done
kt_start politie-test
kt_kill politie-test
pass "a disk that fails any one of the restore's $n writes: refused with a reason, the node's files as they were"

# ---- damaged, linked, unreadable backups -------------------------------------
before=$(state)
refused() {  # refused WHAT DIR TEXT
    local out
    out=$(restore "$2" 2>&1) && fail "restore of $1: $out"
    grep -qF "$3" <<< "$out" || fail "refusal of $1 unclear (want '$3'): $out"
    [ "$before" = "$(state)" ] || fail "a refused restore of $1 changed the node's files"
}
cp -r "$B" "$T/bk/short"
truncate -s 4096 "$T/bk/short/node.db"
refused "a truncated backup" "$T/bk/short" "node.db does not match the manifest"
head -c 100 "$B/MANIFEST.json" > "$T/bk/short/MANIFEST.json"
refused "a truncated manifest" "$T/bk/short" "is not a keten backup manifest"
cp -r "$B" "$T/bk/link"
rm "$T/bk/link/keystore.db"
ln -s "$B/keystore.db" "$T/bk/link/keystore.db"
refused "a backup with a linked file" "$T/bk/link" "keystore.db is a symbolic link"
# A manifest made to match: what it names is checked as a database of
# this release before anything moves (ketend would refuse to start on it,
# exit 78, with the node's own files set aside).
remanifest() {  # remanifest DIR FILE
    local sum size
    sum=$(sha256sum "$1/$2" | cut -d' ' -f1); size=$(stat -c %s "$1/$2")
    jq --arg f "$2" --arg s "$sum" --argjson n "$size" \
        '(.files[] | select(.name==$f)) |= (.sha256=$s | .bytes=$n) | .software_version="9.9.9"' \
        "$1/MANIFEST.json" > "$1/m" && mv "$1/m" "$1/MANIFEST.json"
}
cp -r "$B" "$T/bk/newer"
sqlite3 "$T/bk/newer/node.db" "UPDATE schema_version SET version=version+1 WHERE module='access'"
remanifest "$T/bk/newer" node.db
refused "a newer release's backup" "$T/bk/newer" "was taken by a newer release (9.9.9"
cp -r "$B" "$T/bk/nodb"
head -c 20000 /dev/urandom > "$T/bk/nodb/keystore.db"
remanifest "$T/bk/nodb" keystore.db
refused "a file that is no database" "$T/bk/nodb" "keystore.db"
if [ "$(id -u)" = 0 ]; then
    # The node's user cannot read a backup root copied back as root.
    # (It can reach the state directory and $T/bk, as a real node's user
    # reaches its own and /var/backups.)
    chmod 0711 "$T"; chmod 0755 "$T/bk"
    chown -R nobody "$P"
    before=$(state)
    cp -r "$B" "$T/bk/root"
    chmod 0700 "$T/bk/root"
    refused "a backup the node's user cannot read" "$T/bk/root" \
        "the state directory's owner (uid $(id -u nobody)) cannot read $T/bk/root"
    chown -R root "$P"; chmod 0700 "$T"
fi
pass "a truncated, linked, unreadable, newer-release or non-database backup refused with a reason; nothing changed"

# Nothing of the subject in what the nodes and the restores said.
grep -q "backup written" "$T/politie-test.log" || fail "the check cannot fail: politie's journal is not there"
for f in "$T"/*.log "$T"/*.out; do
    [ -e "$f" ] || continue
    ! grep -qE "Test Persoon|Teststraat|2001-04-12" "$f" || fail "personal data in $f"
done
pass "no personal data in the journals of a backup and its restores"
