/*  The informatieplicht (convenant art. 11.2-11.5) and the periodic
 *  accuracy review (art. 8.3, 10.3) at the uitvoerder, on real SQLite
 *  files: one task per decision, also when it is opened again or its
 *  commit is cut off; consultation before informing or deferring; a
 *  deferral only with a ground of art. 41 UAVG, a note and a future review
 *  date, due on that date; the texts sealed; the tasks and reviews going
 *  with a destroyed subject; the review worklist; and the letter to the
 *  person, which names the person and no one else.  Every person here is
 *  fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "casusoverleg.h"
#include "decision.h"
#include "infoplicht.h"
#include "infoplicht_letter.h"
#include "intake.h"
#include "keystore.h"
#include "meeting.h"
#include "review.h"
#include "store.h"
#include "weegploeg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_A "Qzxvinfo Persoon"
#define NAME_B "Qzxvander Persoon"
#define MELDER "Qzxvmelder Agent"
#define DAY_MS (86400ULL * 1000)

typedef struct {
    char dir[64];
    uint8_t storage_key[32];
    keystore_t *keystore;
    weegploeg_t *weegploeg;
    casusoverleg_t *casus;
    decision_t *decision;
    meeting_t *meeting;
    infoplicht_t *infoplicht;
    review_t *review;
    referentiekader_t rk;
    roster_member_t members[4];
    roster_t roster;
    uint64_t log_index;
} fixture_t;

static void
s_open (fixture_t *f)
{
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/keystore.db", f->dir);
    if (!(f->keystore = keystore_open (path, f->storage_key, &r)))
        fail_msg ("keystore_open: %s", r.text);
    snprintf (path, sizeof path, "%s/weegploeg.db", f->dir);
    if (!(f->weegploeg = weegploeg_open (path, f->keystore, f->storage_key, &r)))
        fail_msg ("weegploeg_open: %s", r.text);
    snprintf (path, sizeof path, "%s/casusoverleg.db", f->dir);
    if (!(f->casus = casusoverleg_open (path, f->keystore, &r)) ||
        !(f->decision = decision_new (f->weegploeg, &r)) ||
        !(f->meeting = meeting_new (f->weegploeg, &r)) ||
        !(f->infoplicht = infoplicht_new (f->weegploeg, &r)) ||
        !(f->review = review_new (f->weegploeg, &r)))
        fail_msg ("open: %s", r.text);
}

static void
s_close (fixture_t *f)
{
    review_destroy (&f->review);
    infoplicht_destroy (&f->infoplicht);
    meeting_destroy (&f->meeting);
    decision_destroy (&f->decision);
    casusoverleg_destroy (&f->casus);
    weegploeg_destroy (&f->weegploeg);
    keystore_destroy (&f->keystore);
}

static void
s_member (roster_member_t *m, const char *id, const char *name, const char *kind,
          roster_role_t role)
{
    memset (m, 0, sizeof *m);
    snprintf (m->id, sizeof m->id, "%s", id);
    snprintf (m->name, sizeof m->name, "%s", name);
    snprintf (m->kind, sizeof m->kind, "%s", kind);
    snprintf (m->municipality, sizeof m->municipality, "Maastricht");
    m->role = role;
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "infoplicht") != 0)
        return -1;
    randombytes_buf (f->storage_key, sizeof f->storage_key);
    f->log_index = 1;
    snprintf (f->rk.version, sizeof f->rk.version, "example-2026.1");
    f->rk.n_criteria = 1;
    snprintf (f->rk.codes[0], sizeof f->rk.codes[0], "c1");
    s_member (&f->members[0], "politie-test", "Politie Test", "politie", ROLE_KERNPARTIJ);
    s_member (&f->members[1], "gemeente-test", "Gemeente Maastricht", "gemeente", ROLE_KERNPARTIJ);
    s_member (&f->members[2], "rvdk-test", "Raad voor de Kinderbescherming Test", "rvdk",
              ROLE_CASUSPARTIJ);
    s_member (&f->members[3], "uitvoerder-test", "Veiligheidshuis Test", "uitvoerder",
              ROLE_UITVOERDER);
    f->roster.members = f->members;
    f->roster.member_count = 4;
    f->roster.retention_not_agendered_days = 183;
    f->roster.retention_archive_days = 365;
    f->roster.retention_destroy_days = 1826;
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

/*  A signal about name; case_ref receives its subject's. */
static void
s_store (fixture_t *f, const char *name, const char *bsn, char case_ref[40])
{
    char text[1024];
    snprintf (text, sizeof text,
              "{\"subject\": {\"name\": \"%s\", \"birth_date\": \"2001-04-12\","
              " \"address\": \"Qzxvstraat 1\", \"municipality\": \"Maastricht\","
              " \"bsn\": \"%s\"},"
              " \"description\": \"Qzxvdescription fictional.\", \"category\": \"uitingen\","
              " \"observed_on\": \"2026-01-10\","
              " \"melder\": {\"name\": \"" MELDER "\", \"contact\": \"test@politie.invalid\"},"
              " \"source\": {\"kind\": \"eigen\"}, \"legal_basis\": \"wpg-16\"}",
              name, bsn);
    Keten__Signal *signal = NULL;
    kt_reason_t r;
    if (intake_signal_from_json (text, strlen (text), &signal, &r) != 0)
        fail_msg ("intake: %s", r.text);
    uint8_t id[KT_ID_LEN], commitment[32];
    randombytes_buf (id, KT_ID_LEN);
    randombytes_buf (commitment, sizeof commitment);
    weegploeg_signal_t w = {.message_id = id,
                            .sender = "politie-test",
                            .created_ms = kt_now_ms (),
                            .received_ms = kt_now_ms (),
                            .log_index = f->log_index++,
                            .body_commitment = commitment,
                            .signal = signal};
    if (weegploeg_store_signals (f->weegploeg, &w, 1, &r) != 0)
        fail_msg ("store: %s", r.text);
    memcpy (case_ref, w.case_ref, 40);
    intake_signal_destroy (&signal);
}

/*  A decision and its task in one commit, as uitvoerder_decide records
 *  them; commit false stands for a crash before the commit. */
static void
s_decide (fixture_t *f, const char *case_ref, bool agenderen, bool commit, char id[DECISION_ID_LEN],
          char task[INFOPLICHT_ID_LEN])
{
    const char *criteria[] = {"c1"};
    const char *parties[] = {"politie-test", "rvdk-test"};
    decision_input_t in = {.case_ref = case_ref,
                           .agenderen = agenderen,
                           .criteria = criteria,
                           .n_criteria = 1,
                           .analysis = "Qzxvanalysis fictional.",
                           .parties = parties,
                           .n_parties = agenderen ? 2 : 0,
                           .uid = 1000};
    kt_reason_t r;
    sqlite3 *db = weegploeg_db (f->weegploeg);
    uint64_t now = kt_now_ms ();
    if (store_begin (db, &r) != 0 ||
        decision_record (f->decision, &f->rk, &f->roster, &in, now, id, &r) != 0 ||
        infoplicht_open (f->infoplicht, id, case_ref, agenderen, now, task, &r) != 0)
        fail_msg ("decide: %s", r.text);
    if (!commit) {
        store_rollback (db);
        return;
    }
    if (store_commit (db, &r) != 0)
        fail_msg ("commit: %s", r.text);
    if (!agenderen)
        return;
    Keten__WeegploegDecision *d = NULL;
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    if (decision_get (f->decision, id, &d, &r) != 0 ||
        weegploeg_read_case (f->weegploeg, case_ref, &signals, &n, &r) != 0 ||
        casusoverleg_open_case (f->casus, d, signals, n, now, NULL, NULL, NULL, NULL, &r) != 0)
        fail_msg ("open case: %s", r.text);
    weegploeg_case_free (signals, n);
    keten__weegploeg_decision__free_unpacked (d, NULL);
}

/*  The tasks as "TASK:STATE" lines (due_only as infoplicht_each). */
typedef struct {
    char text[4096];
    int n;
} rows_t;

static int
s_collect (void *arg, const infoplicht_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    rows_t *rows = arg;
    size_t used = strlen (rows->text);
    snprintf (rows->text + used, sizeof rows->text - used, "%s:%s:%s:%s\n", row->task_id,
              row->state, row->consulted, row->review_due ? "due" : "-");
    rows->n++;
    return 0;
}

static rows_t
s_tasks (fixture_t *f, bool due_only, uint64_t now_ms)
{
    rows_t rows = {"", 0};
    kt_reason_t r;
    if (infoplicht_each (f->infoplicht, due_only, now_ms, s_collect, &rows, &r) != 0)
        fail_msg ("each: %s", r.text);
    return rows;
}

static void
s_date_in (char out[11], int days)
{
    infoplicht_date (out, kt_now_ms () + (uint64_t) ((int64_t) days * (int64_t) DAY_MS));
}

static void
test_a_niet_agenderen_decision_opens_exactly_one_task (void **state)
{
    fixture_t *f = *state;
    char ref[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN], again[INFOPLICHT_ID_LEN];
    kt_reason_t r;
    s_store (f, NAME_A, "111222333", ref);
    s_decide (f, ref, false, true, id, task);
    rows_t rows = s_tasks (f, false, kt_now_ms ());
    assert_int_equal (rows.n, 1);
    assert_non_null (strstr (rows.text, task));
    assert_non_null (strstr (rows.text, ":open:"));
    /*  Opened again (a resumed or repeated call): still the one task. */
    assert_int_equal (infoplicht_open (f->infoplicht, id, ref, false, kt_now_ms (), again, &r), 0);
    assert_string_equal (again, task);
    assert_int_equal (s_tasks (f, false, kt_now_ms ()).n, 1);
    assert_int_equal (infoplicht_count_open (f->infoplicht), 1);
    /*  And after a restart. */
    s_close (f);
    s_open (f);
    assert_int_equal (s_tasks (f, false, kt_now_ms ()).n, 1);
}

/*  A kernpartij's decision on task, as the uitvoerder records a
 *  RIGHTS_DECISION message: a fresh message id each time. */
static int
s_kern_decides (fixture_t *f, const char *task, bool defer, const char *ground, const char *note,
                const char *review_on, uint64_t now, kt_reason_t *r)
{
    static uint32_t n;
    uint8_t msg[KT_ID_LEN] = {0};
    n++;
    memcpy (msg, &n, sizeof n);
    infoplicht_decision_t d = {task, defer, ground, note, review_on, "politie-test", "tester"};
    return infoplicht_decide (f->infoplicht, &d, msg, 100 + n, now, r);
}

static int
s_defer (fixture_t *f, const char *task, const char *ground, const char *note,
         const char *review_on, uint64_t now, kt_reason_t *r)
{
    return s_kern_decides (f, task, true, ground, note, review_on, now, r);
}

static int
s_clear (fixture_t *f, const char *task, uint64_t now, kt_reason_t *r)
{
    return s_kern_decides (f, task, false, NULL, NULL, NULL, now, r);
}

static void
test_an_agenderen_decision_opens_a_task_too (void **state)
{
    fixture_t *f = *state;
    char ref[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN];
    s_store (f, NAME_A, "111222333", ref);
    s_decide (f, ref, true, true, id, task);
    rows_t rows = s_tasks (f, false, kt_now_ms ());
    assert_int_equal (rows.n, 1);
    assert_non_null (strstr (rows.text, task));
}

static void
test_a_decision_cut_off_before_its_commit_leaves_no_task (void **state)
{
    fixture_t *f = *state;
    char ref[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN];
    s_store (f, NAME_A, "111222333", ref);
    s_decide (f, ref, false, false, id, task);
    assert_int_equal (s_tasks (f, false, kt_now_ms ()).n, 0);
    Keten__WeegploegDecision *d = NULL;
    kt_reason_t r;
    assert_int_equal (decision_get (f->decision, id, &d, &r), -1);
}

static void
test_inform_and_defer_need_a_consulted_kernpartij (void **state)
{
    fixture_t *f = *state;
    char ref[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN], today[11], later[11];
    kt_reason_t r;
    s_store (f, NAME_A, "111222333", ref);
    s_decide (f, ref, false, true, id, task);
    s_date_in (today, 0);
    s_date_in (later, 30);
    uint64_t now = kt_now_ms ();
    assert_int_equal (infoplicht_inform (f->infoplicht, &f->roster, task, today, "gemeente-test",
                                         "Per brief.", 1000, now, &r),
                      -1);
    assert_non_null (strstr (r.text, "11.3"));
    assert_int_equal (s_defer (f, task, "uavg-41-1-d", "Lopend onderzoek.", later, now, &r), -1);
    assert_non_null (strstr (r.text, "11.3"));
    /*  Only an active kernpartij of the roster is consulted. */
    assert_int_equal (
        infoplicht_consult (f->infoplicht, &f->roster, task, "rvdk-test", 1000, now, &r), -1);
    assert_int_equal (infoplicht_consult (f->infoplicht, &f->roster, task, "nobody", 1000, now, &r),
                      -1);
    assert_int_equal (
        infoplicht_consult (f->infoplicht, &f->roster, task, "politie-test", 1000, now, &r), 0);
    assert_int_equal (
        infoplicht_consult (f->infoplicht, &f->roster, task, "gemeente-test", 1000, now, &r), 0);
    /*  Consulting again records nothing new. */
    assert_int_equal (
        infoplicht_consult (f->infoplicht, &f->roster, task, "politie-test", 1000, now, &r), 0);
    assert_non_null (strstr (s_tasks (f, false, now).text, ":gemeente-test,politie-test:"));
    /*  art. 4, 11.3: consulted, still the desk does not inform before a
     *  kernpartij has decided that it can. */
    assert_int_equal (infoplicht_inform (f->infoplicht, &f->roster, task, today, "gemeente-test",
                                         "Per brief.", 1000, now, &r),
                      -1);
    assert_non_null (strstr (r.text, "keten informatieplicht decide"));
    assert_int_equal (s_clear (f, task, now, &r), 0);
    assert_non_null (strstr (s_tasks (f, false, now).text, ":to-inform:"));
    uint64_t index = 0;
    uint8_t unknown[KT_ID_LEN] = {0xff};
    assert_int_equal (infoplicht_decision_find (f->infoplicht, unknown, &index, &r), 0);
    assert_int_equal (infoplicht_inform (f->infoplicht, &f->roster, task, today, "gemeente-test",
                                         "Per brief.", 1000, now, &r),
                      0);
}

static void
test_a_deferral_needs_a_ground_a_note_and_a_future_review_date (void **state)
{
    fixture_t *f = *state;
    char ref[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN], today[11], later[11];
    kt_reason_t r;
    s_store (f, NAME_A, "111222333", ref);
    s_decide (f, ref, false, true, id, task);
    uint64_t now = kt_now_ms ();
    assert_int_equal (
        infoplicht_consult (f->infoplicht, &f->roster, task, "politie-test", 1000, now, &r), 0);
    s_date_in (today, 0);
    s_date_in (later, 30);
    assert_int_equal (s_defer (f, task, "uavg-41-1-k", "Onderzoek.", later, now, &r), -1);
    assert_non_null (strstr (r.text, "41"));
    assert_int_equal (s_defer (f, task, "avg-23", "Onderzoek.", later, now, &r), -1);
    assert_int_equal (s_defer (f, task, "uavg-41-1-d", "", later, now, &r), -1);
    assert_non_null (strstr (r.text, "11.4"));
    assert_int_equal (s_defer (f, task, "uavg-41-1-d", "Onderzoek.", today, now, &r), -1);
    assert_int_equal (s_defer (f, task, "uavg-41-1-d", "Onderzoek.", "2026-13-01", now, &r), -1);
    assert_int_equal (infoplicht_ground ("uavg-41-1-a") != NULL, 1);
    assert_int_equal (infoplicht_ground ("uavg-41-1-j") != NULL, 1);
    assert_null (infoplicht_ground ("uavg-41-1-"));
    assert_int_equal (s_defer (f, task, "uavg-41-1-d", "Onderzoek.", later, now, &r), 0);
    assert_non_null (strstr (s_tasks (f, false, now).text, ":deferred:"));
}

static void
test_a_deferral_is_due_for_review_on_its_date (void **state)
{
    fixture_t *f = *state;
    char ref[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN], later[11];
    kt_reason_t r;
    s_store (f, NAME_A, "111222333", ref);
    s_decide (f, ref, false, true, id, task);
    uint64_t now = kt_now_ms ();
    assert_int_equal (
        infoplicht_consult (f->infoplicht, &f->roster, task, "politie-test", 1000, now, &r), 0);
    s_date_in (later, 30);
    assert_int_equal (s_defer (f, task, "uavg-41-1-d", "Lopend onderzoek.", later, now, &r), 0);
    assert_int_equal (s_tasks (f, true, now).n, 0);
    assert_int_equal (s_tasks (f, true, now + 29 * DAY_MS).n, 0);
    rows_t due = s_tasks (f, true, now + 31 * DAY_MS);
    assert_int_equal (due.n, 1);
    assert_non_null (strstr (due.text, task));
    assert_non_null (strstr (due.text, ":due"));
    /*  Deferred, the task is no longer open; its reviews are kept. */
    assert_int_equal (infoplicht_count_open (f->infoplicht), 0);
}

static void
test_the_person_is_informed_when_the_ground_has_lapsed_and_that_is_final (void **state)
{
    fixture_t *f = *state;
    char ref[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN], later[11], today[11], tomorrow[11],
        before[11];
    kt_reason_t r;
    s_store (f, NAME_A, "111222333", ref);
    s_decide (f, ref, false, true, id, task);
    uint64_t now = kt_now_ms ();
    assert_int_equal (
        infoplicht_consult (f->infoplicht, &f->roster, task, "politie-test", 1000, now, &r), 0);
    s_date_in (later, 30);
    s_date_in (today, 0);
    s_date_in (tomorrow, 1);
    s_date_in (before, -2);
    assert_int_equal (s_defer (f, task, "uavg-41-1-d", "Lopend onderzoek.", later, now, &r), 0);
    /*  The ground lapsed: a kernpartij decides the person is informed. */
    assert_int_equal (s_clear (f, task, now, &r), 0);
    /*  Not on a date to come, nor before the decision; by a member. */
    assert_int_equal (infoplicht_inform (f->infoplicht, &f->roster, task, tomorrow, "gemeente-test",
                                         "Per brief.", 1000, now, &r),
                      -1);
    assert_int_equal (infoplicht_inform (f->infoplicht, &f->roster, task, before, "gemeente-test",
                                         "Per brief.", 1000, now, &r),
                      -1);
    assert_int_equal (infoplicht_inform (f->infoplicht, &f->roster, task, today, "nobody",
                                         "Per brief.", 1000, now, &r),
                      -1);
    assert_int_equal (infoplicht_inform (f->infoplicht, &f->roster, task, today, "gemeente-test",
                                         "", 1000, now, &r),
                      -1);
    assert_int_equal (infoplicht_inform (f->infoplicht, &f->roster, task, today, "gemeente-test",
                                         "Brief aan Qzxvhow-adres.", 1000, now, &r),
                      0);
    rows_t rows = s_tasks (f, false, now);
    assert_non_null (strstr (rows.text, ":informed:"));
    assert_int_equal (s_tasks (f, true, now + 40 * DAY_MS).n, 0);
    assert_int_equal (infoplicht_inform (f->infoplicht, &f->roster, task, today, "gemeente-test",
                                         "Nog eens.", 1000, now, &r),
                      -1);
    assert_int_equal (s_defer (f, task, "uavg-41-1-d", "Weer.", later, now, &r), -1);
    assert_int_equal (
        infoplicht_consult (f->infoplicht, &f->roster, task, "gemeente-test", 1000, now, &r), -1);
    /*  The texts are sealed: not in the file in the clear, readable
     *  through the store. */
    s_close (f);
    assert_int_equal (testutil_files_hold (f->dir, "weegploeg.db", "Qzxvhow"), 0);
    assert_int_equal (testutil_files_hold (f->dir, "weegploeg.db", "Lopend onderzoek"), 0);
    s_open (f);
    char *how = NULL, *note = NULL;
    assert_int_equal (infoplicht_texts (f->infoplicht, task, &how, &note, &r), 0);
    assert_string_equal (how, "Brief aan Qzxvhow-adres.");
    assert_string_equal (note, "Lopend onderzoek.");
    free (how);
    free (note);
}

static void
test_tasks_and_reviews_go_with_a_destroyed_subject (void **state)
{
    fixture_t *f = *state;
    char ref[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN], later[11];
    kt_reason_t r;
    s_store (f, NAME_A, "111222333", ref);
    s_decide (f, ref, false, true, id, task);
    uint64_t now = kt_now_ms ();
    s_date_in (later, 30);
    assert_int_equal (
        infoplicht_consult (f->infoplicht, &f->roster, task, "politie-test", 1000, now, &r), 0);
    assert_int_equal (s_defer (f, task, "uavg-41-1-d", "Onderzoek.", later, now, &r), 0);
    assert_int_equal (review_record (f->review, f->casus, ref, "ok", "Gecontroleerd.", 1000,
                                     "tester", now, NULL, &r),
                      0);
    if (weegploeg_forget_subject (f->weegploeg, ref, &r) != 0)
        fail_msg ("forget: %s", r.text);
    assert_int_equal (s_tasks (f, false, now).n, 0);
    assert_int_equal (store_int (weegploeg_db (f->weegploeg),
                                 "SELECT (SELECT count(*) FROM infoplicht_consult) +"
                                 " (SELECT count(*) FROM infoplicht_deferral) +"
                                 " (SELECT count(*) FROM infoplicht_decision) +"
                                 " (SELECT count(*) FROM review)",
                                 -1),
                      0);
}

/* ---- the accuracy review --------------------------------------------------- */

static int
s_review_collect (void *arg, const review_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    rows_t *rows = arg;
    size_t used = strlen (rows->text);
    snprintf (rows->text + used, sizeof rows->text - used, "%s:%s:%s\n", row->case_ref, row->file,
              *row->last_result ? row->last_result : "never");
    rows->n++;
    return 0;
}

static rows_t
s_due (fixture_t *f, uint32_t days, uint64_t now_ms)
{
    rows_t rows = {"", 0};
    kt_reason_t r;
    if (review_each_due (f->review, f->casus, days, now_ms, s_review_collect, &rows, &r) != 0)
        fail_msg ("review: %s", r.text);
    return rows;
}

static void
test_a_subject_is_due_for_review_after_review_days_and_not_after_a_review (void **state)
{
    fixture_t *f = *state;
    char ref[40], other[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN];
    kt_reason_t r;
    s_store (f, NAME_A, "111222333", ref);
    s_store (f, NAME_B, "123456782", other);
    s_decide (f, ref, true, true, id, task);
    uint64_t now = kt_now_ms ();
    assert_int_equal (s_due (f, 90, now).n, 0);
    assert_int_equal (s_due (f, 90, now + 89 * DAY_MS).n, 0);
    rows_t due = s_due (f, 90, now + 91 * DAY_MS);
    /*  Both subjects in the weegploeg file, the one case in the
     *  casusoverleg file. */
    assert_int_equal (due.n, 3);
    char line[128];
    snprintf (line, sizeof line, "%s:casusoverleg:never", ref);
    assert_non_null (strstr (due.text, line));
    snprintf (line, sizeof line, "%s:weegploeg:never", other);
    assert_non_null (strstr (due.text, line));
    /*  A review at day 91 covers both files of ref, until day 181. */
    int files = 0;
    assert_int_equal (review_record (f->review, f->casus, ref, "correction-needed",
                                     "Adres verouderd.", 1000, "tester", now + 91 * DAY_MS, &files,
                                     &r),
                      0);
    assert_int_equal (files, REVIEW_WEEGPLOEG | REVIEW_CASUSOVERLEG);
    due = s_due (f, 90, now + 92 * DAY_MS);
    assert_int_equal (due.n, 1);
    assert_null (strstr (due.text, ref));
    due = s_due (f, 90, now + 182 * DAY_MS);
    assert_int_equal (due.n, 3);
    snprintf (line, sizeof line, "%s:weegploeg:correction-needed", ref);
    assert_non_null (strstr (due.text, line));
    /*  The period is the config's. */
    assert_int_equal (s_due (f, 30, now + 120 * DAY_MS).n, 1);
    assert_int_equal (s_due (f, 30, now + 122 * DAY_MS).n, 3);
    s_close (f);
    assert_int_equal (testutil_files_hold (f->dir, "weegploeg.db", "Adres verouderd"), 0);
    s_open (f);
}

static void
test_a_review_needs_a_result_a_note_and_a_known_subject (void **state)
{
    fixture_t *f = *state;
    char ref[40];
    kt_reason_t r;
    s_store (f, NAME_A, "111222333", ref);
    uint64_t now = kt_now_ms ();
    assert_int_equal (
        review_record (f->review, f->casus, ref, "fine", "Nota.", 1000, "tester", now, NULL, &r),
        -1);
    assert_int_equal (
        review_record (f->review, f->casus, ref, "ok", "", 1000, "tester", now, NULL, &r), -1);
    assert_int_equal (review_record (f->review, f->casus, "k-0000000000000000", "ok", "Nota.", 1000,
                                     "tester", now, NULL, &r),
                      -1);
    assert_int_equal (
        review_record (f->review, f->casus, "bogus", "ok", "Nota.", 1000, "tester", now, NULL, &r),
        -1);
    int files = 0;
    assert_int_equal (
        review_record (f->review, f->casus, ref, "ok", "Nota.", 1000, "tester", now, &files, &r),
        0);
    assert_int_equal (files, REVIEW_WEEGPLOEG);
}

/* ---- the letter -------------------------------------------------------------- */

static void
test_the_letter_names_the_person_the_controllers_and_the_ap_and_no_one_else (void **state)
{
    fixture_t *f = *state;
    char ref[40], other[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN];
    kt_reason_t r;
    s_store (f, NAME_A, "111222333", ref);
    s_store (f, NAME_B, "123456782", other);
    s_decide (f, ref, true, true, id, task);
    Keten__WeegploegDecision *d = NULL;
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    assert_int_equal (decision_get (f->decision, id, &d, &r), 0);
    assert_int_equal (weegploeg_read_case (f->weegploeg, ref, &signals, &n, &r), 0);
    infoplicht_letter_t letter;
    assert_int_equal (infoplicht_letter_make (&f->roster, &f->members[3], d, signals, n,
                                              kt_now_ms (), &letter, &r),
                      0);
    for (const char *const *s = infoplicht_letter_sections; *s; s++) {
        char tag[64];
        snprintf (tag, sizeof tag, "<section id=\"%s\">", *s);
        assert_non_null (strstr (letter.html, tag));
    }
    const char *both[] = {NAME_A,
                          "Politie Test",
                          "Gemeente Maastricht",
                          "Veiligheidshuis Test",
                          "Autoriteit Persoonsgegevens",
                          "Raad voor de Kinderbescherming Test",
                          "na uiterlijk 6 maanden",
                          "5 jaar na de",
                          "inzage",
                          "correctie",
                          "verwijdering",
                          "afscherming",
                          "verzet"};
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) {
        if (!strstr (letter.html, both[i]) || !strstr (letter.text, both[i]))
            fail_msg ("the letter lacks %s", both[i]);
    }
    /*  No one else: not the melder, not another subject, not the signal's
     *  description, not the analysis; no script. */
    const char *never[] = {MELDER,         NAME_B,    "Qzxvdescription",
                           "Qzxvanalysis", "<script", "111222333"};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        if (strstr (letter.html, never[i]) || strstr (letter.text, never[i]))
            fail_msg ("the letter holds %s", never[i]);
    }
    infoplicht_letter_free (&letter);
    weegploeg_case_free (signals, n);
    keten__weegploeg_decision__free_unpacked (d, NULL);
}

static void
test_the_letter_escapes_what_it_quotes (void **state)
{
    fixture_t *f = *state;
    char ref[40], id[DECISION_ID_LEN], task[INFOPLICHT_ID_LEN];
    kt_reason_t r;
    s_store (f, "Qzxv <b>Tag</b> & Co", "111222333", ref);
    s_decide (f, ref, false, true, id, task);
    Keten__WeegploegDecision *d = NULL;
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    assert_int_equal (decision_get (f->decision, id, &d, &r), 0);
    assert_int_equal (weegploeg_read_case (f->weegploeg, ref, &signals, &n, &r), 0);
    infoplicht_letter_t letter;
    assert_int_equal (infoplicht_letter_make (&f->roster, &f->members[3], d, signals, n,
                                              kt_now_ms (), &letter, &r),
                      0);
    assert_null (strstr (letter.html, "<b>"));
    assert_non_null (strstr (letter.html, "Qzxv &lt;b&gt;Tag&lt;/b&gt; &amp; Co"));
    infoplicht_letter_free (&letter);
    weegploeg_case_free (signals, n);
    keten__weegploeg_decision__free_unpacked (d, NULL);
}

#define T(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)

int
main (void)
{
    const struct CMUnitTest tests[] = {
        T (test_a_niet_agenderen_decision_opens_exactly_one_task),
        T (test_an_agenderen_decision_opens_a_task_too),
        T (test_a_decision_cut_off_before_its_commit_leaves_no_task),
        T (test_inform_and_defer_need_a_consulted_kernpartij),
        T (test_a_deferral_needs_a_ground_a_note_and_a_future_review_date),
        T (test_a_deferral_is_due_for_review_on_its_date),
        T (test_the_person_is_informed_when_the_ground_has_lapsed_and_that_is_final),
        T (test_tasks_and_reviews_go_with_a_destroyed_subject),
        T (test_a_subject_is_due_for_review_after_review_days_and_not_after_a_review),
        T (test_a_review_needs_a_result_a_note_and_a_known_subject),
        T (test_the_letter_names_the_person_the_controllers_and_the_ap_and_no_one_else),
        T (test_the_letter_escapes_what_it_quotes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
