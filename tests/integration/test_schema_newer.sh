#!/usr/bin/env bash
# A downgrade: a state directory a newer release migrated (here one
# module's schema version raised by one, as the upgrade hunt found after
# running an older ketend on a migrated state) is a configuration
# refusal, not a crash to restart from: ketend --check finds it (reading
# the files only) and names the file, the module, its version and the way
# back; a start exits 78 (RestartPreventExitStatus) before it binds any
# port or opens any file to write (docs/OPERATIONS.md, "Exit status").
source "$(dirname "$0")/lib.sh"
kt_referentiekader
kt_uitvoerder_up
kt_kill "$UITV"
S="$T/state-$UITV"
V=$(sqlite3 "$S/weegploeg.db" "SELECT version FROM schema_version WHERE module='correction'")
[ -n "$V" ] || fail "weegploeg.db holds no schema version of the correction module"
NEWER=$((V + 1))
sqlite3 "$S/weegploeg.db" "UPDATE schema_version SET version=$NEWER WHERE module='correction'"
# A stray file that is no database is not this check's to refuse.
echo "not a database" > "$S/stray.db"
sum() { sha256sum "$S"/*.db | sha256sum; }
before=$(sum)

# Without a copy taken before a migration: a backup is the way back.
rc=0; "$KETEND" --config "$T/$UITV.cfg" --check > "$T/check.out" 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "--check on a newer schema: exit $rc, want 78: $(cat "$T/check.out")"
grep -q "^ok:" "$T/check.out" && fail "--check said ok: $(cat "$T/check.out")"
grep -q "$S/weegploeg.db: correction tables have schema version $NEWER, newer than this ketend knows ($V)" \
    "$T/check.out" || fail "--check did not name the file and the version: $(cat "$T/check.out")"
grep -q "keten restore a backup taken before the upgrade" "$T/check.out" ||
    fail "--check did not say the way back: $(cat "$T/check.out")"
pass "--check refuses a newer schema: $(cat "$T/check.out")"

# With copies: the newest is named, with the restore that brings it back.
mkdir "$S/pre-migration-1000" "$S/pre-migration-2000"
rc=0; "$KETEND" --config "$T/$UITV.cfg" --check > "$T/check.out" 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "--check with a copy: exit $rc, want 78"
grep -q "keten restore $S/pre-migration-2000" "$T/check.out" ||
    fail "--check did not name the newest copy: $(cat "$T/check.out")"

# The start: 78, before the transport is bound.
rc=0; timeout 20 "$KETEND" --config "$T/$UITV.cfg" > "$T/start.out" 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "start on a newer schema: exit $rc, want 78: $(cat "$T/start.out")"
grep -q "correction tables have schema version $NEWER" "$T/start.out" ||
    fail "the start did not say why: $(cat "$T/start.out")"
grep -q "keten restore $S/pre-migration-2000" "$T/start.out" ||
    fail "the start did not name the copy: $(cat "$T/start.out")"
grep -q "listening\|node started" "$T/start.out" && fail "the start bound its port first: $(cat "$T/start.out")"
[ "$(sum)" = "$before" ] || fail "--check or the refused start changed a database file"
[ "$(sqlite3 "$S/weegploeg.db" "SELECT version FROM schema_version WHERE module='correction'")" = $NEWER ] ||
    fail "the schema version was changed"
pass "a start on a newer schema exits 78 before it binds anything"

# The version this ketend knows again: --check passes, the stray file aside.
sqlite3 "$S/weegploeg.db" "UPDATE schema_version SET version=$V WHERE module='correction'"
"$KETEND" --config "$T/$UITV.cfg" --check > "$T/check.out" 2>&1 || fail "--check: $(cat "$T/check.out")"
grep -q "^ok:" "$T/check.out" || fail "--check said no ok: $(cat "$T/check.out")"
pass "the known schema passes --check"
