/*  The uitvoerder's checkpoints (daemon/store/logproof.c) on a real provenance
 *  log: a member's request signs no checkpoint for an older size, and a
 *  cosigned note merges only the cosignatures of the roster's witnesses
 *  (politie, OM) into the stored checkpoint.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "checkpoint.h"
#include "logproof.h"
#include "merkle.h"
#include "provlog.h"
#include "render.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FED "fed-test"

static char s_dir[64];
static int s_files;

typedef struct {
    keys_secret_t keys; /* the uitvoerder's */
    provlog_t *log;
    sqlite3 *db;
    logproof_t *proof;
    /*  The roster: the uitvoerder, a politie witness, a gemeente. */
    roster_member_t members[3];
    roster_t roster;
    uint8_t politie_sk[64], gemeente_sk[64];
    char origin[CHECKPOINT_ORIGIN_MAX + 1];
} fixture_t;

static int
s_setup (void **state)
{
    (void) state;
    return sodium_init () >= 0 && testutil_tmpdir (s_dir, sizeof s_dir, "logproof") == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    return testutil_rmtree (s_dir);
}

/*  Append entries [from, to). */
static void
s_append (fixture_t *f, uint64_t from, uint64_t to)
{
    kt_reason_t r;
    assert_int_equal (provlog_begin (f->log, &r), 0);
    for (uint64_t i = from; i < to; i++) {
        Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
        e.event = KETEN__LOG_EVENT__WEEGPLOEG_DECIDED;
        e.time_ms = 1700000000000ull + i;
        e.node = (char *) "weegploeg";
        uint64_t index;
        assert_int_equal (provlog_append (f->log, &e, &index, &r), 0);
    }
    assert_int_equal (provlog_commit (f->log, &r), 0);
}

static void
s_member (roster_member_t *m, const char *id, const char *kind, roster_role_t role, uint8_t *pk,
          uint8_t *sk)
{
    memset (m, 0, sizeof *m);
    snprintf (m->id, sizeof m->id, "%s", id);
    snprintf (m->kind, sizeof m->kind, "%s", kind);
    m->role = role;
    if (sk)
        crypto_sign_keypair (m->signing_pk, sk);
    else
        memcpy (m->signing_pk, pk, 32);
}

static void
s_fixture (fixture_t *f, uint64_t entries)
{
    memset (f, 0, sizeof *f);
    snprintf (f->keys.pub.id, sizeof f->keys.pub.id, "uitvoerder-test");
    crypto_sign_keypair (f->keys.pub.signing_pk, f->keys.signing_sk);
    char path[128];
    snprintf (path, sizeof path, "%s/log%d.db", s_dir, s_files++);
    kt_reason_t r;
    f->log = provlog_open (path, &r);
    assert_non_null (f->log);
    s_append (f, 0, entries);
    f->db = store_open (":memory:", &r);
    assert_non_null (f->db);
    f->proof = logproof_new (f->db, f->log, &f->keys, FED, &r);
    assert_non_null (f->proof);
    s_member (&f->members[0], "uitvoerder-test", "uitvoerder", ROLE_UITVOERDER,
              f->keys.pub.signing_pk, NULL);
    s_member (&f->members[1], "politie-test", "politie", ROLE_KERNPARTIJ, NULL, f->politie_sk);
    s_member (&f->members[2], "gemeente-test", "gemeente", ROLE_KERNPARTIJ, NULL, f->gemeente_sk);
    snprintf (f->roster.federation, sizeof f->roster.federation, FED);
    f->roster.members = f->members;
    f->roster.member_count = 3;
    logproof_origin (f->origin, sizeof f->origin, FED);
}

static void
s_fixture_destroy (fixture_t *f)
{
    logproof_destroy (&f->proof);
    store_close (&f->db);
    provlog_destroy (&f->log);
}

static size_t
s_stored_count (fixture_t *f)
{
    json_t *list = render_checkpoints (f->proof, 100, NULL);
    size_t n = json_array_size (list);
    json_decref (list);
    return n;
}

/*  note with a cosignature by name (key sk) appended (heap). */
static char *
s_cosign (fixture_t *f, const char *note, const char *name, const uint8_t sk[64], uint64_t t)
{
    char *out = NULL;
    kt_reason_t r;
    assert_int_equal (checkpoint_cosign (note, strlen (note), f->origin, f->keys.pub.signing_pk,
                                         name, sk, t, &out, &r),
                      0);
    return out;
}

/*  Requests are answered for the current size and for sizes signed
 *  before; any other size is refused, and nothing new is signed. */
static void
test_a_request_signs_no_checkpoint_for_an_older_size (void **state)
{
    (void) state;
    fixture_t f;
    kt_reason_t r;
    s_fixture (&f, 5);
    char *five = strdup (logproof_current (f.proof, &r));
    assert_int_equal (s_stored_count (&f), 1);
    s_append (&f, 5, 9);

    Keten__CheckpointMessage m = KETEN__CHECKPOINT_MESSAGE__INIT;
    logproof_message_t store;
    for (uint64_t size = 1; size < 9; size++)
        if (size != 5) {
            assert_int_equal (logproof_message (f.proof, 0, size, &m, &store, &r), -1);
            assert_null (store.note);
        }
    assert_int_equal (s_stored_count (&f), 1);

    /*  A stored size: the note signed when it was current. */
    assert_int_equal (logproof_message (f.proof, 2, 5, &m, &store, &r), 0);
    assert_string_equal (store.note, five);
    logproof_message_clear (&store);

    /*  The current size: signed now, with a proof that verifies. */
    assert_int_equal (logproof_message (f.proof, 5, 9, &m, &store, &r), 0);
    assert_int_equal (s_stored_count (&f), 2);
    checkpoint_t old_cp, new_cp;
    assert_int_equal (
        checkpoint_open (five, strlen (five), f.origin, f.keys.pub.signing_pk, &old_cp, &r), 0);
    assert_int_equal (checkpoint_open ((const char *) m.note.data, m.note.len, f.origin,
                                       f.keys.pub.signing_pk, &new_cp, &r),
                      0);
    assert_int_equal (new_cp.size, 9);
    uint8_t proof[MERKLE_MAX_PATH][32];
    for (size_t i = 0; i < m.n_consistency; i++)
        memcpy (proof[i], m.consistency[i].data, 32);
    assert_true (merkle_verify_consistency (5, 9, old_cp.root, new_cp.root,
                                            (const uint8_t (*)[32]) proof, m.n_consistency));
    logproof_message_clear (&store);
    free (five);
    s_fixture_destroy (&f);
}

/*  A new checkpoint's row: written when the note is signed, or, while
 *  deferred (as during a drain), by logproof_keep after the messages
 *  carrying it have left, by any read of the table, or when the module
 *  is closed.  The row holds the note that was handed out. */
static void
test_a_deferred_checkpoint_is_kept_after_it_is_handed_out (void **state)
{
    (void) state;
    fixture_t f;
    kt_reason_t r;
    s_fixture (&f, 5);
    const char *count = "SELECT count(*) FROM checkpoint";
    /*  Not deferred: written at once. */
    assert_non_null (logproof_current (f.proof, &r));
    assert_int_equal (store_int (f.db, count, -1), 1);
    /*  Deferred: not before logproof_keep, once. */
    s_append (&f, 5, 6);
    logproof_defer (f.proof);
    char *six = strdup (logproof_current (f.proof, &r));
    assert_string_equal (logproof_current (f.proof, &r), six);
    assert_int_equal (store_int (f.db, count, -1), 1);
    assert_int_equal (logproof_keep (f.proof, &r), 0);
    assert_int_equal (store_int (f.db, count, -1), 2);
    assert_int_equal (logproof_keep (f.proof, &r), 0);
    assert_int_equal (store_int (f.db, count, -1), 2);
    sqlite3_stmt *q = store_prepare (f.db, "SELECT note FROM checkpoint WHERE size=6", &r);
    assert_non_null (q);
    assert_int_equal (sqlite3_step (q), SQLITE_ROW);
    assert_string_equal ((const char *) sqlite3_column_text (q, 0), six);
    sqlite3_finalize (q);
    /*  keep ended the deferral: the next note is written at once. */
    s_append (&f, 6, 9);
    assert_non_null (logproof_current (f.proof, &r));
    assert_int_equal (store_int (f.db, count, -1), 3);
    /*  Deferred again: a read of the table writes it first. */
    s_append (&f, 9, 10);
    logproof_defer (f.proof);
    assert_non_null (logproof_current (f.proof, &r));
    assert_int_equal (store_int (f.db, count, -1), 3);
    assert_int_equal (s_stored_count (&f), 4);
    assert_int_equal (store_int (f.db, count, -1), 4);
    /*  A member's request for a size signed before is answered from its
     *  row, the note handed out then. */
    Keten__CheckpointMessage m = KETEN__CHECKPOINT_MESSAGE__INIT;
    logproof_message_t store;
    assert_int_equal (logproof_message (f.proof, 2, 6, &m, &store, &r), 0);
    assert_string_equal (store.note, six);
    logproof_message_clear (&store);
    /*  Deferred, then the module closed: written on the way out. */
    s_append (&f, 10, 11);
    logproof_defer (f.proof);
    assert_non_null (logproof_current (f.proof, &r));
    assert_int_equal (store_int (f.db, count, -1), 4);
    logproof_destroy (&f.proof);
    assert_int_equal (store_int (f.db, count, -1), 5);
    free (six);
    s_fixture_destroy (&f);
}

/*  A politie member's note also carries a gemeente's cosignature and a
 *  line under the politie member's name by another key: only the politie
 *  cosignature is merged into the stored checkpoint. */
static void
test_only_known_witness_cosignatures_are_merged (void **state)
{
    (void) state;
    fixture_t f;
    kt_reason_t r;
    s_fixture (&f, 3);
    char *note = strdup (logproof_current (f.proof, &r));
    uint8_t impostor_pk[32], impostor_sk[64];
    crypto_sign_keypair (impostor_pk, impostor_sk);
    char *politie = s_cosign (&f, note, "politie-test", f.politie_sk, 1700000000);
    char *gemeente = s_cosign (&f, politie, "gemeente-test", f.gemeente_sk, 1700000001);
    char *sent = s_cosign (&f, gemeente, "politie-test", impostor_sk, 1700000002);
    const char *politie_line = politie + strlen (note);
    const char *gemeente_line = gemeente + strlen (politie);
    const char *impostor_line = sent + strlen (gemeente);

    char witness[65] = "";
    assert_int_equal (
        logproof_add_cosignature (f.proof, &f.roster, sent, strlen (sent), witness, &r), 0);
    assert_string_equal (witness, "politie-test");
    const char *stored = logproof_current (f.proof, &r);
    assert_non_null (strstr (stored, politie_line));
    assert_null (strstr (stored, gemeente_line));
    assert_null (strstr (stored, impostor_line));
    assert_string_equal (stored, politie);

    /*  The stored note verifies, with the politie witness and nothing
     *  by another key. */
    checkpoint_witness_t known[] = {{"politie-test", f.members[1].signing_pk}};
    checkpoint_cosig_t found[1];
    size_t unknown = 99;
    checkpoint_t cp;
    assert_int_equal (checkpoint_verify_cosignatures (stored, strlen (stored), f.origin,
                                                      f.keys.pub.signing_pk, known, 1, found,
                                                      &unknown, &cp, &r),
                      0);
    assert_true (found[0].cosigned);
    assert_int_equal (unknown, 0);
    json_t *list = render_checkpoints (f.proof, 1, NULL);
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (list, 0), "cosigners")),
        "politie-test");
    json_decref (list);

    /*  Only unknown lines: nothing changes. */
    char *other = s_cosign (&f, note, "gemeente-test", f.gemeente_sk, 1700000003);
    assert_int_equal (
        logproof_add_cosignature (f.proof, &f.roster, other, strlen (other), witness, &r), 0);
    assert_string_equal (logproof_current (f.proof, &r), politie);
    free (other);
    free (note);
    free (politie);
    free (gemeente);
    free (sent);
    s_fixture_destroy (&f);
}

/*  Runs logproof_add_cosignature with the process's stderr (kt_log's
 *  journal) in a file; returns what it wrote there (free it). */
static char *
s_cosign_logged (fixture_t *f, const char *note, int expect_rc)
{
    char path[96];
    snprintf (path, sizeof path, "%s/stderr.txt", s_dir);
    fflush (stderr);
    int saved = dup (STDERR_FILENO);
    assert_true (saved >= 0);
    FILE *out = fopen (path, "w+");
    assert_non_null (out);
    assert_true (dup2 (fileno (out), STDERR_FILENO) >= 0);
    char witness[65] = "";
    kt_reason_t r;
    kt_log_set_level (KT_LOG_INFO);
    int rc = logproof_add_cosignature (f->proof, &f->roster, note, strlen (note), witness, &r);
    kt_log_set_level (KT_LOG_ERROR);
    fflush (stderr);
    assert_true (dup2 (saved, STDERR_FILENO) >= 0);
    close (saved);
    assert_int_equal (rc, expect_rc);
    char *text = calloc (1, 4096);
    assert_non_null (text);
    rewind (out);
    size_t got = fread (text, 1, 4095, out);
    text[got] = '\0';
    fclose (out);
    unlink (path);
    return text;
}

/*  The journal's "cosignature dropped" counts the lines a member's note
 *  carried that were neither a witness's nor stored already: an honest
 *  witness's note (the log's own line and its own) drops none, so that a
 *  real drop is not lost among one per honest cosignature. */
static void
test_an_honest_cosignature_drops_no_line (void **state)
{
    (void) state;
    fixture_t f;
    kt_reason_t r;
    s_fixture (&f, 3);
    char *note = strdup (logproof_current (f.proof, &r));
    char *politie = s_cosign (&f, note, "politie-test", f.politie_sk, 1700000000);
    char *logged = s_cosign_logged (&f, politie, 0);
    assert_null (strstr (logged, "cosignature dropped"));
    assert_string_equal (logproof_current (f.proof, &r), politie);
    free (logged);

    /*  The same note again, with a gemeente's line: that one is dropped. */
    char *gemeente = s_cosign (&f, politie, "gemeente-test", f.gemeente_sk, 1700000001);
    logged = s_cosign_logged (&f, gemeente, 0);
    assert_non_null (strstr (logged, "cosignature dropped lines=1 "));
    assert_string_equal (logproof_current (f.proof, &r), politie);
    free (logged);
    free (gemeente);
    free (politie);
    free (note);
    s_fixture_destroy (&f);
}

/*  A witness that left the federation (revoked: its key may be why) is
 *  no longer one: its cosignature is not merged. */
static void
test_a_witness_that_left_is_not_merged (void **state)
{
    (void) state;
    fixture_t f;
    kt_reason_t r;
    s_fixture (&f, 3);
    snprintf (f.members[1].leaves_at, sizeof f.members[1].leaves_at, "%s", "2020-01-01");
    char *note = strdup (logproof_current (f.proof, &r));
    char *politie = s_cosign (&f, note, "politie-test", f.politie_sk, 1700000000);
    char witness[65] = "";
    assert_int_equal (
        logproof_add_cosignature (f.proof, &f.roster, politie, strlen (politie), witness, &r), 0);
    assert_string_equal (logproof_current (f.proof, &r), note);
    free (politie);
    free (note);
    s_fixture_destroy (&f);
}

/*  A member floods: a note whose lines are named after a real witness but
 *  signed by another key.  Up to the cap they are dropped without being
 *  verified against the stored note one by one (the real cosignature among
 *  them is merged once); past the cap the note is refused before any
 *  signature is checked. */
static void
test_a_note_of_impostor_lines_is_bounded (void **state)
{
    (void) state;
    fixture_t f;
    kt_reason_t r;
    s_fixture (&f, 3);
    char *note = strdup (logproof_current (f.proof, &r));
    uint8_t impostor_pk[32], impostor_sk[64];
    crypto_sign_keypair (impostor_pk, impostor_sk);
    char *sent = s_cosign (&f, note, "politie-test", f.politie_sk, 1700000000);
    char *politie = strdup (sent);
    for (int i = 0; i < 63; i++) {
        char *more = s_cosign (&f, sent, "politie-test", impostor_sk, 1700000001 + (uint64_t) i);
        free (sent);
        sent = more;
    }
    char witness[65] = "";
    assert_int_equal (
        logproof_add_cosignature (f.proof, &f.roster, sent, strlen (sent), witness, &r), 0);
    assert_string_equal (logproof_current (f.proof, &r), politie);
    /*  The same cosignature again, or a second one by the same key, adds
     *  no line. */
    char *again = s_cosign (&f, politie, "politie-test", f.politie_sk, 1700000100);
    assert_int_equal (
        logproof_add_cosignature (f.proof, &f.roster, again, strlen (again), witness, &r), 0);
    assert_string_equal (logproof_current (f.proof, &r), politie);
    /*  65 signature lines are the most a note may carry (the log's and one
     *  per witness key); 66 are refused. */
    for (int i = 0; i < 2; i++) {
        char *more = s_cosign (&f, sent, "politie-test", impostor_sk, 1700000200 + (uint64_t) i);
        free (sent);
        sent = more;
    }
    assert_int_equal (
        logproof_add_cosignature (f.proof, &f.roster, sent, strlen (sent), witness, &r), -1);
    assert_non_null (strstr (r.text, "signature lines"));
    free (again);
    free (note);
    free (politie);
    free (sent);
    s_fixture_destroy (&f);
}

int
main (void)
{
    kt_log_set_level (KT_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_request_signs_no_checkpoint_for_an_older_size),
        cmocka_unit_test (test_a_deferred_checkpoint_is_kept_after_it_is_handed_out),
        cmocka_unit_test (test_only_known_witness_cosignatures_are_merged),
        cmocka_unit_test (test_an_honest_cosignature_drops_no_line),
        cmocka_unit_test (test_a_witness_that_left_is_not_merged),
        cmocka_unit_test (test_a_note_of_impostor_lines_is_bounded),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
