#!/usr/bin/env bash
# The bash completion ($KETEN_BIN/completion/keten, generated from the
# built keten's --help) completes commands, subcommands and each command's
# options, and files where a file is wanted.
source "$(dirname "$0")/lib.sh"
: "${KETEN_SOURCE_DIR:?KETEN_SOURCE_DIR must point at the source tree}"
COMPLETION=$KETEN_BIN/completion/keten
[ -s "$COMPLETION" ] || fail "$COMPLETION was not built"

# complete WORD...: what the completion offers for the command line
# WORD... (the last word is the one being completed), sorted, one line.
complete_line() {
    bash -c '
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
        _keten
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"
    ' _ "$COMPLETION" "$@"
}
expect() {  # expect "WANT" WORD...
    local want=$1 got; shift
    got=$(complete_line "$@")
    [ "$got" = "$want" ] || fail "completing '$*': got '$got', want '$want'"
    pass "'$*' completes to '$got'"
}

expect "retention" keten ret
expect "reopen" keten retention reo
expect "read reopen run" keten retention r
expect "--dry-run" keten retention run --d
expect "--help --json" keten retention status --
expect "submit" keten -c /etc/keten/ketend.cfg signal su
expect "submit" keten --socket /run/keten/ketend.sock signal su
expect "confirm correct" keten signal co
expect "--bevoegd-functionaris" keten signal release --b
expect "--all --help" keten signal confirm --
expect "--item" keten case disclose --it
expect "--decision" keten case close --decis
expect "--overlap-days" keten member rotate --o
expect "end" keten peering e
expect "--wpg-entitled" keten peering add --w
expect "--endpoint --federation --help --wpg-entitled" keten peering add x.pub --
expect "--oldest-first" keten log show --o
expect "--version" keten --vers
expect "--federation" keten roster build --fe
expect "status" keten stat
expect "--all --check --count --help --json --watch" keten status --

# Files where a file is wanted.
mkdir "$T/files" && touch "$T/files/signal-1.json" "$T/files/signal-2.json"
expect "$T/files/signal-1.json $T/files/signal-2.json" keten signal submit --file "$T/files/sig"
expect "$T/files/signal-1.json" keten -c "$T/files/signal-1"

# Every command keten --help lists is completed, with all its options.
"$KETEN_SOURCE_DIR/scripts/keten-commands" "$KETEN" > "$T/commands"
n=0
while IFS=$'\t' read -r cmd opts; do
    read -r -a words <<< "$cmd"
    got=$(complete_line keten "${words[@]}" --)
    want=$(printf '%s\n' $opts --help | sort -u | tr '\n' ' ' | sed 's/ $//')
    [ "$got" = "$want" ] || fail "'keten $cmd --': got '$got', want '$want'"
    n=$((n + 1))
done < "$T/commands"
pass "all $n commands complete their options"

# ...and those are all the options the command's own --help names: a help
# that names another command of its group in its prose (`keten weegploeg
# meetings` in weegploeg agenda's) must not hand that one the options below.
while IFS=$'\t' read -r cmd opts; do
    read -r -a words <<< "$cmd"
    for opt in $("$KETEN" "${words[@]}" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        [ "$opt" = --help ] || [[ " $opts " == *" $opt "* ]] ||
            fail "'keten $cmd --' does not complete $opt, which its --help names"
    done
done < "$T/commands"
pass "each command completes every option its --help names"
