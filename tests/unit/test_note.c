/*  note: C2SP signed notes.  The published Go vector verifies; our own
 *  notes round-trip; every tampered, truncated, malformed or foreign note
 *  is refused; other signers' lines are ignored as the spec says.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "note.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EM_DASH "\xe2\x80\x94"
#define B64V    sodium_base64_VARIANT_ORIGINAL
#define BUF_MAX (64 * 1024)

/*  The vector from KETEN_TESTVECTORS (Go's sumdb/note tests). */
static char s_vkey[256];
static char s_vtext[512];
static char s_vsigline[256];

/*  A fresh key for the round-trip tests. */
static const char *s_name = "keten.test/roster";
static uint8_t s_pk[crypto_sign_PUBLICKEYBYTES], s_sk[crypto_sign_SECRETKEYBYTES];
static const char *s_text = "keten roster\nversion 7\nuitvoerder-t\n";

static int
s_setup (void **state)
{
    (void) state;
    char *data;
    size_t len;
    kt_reason_t r;
    assert_int_equal (kt_read_file (KETEN_TESTVECTORS, 1 << 20, &data, &len, &r), 0);
    int found = 0;
    char *save = NULL;
    for (char *line = strtok_r (data, "\n", &save); line; line = strtok_r (NULL, "\n", &save)) {
        char *value = strchr (line, ' ');
        if (strncmp (line, "note-", 5) != 0 || !value)
            continue; /* comments and the Merkle lines (test_merkle) */
        *value++ = '\0';
        if (strcmp (line, "note-verifier-key") == 0)
            snprintf (s_vkey, sizeof s_vkey, "%s", value);
        else if (strcmp (line, "note-text-base64") == 0) {
            size_t text_len;
            assert_int_equal (sodium_base642bin ((uint8_t *) s_vtext, sizeof s_vtext - 1, value,
                                                 strlen (value), NULL, &text_len, NULL, B64V),
                              0);
            s_vtext[text_len] = '\0';
        }
        else if (strcmp (line, "note-signature-line") == 0)
            snprintf (s_vsigline, sizeof s_vsigline, "%s", value);
        else
            fail_msg ("unknown note line in test vectors: %s", line);
        found++;
    }
    free (data);
    assert_int_equal (found, 3);
    crypto_sign_keypair (s_pk, s_sk);
    return 0;
}

/*  Append "— name base64(blob)\n" to the note in buf. */
static void
s_add_line (char *buf, const char *name, const uint8_t *blob, size_t blob_len)
{
    size_t b64_max = sodium_base64_ENCODED_LEN (blob_len, B64V);
    char *b64 = malloc (b64_max);
    assert_non_null (b64);
    sodium_bin2base64 (b64, b64_max, blob, blob_len, B64V);
    size_t used = strlen (buf);
    int n = snprintf (buf + used, BUF_MAX - used, EM_DASH " %s %s\n", name, b64);
    assert_true (n > 0 && (size_t) n < BUF_MAX - used);
    free (b64);
}

/*  key ID || Ed25519 signature over text, made without note_sign so that
 *  tests can sign texts that note_sign itself refuses to produce. */
static void
s_make_blob (uint8_t blob[68], uint32_t id, const char *text, size_t len)
{
    blob[0] = (uint8_t) (id >> 24);
    blob[1] = (uint8_t) (id >> 16);
    blob[2] = (uint8_t) (id >> 8);
    blob[3] = (uint8_t) id;
    crypto_sign_detached (blob + 4, NULL, (const uint8_t *) text, len, s_sk);
}

/*  A note of text plus our valid signature line, in a fresh buffer. */
static char *
s_signed (const char *text)
{
    char *buf = calloc (1, BUF_MAX);
    assert_non_null (buf);
    uint8_t blob[68];
    s_make_blob (blob, note_key_id (s_name, NOTE_TYPE_ED25519, s_pk), text, strlen (text));
    snprintf (buf, BUF_MAX, "%s\n", text);
    s_add_line (buf, s_name, blob, sizeof blob);
    return buf;
}

static int
s_verify (const char *note, size_t len)
{
    size_t text_len;
    kt_reason_t r;
    return note_verify (note, len, s_name, s_pk, &text_len, &r);
}

/*  Refused, and for the reason the test is about. */
static void
s_assert_refused (const char *note, size_t len, const char *why)
{
    size_t text_len;
    kt_reason_t r = {""};
    assert_int_equal (note_verify (note, len, s_name, s_pk, &text_len, &r), -1);
    if (!strstr (r.text, why))
        fail_msg ("refused with \"%s\", expected \"%s\"", r.text, why);
}

static void
test_vector_note_verifies_with_its_verifier_key (void **state)
{
    (void) state;
    char name[NOTE_NAME_MAX + 1];
    uint8_t pk[32];
    kt_reason_t r;
    assert_int_equal (note_verifier_parse (s_vkey, name, pk, &r), 0);
    assert_string_equal (name, "PeterNeumann");
    assert_int_equal (note_key_id (name, NOTE_TYPE_ED25519, pk), 0xc74f20a3);
    char note[1024];
    snprintf (note, sizeof note, "%s\n%s\n", s_vtext, s_vsigline);
    size_t text_len = 0;
    assert_int_equal (note_verify (note, strlen (note), name, pk, &text_len, &r), 0);
    assert_int_equal (text_len, strlen (s_vtext));
}

static void
test_vector_verifier_key_round_trips_through_format (void **state)
{
    (void) state;
    char name[NOTE_NAME_MAX + 1], out[NOTE_NAME_MAX + 64];
    uint8_t pk[32];
    kt_reason_t r;
    assert_int_equal (note_verifier_parse (s_vkey, name, pk, &r), 0);
    assert_int_equal (note_verifier_format (out, sizeof out, name, pk), 0);
    assert_string_equal (out, s_vkey);
    /*  Too small an output buffer is refused, not truncated. */
    assert_int_equal (note_verifier_format (out, strlen (s_vkey), name, pk), -1);
}

static void
test_key_id_is_sha256_of_name_newline_type_key (void **state)
{
    (void) state;
    const uint8_t types[] = {NOTE_TYPE_ED25519, NOTE_TYPE_COSIGNATURE};
    for (size_t t = 0; t < sizeof types; t++) {
        uint8_t buf[64], h[32];
        size_t n = strlen (s_name);
        memcpy (buf, s_name, n);
        buf[n] = 0x0a;
        buf[n + 1] = types[t];
        memcpy (buf + n + 2, s_pk, 32);
        crypto_hash_sha256 (h, buf, n + 34);
        uint32_t want = (uint32_t) h[0] << 24 | (uint32_t) h[1] << 16 | (uint32_t) h[2] << 8 | h[3];
        assert_int_equal (note_key_id (s_name, types[t], s_pk), want);
    }
}

static void
test_signed_note_round_trips_through_sign_and_verify (void **state)
{
    (void) state;
    char *note = NULL;
    kt_reason_t r;
    assert_int_equal (note_sign (s_text, strlen (s_text), s_name, s_sk, &note, &r), 0);
    /*  Exactly: text, blank line, one signature line. */
    size_t tl = strlen (s_text);
    assert_memory_equal (note, s_text, tl);
    assert_memory_equal (note + tl, "\n" EM_DASH " ", 5);
    assert_int_equal (note[strlen (note) - 1], '\n');
    char vkey[NOTE_NAME_MAX + 64], name[NOTE_NAME_MAX + 1];
    uint8_t pk[32];
    assert_int_equal (note_verifier_format (vkey, sizeof vkey, s_name, s_pk), 0);
    assert_int_equal (note_verifier_parse (vkey, name, pk, &r), 0);
    size_t text_len = 0;
    assert_int_equal (note_verify (note, strlen (note), name, pk, &text_len, &r), 0);
    assert_int_equal (text_len, tl);
    /*  Same bytes as the hand-built reference (Ed25519 is deterministic). */
    char *ref = s_signed (s_text);
    assert_string_equal (note, ref);
    free (ref);
    free (note);
}

static void
test_note_with_tampered_text_byte_is_refused (void **state)
{
    (void) state;
    char *note = s_signed (s_text);
    size_t len = strlen (note);
    for (size_t i = 0; i < strlen (s_text); i++) {
        note[i] ^= 0x01;
        assert_int_equal (s_verify (note, len), -1);
        note[i] ^= 0x01;
    }
    assert_int_equal (s_verify (note, len), 0);
    free (note);
}

static void
test_note_with_tampered_signature_is_refused (void **state)
{
    (void) state;
    char *note = s_signed (s_text);
    size_t len = strlen (note);
    /*  Every base64 character of the signature, key ID included. */
    char *b64 = note + strlen (s_text) + 1 + 4 + strlen (s_name) + 1;
    for (char *p = b64; *p != '\n'; p++) {
        char saved = *p;
        *p = saved == 'A' ? 'B' : 'A';
        /*  Characters 0-5 carry the key ID (then the line is another
         *  key's); the last two carry padding and trailing bits. */
        if (p - b64 >= 6 && p[1] != '=' && saved != '=')
            s_assert_refused (note, len, "bad signature");
        else
            assert_int_equal (s_verify (note, len), -1);
        *p = saved;
    }
    assert_int_equal (s_verify (note, len), 0);
    free (note);
}

static void
test_note_checked_with_wrong_key_or_name_is_refused (void **state)
{
    (void) state;
    char *note = s_signed (s_text);
    uint8_t pk2[32], sk2[64];
    crypto_sign_keypair (pk2, sk2);
    size_t text_len;
    kt_reason_t r;
    assert_int_equal (note_verify (note, strlen (note), s_name, pk2, &text_len, &r), -1);
    assert_non_null (strstr (r.text, "no signature"));
    assert_int_equal (note_verify (note, strlen (note), "keten.test/other", s_pk, &text_len, &r),
                      -1);
    assert_non_null (strstr (r.text, "no signature"));
    free (note);
}

static void
test_note_without_signature_lines_is_refused (void **state)
{
    (void) state;
    const char *unsigned_text[] = {s_text, "", "\n", "x"};
    for (size_t i = 0; i < sizeof unsigned_text / sizeof *unsigned_text; i++)
        s_assert_refused (unsigned_text[i], strlen (unsigned_text[i]), "no blank line");
    const char *empty_block[] = {"keten roster\nversion 7\n\n", "keten roster\n\n\n", "\n\n"};
    for (size_t i = 0; i < sizeof empty_block / sizeof *empty_block; i++)
        s_assert_refused (empty_block[i], strlen (empty_block[i]), "malformed signature block");
}

static void
test_truncated_or_extended_note_is_refused (void **state)
{
    (void) state;
    char *note = s_signed (s_text);
    size_t len = strlen (note);
    for (size_t n = 0; n < len; n++)
        assert_int_equal (s_verify (note, n), -1);
    /*  A trailing blank line makes an empty signature block. */
    strcat (note, "\n");
    s_assert_refused (note, len + 1, "malformed signature block");
    free (note);
}

static void
test_verifier_key_with_mismatched_key_id_is_refused (void **state)
{
    (void) state;
    char name[NOTE_NAME_MAX + 1], vkey[sizeof s_vkey + 8];
    uint8_t pk[32];
    kt_reason_t r;
    snprintf (vkey, sizeof vkey, "%s", s_vkey);
    char *id = strchr (vkey, '+') + 1;
    id[7] = id[7] == '0' ? '1' : '0';
    assert_int_equal (note_verifier_parse (vkey, name, pk, &r), -1);
    /*  The right id under another name is just as wrong. */
    snprintf (vkey, sizeof vkey, "Peter%s", s_vkey);
    assert_int_equal (note_verifier_parse (vkey, name, pk, &r), -1);
}

static void
test_malformed_verifier_key_is_refused (void **state)
{
    (void) state;
    char name[NOTE_NAME_MAX + 1];
    uint8_t pk[32];
    kt_reason_t r;
    const char *cases[] = {
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+",
        "PeterNeumann+c74f20a3+!!!!garbage!!!!",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAAAA",
        "PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20zz+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        /*  type byte 0x02 instead of 0x01 */
        "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_int_equal (note_verifier_parse (cases[i], name, pk, &r), -1);
}

static void
test_signature_line_with_garbage_base64_is_refused (void **state)
{
    (void) state;
    /*  Ours or another signer's: a malformed line makes a malformed note. */
    const char *bad[] = {
        "!!!!", "AAAA AAAA", "AAA", "AAAAA===", "QQ==QUFB", "", "AAAA====",
        "QR==", /* non-canonical trailing bits */
        /*  padding in the middle, at a multiple of 64 characters */
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAQQ==QUFBQUFB"};
    const char *names[] = {s_name, "other.example/log"};
    for (size_t n = 0; n < 2; n++)
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            char *note = s_signed (s_text);
            size_t used = strlen (note);
            snprintf (note + used, BUF_MAX - used, EM_DASH " %s %s\n", names[n], bad[i]);
            s_assert_refused (note, strlen (note), "not base64");
            free (note);
        }
}

static void
test_signature_line_without_em_dash_and_space_is_refused (void **state)
{
    (void) state;
    const char *prefixes[] = {"- ", "-- ", "\xe2\x80\x93 " /* en dash */, EM_DASH, EM_DASH "  ",
                              " " EM_DASH " "};
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        char *note = s_signed (s_text);
        char *line = note + strlen (s_text) + 1;
        char rest[256];
        snprintf (rest, sizeof rest, "%s", line + 4); /* after "— " */
        snprintf (line, BUF_MAX - (size_t) (line - note), "%s%s", prefixes[i], rest);
        /*  "—  name" reads as an empty key name. */
        s_assert_refused (note, strlen (note), i == 4 ? "key name" : "em dash");
        free (note);
    }
}

static void
test_signature_of_wrong_length_by_our_key_is_refused (void **state)
{
    (void) state;
    uint32_t id = note_key_id (s_name, NOTE_TYPE_ED25519, s_pk);
    uint8_t blob[69];
    s_make_blob (blob, id, s_text, strlen (s_text));
    blob[68] = 0;
    const size_t lens[] = {5, 67, 69};
    for (size_t i = 0; i < 3; i++) {
        char *note = calloc (1, BUF_MAX);
        snprintf (note, BUF_MAX, "%s\n", s_text);
        s_add_line (note, s_name, blob, lens[i]);
        s_assert_refused (note, strlen (note), "wrong length");
        free (note);
    }
}

static void
test_other_signers_lines_are_ignored (void **state)
{
    (void) state;
    uint32_t id = note_key_id (s_name, NOTE_TYPE_ED25519, s_pk);
    /*  Unknown keys (spec: name and ID must both match): a cosignature-sized
     *  blob, a ~5 kB post-quantum-sized one, our name under another key ID,
     *  and a valid signature of ours under another name. */
    static uint8_t big[4 + 4800];
    uint8_t cosig[4 + 8 + 64], other_id[68], other_name[68];
    memset (big, 0x5a, sizeof big);
    memset (cosig, 0xa5, sizeof cosig);
    s_make_blob (other_id, id ^ 1, s_text, strlen (s_text));
    s_make_blob (other_name, id, s_text, strlen (s_text));
    for (int with_ours = 0; with_ours < 2; with_ours++) {
        char *note = with_ours ? s_signed (s_text) : calloc (1, BUF_MAX);
        assert_non_null (note);
        if (!with_ours)
            snprintf (note, BUF_MAX, "%s\n", s_text);
        s_add_line (note, "witness.example/w1", cosig, sizeof cosig);
        s_add_line (note, "pq.example/log", big, sizeof big);
        s_add_line (note, s_name, other_id, sizeof other_id);
        s_add_line (note, "not.ours.example", other_name, sizeof other_name);
        /*  Without our line there is no signature we can check. */
        assert_int_equal (s_verify (note, strlen (note)), with_ours ? 0 : -1);
        free (note);
    }
}

static void
test_second_bad_signature_by_our_key_is_refused (void **state)
{
    (void) state;
    uint32_t id = note_key_id (s_name, NOTE_TYPE_ED25519, s_pk);
    uint8_t blob[68];
    s_make_blob (blob, id, "another text\n", 13);
    char *note = s_signed (s_text);
    s_add_line (note, s_name, blob, sizeof blob);
    s_assert_refused (note, strlen (note), "bad signature");
    free (note);
}

static void
test_more_than_100_signature_lines_is_refused (void **state)
{
    (void) state;
    uint8_t other[68];
    memset (other, 0x11, sizeof other);
    char *note = s_signed (s_text);
    for (int i = 1; i < 100; i++)
        s_add_line (note, "other.example/w", other, sizeof other);
    assert_int_equal (s_verify (note, strlen (note)), 0); /* 100 lines */
    s_add_line (note, "other.example/w", other, sizeof other);
    s_assert_refused (note, strlen (note), "more than 100"); /* 101 lines */
    free (note);
}

static void
test_note_larger_than_4_mib_is_refused (void **state)
{
    (void) state;
    size_t text_len = 4 * 1024 * 1024;
    char *text = malloc (text_len + 1);
    assert_non_null (text);
    memset (text, 'x', text_len);
    for (size_t i = 79; i < text_len; i += 80)
        text[i] = '\n';
    text[text_len - 1] = '\n';
    text[text_len] = '\0';
    char *note = NULL;
    kt_reason_t r;
    assert_int_equal (note_sign (text, text_len, s_name, s_sk, &note, &r), -1);
    /*  Signed by hand: verification refuses it on size alone. */
    uint8_t blob[68];
    s_make_blob (blob, note_key_id (s_name, NOTE_TYPE_ED25519, s_pk), text, text_len);
    char b64[sodium_base64_ENCODED_LEN (68, B64V)];
    sodium_bin2base64 (b64, sizeof b64, blob, sizeof blob, B64V);
    size_t len = text_len + 1 + 4 + strlen (s_name) + 1 + strlen (b64) + 1;
    note = malloc (len + 1);
    assert_non_null (note);
    memcpy (note, text, text_len);
    snprintf (note + text_len, len + 1 - text_len, "\n" EM_DASH " %s %s\n", s_name, b64);
    s_assert_refused (note, len, "larger than");
    free (note);
    free (text);
}

/*  Spec: "The note text MAY contain empty lines; the text is separated
 *  from the signatures by the last empty line in the note." */
static void
test_text_ends_at_last_blank_line_and_may_contain_empty_lines (void **state)
{
    (void) state;
    const char *text = "checkpoint\n\nfake signature block\n\n" EM_DASH " x AAAA\n";
    char *note = s_signed (text);
    size_t text_len = 0;
    kt_reason_t r;
    assert_int_equal (note_verify (note, strlen (note), s_name, s_pk, &text_len, &r), 0);
    assert_int_equal (text_len, strlen (text));
    free (note);
    /*  note_sign produces only texts without empty lines (note.h). */
    assert_int_equal (note_sign (text, strlen (text), s_name, s_sk, &note, &r), -1);
}

static void
test_note_with_control_characters_or_invalid_utf8_is_refused (void **state)
{
    (void) state;
    const char *texts[] = {"tab\there\n", "cr\r\n",         "esc \x1b\n",
                           "bad \xff\n",  "overlong \xc0\xaf\n", "surrogate \xed\xa0\x80\n",
                           "cut \xe2\x80\n"};
    kt_reason_t r;
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char *note = s_signed (texts[i]);
        s_assert_refused (note, strlen (note), "control characters");
        free (note);
        assert_int_equal (note_sign (texts[i], strlen (texts[i]), s_name, s_sk, &note, &r), -1);
    }
    /*  A NUL inside the note (len counts past it). */
    char *note = s_signed ("nul here\n");
    size_t len = strlen (note);
    note[3] = '\0';
    s_assert_refused (note, len, "control characters");
    free (note);
    /*  Non-ASCII UTF-8 is fine. */
    note = s_signed ("Ognuno sta solo sul cuor della terra \xe2\x80\x94 ed \xc3\xa8 subito sera\n");
    assert_int_equal (s_verify (note, strlen (note)), 0);
    free (note);
}

static void
test_sign_refuses_invalid_text_and_key_names (void **state)
{
    (void) state;
    char *note = NULL;
    kt_reason_t r;
    const char *texts[] = {"", "no newline", "\n", "\nleading empty line\n", "a\n\nb\n"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        assert_int_equal (note_sign (texts[i], strlen (texts[i]), s_name, s_sk, &note, &r), -1);
    char long_name[NOTE_NAME_MAX + 2];
    memset (long_name, 'n', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    const char *names[] = {"",          "a b",         "a+b",        "tab\tname",
                           long_name,   "nbsp\xc2\xa0", "ideo\xe3\x80\x80", "bad\xff"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        assert_int_equal (note_sign (s_text, strlen (s_text), names[i], s_sk, &note, &r), -1);
        char out[NOTE_NAME_MAX + 64];
        assert_int_equal (note_verifier_format (out, sizeof out, names[i], s_pk), -1);
    }
    assert_null (note);
}

static void
test_key_names_up_to_the_limit_work_and_longer_are_refused (void **state)
{
    (void) state;
    char name[NOTE_NAME_MAX + 2], vkey[NOTE_NAME_MAX + 64], parsed[NOTE_NAME_MAX + 1];
    memset (name, 'n', NOTE_NAME_MAX);
    name[NOTE_NAME_MAX] = '\0';
    char *note = NULL;
    size_t text_len;
    uint8_t pk[32];
    kt_reason_t r;
    assert_int_equal (note_sign (s_text, strlen (s_text), name, s_sk, &note, &r), 0);
    assert_int_equal (note_verify (note, strlen (note), name, s_pk, &text_len, &r), 0);
    assert_int_equal (note_verifier_format (vkey, sizeof vkey, name, s_pk), 0);
    assert_int_equal (note_verifier_parse (vkey, parsed, pk, &r), 0);
    assert_string_equal (parsed, name);
    free (note);
    /*  Another signer's line with an over-long name makes the note
     *  malformed: names are bounded for every line. */
    uint8_t other[68] = {0};
    memset (name, 'n', NOTE_NAME_MAX + 1);
    name[NOTE_NAME_MAX + 1] = '\0';
    note = s_signed (s_text);
    s_add_line (note, name, other, sizeof other);
    s_assert_refused (note, strlen (note), "key name");
    free (note);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_vector_note_verifies_with_its_verifier_key),
        cmocka_unit_test (test_vector_verifier_key_round_trips_through_format),
        cmocka_unit_test (test_key_id_is_sha256_of_name_newline_type_key),
        cmocka_unit_test (test_signed_note_round_trips_through_sign_and_verify),
        cmocka_unit_test (test_note_with_tampered_text_byte_is_refused),
        cmocka_unit_test (test_note_with_tampered_signature_is_refused),
        cmocka_unit_test (test_note_checked_with_wrong_key_or_name_is_refused),
        cmocka_unit_test (test_note_without_signature_lines_is_refused),
        cmocka_unit_test (test_truncated_or_extended_note_is_refused),
        cmocka_unit_test (test_verifier_key_with_mismatched_key_id_is_refused),
        cmocka_unit_test (test_malformed_verifier_key_is_refused),
        cmocka_unit_test (test_signature_line_with_garbage_base64_is_refused),
        cmocka_unit_test (test_signature_line_without_em_dash_and_space_is_refused),
        cmocka_unit_test (test_signature_of_wrong_length_by_our_key_is_refused),
        cmocka_unit_test (test_other_signers_lines_are_ignored),
        cmocka_unit_test (test_second_bad_signature_by_our_key_is_refused),
        cmocka_unit_test (test_more_than_100_signature_lines_is_refused),
        cmocka_unit_test (test_note_larger_than_4_mib_is_refused),
        cmocka_unit_test (test_text_ends_at_last_blank_line_and_may_contain_empty_lines),
        cmocka_unit_test (test_note_with_control_characters_or_invalid_utf8_is_refused),
        cmocka_unit_test (test_sign_refuses_invalid_text_and_key_names),
        cmocka_unit_test (test_key_names_up_to_the_limit_work_and_longer_are_refused),
    };
    if (sodium_init () < 0)
        return 1;
    return cmocka_run_group_tests (tests, s_setup, NULL);
}
