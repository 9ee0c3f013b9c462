/*  Retention at the uitvoerder (convenant art. 13) on real SQLite files:
 *  the one definition of last processing, archive as a state that takes
 *  a subject out of every list, agenda, match and command, destruction
 *  that leaves no row, key or readable byte of the subject in any file
 *  (nor its -wal) and that resumes after a crash, a reopen only of
 *  archived data, and the notices each step owes.  Every person here is
 *  fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar.h"
#include "testutil.h"

#include "casusoverleg.h"
#include "decision.h"
#include "intake.h"
#include "keystore.h"
#include "lifecycle.h"
#include "meeting.h"
#include "plan.h"
#include "relay.h"
#include "store.h"
#include "weegploeg.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NAME_A "Qzxvretention Persoon"
#define NAME_B "Qzxvother Persoon"

typedef struct {
    char dir[64];
    uint8_t storage_key[32];
    keystore_t *keystore;
    weegploeg_t *weegploeg;
    casusoverleg_t *casus;
    sqlite3 *node_db;
    relay_t *relay;
    decision_t *decision;
    meeting_t *meeting;
    lifecycle_t *lifecycle;
    referentiekader_t rk;
    roster_member_t members[3];
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
    if (!(f->casus = casusoverleg_open (path, f->keystore, &r)))
        fail_msg ("casusoverleg_open: %s", r.text);
    snprintf (path, sizeof path, "%s/node.db", f->dir);
    if (!(f->node_db = store_open (path, &r)) || !(f->relay = relay_new (f->node_db, &r)) ||
        !(f->decision = decision_new (f->weegploeg, &r)) ||
        !(f->meeting = meeting_new (f->weegploeg, &r)) ||
        !(f->lifecycle =
              lifecycle_new (f->weegploeg, f->casus, f->keystore, f->node_db, f->relay, &r)))
        fail_msg ("open: %s", r.text);
}

static void
s_close (fixture_t *f)
{
    lifecycle_destroy (&f->lifecycle);
    meeting_destroy (&f->meeting);
    decision_destroy (&f->decision);
    relay_destroy (&f->relay);
    store_close (&f->node_db);
    casusoverleg_destroy (&f->casus);
    weegploeg_destroy (&f->weegploeg);
    keystore_destroy (&f->keystore);
}

static void
s_member (roster_member_t *m, const char *id, const char *kind, roster_role_t role)
{
    memset (m, 0, sizeof *m);
    snprintf (m->id, sizeof m->id, "%s", id);
    snprintf (m->kind, sizeof m->kind, "%s", kind);
    snprintf (m->municipality, sizeof m->municipality, "Maastricht");
    m->role = role;
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "retention") != 0)
        return -1;
    randombytes_buf (f->storage_key, sizeof f->storage_key);
    f->log_index = 1;
    snprintf (f->rk.version, sizeof f->rk.version, "example-2026.1");
    f->rk.n_criteria = 1;
    snprintf (f->rk.codes[0], sizeof f->rk.codes[0], "c1");
    s_member (&f->members[0], "politie-test", "politie", ROLE_KERNPARTIJ);
    s_member (&f->members[1], "gemeente-test", "gemeente", ROLE_KERNPARTIJ);
    s_member (&f->members[2], "rvdk-test", "rvdk", ROLE_CASUSPARTIJ);
    f->roster.members = f->members;
    f->roster.member_count = 3;
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

/*  One stored signal as the test knows it. */
typedef struct {
    uint8_t id[KT_ID_LEN];
    char case_ref[40];
} stored_t;

static void
s_store (fixture_t *f, const char *name, const char *bsn, const char *sender, uint64_t received_ms,
         stored_t *out)
{
    char text[1024];
    snprintf (text, sizeof text,
              "{\"subject\": {\"name\": \"%s\", \"birth_date\": \"2001-04-12\","
              " \"municipality\": \"Maastricht\", \"bsn\": \"%s\"},"
              " \"description\": \"Qzxvdescription fictional.\", \"category\": \"uitingen\","
              " \"observed_on\": \"2026-01-10\","
              " \"melder\": {\"name\": \"Agent Test\", \"contact\": \"test@politie.invalid\"},"
              " \"source\": {\"kind\": \"eigen\"}, \"legal_basis\": \"wpg-16\"}",
              name, bsn);
    Keten__Signal *signal = NULL;
    kt_reason_t r;
    if (intake_signal_from_json (text, strlen (text), &signal, &r) != 0)
        fail_msg ("intake: %s", r.text);
    uint8_t commitment[32];
    randombytes_buf (out->id, KT_ID_LEN);
    randombytes_buf (commitment, sizeof commitment);
    weegploeg_signal_t w = {.message_id = out->id,
                            .sender = sender,
                            .created_ms = received_ms,
                            .received_ms = received_ms,
                            .log_index = f->log_index++,
                            .body_commitment = commitment,
                            .signal = signal};
    if (weegploeg_store_signals (f->weegploeg, &w, 1, &r) != 0)
        fail_msg ("store: %s", r.text);
    memcpy (out->case_ref, w.case_ref, sizeof out->case_ref);
    intake_signal_destroy (&signal);
}

/*  A decision on case_ref at decided_ms; agenderen opens the case at
 *  opened_ms with politie-test and gemeente-test. */
static void
s_decide (fixture_t *f, const char *case_ref, bool agenderen, uint64_t decided_ms,
          uint64_t opened_ms)
{
    const char *criteria[] = {"c1"};
    const char *parties[] = {"politie-test", "gemeente-test"};
    decision_input_t in = {.case_ref = case_ref,
                           .agenderen = agenderen,
                           .criteria = criteria,
                           .n_criteria = 1,
                           .analysis = "Qzxvanalysis fictional.",
                           .parties = parties,
                           .n_parties = agenderen ? 2 : 0,
                           .uid = 1000};
    char id[DECISION_ID_LEN];
    kt_reason_t r;
    if (decision_record (f->decision, &f->rk, &f->roster, &in, decided_ms, id, &r) != 0)
        fail_msg ("decision_record: %s", r.text);
    if (!agenderen)
        return;
    Keten__WeegploegDecision *d = NULL;
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    if (decision_get (f->decision, id, &d, &r) != 0 ||
        weegploeg_read_case (f->weegploeg, case_ref, &signals, &n, &r) != 0 ||
        casusoverleg_open_case (f->casus, d, signals, n, opened_ms, NULL, NULL, NULL, NULL, &r) !=
            0)
        fail_msg ("open case: %s", r.text);
    weegploeg_case_free (signals, n);
    keten__weegploeg_decision__free_unpacked (d, NULL);
}

static lifecycle_subject_t
s_facts (fixture_t *f, const char *case_ref)
{
    lifecycle_subject_t s;
    kt_reason_t r;
    if (lifecycle_subject (f->lifecycle, case_ref, &s, &r) != 1)
        fail_msg ("no facts for %s", case_ref);
    return s;
}

static void
s_contribute (fixture_t *f, const char *case_ref, const char *sender, uint8_t id[KT_ID_LEN])
{
    Keten__CaseContribution c = KETEN__CASE_CONTRIBUTION__INIT;
    c.case_ref = (char *) case_ref;
    c.kind = "informatie";
    c.legal_basis = "wpg-16";
    randombytes_buf (id, KT_ID_LEN);
    kt_reason_t r;
    sqlite3 *db = casusoverleg_db (f->casus);
    if (store_begin (db, &r) != 0 ||
        casusoverleg_store_contribution (f->casus, id, sender, &c, f->log_index++, &r) != 0 ||
        store_commit (db, &r) != 0)
        fail_msg ("contribution: %s", r.text);
}

static void
s_plan (fixture_t *f, const char *case_ref)
{
    Keten__PlanMeasure m = KETEN__PLAN_MEASURE__INIT;
    m.measure_id = "m-0000000a";
    m.owner = "gemeente-test";
    m.what = "Qzxvmeasure fictional";
    m.due_on = "2030-01-31";
    Keten__PlanMeasure *measures[] = {&m};
    Keten__CasePlan p = KETEN__CASE_PLAN__INIT;
    p.case_ref = (char *) case_ref;
    p.version = 1;
    p.measures = measures;
    p.n_measures = 1;
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    kt_reason_t r;
    sqlite3 *db = casusoverleg_db (f->casus);
    if (casusoverleg_case (f->casus, case_ref, &info, key, &r) != 0 || store_begin (db, &r) != 0 ||
        plan_store (db, &p, key, true, &r) != 0 ||
        casusoverleg_plan_unsent (f->casus, case_ref, 1, &r) != 0 || store_commit (db, &r) != 0)
        fail_msg ("plan: %s", r.text);
    sodium_memzero (key, sizeof key);
}

/*  A copy kept in the relay for recipient about case_ref, settled (and
 *  its MESSAGE_DELIVERED logged) when settle, with origin (may be NULL). */
static void
s_relay (fixture_t *f, const char *recipient, const char *case_ref, const char *origin, bool settle,
         const char *header)
{
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    kt_reason_t r;
    if (relay_insert (f->relay, id, recipient, KETEN__MESSAGE_TYPE__WEEGPLOEG_DECISION,
                      (const uint8_t *) header, strlen (header), 1000, origin, case_ref, "test",
                      "politie", &r) != 0 ||
        relay_owed_paid (f->relay, id, &r) != 0 ||
        (settle && (relay_settle (f->relay, id, recipient, true, NULL, 2000, &r) != 1 ||
                    relay_owed_paid (f->relay, id, &r) != 0)))
        fail_msg ("relay: %s", r.text);
}

/*  Rows naming case_ref in every data table of both files. */
static int64_t
s_rows (fixture_t *f, const char *case_ref)
{
    static const char *const weeg[] = {"signal",       "subject",         "closure",    "decision",
                                       "meeting_item", "decision_answer", "meeting_due"};
    static const char *const casus[] = {"casus",        "casus_signal", "casus_analysis",
                                        "contribution", "disclosure",   "progress",
                                        "plan",         "plan_unsent"};
    int64_t n = 0;
    char sql[256];
    for (size_t i = 0; i < sizeof weeg / sizeof weeg[0]; i++) {
        snprintf (sql, sizeof sql, "SELECT count(*) FROM %s WHERE case_ref='%s'", weeg[i],
                  case_ref);
        n += store_int (weegploeg_db (f->weegploeg), sql, 1000);
    }
    snprintf (sql, sizeof sql,
              "SELECT count(*) FROM possible_match WHERE case_ref='%s' OR other='%s'", case_ref,
              case_ref);
    n += store_int (weegploeg_db (f->weegploeg), sql, 1000);
    for (size_t i = 0; i < sizeof casus / sizeof casus[0]; i++) {
        snprintf (sql, sizeof sql, "SELECT count(*) FROM %s WHERE case_ref='%s'", casus[i],
                  case_ref);
        n += store_int (casusoverleg_db (f->casus), sql, 1000);
    }
    return n;
}

/*  Whether any file in dir (db files and their -wal) holds the bytes. */
static bool
s_files_hold_bytes (const char *dir, const void *needle, size_t n)
{
    static uint8_t buf[8 << 20];
    DIR *d = opendir (dir);
    assert_non_null (d);
    bool found = false;
    for (struct dirent *de; !found && (de = readdir (d));) {
        if (de->d_name[0] == '.')
            continue;
        char path[512];
        snprintf (path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *fp = fopen (path, "rb");
        assert_non_null (fp);
        size_t len = fread (buf, 1, sizeof buf, fp);
        fclose (fp);
        for (size_t i = 0; !found && i + n <= len; i++)
            found = memcmp (buf + i, needle, n) == 0;
    }
    closedir (d);
    return found;
}

static off_t
s_size (fixture_t *f, const char *name)
{
    char path[256];
    struct stat st;
    snprintf (path, sizeof path, "%s/%s", f->dir, name);
    return stat (path, &st) == 0 ? st.st_size : -1;
}

typedef struct {
    uint8_t bytes[4096];
    size_t len;
} blob_t;

static int
s_blob_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    blob_t *b = arg;
    b->len = (size_t) sqlite3_column_bytes (q, 0);
    assert_true (b->len <= sizeof b->bytes);
    memcpy (b->bytes, sqlite3_column_blob (q, 0), b->len);
    return 0;
}

static blob_t
s_blob (sqlite3 *db, const char *sql, const char *case_ref)
{
    blob_t b = {{0}, 0};
    kt_reason_t r;
    assert_int_equal (
        store_one (db, sql, STORE_VALUES (STORE_TEXT (case_ref)), s_blob_row, &b, "test", &r), 1);
    return b;
}

/* ---- last processing -------------------------------------------------------- */

static void
test_last_processing_is_the_newest_processing_of_any_kind (void **state)
{
    fixture_t *f = *state;
    stored_t a;
    s_store (f, NAME_A, "111222333", "politie-test", 1000, &a);
    lifecycle_subject_t s = s_facts (f, a.case_ref);
    assert_int_equal (s.facts.last_ms, 1000);
    assert_false (s.facts.decided);
    assert_false (s.facts.agendered);
    assert_int_equal (s.state, LIFECYCLE_ACTIVE);

    stored_t again;
    s_store (f, NAME_A, "111222333", "gemeente-test", 5000, &again);
    assert_string_equal (again.case_ref, a.case_ref);
    assert_int_equal (s_facts (f, a.case_ref).facts.last_ms, 5000);

    /*  A read is no processing. */
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    kt_reason_t r;
    assert_int_equal (weegploeg_read_case (f->weegploeg, a.case_ref, &signals, &n, &r), 0);
    weegploeg_case_free (signals, n);
    assert_int_equal (s_facts (f, a.case_ref).facts.last_ms, 5000);

    /*  A decision, then the case it opened. */
    s_decide (f, a.case_ref, true, 6000, 7000);
    s = s_facts (f, a.case_ref);
    assert_true (s.facts.decided);
    assert_true (s.facts.agendered);
    assert_int_equal (s.facts.last_ms, 7000);

    /*  The closure in the weegploeg file. */
    assert_int_equal (weegploeg_record_closure (f->weegploeg, a.case_ref, 8000, &r), 0);
    assert_int_equal (s_facts (f, a.case_ref).facts.last_ms, 8000);

    /*  A contribution, a plan version, a progress report: now. */
    uint64_t before = kt_now_ms ();
    uint8_t cid[KT_ID_LEN];
    s_contribute (f, a.case_ref, "gemeente-test", cid);
    assert_true (s_facts (f, a.case_ref).facts.last_ms >= before);
    s_plan (f, a.case_ref);
    assert_true (s_facts (f, a.case_ref).facts.last_ms >= before);
    uint8_t pid[KT_ID_LEN];
    randombytes_buf (pid, sizeof pid);
    assert_int_equal (
        casusoverleg_record_progress (f->casus, pid, "gemeente-test", a.case_ref, 1, 99, &r), 0);
    assert_true (store_int (casusoverleg_db (f->casus), "SELECT min(received_ms) FROM progress",
                            0) >= (int64_t) before);
}

static void
test_a_niet_agenderen_decision_is_decided_not_agendered (void **state)
{
    fixture_t *f = *state;
    stored_t a;
    s_store (f, NAME_A, "111222333", "politie-test", 1000, &a);
    s_decide (f, a.case_ref, false, 3000, 0);
    lifecycle_subject_t s = s_facts (f, a.case_ref);
    assert_true (s.facts.decided);
    assert_false (s.facts.agendered);
    assert_int_equal (s.facts.last_ms, 3000);
    /*  art. 13.3: destroyed not-agendered-days after that. */
    retention_plan_t plan;
    retention_plan (&f->roster, &s.facts, 0, 3000 + 183 * RETENTION_DAY_MS, &plan);
    assert_int_equal (plan.step, RETENTION_DESTROY);
    assert_string_equal (plan.rule, "not-agendered");
}

/*  A meer-informatie decision on case_ref, asking gemeente-test. */
static void
s_ask (fixture_t *f, const char *case_ref, uint64_t decided_ms, char id[DECISION_ID_LEN])
{
    const char *criteria[] = {"c1"};
    decision_input_t in = {.case_ref = case_ref,
                           .criteria = criteria,
                           .n_criteria = 1,
                           .analysis = "Qzxvanalysis fictional.",
                           .uid = 1000,
                           .meer_informatie = true,
                           .asked = "gemeente-test",
                           .question = "Qzxvquestion fictional?"};
    kt_reason_t r;
    if (decision_record (f->decision, &f->rk, &f->roster, &in, decided_ms, id, &r) != 0)
        fail_msg ("decision_record: %s", r.text);
}

/*  gemeente-test's answer to decision id, as message mid. */
static void
s_answer (fixture_t *f, const char *case_ref, const char *id, uint64_t received_ms,
          uint8_t mid[KT_ID_LEN])
{
    Keten__CaseContribution c = KETEN__CASE_CONTRIBUTION__INIT;
    c.case_ref = (char *) case_ref;
    c.kind = "informatie";
    c.legal_basis = "avg-6-1-e";
    c.answers = (char *) id;
    randombytes_buf (mid, KT_ID_LEN);
    kt_reason_t r;
    if (decision_answer_store (f->decision, mid, id, "gemeente-test", &c, received_ms, 9, &r) != 0)
        fail_msg ("decision_answer_store: %s", r.text);
}

/*  art. 7.4 sub 1: meer informatie is no final decision - the subject
 *  stays under 13.3 as one without a decision, and the request does not
 *  count as last processing; the answer (new data) and the decision that
 *  follows do. */
static void
test_a_meer_informatie_decision_does_not_move_last_processing (void **state)
{
    fixture_t *f = *state;
    stored_t a;
    s_store (f, NAME_A, "111222333", "politie-test", 1000, &a);
    char id[DECISION_ID_LEN];
    s_ask (f, a.case_ref, 5000, id);
    lifecycle_subject_t s = s_facts (f, a.case_ref);
    assert_int_equal (s.facts.last_ms, 1000);
    assert_false (s.facts.decided);
    assert_false (s.facts.agendered);
    /*  13.3 from the signal, warned about as a subject without a decision. */
    retention_plan_t plan;
    retention_plan (&f->roster, &s.facts, 0, 1000 + 170 * RETENTION_DAY_MS, &plan);
    assert_string_equal (plan.rule, "not-agendered");
    /*  6 calendar months from 1 January: 1 July, before 183 days. */
    assert_int_equal (plan.due_ms, kt_local_midnight_ms (1970, 7, 1));
    assert_true (plan.warn);
    retention_plan (&f->roster, &s.facts, 0, kt_local_midnight_ms (1970, 7, 1), &plan);
    assert_int_equal (plan.step, RETENTION_DESTROY);

    /*  The answer counts, as new data about the subject. */
    uint8_t mid[KT_ID_LEN];
    s_answer (f, a.case_ref, id, 6000, mid);
    assert_int_equal (s_facts (f, a.case_ref).facts.last_ms, 6000);
    /*  The decision that follows counts as any decision. */
    s_decide (f, a.case_ref, false, 7000, 0);
    s = s_facts (f, a.case_ref);
    assert_int_equal (s.facts.last_ms, 7000);
    assert_true (s.facts.decided);
}

static void
test_a_merge_touches_the_surviving_subject (void **state)
{
    fixture_t *f = *state;
    stored_t keep, gone;
    s_store (f, NAME_A, "111222333", "politie-test", 1000, &keep);
    s_store (f, NAME_A, "444555663", "politie-test", 2000, &gone);
    assert_string_not_equal (keep.case_ref, gone.case_ref);
    kt_reason_t r;
    uint64_t before = kt_now_ms ();
    assert_int_equal (
        weegploeg_decide_match (f->weegploeg, keep.case_ref, gone.case_ref, true, 1000, &r), 0);
    assert_true (s_facts (f, keep.case_ref).facts.last_ms >= before);
}

/* ---- archive ------------------------------------------------------------------ */

static int
s_count_signal (void *arg, const weegploeg_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    if (strcmp (row->case_ref, ((const char **) arg)[0]) == 0)
        (*(int *) ((void **) arg)[1])++;
    return 0;
}

static int
s_count_decision (void *arg, const decision_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    if (strcmp (row->case_ref, ((const char **) arg)[0]) == 0)
        (*(int *) ((void **) arg)[1])++;
    return 0;
}

static int
s_count_case (void *arg, const casusoverleg_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    if (strcmp (row->case_ref, ((const char **) arg)[0]) == 0)
        (*(int *) ((void **) arg)[1])++;
    return 0;
}

static int
s_count_match (void *arg, const weegploeg_match_t *row, kt_reason_t *reason)
{
    (void) reason;
    const char *ref = ((const char **) arg)[0];
    if (strcmp (row->case_ref, ref) == 0 || strcmp (row->other, ref) == 0)
        (*(int *) ((void **) arg)[1])++;
    return 0;
}

/*  How often case_ref shows in the signal, decision, case and match lists. */
static int
s_listed (fixture_t *f, const char *case_ref)
{
    int n = 0;
    void *arg[2] = {(void *) case_ref, &n};
    kt_reason_t r;
    assert_int_equal (weegploeg_each (f->weegploeg, 100, s_count_signal, arg, &r), 0);
    assert_int_equal (decision_each (f->decision, 100, s_count_decision, arg, &r), 0);
    assert_int_equal (casusoverleg_each (f->casus, 100, s_count_case, arg, &r), 0);
    assert_int_equal (weegploeg_each_match (f->weegploeg, false, s_count_match, arg, &r), 0);
    return n;
}

typedef struct {
    char refs[8][24];
    size_t n;
} composed_t;

static int
s_composed (void *arg, const roster_member_t *to, const Keten__WeegploegAgenda *agenda,
            kt_reason_t *reason)
{
    (void) reason;
    composed_t *c = arg;
    if (strcmp (to->id, "politie-test") != 0)
        return 0;
    for (size_t i = 0; i < agenda->n_items && c->n < 8; i++)
        snprintf (c->refs[c->n++], 24, "%s", agenda->items[i]->case_ref);
    return 0;
}

static void
test_archive_takes_the_subject_out_of_every_list_and_command (void **state)
{
    fixture_t *f = *state;
    stored_t a, b, twin;
    s_store (f, NAME_A, "111222333", "politie-test", 1000, &a);
    s_store (f, NAME_B, "777888993", "politie-test", 1000, &b);
    s_store (f, NAME_A, "123456782", "politie-test", 1000, &twin); /* a possible match */
    s_decide (f, a.case_ref, true, 2000, 3000);
    kt_reason_t r;
    /*  A meeting with both, planned before the archive. */
    const char *refs[] = {a.case_ref, b.case_ref};
    meeting_change_t c = {.kind = MEETING_WEEGPLOEG,
                          .starts_at = "2030-03-05T14:00",
                          .location = "Zaal 1",
                          .case_refs = refs,
                          .n_case_refs = 2,
                          .set_cases = true,
                          .uid = 1000};
    char first_meeting[MEETING_ID_LEN], meeting_id[MEETING_ID_LEN];
    uint32_t sequence;
    assert_int_equal (meeting_change (f->meeting, NULL, &c, first_meeting, &sequence, &r), 0);
    assert_true (s_listed (f, a.case_ref) >= 4);

    assert_int_equal (lifecycle_archive (f->lifecycle, a.case_ref, 5000, 6000, &r), 0);
    assert_int_equal (s_facts (f, a.case_ref).state, LIFECYCLE_ARCHIVED);
    assert_true (s_facts (f, a.case_ref).facts.archived);
    /*  Out of every list. */
    assert_int_equal (s_listed (f, a.case_ref), 0);
    assert_true (s_listed (f, b.case_ref) > 0);
    /*  Not read, not on an agenda, not decided on, no case command. */
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    assert_int_equal (weegploeg_read_case (f->weegploeg, a.case_ref, &signals, &n, &r), -1);
    assert_non_null (strstr (r.text, "archived"));
    casus_info_t info;
    assert_int_equal (casusoverleg_case (f->casus, a.case_ref, &info, NULL, &r), -1);
    assert_non_null (strstr (r.text, "archived"));
    const char *only_a[] = {a.case_ref};
    c.case_refs = only_a;
    c.n_case_refs = 1;
    assert_int_equal (meeting_change (f->meeting, NULL, &c, meeting_id, &sequence, &r), -1);
    assert_non_null (strstr (r.text, "archived"));
    const char *criteria[] = {"c1"};
    decision_input_t in = {.case_ref = a.case_ref,
                           .criteria = criteria,
                           .n_criteria = 1,
                           .analysis = "Qzxv again.",
                           .uid = 1000};
    char id[DECISION_ID_LEN];
    assert_int_equal (decision_record (f->decision, &f->rk, &f->roster, &in, 7000, id, &r), -1);
    assert_non_null (strstr (r.text, "archived"));
    assert_int_equal (
        weegploeg_decide_match (f->weegploeg, twin.case_ref, a.case_ref, false, 1000, &r), -1);
    /*  The meeting planned before goes out with the other subject only. */
    composed_t composed = {.n = 0};
    assert_int_equal (meeting_compose (f->meeting, NULL, &f->roster, first_meeting, 8000,
                                       s_composed, &composed, &r),
                      0);
    assert_int_equal (composed.n, 1);
    assert_string_equal (composed.refs[0], b.case_ref);
    /*  A new signal about the person starts a new subject: the archive
     *  is not found through the blind index. */
    stored_t after;
    s_store (f, NAME_A, "111222333", "politie-test", 9000, &after);
    assert_string_not_equal (after.case_ref, a.case_ref);
    assert_int_equal (s_facts (f, a.case_ref).facts.last_ms, 3000);
    /*  Archiving again changes nothing. */
    assert_int_equal (lifecycle_archive (f->lifecycle, a.case_ref, 5000, 9999, &r), 0);
}

/* ---- destroy ------------------------------------------------------------------ */

/*  A subject with everything: signals from two senders, a decision and
 *  case, a contribution, a plan version, a progress report, a closure, a
 *  possible match, an agenda item and relay copies. */
/*  art. 7.4 sub 1: a meer informatie decision on case_ref, its answer and
 *  the due mark the answer made. */
static void
s_question (fixture_t *f, const char *case_ref)
{
    char id[DECISION_ID_LEN];
    uint8_t mid[KT_ID_LEN];
    kt_reason_t r;
    s_ask (f, case_ref, 1500, id);
    s_answer (f, case_ref, id, 1600, mid);
    if (meeting_mark_due (f->meeting, case_ref, 1600, &r) != 0)
        fail_msg ("question: %s", r.text);
}

static void
s_full_subject (fixture_t *f, stored_t *a, stored_t *other)
{
    s_store (f, NAME_A, "111222333", "politie-test", 1000, a);
    stored_t second;
    s_store (f, NAME_A, "111222333", "gemeente-test", 1100, &second);
    s_store (f, NAME_A, "999999990", "politie-test", 1200, other); /* possible match */
    s_question (f, a->case_ref);
    s_decide (f, a->case_ref, true, 2000, 3000);
    uint8_t cid[KT_ID_LEN], pid[KT_ID_LEN];
    s_contribute (f, a->case_ref, "gemeente-test", cid);
    s_plan (f, a->case_ref);
    randombytes_buf (pid, sizeof pid);
    kt_reason_t r;
    assert_int_equal (
        casusoverleg_record_progress (f->casus, pid, "rvdk-test", a->case_ref, 1, 50, &r), 0);
    assert_int_equal (weegploeg_record_closure (f->weegploeg, a->case_ref, 4000, &r), 0);
    const char *refs[] = {a->case_ref, other->case_ref};
    meeting_change_t c = {.kind = MEETING_WEEGPLOEG,
                          .starts_at = "2030-03-05T14:00",
                          .location = "Zaal 1",
                          .case_refs = refs,
                          .n_case_refs = 2,
                          .set_cases = true,
                          .uid = 1000};
    char meeting_id[MEETING_ID_LEN];
    uint32_t sequence;
    assert_int_equal (meeting_change (f->meeting, NULL, &c, meeting_id, &sequence, &r), 0);
    s_relay (f, "gemeente-test", a->case_ref, "decision/d-1", true, "QzxvSETTLEDHEADER");
    s_relay (f, "politie-test", a->case_ref, "decision/d-1", false, "QzxvPENDINGHEADER");
}

static json_t *s_notices (fixture_t *f);
static json_t *s_notice_of (json_t *list, const char *member, int action);

static void
s_destroy_all (fixture_t *f, const char *case_ref)
{
    kt_reason_t r;
    if (lifecycle_destroy_begin (f->lifecycle, case_ref, 1, 2, &r) != 0 ||
        lifecycle_destroy_data (f->lifecycle, case_ref, &r) != 0 ||
        lifecycle_destroy_end (f->lifecycle, case_ref, 3, &r) != 0)
        fail_msg ("destroy: %s", r.text);
}

static int
s_count_id (void *arg, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    (void) id;
    (void) reason;
    (*(int *) arg)++;
    return 0;
}

static void
test_destroy_leaves_no_row_key_or_byte_of_the_subject (void **state)
{
    fixture_t *f = *state;
    stored_t a, other;
    s_full_subject (f, &a, &other);
    kt_reason_t r;
    uint8_t subject_key[KEYSTORE_ID_LEN], casus_key[KEYSTORE_ID_LEN];
    assert_int_equal (weegploeg_subject_key_id (f->weegploeg, a.case_ref, subject_key, &r), 1);
    assert_int_equal (casusoverleg_case_key_id (f->casus, a.case_ref, casus_key, &r), 1);
    /*  What must be gone from every file: the sealed bodies, the blind
     *  indexes and the wrapped keys. */
    blob_t body = s_blob (weegploeg_db (f->weegploeg),
                          "SELECT body FROM signal WHERE case_ref=? LIMIT 1", a.case_ref);
    /*  (The name index it shares with the other subject, same name and
     *  birth date: that one stays.) */
    blob_t bsn_index = s_blob (weegploeg_db (f->weegploeg),
                               "SELECT bsn_index FROM subject WHERE case_ref=?", a.case_ref);
    blob_t casus_body =
        s_blob (casusoverleg_db (f->casus),
                "SELECT body FROM casus_signal WHERE case_ref=? LIMIT 1", a.case_ref);
    blob_t wrapped = {{0}, 0};
    {
        kt_reason_t rr;
        assert_int_equal (store_one (keystore_db (f->keystore),
                                     "SELECT wrapped FROM data_key WHERE key_id=?",
                                     STORE_VALUES (STORE_BLOB (subject_key, KEYSTORE_ID_LEN)),
                                     s_blob_row, &wrapped, "test", &rr),
                          1);
    }
    assert_true (body.len > 32 && bsn_index.len == 32 && casus_body.len > 32 && wrapped.len > 32);
    assert_true (s_rows (f, a.case_ref) > 10);
    /*  Before: every one of them is in some file (the db or its -wal). */
    assert_true (s_files_hold_bytes (f->dir, body.bytes, body.len));
    assert_true (s_files_hold_bytes (f->dir, casus_body.bytes, casus_body.len));
    assert_true (s_files_hold_bytes (f->dir, bsn_index.bytes, bsn_index.len));
    assert_true (s_files_hold_bytes (f->dir, wrapped.bytes, wrapped.len));
    assert_true (s_files_hold_bytes (f->dir, "QzxvSETTLEDHEADER", 17));

    s_destroy_all (f, a.case_ref);

    /*  No row in any data table of either file. */
    assert_int_equal (s_rows (f, a.case_ref), 0);
    /*  The keys are gone. */
    uint8_t key[KEYSTORE_KEY_LEN];
    assert_int_equal (keystore_get (f->keystore, subject_key, key, &r), -1);
    assert_int_equal (keystore_get (f->keystore, casus_key, key, &r), -1);
    /*  The other subject is untouched, its match to the destroyed one
     *  gone, and it stays on the meeting. */
    assert_int_equal (weegploeg_subject_state (f->weegploeg, other.case_ref, &r), 1);
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    assert_int_equal (weegploeg_read_case (f->weegploeg, other.case_ref, &signals, &n, &r), 0);
    weegploeg_case_free (signals, n);
    /*  The settled relay copy is blanked, the pending one still goes. */
    assert_int_equal (
        store_int (f->node_db, "SELECT count(*) FROM relay WHERE length(header)>0", -1), 1);
    assert_int_equal (relay_pending (f->relay, "politie-test"), 1);
    /*  Once that one is settled and logged, its bytes go too. */
    {
        uint8_t pending_id[KT_ID_LEN];
        blob_t idb = s_blob (f->node_db, "SELECT id FROM relay WHERE recipient=? AND state=0",
                             "politie-test");
        assert_int_equal (idb.len, KT_ID_LEN);
        memcpy (pending_id, idb.bytes, KT_ID_LEN);
        assert_int_equal (relay_settle (f->relay, pending_id, "politie-test", true, NULL, 3000, &r),
                          1);
        assert_int_equal (relay_owed_paid (f->relay, pending_id, &r), 0);
        assert_int_equal (
            store_int (f->node_db, "SELECT count(*) FROM relay WHERE length(header)>0", -1), 0);
    }
    /*  Not a byte of it in any file, and every -wal truncated. */
    assert_false (s_files_hold_bytes (f->dir, body.bytes, body.len));
    assert_false (s_files_hold_bytes (f->dir, casus_body.bytes, casus_body.len));
    assert_false (s_files_hold_bytes (f->dir, bsn_index.bytes, bsn_index.len));
    assert_false (s_files_hold_bytes (f->dir, wrapped.bytes, wrapped.len));
    assert_false (s_files_hold_bytes (f->dir, "QzxvSETTLEDHEADER", 17));
    assert_int_equal (testutil_files_hold (f->dir, "casusoverleg.db", a.case_ref), 0);
    assert_int_equal (testutil_files_hold (f->dir, "", NAME_A), 0);
    assert_int_equal (s_size (f, "weegploeg.db-wal"), 0);
    assert_int_equal (s_size (f, "casusoverleg.db-wal"), 0);
    assert_int_equal (s_size (f, "keystore.db-wal"), 0);
    /*  A tombstone: the pseudonym and its state, nothing else. */
    lifecycle_state_t st;
    assert_int_equal (lifecycle_state (f->lifecycle, a.case_ref, &st, &r), 1);
    assert_int_equal (st, LIFECYCLE_DESTROYED);
    lifecycle_subject_t s;
    assert_int_equal (lifecycle_subject (f->lifecycle, a.case_ref, &s, &r), 0);
    assert_int_equal (lifecycle_count_destroyed (f->lifecycle), 1);
    /*  Its trail in the provenance log still starts at its signals. */
    int ids = 0;
    assert_int_equal (weegploeg_each_case_message (f->weegploeg, a.case_ref, s_count_id, &ids, &r),
                      0);
    assert_int_equal (ids, 2);
}

/*  A reader (an operator's sqlite3, a backup) holding keystore.db's WAL
 *  keeps the checkpoint from cutting it: the destruction is not done -
 *  it stays under way - and it completes once the reader is gone. */
static void
test_a_reader_holding_a_wal_leaves_the_destruction_under_way (void **state)
{
    fixture_t *f = *state;
    stored_t a, other;
    s_full_subject (f, &a, &other);
    kt_reason_t r;
    char path[128];
    snprintf (path, sizeof path, "%s/keystore.db", f->dir);
    sqlite3 *reader = store_open (path, &r);
    assert_non_null (reader);
    assert_int_equal (store_exec (reader, "BEGIN", &r), 0);
    assert_true (store_int (reader, "SELECT count(*) FROM data_key", -1) > 0);
    assert_int_equal (lifecycle_destroy_begin (f->lifecycle, a.case_ref, 1, 2, &r), 0);
    assert_int_equal (lifecycle_destroy_data (f->lifecycle, a.case_ref, &r), -1);
    assert_non_null (strstr (r.text, "keystore.db is held by a reader"));
    lifecycle_state_t st;
    assert_int_equal (lifecycle_state (f->lifecycle, a.case_ref, &st, &r), 1);
    assert_int_equal (st, LIFECYCLE_DESTROYING);
    store_exec (reader, "COMMIT", &r);
    store_close (&reader);
    assert_int_equal (lifecycle_destroy_data (f->lifecycle, a.case_ref, &r), 0);
    assert_int_equal (lifecycle_destroy_end (f->lifecycle, a.case_ref, 3, &r), 0);
    assert_int_equal (s_size (f, "keystore.db-wal"), 0);
}

static int
s_collect_text (void *arg, const char *text, kt_reason_t *reason)
{
    (void) reason;
    json_array_append_new (arg, json_string (text));
    return 0;
}

static void
test_a_destruction_cut_off_resumes_and_is_idempotent (void **state)
{
    fixture_t *f = *state;
    stored_t a, other;
    s_full_subject (f, &a, &other);
    kt_reason_t r;
    uint8_t subject_key[KEYSTORE_ID_LEN];
    assert_int_equal (weegploeg_subject_key_id (f->weegploeg, a.case_ref, subject_key, &r), 1);
    /*  The state is recorded, then the node stops. */
    assert_int_equal (lifecycle_destroy_begin (f->lifecycle, a.case_ref, 1, 2, &r), 0);
    json_t *none = s_notices (f);
    assert_int_equal (json_array_size (none), 0); /* not before it is complete */
    json_decref (none);
    s_close (f);
    s_open (f);
    json_t *under_way = json_array ();
    assert_int_equal (lifecycle_each_destroying (f->lifecycle, s_collect_text, under_way, &r), 0);
    assert_int_equal (json_array_size (under_way), 1);
    assert_string_equal (json_string_value (json_array_get (under_way, 0)), a.case_ref);
    json_decref (under_way);
    /*  Data steps twice (a crash after the first), then the tombstone. */
    assert_int_equal (lifecycle_destroy_data (f->lifecycle, a.case_ref, &r), 0);
    assert_int_equal (lifecycle_destroy_data (f->lifecycle, a.case_ref, &r), 0);
    assert_int_equal (lifecycle_destroy_end (f->lifecycle, a.case_ref, 3, &r), 0);
    assert_int_equal (s_rows (f, a.case_ref), 0);
    /*  Now its notices: politie-test and gemeente-test sent signals,
     *  rvdk-test a progress report, both relay copies' members. */
    json_t *notices = s_notices (f);
    assert_int_equal (json_array_size (notices), 3);
    assert_non_null (s_notice_of (notices, "rvdk-test", KETEN__RETENTION_ACTION__DESTROY));
    json_decref (notices);
    uint8_t key[KEYSTORE_KEY_LEN];
    assert_int_equal (keystore_get (f->keystore, subject_key, key, &r), -1);
    /*  Again: nothing to do, nothing changes. */
    assert_int_equal (lifecycle_destroy_begin (f->lifecycle, a.case_ref, 1, 2, &r), 0);
    lifecycle_state_t st;
    assert_int_equal (lifecycle_state (f->lifecycle, a.case_ref, &st, &r), 1);
    assert_int_equal (st, LIFECYCLE_DESTROYED);
    assert_int_equal (lifecycle_destroy_data (f->lifecycle, a.case_ref, &r), -1);
    assert_int_equal (lifecycle_count_destroyed (f->lifecycle), 1);
    /*  An unknown case_ref is refused. */
    assert_int_equal (lifecycle_destroy_begin (f->lifecycle, "k-0000000000000000", 1, 2, &r), -1);
}

/* ---- reopen and notices ---------------------------------------------------------- */

static int
s_notice_row (void *arg, const lifecycle_notice_t *n, kt_reason_t *reason)
{
    (void) reason;
    char hex[KT_ID_HEX * 4096];
    size_t o = 0;
    for (size_t i = 0; i < n->n_ids && o + KT_ID_HEX < sizeof hex; i++) {
        kt_hex (hex + o, n->ids + i * KT_ID_LEN, KT_ID_LEN);
        o += strlen (hex + o);
    }
    hex[o] = '\0';
    json_array_append_new (arg, json_pack ("{s:s, s:i, s:I, s:s, s:s}", "case_ref", n->case_ref,
                                           "action", n->action, "gen", (json_int_t) n->gen,
                                           "member", n->member, "ids", hex));
    return 0;
}

static json_t *
s_notices (fixture_t *f)
{
    json_t *list = json_array ();
    kt_reason_t r;
    assert_int_equal (lifecycle_each_notice (f->lifecycle, s_notice_row, list, &r), 0);
    return list;
}

static json_t *
s_notice_of (json_t *list, const char *member, int action)
{
    size_t i;
    json_t *n;
    json_array_foreach (list, i, n)
    {
        if (strcmp (json_string_value (json_object_get (n, "member")), member) == 0 &&
            json_integer_value (json_object_get (n, "action")) == action)
            return n;
    }
    return NULL;
}

static void
test_notices_go_to_every_member_that_had_the_subject_with_its_own_ids (void **state)
{
    fixture_t *f = *state;
    stored_t a, b;
    s_store (f, NAME_A, "111222333", "politie-test", 1000, &a);
    s_store (f, NAME_A, "111222333", "gemeente-test", 1100, &b);
    s_decide (f, a.case_ref, true, 2000, 3000);
    uint8_t cid[KT_ID_LEN];
    s_contribute (f, a.case_ref, "rvdk-test", cid);
    s_relay (f, "om-test", a.case_ref, "decision/d-1", true, "x");
    kt_reason_t r;
    assert_int_equal (lifecycle_archive (f->lifecycle, a.case_ref, 5000, 6000, &r), 0);
    json_t *list = s_notices (f);
    assert_int_equal (json_array_size (list), 4);
    char hex[KT_ID_HEX];
    json_t *politie = s_notice_of (list, "politie-test", KETEN__RETENTION_ACTION__ARCHIVE);
    assert_non_null (politie);
    assert_string_equal (json_string_value (json_object_get (politie, "ids")),
                         kt_hex (hex, a.id, KT_ID_LEN));
    json_t *rvdk = s_notice_of (list, "rvdk-test", KETEN__RETENTION_ACTION__ARCHIVE);
    assert_non_null (rvdk);
    assert_string_equal (json_string_value (json_object_get (rvdk, "ids")),
                         kt_hex (hex, cid, KT_ID_LEN));
    json_t *om = s_notice_of (list, "om-test", KETEN__RETENTION_ACTION__ARCHIVE);
    assert_non_null (om);
    assert_string_equal (json_string_value (json_object_get (om, "ids")), "");
    json_decref (list);
    assert_int_equal (
        lifecycle_notices_sent (f->lifecycle, a.case_ref, KETEN__RETENTION_ACTION__ARCHIVE, 0, &r),
        0);
    list = s_notices (f);
    assert_int_equal (json_array_size (list), 0);
    json_decref (list);
}

/*  A member that sent nothing about the subject but an answer to the
 *  weegploeg's question is sent the notice too, naming the answer: its
 *  outbox copy of the answer goes with the subject there (art. 13). */
static void
test_an_answer_to_a_question_is_named_in_its_senders_notice (void **state)
{
    fixture_t *f = *state;
    stored_t a;
    s_store (f, NAME_A, "111222333", "politie-test", 1000, &a);
    char id[DECISION_ID_LEN];
    uint8_t mid[KT_ID_LEN];
    s_ask (f, a.case_ref, 1500, id);
    s_answer (f, a.case_ref, id, 1600, mid);
    s_destroy_all (f, a.case_ref);
    json_t *list = s_notices (f);
    json_t *gemeente = s_notice_of (list, "gemeente-test", KETEN__RETENTION_ACTION__DESTROY);
    assert_non_null (gemeente);
    char hex[KT_ID_HEX];
    assert_string_equal (json_string_value (json_object_get (gemeente, "ids")),
                         kt_hex (hex, mid, KT_ID_LEN));
    json_decref (list);
}

static void
test_only_archived_data_is_reopened_and_its_clock_restarts (void **state)
{
    fixture_t *f = *state;
    stored_t a;
    s_store (f, NAME_A, "111222333", "politie-test", 1000, &a);
    s_decide (f, a.case_ref, true, 2000, 3000);
    uint8_t order[KT_ID_LEN], other_order[KT_ID_LEN];
    randombytes_buf (order, sizeof order);
    randombytes_buf (other_order, sizeof other_order);
    kt_reason_t r;
    /*  Active: nothing to reopen. */
    assert_int_equal (lifecycle_reopen (f->lifecycle, a.case_ref, order, "Qzxvreason", 10000, &r),
                      1);
    assert_non_null (strstr (r.text, "not archived"));
    assert_int_equal (
        lifecycle_reopen (f->lifecycle, "k-0000000000000000", order, "Qzxvreason", 10000, &r), 1);

    assert_int_equal (lifecycle_archive (f->lifecycle, a.case_ref, 5000, 6000, &r), 0);
    /*  Who kept an archived copy: the members sent the archive notice. */
    char origin[64];
    snprintf (origin, sizeof origin, "retention/%s/archive/0", a.case_ref);
    s_relay (f, "gemeente-test", a.case_ref, origin, true, "x");
    assert_int_equal (
        lifecycle_notices_sent (f->lifecycle, a.case_ref, KETEN__RETENTION_ACTION__ARCHIVE, 0, &r),
        0);

    assert_int_equal (lifecycle_reopen (f->lifecycle, a.case_ref, order,
                                        "Qzxvreason for renewed processing", 20000, &r),
                      0);
    lifecycle_subject_t s = s_facts (f, a.case_ref);
    assert_int_equal (s.state, LIFECYCLE_ACTIVE);
    assert_int_equal (s.facts.last_ms, 20000);
    casus_info_t info;
    assert_int_equal (casusoverleg_case (f->casus, a.case_ref, &info, NULL, &r), 0);
    assert_true (s_listed (f, a.case_ref) > 0);
    assert_int_equal (lifecycle_generation (f->lifecycle, a.case_ref), 1);
    /*  The reason is kept sealed under the subject's key. */
    char *why = lifecycle_reopen_reason (f->lifecycle, a.case_ref, &r);
    assert_non_null (why);
    assert_string_equal (why, "Qzxvreason for renewed processing");
    free (why);
    assert_int_equal (testutil_files_hold (f->dir, "", "Qzxvreason for"), 0);
    /*  REOPEN notices to the members that kept an archived copy. */
    json_t *list = s_notices (f);
    assert_int_equal (json_array_size (list), 1);
    assert_non_null (s_notice_of (list, "gemeente-test", KETEN__RETENTION_ACTION__REOPEN));
    json_decref (list);
    /*  The same order again (its receipt was lost): accepted, nothing
     *  changes; another order: refused, it is not archived. */
    assert_int_equal (lifecycle_reopen (f->lifecycle, a.case_ref, order, "Qzxvreason", 30000, &r),
                      0);
    assert_int_equal (s_facts (f, a.case_ref).facts.last_ms, 20000);
    assert_int_equal (
        lifecycle_reopen (f->lifecycle, a.case_ref, other_order, "Qzxvreason", 30000, &r), 1);
    /*  Destroyed: refused. */
    s_destroy_all (f, a.case_ref);
    assert_int_equal (
        lifecycle_reopen (f->lifecycle, a.case_ref, other_order, "Qzxvreason", 40000, &r), 1);
    assert_non_null (strstr (r.text, "destroyed"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_last_processing_is_the_newest_processing_of_any_kind,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_niet_agenderen_decision_is_decided_not_agendered,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_meer_informatie_decision_does_not_move_last_processing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_merge_touches_the_surviving_subject, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (
            test_archive_takes_the_subject_out_of_every_list_and_command, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_destroy_leaves_no_row_key_or_byte_of_the_subject,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_reader_holding_a_wal_leaves_the_destruction_under_way, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_destruction_cut_off_resumes_and_is_idempotent,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_notices_go_to_every_member_that_had_the_subject_with_its_own_ids, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_an_answer_to_a_question_is_named_in_its_senders_notice, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_only_archived_data_is_reopened_and_its_clock_restarts,
                                         s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
