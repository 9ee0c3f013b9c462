#!/usr/bin/env bash
# ketend refuses to start on a secret key readable by others, an unsigned,
# wrongly signed or older roster - each with a message that says why.
source "$(dirname "$0")/lib.sh"
kt_keys "$UITV" uitvoerder
kt_keys politie-test politie
kt_roster 2 "$T/roster.txt" "$UITV" politie-test
PORT=
kt_config "$UITV"

expect_refusal() {  # expect_refusal CONFIG PATTERN WHAT
    local out
    if out=$(timeout 20 "$KETEND" --config "$1" 2>&1); then fail "$3: ketend started"; fi
    grep -qiE "$2" <<< "$out" || fail "$3: message '$out' does not match /$2/"
    pass "$3: $out"
}

chmod 0644 "$T/keys/$UITV.secret"
expect_refusal "$T/$UITV.cfg" "$UITV.secret.*(group|other)" "secret key readable by others"
chmod 0600 "$T/keys/$UITV.secret"

sed -n '/^$/q;p' "$T/roster.txt" > "$T/unsigned.txt"   # text only, no signature
kt_config "$UITV" "$T/unsigned.txt"
expect_refusal "$T/$UITV.cfg" "sign" "unsigned roster"

# Signed by another key: a second uitvoerder key set with the same id.
mkdir "$T/other"
"$KETEN" keygen --id "$UITV" --kind uitvoerder --out "$T/other" > /dev/null
"$KETEN" roster build --federation "$FED" --version 3 --signer "$T/other/$UITV.secret" \
    --referentiekader "$KT_REFERENTIEKADER" \
    --out "$T/forged.txt" "$T/other/$UITV.pub" "$T/keys/politie-test.pub" > /dev/null
kt_config "$UITV" "$T/forged.txt"
expect_refusal "$T/$UITV.cfg" "sign" "roster signed by another key"

# art. 7.3: the example referentiekader in force, and no test federation.
kt_config "$UITV"
sed -i 's/^    test-federation = 1$/    test-federation = 0/' "$T/$UITV.cfg"
expect_refusal "$T/$UITV.cfg" "referentiekader example-2026.1 is an example.*keten referentiekader adopt.*node/test-federation = 1" \
    "example referentiekader without node/test-federation"

# A tampered byte in a signed roster.
sed 's/version = 2/version = 9/' "$T/roster.txt" > "$T/tampered.txt"
kt_config "$UITV" "$T/tampered.txt"
expect_refusal "$T/$UITV.cfg" "sign" "tampered roster"

# Version 2 accepted once, then version 1 is a downgrade.
kt_config "$UITV" "$T/roster.txt"
kt_start "$UITV"
kt_kill "$UITV"
kt_roster 1 "$T/roster-v1.txt" "$UITV" politie-test
kt_config "$UITV" "$T/roster-v1.txt"
expect_refusal "$T/$UITV.cfg" "older|downgrade" "older roster"

# A different roster under the version already accepted (v2) is refused too.
kt_roster 2 "$T/roster-v2b.txt" "$UITV"
kt_config "$UITV" "$T/roster-v2b.txt"
expect_refusal "$T/$UITV.cfg" "differs" "different roster with the same version"

# ketend --check: the same checks, nothing bound, nothing written.
kt_config "$UITV" "$T/roster.txt"
out=$("$KETEND" --config "$T/$UITV.cfg" --check) || fail "--check refused a good config: $out"
grep -q "^ok: $UITV (uitvoerder" <<< "$out" || fail "--check output: $out"
kt_config politie-test "$T/roster-v2b.txt"
if out=$("$KETEND" --config "$T/politie-test.cfg" --check 2>&1); then fail "--check passed a non-member"; fi
grep -q "not a member" <<< "$out" || fail "--check refusal unclear: $out"
pass "ketend --check names what a start would refuse"
