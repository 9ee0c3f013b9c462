#!/usr/bin/env bash
# Every local API command needs its right, and a right is a Unix group
# (docs/API.md, "Who may do what"; art. 15.2c, 15.2e).  Real daemons run
# as root; the CLI runs as real non-root users this test makes, in and out
# of each group.  A refusal names the group, is recorded in the node's
# access table with the OS user, and changes nothing; an unset group
# refuses everyone; ketend --check warns about a group the host lacks.
# Making users needs root: without it the test is skipped (77).
[ "$(id -u)" = 0 ] || { echo "skip: needs root to create test users"; exit 77; }
command -v setpriv > /dev/null || { echo "skip: setpriv not installed"; exit 77; }
source "$(dirname "$0")/lib.sh"

# Unique names, removed again however the test ends.
P="kt$$"
G_SOCK=${P}s G_ADMIN=${P}adm G_READ=${P}rd G_AUDIT=${P}aud
U_NONE=${P}none U_ADMIN=${P}admin U_READ=${P}read U_AUDIT=${P}audit
s_cleanup() {
    local rc=$?
    for u in "$U_NONE" "$U_ADMIN" "$U_READ" "$U_AUDIT"; do userdel "$u" 2> /dev/null || true; done
    for g in "$G_SOCK" "$G_ADMIN" "$G_READ" "$G_AUDIT"; do groupdel "$g" 2> /dev/null || true; done
    kt_cleanup "$rc"
}
trap s_cleanup EXIT
for g in "$G_SOCK" "$G_ADMIN" "$G_READ" "$G_AUDIT"; do groupadd "$g"; done
# Each user's primary group is the socket's group; the right comes from a
# supplementary group, except U_AUDIT's, which is its primary group (both
# ways of holding a group are counted).
useradd -M -N -s /usr/sbin/nologin -g "$G_SOCK" "$U_NONE"
useradd -M -N -s /usr/sbin/nologin -g "$G_SOCK" -G "$G_ADMIN" "$U_ADMIN"
useradd -M -N -s /usr/sbin/nologin -g "$G_SOCK" -G "$G_READ" "$U_READ"
useradd -M -N -s /usr/sbin/nologin -g "$G_AUDIT" -G "$G_SOCK" "$U_AUDIT"

# as USER ID ARGS...: the CLI as USER (its own uid, gid and groups).
as() {
    local user=$1 id=$2; shift 2
    setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
        "$KETEN" --socket "$T/$id.sock" "$@"
}
# open_socket ID: the test users reach the socket through its group.
open_socket() { chmod 0711 "$T"; chgrp "$G_SOCK" "$T/$1.sock"; }

kt_federation gemeente-test:gemeente rvdk-test:rvdk
wait_until 10 link_up gemeente-test || fail "no gemeente link"
wait_until 10 link_up rvdk-test || fail "no rvdk link"

# The uitvoerder with the groups of this test: admin, read and audit each
# their own group, weegploeg-group the root's (nobody of the test users),
# and rights-group not set at all.
kt_kill "$UITV"
kt_config "$UITV"
sed -i -e "s/^    admin-group = .*/    admin-group = $G_ADMIN/" \
    -e "s/^    read-group = .*/    read-group = $G_READ/" \
    -e "s/^    audit-group = .*/    audit-group = $G_AUDIT/" \
    -e "/^    rights-group = /d" "$T/$UITV.cfg"
kt_start "$UITV"
open_socket "$UITV"
wait_until 10 link_up gemeente-test || fail "no gemeente link after the restart"

# ---- a user outside admin-group cannot change the roster -------------------
rv() { jfield "$UITV" .roster_version; }
[ "$(rv)" = 1 ] || fail "roster version is $(rv), not 1"
for u in "$U_NONE" "$U_READ" "$U_AUDIT"; do
    if out=$(as "$u" "$UITV" member revoke gemeente-test 2>&1); then
        fail "$u, outside $G_ADMIN, revoked a member: $out"
    fi
    grep -q "needs a caller in group $G_ADMIN (access/admin-group); user $u is not" <<< "$out" \
        || fail "the refusal does not name the group and the user: $out"
done
[ "$(rv)" = 1 ] || fail "a refused revoke changed the roster to version $(rv)"
[ "$(kt gemeente-test status --json | jq -r .expelled)" != true ] || fail "gemeente was expelled"
pass "member revoke refused to users outside $G_ADMIN; roster still version 1"

# ---- refusals are in the access table, with the OS user ---------------------
refusals() {
    as "$U_AUDIT" "$UITV" audit access --json |
        jq --arg u "$1" --arg w "$2" '[.access[] | select(.user==$u and .what==$w and .case_ref=="")] | length'
}
for u in "$U_NONE" "$U_READ" "$U_AUDIT"; do
    [ "$(refusals "$u" refused:roster.change)" = 1 ] || fail "$u's refused revoke is not recorded once"
done
uid=$(id -u "$U_NONE")
[ "$(sqlite3 "$T/state-$UITV/node.db" "SELECT count(*) FROM access WHERE uid=$uid AND user='$U_NONE' AND what='refused:roster.change'")" = 1 ] \
    || fail "the refusal is not in node.db's access table with uid $uid"
as "$U_AUDIT" "$UITV" audit access | grep -E "$U_NONE +$uid +refused:roster.change +-" > /dev/null \
    || fail "keten audit access does not show the refusal: $(as "$U_AUDIT" "$UITV" audit access)"
if out=$(as "$U_NONE" "$UITV" audit access 2>&1); then fail "$U_NONE read the access log: $out"; fi
grep -q "access/audit-group" <<< "$out" || fail "audit refusal does not name the setting: $out"
[ "$(refusals "$U_NONE" refused:audit.access)" = 1 ] || fail "the refused audit.access is not recorded"
pass "each refusal recorded with the OS user; keten audit access shows it; audit needs $G_AUDIT"

# ---- a user outside read-group cannot read, one in it can -------------------
kt_signal_file "$T/s.json"
kt politie-test signal submit --file "$T/s.json" --wait | grep -q delivered || fail "no delivery"
for what in "signal list" "case list"; do
    # shellcheck disable=SC2086
    if out=$(as "$U_NONE" "$UITV" $what 2>&1); then fail "$U_NONE ran $what: $out"; fi
    grep -q "group $G_READ (access/read-group)" <<< "$out" || fail "$what refusal unclear: $out"
    # shellcheck disable=SC2086
    if out=$(as "$U_ADMIN" "$UITV" $what 2>&1); then fail "$U_ADMIN (admin only) ran $what: $out"; fi
    # shellcheck disable=SC2086
    as "$U_READ" "$UITV" $what --json > "$T/read.json" || fail "$U_READ cannot run $what"
done
[ "$(as "$U_READ" "$UITV" signal list --json | jq '.signals | length')" = 1 ] \
    || fail "$U_READ does not see the signal"
[ "$(refusals "$U_NONE" refused:signal.list)" = 1 ] || fail "refused signal.list not recorded"
pass "signal list and case list: refused outside $G_READ, shown to a member of it"

# weegploeg-group is root's group here: the test users are all outside it.
A=$(as "$U_READ" "$UITV" signal list --json | jq -r '.signals[0].case_ref')
if out=$(as "$U_READ" "$UITV" weegploeg agenda --start 2026-12-14T10:00 --location Stadhuis --case "$A" 2>&1); then
    fail "$U_READ planned a weegploeg meeting: $out"
fi
grep -q "(access/weegploeg-group); user $U_READ is not" <<< "$out" || fail "agenda refusal unclear: $out"
pass "weegploeg agenda refused to a user outside weegploeg-group"

# ---- at a partner: submit-group and read-group ------------------------------
kt_kill gemeente-test
kt_config gemeente-test
sed -i -e "s/^    submit-group = .*/    submit-group = $G_ADMIN/" \
    -e "s/^    read-group = .*/    read-group = $G_READ/" "$T/gemeente-test.cfg"
kt_start gemeente-test
open_socket gemeente-test
if out=$(as "$U_READ" gemeente-test signal submit --file "$T/s.json" 2>&1); then
    fail "$U_READ, outside submit-group, submitted a signal: $out"
fi
grep -q "group $G_ADMIN (access/submit-group)" <<< "$out" || fail "submit refusal unclear: $out"
if out=$(as "$U_NONE" gemeente-test signal list 2>&1); then fail "$U_NONE listed the gemeente's signals"; fi
if kt gemeente-test signal list > /dev/null 2>&1; then fail "root, outside read-group, listed"; fi
as "$U_ADMIN" gemeente-test signal submit --file "$T/s.json" | grep -q queued \
    || fail "$U_ADMIN, in submit-group, could not submit"
[ "$(as "$U_READ" gemeente-test signal list --json | jq '.signals | length')" = 1 ] \
    || fail "$U_READ, in read-group, does not see the gemeente's signal"
[ "$(sqlite3 "$T/state-gemeente-test/node.db" "SELECT count(*) FROM access WHERE what='refused:signal.submit' AND user='$U_READ'")" = 1 ] \
    || fail "the gemeente did not record the refused submit"
pass "at a partner: submit and read each need their group; refusals recorded there"

# ---- an unset group refuses everyone, root too ------------------------------
for u in "$U_NONE" "$U_ADMIN" "$U_READ" "$U_AUDIT"; do
    if out=$(as "$u" "$UITV" review list 2>&1); then fail "$u ran review list with no rights-group: $out"; fi
    grep -q "access/rights-group is not set" <<< "$out" || fail "unset refusal unclear: $out"
done
if out=$(kt "$UITV" review list 2>&1); then fail "root ran review list with no rights-group: $out"; fi
pass "review list refused to everyone while access/rights-group is not set"

# ---- the casuspartij's refused signal is recorded at its own node -----------
if out=$(kt rvdk-test signal submit --file "$T/s.json" 2>&1); then fail "rvdk submitted: $out"; fi
grep -q "art. 7.1" <<< "$out" || fail "rvdk refusal does not cite art. 7.1: $out"
[ "$(kt rvdk-test audit access --json | jq --arg u "$(id -un)" \
    '[.access[] | select(.what=="refused:signal.submit" and .user==$u)] | length')" = 1 ] \
    || fail "rvdk's refused signal.submit is not in its access table"
pass "a casuspartij's refused signal is recorded at its node"

# ---- a user in admin-group can change the roster ----------------------------
as "$U_ADMIN" "$UITV" member revoke rvdk-test | grep -q "roster version 2" \
    || fail "$U_ADMIN could not revoke"
[ "$(rv)" = 2 ] || fail "roster version is $(rv) after the revoke, not 2"
pass "$U_ADMIN, in $G_ADMIN, revoked rvdk-test: roster version 2"

# ---- audit grants: who holds which group ------------------------------------
as "$U_AUDIT" "$UITV" audit grants --json > "$T/grants.json" || fail "audit grants failed"
users_of() { jq -r --arg s "$1" '.rights[] | select(.setting==$s) | .users | sort | join(",")' "$T/grants.json"; }
[ "$(users_of access/admin-group)" = "$U_ADMIN" ] || fail "admin-group users: $(users_of access/admin-group)"
[ "$(users_of access/audit-group)" = "$U_AUDIT" ] || fail "audit-group users (primary gid): $(users_of access/audit-group)"
jq -e '.rights[] | select(.setting=="access/rights-group") | .group=="" and .exists==false' "$T/grants.json" > /dev/null \
    || fail "rights-group not shown as unset"
jq -e '[.members[] | select(.id=="gemeente-test" and .role=="kernpartij")] | length == 1' "$T/grants.json" > /dev/null \
    || fail "the roster's members and roles are not listed"
as "$U_AUDIT" "$UITV" audit grants | grep -E "^access/admin-group +$G_ADMIN +yes +$U_ADMIN" > /dev/null \
    || fail "audit grants text: $(as "$U_AUDIT" "$UITV" audit grants)"
pass "audit grants lists each group's users and the roster's roles"

# ---- figures and the register need the audit group (art. 15.3, 18.4; AVG art. 30)
for u in "$U_READ" "$U_ADMIN"; do
    if out=$(as "$u" "$UITV" report --period 2026 2>&1); then fail "$u made a report: $out"; fi
    grep -q "access/audit-group" <<< "$out" || fail "report refusal unclear: $out"
    if out=$(as "$u" "$UITV" register 2>&1); then fail "$u read the register: $out"; fi
done
as "$U_AUDIT" "$UITV" report --period 2026 --format csv > "$T/report.csv" \
    || fail "$U_AUDIT could not make a report"
grep -q "^section,measure,gemeente,value" "$T/report.csv" || fail "the report is not CSV"
as "$U_AUDIT" "$UITV" register > "$T/register.txt" || fail "$U_AUDIT could not read the register"
grep -q "^Verwerkingsregister (AVG art. 30)" "$T/register.txt" || fail "no register"
pass "report and register: the audit group may, the read and admin groups may not"

# ---- ketend --check warns about a group the host does not have --------------
sed -e "s/^    admin-group = .*/    admin-group = ${P}gone/" "$T/$UITV.cfg" > "$T/check.cfg"
"$KETEND" --config "$T/check.cfg" --check > "$T/check.out" 2> "$T/check.err" \
    || fail "--check failed on a missing group (warnings only): $(cat "$T/check.err")"
grep -q "^ok:" "$T/check.out" || fail "--check did not say ok: $(cat "$T/check.out")"
grep -q "warning: access/admin-group = ${P}gone: no such group" "$T/check.err" \
    || fail "--check does not warn about the missing group: $(cat "$T/check.err")"
grep -q "note: not set.*access/rights-group" "$T/check.err" \
    || fail "--check does not name the unset rights: $(cat "$T/check.err")"
# The police's settings are not the uitvoerder's to set: not noted there.
if grep -q "intake/" "$T/check.err"; then fail "--check notes intake settings at the uitvoerder: $(cat "$T/check.err")"; fi
"$KETEND" --config "$T/$UITV.cfg" --check 2> "$T/check2.err" > /dev/null || fail "--check failed"
if grep -q "no such group" "$T/check2.err"; then fail "--check warned about groups that exist"; fi
pass "ketend --check warns about a missing group and names the unset ones, exit 0"
