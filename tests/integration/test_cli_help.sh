#!/usr/bin/env bash
# Every command and every group of the keten CLI answers --help and -h with
# its usage on stdout and exit 0, without talking to a daemon; `keten
# --help` lists each command (a group listed as "GROUP ..." stands for its
# commands); an unknown command is refused with exit 2.
source "$(dirname "$0")/lib.sh"
# Nothing listens here: a command that tried to call ketend would fail.
export KETEN_SOCKET="$T/nobody.sock"

groups="roster signal log weegploeg casusoverleg agenda decision case plan member incident audit retention request informatieplicht review correction"
groups="$groups referentiekader"
commands=(keygen status "roster build"
    "signal submit" "signal list" "signal release" "signal confirm" "signal withdraw"
    "signal correct"
    "log verify" "log checkpoints" "log show" "log proof" "roster clear-alarm"
    "weegploeg agenda" "weegploeg meetings" "weegploeg decide" "weegploeg decisions"
    "weegploeg subject" "weegploeg matches" "weegploeg match"
    "casusoverleg agenda" "casusoverleg meetings"
    "agenda list" "agenda show" "decision list" "decision show"
    "decision answer" "decision transfer"
    "case list" "case show" "case plan" "case contribute" "case consent" "case disclose"
    "case advise" "case close" "case share"
    "plan show" "plan progress"
    "member add" "member kind" "member revoke" "member opzegging" "member rotate"
    "member end-overlap"
    "incident report" "incident list" "incident show" "incident update" "incident close"
    "audit access" "audit review" "audit reviews" "audit export" "audit grants"
    "retention status" "retention run" "retention reopen" "retention read"
    "request open" "request find" "request link" "request list" "request show"
    "request decide" "request answer" "request grounds"
    "informatieplicht list" "informatieplicht consult" "informatieplicht decide"
    "informatieplicht inform" "informatieplicht letter"
    "review list" "review record"
    "correction decide" "correction list"
    report register)
commands+=("referentiekader adopt" "referentiekader show")
# ...and every other command keten --help lists (scripts/keten-commands),
# so that a command added later is held to the same.
declare -A listed=()
for cmd in "${commands[@]}"; do listed[$cmd]=1; done
while IFS=$'\t' read -r cmd _; do
    [ -n "${listed[$cmd]:-}" ] || { commands+=("$cmd"); listed[$cmd]=1; }
done < <("$KT_SRC/scripts/keten-commands" "$KETEN")
[ ${#commands[@]} -ge 90 ] || fail "only ${#commands[@]} commands found: ${commands[*]}"

for cmd in $groups "${commands[@]}"; do
    for flag in --help -h; do
        # shellcheck disable=SC2086 # the words of cmd are separate arguments
        "$KETEN" $cmd $flag > "$T/out" 2> "$T/err" || fail "keten $cmd $flag exits $?"
        grep -q "^Usage: keten" "$T/out" || fail "keten $cmd $flag prints no usage"
        [ ! -s "$T/err" ] || fail "keten $cmd $flag writes to stderr: $(cat "$T/err")"
    done
done
pass "every command and group answers --help and -h"

"$KETEN" --help > "$T/help"
for cmd in "${commands[@]}"; do
    grep -qE "^  ($cmd|${cmd%% *} \.\.\.) " "$T/help" || fail "keten --help does not list $cmd"
done
pass "keten --help lists every command"
# No name runs into its help: each entry's name (one word, two, or
# "GROUP ...") is followed by at least two spaces, in keten --help and in
# each group's own usage.
bad=$(grep -E '^  [a-z]' "$T/help" | grep -vE '^  [a-z][a-z-]*( [a-z][a-z-]*| \.\.\.)?  ' || true)
[ -z "$bad" ] || fail "keten --help: a command name runs into its help: $bad"
for group in $groups; do
    "$KETEN" "$group" --help > "$T/group-help"
    # (A synopsis line, "  show CASE_REF ...", has its arguments after one space.)
    bad=$(sed -n '/^$/,$p' "$T/group-help" | grep -E '^  [a-z]' | grep -vE '^  [a-z-]+ [A-Z-]' |
        grep -vE '^  [a-z][a-z-]*( [a-z][a-z-]*| \.\.\.)?(  |$)' || true)
    [ -z "$bad" ] || fail "keten $group --help: a command name runs into its help: $bad"
done
pass "no command name runs into its help"

rc=0
"$KETEN" signal bogus 2> "$T/err" || rc=$?
[ $rc -eq 2 ] && grep -q "unknown signal command 'bogus'" "$T/err" \
    || fail "an unknown command: exit $rc, $(cat "$T/err")"
rc=0
"$KETEN" bogus 2> "$T/err" || rc=$?
[ $rc -eq 2 ] && grep -q "unknown command 'bogus'" "$T/err" \
    || fail "an unknown group: exit $rc, $(cat "$T/err")"
pass "unknown commands are refused with exit 2"

# Each command's help is its own, not its group's: its first line is
# "Usage: keten <that command>", and no other command of its group has a
# usage line in it.
commands+=(help)
for cmd in "${commands[@]}"; do
    # shellcheck disable=SC2086 # the words of cmd are separate arguments
    "$KETEN" $cmd --help > "$T/out" || fail "keten $cmd --help exits $?"
    first=$(head -n1 "$T/out")
    # (restore works on a stopped node's files: "keten -c CONFIG restore".)
    [[ $first == "Usage: keten $cmd "* || $first == "Usage: keten $cmd" ||
        $first == "Usage: keten -c CONFIG $cmd "* ]] \
        || fail "keten $cmd --help starts '$first', not 'Usage: keten $cmd'"
    if [[ $cmd == *" "* ]]; then
        group=${cmd%% *}
        others=$(grep -oE "^ *(Usage: )?keten $group [a-z-]+" "$T/out" | awk '{print $NF}' |
            sort -u | grep -vx "${cmd#* }" || true)
        [ -z "$others" ] || fail "keten $cmd --help describes $group $others too"
    fi
done
pass "every command's --help is its own (Usage: keten <command>)"

# keten help X Y is keten X Y --help; keten help is keten --help.
for cmd in $groups "${commands[@]}"; do
    # shellcheck disable=SC2086 # the words of cmd are separate arguments
    "$KETEN" help $cmd > "$T/a" 2> "$T/err" || fail "keten help $cmd exits $?"
    [ ! -s "$T/err" ] || fail "keten help $cmd writes to stderr: $(cat "$T/err")"
    # shellcheck disable=SC2086
    "$KETEN" $cmd --help > "$T/b"
    cmp -s "$T/a" "$T/b" || fail "keten help $cmd differs from keten $cmd --help"
done
"$KETEN" help > "$T/a" || fail "keten help exits $?"
"$KETEN" --help > "$T/b"
cmp -s "$T/a" "$T/b" || fail "keten help differs from keten --help"
grep -q "^  help " "$T/b" || fail "keten --help does not list help"
rc=0
"$KETEN" help bogus > "$T/out" 2> "$T/err" || rc=$?
[ $rc -eq 2 ] && [ ! -s "$T/out" ] && grep -q "unknown command 'bogus'" "$T/err" \
    || fail "keten help bogus: exit $rc, $(cat "$T/err")"
pass "keten help CMD... prints keten CMD... --help"

# did you mean: a typo within two letters of a known name is named.
# expect_near ARGS... -- SUGGESTION: exit 2, the suggestion on stderr only.
expect_near() {
    local args=() want
    while [ "$1" != -- ]; do args+=("$1"); shift; done
    want=$2
    rc=0
    "$KETEN" "${args[@]}" > "$T/out" 2> "$T/err" || rc=$?
    [ $rc -eq 2 ] || fail "keten ${args[*]}: exit $rc, not 2"
    [ ! -s "$T/out" ] || fail "keten ${args[*]} writes to stdout: $(cat "$T/out")"
    if [ -n "$want" ]; then
        grep -qxF "keten: did you mean '$want'?" "$T/err" \
            || fail "keten ${args[*]} does not suggest '$want': $(cat "$T/err")"
    else
        ! grep -q "did you mean" "$T/err" || fail "keten ${args[*]} suggests: $(cat "$T/err")"
    fi
}
expect_near sigal list -- "signal list"
expect_near signal lst -- "signal list"
expect_near case dsiclose -- "case disclose"
expect_near stauts -- "status"
expect_near sigal -- "signal"
expect_near bogus -- ""
expect_near signal xyzzyq -- ""
pass "an unknown command near a known one: exit 2 and 'did you mean'"
