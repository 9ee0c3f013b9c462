/*  The weegploeg file on real SQLite files: a signal joins its subject by
 *  blind index (same BSN, or same name and birth date for a subject known
 *  without BSN), an uncertain match is recorded for the uitvoerder and
 *  never merged by itself, a batch is stored whole or not at all, and the
 *  file holds no name or BSN in the clear.  Every person here is
 *  fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "decision.h"
#include "intake.h"
#include "items.h"
#include "keystore.h"
#include "meeting.h"
#include "store.h"
#include "weegploeg.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char dir[64];
    uint8_t storage_key[32];
    keystore_t *keystore;
    weegploeg_t *weegploeg;
    uint64_t log_index; /* the next one a stored signal gets */
} fixture_t;

static void
s_open (fixture_t *f)
{
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/keys.db", f->dir);
    f->keystore = keystore_open (path, f->storage_key, &r);
    if (!f->keystore)
        fail_msg ("keystore_open: %s", r.text);
    snprintf (path, sizeof path, "%s/weegploeg.db", f->dir);
    f->weegploeg = weegploeg_open (path, f->keystore, f->storage_key, &r);
    if (!f->weegploeg)
        fail_msg ("weegploeg_open: %s", r.text);
}

static void
s_close (fixture_t *f)
{
    weegploeg_destroy (&f->weegploeg);
    keystore_destroy (&f->keystore);
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "weegploeg") != 0)
        return -1;
    randombytes_buf (f->storage_key, sizeof f->storage_key);
    f->log_index = 1;
    s_open (f);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    s_close (f);
    int rc = testutil_rmtree (f->dir);
    free (f);
    return rc;
}

/*  A valid signal about name, born on birth_date, with bsn (NULL: none). */
static Keten__Signal *
s_signal (const char *name, const char *birth_date, const char *bsn)
{
    char bsn_field[64] = "";
    if (bsn)
        snprintf (bsn_field, sizeof bsn_field, ", \"bsn\": \"%s\"", bsn);
    char text[1024];
    snprintf (text, sizeof text,
              "{\"subject\": {\"name\": \"%s\", \"birth_date\": \"%s\","
              " \"municipality\": \"Maastricht\"%s},"
              " \"description\": \"Fictional test signal.\", \"category\": \"uitingen\","
              " \"observed_on\": \"2026-01-10\","
              " \"melder\": {\"name\": \"Agent Test\", \"contact\": \"test@politie.invalid\"},"
              " \"source\": {\"kind\": \"eigen\"}, \"legal_basis\": \"wpg-16\"}",
              name, birth_date, bsn_field);
    Keten__Signal *signal = NULL;
    kt_reason_t r;
    if (intake_signal_from_json (text, strlen (text), &signal, &r) != 0)
        fail_msg ("test signal does not pass the intake: %s", r.text);
    return signal;
}

/*  One stored signal as the test knows it. */
typedef struct {
    uint8_t id[KT_ID_LEN];
    uint8_t commitment[32];
    uint64_t log_index;
    char case_ref[40];
} stored_t;

/*  Store the signals of one batch from sender; 0 or -1 (reason in r). */
static int
s_store_batch (fixture_t *f, const char *sender, Keten__Signal **signals, size_t n, stored_t *out,
               kt_reason_t *r)
{
    weegploeg_signal_t w[16];
    assert_true (n <= 16);
    for (size_t i = 0; i < n; i++) {
        memset (&w[i], 0, sizeof w[i]);
        w[i].message_id = out[i].id;
        w[i].sender = sender;
        w[i].created_ms = w[i].received_ms = kt_now_ms ();
        w[i].log_index = out[i].log_index = f->log_index++;
        w[i].body_commitment = out[i].commitment;
        w[i].signal = signals[i];
    }
    int rc = weegploeg_store_signals (f->weegploeg, w, n, r);
    for (size_t i = 0; rc == 0 && i < n; i++)
        snprintf (out[i].case_ref, sizeof out[i].case_ref, "%s", w[i].case_ref);
    return rc;
}

/*  Store one signal about name / birth_date / bsn under id (NULL: a
 *  fresh random one). */
static void
s_store_id (fixture_t *f, const char *name, const char *birth_date, const char *bsn,
            const uint8_t *id, stored_t *out)
{
    Keten__Signal *signal = s_signal (name, birth_date, bsn);
    if (id)
        memcpy (out->id, id, KT_ID_LEN);
    else
        randombytes_buf (out->id, sizeof out->id);
    randombytes_buf (out->commitment, sizeof out->commitment);
    kt_reason_t r;
    int rc = s_store_batch (f, "politie-test", &signal, 1, out, &r);
    intake_signal_destroy (&signal);
    if (rc != 0)
        fail_msg ("weegploeg_store_signals: %s", r.text);
    assert_true (weegploeg_case_ref_ok (out->case_ref));
}

/*  Store one fresh signal (new id) about name / birth_date / bsn. */
static void
s_store (fixture_t *f, const char *name, const char *birth_date, const char *bsn, stored_t *out)
{
    s_store_id (f, name, birth_date, bsn, NULL, out);
}

/*  The subject names read back from case_ref, in order, joined by '|'. */
static void
s_case_names (fixture_t *f, const char *case_ref, char *out, size_t len)
{
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    kt_reason_t r;
    if (weegploeg_read_case (f->weegploeg, case_ref, &signals, &n, &r) != 0)
        fail_msg ("weegploeg_read_case: %s", r.text);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++)
        o += (size_t) snprintf (out + o, len - o, "%s%s", i ? "|" : "",
                                signals[i].signal->subject->name);
    weegploeg_case_free (signals, n);
}

/*  The possible matches as a JSON array of {case_ref, other, reason,
 *  state}, read through the store's row iterator. */
static int
s_match_row (void *arg, const weegploeg_match_t *m, kt_reason_t *reason)
{
    (void) reason;
    json_array_append_new (arg, json_pack ("{s:s, s:s, s:s, s:s}", "case_ref", m->case_ref, "other",
                                           m->other, "reason", m->reason, "state", m->state));
    return 0;
}

static json_t *
s_matches (weegploeg_t *weegploeg, bool open_only)
{
    json_t *list = json_array ();
    kt_reason_t r;
    assert_int_equal (weegploeg_each_match (weegploeg, open_only, s_match_row, list, &r), 0);
    return list;
}

static void
test_same_bsn_joins_the_existing_case (void **state)
{
    fixture_t *f = *state;
    stored_t a, b;
    s_store (f, "Test Persoon", "2001-04-12", "111222333", &a);
    /*  The BSN decides, even when the name is spelled otherwise. */
    s_store (f, "T. Persoon", "2001-04-12", "111222333", &b);
    assert_string_equal (a.case_ref, b.case_ref);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 1);
    assert_int_equal (weegploeg_count_signals (f->weegploeg), 2);
    char names[256];
    s_case_names (f, a.case_ref, names, sizeof names);
    assert_string_equal (names, "Test Persoon|T. Persoon");
}

/*  One drain with several signals about the same people finds each
 *  subject as signals stored one at a time would: the drain's memo of
 *  subjects (eight at most, so the last signals about A and B come after
 *  they left it) gives the same case_ref and key as the lookup. */
static void
test_a_drain_finds_each_subject_as_single_signals_would (void **state)
{
    fixture_t *f = *state;
    stored_t known;
    s_store (f, "Test Persoon", "2001-04-12", "111222333", &known);
    const char *names[16] = {"A. Persoon", "Bee Persoon", "Test Persoon", "Bee Persoon"};
    const char *bsns[16] = {"111222333", NULL, "111222333", NULL};
    char others[9][32];
    for (int i = 0; i < 9; i++) {
        snprintf (others[i], sizeof others[i], "Ander Persoon %c", 'a' + i);
        names[4 + i] = others[i];
    }
    names[13] = "Test Persoon"; /* A again, by its BSN */
    bsns[13] = "111222333";
    names[14] = "Bee Persoon"; /* B again, without a BSN */
    names[15] = "Bee Persoon"; /* B's name with a BSN: another subject */
    bsns[15] = "123456782";
    Keten__Signal *signals[16];
    stored_t out[16];
    for (int i = 0; i < 16; i++) {
        signals[i] = s_signal (names[i], "2001-04-12", bsns[i]);
        randombytes_buf (out[i].id, sizeof out[i].id);
        randombytes_buf (out[i].commitment, sizeof out[i].commitment);
    }
    kt_reason_t r;
    if (s_store_batch (f, "politie-test", signals, 16, out, &r) != 0)
        fail_msg ("weegploeg_store_signals: %s", r.text);
    for (int i = 0; i < 16; i++)
        intake_signal_destroy (&signals[i]);
    for (int i = 0; i < 16; i++)
        assert_true (weegploeg_case_ref_ok (out[i].case_ref));
    const char *a = known.case_ref, *b = out[1].case_ref;
    assert_string_equal (out[0].case_ref, a);
    assert_string_equal (out[2].case_ref, a);
    assert_string_equal (out[13].case_ref, a);
    assert_string_equal (out[3].case_ref, b);
    assert_string_equal (out[14].case_ref, b);
    assert_string_not_equal (b, a);
    assert_string_not_equal (out[15].case_ref, b);
    for (int i = 4; i < 13; i++)
        for (int j = 0; j < 16; j++)
            if (j != i)
                assert_string_not_equal (out[i].case_ref, out[j].case_ref);
    /*  A, B, the nine others and B's namesake with a BSN. */
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 12);
    /*  Each case reads back under its subject's key, every signal in it. */
    char read[512];
    s_case_names (f, a, read, sizeof read);
    assert_string_equal (read, "Test Persoon|A. Persoon|Test Persoon|Test Persoon");
    s_case_names (f, b, read, sizeof read);
    assert_string_equal (read, "Bee Persoon|Bee Persoon|Bee Persoon");
    s_case_names (f, out[15].case_ref, read, sizeof read);
    assert_string_equal (read, "Bee Persoon");
    s_case_names (f, out[12].case_ref, read, sizeof read);
    assert_string_equal (read, "Ander Persoon i");
}

static void
test_same_name_and_birth_date_without_bsn_joins_the_existing_case (void **state)
{
    fixture_t *f = *state;
    stored_t a, b, c;
    s_store (f, "Test Persoon", "2001-04-12", NULL, &a);
    /*  Case and punctuation do not make another person. */
    s_store (f, "test-PERSOON", "2001-04-12", NULL, &b);
    /*  Another birth date does. */
    s_store (f, "Test Persoon", "2001-04-13", NULL, &c);
    assert_string_equal (a.case_ref, b.case_ref);
    assert_string_not_equal (a.case_ref, c.case_ref);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 2);
}

static void
test_different_bsn_is_another_subject_even_with_the_same_name (void **state)
{
    fixture_t *f = *state;
    stored_t a, b;
    s_store (f, "Test Persoon", "2001-04-12", "111222333", &a);
    s_store (f, "Test Persoon", "2001-04-12", "123456782", &b);
    assert_string_not_equal (a.case_ref, b.case_ref);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 2);
    /*  ... but the pair is up for the uitvoerder to look at: deciding on
     *  it works once. */
    kt_reason_t r;
    assert_int_equal (
        weegploeg_decide_match (f->weegploeg, a.case_ref, b.case_ref, false, 1000, &r), 0);
    assert_int_equal (
        weegploeg_decide_match (f->weegploeg, a.case_ref, b.case_ref, false, 1000, &r), -1);
    assert_non_null (strstr (r.text, "not an open possible match"));
}

static void
test_uncertain_match_is_never_merged (void **state)
{
    fixture_t *f = *state;
    stored_t with_bsn, without_bsn;
    s_store (f, "Test Persoon", "2001-04-12", "111222333", &with_bsn);
    s_store (f, "Test Persoon", "2001-04-12", NULL, &without_bsn);
    assert_string_not_equal (with_bsn.case_ref, without_bsn.case_ref);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 2);
    char names[256];
    s_case_names (f, with_bsn.case_ref, names, sizeof names);
    assert_string_equal (names, "Test Persoon");
    s_case_names (f, without_bsn.case_ref, names, sizeof names);
    assert_string_equal (names, "Test Persoon");

    /*  Recorded as an open possible match, naming both and no person. */
    json_t *open = s_matches (f->weegploeg, true);
    assert_int_equal (json_array_size (open), 1);
    json_t *m = json_array_get (open, 0);
    assert_string_equal (json_string_value (json_object_get (m, "case_ref")), without_bsn.case_ref);
    assert_string_equal (json_string_value (json_object_get (m, "other")), with_bsn.case_ref);
    assert_string_equal (json_string_value (json_object_get (m, "state")), "open");
    assert_null (strstr (json_string_value (json_object_get (m, "reason")), "Persoon"));
    json_decref (open);

    /*  A later signal without BSN joins the subject known without BSN,
     *  still not the one with a BSN. */
    stored_t again;
    s_store (f, "Test Persoon", "2001-04-12", NULL, &again);
    assert_string_equal (again.case_ref, without_bsn.case_ref);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 2);
}

static void
test_deciding_same_moves_the_signals_to_the_kept_case (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    /*  The merge looks at the agenda and decision tables of the same file. */
    meeting_t *meeting = meeting_new (f->weegploeg, &r);
    decision_t *decision = decision_new (f->weegploeg, &r);
    assert_non_null (meeting);
    assert_non_null (decision);
    /*  keep is known without BSN, gone with one. */
    stored_t keep, gone;
    s_store (f, "Test Persoon", "2001-04-12", NULL, &keep);
    s_store (f, "Test Persoon", "2001-04-12", "111222333", &gone);
    assert_string_not_equal (keep.case_ref, gone.case_ref);

    assert_int_equal (
        weegploeg_decide_match (f->weegploeg, keep.case_ref, gone.case_ref, true, 1000, &r), 0);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 1);
    assert_int_equal (weegploeg_count_signals (f->weegploeg), 2);
    char names[256];
    s_case_names (f, keep.case_ref, names, sizeof names);
    assert_string_equal (names, "Test Persoon|Test Persoon");
    /*  The gone subject and its key are no more. */
    uint8_t key[KEYSTORE_KEY_LEN];
    assert_int_equal (weegploeg_case_key (f->weegploeg, gone.case_ref, key, &r), -1);
    /*  The kept subject took over gone's BSN index: the next signal with
     *  that BSN joins it. */
    stored_t later;
    s_store (f, "T. Persoon", "2001-04-12", "111222333", &later);
    assert_string_equal (later.case_ref, keep.case_ref);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 1);
    /*  ... and the pair is closed. */
    assert_int_equal (
        weegploeg_decide_match (f->weegploeg, keep.case_ref, gone.case_ref, true, 1000, &r), -1);
    json_t *open = s_matches (f->weegploeg, true);
    assert_int_equal (json_array_size (open), 0);
    json_decref (open);
    decision_destroy (&decision);
    meeting_destroy (&meeting);
}

static void
test_subject_on_an_agenda_is_not_merged_away (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    meeting_t *meeting = meeting_new (f->weegploeg, &r);
    decision_t *decision = decision_new (f->weegploeg, &r);
    assert_non_null (meeting);
    assert_non_null (decision);
    stored_t keep, gone;
    s_store (f, "Test Persoon", "2001-04-12", "111222333", &keep);
    s_store (f, "Test Persoon", "2001-04-12", NULL, &gone);
    const char *cases[] = {gone.case_ref};
    meeting_change_t c = {.kind = MEETING_WEEGPLOEG,
                          .starts_at = "2030-01-07T10:00",
                          .location = "Stadhuis",
                          .case_refs = cases,
                          .n_case_refs = 1,
                          .set_cases = true,
                          .uid = 1000};
    char meeting_id[MEETING_ID_LEN];
    uint32_t sequence;
    if (meeting_change (meeting, NULL, &c, meeting_id, &sequence, &r) != 0)
        fail_msg ("meeting_change: %s", r.text);

    assert_int_equal (
        weegploeg_decide_match (f->weegploeg, keep.case_ref, gone.case_ref, true, 1000, &r), -1);
    assert_non_null (strstr (r.text, "on an agenda"));
    /*  Nothing happened: both subjects, their signals and the open pair. */
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 2);
    char names[256];
    s_case_names (f, gone.case_ref, names, sizeof names);
    assert_string_equal (names, "Test Persoon");
    json_t *open = s_matches (f->weegploeg, true);
    assert_int_equal (json_array_size (open), 1);
    json_decref (open);
    /*  The other way round is allowed. */
    assert_int_equal (
        weegploeg_decide_match (f->weegploeg, gone.case_ref, keep.case_ref, true, 1000, &r), 0);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 1);
    decision_destroy (&decision);
    meeting_destroy (&meeting);
}

static void
test_deciding_different_keeps_both_subjects (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    stored_t a, b;
    s_store (f, "Test Persoon", "2001-04-12", "111222333", &a);
    s_store (f, "Test Persoon", "2001-04-12", NULL, &b);
    assert_int_equal (
        weegploeg_decide_match (f->weegploeg, a.case_ref, b.case_ref, false, 1000, &r), 0);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 2);
    json_t *all = s_matches (f->weegploeg, false);
    assert_int_equal (json_array_size (all), 1);
    assert_string_equal (json_string_value (json_object_get (json_array_get (all, 0), "state")),
                         "different");
    json_decref (all);
    /*  Closed: no second decision either way. */
    assert_int_equal (weegploeg_decide_match (f->weegploeg, b.case_ref, a.case_ref, true, 1000, &r),
                      -1);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 2);
}

static void
test_a_subject_cannot_be_matched_with_itself (void **state)
{
    fixture_t *f = *state;
    stored_t a;
    s_store (f, "Test Persoon", "2001-04-12", NULL, &a);
    kt_reason_t r;
    assert_int_equal (weegploeg_decide_match (f->weegploeg, a.case_ref, a.case_ref, true, 1000, &r),
                      -1);
    assert_non_null (strstr (r.text, "itself"));
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 1);
}

static void
test_a_signal_is_known_by_id_sender_and_commitment (void **state)
{
    fixture_t *f = *state;
    stored_t a;
    s_store (f, "Test Persoon", "2001-04-12", NULL, &a);
    uint64_t log_index = 0;
    assert_true (weegploeg_has_signal (f->weegploeg, a.id, NULL, NULL, NULL));
    assert_true (
        weegploeg_has_signal (f->weegploeg, a.id, "politie-test", a.commitment, &log_index));
    assert_int_equal (log_index, a.log_index);
    /*  The same id from another sender, or with another body, is not the
     *  signal stored. */
    assert_false (weegploeg_has_signal (f->weegploeg, a.id, "om-test", a.commitment, NULL));
    uint8_t other[32];
    memcpy (other, a.commitment, sizeof other);
    other[0] ^= 1;
    assert_false (weegploeg_has_signal (f->weegploeg, a.id, "politie-test", other, NULL));
    uint8_t unknown[KT_ID_LEN];
    randombytes_buf (unknown, sizeof unknown);
    assert_false (weegploeg_has_signal (f->weegploeg, unknown, NULL, NULL, NULL));
}

/*  A time-ordered id past every stored one is known to be new without a
 *  lookup; each stored id is still found, before and after a restart:
 *  the newest, one from the past, and a held signal's random id far past
 *  the clock (issue #17). */
static void
test_each_stored_id_is_found_and_a_newer_one_is_new (void **state)
{
    fixture_t *f = *state;
    uint8_t ids[4][KT_ID_LEN];
    kt_ordered_id (ids[0], KT_ID_LEN);
    memset (ids[1], 0, KT_ID_LEN); /* long past: the year 1970 */
    ids[1][15] = 1;
    memset (ids[2], 0xfe, KT_ID_LEN); /* a random id, far past the clock */
    memcpy (ids[3], ids[0], KT_ID_LEN);
    ids[3][15] ^= 0x80; /* the same millisecond */
    stored_t stored[4];
    for (size_t i = 0; i < 4; i++)
        s_store_id (f, "Test Persoon", "2001-04-12", NULL, ids[i], &stored[i]);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < 4; i++) {
            assert_true (weegploeg_has_signal (f->weegploeg, ids[i], NULL, NULL, NULL));
            uint64_t log_index = 0;
            assert_true (weegploeg_has_signal (f->weegploeg, ids[i], "politie-test",
                                               stored[i].commitment, &log_index));
            assert_int_equal (log_index, stored[i].log_index);
        }
        uint8_t newer[KT_ID_LEN], between[KT_ID_LEN];
        kt_ordered_id (newer, KT_ID_LEN);
        memset (newer + 6, 0xff, KT_ID_LEN - 6); /* past each stored one, even in its millisecond */
        memcpy (between, ids[2], KT_ID_LEN);
        between[15] ^= 1;
        assert_false (weegploeg_has_signal (f->weegploeg, newer, NULL, NULL, NULL));
        assert_false (weegploeg_has_signal (f->weegploeg, between, NULL, NULL, NULL));
        s_close (f);
        s_open (f);
    }
}

/*  A batch's figures: one row per kind of fact, counting every signal
 *  of the batch once; a batch that stores nothing counts nothing. */
static void
test_a_batch_is_counted_in_one_row_per_kind (void **state)
{
    fixture_t *f = *state;
    sqlite3 *db = weegploeg_db (f->weegploeg);
    Keten__Signal *signals[3] = {s_signal ("Test Persoon", "2001-04-12", "111222333"),
                                 s_signal ("Ander Persoon", "1999-02-03", NULL),
                                 s_signal ("Test Persoon", "2001-04-12", "111222333")};
    stored_t batch[3];
    for (size_t i = 0; i < 3; i++) {
        randombytes_buf (batch[i].id, KT_ID_LEN);
        randombytes_buf (batch[i].commitment, 32);
    }
    kt_reason_t r;
    assert_int_equal (s_store_batch (f, "politie-test", signals, 3, batch, &r), 0);
    assert_int_equal (store_int (db, "SELECT count(*) FROM figure", -1), 2);
    assert_int_equal (store_int (db, "SELECT n FROM figure WHERE kind='signal-source'", -1), 3);
    assert_int_equal (store_int (db, "SELECT n FROM figure WHERE kind='signal-category'", -1), 3);
    /*  The same ids again: refused as a whole, no figure added. */
    assert_int_equal (s_store_batch (f, "politie-test", signals, 3, batch, &r), -1);
    assert_int_equal (store_int (db, "SELECT sum(n) FROM figure", -1), 6);
    for (size_t i = 0; i < 3; i++)
        intake_signal_destroy (&signals[i]);
}

static void
test_a_batch_with_a_stored_id_stores_nothing (void **state)
{
    fixture_t *f = *state;
    stored_t first;
    s_store (f, "Test Persoon", "2001-04-12", "111222333", &first);
    /*  A new subject, then a message id that is stored already. */
    Keten__Signal *signals[2] = {s_signal ("Ander Persoon", "1999-02-03", NULL),
                                 s_signal ("Test Persoon", "2001-04-12", "111222333")};
    stored_t batch[2];
    randombytes_buf (batch[0].id, KT_ID_LEN);
    memcpy (batch[1].id, first.id, KT_ID_LEN);
    randombytes_buf (batch[0].commitment, 32);
    randombytes_buf (batch[1].commitment, 32);
    kt_reason_t r;
    assert_int_equal (s_store_batch (f, "politie-test", signals, 2, batch, &r), -1);
    intake_signal_destroy (&signals[0]);
    intake_signal_destroy (&signals[1]);
    assert_int_equal (weegploeg_count_signals (f->weegploeg), 1);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 1);
    assert_false (weegploeg_has_signal (f->weegploeg, batch[0].id, NULL, NULL, NULL));
    /*  The file is usable after the rollback. */
    stored_t after;
    s_store (f, "Ander Persoon", "1999-02-03", NULL, &after);
    assert_int_equal (weegploeg_count_subjects (f->weegploeg), 2);
}

static void
test_an_unknown_case_ref_cannot_be_read (void **state)
{
    fixture_t *f = *state;
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 7;
    kt_reason_t r;
    assert_int_equal (weegploeg_read_case (f->weegploeg, "k-0123456789abcdef", &signals, &n, &r),
                      -1);
    assert_null (signals);
    assert_int_equal (n, 0);
    assert_non_null (strstr (r.text, "no subject"));
}

static void
test_signals_are_readable_after_a_restart (void **state)
{
    fixture_t *f = *state;
    stored_t a;
    s_store (f, "Test Persoon", "2001-04-12", "111222333", &a);
    s_close (f);
    s_open (f);
    char names[256];
    s_case_names (f, a.case_ref, names, sizeof names);
    assert_string_equal (names, "Test Persoon");
    /*  And the blind index still finds the subject. */
    stored_t b;
    s_store (f, "Test Persoon", "2001-04-12", "111222333", &b);
    assert_string_equal (a.case_ref, b.case_ref);
}

static void
test_the_file_holds_no_name_or_bsn_in_the_clear (void **state)
{
    fixture_t *f = *state;
    stored_t a;
    s_store (f, "Qzxvtest Persoon", "2001-04-12", "111222333", &a);
    /*  The metadata is in the clear, so the search can find something. */
    assert_int_equal (testutil_files_hold (f->dir, "weegploeg.db", "politie-test"), 1);
    assert_int_equal (testutil_files_hold (f->dir, "weegploeg.db", "Qzxvtest"), 0);
    assert_int_equal (testutil_files_hold (f->dir, "weegploeg.db", "111222333"), 0);
    s_close (f);
    assert_int_equal (testutil_files_hold (f->dir, "weegploeg.db", "Qzxvtest"), 0);
    assert_int_equal (testutil_files_hold (f->dir, "weegploeg.db", "111222333"), 0);
    s_open (f);
}

static void
test_each_closure_is_recorded_once_for_a_known_subject_only (void **state)
{
    fixture_t *f = *state;
    stored_t a;
    s_store (f, "Test Persoon", "2001-04-12", NULL, &a);
    kt_reason_t r;
    sqlite3 *db = weegploeg_db (f->weegploeg);
    assert_int_equal (weegploeg_record_closure (f->weegploeg, a.case_ref, 5000, &r), 0);
    /*  Recorded once; a repeat (a resumed closure) is no error. */
    assert_int_equal (weegploeg_record_closure (f->weegploeg, a.case_ref, 5000, &r), 0);
    assert_int_equal (store_int (db, "SELECT count(*) FROM closure", -1), 1);
    /*  art. 8.2f: the case agendered again and closed again is a second
     *  closure, recorded beside the first. */
    assert_int_equal (weegploeg_record_closure (f->weegploeg, a.case_ref, 6000, &r), 0);
    assert_int_equal (store_int (db, "SELECT count(*) FROM closure", -1), 2);
    assert_int_equal (store_int (db, "SELECT max(closed_ms) FROM closure", -1), 6000);
    assert_int_equal (weegploeg_record_closure (f->weegploeg, "k-0123456789abcdef", 5000, &r), -1);
}

static void
test_gemeente_sees_only_its_own_residents (void **state)
{
    (void) state;
    roster_member_t politie = {.role = ROLE_KERNPARTIJ, .kind = "politie"};
    roster_member_t om = {.role = ROLE_KERNPARTIJ, .kind = "om"};
    roster_member_t gemeente = {
        .role = ROLE_KERNPARTIJ, .kind = "gemeente", .municipality = "Sittard-Geleen"};
    roster_member_t no_muni = {.role = ROLE_KERNPARTIJ, .kind = "gemeente"};
    roster_member_t rvdk = {.role = ROLE_CASUSPARTIJ, .kind = "rvdk"};
    /*  art. 6b, 8.4 */
    assert_true (weegploeg_kernpartij_sees (&politie, "Maastricht"));
    assert_true (weegploeg_kernpartij_sees (&om, "Maastricht"));
    assert_true (weegploeg_kernpartij_sees (&gemeente, "sittard geleen"));
    assert_false (weegploeg_kernpartij_sees (&gemeente, "Maastricht"));
    assert_false (weegploeg_kernpartij_sees (&no_muni, ""));
    assert_false (weegploeg_kernpartij_sees (&rvdk, "Maastricht"));
}

static void
test_only_case_refs_keten_makes_are_accepted (void **state)
{
    (void) state;
    assert_true (weegploeg_case_ref_ok ("k-0123456789abcdef"));
    assert_false (weegploeg_case_ref_ok ("k-0123456789ABCDEF"));
    assert_false (weegploeg_case_ref_ok ("k-0123456789abcde"));
    assert_false (weegploeg_case_ref_ok ("x-0123456789abcdef"));
    assert_false (weegploeg_case_ref_ok ("k-0123456789abcdef0"));
    assert_false (weegploeg_case_ref_ok (NULL));
}

/* ---- meer informatie (art. 7.4 sub 1) ------------------------------------ */

/*  The pieces decision_record weighs against: a referentiekader of one
 *  criterion and a roster of politie, a gemeente and a casuspartij. */
typedef struct {
    referentiekader_t rk;
    roster_member_t members[3];
    roster_t roster;
} s_frame_t;

static void
s_frame (s_frame_t *fr)
{
    memset (fr, 0, sizeof *fr);
    snprintf (fr->rk.version, sizeof fr->rk.version, "example-2026.1");
    fr->rk.n_criteria = 1;
    snprintf (fr->rk.codes[0], sizeof fr->rk.codes[0], "c1");
    static const struct {
        const char *id, *kind;
        roster_role_t role;
    } m[] = {{"politie-test", "politie", ROLE_KERNPARTIJ},
             {"gemeente-test", "gemeente", ROLE_KERNPARTIJ},
             {"rvdk-test", "rvdk", ROLE_CASUSPARTIJ}};
    for (size_t i = 0; i < 3; i++) {
        snprintf (fr->members[i].id, sizeof fr->members[i].id, "%s", m[i].id);
        snprintf (fr->members[i].kind, sizeof fr->members[i].kind, "%s", m[i].kind);
        snprintf (fr->members[i].municipality, sizeof fr->members[i].municipality, "Maastricht");
        fr->members[i].role = m[i].role;
    }
    fr->roster.members = fr->members;
    fr->roster.member_count = 3;
}

/*  decision_record of a meer informatie decision asking asked (NULL: none)
 *  with question (NULL: none), parties n_parties of {rvdk-test}. */
static int
s_ask (decision_t *decision, const s_frame_t *fr, const char *case_ref, const char *asked,
       const char *question, size_t n_parties, bool meer, char id[DECISION_ID_LEN], kt_reason_t *r)
{
    const char *parties[] = {"rvdk-test"};
    decision_input_t in = {.case_ref = case_ref,
                           .analysis = "Qzxv nog niet te wegen.",
                           .parties = parties,
                           .n_parties = n_parties,
                           .uid = 1000,
                           .meer_informatie = meer,
                           .asked = asked,
                           .question = question};
    return decision_record (decision, &fr->rk, &fr->roster, &in, kt_now_ms (), id, r);
}

static void
test_meer_informatie_asks_one_active_kernpartij_a_question (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    decision_t *decision = decision_new (f->weegploeg, &r);
    assert_non_null (decision);
    s_frame_t fr;
    s_frame (&fr);
    stored_t a;
    s_store (f, "Test Persoon", "2001-04-12", NULL, &a);
    char id[DECISION_ID_LEN];
    static const struct {
        const char *asked, *question;
        size_t n_parties;
        bool meer;
        const char *why;
    } bad[] = {
        {NULL, "Bekend?", 0, true, "names the kernpartij asked and the question"},
        {"gemeente-test", NULL, 0, true, "names the kernpartij asked and the question"},
        {"nobody", "Bekend?", 0, true, "not an active member"},
        {"rvdk-test", "Bekend?", 0, true, "rvdk-test is not one"},
        {"gemeente-test", "Bekend?", 1, true, "names no parties"},
        {"gemeente-test", "Bekend?\x01", 0, true, "the question must be"},
        {"gemeente-test", "", 0, true, "the question must be"},
        {"gemeente-test", "Bekend?", 0, false, "with meer informatie only"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal (s_ask (decision, &fr, a.case_ref, bad[i].asked, bad[i].question,
                                 bad[i].n_parties, bad[i].meer, id, &r),
                          -1);
        if (!strstr (r.text, bad[i].why))
            fail_msg ("case %zu: '%s' does not say '%s'", i, r.text, bad[i].why);
    }
    char open_id[DECISION_ID_LEN], asked[65];
    assert_int_equal (decision_open_question (decision, a.case_ref, open_id, asked, &r), 0);

    assert_int_equal (
        s_ask (decision, &fr, a.case_ref, "gemeente-test", "Qzxvquestion bekend?", 0, true, id, &r),
        0);
    /*  The open question: who is asked in the clear, the question sealed. */
    assert_int_equal (decision_open_question (decision, a.case_ref, open_id, asked, &r), 1);
    assert_string_equal (open_id, id);
    assert_string_equal (asked, "gemeente-test");
    Keten__WeegploegDecision *d = NULL;
    assert_int_equal (decision_get (decision, id, &d, &r), 0);
    assert_int_equal (d->outcome, KETEN__DECISION_OUTCOME__MEER_INFORMATIE);
    assert_string_equal (d->asked, "gemeente-test");
    assert_string_equal (d->question, "Qzxvquestion bekend?");
    assert_int_equal (d->n_parties, 0);
    keten__weegploeg_decision__free_unpacked (d, NULL);
    assert_int_equal (store_int (weegploeg_db (f->weegploeg),
                                 "SELECT count(*) FROM decision WHERE asked='gemeente-test'", -1),
                      1);
    decision_destroy (&decision);
    assert_int_equal (testutil_files_hold (f->dir, "weegploeg.db", "gemeente-test"), 1);
    assert_int_equal (testutil_files_hold (f->dir, "weegploeg.db", "Qzxvquestion"), 0);
}

/*  An answer from sender to decision_id on case_ref with one item. */
static int
s_answer_check (decision_t *decision, const char *sender, const char *decision_id,
                const char *case_ref, kt_reason_t *r)
{
    json_t *json =
        json_loads ("[{\"kind\": \"fact\", \"text\": \"Qzxv bekend (fictief).\"}]", 0, NULL);
    Keten__SignalItem **items = NULL;
    size_t n = 0;
    if (items_decode (json, &items, &n, r) != 0)
        fail_msg ("items: %s", r->text);
    Keten__CaseContribution c = KETEN__CASE_CONTRIBUTION__INIT;
    c.case_ref = (char *) case_ref;
    c.kind = "informatie";
    c.legal_basis = "avg-6-1-e";
    c.items = items;
    c.n_items = n;
    c.answers = (char *) decision_id;
    int rc = decision_answer_check (decision, sender, &c, r);
    if (rc == 0) {
        uint8_t id[KT_ID_LEN];
        randombytes_buf (id, sizeof id);
        if (decision_answer_store (decision, id, decision_id, sender, &c, kt_now_ms (), 7, r) != 0)
            fail_msg ("answer store: %s", r->text);
    }
    items_free (items, n);
    json_decref (json);
    return rc;
}

static void
test_only_the_party_asked_answers_an_open_question (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    decision_t *decision = decision_new (f->weegploeg, &r);
    meeting_t *meeting = meeting_new (f->weegploeg, &r);
    assert_non_null (decision);
    assert_non_null (meeting);
    s_frame_t fr;
    s_frame (&fr);
    stored_t a, b;
    s_store (f, "Test Persoon", "2001-04-12", NULL, &a);
    s_store (f, "Ander Persoon", "1999-02-03", NULL, &b);
    char d1[DECISION_ID_LEN], d2[DECISION_ID_LEN], d3[DECISION_ID_LEN];
    assert_int_equal (
        s_ask (decision, &fr, a.case_ref, "gemeente-test", "Bekend?", 0, true, d1, &r), 0);
    /*  b: niet agenderen, which asks nothing. */
    assert_int_equal (s_ask (decision, &fr, b.case_ref, NULL, NULL, 0, false, d2, &r), 0);

    assert_int_equal (s_answer_check (decision, "politie-test", d1, a.case_ref, &r), 1);
    assert_non_null (strstr (r.text, "asked gemeente-test, not politie-test"));
    assert_int_equal (s_answer_check (decision, "gemeente-test", d1, b.case_ref, &r), 1);
    assert_non_null (strstr (r.text, "is not on"));
    assert_int_equal (s_answer_check (decision, "gemeente-test", d2, b.case_ref, &r), 1);
    assert_non_null (strstr (r.text, "not a request for more information"));
    assert_int_equal (
        s_answer_check (decision, "gemeente-test", "d-0000000000000000", a.case_ref, &r), 1);
    assert_non_null (strstr (r.text, "no weegploeg decision"));
    assert_int_equal (s_answer_check (decision, "gemeente-test", "x", a.case_ref, &r), 1);
    assert_int_equal (s_answer_check (decision, "gemeente-test", d1, a.case_ref, &r), 0);
    /*  Kept, readable under the subject's key. */
    decision_answer_t *answers = NULL;
    size_t n = 0;
    assert_int_equal (decision_answers_read (f->weegploeg, a.case_ref, &answers, &n, &r), 0);
    assert_int_equal (n, 1);
    assert_string_equal (answers[0].sender, "gemeente-test");
    assert_string_equal (answers[0].decision_id, d1);
    assert_string_equal (answers[0].answer->items[0]->text, "Qzxv bekend (fictief).");
    decision_answers_free (answers, n);
    /*  At most DECISION_MAX_ANSWERS to one question. */
    for (int i = 1; i < DECISION_MAX_ANSWERS; i++)
        assert_int_equal (s_answer_check (decision, "gemeente-test", d1, a.case_ref, &r), 0);
    assert_int_equal (s_answer_check (decision, "gemeente-test", d1, a.case_ref, &r), 1);
    assert_non_null (strstr (r.text, "answers already"));

    /*  A later decision closes the question. */
    assert_int_equal (s_ask (decision, &fr, a.case_ref, NULL, NULL, 0, false, d3, &r), 0);
    char open_id[DECISION_ID_LEN], asked[65];
    assert_int_equal (decision_open_question (decision, a.case_ref, open_id, asked, &r), 0);
    assert_int_equal (s_answer_check (decision, "gemeente-test", d1, a.case_ref, &r), 1);
    assert_non_null (strstr (r.text, "is closed"));
    meeting_destroy (&meeting);
    decision_destroy (&decision);
}

/*  meeting_send_fn: count the items each copy carries. */
static int
s_count_items (void *arg, const roster_member_t *to, const Keten__WeegploegAgenda *agenda,
               kt_reason_t *reason)
{
    (void) to;
    (void) reason;
    size_t *n = arg;
    for (size_t i = 0; i < agenda->n_items; i++)
        for (size_t j = 0; j < agenda->items[i]->n_signals; j++)
            if (strcmp (agenda->items[i]->signals[j]->source_kind, "aanvulling") == 0)
                (*n)++;
    return 0;
}

static void
test_a_subject_due_goes_on_the_next_planned_meeting (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    decision_t *decision = decision_new (f->weegploeg, &r);
    meeting_t *meeting = meeting_new (f->weegploeg, &r);
    assert_non_null (decision);
    assert_non_null (meeting);
    s_frame_t fr;
    s_frame (&fr);
    stored_t a, b;
    s_store (f, "Test Persoon", "2001-04-12", NULL, &a);
    s_store (f, "Ander Persoon", "1999-02-03", NULL, &b);
    char d1[DECISION_ID_LEN], m1[MEETING_ID_LEN], m2[MEETING_ID_LEN];
    uint32_t seq = 99;
    assert_int_equal (
        s_ask (decision, &fr, a.case_ref, "gemeente-test", "Bekend?", 0, true, d1, &r), 0);
    assert_int_equal (s_answer_check (decision, "gemeente-test", d1, a.case_ref, &r), 0);
    assert_int_equal (meeting_mark_due (meeting, a.case_ref, 1000, &r), 0);
    /*  No meeting planned: it stays due; a meeting planned in the past
     *  (to record one held) takes nothing. */
    assert_int_equal (meeting_place_due (meeting, kt_now_ms (), 1000, m1, &seq, &r), 0);
    const char *only_b[] = {b.case_ref};
    meeting_change_t c = {.kind = MEETING_WEEGPLOEG,
                          .starts_at = "2020-01-07T10:00",
                          .location = "Stadhuis",
                          .case_refs = only_b,
                          .n_case_refs = 1,
                          .set_cases = true,
                          .uid = 1000};
    assert_int_equal (meeting_change (meeting, NULL, &c, m1, &seq, &r), 0);
    assert_int_equal (meeting_place_due (meeting, kt_now_ms (), 1000, m1, &seq, &r), 0);
    const char *due_sql = "SELECT count(*) FROM meeting_due";
    assert_int_equal (store_int (weegploeg_db (f->weegploeg), due_sql, -1), 1);
    /*  A new meeting still to come takes it at once. */
    c.starts_at = "2099-01-07T10:00";
    assert_int_equal (meeting_change (meeting, NULL, &c, m2, &seq, &r), 0);
    assert_int_equal (seq, 0);
    assert_int_equal (store_int (weegploeg_db (f->weegploeg), due_sql, -1), 0);
    char sql[160];
    snprintf (sql, sizeof sql, "SELECT count(*) FROM meeting_item WHERE meeting_id='%s'", m2);
    assert_int_equal (store_int (weegploeg_db (f->weegploeg), sql, -1), 2);
    /*  The copies carry the answer next to the signals. */
    size_t answers = 0;
    assert_int_equal (
        meeting_compose (meeting, NULL, &fr.roster, m2, kt_now_ms (), s_count_items, &answers, &r),
        0);
    assert_int_equal (answers, 2); /* politie's and the gemeente's copy */
    /*  A second answer: the planned meeting is sent again as a new
     *  version, though the subject is on it already. */
    assert_int_equal (s_answer_check (decision, "gemeente-test", d1, a.case_ref, &r), 0);
    assert_int_equal (meeting_mark_due (meeting, a.case_ref, 2000, &r), 0);
    assert_int_equal (meeting_place_due (meeting, kt_now_ms (), 1000, m1, &seq, &r), 1);
    assert_string_equal (m1, m2);
    assert_int_equal (seq, 1);
    assert_int_equal (store_int (weegploeg_db (f->weegploeg), due_sql, -1), 0);
    assert_int_equal (store_int (weegploeg_db (f->weegploeg), sql, -1), 2);
    /*  Nothing due: nothing placed. */
    assert_int_equal (meeting_place_due (meeting, kt_now_ms (), 1000, m1, &seq, &r), 0);
    meeting_destroy (&meeting);
    decision_destroy (&decision);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_same_bsn_joins_the_existing_case, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_drain_finds_each_subject_as_single_signals_would,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_same_name_and_birth_date_without_bsn_joins_the_existing_case, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_different_bsn_is_another_subject_even_with_the_same_name, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_uncertain_match_is_never_merged, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_deciding_same_moves_the_signals_to_the_kept_case,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_subject_on_an_agenda_is_not_merged_away, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_deciding_different_keeps_both_subjects, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_subject_cannot_be_matched_with_itself, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_each_stored_id_is_found_and_a_newer_one_is_new,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_signal_is_known_by_id_sender_and_commitment,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_batch_is_counted_in_one_row_per_kind, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_batch_with_a_stored_id_stores_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_an_unknown_case_ref_cannot_be_read, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_signals_are_readable_after_a_restart, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_the_file_holds_no_name_or_bsn_in_the_clear, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_each_closure_is_recorded_once_for_a_known_subject_only, s_setup, s_teardown),
        cmocka_unit_test (test_gemeente_sees_only_its_own_residents),
        cmocka_unit_test (test_only_case_refs_keten_makes_are_accepted),
        cmocka_unit_test_setup_teardown (test_meer_informatie_asks_one_active_kernpartij_a_question,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_only_the_party_asked_answers_an_open_question,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_subject_due_goes_on_the_next_planned_meeting,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
