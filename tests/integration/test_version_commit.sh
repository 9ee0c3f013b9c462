#!/usr/bin/env bash
# The version a build reports (ketend --version, keten --version, the
# heartbeat's software_version behind `keten status` and
# keten_member_info{version=}) names the commit it was built from in a git
# checkout, so that the members of a rolling upgrade can be told apart:
# PROJECT_VERSION+COMMIT (ten hex digits, "-dirty" with uncommitted
# changes); outside a checkout (a tarball, the Debian package's build tree)
# PROJECT_VERSION alone (cmake/keten_version.cmake; scripts/package-test builds such a copy).
source "$(dirname "$0")/lib.sh"
base=$(sed -n 's/^project(keten VERSION \([0-9.]*\).*/\1/p' "$KT_SRC/CMakeLists.txt")
[ -n "$base" ] || fail "no project version in CMakeLists.txt"
d=$("$KETEND" --version) || fail "ketend --version failed"
c=$("$KETEN" --version) || fail "keten --version failed"
[ "${d#ketend }" = "${c#keten }" ] || fail "ketend says '$d', keten '$c'"
v=${d#ketend }
if ! top=$(git -C "$KT_SRC" rev-parse --show-toplevel 2> /dev/null) ||
    [ "$(realpath "$top")" != "$(realpath "$KT_SRC")" ]; then
    [ "$v" = "$base" ] || fail "outside a git checkout the version is '$v', want '$base'"
    pass "not a git checkout: version $v"
    exit 0
fi
[[ "$v" =~ ^$base\+([0-9a-f]{10})(-dirty)?$ ]] || fail "version '$v' does not name a commit"
commit=${BASH_REMATCH[1]}
# The commit built (HEAD, unless one was made since the build).
git -C "$KT_SRC" cat-file -e "$commit^{commit}" 2> /dev/null ||
    fail "version '$v' names $commit, no commit of $KT_SRC"
# What a heartbeat carries fits the uitvoerder's field (31 characters).
[ ${#v} -lt 32 ] || fail "version '$v' is too long for a heartbeat's software_version"
pass "version $v names the commit built"

# A member's heartbeat carries it to the uitvoerder's status, whole.
kt_federation
heard() { [ -n "$(jfield "$UITV" '.members[] | select(.id == "politie-test") | .software_version')" ]; }
wait_until 10 heard || fail "no heartbeat from politie-test"
got=$(jfield "$UITV" '.members[] | select(.id == "politie-test") | .software_version')
[ "$got" = "$v" ] || fail "the uitvoerder's status shows politie-test's version as '$got', want '$v'"
[ "$(jfield politie-test .software_version)" = "$v" ] || fail "politie-test's own status lacks '$v'"
pass "a heartbeat carries version $v to keten status"
