#!/usr/bin/env bash
# A file the CLI cannot parse as JSON is refused with what is wrong and
# where (line and column), never with the text near the error: jansson's
# own message quotes it ("invalid escape near '"Jan de Vries\q'"), and a
# signal or an item is personal data.  Every command that reads a JSON
# file, without a daemon: the file is refused before anything is sent.
# Every person here is fictional.
source "$(dirname "$0")/lib.sh"
export KETEN_SOCKET="$T/nobody.sock"
ID=0123456789abcdef0123456789abcdef
REF=k-0123456789abcdef

# Broken in three ways, each with the name just before the error: an
# invalid escape, an end too early, a key given twice.
printf '{"subject": {"name": "Qzxv de Vries\\q"}}' > "$T/escape.json"
printf '[{"kind": "fact", "text": "Qzxv de Vries' > "$T/early.json"
printf '{"Qzxv de Vries": 1, "Qzxv de Vries": 2}' > "$T/twice.json"

# refused CMD...: CMD fails on each file, saying what and where, and its
# message holds nothing of the file's text.
refused() {
    local f out rc
    for f in escape early twice; do
        rc=0; out=$("$KETEN" "$@" "$T/$f.json" 2>&1) || rc=$?
        [ $rc != 0 ] || fail "$* took $f.json: $out"
        if grep -Eiq "qzxv|vries|near" <<< "$out"; then
            fail "$* on $f.json quotes the file: $out"
        fi
        grep -Eq "at line 1, column [0-9]+" <<< "$out" || fail "$* on $f.json: no position: $out"
    done
}
refused signal submit --file
refused case contribute "$REF" --kind informatie --legal-basis avg-6-1-e --file
refused case plan "$REF" --file
refused decision answer d-0123456789abcdef --legal-basis avg-6-1-e --file
refused signal correct "$ID" --item 0 --file
refused correction decide "$REF" --signal "$ID" --item 0 --correct-file
# The words say what is wrong, fixed words of keten's own.
out=$("$KETEN" signal submit --file "$T/early.json" 2>&1) || true
grep -q "JSON ends too early" <<< "$out" || fail "no words for an early end: $out"
out=$("$KETEN" signal submit --file "$T/twice.json" 2>&1) || true
grep -q "duplicate key" <<< "$out" || fail "no words for a key given twice: $out"
pass "a file that is not JSON is refused with what and where, never its text"
