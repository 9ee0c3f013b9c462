#!/usr/bin/env bash
# The manual pages (man/*.scd, built by scdoc into $KETEN_BIN/man) keep up
# with the code: keten(1) names every command `keten --help` lists (groups
# expanded through `keten GROUP --help`) and, in that command's entry,
# every option the command's --help names; ketend(8) every option of
# `ketend --help`; keten.conf(5) every key of common/config.c's table, in
# its section.  A page that groff warns about fails too.
source "$(dirname "$0")/lib.sh"
: "${KETEN_SOURCE_DIR:?KETEN_SOURCE_DIR must point at the source tree}"
MAN=$KETEN_BIN/man
for page in keten.1 ketend.8 keten.conf.5; do
    [ -s "$MAN/$page" ] || fail "$MAN/$page was not built"
    if command -v groff > /dev/null; then
        warnings=$(groff -man -Tutf8 -ww -z "$MAN/$page" 2>&1)
        [ -z "$warnings" ] || fail "groff warns about $page: $warnings"
    fi
done

# plain PAGE: the page's text lines without font escapes; requests other
# than section headings (.SH) dropped.
plain() {
    sed -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\-/-/g' -e 's/\\e/\\/g' "$1" |
        grep -v '^\.\([^S]\|S[^H]\)'
}
plain "$MAN/keten.1" > "$T/keten.1.txt"
plain "$MAN/ketend.8" > "$T/ketend.8.txt"
plain "$MAN/keten.conf.5" > "$T/keten.conf.5.txt"

# entry FILE HEAD: the lines from each line that starts with HEAD up to
# the next line starting with "keten " or the next section.
entry() {
    awk -v head="$2" '
        /^\.SH/ { on = 0; next }
        index($0, head) == 1 && (length($0) == length(head) || substr($0, length(head) + 1, 1) == " ") { on = 1; print; next }
        /^keten / { on = 0 }
        on' "$1"
}
has_word() { grep -qE -- "(^|[^a-z-])$1([^a-z-]|\$)"; }

"$KETEN_SOURCE_DIR/scripts/keten-commands" "$KETEN" > "$T/commands"
n=$(wc -l < "$T/commands")
[ "$n" -ge 40 ] || fail "keten --help expands to only $n commands: $(cat "$T/commands")"
missing=0
while IFS=$'\t' read -r cmd opts; do
    entry "$T/keten.1.txt" "keten $cmd" > "$T/entry"
    if [ ! -s "$T/entry" ]; then
        echo "keten(1) has no entry for 'keten $cmd'" >&2
        missing=$((missing + 1))
        continue
    fi
    for opt in $opts; do
        has_word "$opt" < "$T/entry" || {
            echo "keten(1): 'keten $cmd' does not mention $opt" >&2
            missing=$((missing + 1))
        }
    done
done < "$T/commands"
[ $missing = 0 ] || fail "keten(1) misses $missing commands or options (above)"
pass "keten(1) documents all $n commands of keten --help and their options"

for opt in $("$KETEND" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
    has_word "$opt" < "$T/ketend.8.txt" || fail "ketend(8) does not mention $opt"
done
grep -q "^78" "$T/ketend.8.txt" || fail "ketend(8) does not document exit status 78"
pass "ketend(8) documents every option of ketend --help and exit status 78"

# common/config.c: STR ("node", "id", ...), PATH (...), U32 (...), OPTPATH (...).
grep -oE '^\s*(STR|PATH|OPTPATH|U32) \("[a-z-]+", "[a-z-]+"' "$KETEN_SOURCE_DIR/common/config.c" |
    sed -E 's/.*\("([a-z-]+)", "([a-z-]+)"/\1 \2/' > "$T/keys"
n=$(wc -l < "$T/keys")
[ "$n" -ge 25 ] || fail "found only $n config keys in common/config.c"
while read -r section key; do
    awk -v s="SECTION $section" '/^\.SH/ { on = index($0, s) > 0; next } on' \
        "$T/keten.conf.5.txt" > "$T/section"
    [ -s "$T/section" ] || fail "keten.conf(5) has no section $section"
    grep -qx "$key\( (.*)\)\?" "$T/section" || fail "keten.conf(5) does not document $section/$key"
done < "$T/keys"
pass "keten.conf(5) documents all $n keys of common/config.c in their sections"
