/*  roster: build, sign, verify and validate the convenant as data.  Real
 *  key files, real signatures; a changed text is re-signed by the real
 *  uitvoerder key so that each rule is tested on its own.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "calendar.h"
#include "keys.h"
#include "note.h"
#include "roster.h"
#include "rosterchange.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { UITV, POLITIE, GEMEENTE, RVDK, NCTV, N_KEYS };
/*  A referentiekader as a roster names it (art. 7.3). */
static const referentiekader_t s_rk = {
    .version = "test-2026.1", .example = true, .sha256 = {0xde, 0xad, 0xbe, 0xef}};
#define S_RK_SHA "deadbeef00000000000000000000000000000000000000000000000000000000"

static const char *s_ids[N_KEYS] = {"uitvoerder-limburg", "politie-limburg",
                                    "gemeente-maastricht", "rvdk-limburg", "nctv"};
static const char *s_kinds[N_KEYS] = {"uitvoerder", "politie", "gemeente", "rvdk", "extern"};

typedef struct {
    char dir[64];
    char pub[N_KEYS][PATH_MAX];
    keys_secret_t *keys[N_KEYS];
    keys_secret_t *other;      /* a second uitvoerder-limburg key set */
    char other_pub[PATH_MAX];
    char pinned[256];          /* note verifier key of keys[UITV] */
    char *note;                /* signed roster of the first four members */
} fixture_t;

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    assert_int_equal (testutil_tmpdir (f->dir, sizeof f->dir, "roster"), 0);
    kt_reason_t r;
    char path[PATH_MAX];
    for (int i = 0; i < N_KEYS; i++) {
        assert_int_equal (keys_generate (s_ids[i], s_kinds[i], NULL, f->dir, &r), 0);
        snprintf (path, sizeof path, "%s/%s.secret", f->dir, s_ids[i]);
        f->keys[i] = keys_load_secret (path, &r);
        assert_non_null (f->keys[i]);
        snprintf (f->pub[i], sizeof f->pub[i], "%s/%s.pub", f->dir, s_ids[i]);
    }
    char other_dir[128];
    snprintf (other_dir, sizeof other_dir, "%s/other", f->dir);
    assert_int_equal (keys_generate (s_ids[UITV], "uitvoerder", NULL, other_dir, &r), 0);
    snprintf (path, sizeof path, "%s/%s.secret", other_dir, s_ids[UITV]);
    f->other = keys_load_secret (path, &r);
    assert_non_null (f->other);
    snprintf (f->other_pub, sizeof f->other_pub, "%s/%s.pub", other_dir, s_ids[UITV]);

    assert_int_equal (note_verifier_format (f->pinned, sizeof f->pinned, s_ids[UITV],
                                            f->keys[UITV]->pub.signing_pk),
                      0);
    const char *pubs[4] = {f->pub[UITV], f->pub[POLITIE], f->pub[GEMEENTE], f->pub[RVDK]};
    if (roster_build ("pga-limburg", 3, pubs, 4, f->keys[UITV], &s_rk, &f->note, &r) != 0)
        fail_msg ("%s", r.text);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    for (int i = 0; i < N_KEYS; i++)
        keys_secret_destroy (&f->keys[i]);
    keys_secret_destroy (&f->other);
    free (f->note);
    assert_int_equal (testutil_rmtree (f->dir), 0);
    free (f);
    return 0;
}

static void
s_assert_contains (const char *text, const char *part)
{
    if (!strstr (text, part))
        fail_msg ("'%s' does not contain '%s'", text, part);
}

/*  The signed text of the fixture's roster (heap). */
static char *
s_text (const fixture_t *f)
{
    const char *end = strstr (f->note, "\n\n");
    assert_non_null (end);
    return strndup (f->note, (size_t) (end - f->note) + 1);
}

/*  text with the first `old` replaced by `new` (heap); frees text. */
static char *
s_replace (char *text, const char *old, const char *new)
{
    char *at = strstr (text, old);
    if (!at)
        fail_msg ("'%s' not in the roster text", old);
    size_t len = strlen (text) - strlen (old) + strlen (new);
    char *out = malloc (len + 1);
    size_t head = (size_t) (at - text);
    memcpy (out, text, head);
    strcpy (out + head, new);
    strcat (out, at + strlen (old));
    free (text);
    return out;
}

/*  Sign text with the real uitvoerder key and parse it. */
static roster_t *
s_sign_and_parse (fixture_t *f, char *text, kt_reason_t *r)
{
    char *note = NULL;
    if (note_sign (text, strlen (text), s_ids[UITV], f->keys[UITV]->signing_sk, &note, r) != 0)
        fail_msg ("%s", r->text);
    free (text);
    roster_t *roster = roster_parse (note, strlen (note), f->pinned, r);
    free (note);
    return roster;
}

/*  Apply one replacement, re-sign, expect refusal naming `why`. */
static void
s_refused_after (fixture_t *f, const char *old, const char *new, const char *why)
{
    kt_reason_t r = {""};
    roster_t *roster = s_sign_and_parse (f, s_replace (s_text (f), old, new), &r);
    if (roster) {
        roster_destroy (&roster);
        fail_msg ("roster accepted; expected '%s'", why);
    }
    s_assert_contains (r.text, why);
}

/*  The member block of id in the fixture's text (heap). */
static char *
s_member_block (fixture_t *f, const char *id)
{
    char *text = s_text (f);
    char head[96];
    snprintf (head, sizeof head, "        %s\n", id);
    char *start = strstr (text, head);
    assert_non_null (start);
    char *end = strstr (start + strlen (head), "\n        ");
    while (end && end[9] == ' ')
        end = strstr (end + 1, "\n        ");
    char *block = end ? strndup (start, (size_t) (end - start) + 1) : strdup (start);
    free (text);
    return block;
}

static void
test_roster_built_from_four_members_parses_back (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    roster_t *roster = roster_parse (f->note, strlen (f->note), f->pinned, &r);
    if (!roster)
        fail_msg ("%s", r.text);
    assert_string_equal (roster->federation, "pga-limburg");
    assert_int_equal (roster->version, 3);
    assert_string_equal (roster->referentiekader, "test-2026.1");
    assert_memory_equal (roster->referentiekader_sha256, s_rk.sha256, 32);
    assert_true (roster->referentiekader_example);
    /*  A new roster: the shortest 6 months there are (art. 13.3). */
    assert_int_equal (roster->retention_not_agendered_days, 181);
    assert_int_equal (roster->retention_archive_days, 365);
    assert_int_equal (roster->retention_destroy_days, 1826);
    assert_int_equal (strlen (roster->issued), 20);
    assert_int_equal (roster->member_count, 4);
    /*  The note is kept byte for byte: it is what gets forwarded. */
    assert_int_equal (roster->note_len, strlen (f->note));
    assert_memory_equal (roster->note, f->note, roster->note_len);

    /*  joined is the Dutch day of issue (the UTC date differs between
     *  midnight in Amsterdam and midnight UTC). */
    char today[11];
    kt_local_date (kt_now_ms (), today);
    const roster_role_t roles[4] = {ROLE_UITVOERDER, ROLE_KERNPARTIJ, ROLE_KERNPARTIJ,
                                    ROLE_CASUSPARTIJ};
    for (int i = 0; i < 4; i++) {
        const roster_member_t *m = roster_find (roster, s_ids[i]);
        assert_non_null (m);
        assert_string_equal (m->kind, s_kinds[i]);
        assert_string_equal (m->name, s_ids[i]);
        assert_int_equal (m->role, roles[i]);
        assert_memory_equal (m->transport_pk, f->keys[i]->pub.transport_pk, 32);
        assert_memory_equal (m->signing_pk, f->keys[i]->pub.signing_pk, 32);
        assert_memory_equal (m->encryption_pk, f->keys[i]->pub.encryption_pk, 32);
        assert_string_equal (m->joined, today);
        assert_string_equal (m->notice_given, "");
        assert_string_equal (m->leaves_at, "");
        assert_true (roster_member_active (m, kt_now_ms ()));
    }
    assert_ptr_equal (roster_uitvoerder (roster), roster_find (roster, s_ids[UITV]));
    assert_null (roster_find (roster, "om-limburg"));
    roster_destroy (&roster);
    assert_null (roster);
}

static void
test_roster_load_reads_and_verifies_the_file (void **state)
{
    fixture_t *f = *state;
    char path[PATH_MAX];
    snprintf (path, sizeof path, "%s/roster.txt", f->dir);
    kt_reason_t r;
    assert_int_equal (kt_write_file (path, f->note, strlen (f->note), 0644, &r), 0);
    roster_t *roster = roster_load (path, f->pinned, &r);
    if (!roster)
        fail_msg ("%s", r.text);
    assert_int_equal (roster->member_count, 4);
    roster_destroy (&roster);
    snprintf (path, sizeof path, "%s/missing.txt", f->dir);
    assert_null (roster_load (path, f->pinned, &r));
    s_assert_contains (r.text, path);
}

static void
test_unsigned_roster_is_refused (void **state)
{
    fixture_t *f = *state;
    char *text = s_text (f);
    kt_reason_t r;
    assert_null (roster_parse (text, strlen (text), f->pinned, &r));
    char want[128];
    snprintf (want, sizeof want, "roster is not signed by the pinned uitvoerder key %s+%08x",
              s_ids[UITV], note_key_id (s_ids[UITV], NOTE_TYPE_ED25519,
                                        f->keys[UITV]->pub.signing_pk));
    s_assert_contains (r.text, want);
    free (text);
}

static void
test_roster_signed_by_another_key_is_refused (void **state)
{
    fixture_t *f = *state;
    /*  Same uitvoerder id, different key: what an attacker who took over
     *  the name but not the key would produce. */
    const char *pubs[2] = {f->other_pub, f->pub[POLITIE]};
    char *forged = NULL;
    kt_reason_t r;
    if (roster_build ("pga-limburg", 4, pubs, 2, f->other, &s_rk, &forged, &r) != 0)
        fail_msg ("%s", r.text);
    assert_null (roster_parse (forged, strlen (forged), f->pinned, &r));
    s_assert_contains (r.text, "not signed by the pinned uitvoerder key");
    free (forged);
}

static void
test_tampered_byte_in_body_is_refused (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    char *copy = strdup (f->note);
    char *v = strstr (copy, "version = 3");
    assert_non_null (v);
    v[10] = '9';
    assert_null (roster_parse (copy, strlen (copy), f->pinned, &r));
    s_assert_contains (r.text, "not signed by the pinned uitvoerder key");
    /*  Every single byte of the text is covered. */
    size_t text_len = (size_t) (strstr (f->note, "\n\n") - f->note) + 1;
    for (size_t i = 0; i < text_len; i += 7) {
        strcpy (copy, f->note);
        copy[i] ^= 0x01;
        roster_t *roster = roster_parse (copy, strlen (copy), f->pinned, &r);
        if (roster)
            fail_msg ("byte %zu flipped and still accepted", i);
    }
    free (copy);
}

static void
test_invalid_pinned_key_is_refused (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    assert_null (roster_parse (f->note, strlen (f->note), "uitvoerder-limburg", &r));
    s_assert_contains (r.text, "pinned uitvoerder key is not a valid verifier key");
    assert_null (roster_parse (f->note, strlen (f->note), NULL, &r));
}

static void
test_duplicate_member_id_is_refused (void **state)
{
    fixture_t *f = *state;
    char *block = s_member_block (f, s_ids[POLITIE]);
    char doubled[4096];
    snprintf (doubled, sizeof doubled, "%s%s", block, block);
    s_refused_after (f, block, doubled, "duplicate member id politie-limburg");
    free (block);
}

static void
test_duplicate_transport_key_is_refused (void **state)
{
    fixture_t *f = *state;
    char politie[65], gemeente[65], old[128], new[128];
    kt_hex (politie, f->keys[POLITIE]->pub.transport_pk, 32);
    kt_hex (gemeente, f->keys[GEMEENTE]->pub.transport_pk, 32);
    snprintf (old, sizeof old, "transport = %s", gemeente);
    snprintf (new, sizeof new, "transport = %s", politie);
    s_refused_after (f, old, new, "have the same transport key");
    kt_hex (politie, f->keys[POLITIE]->pub.encryption_pk, 32);
    kt_hex (gemeente, f->keys[GEMEENTE]->pub.encryption_pk, 32);
    snprintf (old, sizeof old, "encryption = %s", gemeente);
    snprintf (new, sizeof new, "encryption = %s", politie);
    s_refused_after (f, old, new, "have the same encryption key");
}

static void
test_role_inconsistent_with_kind_is_refused (void **state)
{
    fixture_t *f = *state;
    /*  art. 1: the RvdK is a casuspartij, never a kernpartij (which would
     *  give it the weegploeg data of art. 8.4). */
    s_refused_after (f, "kind = rvdk\n            role = casuspartij",
                     "kind = rvdk\n            role = kernpartij",
                     "role kernpartij does not match kind rvdk");
    s_refused_after (f, "kind = politie", "kind = police", "kind 'police'");
}

static void
test_two_uitvoerders_are_refused (void **state)
{
    fixture_t *f = *state;
    s_refused_after (f, "kind = politie\n            role = kernpartij",
                     "kind = uitvoerder\n            role = uitvoerder", "two uitvoerders");
    /*  roster_build checks its result the same way. */
    char other_dir[128], pub[PATH_MAX];
    kt_reason_t r;
    snprintf (other_dir, sizeof other_dir, "%s/second", f->dir);
    assert_int_equal (keys_generate ("uitvoerder-zeeland", "uitvoerder", NULL, other_dir, &r), 0);
    snprintf (pub, sizeof pub, "%s/uitvoerder-zeeland.pub", other_dir);
    const char *pubs[3] = {f->pub[UITV], f->pub[POLITIE], pub};
    char *note = NULL;
    assert_int_equal (roster_build ("pga-limburg", 4, pubs, 3, f->keys[UITV], &s_rk, &note, &r), -1);
    s_assert_contains (r.text, "two uitvoerders");
    assert_null (note);
}

static void
test_uitvoerder_member_must_hold_the_pinned_key (void **state)
{
    fixture_t *f = *state;
    char mine[65], other[65];
    kt_hex (mine, f->keys[UITV]->pub.signing_pk, 32);
    kt_hex (other, f->other->pub.signing_pk, 32);
    s_refused_after (f, mine, other, "is not the pinned signer");
}

static void
test_retention_above_art13_maxima_is_refused (void **state)
{
    fixture_t *f = *state;
    /*  183 is still taken from a roster made before 181 was the default. */
    s_refused_after (f, "not-agendered-days = 181", "not-agendered-days = 184",
                     "not-agendered-days = 184 exceeds the maximum of 183 days of art. 13.3");
    s_refused_after (f, "archive-days = 365", "archive-days = 366",
                     "archive-days = 366 exceeds the maximum of 365 days of art. 13.2");
    s_refused_after (f, "destroy-days = 1826", "destroy-days = 1827",
                     "destroy-days = 1827 exceeds the maximum of 1826 days of art. 13.1");
    s_refused_after (f, "destroy-days = 1826", "destroy-days = 300",
                     "destroy-days must not be shorter");
    s_refused_after (f, "archive-days = 365", "archive-days = 0", "whole number of days");
    s_refused_after (f, "        archive-days = 365\n", "", "retention/archive-days is missing");
    /*  Shorter than the maximum is what the convenant asks for. */
    kt_reason_t r;
    roster_t *roster = s_sign_and_parse (
        f, s_replace (s_text (f), "not-agendered-days = 181", "not-agendered-days = 90"), &r);
    assert_non_null (roster);
    assert_int_equal (roster->retention_not_agendered_days, 90);
    roster_destroy (&roster);
    roster = s_sign_and_parse (
        f, s_replace (s_text (f), "not-agendered-days = 181", "not-agendered-days = 183"), &r);
    assert_non_null (roster);
    roster_destroy (&roster);
}

static void
test_malformed_fields_are_refused (void **state)
{
    fixture_t *f = *state;
    s_refused_after (f, "version = 3", "version = 0", "version must be a whole number");
    s_refused_after (f, "version = 3", "version = 3a", "version must be a whole number");
    s_refused_after (f, "version = 3", "version = 18446744073709551616",
                     "version must be a whole number");
    s_refused_after (f, "federation = pga-limburg", "federation = PGA Limburg", "federation");
    s_refused_after (f, "    issued = ", "    issued = x", "issued must be a UTC time");
    s_refused_after (f, "    referentiekader = test-2026.1\n", "", "referentiekader is missing");
    s_refused_after (f, "    federation = pga-limburg\n",
                     "    federation = pga-limburg\n    colour = blue\n",
                     "unknown key roster/colour");
    s_refused_after (f, "            leaves-at = \"\"\n",
                     "            leaves-at = \"\"\n            leaves-at = \"\"\n",
                     "leaves-at appears twice");
    s_refused_after (f, "\"\"\n", "2026-02-30\n", "is not a date");
    s_refused_after (f, "\"\"\n", "2026-1-01\n", "is not a date");
    char transport[65], old[128];
    kt_hex (transport, f->keys[RVDK]->pub.transport_pk, 32);
    snprintf (old, sizeof old, "transport = %s", transport);
    s_refused_after (f, old, "transport = abcd", "transport key must be 64 hex digits");
    s_refused_after (f, "name = \"politie-limburg\"", "name = \"\"", "member politie-limburg: name");
}

static void
test_member_count_must_be_at_least_one (void **state)
{
    fixture_t *f = *state;
    char *text = s_text (f);
    char *members = strstr (text, "    member\n");
    assert_non_null (members);
    members[strlen ("    member\n")] = '\0';
    kt_reason_t r;
    assert_null (s_sign_and_parse (f, text, &r));
    s_assert_contains (r.text, "no members");
}

static void
test_roster_find_transport_finds_member_by_key (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    roster_t *roster = roster_parse (f->note, strlen (f->note), f->pinned, &r);
    assert_non_null (roster);
    for (int i = 0; i < 4; i++) {
        const roster_member_t *m = roster_find_transport (roster, f->keys[i]->pub.transport_pk, kt_now_ms ());
        assert_non_null (m);
        assert_string_equal (m->id, s_ids[i]);
    }
    assert_null (roster_find_transport (roster, f->keys[NCTV]->pub.transport_pk, kt_now_ms ()));
    /*  A signing key is not a transport key. */
    assert_null (roster_find_transport (roster, f->keys[POLITIE]->pub.signing_pk, kt_now_ms ()));
    roster_destroy (&roster);
}

static uint64_t
s_ms (int y, int mon, int d, int h, int min, int s)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d, .tm_hour = h,
                    .tm_min = min, .tm_sec = s};
    return (uint64_t) timegm (&tm) * 1000u;
}

static void
test_member_with_leaves_at_in_the_past_is_inactive (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    char *text = s_text (f);
    /*  rvdk revoked (art. 15.2c: no notice), politie leaving in 2030. */
    char *block = s_member_block (f, s_ids[RVDK]);
    char *changed = strdup (block);
    changed = s_replace (changed, "leaves-at = \"\"", "leaves-at = 2020-01-01");
    text = s_replace (text, block, changed);
    free (block);
    free (changed);
    text = s_replace (text, "notice-given = \"\"\n            leaves-at = \"\"",
                      "notice-given = 2030-03-01\n            leaves-at = 2030-06-01");
    roster_t *roster = s_sign_and_parse (f, text, &r);
    if (!roster)
        fail_msg ("%s", r.text);
    const roster_member_t *rvdk = roster_find (roster, s_ids[RVDK]);
    assert_false (roster_member_active (rvdk, kt_now_ms ()));
    /*  The first member with a notice is the uitvoerder itself here. */
    const roster_member_t *leaving = NULL;
    for (size_t i = 0; i < roster->member_count; i++)
        if (!strcmp (roster->members[i].leaves_at, "2030-06-01"))
            leaving = &roster->members[i];
    assert_non_null (leaving);
    assert_true (roster_member_active (leaving, kt_now_ms ()));
    /*  Keys stop working at 00:00 Dutch time on the leaves-at day: in
     *  summer (CEST) 22:00 UTC the day before, whatever TZ the node has. */
    assert_true (roster_member_active (leaving, s_ms (2030, 5, 31, 21, 59, 59) + 999));
    assert_false (roster_member_active (leaving, s_ms (2030, 5, 31, 22, 0, 0)));
    assert_false (roster_member_active (leaving, s_ms (2030, 6, 1, 0, 0, 0)));
    roster_destroy (&roster);
}

static void
test_opzegging_needs_three_months_notice (void **state)
{
    fixture_t *f = *state;
    /*  art. 18.2: notice given 2026-11-22 takes effect 2027-02-22 at the
     *  earliest. */
    s_refused_after (f, "notice-given = \"\"\n            leaves-at = \"\"",
                     "notice-given = 2026-11-22\n            leaves-at = 2027-02-21",
                     "3 months later (art. 18.2)");
    s_refused_after (f, "notice-given = \"\"\n            leaves-at = \"\"",
                     "notice-given = 2026-11-22\n            leaves-at = \"\"",
                     "3 months later (art. 18.2)");
    kt_reason_t r;
    roster_t *roster = s_sign_and_parse (
        f,
        s_replace (s_text (f), "notice-given = \"\"\n            leaves-at = \"\"",
                   "notice-given = 2026-11-22\n            leaves-at = 2027-02-22"),
        &r);
    if (!roster)
        fail_msg ("%s", r.text);
    roster_destroy (&roster);
}

/*  Three calendar months from a month's last day end on the last day of
 *  the month three on, not in the month after it: 31 March gives 30 June
 *  (not 1 July), 30 November 28 February (not 2 March). */
static void
test_opzegging_on_a_month_end_ends_on_the_months_last_day (void **state)
{
    fixture_t *f = *state;
    static const char *const pairs[][3] = {
        {"2027-03-31", "2027-06-30", "2027-06-29"},
        {"2026-11-30", "2027-02-28", "2027-02-27"},
        {"2027-11-30", "2028-02-29", "2028-02-28"},
        {"2027-08-31", "2027-11-30", "2027-11-29"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        char dates[128];
        snprintf (dates, sizeof dates, "notice-given = %s\n            leaves-at = %s", pairs[i][0],
                  pairs[i][2]);
        s_refused_after (f, "notice-given = \"\"\n            leaves-at = \"\"", dates,
                         "3 months later (art. 18.2)");
        snprintf (dates, sizeof dates, "notice-given = %s\n            leaves-at = %s", pairs[i][0],
                  pairs[i][1]);
        kt_reason_t r;
        roster_t *roster = s_sign_and_parse (
            f, s_replace (s_text (f), "notice-given = \"\"\n            leaves-at = \"\"", dates),
            &r);
        if (!roster)
            fail_msg ("notice %s, leaves-at %s: %s", pairs[i][0], pairs[i][1], r.text);
        roster_destroy (&roster);
    }
}

static void
test_roster_build_refuses_a_signer_that_is_not_the_uitvoerder_member (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    char *note = NULL;
    const char *without[2] = {f->pub[POLITIE], f->pub[GEMEENTE]};
    assert_int_equal (roster_build ("pga-limburg", 1, without, 2, f->keys[UITV], &s_rk, &note, &r), -1);
    s_assert_contains (r.text, "not among the members");
    const char *pubs[2] = {f->pub[UITV], f->pub[POLITIE]};
    assert_int_equal (roster_build ("pga-limburg", 1, pubs, 2, f->keys[POLITIE], &s_rk, &note, &r), -1);
    s_assert_contains (r.text, "only the uitvoerder signs");
    /*  The .pub of the right id but of other keys. */
    assert_int_equal (roster_build ("pga-limburg", 1, pubs, 2, f->other, &s_rk, &note, &r), -1);
    s_assert_contains (r.text, "does not match");
    assert_int_equal (roster_build ("PGA", 1, pubs, 2, f->keys[UITV], &s_rk, &note, &r), -1);
    assert_int_equal (roster_build ("pga-limburg", 0, pubs, 2, f->keys[UITV], &s_rk, &note, &r), -1);
    assert_int_equal (roster_build ("pga-limburg", 1, pubs, 0, f->keys[UITV], &s_rk, &note, &r), -1);
    assert_null (note);
}

/*  art. 6b / 8.4: a gemeente sees its own residents' weegploeg items, so
 *  the roster must say which municipality it is - and only a gemeente. */
static void
test_gemeente_needs_its_municipality (void **state)
{
    fixture_t *f = *state;
    char *text = s_text (f);
    assert_non_null (strstr (text, "municipality = \"maastricht\"\n"));
    free (text);
    s_refused_after (f, "            municipality = \"maastricht\"\n", "",
                     "a gemeente needs municipality");
    s_refused_after (f, "kind = politie\n", "kind = politie\n            municipality = \"X\"\n",
                     "only a gemeente has a municipality");
    s_refused_after (f, "municipality = \"maastricht\"", "municipality = \"\"",
                     "a gemeente needs municipality");
}

static void
test_roles_follow_the_convenant (void **state)
{
    (void) state;
    assert_int_equal (roster_role_for_kind ("politie"), ROLE_KERNPARTIJ);
    assert_int_equal (roster_role_for_kind ("om"), ROLE_KERNPARTIJ);
    assert_int_equal (roster_role_for_kind ("gemeente"), ROLE_KERNPARTIJ);
    assert_int_equal (roster_role_for_kind ("rvdk"), ROLE_CASUSPARTIJ);
    assert_int_equal (roster_role_for_kind ("reclassering"), ROLE_CASUSPARTIJ);
    assert_int_equal (roster_role_for_kind ("extern"), ROLE_EXTERN);
    assert_int_equal (roster_role_for_kind ("uitvoerder"), ROLE_UITVOERDER);
    assert_int_equal (roster_role_for_kind ("aivd"), 0);
    assert_string_equal (roster_role_name (ROLE_CASUSPARTIJ), "casuspartij");
    assert_string_equal (roster_role_name ((roster_role_t) 0), "unknown");
}

/*  Rotate politie's keys (to NCTV's key set, a convenient second one)
 *  with an overlap of days, issued at now_ms; the fixture's note becomes
 *  the result. */
static roster_t *
s_rotate_politie_at (fixture_t *f, unsigned days, uint64_t now_ms)
{
    kt_reason_t r;
    roster_t *v3 = roster_parse (f->note, strlen (f->note), f->pinned, &r);
    assert_non_null (v3);
    keys_public_t pub = f->keys[NCTV]->pub;
    snprintf (pub.id, sizeof pub.id, "%s", s_ids[POLITIE]);
    snprintf (pub.kind, sizeof pub.kind, "politie");
    roster_change_t c = {.op = ROSTER_CHANGE_ROTATE, .pub = &pub, .overlap_days = days};
    char *note = NULL;
    if (roster_change_at (v3, &c, f->keys[UITV], now_ms, &note, &r) != 0)
        fail_msg ("%s", r.text);
    roster_destroy (&v3);
    free (f->note);
    f->note = note;
    roster_t *v4 = roster_parse (note, strlen (note), f->pinned, &r);
    if (!v4)
        fail_msg ("%s", r.text);
    return v4;
}

static roster_t *
s_rotate_politie (fixture_t *f, unsigned days)
{
    return s_rotate_politie_at (f, days, kt_now_ms ());
}

/*  The UTC day of a date YYYY-MM-DD or of an issued YYYY-MM-DDTHH:MM:SSZ,
 *  as the previous release's roster_text_day_start read both. */
static time_t
s_utc_day_start (const char *text)
{
    struct tm tm = {0};
    char date[11];
    snprintf (date, sizeof date, "%.10s", text);
    assert_non_null (strptime (date, "%Y-%m-%d", &tm));
    return timegm (&tm);
}

/*  A member still on the previous release refuses a previous-until later
 *  than the UTC day of issue + 91 days.  A rotation with the longest
 *  overlap issued at 00:30 Dutch time (23:30 UTC the day before, when the
 *  Dutch day is one ahead) is written to pass that rule too: its overlap
 *  is one day shorter; at noon it is the full Dutch today + 91. */
static void
test_longest_overlap_passes_the_utc_day_bound_too (void **state)
{
    fixture_t *f = *state;
    /*  2027-01-15T23:30:00Z (winter) and 2027-07-15T22:30:00Z (summer):
     *  00:30 Dutch time on the 16th; and 2027-01-15T12:00:00Z. */
    const uint64_t late[] = {1800055800000ull, 1815690600000ull};
    const char *const shorter[] = {"2027-04-16", "2027-10-14"};
    char *v3 = strdup (f->note);
    for (size_t i = 0; i < sizeof late / sizeof *late; i++) {
        free (f->note);
        f->note = strdup (v3);
        roster_t *v4 = s_rotate_politie_at (f, ROSTER_OVERLAP_MAX_DAYS, late[i]);
        const roster_member_t *p = roster_find (v4, s_ids[POLITIE]);
        assert_true (p->has_previous);
        time_t old_latest =
            s_utc_day_start (v4->issued) + (time_t) (ROSTER_OVERLAP_MAX_DAYS + 1) * 86400;
        assert_true (s_utc_day_start (p->previous_until) <= old_latest);
        assert_string_equal (p->previous_until, shorter[i]);
        roster_destroy (&v4);
    }
    free (f->note);
    f->note = v3;
    const uint64_t noon = 1800014400000ull;
    roster_t *v4 = s_rotate_politie_at (f, ROSTER_OVERLAP_MAX_DAYS, noon);
    char dutch_last[11];
    kt_local_date_on (noon, ROSTER_OVERLAP_MAX_DAYS + 1, dutch_last);
    assert_string_equal (roster_find (v4, s_ids[POLITIE])->previous_until, dutch_last);
    assert_string_equal (dutch_last, "2027-04-16");
    roster_destroy (&v4);
}

static void
test_rotation_keeps_the_old_keys_for_the_overlap_only (void **state)
{
    fixture_t *f = *state;
    roster_t *v4 = s_rotate_politie (f, 7);
    assert_int_equal (v4->version, 4);
    const roster_member_t *p = roster_find (v4, s_ids[POLITIE]);
    assert_true (p->has_previous);
    assert_memory_equal (p->signing_pk, f->keys[NCTV]->pub.signing_pk, 32);
    assert_memory_equal (p->previous_signing_pk, f->keys[POLITIE]->pub.signing_pk, 32);
    uint64_t now = kt_now_ms ();
    assert_true (roster_member_previous_active (p, now));
    assert_false (roster_member_previous_active (p, now + 8 * 86400000ull));
    /*  They end at 00:00 Dutch time on previous-until, the Dutch today + 8
     *  days, 7 to 8 days from now (what the status's keys_overlap_ending
     *  and _ended read; a clock change may take an hour off or add one). */
    uint64_t end = roster_member_previous_end_ms (p);
    char day[11], at[17];
    kt_local_date_on (now, 8, day);
    assert_string_equal (p->previous_until, day);
    kt_local_time (end, at);
    assert_string_equal (at + 10, " 00:00");
    assert_true (end > now + 7 * 86400000ull - 3600000 && end <= now + 8 * 86400000ull + 3600000);
    assert_true (roster_member_previous_active (p, end - 1));
    assert_false (roster_member_previous_active (p, end));
    /*  Both transport keys find politie, the old one only in the overlap. */
    const uint8_t *old_tpk = f->keys[POLITIE]->pub.transport_pk;
    assert_ptr_equal (roster_find_transport (v4, f->keys[NCTV]->pub.transport_pk, now), p);
    assert_ptr_equal (roster_find_transport (v4, old_tpk, now), p);
    assert_null (roster_find_transport (v4, old_tpk, now + 8 * 86400000ull));
    roster_destroy (&v4);
}

static void
test_rotation_without_overlap_drops_the_old_keys (void **state)
{
    fixture_t *f = *state;
    roster_t *v4 = s_rotate_politie (f, 0);
    const roster_member_t *p = roster_find (v4, s_ids[POLITIE]);
    assert_false (p->has_previous);
    assert_int_equal (roster_member_previous_end_ms (p), 0);
    assert_null (roster_find_transport (v4, f->keys[POLITIE]->pub.transport_pk, kt_now_ms ()));
    assert_null (strstr (f->note, "previous-"));
    roster_destroy (&v4);
}

/*  The overlap's bound counts from the Dutch day the roster was issued
 *  on: one issued at 00:30 Dutch time (23:30 UTC the day before) may keep
 *  old keys until the Dutch day + 91, as rosterchange.c writes it. */
static void
test_overlap_bound_counts_from_the_dutch_day_of_issue (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    roster_t *v4 = s_rotate_politie (f, 7);
    roster_destroy (&v4);
    char *block = s_member_block (f, s_ids[POLITIE]);
    char *until = strstr (block, "            previous-until = ");
    assert_non_null (until);
    char line[64];
    snprintf (line, sizeof line, "%.*s", (int) (strchr (until, '\n') - until + 1), until);
    free (block);
    const char *issued = strstr (f->note, "    issued = ");
    assert_non_null (issued);
    char issued_line[64];
    snprintf (issued_line, sizeof issued_line, "%.*s", (int) (strchr (issued, '\n') - issued + 1),
              issued);
    /*  2026-12-08 00:30 Dutch time; 2026-12-08 + 91 days is 2027-03-09. */
    char *text = s_text (f);
    text = s_replace (text, issued_line, "    issued = 2026-12-07T23:30:00Z\n");
    text = s_replace (text, line, "            previous-until = 2027-03-09\n");
    roster_t *roster = s_sign_and_parse (f, text, &r);
    if (!roster)
        fail_msg ("%s", r.text);
    roster_destroy (&roster);
    /*  One day more is refused; and at 23:30 Dutch time the day before. */
    text = s_text (f);
    text = s_replace (text, issued_line, "    issued = 2026-12-07T23:30:00Z\n");
    text = s_replace (text, line, "            previous-until = 2027-03-10\n");
    assert_null (s_sign_and_parse (f, text, &r));
    s_assert_contains (r.text, "more than 90 days");
    text = s_text (f);
    text = s_replace (text, issued_line, "    issued = 2026-12-07T22:30:00Z\n");
    text = s_replace (text, line, "            previous-until = 2027-03-09\n");
    assert_null (s_sign_and_parse (f, text, &r));
    s_assert_contains (r.text, "more than 90 days");
}

static void
test_malformed_previous_keys_are_refused (void **state)
{
    fixture_t *f = *state;
    roster_t *v4 = s_rotate_politie (f, 7);
    roster_destroy (&v4);
    char *block = s_member_block (f, s_ids[POLITIE]);
    char *until = strstr (block, "            previous-until = ");
    assert_non_null (until);
    char line[64];
    snprintf (line, sizeof line, "%.*s", (int) (strchr (until, '\n') - until + 1), until);
    free (block);
    s_refused_after (f, line, "", "go together");
    s_refused_after (f, "previous-until = 2", "previous-until = x", "previous-until");
    s_refused_after (f, "previous-signing = ", "previous-signing = zz", "previous-signing key");
    /*  The old keys may not be anyone else's. */
    char hex[65];
    kt_hex (hex, f->keys[GEMEENTE]->pub.transport_pk, 32);
    char with[96];
    snprintf (with, sizeof with, "previous-transport = %s", hex);
    char old[96];
    kt_hex (hex, f->keys[POLITIE]->pub.transport_pk, 32);
    snprintf (old, sizeof old, "previous-transport = %s", hex);
    s_refused_after (f, old, with, "the same transport key");
}

/*  art. 7.3: the roster names the referentiekader in force by version,
 *  SHA-256 and example flag, all three required and checked. */
static void
test_referentiekader_hash_and_example_are_required_and_checked (void **state)
{
    fixture_t *f = *state;
    const char *line = "    referentiekader-sha256 = " S_RK_SHA "\n";
    char *text = s_text (f);
    assert_non_null (strstr (text, line));
    assert_non_null (strstr (text, "    referentiekader-example = 1\n"));
    free (text);
    s_refused_after (f, line, "", "referentiekader-sha256 is missing");
    s_refused_after (f, S_RK_SHA, "deadbeef", "referentiekader-sha256 must be 64 lowercase hex");
    s_refused_after (f, S_RK_SHA,
                     "DEADBEEF00000000000000000000000000000000000000000000000000000000",
                     "referentiekader-sha256 must be 64 lowercase hex");
    s_refused_after (f, S_RK_SHA,
                     "zeadbeef00000000000000000000000000000000000000000000000000000000",
                     "referentiekader-sha256 must be 64 lowercase hex");
    s_refused_after (f, "    referentiekader-example = 1\n", "",
                     "referentiekader-example is missing");
    s_refused_after (f, "referentiekader-example = 1", "referentiekader-example = yes",
                     "referentiekader-example must be 0 or 1");
    /*  A region's own: example = 0 parses as such. */
    kt_reason_t r;
    roster_t *roster = s_sign_and_parse (
        f, s_replace (s_text (f), "referentiekader-example = 1", "referentiekader-example = 0"),
        &r);
    assert_non_null (roster);
    assert_false (roster->referentiekader_example);
    roster_destroy (&roster);
}

/*  art. 7.3: another referentiekader is the next roster version, the
 *  members unchanged; the one in force is not put in force again. */
static void
test_referentiekader_change_is_the_next_version (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    roster_t *v3 = roster_parse (f->note, strlen (f->note), f->pinned, &r);
    assert_non_null (v3);
    referentiekader_t own = {.version = "limburg-2027.1", .sha256 = {1, 2, 3}};
    roster_change_t c = {.op = ROSTER_CHANGE_REFERENTIEKADER, .rk = &own};
    char *note = NULL;
    if (roster_change (v3, &c, f->keys[UITV], &note, &r) != 0)
        fail_msg ("%s", r.text);
    roster_t *v4 = roster_parse (note, strlen (note), f->pinned, &r);
    free (note);
    assert_non_null (v4);
    assert_int_equal (v4->version, 4);
    assert_string_equal (v4->referentiekader, "limburg-2027.1");
    assert_memory_equal (v4->referentiekader_sha256, own.sha256, 32);
    assert_false (v4->referentiekader_example);
    assert_int_equal (v4->member_count, v3->member_count);
    /*  The same again: refused. */
    assert_int_equal (roster_change (v4, &c, f->keys[UITV], &note, &r), -1);
    assert_non_null (strstr (r.text, "in force already"));
    roster_destroy (&v4);
    roster_destroy (&v3);
}

/* ---- peering ------------------------------------------------------------ */

/*  The public keys of another federation's uitvoerder (id, kind), made
 *  in a directory of their own. */
static void
s_peer_pub (fixture_t *f, const char *id, const char *kind, keys_public_t *pub)
{
    char dir[PATH_MAX], path[PATH_MAX + 80];
    kt_reason_t r;
    snprintf (dir, sizeof dir, "%s/peer-%s", f->dir, id);
    if (keys_generate (id, kind, "Uitvoerder Zeeland", dir, &r) != 0)
        fail_msg ("%s", r.text);
    snprintf (path, sizeof path, "%s/%s.pub", dir, id);
    if (keys_load_public (path, pub, &r) != 0)
        fail_msg ("%s", r.text);
}

/*  A peering block for federation with these keys (heap). */
static char *
s_peering_block (const char *federation, const uint8_t *tpk, const uint8_t *spk, const uint8_t *epk)
{
    char t[65], s[65], e[65], *block = NULL;
    if (asprintf (&block,
                  "        %s\n"
                  "            uitvoerder = uitvoerder-zeeland\n"
                  "            name = \"Uitvoerder Zeeland\"\n"
                  "            transport = %s\n"
                  "            signing = %s\n"
                  "            encryption = %s\n"
                  "            endpoint = \"tcp://127.0.0.1:7001\"\n"
                  "            since = 2026-12-04\n"
                  "            ended = \"\"\n"
                  "            wpg-entitled = 0\n",
                  federation, kt_hex (t, tpk, 32), kt_hex (s, spk, 32), kt_hex (e, epk, 32)) < 0)
        fail_msg ("out of memory");
    return block;
}

/*  The fixture's roster with a peering section of blocks appended, signed
 *  by the uitvoerder: it becomes the fixture's note. */
static void
s_note_with (fixture_t *f, const char *blocks)
{
    char *text = s_text (f), *with = NULL;
    if (asprintf (&with, "%s    peering\n%s", text, blocks) < 0)
        fail_msg ("out of memory");
    free (text);
    char *note = NULL;
    kt_reason_t r;
    if (note_sign (with, strlen (with), s_ids[UITV], f->keys[UITV]->signing_sk, &note, &r) != 0)
        fail_msg ("%s", r.text);
    free (with);
    free (f->note);
    f->note = note;
}

/*  The fixture's note with the peering pga-zeeland of a real peer
 *  uitvoerder, whose keys go to *pub. */
static void
s_note_with_zeeland (fixture_t *f, keys_public_t *pub)
{
    s_peer_pub (f, "uitvoerder-zeeland", "uitvoerder", pub);
    char *block =
        s_peering_block ("pga-zeeland", pub->transport_pk, pub->signing_pk, pub->encryption_pk);
    s_note_with (f, block);
    free (block);
}

static void
test_peering_parses_and_survives_roster_sign (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub;
    s_note_with_zeeland (f, &pub);
    kt_reason_t r;
    roster_t *roster = roster_parse (f->note, strlen (f->note), f->pinned, &r);
    if (!roster)
        fail_msg ("%s", r.text);
    assert_int_equal (roster->peering_count, 1);
    const roster_peering_t *p = roster_peering (roster, "pga-zeeland");
    assert_non_null (p);
    assert_null (roster_peering (roster, "pga-brabant"));
    assert_null (roster_peering (roster, NULL));
    assert_string_equal (p->uitvoerder, "uitvoerder-zeeland");
    assert_string_equal (p->name, "Uitvoerder Zeeland");
    assert_memory_equal (p->transport_pk, pub.transport_pk, 32);
    assert_memory_equal (p->signing_pk, pub.signing_pk, 32);
    assert_memory_equal (p->encryption_pk, pub.encryption_pk, 32);
    assert_string_equal (p->endpoint, "tcp://127.0.0.1:7001");
    assert_string_equal (p->since, "2026-12-04");
    assert_string_equal (p->ended, "");
    assert_false (p->wpg_entitled);
    assert_true (roster_peering_active (p, kt_now_ms ()));

    /*  Written again as the next roster is, it reads back the same. */
    char *note = NULL;
    if (roster_sign (roster, f->keys[UITV], "", &note, &r) != 0)
        fail_msg ("%s", r.text);
    roster_t *again = roster_parse (note, strlen (note), f->pinned, &r);
    free (note);
    if (!again)
        fail_msg ("%s", r.text);
    assert_int_equal (again->peering_count, 1);
    assert_memory_equal (again->peerings, roster->peerings, sizeof *roster->peerings);
    roster_destroy (&again);
    roster_destroy (&roster);
}

static void
test_roster_without_peerings_writes_no_peering_section (void **state)
{
    fixture_t *f = *state;
    assert_null (strstr (f->note, "peering"));
    kt_reason_t r;
    roster_t *roster = roster_parse (f->note, strlen (f->note), f->pinned, &r);
    assert_non_null (roster);
    assert_int_equal (roster->peering_count, 0);
    assert_null (roster->peerings);
    roster_destroy (&roster);
}

static void
test_peering_names_are_checked (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub;
    s_note_with_zeeland (f, &pub);
    s_refused_after (f, "        pga-zeeland\n", "        PGA_Zeeland\n",
                     "roster: peering federation 'PGA_Zeeland' must be 1..64 of [a-z0-9-]");
    s_refused_after (f, "        pga-zeeland\n", "        pga-limburg\n",
                     "roster: peering pga-limburg: that is this roster's own federation");
    s_refused_after (f, "uitvoerder = uitvoerder-zeeland", "uitvoerder = Uitvoerder Zeeland",
                     "roster: peering pga-zeeland: uitvoerder 'Uitvoerder Zeeland' must be");
    s_refused_after (f, "name = \"Uitvoerder Zeeland\"", "name = \"\"",
                     "roster: peering pga-zeeland: name must be 1..");
    s_refused_after (f, "        pga-zeeland\n", "        pga-zeeland = x\n",
                     "roster: peering pga-zeeland is a section and takes no value");
    s_refused_after (f, "    peering\n", "    peering = x\n",
                     "roster/peering is a section and takes no value");
}

static void
test_peering_keys_must_be_lowercase_hex (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub;
    s_note_with_zeeland (f, &pub);
    char hex[65], upper[65], old[96], new[96];
    kt_hex (hex, pub.transport_pk, 32);
    for (int i = 0; i < 65; i++)
        upper[i] = (char) (hex[i] >= 'a' && hex[i] <= 'f' ? hex[i] - 32 : hex[i]);
    if (!strcmp (hex, upper))
        upper[0] = 'G'; /* no letter in it: still not lowercase hex */
    snprintf (old, sizeof old, "transport = %s", hex);
    snprintf (new, sizeof new, "transport = %s", upper);
    s_refused_after (f, old, new,
                     "roster: peering pga-zeeland: transport key must be 64 lowercase hex digits");
    kt_hex (hex, pub.signing_pk, 32);
    snprintf (old, sizeof old, "signing = %s", hex);
    s_refused_after (f, old, "signing = abcd",
                     "roster: peering pga-zeeland: signing key must be 64 lowercase hex digits");
    kt_hex (hex, pub.encryption_pk, 32);
    snprintf (old, sizeof old, "encryption = %s", hex);
    s_refused_after (f, old, "encryption = ",
                     "roster: peering pga-zeeland: encryption key must be 64 lowercase hex");
}

/*  A peer taken for a member would be admitted and could sign as one. */
static void
test_peering_keys_must_not_be_a_members_or_another_peers (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub;
    s_note_with_zeeland (f, &pub);
    char hex[65], member[65], old[96], new[96];
    kt_hex (hex, pub.transport_pk, 32);
    kt_hex (member, f->keys[POLITIE]->pub.transport_pk, 32);
    snprintf (old, sizeof old, "transport = %s", hex);
    snprintf (new, sizeof new, "transport = %s", member);
    s_refused_after (f, old, new,
                     "roster: peering pga-zeeland: its transport key is a key of member "
                     "politie-limburg");
    /*  Any kind: a member's signing key as the peer's encryption key. */
    kt_hex (hex, pub.encryption_pk, 32);
    kt_hex (member, f->keys[UITV]->pub.signing_pk, 32);
    snprintf (old, sizeof old, "encryption = %s", hex);
    snprintf (new, sizeof new, "encryption = %s", member);
    s_refused_after (f, old, new,
                     "roster: peering pga-zeeland: its encryption key is a key of member "
                     "uitvoerder-limburg");
    /*  Nor its uitvoerder's id a member's: messages find a peer by it. */
    s_refused_after (f, "uitvoerder = uitvoerder-zeeland", "uitvoerder = uitvoerder-limburg",
                     "roster: peering pga-zeeland: its uitvoerder uitvoerder-limburg is a "
                     "member's id");
}

static void
test_two_peerings_may_not_share_a_key_or_a_federation (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub;
    s_peer_pub (f, "uitvoerder-zeeland", "uitvoerder", &pub);
    char *a = s_peering_block ("pga-zeeland", pub.transport_pk, pub.signing_pk, pub.encryption_pk);
    uint8_t other[2][32];
    randombytes_buf (other, sizeof other);
    /*  The other's encryption key is zeeland's signing key. */
    char *b = s_peering_block ("pga-brabant", other[0], other[1], pub.signing_pk);
    char *original = strdup (f->note), *both = NULL;
    assert_true (asprintf (&both, "%s%s", a, b) > 0);
    s_note_with (f, both);
    kt_reason_t r;
    assert_null (roster_parse (f->note, strlen (f->note), f->pinned, &r));
    s_assert_contains (r.text,
                       "roster: peerings pga-zeeland and pga-brabant share a key (the signing "
                       "key of pga-zeeland)");
    free (both);
    /*  The same federation twice. */
    free (f->note);
    f->note = original;
    assert_true (asprintf (&both, "%s%s", a, a) > 0);
    s_note_with (f, both);
    assert_null (roster_parse (f->note, strlen (f->note), f->pinned, &r));
    s_assert_contains (r.text, "roster: duplicate peering pga-zeeland");
    free (both);
    free (a);
    free (b);
}

/*  During a rotation's overlap a member's previous keys are still its
 *  own: no peer may hold them either. */
static void
test_peering_may_not_hold_a_members_previous_key (void **state)
{
    fixture_t *f = *state;
    roster_t *v4 = s_rotate_politie (f, 7);
    roster_destroy (&v4);
    const uint8_t *old = f->keys[POLITIE]->pub.signing_pk; /* politie's previous */
    uint8_t other[2][32];
    randombytes_buf (other, sizeof other);
    char *block = s_peering_block ("pga-zeeland", other[0], old, other[1]);
    s_note_with (f, block);
    free (block);
    kt_reason_t r;
    assert_null (roster_parse (f->note, strlen (f->note), f->pinned, &r));
    s_assert_contains (r.text, "roster: peering pga-zeeland: its signing key is a key of member "
                               "politie-limburg");
}

static void
test_peering_endpoint_must_be_tcp_host_port (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub;
    s_note_with_zeeland (f, &pub);
    const char *why = "roster: peering pga-zeeland: endpoint must be tcp://HOST:PORT";
    static const char *const bad[] = {"udp://127.0.0.1:7001",
                                      "tcp://:7001",
                                      "tcp://127.0.0.1",
                                      "tcp://127.0.0.1:0",
                                      "tcp://127.0.0.1:65536",
                                      "tcp://127.0.0.1:",
                                      "tcp://127.0.0.1:7a",
                                      "tcp://127.0.0.1:+80",
                                      "tcp://ke ten:7001",
                                      "tcp://a/b:7001",
                                      "tcp://h'st:7001",
                                      "tcp://127.0.0.1:123456",
                                      "tcp://\xc3\xa9t\xc3\xa9.example:7001"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char new[128];
        snprintf (new, sizeof new, "endpoint = \"%s\"", bad[i]);
        s_refused_after (f, "endpoint = \"tcp://127.0.0.1:7001\"", new, why);
    }
    /*  One byte longer than ROSTER_ENDPOINT_MAX. */
    char long_endpoint[ROSTER_ENDPOINT_MAX + 2], new[ROSTER_ENDPOINT_MAX + 64];
    size_t host = ROSTER_ENDPOINT_MAX + 1 - strlen ("tcp://") - strlen (":7001");
    memcpy (long_endpoint, "tcp://", 6);
    memset (long_endpoint + 6, 'h', host);
    memcpy (long_endpoint + 6 + host, ":7001", 6);
    assert_int_equal (strlen (long_endpoint), ROSTER_ENDPOINT_MAX + 1);
    snprintf (new, sizeof new, "endpoint = \"%s\"", long_endpoint);
    s_refused_after (f, "endpoint = \"tcp://127.0.0.1:7001\"", new, why);
    /*  A name, an IPv6 address, the highest port. */
    static const char *const good[] = {"tcp://keten.pga-zeeland.example:7001", "tcp://[::1]:7001",
                                       "tcp://10.0.0.1:65535"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char with[128];
        snprintf (with, sizeof with, "endpoint = \"%s\"", good[i]);
        kt_reason_t r;
        roster_t *roster = s_sign_and_parse (
            f, s_replace (s_text (f), "endpoint = \"tcp://127.0.0.1:7001\"", with), &r);
        if (!roster)
            fail_msg ("%s refused: %s", good[i], r.text);
        assert_string_equal (roster->peerings[0].endpoint, good[i]);
        roster_destroy (&roster);
    }
}

static void
test_peering_dates_and_wpg_entitled_are_checked (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub;
    s_note_with_zeeland (f, &pub);
    s_refused_after (f, "since = 2026-12-04", "since = 2026-13-04",
                     "roster: peering pga-zeeland: since = 2026-13-04 is not a date YYYY-MM-DD");
    s_refused_after (f, "since = 2026-12-04", "since = \"\"",
                     "roster: peering pga-zeeland: since =  is not a date");
    s_refused_after (f, "ended = \"\"", "ended = 2027-02-30",
                     "roster: peering pga-zeeland: ended = 2027-02-30 is not a date YYYY-MM-DD "
                     "or \"\"");
    s_refused_after (f, "ended = \"\"", "ended = 2026-12-03",
                     "roster: peering pga-zeeland: ended 2026-12-03 is before since 2026-12-04");
    s_refused_after (f, "wpg-entitled = 0", "wpg-entitled = yes",
                     "roster: peering pga-zeeland: wpg-entitled must be 0 or 1");
    s_refused_after (f, "wpg-entitled = 0", "wpg-entitled = \"\"",
                     "roster: peering pga-zeeland: wpg-entitled must be 0 or 1");
    /*  Ended the day it began, and entitled: both are fine. */
    kt_reason_t r;
    char *text = s_replace (s_text (f), "ended = \"\"", "ended = 2026-12-04");
    roster_t *roster =
        s_sign_and_parse (f, s_replace (text, "wpg-entitled = 0", "wpg-entitled = 1"), &r);
    if (!roster)
        fail_msg ("%s", r.text);
    assert_string_equal (roster->peerings[0].ended, "2026-12-04");
    assert_true (roster->peerings[0].wpg_entitled);
    assert_false (roster_peering_active (&roster->peerings[0], kt_now_ms ()));
    roster_destroy (&roster);
}

static void
test_peering_keys_are_unknown_repeated_or_missing (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub;
    s_note_with_zeeland (f, &pub);
    s_refused_after (f, "            wpg-entitled = 0\n",
                     "            wpg-entitled = 0\n            colour = blue\n",
                     "roster: unknown key peering/pga-zeeland/colour");
    s_refused_after (f, "            wpg-entitled = 0\n",
                     "            wpg-entitled = 0\n            wpg-entitled = 1\n",
                     "roster: peering/pga-zeeland/wpg-entitled appears twice");
    s_refused_after (f, "            endpoint = \"tcp://127.0.0.1:7001\"\n", "",
                     "roster: peering pga-zeeland has no endpoint");
    s_refused_after (f, "            uitvoerder = uitvoerder-zeeland\n", "",
                     "roster: peering pga-zeeland has no uitvoerder");
    s_refused_after (f, "            since = 2026-12-04\n", "",
                     "roster: peering pga-zeeland has no since");
    s_refused_after (f, "            wpg-entitled = 0\n",
                     "            wpg-entitled = 0\n                deeper = 1\n",
                     "roster: peering/pga-zeeland/wpg-entitled is a key and takes no nested keys");
    /*  ended may be left out: the peering is in force. */
    kt_reason_t r;
    roster_t *roster =
        s_sign_and_parse (f, s_replace (s_text (f), "            ended = \"\"\n", ""), &r);
    if (!roster)
        fail_msg ("%s", r.text);
    assert_string_equal (roster->peerings[0].ended, "");
    roster_destroy (&roster);
}

static void
test_at_most_the_maximum_of_peerings (void **state)
{
    fixture_t *f = *state;
    char *original = strdup (f->note);
    for (int n = ROSTER_MAX_PEERINGS; n <= ROSTER_MAX_PEERINGS + 1; n++) {
        size_t len = 0;
        char *blocks = NULL;
        FILE *out = open_memstream (&blocks, &len);
        for (int i = 0; i < n; i++) {
            char federation[32];
            uint8_t k[3][32];
            randombytes_buf (k, sizeof k);
            snprintf (federation, sizeof federation, "pga-%d", i);
            char *block = s_peering_block (federation, k[0], k[1], k[2]);
            fputs (block, out);
            free (block);
        }
        fclose (out);
        free (f->note);
        f->note = strdup (original);
        s_note_with (f, blocks);
        free (blocks);
        kt_reason_t r;
        roster_t *roster = roster_parse (f->note, strlen (f->note), f->pinned, &r);
        if (n == ROSTER_MAX_PEERINGS) {
            if (!roster)
                fail_msg ("%s", r.text);
            assert_int_equal (roster->peering_count, ROSTER_MAX_PEERINGS);
            roster_destroy (&roster);
        } else {
            assert_null (roster);
            s_assert_contains (r.text, "roster: more than 64 peerings");
        }
    }
    free (original);
}

static void
test_peering_is_active_until_its_ended_day (void **state)
{
    (void) state;
    roster_peering_t p = {.federation = "pga-zeeland", .since = "2026-12-04", .ended = ""};
    assert_true (roster_peering_active (&p, kt_now_ms ()));
    /*  Until 00:00 Dutch time: 22:00 UTC the day before in summer, 23:00
     *  in winter. */
    snprintf (p.ended, sizeof p.ended, "2030-06-01");
    assert_true (roster_peering_active (&p, s_ms (2030, 5, 31, 21, 59, 59) + 999));
    assert_false (roster_peering_active (&p, s_ms (2030, 5, 31, 22, 0, 0)));
    snprintf (p.ended, sizeof p.ended, "2030-12-01");
    assert_true (roster_peering_active (&p, s_ms (2030, 11, 30, 22, 59, 59) + 999));
    assert_false (roster_peering_active (&p, s_ms (2030, 11, 30, 23, 0, 0)));
    /*  An unreadable date fails closed. */
    snprintf (p.ended, sizeof p.ended, "2030-13-01");
    assert_false (roster_peering_active (&p, s_ms (2026, 12, 4, 0, 0, 0)));
}

/*  PEER_ADD on r: pga-zeeland with the keys of pub (heap note into the
 *  fixture and the parsed roster), or -1 with the reason. */
static roster_t *
s_peer_change (fixture_t *f, const roster_t *old, const roster_change_t *c, kt_reason_t *r)
{
    char *note = NULL;
    if (roster_change (old, c, f->keys[UITV], &note, r) != 0)
        return NULL;
    roster_t *next = roster_parse (note, strlen (note), f->pinned, r);
    free (note);
    if (!next)
        fail_msg ("%s", r->text);
    return next;
}

static void
test_peer_add_pins_the_peer_uitvoerder_since_today (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub;
    s_peer_pub (f, "uitvoerder-zeeland", "uitvoerder", &pub);
    kt_reason_t r;
    roster_t *v3 = roster_parse (f->note, strlen (f->note), f->pinned, &r);
    assert_non_null (v3);
    roster_change_t c = {.op = ROSTER_CHANGE_PEER_ADD,
                         .pub = &pub,
                         .federation = "pga-zeeland",
                         .endpoint = "tcp://keten.pga-zeeland.example:7001",
                         .wpg_entitled = true};
    roster_t *v4 = s_peer_change (f, v3, &c, &r);
    if (!v4)
        fail_msg ("%s", r.text);
    assert_int_equal (v4->version, 4);
    assert_int_equal (v4->member_count, v3->member_count);
    const roster_peering_t *p = roster_peering (v4, "pga-zeeland");
    assert_non_null (p);
    char today[11];
    kt_local_date (kt_now_ms (), today); /* the Dutch day of the change */
    assert_string_equal (p->since, today);
    assert_string_equal (p->ended, "");
    assert_string_equal (p->uitvoerder, "uitvoerder-zeeland");
    assert_string_equal (p->name, "Uitvoerder Zeeland");
    assert_string_equal (p->endpoint, "tcp://keten.pga-zeeland.example:7001");
    assert_memory_equal (p->signing_pk, pub.signing_pk, 32);
    assert_memory_equal (p->transport_pk, pub.transport_pk, 32);
    assert_true (p->wpg_entitled);
    assert_true (roster_peering_active (p, kt_now_ms ()));

    /*  A member change keeps the peerings. */
    roster_change_t revoke = {.op = ROSTER_CHANGE_REVOKE, .id = s_ids[RVDK]};
    roster_t *v5 = s_peer_change (f, v4, &revoke, &r);
    if (!v5)
        fail_msg ("%s", r.text);
    assert_int_equal (v5->peering_count, 1);
    assert_memory_equal (v5->peerings, v4->peerings, sizeof *v4->peerings);

    /*  Pinned already. */
    assert_null (s_peer_change (f, v5, &c, &r));
    s_assert_contains (r.text, "already peered with pga-zeeland (since ");
    roster_destroy (&v5);
    roster_destroy (&v4);
    roster_destroy (&v3);
}

/*  An opzegging's date is a day that exists, not in the future, and one
 *  whose three months have not run out (that would be a revocation); a
 *  member that left is not revoked again, nor given its own kind. */
static void
test_membership_changes_that_would_rewrite_history_are_refused (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    roster_t *v3 = roster_parse (f->note, strlen (f->note), f->pinned, &r);
    assert_non_null (v3);
    /*  Dutch days, as the roster's dates are. */
    char today[11], future[11], recent[11];
    uint64_t now = kt_now_ms ();
    kt_local_date (now, today);
    kt_local_date_on (now, 2, future);
    kt_local_date_on (now, -10, recent);
    roster_change_t c = {
        .op = ROSTER_CHANGE_OPZEGGING, .id = s_ids[GEMEENTE], .date = "2027-02-31"};
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "must be a date");
    c.date = future;
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "is in the future");
    c.date = "2020-01-01";
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "which is past: to end it at once, revoke it");
    c.date = recent;
    roster_t *v4 = s_peer_change (f, v3, &c, &r);
    if (!v4)
        fail_msg ("%s", r.text);
    roster_change_t kind = {.op = ROSTER_CHANGE_KIND, .id = s_ids[POLITIE], .kind = "politie"};
    assert_null (s_peer_change (f, v4, &kind, &r));
    s_assert_contains (r.text, "is of kind politie already");
    roster_change_t revoke = {.op = ROSTER_CHANGE_REVOKE, .id = s_ids[RVDK]};
    roster_t *v5 = s_peer_change (f, v4, &revoke, &r);
    if (!v5)
        fail_msg ("%s", r.text);
    assert_null (s_peer_change (f, v5, &revoke, &r));
    s_assert_contains (r.text, "has left already");
    roster_destroy (&v5);
    roster_destroy (&v4);
    roster_destroy (&v3);
}

static void
test_peer_add_refusals (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub, politie = f->keys[POLITIE]->pub;
    s_peer_pub (f, "uitvoerder-zeeland", "uitvoerder", &pub);
    kt_reason_t r;
    roster_t *v3 = roster_parse (f->note, strlen (f->note), f->pinned, &r);
    assert_non_null (v3);
    roster_change_t c = {.op = ROSTER_CHANGE_PEER_ADD,
                         .pub = &pub,
                         .federation = "pga-limburg",
                         .endpoint = "tcp://127.0.0.1:7001"};
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "pga-limburg is this federation; a federation does not peer with "
                               "itself");
    c.federation = "PGA Zeeland";
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "the peer federation 'PGA Zeeland' must be 1..64 of [a-z0-9-]");
    c.federation = NULL;
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "the peer federation '' must be");
    c.federation = "pga-zeeland";
    c.pub = &politie;
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text,
                       "a peering pins another federation's uitvoerder; politie-limburg's key "
                       "file says kind politie");
    c.pub = NULL;
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "a peering needs the peer uitvoerder's public key file");
    /*  This federation's own uitvoerder (its id, and its keys). */
    c.pub = &f->keys[UITV]->pub;
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "the new roster would be refused: roster: peering pga-zeeland: its "
                               "uitvoerder uitvoerder-limburg is a member's id");
    c.pub = &pub;
    c.endpoint = "tcp://127.0.0.1";
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "roster: peering pga-zeeland: endpoint must be tcp://HOST:PORT");
    c.endpoint = NULL;
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "a peering needs the endpoint where the peer uitvoerder listens");
    /*  Too long is refused, not cut to a size that would pass. */
    char endpoint[ROSTER_ENDPOINT_MAX + 16];
    memset (endpoint, 'h', sizeof endpoint);
    memcpy (endpoint, "tcp://", 6);
    snprintf (endpoint + ROSTER_ENDPOINT_MAX + 1 - 5, 16, ":7001");
    c.endpoint = endpoint;
    assert_null (s_peer_change (f, v3, &c, &r));
    s_assert_contains (r.text, "the endpoint is longer than 255 bytes");
    roster_destroy (&v3);
}

static void
test_peer_end_takes_effect_at_once_and_a_new_peering_replaces_it (void **state)
{
    fixture_t *f = *state;
    keys_public_t pub;
    s_peer_pub (f, "uitvoerder-zeeland", "uitvoerder", &pub);
    kt_reason_t r;
    roster_t *v3 = roster_parse (f->note, strlen (f->note), f->pinned, &r);
    assert_non_null (v3);
    roster_change_t add = {.op = ROSTER_CHANGE_PEER_ADD,
                           .pub = &pub,
                           .federation = "pga-zeeland",
                           .endpoint = "tcp://127.0.0.1:7001"};
    roster_t *v4 = s_peer_change (f, v3, &add, &r);
    assert_non_null (v4);
    roster_change_t end = {.op = ROSTER_CHANGE_PEER_END, .federation = "pga-zeeland"};
    roster_t *v5 = s_peer_change (f, v4, &end, &r);
    if (!v5)
        fail_msg ("%s", r.text);
    /*  As a revocation: ended today, so from 00:00 Dutch time on the Dutch today - now. */
    const roster_peering_t *p = roster_peering (v5, "pga-zeeland");
    assert_non_null (p);
    assert_string_equal (p->ended, p->since);
    assert_false (roster_peering_active (p, kt_now_ms ()));
    /*  History: still written. */
    assert_int_equal (v5->peering_count, 1);

    assert_null (s_peer_change (f, v5, &end, &r));
    s_assert_contains (r.text, "the peering with pga-zeeland has ended already (ended ");
    roster_change_t unknown = {.op = ROSTER_CHANGE_PEER_END, .federation = "pga-brabant"};
    assert_null (s_peer_change (f, v5, &unknown, &r));
    s_assert_contains (r.text, "pga-brabant is not a peer federation");

    /*  Pinned again: the ended entry makes room for a fresh one. */
    add.endpoint = "tcp://127.0.0.1:7002";
    roster_t *v6 = s_peer_change (f, v5, &add, &r);
    if (!v6)
        fail_msg ("%s", r.text);
    assert_int_equal (v6->peering_count, 1);
    p = roster_peering (v6, "pga-zeeland");
    assert_string_equal (p->ended, "");
    assert_string_equal (p->endpoint, "tcp://127.0.0.1:7002");
    assert_true (roster_peering_active (p, kt_now_ms ()));
    roster_destroy (&v6);
    roster_destroy (&v5);
    roster_destroy (&v4);
    roster_destroy (&v3);
}

int
main (void)
{
#define T(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
    const struct CMUnitTest tests[] = {
        T (test_roster_built_from_four_members_parses_back),
        T (test_rotation_keeps_the_old_keys_for_the_overlap_only),
        T (test_rotation_without_overlap_drops_the_old_keys),
        T (test_overlap_bound_counts_from_the_dutch_day_of_issue),
        T (test_longest_overlap_passes_the_utc_day_bound_too),
        T (test_malformed_previous_keys_are_refused),
        T (test_roster_load_reads_and_verifies_the_file),
        T (test_unsigned_roster_is_refused),
        T (test_roster_signed_by_another_key_is_refused),
        T (test_tampered_byte_in_body_is_refused),
        T (test_invalid_pinned_key_is_refused),
        T (test_duplicate_member_id_is_refused),
        T (test_duplicate_transport_key_is_refused),
        T (test_role_inconsistent_with_kind_is_refused),
        T (test_two_uitvoerders_are_refused),
        T (test_uitvoerder_member_must_hold_the_pinned_key),
        T (test_retention_above_art13_maxima_is_refused),
        T (test_malformed_fields_are_refused),
        T (test_referentiekader_hash_and_example_are_required_and_checked),
        T (test_referentiekader_change_is_the_next_version),
        T (test_member_count_must_be_at_least_one),
        T (test_roster_find_transport_finds_member_by_key),
        T (test_member_with_leaves_at_in_the_past_is_inactive),
        T (test_opzegging_needs_three_months_notice),
        T (test_opzegging_on_a_month_end_ends_on_the_months_last_day),
        T (test_roster_build_refuses_a_signer_that_is_not_the_uitvoerder_member),
        T (test_gemeente_needs_its_municipality),
        T (test_peering_parses_and_survives_roster_sign),
        T (test_roster_without_peerings_writes_no_peering_section),
        T (test_peering_names_are_checked),
        T (test_peering_keys_must_be_lowercase_hex),
        T (test_peering_keys_must_not_be_a_members_or_another_peers),
        T (test_two_peerings_may_not_share_a_key_or_a_federation),
        T (test_peering_may_not_hold_a_members_previous_key),
        T (test_peering_endpoint_must_be_tcp_host_port),
        T (test_peering_dates_and_wpg_entitled_are_checked),
        T (test_peering_keys_are_unknown_repeated_or_missing),
        T (test_at_most_the_maximum_of_peerings),
        T (test_peer_add_pins_the_peer_uitvoerder_since_today),
        T (test_peer_add_refusals),
        T (test_membership_changes_that_would_rewrite_history_are_refused),
        T (test_peer_end_takes_effect_at_once_and_a_new_peering_replaces_it),
        cmocka_unit_test (test_peering_is_active_until_its_ended_day),
        cmocka_unit_test (test_roles_follow_the_convenant),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
