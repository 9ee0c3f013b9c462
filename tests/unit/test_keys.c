/*  keys: key generation and the key files.  Real files in a fresh
 *  directory; every refusal is checked for the file name and the reason.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char dir[64];
    char secret[PATH_MAX];
    char pub[PATH_MAX];
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    assert_int_equal (testutil_tmpdir (f->dir, sizeof f->dir, "keys"), 0);
    kt_reason_t r;
    assert_int_equal (keys_generate ("politie-limburg", "politie", "Politie eenheid Limburg",
                                     f->dir, &r),
                      0);
    snprintf (f->secret, sizeof f->secret, "%s/politie-limburg.secret", f->dir);
    snprintf (f->pub, sizeof f->pub, "%s/politie-limburg.pub", f->dir);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    assert_int_equal (testutil_rmtree (f->dir), 0);
    free (f);
    return 0;
}

/*  noinline: GCC 12 otherwise mistakes the result for a pointer to the
 *  local `data` (-Wdangling-pointer false positive). */
static char *__attribute__ ((noinline))
s_slurp (const char *path)
{
    char *data = NULL;
    kt_reason_t r;
    assert_int_equal (kt_read_file (path, 1 << 16, &data, NULL, &r), 0);
    return data;
}

static void
s_spew (const char *path, const char *text, mode_t mode)
{
    unlink (path);
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, mode);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
    assert_int_equal (fchmod (fd, mode), 0);
    close (fd);
}

/*  Replace the value of "    key = ..." in a key file (value NULL: drop
 *  the line), keeping mode 0600. */
static void
s_set_key (const char *path, const char *key, const char *value)
{
    char *text = s_slurp (path);
    char out[8192] = "";
    char needle[64];
    snprintf (needle, sizeof needle, "    %s = ", key);
    bool found = false;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        if (strncmp (line, needle, strlen (needle)) == 0) {
            found = true;
            if (value)
                snprintf (out + strlen (out), sizeof out - strlen (out), "%s%s\n", needle, value);
        }
        else
            snprintf (out + strlen (out), sizeof out - strlen (out), "%s\n", line);
    }
    assert_true (found);
    free (text);
    s_spew (path, out, 0600);
}

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("'%s' does not contain '%s'", text, part);
}

static void
test_keygen_writes_secret_0600_and_pub_0644_that_load_back (void **state)
{
    fixture_t *f = *state;
    struct stat st;
    assert_int_equal (stat (f->secret, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0600);
    assert_int_equal (stat (f->pub, &st), 0);
    assert_int_equal (st.st_mode & 07777, 0644);

    kt_reason_t r;
    keys_secret_t *k = keys_load_secret (f->secret, &r);
    assert_non_null (k);
    assert_string_equal (k->pub.id, "politie-limburg");
    assert_string_equal (k->pub.kind, "politie");
    assert_string_equal (k->pub.name, "Politie eenheid Limburg");
    keys_public_t pub;
    assert_int_equal (keys_load_public (f->pub, &pub, &r), 0);
    assert_memory_equal (&pub, &k->pub, sizeof pub);

    /*  The keys work: the signing pair signs, the box pairs agree. */
    uint8_t sig[crypto_sign_BYTES];
    crypto_sign_detached (sig, NULL, (const uint8_t *) "x", 1, k->signing_sk);
    assert_int_equal (crypto_sign_verify_detached (sig, (const uint8_t *) "x", 1,
                                                   pub.signing_pk),
                      0);
    keys_secret_destroy (&k);
    assert_null (k);
    keys_secret_destroy (&k); /* idempotent */
}

static void
test_keygen_name_defaults_to_id (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    assert_int_equal (keys_generate ("om-limburg", "om", NULL, f->dir, &r), 0);
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/om-limburg.pub", f->dir);
    keys_public_t pub;
    assert_int_equal (keys_load_public (path, &pub, &r), 0);
    assert_string_equal (pub.name, "om-limburg");
}

static void
test_keygen_refuses_to_overwrite_existing_keys (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    char *before = s_slurp (f->secret);
    assert_int_equal (keys_generate ("politie-limburg", "politie", NULL, f->dir, &r), -1);
    s_assert_contains (r.text, "refusing to overwrite");
    s_assert_contains (r.text, "give --out another directory");
    char *after = s_slurp (f->secret);
    assert_string_equal (before, after);
    free (before);
    free (after);

    /*  Only the .pub exists: neither file is written. */
    char pub[PATH_MAX], secret[PATH_MAX];
    snprintf (pub, sizeof pub, "%s/rvdk-limburg.pub", f->dir);
    snprintf (secret, sizeof secret, "%s/rvdk-limburg.secret", f->dir);
    s_spew (pub, "placeholder\n", 0644);
    assert_int_equal (keys_generate ("rvdk-limburg", "rvdk", NULL, f->dir, &r), -1);
    s_assert_contains (r.text, pub);
    assert_int_equal (access (secret, F_OK), -1);
}

static void
test_keygen_refuses_invalid_id_kind_or_name (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    const char *bad_ids[] = {"", "Politie", "1politie", "politie limburg", "politie_limburg",
                             "../etc", NULL};
    for (int i = 0; bad_ids[i]; i++) {
        assert_int_equal (keys_generate (bad_ids[i], "politie", NULL, f->dir, &r), -1);
        s_assert_contains (r.text, "invalid id");
    }
    assert_int_equal (keys_generate (NULL, "politie", NULL, f->dir, &r), -1);
    const char *bad_kinds[] = {"", "police", "Politie", "kernpartij", NULL};
    for (int i = 0; bad_kinds[i]; i++) {
        assert_int_equal (keys_generate ("x-limburg", bad_kinds[i], NULL, f->dir, &r), -1);
        s_assert_contains (r.text, "invalid kind");
    }
    assert_int_equal (keys_generate ("x-limburg", "politie", "tab\there", f->dir, &r), -1);
    s_assert_contains (r.text, "invalid name");
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/x-limburg.secret", f->dir);
    assert_int_equal (access (path, F_OK), -1);
}

static void
test_keygen_creates_missing_directory_owner_only (void **state)
{
    fixture_t *f = *state;
    char dir[PATH_MAX];
    snprintf (dir, sizeof dir, "%s/etc/keten", f->dir);
    kt_reason_t r;
    assert_int_equal (keys_generate ("nctv", "extern", "NCTV", dir, &r), 0);
    struct stat st;
    assert_int_equal (stat (dir, &st), 0);
    assert_true (S_ISDIR (st.st_mode));
    assert_int_equal (st.st_mode & 0777, 0700);
}

static void
test_names_are_utf8_without_controls_or_quotes (void **state)
{
    (void) state;
    assert_true (keys_valid_name ("Gemeente 's-Hertogenbosch"));
    assert_true (keys_valid_name ("Gemeente Súdwest-Fryslân"));
    assert_true (keys_valid_name ("Raad voor de Kinderbescherming \xe2\x80\x94 Limburg"));
    assert_false (keys_valid_name (""));
    assert_false (keys_valid_name ("quote \" inside"));
    assert_false (keys_valid_name ("new\nline"));
    assert_false (keys_valid_name ("del\x7f"));
    assert_false (keys_valid_name ("c1 \xc2\x85 control"));
    assert_false (keys_valid_name ("overlong \xc0\xaf"));
    assert_false (keys_valid_name ("surrogate \xed\xa0\x80"));
    assert_false (keys_valid_name ("truncated \xe2\x80"));
    assert_false (keys_valid_name ("latin1 \xe9"));
    char long_name[KEYS_NAME_MAX + 2];
    memset (long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_false (keys_valid_name (long_name));
    long_name[KEYS_NAME_MAX] = '\0';
    assert_true (keys_valid_name (long_name));
}

static void
test_kinds_are_those_of_the_convenant (void **state)
{
    (void) state;
    const char *good[] = {"gemeente", "politie", "om", "rvdk", "reclassering", "extern",
                          "uitvoerder"};
    for (size_t i = 0; i < 7; i++)
        assert_true (keys_valid_kind (good[i]));
    assert_false (keys_valid_kind ("aivd"));
    assert_false (keys_valid_kind (""));
    assert_false (keys_valid_kind (NULL));
}

static void
s_expect_mode_refused (fixture_t *f, mode_t mode, const char *what)
{
    assert_int_equal (chmod (f->secret, mode), 0);
    kt_reason_t r;
    assert_null (keys_load_secret (f->secret, &r));
    s_assert_contains (r.text, f->secret);
    s_assert_contains (r.text, what);
    s_assert_contains (r.text, "chmod 600");
    char octal[8];
    snprintf (octal, sizeof octal, "%04o", (unsigned) mode);
    s_assert_contains (r.text, octal);
}

static void
test_secret_file_readable_by_group_is_refused (void **state)
{
    s_expect_mode_refused (*state, 0640, "readable by group/others");
}

static void
test_secret_file_readable_by_others_is_refused (void **state)
{
    s_expect_mode_refused (*state, 0604, "readable by group/others");
}

static void
test_secret_file_writable_by_group_is_refused (void **state)
{
    s_expect_mode_refused (*state, 0620, "writable by group/others");
}

static void
test_secret_file_owned_by_another_user_is_refused (void **state)
{
    fixture_t *f = *state;
    if (geteuid () != 0)
        skip ();  /* only root can give a file away */
    assert_int_equal (chown (f->secret, 65534, 65534), 0);
    kt_reason_t r;
    /*  Root checking the daemon user's key file: run the same program as
     *  that user - ketend's check, or the keten command that was run. */
    char *program = program_invocation_short_name;
    program_invocation_short_name = "ketend";
    assert_null (keys_load_secret (f->secret, &r));
    s_assert_contains (r.text, f->secret);
    struct passwd *pw = getpwuid (65534);
    if (pw) {
        char want[128];
        snprintf (want, sizeof want, "belongs to %s (uid 65534), not to root", pw->pw_name);
        s_assert_contains (r.text, want);
        snprintf (want, sizeof want, "runuser -u %s -- ketend --check --config FILE", pw->pw_name);
        s_assert_contains (r.text, want);
        assert_null (strstr (r.text, "chown"));
        program_invocation_short_name = "keten";
        assert_null (keys_load_secret (f->secret, &r));
        snprintf (want, sizeof want, "runuser -u %s -- keten ... (the same command)", pw->pw_name);
        s_assert_contains (r.text, want);
        assert_null (strstr (r.text, "ketend"));
        assert_null (strstr (r.text, "chown"));
    } else
        s_assert_contains (r.text, "owned by uid 65534");
    program_invocation_short_name = program;
}

static void
test_secret_file_behind_symlink_is_refused (void **state)
{
    fixture_t *f = *state;
    char link[PATH_MAX];
    snprintf (link, sizeof link, "%s/link.secret", f->dir);
    assert_int_equal (symlink (f->secret, link), 0);
    kt_reason_t r;
    assert_null (keys_load_secret (link, &r));
    s_assert_contains (r.text, "symbolic link");
    assert_null (keys_load_secret (f->dir, &r));
    s_assert_contains (r.text, "not a regular file");
    char missing[PATH_MAX];
    snprintf (missing, sizeof missing, "%s/missing.secret", f->dir);
    assert_null (keys_load_secret (missing, &r));
    s_assert_contains (r.text, missing);
}

static void
test_secret_with_public_key_not_matching_its_secret_is_refused (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    char pub[PATH_MAX];
    assert_int_equal (keys_generate ("om-limburg", "om", NULL, f->dir, &r), 0);
    snprintf (pub, sizeof pub, "%s/om-limburg.pub", f->dir);
    keys_public_t other;
    assert_int_equal (keys_load_public (pub, &other, &r), 0);
    char hex[65];

    char *orig = s_slurp (f->secret);
    const struct {
        const char *key;
        const uint8_t *value;
    } cases[] = {{"transport-public", other.transport_pk},
                 {"signing-public", other.signing_pk},
                 {"encryption-public", other.encryption_pk}};
    for (int i = 0; i < 3; i++) {
        s_set_key (f->secret, cases[i].key, kt_hex (hex, cases[i].value, 32));
        assert_null (keys_load_secret (f->secret, &r));
        s_assert_contains (r.text, cases[i].key);
        s_assert_contains (r.text, "does not match");
        s_spew (f->secret, orig, 0600);
    }
    /*  A signing secret whose copied tail is right but whose seed is not. */
    keys_secret_t *k = keys_load_secret (f->secret, &r);
    assert_non_null (k);
    char sk_hex[129];
    k->signing_sk[0] ^= 1;
    s_set_key (f->secret, "signing-secret", kt_hex (sk_hex, k->signing_sk, 64));
    keys_secret_destroy (&k);
    assert_null (keys_load_secret (f->secret, &r));
    s_assert_contains (r.text, "seed");
    free (orig);
}

static void
test_malformed_secret_fields_are_refused (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    char *orig = s_slurp (f->secret);
    const struct {
        const char *key, *value, *why;
    } cases[] = {
        {"transport-secret", "abcd", "transport-secret must be 64 hex digits"},
        {"signing-secret", "00", "signing-secret must be 128 hex digits"},
        {"storage-secret", "zz", "storage-secret must be 64 hex digits"},
        {"id", "Politie", "id"},
        {"kind", "police", "kind"},
        {"encryption-secret", NULL, "missing key encryption-secret"},
        {"id", NULL, "missing key id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        s_set_key (f->secret, cases[i].key, cases[i].value);
        assert_null (keys_load_secret (f->secret, &r));
        s_assert_contains (r.text, f->secret);
        s_assert_contains (r.text, cases[i].why);
        s_spew (f->secret, orig, 0600);
    }
    /*  Unknown and repeated keys, not ZPL at all. */
    char text[8192];
    snprintf (text, sizeof text, "%s    colour = blue\n", orig);
    s_spew (f->secret, text, 0600);
    assert_null (keys_load_secret (f->secret, &r));
    s_assert_contains (r.text, "unknown key keten-keys/colour");
    snprintf (text, sizeof text, "%s    kind = om\n", orig);
    s_spew (f->secret, text, 0600);
    assert_null (keys_load_secret (f->secret, &r));
    s_assert_contains (r.text, "duplicate key kind");
    s_spew (f->secret, "keten-keys\n  id = x\n", 0600);
    assert_null (keys_load_secret (f->secret, &r));
    s_assert_contains (r.text, "line 2 is not");
    s_spew (f->secret, "    id = x\nketen-keys\n", 0600);
    assert_null (keys_load_secret (f->secret, &r));
    s_assert_contains (r.text, "not valid ZPL");
    s_spew (f->secret, orig, 0600);
    keys_secret_t *k = keys_load_secret (f->secret, &r);
    assert_non_null (k);
    keys_secret_destroy (&k);
    free (orig);
}

static void
test_malformed_secret_line_is_refused_without_echoing_it (void **state)
{
    /*  zconfig would print the rest of such a line to stdout; the key
     *  file check refuses it first and names only the line number. */
    fixture_t *f = *state;
    char *orig = s_slurp (f->secret);
    char *at = strstr (orig, "    transport-secret = ");
    assert_non_null (at);
    char secret[65];
    snprintf (secret, sizeof secret, "%.64s", at + strlen ("    transport-secret = "));
    at[strlen ("    transport-secret")] = '!';
    s_spew (f->secret, orig, 0600);
    kt_reason_t r;
    assert_null (keys_load_secret (f->secret, &r));
    s_assert_contains (r.text, "line 10 is not");
    assert_null (strstr (r.text, secret));
    free (orig);
}

static void
test_secret_loaded_again_is_not_leaked (void **state)
{
    /*  Loaded keys are sodium_malloc'd: destroy frees them (valgrind
     *  checks no leak) and nulls the caller's pointer. */
    fixture_t *f = *state;
    kt_reason_t r;
    for (int i = 0; i < 3; i++) {
        keys_secret_t *k = keys_load_secret (f->secret, &r);
        assert_non_null (k);
        keys_secret_destroy (&k);
        assert_null (k);
    }
}

static void
test_pub_file_holding_a_secret_key_is_refused (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    keys_public_t pub;
    /*  A .secret handed over as .pub must not be accepted as one. */
    assert_int_equal (keys_load_public (f->secret, &pub, &r), -1);
    s_assert_contains (r.text, "holds secret key transport-secret");
    char *text = s_slurp (f->pub);
    char *line = strstr (text, "    encryption-public");
    assert_non_null (line);
    *line = '\0';
    s_spew (f->pub, text, 0644);
    assert_int_equal (keys_load_public (f->pub, &pub, &r), -1);
    s_assert_contains (r.text, "missing key encryption-public");
    free (text);
}

/*  An encryption key of low order (here the identity, all zeros; and the
 *  point of order 8 in little-endian) would make every node's keyring
 *  refuse a roster that names it: refused where it enters, the .pub. */
static void
test_pub_file_with_a_low_order_encryption_key_is_refused (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    keys_public_t pub;
    assert_int_equal (keys_load_public (f->pub, &pub, &r), 0);
    assert_true (keys_encryption_usable (pub.encryption_pk));
    static const char *weak[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"};
    char *text = s_slurp (f->pub);
    char *line = strstr (text, "    encryption-public = ");
    assert_non_null (line);
    char *hex = line + strlen ("    encryption-public = ");
    for (size_t i = 0; i < sizeof weak / sizeof weak[0]; i++) {
        memcpy (hex, weak[i], 64);
        s_spew (f->pub, text, 0644);
        assert_int_equal (keys_load_public (f->pub, &pub, &r), -1);
        s_assert_contains (r.text, "encryption-public is a key of low order");
    }
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_keygen_writes_secret_0600_and_pub_0644_that_load_back,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_keygen_name_defaults_to_id, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_keygen_refuses_to_overwrite_existing_keys, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_keygen_refuses_invalid_id_kind_or_name, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_keygen_creates_missing_directory_owner_only,
                                         s_setup, s_teardown),
        cmocka_unit_test (test_names_are_utf8_without_controls_or_quotes),
        cmocka_unit_test (test_kinds_are_those_of_the_convenant),
        cmocka_unit_test_setup_teardown (test_secret_file_readable_by_group_is_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_secret_file_readable_by_others_is_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_secret_file_writable_by_group_is_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_secret_file_owned_by_another_user_is_refused,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_secret_file_behind_symlink_is_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_secret_with_public_key_not_matching_its_secret_is_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_secret_fields_are_refused, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_malformed_secret_line_is_refused_without_echoing_it,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_secret_loaded_again_is_not_leaked, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_pub_file_with_a_low_order_encryption_key_is_refused,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_pub_file_holding_a_secret_key_is_refused, s_setup,
                                         s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
