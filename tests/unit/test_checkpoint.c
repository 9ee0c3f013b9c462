/*  Checkpoints (C2SP tlog-checkpoint) and witness cosignatures (C2SP
 *  tlog-cosignature v1): what the log signs verifies, anything changed or
 *  signed by another key is refused with a reason, and a verifier learns
 *  which known witnesses cosigned.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "checkpoint.h"
#include "merkle.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORIGIN "keten.veiligheidshuis-limburg.nl/log"

static uint8_t s_log_pk[32], s_log_sk[64];
static uint8_t s_w1_pk[32], s_w1_sk[64], s_w2_pk[32], s_w2_sk[64], s_other_pk[32], s_other_sk[64];

static int
s_setup (void **state)
{
    (void) state;
    crypto_sign_keypair (s_log_pk, s_log_sk);
    crypto_sign_keypair (s_w1_pk, s_w1_sk);
    crypto_sign_keypair (s_w2_pk, s_w2_sk);
    crypto_sign_keypair (s_other_pk, s_other_sk);
    return 0;
}

static checkpoint_t
s_cp (uint64_t size)
{
    checkpoint_t cp;
    memset (&cp, 0, sizeof cp);
    snprintf (cp.origin, sizeof cp.origin, "%s", ORIGIN);
    cp.size = size;
    merkle_leaf_hash (cp.root, &size, sizeof size);
    return cp;
}

static char *
s_signed (uint64_t size)
{
    checkpoint_t cp = s_cp (size);
    char *note = NULL;
    kt_reason_t r;
    assert_int_equal (checkpoint_format (&cp, s_log_sk, &note, &r), 0);
    return note;
}

static void
s_refused (const char *note, const char *want)
{
    checkpoint_t cp;
    kt_reason_t r;
    if (checkpoint_open (note, strlen (note), ORIGIN, s_log_pk, &cp, &r) == 0)
        fail_msg ("accepted: %s", note);
    if (!strstr (r.text, want))
        fail_msg ("expected '%s' in: %s", want, r.text);
}

/*  Go's golang.org/x/mod/sumdb/tlog TestFormatTree golden text, with the
 *  root RecordHash("hello world") = SHA-256(0x00 || "hello world"). */
static void
test_text_matches_go_tlog_vector (void **state)
{
    (void) state;
    const char *golden =
        "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
    checkpoint_t cp;
    kt_reason_t r;
    /*  The origin has spaces, which keten's origins do not: parse refuses
     *  it, so compare the text keten writes for its own origin instead. */
    assert_int_not_equal (checkpoint_parse_text (golden, strlen (golden), &cp, &r), 0);
    memset (&cp, 0, sizeof cp);
    snprintf (cp.origin, sizeof cp.origin, "go.sum");
    cp.size = 123456789012ull;
    merkle_leaf_hash (cp.root, "hello world", 11);
    char text[CHECKPOINT_TEXT_MAX + 1];
    size_t len;
    assert_int_equal (checkpoint_text (&cp, text, sizeof text, &len, &r), 0);
    assert_string_equal (text,
                         "go.sum\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n");
    checkpoint_t back;
    assert_int_equal (checkpoint_parse_text (text, len, &back, &r), 0);
    assert_int_equal (back.size, cp.size);
    assert_memory_equal (back.root, cp.root, 32);
}

static void
test_signed_checkpoint_round_trips (void **state)
{
    (void) state;
    for (uint64_t size = 0; size < 3; size++) {
        char *note = s_signed (size == 2 ? (uint64_t) INT64_MAX : size);
        checkpoint_t cp, want = s_cp (size == 2 ? (uint64_t) INT64_MAX : size);
        kt_reason_t r;
        if (checkpoint_open (note, strlen (note), ORIGIN, s_log_pk, &cp, &r) != 0)
            fail_msg ("%s", r.text);
        assert_string_equal (cp.origin, ORIGIN);
        assert_int_equal (cp.size, want.size);
        assert_memory_equal (cp.root, want.root, 32);
        /*  The exact C2SP layout: text, blank line, "— origin sig". */
        char head[200];
        snprintf (head, sizeof head, ORIGIN "\n%llu\n", (unsigned long long) want.size);
        assert_int_equal (strncmp (note, head, strlen (head)), 0);
        assert_non_null (strstr (note, "=\n\n\xe2\x80\x94 " ORIGIN " "));
        free (note);
    }
}

/*  Replace the first occurrence of from in note by to (same length). */
static char *
s_edit (const char *note, const char *from, const char *to)
{
    char *copy = strdup (note);
    char *at = strstr (copy, from);
    assert_non_null (at);
    assert_int_equal (strlen (from), strlen (to));
    memcpy (at, to, strlen (to));
    return copy;
}

static void
test_tampered_size_root_or_origin_is_refused (void **state)
{
    (void) state;
    char *note = s_signed (1234);
    char *bad = s_edit (note, "\n1234\n", "\n1235\n");
    s_refused (bad, "bad signature");
    free (bad);
    /*  Flip one base64 character of the root. */
    char *nl = strchr (strchr (note, '\n') + 1, '\n');
    bad = strdup (note);
    bad[nl - note + 1] = bad[nl - note + 1] == 'A' ? 'B' : 'A';
    s_refused (bad, "bad signature");
    free (bad);
    bad = s_edit (note, "keten.", "keteN.");
    s_refused (bad, "not signed by log");
    free (bad);
    /*  Verified against another origin. */
    checkpoint_t cp;
    kt_reason_t r;
    assert_int_not_equal (
        checkpoint_open (note, strlen (note), "other.example/log", s_log_pk, &cp, &r), 0);
    assert_non_null (strstr (r.text, "not signed by log other.example/log"));
    free (note);
}

static void
test_checkpoint_signed_by_another_key_is_refused (void **state)
{
    (void) state;
    checkpoint_t cp = s_cp (10);
    char *note = NULL;
    kt_reason_t r;
    assert_int_equal (checkpoint_format (&cp, s_other_sk, &note, &r), 0);
    s_refused (note, "carries no signature by");
    free (note);
}

/*  Sign arbitrary text as the log, so that only the checkpoint parser
 *  stands between it and the caller. */
static void
s_refused_text (const char *text, const char *want)
{
    char *note = NULL;
    kt_reason_t r;
    assert_int_equal (note_sign (text, strlen (text), ORIGIN, s_log_sk, &note, &r), 0);
    s_refused (note, want);
    free (note);
}

static void
test_malformed_checkpoint_text_is_refused (void **state)
{
    (void) state;
    const char *root = "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=";
    char text[512];
    snprintf (text, sizeof text, ORIGIN "\n12\n%s\nextension\n", root);
    s_refused_text (text, "extension lines");
    snprintf (text, sizeof text, ORIGIN "\n12\n");
    s_refused_text (text, "fewer than three lines");
    snprintf (text, sizeof text, ORIGIN "\n012\n%s\n", root);
    s_refused_text (text, "leading zeros");
    snprintf (text, sizeof text, ORIGIN "\n+12\n%s\n", root);
    s_refused_text (text, "not a decimal number");
    snprintf (text, sizeof text, ORIGIN "\n-1\n%s\n", root);
    s_refused_text (text, "not a decimal number");
    snprintf (text, sizeof text, ORIGIN "\n1 2\n%s\n", root);
    s_refused_text (text, "not a decimal number");
    snprintf (text, sizeof text, ORIGIN "\n9223372036854775808\n%s\n", root);
    s_refused_text (text, "larger than");
    snprintf (text, sizeof text, ORIGIN "\n99999999999999999999999\n%s\n", root);
    s_refused_text (text, "at most 19 digits");
    snprintf (text, sizeof text, ORIGIN "\n12\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0\n");
    s_refused_text (text, "not base64 of a 32-byte hash");
    snprintf (text, sizeof text, ORIGIN "\n12\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb1=\n");
    s_refused_text (text, "not base64 of a 32-byte hash"); /* stray bits: not canonical */
    snprintf (text, sizeof text, ORIGIN "\n12\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40Hmu!Bb0=\n");
    s_refused_text (text, "not base64 of a 32-byte hash");
    snprintf (text, sizeof text, ORIGIN "\n12\nAAAA%s\n", root);
    s_refused_text (text, "not base64 of a 32-byte hash");
    /*  Not a note at all, and bounds. */
    s_refused (ORIGIN "\n12\n", "not signed by log");
    char *huge = malloc (CHECKPOINT_NOTE_MAX + 2);
    memset (huge, 'a', CHECKPOINT_NOTE_MAX + 1);
    huge[CHECKPOINT_NOTE_MAX + 1] = '\0';
    s_refused (huge, "larger than");
    free (huge);
    /*  Blank lines around the text. */
    char *note = s_signed (7);
    char *extra = malloc (strlen (note) + 2);
    extra[0] = '\n';
    strcpy (extra + 1, note);
    s_refused (extra, "checkpoint");
    free (extra);
    free (note);
    /*  Writing refuses what parsing would. */
    checkpoint_t cp = s_cp (1);
    kt_reason_t r;
    char *out = NULL;
    snprintf (cp.origin, sizeof cp.origin, "has space");
    assert_int_not_equal (checkpoint_format (&cp, s_log_sk, &out, &r), 0);
    cp = s_cp ((uint64_t) INT64_MAX + 1);
    assert_int_not_equal (checkpoint_format (&cp, s_log_sk, &out, &r), 0);
}

static void
test_cosignatures_round_trip_and_name_their_witness (void **state)
{
    (void) state;
    char *note = s_signed (42), *one = NULL, *two = NULL, *three = NULL;
    kt_reason_t r;
    assert_int_equal (checkpoint_cosign (note, strlen (note), ORIGIN, s_log_pk, "witness.one",
                                         s_w1_sk, 1700000000, &one, &r),
                      0);
    assert_int_equal (checkpoint_cosign (one, strlen (one), ORIGIN, s_log_pk, "witness.two",
                                         s_w2_sk, 1700000100, &two, &r),
                      0);
    /*  A witness the verifier does not know. */
    assert_int_equal (checkpoint_cosign (two, strlen (two), ORIGIN, s_log_pk, "witness.other",
                                         s_other_sk, 1700000200, &three, &r),
                      0);
    /*  Still a valid checkpoint for a verifier that ignores witnesses. */
    checkpoint_t cp;
    assert_int_equal (checkpoint_open (three, strlen (three), ORIGIN, s_log_pk, &cp, &r), 0);
    assert_int_equal (cp.size, 42);

    checkpoint_witness_t known[3] = {
        {"witness.one", s_w1_pk}, {"witness.two", s_w2_pk}, {"witness.three", s_other_pk}};
    checkpoint_cosig_t found[3];
    size_t unknown = 99;
    if (checkpoint_verify_cosignatures (three, strlen (three), ORIGIN, s_log_pk, known, 3, found,
                                        &unknown, &cp, &r) != 0)
        fail_msg ("%s", r.text);
    assert_true (found[0].cosigned);
    assert_int_equal (found[0].timestamp, 1700000000);
    assert_true (found[1].cosigned);
    assert_int_equal (found[1].timestamp, 1700000100);
    /*  Same key, other name: not witness.three's cosignature. */
    assert_false (found[2].cosigned);
    assert_int_equal (unknown, 1);
    /*  Before the second witness signed. */
    assert_int_equal (checkpoint_verify_cosignatures (one, strlen (one), ORIGIN, s_log_pk, known, 3,
                                                      found, &unknown, &cp, &r),
                      0);
    assert_true (found[0].cosigned);
    assert_false (found[1].cosigned);
    assert_int_equal (unknown, 0);
    /*  The cosignature line's key ID is tlog-cosignature's (type 0x04). */
    uint32_t id = note_key_id ("witness.one", NOTE_TYPE_COSIGNATURE, s_w1_pk);
    uint8_t want[4] = {(uint8_t) (id >> 24), (uint8_t) (id >> 16), (uint8_t) (id >> 8),
                       (uint8_t) id};
    const char *line =
        strstr (one, "\xe2\x80\x94 witness.one ") + strlen ("\xe2\x80\x94 witness.one ");
    uint8_t blob[80];
    size_t got;
    assert_int_equal (sodium_base642bin (blob, sizeof blob, line, strcspn (line, "\n"), NULL, &got,
                                         NULL, sodium_base64_VARIANT_ORIGINAL),
                      0);
    assert_int_equal (got, 76);
    assert_memory_equal (blob, want, 4);
    /*  Its signature is over "cosignature/v1\ntime T\n" || text. */
    char msg[512];
    const char *text_end = strstr (one, "\n\n") + 1;
    int n = snprintf (msg, sizeof msg, "cosignature/v1\ntime 1700000000\n%.*s",
                      (int) (text_end - one), one);
    assert_int_equal (
        crypto_sign_verify_detached (blob + 12, (const uint8_t *) msg, (size_t) n, s_w1_pk), 0);
    free (note);
    free (one);
    free (two);
    free (three);
}

static void
test_bad_or_misplaced_cosignatures_are_refused (void **state)
{
    (void) state;
    char *note = s_signed (42), *one = NULL;
    kt_reason_t r;
    assert_int_equal (checkpoint_cosign (note, strlen (note), ORIGIN, s_log_pk, "witness.one",
                                         s_w1_sk, 1700000000, &one, &r),
                      0);
    checkpoint_witness_t known[1] = {{"witness.one", s_w1_pk}};
    checkpoint_cosig_t found[1];
    checkpoint_t cp;
    /*  A cosignature moved onto another checkpoint. */
    char *other = s_signed (43);
    const char *line = strstr (one, "\xe2\x80\x94 witness.one");
    char *moved = malloc (strlen (other) + strlen (line) + 1);
    strcpy (moved, other);
    strcat (moved, line);
    assert_int_not_equal (checkpoint_verify_cosignatures (moved, strlen (moved), ORIGIN, s_log_pk,
                                                          known, 1, found, NULL, &cp, &r),
                          0);
    assert_non_null (strstr (r.text, "bad cosignature by witness witness.one"));
    /*  A changed timestamp. */
    char *b64 = strstr (one, "witness.one ") + strlen ("witness.one ");
    char *changed = strdup (one);
    char *c = changed + (b64 - one) + 8; /* inside the timestamp */
    *c = *c == 'A' ? 'B' : 'A';
    assert_int_not_equal (checkpoint_verify_cosignatures (changed, strlen (changed), ORIGIN,
                                                          s_log_pk, known, 1, found, NULL, &cp, &r),
                          0);
    /*  A cosigner cannot cosign what the log did not sign. */
    char *bad = s_edit (note, "\n42\n", "\n43\n"), *out = NULL;
    assert_int_not_equal (checkpoint_cosign (bad, strlen (bad), ORIGIN, s_log_pk, "witness.one",
                                             s_w1_sk, 1, &out, &r),
                          0);
    assert_int_not_equal (
        checkpoint_cosign (note, strlen (note), ORIGIN, s_log_pk, "bad name", s_w1_sk, 1, &out, &r),
        0);
    free (bad);
    free (changed);
    free (moved);
    free (other);
    free (note);
    free (one);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_text_matches_go_tlog_vector),
        cmocka_unit_test (test_signed_checkpoint_round_trips),
        cmocka_unit_test (test_tampered_size_root_or_origin_is_refused),
        cmocka_unit_test (test_checkpoint_signed_by_another_key_is_refused),
        cmocka_unit_test (test_malformed_checkpoint_text_is_refused),
        cmocka_unit_test (test_cosignatures_round_trip_and_name_their_witness),
        cmocka_unit_test (test_bad_or_misplaced_cosignatures_are_refused),
    };
    if (sodium_init () < 0)
        return 1;
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
