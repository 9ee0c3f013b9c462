/*  Retention at a partner node (art. 13) on real SQLite files, through the
 *  stores: a destruction takes exactly one subject out of a shared agenda
 *  (the rest sealed again under a new key, the old key shredded, no file
 *  nor its WAL holding the old bytes), deletes decisions, the case, its
 *  plan versions, closure and disclosures with their keys, and the node's
 *  own signals a notice named; it is idempotent and resumes from
 *  "destroying"; an archived subject leaves the lists and stays readable
 *  for the archive read; a tombstone keeps a late copy out; the node's own
 *  schedule takes what is due once.  Every person here is fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "calendar.h"
#include "testutil.h"

#include "agendabox.h"
#include "casebox.h"
#include "decisionbox.h"
#include "keystore.h"
#include "outbox.h"
#include "partner_json.h"
#include "retainbox.h"
#include "signalbox.h"
#include "store.h"

#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SELF "gemeente-test"
#define A "k-00000000000000aa" /* the subject destroyed */
#define B "k-00000000000000bb" /* the one that stays */
#define C "k-00000000000000cc" /* another subject, due on the node's own schedule */
#define MEETING "w-0123456789abcdef"
#define DAY_MS (86400ULL * 1000)

typedef struct {
    char dir[64];
    uint8_t storage_key[32];
    keystore_t *keystore;
    sqlite3 *db;
    agendabox_t *agendabox;
    decisionbox_t *decisionbox;
    casebox_t *casebox;
    signalbox_t *signalbox;
    outbox_t *outbox;
    retainbox_t *retainbox;
    bool archive_destroys;
    size_t published;   /* calendar files written again */
    bool publish_fails; /* the calendar directory is not writable */
    char last_published[32];
    roster_t roster;
    /*  The own signals whose spool record was forgotten with them. */
    uint8_t forgot[8][KT_ID_LEN];
    size_t n_forgot;
} fixture_t;

static int
s_forget_file (void *arg, const uint8_t id[KT_ID_LEN], kt_reason_t *reason)
{
    (void) reason;
    fixture_t *f = arg;
    if (f->n_forgot < 8)
        memcpy (f->forgot[f->n_forgot++], id, KT_ID_LEN);
    return 0;
}

static int
s_publish (void *arg, const char *meeting_id, kt_reason_t *reason)
{
    fixture_t *f = arg;
    if (f->publish_fails)
        return kt_fail (reason, "cannot write the calendar file: Permission denied");
    f->published++;
    snprintf (f->last_published, sizeof f->last_published, "%s", meeting_id);
    return 0;
}

static void
s_open (fixture_t *f)
{
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/keystore.db", f->dir);
    if (!(f->keystore = keystore_open (path, f->storage_key, &r)))
        fail_msg ("keystore_open: %s", r.text);
    snprintf (path, sizeof path, "%s/node.db", f->dir);
    if (!(f->db = store_open (path, &r)))
        fail_msg ("store_open: %s", r.text);
    outbox_limits_t limits = {100, 1000, 64};
    if (!(f->agendabox = agendabox_new (f->db, f->keystore, &r)) ||
        !(f->decisionbox = decisionbox_new (f->db, f->keystore, &r)) ||
        !(f->casebox = casebox_new (f->db, f->keystore, SELF, &r)) ||
        !(f->signalbox = signalbox_new (f->db, f->keystore, &r)) ||
        !(f->outbox = outbox_new (f->db, &limits, &r)) ||
        !(f->retainbox = retainbox_new (f->db, f->keystore, f->archive_destroys, &r)))
        fail_msg ("a store does not open: %s", r.text);
    retainbox_set_publish (f->retainbox, s_publish, f);
}

static void
s_close (fixture_t *f)
{
    retainbox_destroy (&f->retainbox);
    outbox_destroy (&f->outbox);
    signalbox_destroy (&f->signalbox);
    casebox_destroy (&f->casebox);
    decisionbox_destroy (&f->decisionbox);
    agendabox_destroy (&f->agendabox);
    store_close (&f->db);
    keystore_destroy (&f->keystore);
}

static retain_boxes_t
s_boxes (fixture_t *f)
{
    return (retain_boxes_t){.agendabox = f->agendabox,
                            .decisionbox = f->decisionbox,
                            .casebox = f->casebox,
                            .signalbox = f->signalbox,
                            .outbox = f->outbox,
                            .forget_file = s_forget_file,
                            .forget_file_arg = f};
}

static int
s_setup_as (void **state, bool archive_destroys)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "retention-partner") != 0)
        return -1;
    randombytes_buf (f->storage_key, sizeof f->storage_key);
    f->archive_destroys = archive_destroys;
    f->roster.retention_not_agendered_days = 183;
    f->roster.retention_archive_days = 365;
    f->roster.retention_destroy_days = 1826;
    s_open (f);
    *state = f;
    return 0;
}

static int
s_setup (void **state)
{
    return s_setup_as (state, false);
}

static int
s_setup_casuspartij (void **state)
{
    return s_setup_as (state, true);
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    s_close (f);
    testutil_rmtree (f->dir);
    free (f);
    return 0;
}

/* ---- what the node received ---------------------------------------------- */

static void
s_store_agenda (fixture_t *f, uint32_t sequence, const char *ref1, const char *name1,
                const char *ref2, const char *name2)
{
    Keten__Subject s[2] = {KETEN__SUBJECT__INIT, KETEN__SUBJECT__INIT};
    Keten__AgendaSignal g = KETEN__AGENDA_SIGNAL__INIT;
    Keten__AgendaSignal *gs[1] = {&g};
    g.sender = "politie-test";
    g.category = "uitingen";
    g.observed_on = "2026-01-10";
    g.source_kind = "eigen";
    g.description = "Fictional test signal.";
    Keten__AgendaItem it[2] = {KETEN__AGENDA_ITEM__INIT, KETEN__AGENDA_ITEM__INIT};
    Keten__AgendaItem *items[2] = {&it[0], &it[1]};
    const char *refs[2] = {ref1, ref2}, *names[2] = {name1, name2};
    size_t n = 0;
    for (size_t i = 0; i < 2; i++) {
        if (!refs[i])
            continue;
        s[i].name = (char *) names[i];
        s[i].birth_date = "2001-04-12";
        s[i].address = "";
        s[i].municipality = "Maastricht";
        it[i].case_ref = (char *) refs[i];
        it[i].subject = &s[i];
        it[i].signals = gs;
        it[i].n_signals = 1;
        items[n++] = &it[i];
    }
    Keten__WeegploegAgenda a = KETEN__WEEGPLOEG_AGENDA__INIT;
    a.meeting_id = MEETING;
    a.sequence = sequence;
    a.starts_at = "2026-12-01T10:00";
    a.duration_min = 90;
    a.location = "Stadhuis";
    a.items = items;
    a.n_items = n;
    a.issued_ms = 1;
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    agenda_event_t event;
    kt_reason_t r;
    if (agendabox_store (f->agendabox, id, &a, 1000, &event, &r) != 0)
        fail_msg ("agendabox_store: %s", r.text);
}

static void
s_store_decision (fixture_t *f, const char *id, const char *case_ref, bool agenderen,
                  uint64_t received_ms)
{
    Keten__WeegploegDecision d = KETEN__WEEGPLOEG_DECISION__INIT;
    d.decision_id = (char *) id;
    d.case_ref = (char *) case_ref;
    d.outcome =
        agenderen ? KETEN__DECISION_OUTCOME__AGENDEREN : KETEN__DECISION_OUTCOME__NIET_AGENDEREN;
    d.referentiekader = "2026.1";
    d.analysis = "Fictional analysis Wzqvanalyse.";
    d.decided_ms = received_ms;
    kt_reason_t r;
    if (decisionbox_store (f->decisionbox, &d, received_ms, &r) != 0)
        fail_msg ("decisionbox_store: %s", r.text);
}

/*  art. 7.4 sub 1: a meer informatie decision asking gemeente-test. */
static void
s_store_question (fixture_t *f, const char *id, const char *case_ref, uint64_t received_ms)
{
    Keten__WeegploegDecision d = KETEN__WEEGPLOEG_DECISION__INIT;
    d.decision_id = (char *) id;
    d.case_ref = (char *) case_ref;
    d.outcome = KETEN__DECISION_OUTCOME__MEER_INFORMATIE;
    d.referentiekader = "2026.1";
    d.analysis = "Fictional analysis Wzqvanalyse.";
    d.asked = "gemeente-test";
    d.question = "Fictional question Wzqvvraag?";
    d.decided_ms = received_ms;
    kt_reason_t r;
    if (decisionbox_check (&d, &r) != 0 ||
        decisionbox_store (f->decisionbox, &d, received_ms, &r) != 0)
        fail_msg ("decisionbox: %s", r.text);
}

static void
s_store_case (fixture_t *f, const char *case_ref)
{
    char *parts[2] = {SELF, "politie-test"};
    Keten__PlanGoal goal = KETEN__PLAN_GOAL__INIT;
    Keten__PlanGoal *goals[1] = {&goal};
    goal.kind = KETEN__GOAL_KIND__ZORG;
    goal.text = "Fictional goal.";
    Keten__CasePlan plan = KETEN__CASE_PLAN__INIT;
    plan.case_ref = (char *) case_ref;
    plan.participants = parts;
    plan.n_participants = 2;
    plan.goals = goals;
    plan.n_goals = 1;
    kt_reason_t r;
    for (uint32_t v = 1; v <= 2; v++) {
        plan.version = v;
        if (casebox_store_plan (f->casebox, &plan, &r) != 0)
            fail_msg ("casebox_store_plan: %s", r.text);
    }
    char *kinds[1] = {"zorg"}, *consenting[1] = {"politie-test"};
    Keten__DisclosureConsent d = KETEN__DISCLOSURE_CONSENT__INIT;
    d.case_ref = (char *) case_ref;
    d.necessity = "Fictional necessity.";
    d.data_kinds = kinds;
    d.n_data_kinds = 1;
    d.consenting = consenting;
    d.n_consenting = 1;
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    if (casebox_store_disclosure (f->casebox, id, &d, &r) != 0)
        fail_msg ("casebox_store_disclosure: %s", r.text);
    char *by[1] = {"politie-test"};
    Keten__CaseClosure c = KETEN__CASE_CLOSURE__INIT;
    c.case_ref = (char *) case_ref;
    c.advice = "Fictional advice.";
    c.decided_by = by;
    c.n_decided_by = 1;
    c.closed_ms = kt_now_ms ();
    if (casebox_close (f->casebox, &c, &r) != 0)
        fail_msg ("casebox_close: %s", r.text);
}

/*  An own signal made at created_ms, queued in the outbox and, with
 *  settled, delivered. */
static void
s_store_signal (fixture_t *f, uint8_t id[KT_ID_LEN], uint64_t created_ms, bool settled)
{
    Keten__Subject s = KETEN__SUBJECT__INIT;
    s.name = "Qzxvtest Persoon";
    s.birth_date = "2001-04-12";
    s.municipality = "Maastricht";
    Keten__Signal g = KETEN__SIGNAL__INIT;
    g.subject = &s;
    g.description = "Fictional test signal.";
    g.category = "uitingen";
    g.local_ref = "ref-1";
    kt_ordered_id (id, KT_ID_LEN);
    kt_reason_t r;
    static const uint8_t header[] = "a sealed header, in a test";
    if (signalbox_insert (f->signalbox, id, &g, NULL, 0, false, 1000, created_ms, &r) != 0 ||
        outbox_insert (f->outbox, id, KETEN__MESSAGE_TYPE__SIGNAL, header, sizeof header,
                       created_ms, &r) != 0)
        fail_msg ("storing the signal: %s", r.text);
    if (settled && outbox_settle (f->outbox, id, true, 7, NULL,
                                  &(outbox_proof_t){(const uint8_t *) "receipt", 7, NULL},
                                  created_ms + 1, &r) < 0)
        fail_msg ("outbox_settle: %s", r.text);
}

/* ---- reading the files back ------------------------------------------------ */

typedef struct {
    uint8_t *bytes;
    size_t len;
} blob_t;

static int
s_blob_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    blob_t *b = arg;
    b->len = (size_t) sqlite3_column_bytes (q, 0);
    b->bytes = malloc (b->len ? b->len : 1);
    memcpy (b->bytes, sqlite3_column_blob (q, 0), b->len);
    return 0;
}

/*  Column 0 of a one-row query as bytes (heap). */
static blob_t
s_blob (sqlite3 *db, const char *sql, const store_value_t *values)
{
    blob_t b = {NULL, 0};
    kt_reason_t r;
    if (store_one (db, sql, values, s_blob_row, &b, "a test's read", &r) != 1)
        fail_msg ("no row for %s", sql);
    return b;
}

/*  A count (the query names its values itself); -1 when it fails. */
static int64_t
s_count (sqlite3 *db, const char *sql)
{
    return store_int (db, sql, -1);
}

/*  Whether any file in dir whose name starts with prefix holds the bytes
 *  (binary, unlike testutil_files_hold): 1, 0, or -1 unreadable. */
static int
s_files_hold_bytes (const char *dir, const char *prefix, const uint8_t *needle, size_t n)
{
    static uint8_t buf[8 << 20];
    DIR *d = opendir (dir);
    if (!d)
        return -1;
    int found = 0;
    for (struct dirent *de; found == 0 && (de = readdir (d));) {
        if (strncmp (de->d_name, prefix, strlen (prefix)) != 0)
            continue;
        char path[512];
        snprintf (path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *fp = fopen (path, "rb");
        if (!fp) {
            found = -1;
            break;
        }
        size_t len = fread (buf, 1, sizeof buf, fp);
        fclose (fp);
        for (size_t i = 0; found == 0 && i + n <= len; i++)
            found = memcmp (buf + i, needle, n) == 0;
    }
    closedir (d);
    return found;
}

static bool
s_key_exists (fixture_t *f, const uint8_t key_id[KEYSTORE_ID_LEN])
{
    uint8_t key[KEYSTORE_KEY_LEN];
    kt_reason_t r;
    int rc = keystore_get (f->keystore, key_id, key, &r);
    sodium_memzero (key, sizeof key);
    return rc == 0;
}

static retain_state_t
s_state (fixture_t *f, const char *case_ref)
{
    retain_state_t state;
    kt_reason_t r;
    if (retainbox_state (f->retainbox, case_ref, &state, &r) != 0)
        fail_msg ("retainbox_state: %s", r.text);
    return state;
}

static void
s_destroy (fixture_t *f, const char *case_ref, const ProtobufCBinaryData *ids, size_t n)
{
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    if (retainbox_destroy_case (f->retainbox, &boxes, case_ref, ids, n, kt_now_ms (), &r) != 0)
        fail_msg ("retainbox_destroy_case: %s", r.text);
}

/* ---- the tests ------------------------------------------------------------- */

static void
test_a_destruction_takes_one_subject_out_of_a_shared_agenda (void **state)
{
    fixture_t *f = *state;
    s_store_agenda (f, 1, A, "Qzxvgone Persoon", B, "Qzxvstays Persoon");
    const store_value_t *meeting = STORE_VALUES (STORE_TEXT (MEETING));
    blob_t old_key = s_blob (f->db, "SELECT key_id FROM agenda WHERE meeting_id=?", meeting);
    blob_t old_body = s_blob (f->db, "SELECT body FROM agenda WHERE meeting_id=?", meeting);
    blob_t old_wrapped =
        s_blob (keystore_db (f->keystore), "SELECT wrapped FROM data_key WHERE key_id=?",
                STORE_VALUES (STORE_BLOB (old_key.bytes, old_key.len)));
    assert_int_equal (old_key.len, KEYSTORE_ID_LEN);
    /*  The search finds them before (so not finding them after means
     *  something). */
    assert_int_equal (s_files_hold_bytes (f->dir, "node.db", old_body.bytes, old_body.len), 1);
    assert_int_equal (
        s_files_hold_bytes (f->dir, "keystore.db", old_wrapped.bytes, old_wrapped.len), 1);

    s_destroy (f, A, NULL, 0);

    Keten__WeegploegAgenda *a = NULL;
    kt_reason_t r;
    assert_int_equal (agendabox_get (f->agendabox, MEETING, &a, &r), 0);
    assert_int_equal (a->n_items, 1);
    assert_string_equal (a->items[0]->case_ref, B);
    assert_string_equal (a->items[0]->subject->name, "Qzxvstays Persoon");
    keten__weegploeg_agenda__free_unpacked (a, NULL);
    blob_t new_key = s_blob (f->db, "SELECT key_id FROM agenda WHERE meeting_id=?", meeting);
    assert_memory_not_equal (new_key.bytes, old_key.bytes, KEYSTORE_ID_LEN);
    assert_false (s_key_exists (f, old_key.bytes));
    assert_true (s_key_exists (f, new_key.bytes));
    blob_t refs = s_blob (f->db, "SELECT case_refs FROM agenda WHERE meeting_id=?", meeting);
    assert_int_equal (refs.len, strlen (B));
    assert_memory_equal (refs.bytes, B, strlen (B));
    /*  Neither node.db nor keystore.db nor a WAL keeps the old bytes. */
    assert_int_equal (s_files_hold_bytes (f->dir, "node.db", old_body.bytes, old_body.len), 0);
    assert_int_equal (
        s_files_hold_bytes (f->dir, "keystore.db", old_wrapped.bytes, old_wrapped.len), 0);
    /*  The calendar file of the meeting is written again. */
    assert_int_equal (f->published, 1);
    assert_string_equal (f->last_published, MEETING);
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);
    assert_int_equal (s_state (f, B), RETAIN_ACTIVE);
    free (old_key.bytes);
    free (old_body.bytes);
    free (old_wrapped.bytes);
    free (new_key.bytes);
    free (refs.bytes);
}

static void
test_a_destruction_deletes_decisions_case_plans_disclosures_and_keys (void **state)
{
    fixture_t *f = *state;
    s_store_decision (f, "d-00000000000000a1", A, true, 1000);
    s_store_decision (f, "d-00000000000000b1", B, true, 1000);
    s_store_case (f, A);
    s_store_case (f, B);
    blob_t dkey = s_blob (f->db, "SELECT key_id FROM decision_in WHERE case_ref=?",
                          STORE_VALUES (STORE_TEXT (A)));
    blob_t ckey = s_blob (f->db, "SELECT key_id FROM case_in WHERE case_ref=?",
                          STORE_VALUES (STORE_TEXT (A)));
    blob_t plan = s_blob (f->db, "SELECT body FROM plan WHERE case_ref=? AND version=2",
                          STORE_VALUES (STORE_TEXT (A)));
    assert_int_equal (s_files_hold_bytes (f->dir, "node.db", plan.bytes, plan.len), 1);

    s_destroy (f, A, NULL, 0);

    kt_reason_t r;
    Keten__WeegploegDecision *d = NULL;
    assert_int_equal (decisionbox_get (f->decisionbox, "d-00000000000000a1", &d, &r), -1);
    assert_int_equal (decisionbox_get (f->decisionbox, "d-00000000000000b1", &d, &r), 0);
    keten__weegploeg_decision__free_unpacked (d, NULL);
    Keten__CasePlan *p = NULL;
    assert_int_equal (casebox_plan (f->casebox, A, 0, &p, &r), -1);
    assert_non_null (strstr (r.text, "takes no part"));
    assert_int_equal (casebox_plan (f->casebox, B, 0, &p, &r), 0);
    assert_int_equal (p->version, 2);
    keten__case_plan__free_unpacked (p, NULL);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM plan WHERE case_ref='" A "'"), 0);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM disclosure_in WHERE case_ref='" A "'"),
                      0);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM case_in WHERE case_ref='" A "'"), 0);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM disclosure_in WHERE case_ref='" B "'"),
                      1);
    assert_false (s_key_exists (f, dkey.bytes));
    assert_false (s_key_exists (f, ckey.bytes));
    assert_int_equal (s_files_hold_bytes (f->dir, "node.db", plan.bytes, plan.len), 0);
    /*  Nothing owed is left behind. */
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM retain_shred"), 0);
    free (dkey.bytes);
    free (ckey.bytes);
    free (plan.bytes);
}

static void
test_a_destruction_takes_the_own_signals_a_notice_named (void **state)
{
    fixture_t *f = *state;
    uint8_t sent[KT_ID_LEN], waiting[KT_ID_LEN], other[KT_ID_LEN];
    uint64_t now = kt_now_ms ();
    s_store_signal (f, sent, now, true);
    s_store_signal (f, waiting, now, false);
    s_store_signal (f, other, now, true);
    ProtobufCBinaryData ids[2] = {{KT_ID_LEN, sent}, {KT_ID_LEN, waiting}};

    s_destroy (f, A, ids, 2);

    assert_int_equal (s_count (f->db, "SELECT count(*) FROM signal"), 1);
    /*  The spool's record of each, with it (art. 13). */
    assert_int_equal (f->n_forgot, 2);
    assert_memory_equal (f->forgot[0], sent, KT_ID_LEN);
    assert_memory_equal (f->forgot[1], waiting, KT_ID_LEN);
    /*  The settled message's header is blank; the one still waiting for
     *  its receipt goes out as it was, and is blanked once settled. */
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM outbox WHERE length(header)=0"), 1);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM retain_message"), 1);
    kt_reason_t r;
    assert_int_equal (outbox_settle (f->outbox, waiting, true, 8, NULL,
                                     &(outbox_proof_t){(const uint8_t *) "r", 1, NULL}, now + 2,
                                     &r),
                      1);
    retain_boxes_t boxes = s_boxes (f);
    assert_int_equal (retainbox_run (f->retainbox, &boxes, &f->roster, now, false, NULL, NULL, &r),
                      0);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM outbox WHERE length(header)=0"), 2);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM retain_message"), 0);
    /*  The message ids and their receipts stay. */
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM outbox"), 3);
}

static void
test_a_destruction_is_idempotent (void **state)
{
    fixture_t *f = *state;
    s_store_agenda (f, 1, A, "Qzxvgone Persoon", B, "Qzxvstays Persoon");
    s_store_decision (f, "d-00000000000000a1", A, false, 1000);
    s_destroy (f, A, NULL, 0);
    blob_t key = s_blob (f->db, "SELECT key_id FROM agenda WHERE meeting_id=?",
                         STORE_VALUES (STORE_TEXT (MEETING)));
    size_t published = f->published;
    s_destroy (f, A, NULL, 0);
    blob_t again = s_blob (f->db, "SELECT key_id FROM agenda WHERE meeting_id=?",
                           STORE_VALUES (STORE_TEXT (MEETING)));
    /*  Nothing is sealed again, written again or counted twice. */
    assert_memory_equal (key.bytes, again.bytes, KEYSTORE_ID_LEN);
    assert_int_equal (f->published, published);
    assert_int_equal (retainbox_destroyed (f->retainbox), 1);
    free (key.bytes);
    free (again.bytes);
}

static void
test_a_destruction_cut_off_by_a_crash_is_completed_at_the_next_start (void **state)
{
    fixture_t *f = *state;
    s_store_agenda (f, 1, A, "Qzxvgone Persoon", B, "Qzxvstays Persoon");
    s_store_decision (f, "d-00000000000000a1", A, false, 1000);
    blob_t dkey = s_blob (f->db, "SELECT key_id FROM decision_in WHERE case_ref=?",
                          STORE_VALUES (STORE_TEXT (A)));
    /*  The state the first commit of a destruction leaves, as a crash
     *  right after it would. */
    kt_reason_t r;
    assert_int_equal (store_run (f->db,
                                 "INSERT INTO retain (case_ref, state, since_ms)"
                                 " VALUES (?, 'destroying', 1)",
                                 STORE_VALUES (STORE_TEXT (A)), "a test's crash", &r),
                      1);
    s_close (f);
    s_open (f);
    assert_true (retainbox_gone (f->retainbox, A));
    retain_boxes_t boxes = s_boxes (f);
    assert_int_equal (retainbox_resume (f->retainbox, &boxes, &r), 0);
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);
    assert_false (s_key_exists (f, dkey.bytes));
    Keten__WeegploegAgenda *a = NULL;
    assert_int_equal (agendabox_get (f->agendabox, MEETING, &a, &r), 0);
    assert_int_equal (a->n_items, 1);
    keten__weegploeg_agenda__free_unpacked (a, NULL);
    assert_int_equal (f->published, 1);
    free (dkey.bytes);
}

static void
test_keys_and_calendar_files_owed_by_a_crash_are_paid_at_the_next_start (void **state)
{
    fixture_t *f = *state;
    uint8_t key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    kt_reason_t r;
    assert_int_equal (keystore_create (f->keystore, key_id, key, &r), 0);
    /*  A crash after the rows' commit, before the shredding and the
     *  calendar file. */
    assert_int_equal (store_run (f->db,
                                 "INSERT INTO retain (case_ref, state, since_ms)"
                                 " VALUES (?, 'destroying', 1)",
                                 STORE_VALUES (STORE_TEXT (A)), "a test's crash", &r),
                      1);
    assert_int_equal (
        store_run (f->db, "INSERT INTO retain_shred (key_id, case_ref) VALUES (?,?)",
                   STORE_VALUES (STORE_BLOB (key_id, KEYSTORE_ID_LEN), STORE_TEXT (A)),
                   "a test's crash", &r),
        1);
    assert_int_equal (
        store_run (f->db, "INSERT INTO retain_meeting (case_ref, meeting_id) VALUES (?,?)",
                   STORE_VALUES (STORE_TEXT (A), STORE_TEXT (MEETING)), "a test's crash", &r),
        1);
    retain_boxes_t boxes = s_boxes (f);
    assert_int_equal (retainbox_resume (f->retainbox, &boxes, &r), 0);
    assert_false (s_key_exists (f, key_id));
    assert_int_equal (f->published, 1);
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);
}

static void
test_an_archived_subject_leaves_the_lists_and_stays_for_the_archive_read (void **state)
{
    fixture_t *f = *state;
    s_store_agenda (f, 1, A, "Qzxvarch Persoon", B, "Qzxvstays Persoon");
    s_store_decision (f, "d-00000000000000a1", A, true, 1000);
    s_store_decision (f, "d-00000000000000b1", B, true, 1000);
    s_store_case (f, A);
    uint8_t sig[KT_ID_LEN];
    s_store_signal (f, sig, kt_now_ms (), true);
    ProtobufCBinaryData ids[1] = {{KT_ID_LEN, sig}};
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    assert_int_equal (retainbox_archive (f->retainbox, &boxes, A, ids, 1, 0, kt_now_ms (), &r), 0);
    assert_int_equal (s_state (f, A), RETAIN_ARCHIVED);
    assert_true (retainbox_hidden (f->retainbox, A));
    assert_false (retainbox_gone (f->retainbox, A));
    assert_true (retainbox_message_hidden (f->retainbox, sig));
    /*  The meeting's calendar file is written again without it. */
    assert_int_equal (f->published, 1);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM retain_meeting"), 0);

    json_t *decisions = partner_json_decisions (f->decisionbox, f->retainbox, 100, &r);
    assert_int_equal (json_array_size (decisions), 1);
    assert_string_equal (
        json_string_value (json_object_get (json_array_get (decisions, 0), "case_ref")), B);
    json_t *cases = partner_json_cases (f->casebox, f->retainbox, &r);
    assert_int_equal (json_array_size (cases), 0);
    json_t *meetings = partner_json_agendas (f->agendabox, f->retainbox, true, 100, &r);
    json_t *refs = json_object_get (json_array_get (meetings, 0), "case_refs");
    assert_int_equal (json_array_size (refs), 1);
    assert_string_equal (json_string_value (json_array_get (refs, 0)), B);
    json_t *signals = partner_json_signals (f->signalbox, f->outbox, f->retainbox, 100, &r);
    assert_int_equal (json_array_size (signals), 0);
    json_decref (decisions);
    json_decref (cases);
    json_decref (meetings);
    json_decref (signals);

    /*  What the archive read shows is still there, under its keys. */
    Keten__WeegploegDecision *d = NULL;
    assert_int_equal (decisionbox_get (f->decisionbox, "d-00000000000000a1", &d, &r), 0);
    keten__weegploeg_decision__free_unpacked (d, NULL);
    Keten__CasePlan *p = NULL;
    assert_int_equal (casebox_plan (f->casebox, A, 1, &p, &r), 0);
    keten__case_plan__free_unpacked (p, NULL);
    json_t *the_case = partner_json_case (f->casebox, A, &r);
    assert_true (json_is_object (the_case));
    json_decref (the_case);

    /*  art. 13.4: reopened, it is back in the lists, its clock restarted. */
    assert_int_equal (retainbox_reopen (f->retainbox, &boxes, A, kt_now_ms (), &r), 0);
    assert_false (retainbox_hidden (f->retainbox, A));
    assert_false (retainbox_message_hidden (f->retainbox, sig));
    assert_int_equal (f->published, 2);
    cases = partner_json_cases (f->casebox, f->retainbox, &r);
    assert_int_equal (json_array_size (cases), 1);
    json_decref (cases);
    signals = partner_json_signals (f->signalbox, f->outbox, f->retainbox, 100, &r);
    assert_int_equal (json_array_size (signals), 1);
    json_decref (signals);
    /*  The signal stays tied to its subject: it goes when the subject
     *  goes, not on the untied signals' own clock. */
    retain_boxes_t again = s_boxes (f);
    assert_int_equal (retainbox_destroy_case (f->retainbox, &again, A, NULL, 0, kt_now_ms (), &r),
                      0);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM signal"), 0);
}

static void
test_a_tombstone_keeps_a_late_agenda_item_out (void **state)
{
    fixture_t *f = *state;
    s_store_decision (f, "d-00000000000000a1", A, false, 1000);
    s_destroy (f, A, NULL, 0);
    kt_reason_t r;
    /*  Nothing about A is left but the tombstone, which names no one. */
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM decision_in"), 0);
    assert_true (retainbox_gone (f->retainbox, A));
    retain_boxes_t boxes = s_boxes (f);
    assert_int_equal (retainbox_reopen (f->retainbox, &boxes, A, kt_now_ms (), &r), -1);
    assert_non_null (strstr (r.text, "destroyed"));

    /*  A newer version of a meeting still carrying A arrives late. */
    Keten__Subject s[2] = {KETEN__SUBJECT__INIT, KETEN__SUBJECT__INIT};
    Keten__AgendaItem it[2] = {KETEN__AGENDA_ITEM__INIT, KETEN__AGENDA_ITEM__INIT};
    Keten__AgendaItem *items[2] = {&it[0], &it[1]};
    it[0].case_ref = A;
    it[0].subject = &s[0];
    it[1].case_ref = B;
    it[1].subject = &s[1];
    Keten__WeegploegAgenda a = KETEN__WEEGPLOEG_AGENDA__INIT;
    a.items = items;
    a.n_items = 2;
    a.meeting_id = MEETING;
    /*  Made before the destruction (the uitvoerder's clock). */
    Keten__AgendaItem *kept[2];
    size_t n;
    assert_int_equal (retainbox_keep_items (f->retainbox, &a, 1000, kept, &n, &r), 0);
    assert_int_equal (n, 1);
    assert_ptr_equal (kept[0], &it[1]);
    assert_true (retainbox_gone (f->retainbox, A));
}

/*  The node's own schedule: a niet-agenderen decision destroyed 183 days
 *  after it was received (plus the day of grace), once. */
typedef struct {
    size_t n;
    char case_ref[24];
    char action[16];
} actions_t;

static int
s_action (void *arg, const char *case_ref, const char *action, uint64_t due_ms, kt_reason_t *reason)
{
    (void) due_ms;
    (void) reason;
    actions_t *a = arg;
    a->n++;
    snprintf (a->case_ref, sizeof a->case_ref, "%s", case_ref);
    snprintf (a->action, sizeof a->action, "%s", action);
    return 0;
}

static void
test_the_own_schedule_destroys_a_niet_agenderen_subject_once (void **state)
{
    fixture_t *f = *state;
    /*  From 31 July 6 calendar months are 184 days: 183 and the grace day
     *  fit in them (art. 13.3; from other days the schedule stops at 6
     *  months, test_retention_rules). */
    uint64_t received = kt_local_midnight_ms (2026, 7, 31);
    s_store_decision (f, "d-00000000000000a1", A, false, received);
    s_store_decision (f, "d-00000000000000b1", B, false, received + 30 * DAY_MS);
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    uint64_t now = received + 183 * DAY_MS + RETENTION_GRACE_MS;
    actions_t acts = {0};
    /*  Not a day early (the grace day). */
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, now - 1, true, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 0);
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, now, true, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 1);
    assert_string_equal (acts.case_ref, A);
    assert_string_equal (acts.action, "destroy");
    assert_int_equal (s_state (f, A), RETAIN_ACTIVE); /* a dry run changes nothing */
    acts.n = 0;
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, now, false, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 1);
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);
    assert_int_equal (s_state (f, B), RETAIN_ACTIVE);
    acts.n = 0;
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, now, false, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 0);
}

/*  art. 7.4 sub 1: a meer informatie decision received does not keep a
 *  subject alive here (A: 13.3 from the niet agenderen decision before
 *  it), unless it is all this node holds of the subject (B: its arrival
 *  starts the clock). */
static void
test_the_own_schedule_does_not_count_a_question_as_processing (void **state)
{
    fixture_t *f = *state;
    uint64_t received = kt_local_midnight_ms (2026, 7, 31); /* as the test before */
    s_store_decision (f, "d-00000000000000a1", A, false, received);
    s_store_question (f, "d-00000000000000a2", A, received + 30 * DAY_MS);
    s_store_question (f, "d-00000000000000b1", B, received);
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    uint64_t now = received + 183 * DAY_MS + RETENTION_GRACE_MS;
    actions_t acts = {0};
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, now - 1, true, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 0);
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, now, true, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 2);
}

/*  An agendered subject (a case here) is archived 365 days after its last
 *  processing at a kernpartij (or a year, when that is shorter), and
 *  destroyed 5 calendar years after it. */
static void
test_the_own_schedule_archives_then_destroys_a_case (void **state)
{
    fixture_t *f = *state;
    s_store_case (f, A);
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    uint64_t start = kt_now_ms () + 1000;
    actions_t acts = {0};
    uint64_t archive = start + 365 * DAY_MS + RETENTION_GRACE_MS;
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, archive, false, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 1);
    assert_string_equal (acts.action, "archive");
    assert_int_equal (s_state (f, A), RETAIN_ARCHIVED);
    acts.n = 0;
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, archive, false, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 0);
    /*  Kept 5 calendar years (art. 13.1), destroyed from the day after. */
    uint64_t destroy = start + 1828 * DAY_MS + RETENTION_GRACE_MS;
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, destroy, false, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 1);
    assert_string_equal (acts.action, "destroy");
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);
}

/*  Own signals no notice named: 5 years (never more than 1828 days) after
 *  they were made. */
static void
test_own_signals_no_notice_named_go_after_destroy_days (void **state)
{
    fixture_t *f = *state;
    uint8_t old[KT_ID_LEN], young[KT_ID_LEN];
    uint64_t now = 3000ULL * DAY_MS;
    s_store_signal (f, old, now - 1828 * DAY_MS - RETENTION_GRACE_MS - 1, true);
    s_store_signal (f, young, now - 1000 * DAY_MS, true);
    blob_t key = s_blob (f->db, "SELECT key_id FROM signal WHERE message_id=?",
                         STORE_VALUES (STORE_BLOB (old, KT_ID_LEN)));
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    assert_int_equal (retainbox_run (f->retainbox, &boxes, &f->roster, now, false, NULL, NULL, &r),
                      0);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM signal"), 1);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM outbox WHERE length(header)=0"), 1);
    assert_false (s_key_exists (f, key.bytes));
    free (key.bytes);
}

/*  A crash after an own signal's expiry committed and before its key was
 *  shredded: the next run shreds it, though no signal expires then. */
static void
test_a_key_an_expiry_left_owed_is_shredded_by_the_next_run (void **state)
{
    fixture_t *f = *state;
    uint8_t id[KT_ID_LEN];
    uint64_t now = 3000ULL * DAY_MS;
    s_store_signal (f, id, now - 10 * DAY_MS, true);
    blob_t key = s_blob (f->db, "SELECT key_id FROM signal WHERE message_id=?",
                         STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)));
    kt_reason_t r;
    /*  What the expiry's commit left: the row gone, its key owed. */
    assert_int_equal (store_run (f->db, "DELETE FROM signal WHERE message_id=?",
                                 STORE_VALUES (STORE_BLOB (id, KT_ID_LEN)), "delete", &r),
                      1);
    assert_int_equal (retainbox_owe_shred (f->retainbox, key.bytes, "", &r), 0);
    assert_true (s_key_exists (f, key.bytes));
    retain_boxes_t boxes = s_boxes (f);
    assert_int_equal (retainbox_run (f->retainbox, &boxes, &f->roster, now, false, NULL, NULL, &r),
                      0);
    assert_false (s_key_exists (f, key.bytes));
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM retain_shred"), 0);
    free (key.bytes);
}

/*  A WAL a reader holds cannot be truncated: the destruction stays
 *  "destroying" (no confirmation) and the next run completes it. */
static void
test_a_reader_holding_the_wal_leaves_the_destruction_to_the_next_run (void **state)
{
    fixture_t *f = *state;
    s_store_decision (f, "d-00000000000000a1", A, false, 1000);
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/node.db", f->dir);
    sqlite3 *reader = store_open (path, &r);
    assert_non_null (reader);
    assert_int_equal (store_exec (reader, "BEGIN; SELECT count(*) FROM retain;", &r), 0);
    retain_boxes_t boxes = s_boxes (f);
    assert_int_equal (retainbox_destroy_case (f->retainbox, &boxes, A, NULL, 0, kt_now_ms (), &r),
                      -1);
    assert_non_null (strstr (r.text, "reader"));
    assert_int_equal (s_state (f, A), RETAIN_DESTROYING);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM decision_in"), 0);
    assert_int_equal (store_exec (reader, "COMMIT", &r), 0);
    store_close (&reader);
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, kt_now_ms (), false, NULL, NULL, &r), 0);
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);
}

/*  An archive notice tells the federation's last processing: the node's
 *  own clock does not destroy before the uitvoerder's would. */
static void
test_the_federations_last_processing_holds_back_the_own_destruction (void **state)
{
    fixture_t *f = *state;
    uint64_t received = 1000ULL * DAY_MS, federation = 2000ULL * DAY_MS;
    s_store_decision (f, "d-00000000000000a1", A, true, received);
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    assert_int_equal (retainbox_archive (f->retainbox, &boxes, A, NULL, 0, federation,
                                         federation + 400 * DAY_MS, &r),
                      0);
    actions_t acts = {0};
    uint64_t own = received + 1826 * DAY_MS + RETENTION_GRACE_MS;
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, own, false, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 0);
    assert_int_equal (s_state (f, A), RETAIN_ARCHIVED);
    uint64_t due = federation + 1828 * DAY_MS + RETENTION_GRACE_MS; /* 5 calendar years on */
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, due, false, s_action, &acts, &r), 0);
    assert_int_equal (acts.n, 1);
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);
}

/*  art. 13.2: at a casuspartij an archive is a destruction. */
static void
test_an_archive_at_a_casuspartij_destroys (void **state)
{
    fixture_t *f = *state;
    s_store_case (f, A);
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    assert_int_equal (retainbox_archive (f->retainbox, &boxes, A, NULL, 0, 0, kt_now_ms (), &r), 0);
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);
    Keten__CasePlan *p = NULL;
    assert_int_equal (casebox_plan (f->casebox, A, 0, &p, &r), -1);
}

/*  A calendar file that cannot be written (the directory not writable, a
 *  full disk) holds back neither the shredding of the subject's keys nor
 *  its tombstone, nor any other subject's retention: it stays owed and
 *  is written at the first run that can. */
static void
test_a_calendar_file_that_cannot_be_written_holds_back_nothing_else (void **state)
{
    fixture_t *f = *state;
    uint64_t received = 1000ULL * DAY_MS;
    s_store_agenda (f, 1, A, "Qzxvgone Persoon", B, "Qzxvstays Persoon");
    s_store_decision (f, "d-00000000000000c1", C, false, received);
    blob_t old_key = s_blob (f->db, "SELECT key_id FROM agenda WHERE meeting_id=?",
                             STORE_VALUES (STORE_TEXT (MEETING)));
    f->publish_fails = true;
    s_destroy (f, A, NULL, 0);
    assert_false (s_key_exists (f, old_key.bytes));
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM retain_shred"), 0);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM retain_meeting"), 1);
    assert_int_equal (f->published, 0);

    /*  The owed file fails again, and C is destroyed all the same. */
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    uint64_t now = received + 183 * DAY_MS + RETENTION_GRACE_MS;
    assert_int_equal (retainbox_run (f->retainbox, &boxes, &f->roster, now, false, NULL, NULL, &r),
                      -1);
    assert_non_null (strstr (r.text, "Permission denied"));
    assert_int_equal (s_state (f, C), RETAIN_DESTROYED);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM decision_in"), 0);

    /*  B, on the agenda since day 0 and never decided, was due too: the
     *  meeting is owed for A and for B. */
    assert_int_equal (s_state (f, B), RETAIN_DESTROYED);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM retain_meeting"), 2);

    /*  Writable again: the next run writes what is owed, once. */
    f->publish_fails = false;
    assert_int_equal (retainbox_run (f->retainbox, &boxes, &f->roster, now, false, NULL, NULL, &r),
                      0);
    assert_int_equal (f->published, 2);
    assert_string_equal (f->last_published, MEETING);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM retain_meeting"), 0);
    assert_int_equal (retainbox_run (f->retainbox, &boxes, &f->roster, now, false, NULL, NULL, &r),
                      0);
    assert_int_equal (f->published, 2);
    free (old_key.bytes);
}

/*  A tombstone stops only copies made before the destruction.  The
 *  uitvoerder kept the subject alive (a new signal the kernpartij never
 *  saw) while the node's own schedule destroyed it: what the uitvoerder
 *  makes after that is stored, and the subject is scheduled again. */
static void
test_a_copy_made_after_the_destruction_lifts_the_tombstone (void **state)
{
    fixture_t *f = *state;
    uint64_t decided = 1000ULL * DAY_MS;
    s_store_decision (f, "d-00000000000000a1", A, false, decided);
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    uint64_t destroyed = decided + 183 * DAY_MS + RETENTION_GRACE_MS;
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, destroyed, false, NULL, NULL, &r), 0);
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);

    /*  The niet-agenderen decision, offered again: made before, dropped. */
    assert_int_equal (retainbox_late_copy (f->retainbox, A, decided, &r), 1);
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);

    /*  A new agenda naming A, made six days after the destruction. */
    Keten__Subject s = KETEN__SUBJECT__INIT;
    Keten__AgendaItem it = KETEN__AGENDA_ITEM__INIT;
    Keten__AgendaItem *items[1] = {&it};
    it.case_ref = A;
    it.subject = &s;
    Keten__WeegploegAgenda a = KETEN__WEEGPLOEG_AGENDA__INIT;
    a.items = items;
    a.n_items = 1;
    a.meeting_id = MEETING;
    Keten__AgendaItem *kept[1];
    size_t n;
    uint64_t made = destroyed + 6 * DAY_MS;
    assert_int_equal (retainbox_keep_items (f->retainbox, &a, made, kept, &n, &r), 0);
    assert_int_equal (n, 1);
    assert_int_equal (s_state (f, A), RETAIN_ACTIVE);
    assert_false (retainbox_hidden (f->retainbox, A));
    /*  The subject is alive: the agenderen decision that follows is
     *  stored, and it is a case on the schedule now, nothing due. */
    assert_int_equal (retainbox_late_copy (f->retainbox, A, made, &r), 0);
    s_store_decision (f, "d-00000000000000a2", A, true, made);
    actions_t acts = {0};
    assert_int_equal (
        retainbox_run (f->retainbox, &boxes, &f->roster, made + DAY_MS, false, s_action, &acts, &r),
        0);
    assert_int_equal (acts.n, 0);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM decision_in WHERE case_ref='" A "'"),
                      1);
}

/*  At a casuspartij an archive is a destruction; after an art. 13.4
 *  reopen the uitvoerder's new plan versions of the case are stored. */
static void
test_a_plan_after_a_reopen_comes_back_to_a_casuspartij (void **state)
{
    fixture_t *f = *state;
    s_store_case (f, A);
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    uint64_t archived = kt_now_ms ();
    assert_int_equal (retainbox_archive (f->retainbox, &boxes, A, NULL, 0, 0, archived, &r), 0);
    assert_int_equal (s_state (f, A), RETAIN_DESTROYED);
    /*  A plan version made before the archive, delivered late: dropped. */
    assert_int_equal (retainbox_late_copy (f->retainbox, A, archived - 1, &r), 1);
    /*  Version 3, made after the reopen. */
    assert_int_equal (retainbox_late_copy (f->retainbox, A, archived + 60 * 1000, &r), 0);
    char *parts[2] = {SELF, "politie-test"};
    Keten__PlanGoal goal = KETEN__PLAN_GOAL__INIT;
    Keten__PlanGoal *goals[1] = {&goal};
    goal.kind = KETEN__GOAL_KIND__ZORG;
    goal.text = "Fictional goal.";
    Keten__CasePlan plan = KETEN__CASE_PLAN__INIT;
    plan.case_ref = A;
    plan.participants = parts;
    plan.n_participants = 2;
    plan.goals = goals;
    plan.n_goals = 1;
    plan.version = 3;
    assert_int_equal (casebox_store_plan (f->casebox, &plan, &r), 0);
    json_t *cases = partner_json_cases (f->casebox, f->retainbox, &r);
    assert_int_equal (json_array_size (cases), 1);
    json_decref (cases);
}

/*  RetentionNotice.sequence: an archive retried after a later reopen is
 *  stale and not applied; the same number again is a retry; 0 is an
 *  uitvoerder that numbers none.  A node.db from before the column gets
 *  it by migration. */
static void
test_a_notice_older_than_one_applied_is_stale (void **state)
{
    fixture_t *f = *state;
    s_store_case (f, A);
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    assert_int_equal (retainbox_notice_stale (f->retainbox, A, 1, &r), 0);
    assert_int_equal (retainbox_archive (f->retainbox, &boxes, A, NULL, 0, 0, kt_now_ms (), &r), 0);
    assert_int_equal (retainbox_notice_applied (f->retainbox, A, 1, &r), 0);
    assert_int_equal (retainbox_notice_stale (f->retainbox, A, 2, &r), 0);
    assert_int_equal (retainbox_reopen (f->retainbox, &boxes, A, kt_now_ms (), &r), 0);
    assert_int_equal (retainbox_notice_applied (f->retainbox, A, 2, &r), 0);
    /*  The archive (1), offered again after the reopen (2): stale. */
    assert_int_equal (retainbox_notice_stale (f->retainbox, A, 1, &r), 1);
    assert_int_equal (s_state (f, A), RETAIN_ACTIVE);
    /*  A retry of the reopen, an unnumbered notice, the next generation. */
    assert_int_equal (retainbox_notice_stale (f->retainbox, A, 2, &r), 0);
    assert_int_equal (retainbox_notice_stale (f->retainbox, A, 0, &r), 0);
    assert_int_equal (retainbox_notice_stale (f->retainbox, A, 3, &r), 0);
    /*  Recorded numbers only grow; a subject never noticed is at 0. */
    assert_int_equal (retainbox_notice_applied (f->retainbox, A, 1, &r), 0);
    assert_int_equal (retainbox_notice_stale (f->retainbox, A, 1, &r), 1);
    assert_int_equal (retainbox_notice_stale (f->retainbox, B, 1, &r), 0);

    /*  A node.db of the first schema: the column comes by migration, and
     *  the states kept stay. */
    assert_int_equal (store_exec (f->db,
                                  "ALTER TABLE retain DROP COLUMN sequence;"
                                  " UPDATE schema_version SET version=1 WHERE module='retainbox';",
                                  &r),
                      0);
    retainbox_destroy (&f->retainbox);
    f->retainbox = retainbox_new (f->db, f->keystore, f->archive_destroys, &r);
    assert_non_null (f->retainbox);
    assert_int_equal (s_state (f, A), RETAIN_ACTIVE);
    assert_int_equal (retainbox_notice_stale (f->retainbox, A, 1, &r), 0);
    assert_int_equal (
        s_count (f->db, "SELECT version FROM schema_version WHERE module='retainbox'"), 2);
}

/*  art. 13.4: the reason of a kernpartij's RETENTION_ORDER, sealed in its
 *  outbox header, goes with the order's receipt (refused or accepted);
 *  an own signal's header stays until the retention of its subject. */
static void
test_a_retention_orders_header_goes_with_its_receipt (void **state)
{
    fixture_t *f = *state;
    static const uint8_t header[] = "a sealed order: Qzxvreden hernieuwde weging";
    uint8_t order[KT_ID_LEN], refused[KT_ID_LEN], sig[KT_ID_LEN];
    kt_reason_t r;
    kt_ordered_id (order, KT_ID_LEN);
    kt_ordered_id (refused, KT_ID_LEN);
    assert_int_equal (outbox_insert (f->outbox, order, KETEN__MESSAGE_TYPE__RETENTION_ORDER, header,
                                     sizeof header, 1000, &r),
                      0);
    assert_int_equal (outbox_insert (f->outbox, refused, KETEN__MESSAGE_TYPE__RETENTION_ORDER,
                                     header, sizeof header, 1000, &r),
                      0);
    s_store_signal (f, sig, 1000, false);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM outbox WHERE length(header)=0"), 0);
    /*  Waiting for its answer, the order keeps its header (the pump
     *  sends it). */
    assert_int_equal (store_begin (f->db, &r), 0);
    assert_int_equal (outbox_settle (f->outbox, order, true, 7, NULL,
                                     &(outbox_proof_t){(const uint8_t *) "receipt", 7, NULL}, 2000,
                                     &r),
                      1);
    assert_int_equal (outbox_settle (f->outbox, refused, false, 0, "not archived",
                                     &(outbox_proof_t){(const uint8_t *) "receipt", 7, NULL}, 2000,
                                     &r),
                      1);
    assert_int_equal (outbox_settle (f->outbox, sig, true, 8, NULL,
                                     &(outbox_proof_t){(const uint8_t *) "receipt", 7, NULL}, 2000,
                                     &r),
                      1);
    assert_int_equal (store_commit (f->db, &r), 0);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM outbox WHERE length(header)=0"), 2);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM outbox WHERE type=18 AND"
                                      " length(header)=0 AND state<>0 AND length(receipt)=7"),
                      2);
    /*  Nor does a WAL keep it once checkpointed. */
    assert_int_equal (store_exec (f->db, "PRAGMA wal_checkpoint(TRUNCATE)", &r), 0);
    assert_int_equal (s_files_hold_bytes (f->dir, "node.db", (const uint8_t *) "Qzxvreden", 9), 0);
}

/*  Thousands due at once must not hold the event loop: a batch takes at
 *  most RETAIN_BATCH steps and says whether more remain.  The time per
 *  destruction is printed, never asserted (a bench-style reading). */
#define MANY (2 * RETAIN_BATCH + 20)

static void
test_a_long_run_goes_in_batches (void **state)
{
    fixture_t *f = *state;
    uint64_t decided = 1000ULL * DAY_MS;
    for (int i = 0; i < MANY; i++) {
        char id[24], ref[24];
        snprintf (id, sizeof id, "d-%016x", i);
        snprintf (ref, sizeof ref, "k-%016x", 0x1000 + i);
        s_store_decision (f, id, ref, false, decided);
    }
    retain_boxes_t boxes = s_boxes (f);
    kt_reason_t r;
    uint64_t now = decided + 183 * DAY_MS + RETENTION_GRACE_MS;
    retain_batch_t batch;
    size_t batches = 0;
    int64_t start = zclock_usecs ();
    do {
        actions_t acts = {0};
        assert_int_equal (retainbox_run_batch (f->retainbox, &boxes, &f->roster, now, RETAIN_BATCH,
                                               s_action, &acts, &batch, &r),
                          0);
        batches++;
        assert_true (acts.n <= RETAIN_BATCH);
        assert_int_equal (s_count (f->db, "SELECT count(*) FROM retain WHERE state='destroyed'"),
                          batches * RETAIN_BATCH < MANY ? batches * RETAIN_BATCH : MANY);
    } while (batch.more && batches < 10);
    int64_t took = zclock_usecs () - start;
    assert_int_equal (batches, 3);
    assert_int_equal (s_count (f->db, "SELECT count(*) FROM decision_in"), 0);
    print_message ("      %d destructions in %zu batches of at most %d: %.1f ms each\n", MANY,
                   batches, RETAIN_BATCH, (double) took / 1000.0 / MANY);
    /*  Nothing left: the next batch takes nothing. */
    assert_int_equal (retainbox_run_batch (f->retainbox, &boxes, &f->roster, now, RETAIN_BATCH,
                                           NULL, NULL, &batch, &r),
                      0);
    assert_false (batch.more);
    assert_int_equal (batch.done, 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_a_destruction_takes_one_subject_out_of_a_shared_agenda, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_destruction_deletes_decisions_case_plans_disclosures_and_keys, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_a_destruction_takes_the_own_signals_a_notice_named,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_destruction_is_idempotent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_destruction_cut_off_by_a_crash_is_completed_at_the_next_start, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_keys_and_calendar_files_owed_by_a_crash_are_paid_at_the_next_start, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_an_archived_subject_leaves_the_lists_and_stays_for_the_archive_read, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_a_tombstone_keeps_a_late_agenda_item_out, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_copy_made_after_the_destruction_lifts_the_tombstone,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_plan_after_a_reopen_comes_back_to_a_casuspartij,
                                         s_setup_casuspartij, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_notice_older_than_one_applied_is_stale, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_a_retention_orders_header_goes_with_its_receipt,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_long_run_goes_in_batches, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_own_schedule_destroys_a_niet_agenderen_subject_once, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_own_schedule_does_not_count_a_question_as_processing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_own_schedule_archives_then_destroys_a_case,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_own_signals_no_notice_named_go_after_destroy_days,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_key_an_expiry_left_owed_is_shredded_by_the_next_run,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_reader_holding_the_wal_leaves_the_destruction_to_the_next_run, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (
            test_the_federations_last_processing_holds_back_the_own_destruction, s_setup,
            s_teardown),
        cmocka_unit_test_setup_teardown (test_an_archive_at_a_casuspartij_destroys,
                                         s_setup_casuspartij, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_calendar_file_that_cannot_be_written_holds_back_nothing_else, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
