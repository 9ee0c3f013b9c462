/*  Correction (art. 12.5-12.6) on real SQLite files, through the stores:
 *  at the uitvoerder a correction, a deletion and a whole signal's
 *  deletion leave the old sealed record in no byte of weegploeg.db or its
 *  WAL; a blocked item is shown by no read, an unblocked one again; a
 *  decision is recorded with its due date.  At a partner the agenda's copy
 *  and the sender's own record are sealed again under a new key, the old
 *  key shredded, the old bytes in no file of node.db or keystore.db.
 *  Every person here is fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "agendabox.h"
#include "calendar.h"
#include "correction.h"
#include "envelope.h"
#include "keys.h"
#include "note.h"
#include "roster.h"
#include "intake.h"
#include "items.h"
#include "keystore.h"
#include "outbox.h"
#include "request.h"
#include "retainbox.h"
#include "signalbox.h"
#include "store.h"
#include "weegploeg.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEETING "w-0123456789abcdef"
#define OLD_TEXT "Qzxv oude tekst (fictief)."
#define NEW_TEXT "Qzxv nieuwe tekst (fictief)."
#define OPINION "Qzxv mening (fictief)."

typedef struct {
    char dir[64];
    uint8_t storage_key[32];
    /*  the uitvoerder */
    keystore_t *keystore;
    weegploeg_t *weegploeg;
    correction_t *correction;
    uint8_t signal_id[KT_ID_LEN];
    char case_ref[40];
    /*  a partner, in the same directory under its own names */
    keystore_t *p_keystore;
    sqlite3 *p_db;
    agendabox_t *agendabox;
    signalbox_t *signalbox;
    retainbox_t *retainbox;
} fixture_t;

static Keten__Signal *
s_signal (void)
{
    const char *text =
        "{\"subject\": {\"name\": \"Corrigeer Testpersoon\", \"birth_date\": \"2001-04-12\","
        " \"municipality\": \"Maastricht\"},"
        " \"description\": \"Fictional test signal.\", \"category\": \"uitingen\","
        " \"observed_on\": \"2026-01-10\","
        " \"melder\": {\"name\": \"Agent Test\", \"contact\": \"test@politie.invalid\"},"
        " \"source\": {\"kind\": \"eigen\"}, \"legal_basis\": \"wpg-16\","
        " \"wpg_basis\": \"art-8-13\","
        " \"items\": [{\"kind\": \"fact\", \"text\": \"" OLD_TEXT "\"},"
        " {\"kind\": \"opinion\", \"text\": \"" OPINION "\", \"of\": \"wijkagent\"}]}";
    Keten__Signal *signal = NULL;
    kt_reason_t r;
    if (intake_signal_from_json (text, strlen (text), &signal, &r) != 0)
        fail_msg ("test signal does not pass the intake: %s", r.text);
    return signal;
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "correction") != 0)
        return -1;
    randombytes_buf (f->storage_key, sizeof f->storage_key);
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/keys.db", f->dir);
    if (!(f->keystore = keystore_open (path, f->storage_key, &r)))
        fail_msg ("keystore_open: %s", r.text);
    snprintf (path, sizeof path, "%s/weegploeg.db", f->dir);
    if (!(f->weegploeg = weegploeg_open (path, f->keystore, f->storage_key, &r)) ||
        !(f->correction = correction_new (f->weegploeg, &r)))
        fail_msg ("weegploeg: %s", r.text);
    snprintf (path, sizeof path, "%s/p-keystore.db", f->dir);
    if (!(f->p_keystore = keystore_open (path, f->storage_key, &r)))
        fail_msg ("keystore_open: %s", r.text);
    snprintf (path, sizeof path, "%s/p-node.db", f->dir);
    if (!(f->p_db = store_open (path, &r)) ||
        !(f->agendabox = agendabox_new (f->p_db, f->p_keystore, &r)) ||
        !(f->signalbox = signalbox_new (f->p_db, f->p_keystore, &r)) ||
        !(f->retainbox = retainbox_new (f->p_db, f->p_keystore, false, &r)))
        fail_msg ("partner stores: %s", r.text);
    /*  One signal at the uitvoerder. */
    Keten__Signal *s = s_signal ();
    uint8_t commitment[32] = {0};
    randombytes_buf (f->signal_id, sizeof f->signal_id);
    weegploeg_signal_t w = {f->signal_id, "politie-test", 1, 1, 1, commitment, s, "", "", NULL, 0};
    if (weegploeg_store_signals (f->weegploeg, &w, 1, &r) != 0)
        fail_msg ("weegploeg_store_signals: %s", r.text);
    snprintf (f->case_ref, sizeof f->case_ref, "%s", w.case_ref);
    intake_signal_destroy (&s);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    retainbox_destroy (&f->retainbox);
    signalbox_destroy (&f->signalbox);
    agendabox_destroy (&f->agendabox);
    store_close (&f->p_db);
    keystore_destroy (&f->p_keystore);
    correction_destroy (&f->correction);
    weegploeg_destroy (&f->weegploeg);
    keystore_destroy (&f->keystore);
    int rc = testutil_rmtree (f->dir);
    free (f);
    return rc;
}

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
    if (b->len)
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

/*  Whether any file in dir whose name starts with prefix holds the bytes:
 *  1, 0, or -1 unreadable. */
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

static blob_t
s_signal_body (fixture_t *f)
{
    return s_blob (weegploeg_db (f->weegploeg), "SELECT body FROM signal WHERE message_id=?",
                   STORE_VALUES (STORE_BLOB (f->signal_id, KT_ID_LEN)));
}

/*  Decide action on item (whole: the signal) with new_text (NULL: none). */
static int
s_decide (fixture_t *f, Keten__CorrectionAction action, uint32_t item, bool whole,
          const char *new_text, kt_reason_t *r)
{
    Keten__SignalItem it = KETEN__SIGNAL_ITEM__INIT;
    it.kind = KETEN__ITEM_KIND__FACT;
    it.text = (char *) new_text;
    correction_decision_t d = {0};
    d.change.action = action;
    memcpy (d.change.signal_id, f->signal_id, KT_ID_LEN);
    d.change.whole_signal = whole;
    d.change.item_index = item;
    d.change.item = new_text ? &it : NULL;
    d.request_id = "r-1";
    d.reason = "Verzoek (fictief).";
    d.decided_by = "tester";
    d.decided_ms = 1000;
    return correction_decide (f->correction, &d, r);
}

/*  The signal as a reader gets it (weegploeg_read_case): its items'
 *  JSON as shown. */
static char *
s_shown (fixture_t *f)
{
    weegploeg_case_signal_t *signals = NULL;
    size_t n = 0;
    kt_reason_t r;
    if (weegploeg_read_case (f->weegploeg, f->case_ref, &signals, &n, &r) != 0)
        fail_msg ("weegploeg_read_case: %s", r.text);
    json_t *items = items_to_json (signals[0].signal->items, signals[0].signal->n_items);
    char *text = items ? json_dumps (items, JSON_COMPACT) : strdup ("[]");
    json_decref (items);
    weegploeg_case_free (signals, n);
    return text;
}

typedef struct {
    size_t n;
    uint64_t due_ms, decision_due_ms, request_due_ms;
    char action[16];
} rows_t;

static int
s_row (void *arg, const correction_row_t *row, kt_reason_t *reason)
{
    (void) reason;
    rows_t *r = arg;
    r->n++;
    r->due_ms = row->due_ms;
    r->decision_due_ms = row->decision_due_ms;
    r->request_due_ms = row->request_due_ms;
    snprintf (r->action, sizeof r->action, "%s", row->action);
    return 0;
}

/* ---- the uitvoerder ------------------------------------------------------ */

static void
test_a_correction_leaves_the_old_record_in_no_byte_of_the_file (void **state)
{
    fixture_t *f = *state;
    blob_t old = s_signal_body (f);
    /*  Found before, so not finding it after means something. */
    assert_int_equal (s_files_hold_bytes (f->dir, "weegploeg.db", old.bytes, old.len), 1);
    kt_reason_t r;
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__CORRECT, 0, false, NEW_TEXT, &r), 0);
    char *shown = s_shown (f);
    assert_non_null (strstr (shown, NEW_TEXT));
    assert_null (strstr (shown, OLD_TEXT));
    assert_non_null (strstr (shown, OPINION));
    free (shown);
    assert_int_equal (s_files_hold_bytes (f->dir, "weegploeg.db", old.bytes, old.len), 0);
    rows_t rows = {0};
    assert_int_equal (correction_each (f->correction, false, s_row, &rows, &r), 0);
    assert_int_equal (rows.n, 1);
    assert_string_equal (rows.action, "correct");
    /*  art. 12.6: due 4 weeks after the decision, at the end of that
     *  Dutch day (as a request, art. 12.3): decided 1970-01-01 01:00:01
     *  Dutch time, due at the end of 29 January (23:00 UTC, CET). */
    assert_int_equal (rows.due_ms, 29ULL * 86400 * 1000 - 3600 * 1000 - 1);
    assert_int_equal (rows.due_ms, correction_due_ms (1000));
    /*  No request's due time given: the decision's own, shown as such. */
    assert_int_equal (rows.decision_due_ms, rows.due_ms);
    assert_int_equal (rows.request_due_ms, 0);
    free (old.bytes);
}

/*  art. 12.5: a correction on a request is carried out within four weeks
 *  of the request's receipt too.  A request received on 1 December 2026
 *  is due at the end of 29 December; the decision taken on 15 December
 *  would have run to the end of 12 January, so it is due when the
 *  request is, and the row keeps both. */
static void
test_a_correction_on_a_request_is_due_when_the_request_is (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint64_t req_due = 0;
    char day[11];
    assert_int_equal (request_due ("2026-12-01", &req_due, day, &r), 0);
    assert_string_equal (day, "2026-12-29");
    Keten__SignalItem it = KETEN__SIGNAL_ITEM__INIT;
    it.kind = KETEN__ITEM_KIND__FACT;
    it.text = (char *) NEW_TEXT;
    correction_decision_t d = {0};
    d.change.action = KETEN__CORRECTION_ACTION__CORRECT;
    memcpy (d.change.signal_id, f->signal_id, KT_ID_LEN);
    d.change.item = &it;
    d.request_id = "r-1";
    d.request_due_ms = req_due;
    d.reason = "";
    d.decided_by = "tester";
    d.decided_ms = 1797336000000ull; /* 2026-12-15T12:00:00Z */
    assert_int_equal (correction_decide (f->correction, &d, &r), 0);
    rows_t rows = {0};
    assert_int_equal (correction_each (f->correction, false, s_row, &rows, &r), 0);
    assert_int_equal (rows.n, 1);
    assert_int_equal (rows.due_ms, req_due);
    assert_int_equal (rows.request_due_ms, req_due);
    assert_int_equal (rows.decision_due_ms, correction_due_ms (d.decided_ms));
    assert_true (rows.decision_due_ms > req_due);
    char at[17];
    kt_local_time (rows.decision_due_ms, at);
    assert_string_equal (at, "2027-01-12 23:59");
    /*  The earlier of the two, whichever it is; none: the decision's. */
    assert_int_equal (correction_due_for (d.decided_ms, req_due), req_due);
    assert_int_equal (correction_due_for (d.decided_ms, rows.decision_due_ms + 1),
                      rows.decision_due_ms);
    assert_int_equal (correction_due_for (d.decided_ms, 0), rows.decision_due_ms);
}

static void
test_a_correction_that_breaks_a_rule_changes_nothing (void **state)
{
    fixture_t *f = *state;
    blob_t old = s_signal_body (f);
    kt_reason_t r;
    /*  No item 5; an empty text is no item. */
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__CORRECT, 5, false, NEW_TEXT, &r), -1);
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__CORRECT, 0, false, "", &r), -1);
    blob_t now = s_signal_body (f);
    assert_int_equal (now.len, old.len);
    assert_memory_equal (now.bytes, old.bytes, old.len);
    rows_t rows = {0};
    assert_int_equal (correction_each (f->correction, false, s_row, &rows, &r), 0);
    assert_int_equal (rows.n, 0);
    free (old.bytes);
    free (now.bytes);
}

static void
test_a_blocked_item_is_shown_by_no_read_until_unblocked (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__BLOCK, 1, false, NULL, &r), 0);
    char *shown = s_shown (f);
    assert_null (strstr (shown, OPINION));
    assert_non_null (strstr (shown, OLD_TEXT));
    free (shown);
    /*  Kept, with its data: the file still has it. */
    Keten__Signal *raw = NULL;
    assert_int_equal (weegploeg_signal_raw (f->weegploeg, f->signal_id, &raw, &r), 1);
    assert_true (raw->items[1]->blocked);
    assert_string_equal (raw->items[1]->text, OPINION);
    keten__signal__free_unpacked (raw, NULL);
    /*  Blocked again, or corrected while blocked: refused. */
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__BLOCK, 1, false, NULL, &r), -1);
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__CORRECT, 1, false, NEW_TEXT, &r), -1);
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__UNBLOCK, 1, false, NULL, &r), 0);
    shown = s_shown (f);
    assert_non_null (strstr (shown, OPINION));
    free (shown);
}

static void
test_a_deleted_item_keeps_its_place_and_nothing_else (void **state)
{
    fixture_t *f = *state;
    blob_t old = s_signal_body (f);
    kt_reason_t r;
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__DELETE, 0, false, NULL, &r), 0);
    Keten__Signal *raw = NULL;
    assert_int_equal (weegploeg_signal_raw (f->weegploeg, f->signal_id, &raw, &r), 1);
    assert_int_equal (raw->n_items, 2);
    assert_true (raw->items[0]->deleted);
    assert_string_equal (raw->items[0]->text, "");
    assert_string_equal (raw->items[1]->text, OPINION);
    keten__signal__free_unpacked (raw, NULL);
    char *shown = s_shown (f);
    assert_null (strstr (shown, OLD_TEXT));
    free (shown);
    assert_int_equal (s_files_hold_bytes (f->dir, "weegploeg.db", old.bytes, old.len), 0);
    /*  Item 1 is still item 1; item 0 cannot be changed again. */
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__BLOCK, 1, false, NULL, &r), 0);
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__CORRECT, 0, false, NEW_TEXT, &r), -1);
    /*  An added item goes after both. */
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__ADD, 0, false, NEW_TEXT, &r), 0);
    assert_int_equal (weegploeg_signal_raw (f->weegploeg, f->signal_id, &raw, &r), 1);
    assert_int_equal (raw->n_items, 3);
    assert_string_equal (raw->items[2]->text, NEW_TEXT);
    keten__signal__free_unpacked (raw, NULL);
    free (old.bytes);
}

static void
test_a_deleted_signal_leaves_its_id_for_the_trail_only (void **state)
{
    fixture_t *f = *state;
    blob_t old = s_signal_body (f);
    kt_reason_t r;
    assert_int_equal (s_decide (f, KETEN__CORRECTION_ACTION__DELETE, 0, true, NULL, &r), 0);
    char ref[40], sender[65];
    assert_int_equal (weegploeg_signal_owner (f->weegploeg, f->signal_id, ref, sender, &r), 0);
    assert_int_equal (
        store_int (weegploeg_db (f->weegploeg), "SELECT count(*) FROM signal_trail", -1), 1);
    assert_int_equal (s_files_hold_bytes (f->dir, "weegploeg.db", old.bytes, old.len), 0);
    free (old.bytes);
}

static int
s_owed_ref (void *arg, const char *case_ref, kt_reason_t *reason)
{
    (void) case_ref;
    (void) reason;
    (*(size_t *) arg)++;
    return 0;
}

/*  How many case_refs owe a withdrawal's destruction. */
static size_t
s_owed (fixture_t *f)
{
    size_t n = 0;
    kt_reason_t r;
    if (correction_each_destroy_owed (f->correction, s_owed_ref, &n, &r) != 0)
        fail_msg ("correction_each_destroy_owed: %s", r.text);
    return n;
}

/*  art. 7.2a: a police representative's withdrawal records the subject's
 *  destruction as owed in its own commit - or not at all, when the
 *  withdrawal is refused - and the mark goes when it is settled (with the
 *  subject's rows, weegploeg_forget_subject: the integration test
 *  tests/integration/test_withdraw_owed_before_destroying.sh). */
static void
test_a_withdrawals_owed_destruction_commits_with_it (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    correction_decision_t d = {0};
    d.change.action = KETEN__CORRECTION_ACTION__DELETE;
    d.change.whole_signal = true;
    randombytes_buf (d.change.signal_id, KT_ID_LEN); /* no such signal */
    d.request_id = "";
    d.reason = "Ingetrokken (fictief).";
    d.decided_by = "politie-test";
    d.decided_ms = 1000;
    d.destroy_owed = true;
    assert_int_not_equal (correction_decide (f->correction, &d, &r), 0);
    assert_int_equal (s_owed (f), 0);
    memcpy (d.change.signal_id, f->signal_id, KT_ID_LEN);
    assert_int_equal (correction_decide (f->correction, &d, &r), 0);
    assert_int_equal (s_owed (f), 1);
    assert_int_equal (correction_destroy_settled (f->correction, f->case_ref, &r), 0);
    assert_int_equal (s_owed (f), 0);
}

/*  One more signal about the fixture's person, at log index index: its
 *  id in id; it joins the fixture's subject. */
static void
s_one_more (fixture_t *f, uint8_t id[KT_ID_LEN], uint64_t index)
{
    kt_reason_t r;
    Keten__Signal *s = s_signal ();
    uint8_t commitment[32] = {0};
    randombytes_buf (id, KT_ID_LEN);
    weegploeg_signal_t w = {id, "politie-test", index, index, index, commitment, s, "",
                            "", NULL,           0};
    if (weegploeg_store_signals (f->weegploeg, &w, 1, &r) != 0)
        fail_msg ("weegploeg_store_signals: %s", r.text);
    assert_string_equal (w.case_ref, f->case_ref);
    intake_signal_destroy (&s);
}

/*  The whole of signal id deleted at decided_ms: by its sender's own
 *  withdrawal (a message id), or by the uitvoerder's decision. */
static void
s_delete_whole (fixture_t *f, const uint8_t id[KT_ID_LEN], bool by_sender, uint64_t decided_ms)
{
    kt_reason_t r;
    uint8_t message_id[KT_ID_LEN];
    randombytes_buf (message_id, sizeof message_id);
    correction_decision_t d = {0};
    d.change.action = KETEN__CORRECTION_ACTION__DELETE;
    d.change.whole_signal = true;
    memcpy (d.change.signal_id, id, KT_ID_LEN);
    d.request_id = "";
    d.reason = "Ingetrokken (fictief).";
    d.decided_by = by_sender ? "politie-test" : "operator";
    d.message_id = by_sender ? message_id : NULL;
    d.decided_ms = decided_ms;
    if (correction_decide (f->correction, &d, &r) != 0)
        fail_msg ("correction_decide: %s", r.text);
}

typedef struct {
    size_t n;
    uint8_t signal_id[KT_ID_LEN];
    char correction_id[24];
} last_t;

static int
s_last_row (void *arg, const correction_withdrawal_t *w, kt_reason_t *reason)
{
    (void) reason;
    last_t *l = arg;
    l->n++;
    memcpy (l->signal_id, w->signal_id, KT_ID_LEN);
    snprintf (l->correction_id, sizeof l->correction_id, "%s", w->correction_id);
    return 0;
}

static last_t
s_last (fixture_t *f)
{
    last_t l = {0};
    kt_reason_t r;
    if (correction_each_last_withdrawal (f->correction, s_last_row, &l, &r) != 0)
        fail_msg ("correction_each_last_withdrawal: %s", r.text);
    return l;
}

/*  art. 7.2a, an upgrade: a withdrawal decided before the mark existed
 *  (correction version 2) is looked at once, at the first start of the
 *  release that can mark it - and only the subject's newest deletion of
 *  a whole signal is one to look at, and only when it was its sender's
 *  withdrawal: one the uitvoerder's correction made, or a withdrawal
 *  another deletion followed, left the subject to art. 13.3.  (Whose the
 *  withdrawal was, and whether the subject is still there, empty and
 *  undecided, the uitvoerder asks its log and files:
 *  tests/integration/test_withdraw_owed_backfill.sh.) */
static void
test_withdrawals_before_the_mark_are_looked_at_once (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    uint8_t second[KT_ID_LEN], third[KT_ID_LEN];
    s_one_more (f, second, 2);
    /*  A new file: nothing to look at. */
    assert_int_equal (correction_backfill_pending (f->correction, &r), 0);
    /*  The sender withdraws the first, the uitvoerder deletes the second:
     *  the newest deletion is not a withdrawal. */
    s_delete_whole (f, f->signal_id, true, 1000);
    assert_int_equal (s_last (f).n, 1);
    s_delete_whole (f, second, false, 2000);
    assert_int_equal (s_last (f).n, 0);
    /*  A third, withdrawn by its sender: that one is the newest. */
    s_one_more (f, third, 3);
    s_delete_whole (f, third, true, 3000);
    last_t l = s_last (f);
    assert_int_equal (l.n, 1);
    assert_memory_equal (l.signal_id, third, KT_ID_LEN);
    /*  The uitvoerder deletes a fourth with its clock stepped back: the
     *  order the decisions were made counts, not their times. */
    uint8_t fourth[KT_ID_LEN];
    s_one_more (f, fourth, 4);
    s_delete_whole (f, fourth, false, 500);
    assert_int_equal (s_last (f).n, 0);
    uint8_t fifth[KT_ID_LEN];
    s_one_more (f, fifth, 5);
    s_delete_whole (f, fifth, true, 400);
    l = s_last (f);
    assert_int_equal (l.n, 1);
    assert_memory_equal (l.signal_id, fifth, KT_ID_LEN);

    /*  The file as a release before left it: correction at version 2,
     *  without the mark.  Opened again, it is to be looked at once. */
    sqlite3 *db = weegploeg_db (f->weegploeg);
    correction_destroy (&f->correction);
    assert_int_equal (store_exec (db,
                                  "DROP INDEX correction_destroy_owed;"
                                  "ALTER TABLE correction DROP COLUMN destroy_owed;"
                                  "ALTER TABLE correction DROP COLUMN request_due_ms;"
                                  "DROP TABLE destroy_owed_backfill;"
                                  "UPDATE schema_version SET version=2 WHERE module='correction';",
                                  &r),
                      0);
    if (!(f->correction = correction_new (f->weegploeg, &r)))
        fail_msg ("correction_new: %s", r.text);
    assert_int_equal (correction_backfill_pending (f->correction, &r), 1);
    assert_int_equal (s_owed (f), 0);
    l = s_last (f);
    assert_int_equal (l.n, 1);
    const char *ids[1] = {l.correction_id};
    assert_int_equal (correction_backfill_done (f->correction, ids, 1, &r), 0);
    assert_int_equal (correction_backfill_pending (f->correction, &r), 0);
    assert_int_equal (s_owed (f), 1);
    /*  Marked, it is not looked at again. */
    assert_int_equal (s_last (f).n, 0);
}

/* ---- a partner ------------------------------------------------------------ */

/*  The agenda a gemeente holds: the signal with both items, indexed. */
static void
s_store_agenda (fixture_t *f)
{
    Keten__SignalItem it[2] = {KETEN__SIGNAL_ITEM__INIT, KETEN__SIGNAL_ITEM__INIT};
    Keten__SignalItem *its[2] = {&it[0], &it[1]};
    it[0].kind = KETEN__ITEM_KIND__FACT;
    it[0].text = OLD_TEXT;
    it[1].kind = KETEN__ITEM_KIND__OPINION;
    it[1].text = OPINION;
    it[1].opinion_of = "wijkagent";
    uint32_t index[2] = {0, 1};
    Keten__AgendaSignal g = KETEN__AGENDA_SIGNAL__INIT;
    Keten__AgendaSignal *gs[1] = {&g};
    g.sender = "politie-test";
    g.category = "uitingen";
    g.observed_on = "2026-01-10";
    g.source_kind = "eigen";
    g.description = "Fictional test signal.";
    g.items = its;
    g.n_items = 2;
    g.message_id = (ProtobufCBinaryData){KT_ID_LEN, f->signal_id};
    g.item_index = index;
    g.n_item_index = 2;
    Keten__Subject s = KETEN__SUBJECT__INIT;
    s.name = "Corrigeer Testpersoon";
    s.birth_date = "2001-04-12";
    s.municipality = "Maastricht";
    Keten__AgendaItem ai = KETEN__AGENDA_ITEM__INIT;
    Keten__AgendaItem *ais[1] = {&ai};
    ai.case_ref = f->case_ref;
    ai.subject = &s;
    ai.signals = gs;
    ai.n_signals = 1;
    Keten__WeegploegAgenda a = KETEN__WEEGPLOEG_AGENDA__INIT;
    a.meeting_id = MEETING;
    a.starts_at = "2026-12-01T10:00";
    a.duration_min = 90;
    a.location = "Stadhuis";
    a.items = ais;
    a.n_items = 1;
    a.issued_ms = 1;
    kt_reason_t r;
    if (agendabox_check (&a, KETEN__MESSAGE_TYPE__WEEGPLOEG_AGENDA, false, &r) != 0)
        fail_msg ("agendabox_check: %s", r.text);
    uint8_t id[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    agenda_event_t event;
    if (agendabox_store (f->agendabox, id, &a, 1000, &event, &r) != 0)
        fail_msg ("agendabox_store: %s", r.text);
}

static int
s_owe (void *arg, const char *meeting_id, const uint8_t old_key_id[KEYSTORE_ID_LEN],
       kt_reason_t *reason)
{
    (void) meeting_id;
    return retainbox_owe_shred (arg, old_key_id, "correction", reason);
}

/*  Apply a notice as partner_correction.c does: one transaction, then
 *  the shreds and the WAL. */
static void
s_apply (fixture_t *f, Keten__CorrectionAction action, uint32_t item, const char *text)
{
    Keten__SignalItem it = KETEN__SIGNAL_ITEM__INIT;
    it.kind = KETEN__ITEM_KIND__OPINION;
    it.opinion_of = "wijkagent";
    it.text = (char *) text;
    items_change_t c = {action, item, text ? &it : NULL};
    kt_reason_t r;
    assert_int_equal (store_begin (f->p_db, &r), 0);
    if (agendabox_correct (f->agendabox, f->case_ref, f->signal_id, false, &c, s_owe, f->retainbox,
                           &r) != 0)
        fail_msg ("agendabox_correct: %s", r.text);
    assert_int_equal (store_commit (f->p_db, &r), 0);
    if (retainbox_shred_tag (f->retainbox, "correction", &r) != 0)
        fail_msg ("retainbox_shred_tag: %s", r.text);
}

static char *
s_agenda_shown (fixture_t *f)
{
    Keten__WeegploegAgenda *a = NULL;
    kt_reason_t r;
    if (agendabox_get (f->agendabox, MEETING, &a, &r) != 0)
        fail_msg ("agendabox_get: %s", r.text);
    const Keten__AgendaSignal *g = a->items[0]->signals[0];
    json_t *items = items_to_json (g->items, g->n_items);
    char *text = items ? json_dumps (items, JSON_COMPACT) : strdup ("[]");
    json_decref (items);
    keten__weegploeg_agenda__free_unpacked (a, NULL);
    return text;
}

static void
test_the_agenda_copy_is_resealed_and_its_old_key_shredded (void **state)
{
    fixture_t *f = *state;
    s_store_agenda (f);
    const store_value_t *meeting = STORE_VALUES (STORE_TEXT (MEETING));
    blob_t old_key = s_blob (f->p_db, "SELECT key_id FROM agenda WHERE meeting_id=?", meeting);
    blob_t old_body = s_blob (f->p_db, "SELECT body FROM agenda WHERE meeting_id=?", meeting);
    blob_t old_wrapped =
        s_blob (keystore_db (f->p_keystore), "SELECT wrapped FROM data_key WHERE key_id=?",
                STORE_VALUES (STORE_BLOB (old_key.bytes, old_key.len)));
    assert_int_equal (s_files_hold_bytes (f->dir, "p-node.db", old_body.bytes, old_body.len), 1);
    assert_int_equal (
        s_files_hold_bytes (f->dir, "p-keystore.db", old_wrapped.bytes, old_wrapped.len), 1);

    s_apply (f, KETEN__CORRECTION_ACTION__CORRECT, 0, NEW_TEXT);

    char *shown = s_agenda_shown (f);
    assert_non_null (strstr (shown, NEW_TEXT));
    assert_null (strstr (shown, OLD_TEXT));
    free (shown);
    uint8_t key[KEYSTORE_KEY_LEN];
    kt_reason_t r;
    assert_int_equal (keystore_get (f->p_keystore, old_key.bytes, key, &r), -1);
    assert_int_equal (s_files_hold_bytes (f->dir, "p-node.db", old_body.bytes, old_body.len), 0);
    assert_int_equal (
        s_files_hold_bytes (f->dir, "p-keystore.db", old_wrapped.bytes, old_wrapped.len), 0);
    /*  Repeated (the receipt was lost): nothing changes. */
    blob_t body = s_blob (f->p_db, "SELECT body FROM agenda WHERE meeting_id=?", meeting);
    s_apply (f, KETEN__CORRECTION_ACTION__CORRECT, 0, NEW_TEXT);
    shown = s_agenda_shown (f);
    assert_non_null (strstr (shown, NEW_TEXT));
    free (shown);
    free (body.bytes);
    free (old_key.bytes);
    free (old_body.bytes);
    free (old_wrapped.bytes);
}

/*  art. 7.2a, 12.5: the whole signal withdrawn, and it was the subject's
 *  only one: the subject's item leaves the agenda, name and all, and the
 *  row's case_refs no longer names it. */
static void
test_the_agenda_copy_drops_a_subject_left_without_signal (void **state)
{
    fixture_t *f = *state;
    s_store_agenda (f);
    items_change_t c = {KETEN__CORRECTION_ACTION__DELETE, 0, NULL};
    kt_reason_t r;
    assert_int_equal (store_begin (f->p_db, &r), 0);
    if (agendabox_correct (f->agendabox, f->case_ref, f->signal_id, true, &c, s_owe, f->retainbox,
                           &r) != 0)
        fail_msg ("agendabox_correct: %s", r.text);
    assert_int_equal (store_commit (f->p_db, &r), 0);
    Keten__WeegploegAgenda *a = NULL;
    if (agendabox_get (f->agendabox, MEETING, &a, &r) != 0)
        fail_msg ("agendabox_get: %s", r.text);
    assert_int_equal (a->n_items, 0);
    keten__weegploeg_agenda__free_unpacked (a, NULL);
    blob_t refs = s_blob (f->p_db, "SELECT case_refs FROM agenda WHERE meeting_id=?",
                          STORE_VALUES (STORE_TEXT (MEETING)));
    assert_int_equal (refs.len, 0);
    free (refs.bytes);
    /*  Repeated (the receipt was lost): nothing changes, nothing fails. */
    assert_int_equal (store_begin (f->p_db, &r), 0);
    if (agendabox_correct (f->agendabox, f->case_ref, f->signal_id, true, &c, s_owe, f->retainbox,
                           &r) != 0)
        fail_msg ("agendabox_correct: %s", r.text);
    assert_int_equal (store_commit (f->p_db, &r), 0);
}

static void
test_the_agenda_copy_blocks_unblocks_and_deletes (void **state)
{
    fixture_t *f = *state;
    s_store_agenda (f);
    s_apply (f, KETEN__CORRECTION_ACTION__BLOCK, 1, NULL);
    char *shown = s_agenda_shown (f);
    assert_null (strstr (shown, OPINION));
    assert_non_null (strstr (shown, OLD_TEXT));
    free (shown);
    s_apply (f, KETEN__CORRECTION_ACTION__UNBLOCK, 1, OPINION);
    shown = s_agenda_shown (f);
    assert_non_null (strstr (shown, OPINION));
    free (shown);
    s_apply (f, KETEN__CORRECTION_ACTION__DELETE, 0, NULL);
    shown = s_agenda_shown (f);
    assert_null (strstr (shown, OLD_TEXT));
    assert_non_null (strstr (shown, OPINION));
    free (shown);
    /*  An item unblocked that the copy never had goes in its place. */
    s_apply (f, KETEN__CORRECTION_ACTION__UNBLOCK, 0, NEW_TEXT);
    Keten__WeegploegAgenda *a = NULL;
    kt_reason_t r;
    assert_int_equal (agendabox_get (f->agendabox, MEETING, &a, &r), 0);
    const Keten__AgendaSignal *g = a->items[0]->signals[0];
    assert_int_equal (g->n_items, 2);
    assert_int_equal (g->item_index[0], 0);
    assert_string_equal (g->items[0]->text, NEW_TEXT);
    assert_int_equal (g->item_index[1], 1);
    keten__weegploeg_agenda__free_unpacked (a, NULL);
}

/*  In a transaction of the partner's node.db left open: item 0 of the
 *  signal id corrected to text; old_key_id receives the key to shred. */
static void
s_correct_begin (fixture_t *f, const uint8_t id[KT_ID_LEN], const char *text,
                 uint8_t old_key_id[KEYSTORE_ID_LEN])
{
    kt_reason_t r;
    Keten__SignalItem it = KETEN__SIGNAL_ITEM__INIT;
    it.kind = KETEN__ITEM_KIND__FACT;
    it.text = (char *) text;
    items_change_t c = {KETEN__CORRECTION_ACTION__CORRECT, 0, &it};
    bool found = false;
    assert_int_equal (store_begin (f->p_db, &r), 0);
    assert_int_equal (signalbox_correct (f->signalbox, id, false, &c, true, old_key_id, &found, &r),
                      0);
    assert_true (found);
}

static void
test_the_senders_own_record_is_resealed_under_a_new_key (void **state)
{
    fixture_t *f = *state;
    Keten__Signal *s = s_signal ();
    kt_reason_t r;
    assert_int_equal (store_begin (f->p_db, &r), 0);
    assert_int_equal (signalbox_insert (f->signalbox, f->signal_id, s, NULL, 0, false, 0, 1, &r),
                      0);
    assert_int_equal (store_commit (f->p_db, &r), 0);
    intake_signal_destroy (&s);
    const store_value_t *id = STORE_VALUES (STORE_BLOB (f->signal_id, KT_ID_LEN));
    blob_t old_body = s_blob (f->p_db, "SELECT body FROM signal WHERE message_id=?", id);
    blob_t old_key = s_blob (f->p_db, "SELECT key_id FROM signal WHERE message_id=?", id);
    uint8_t old_key_id[KEYSTORE_ID_LEN];
    s_correct_begin (f, f->signal_id, NEW_TEXT, old_key_id);
    assert_memory_equal (old_key_id, old_key.bytes, KEYSTORE_ID_LEN);
    assert_int_equal (retainbox_owe_shred (f->retainbox, old_key_id, "correction", &r), 0);
    assert_int_equal (store_commit (f->p_db, &r), 0);
    assert_int_equal (retainbox_shred_tag (f->retainbox, "correction", &r), 0);
    assert_int_equal (s_files_hold_bytes (f->dir, "p-node.db", old_body.bytes, old_body.len), 0);
    uint8_t key[KEYSTORE_KEY_LEN];
    assert_int_equal (keystore_get (f->p_keystore, old_key_id, key, &r), -1);
    /*  Withdrawn: the row goes, its key is the caller's to shred. */
    Keten__SignalItem it = KETEN__SIGNAL_ITEM__INIT;
    items_change_t c = {KETEN__CORRECTION_ACTION__CORRECT, 0, &it};
    bool found = false;
    assert_int_equal (store_begin (f->p_db, &r), 0);
    assert_int_equal (
        signalbox_correct (f->signalbox, f->signal_id, true, &c, true, old_key_id, &found, &r), 0);
    assert_int_equal (store_commit (f->p_db, &r), 0);
    assert_true (found);
    assert_int_equal (store_int (f->p_db, "SELECT count(*) FROM signal", -1), 0);
    free (old_body.bytes);
    free (old_key.bytes);
}

/*  A signal queued as it is keeps the envelope it went in as its row's
 *  body, and the outbox row none of its own: the outbox reads it there.
 *  Destroyed while its outbox row still waits to send it, the envelope's
 *  bytes go to that row first, so what is sent is what would have been;
 *  destroyed once settled, nothing moves. */
static void
test_a_queued_signals_envelope_goes_to_the_outbox_before_its_row (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    outbox_t *ob = outbox_new (f->p_db, &(outbox_limits_t){100, 1000, 8}, &r);
    assert_non_null (ob);
    signalbox_hand_to (f->signalbox, ob);
    Keten__Signal *s = s_signal ();
    uint8_t ids[2][KT_ID_LEN], env[2][48], key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    assert_int_equal (store_begin (f->p_db, &r), 0);
    for (int i = 0; i < 2; i++) {
        randombytes_buf (ids[i], KT_ID_LEN);
        randombytes_buf (env[i], sizeof env[i]);
        assert_int_equal (keystore_take (f->p_keystore, key_id, key, &r), 0);
        assert_int_equal (signalbox_insert_queued (f->signalbox, ids[i], s, key_id, env[i],
                                                   sizeof env[i], 0, 1, false, &r),
                          0);
        assert_int_equal (outbox_insert (ob, ids[i], KETEN__MESSAGE_TYPE__SIGNAL, NULL, 0, 1, &r),
                          0);
    }
    assert_int_equal (signalbox_flush (f->signalbox, &r), 0);
    assert_int_equal (store_commit (f->p_db, &r), 0);
    intake_signal_destroy (&s);
    uint8_t *h = NULL;
    size_t hl = 0;
    assert_int_equal (signalbox_envelope (f->signalbox, ids[0], &h, &hl, &r), 1);
    assert_int_equal (hl, sizeof env[0]);
    assert_memory_equal (h, env[0], hl);
    free (h);
    const char *header = "SELECT header FROM outbox WHERE id=?";
    blob_t b = s_blob (f->p_db, header, STORE_VALUES (STORE_BLOB (ids[0], KT_ID_LEN)));
    assert_int_equal (b.len, 0);
    free (b.bytes);
    /*  The second is delivered; then both are destroyed. */
    assert_int_equal (store_begin (f->p_db, &r), 0);
    assert_int_equal (outbox_settle (ob, ids[1], true, 7, NULL,
                                     &(outbox_proof_t){(const uint8_t *) "rcpt", 4, NULL}, 2, &r),
                      1);
    assert_int_equal (store_commit (f->p_db, &r), 0);
    assert_int_equal (store_begin (f->p_db, &r), 0);
    for (int i = 0; i < 2; i++) {
        bool found = false;
        assert_int_equal (signalbox_forget (f->signalbox, ids[i], key_id, &found, &r), 0);
        assert_true (found);
    }
    assert_int_equal (store_commit (f->p_db, &r), 0);
    b = s_blob (f->p_db, header, STORE_VALUES (STORE_BLOB (ids[0], KT_ID_LEN)));
    assert_int_equal (b.len, sizeof env[0]);
    assert_memory_equal (b.bytes, env[0], b.len);
    free (b.bytes);
    b = s_blob (f->p_db, header, STORE_VALUES (STORE_BLOB (ids[1], KT_ID_LEN)));
    assert_int_equal (b.len, 0);
    free (b.bytes);
    assert_int_equal (signalbox_envelope (f->signalbox, ids[0], &h, &hl, &r), 0);
    outbox_destroy (&ob);
}

/*  A keyring of politie-t in a roster of two, its keys in dir. */
static keyring_t *
s_politie_keyring (const char *dir, keys_secret_t *keys[2])
{
    static const char *ids[2] = {"uitvoerder-t", "politie-t"};
    static const char *kinds[2] = {"uitvoerder", "politie"};
    static const referentiekader_t rk = {.version = "test-2026.1", .example = true};
    kt_reason_t r;
    char path[2][160];
    const char *pubs[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal (keys_generate (ids[i], kinds[i], NULL, dir, &r), 0);
        snprintf (path[i], sizeof path[i], "%s/%s.secret", dir, ids[i]);
        keys[i] = keys_load_secret (path[i], &r);
        assert_non_null (keys[i]);
        snprintf (path[i], sizeof path[i], "%s/%s.pub", dir, ids[i]);
        pubs[i] = path[i];
    }
    char *note = NULL, pinned[256];
    assert_int_equal (roster_build ("pga-test", 1, pubs, 2, keys[0], &rk, &note, &r), 0);
    assert_int_equal (note_verifier_format (pinned, sizeof pinned, ids[0], keys[0]->pub.signing_pk),
                      0);
    roster_t *roster = roster_parse (note, strlen (note), pinned, &r);
    free (note);
    assert_non_null (roster);
    keyring_t *ring = keyring_new (keys[1], &roster, &r);
    assert_non_null (ring);
    return ring;
}

/*  Corrected before its receipt came: the envelope still to be sent goes
 *  to the outbox row as it was, the row is sealed anew on its own under a
 *  new key, and that reads back as the correction says. */
static void
test_a_queued_signal_corrected_before_its_receipt_is_still_sent_as_it_went (void **state)
{
    fixture_t *f = *state;
    kt_reason_t r;
    keys_secret_t *keys[2];
    keyring_t *ring = s_politie_keyring (f->dir, keys);
    outbox_t *ob = outbox_new (f->p_db, &(outbox_limits_t){100, 1000, 8}, &r);
    assert_non_null (ob);
    signalbox_hand_to (f->signalbox, ob);
    Keten__Signal *s = s_signal ();
    size_t body_len = keten__signal__get_packed_size (s);
    uint8_t *body = malloc (body_len), key_id[KEYSTORE_ID_LEN], key[KEYSTORE_KEY_LEN];
    assert_non_null (body);
    keten__signal__pack (s, body);
    assert_int_equal (keystore_take (f->p_keystore, key_id, key, &r), 0);
    char *to[1] = {"uitvoerder-t"};
    envelope_draft_t d = {
        KETEN__MESSAGE_TYPE__SIGNAL, to, 1, NULL, body, body_len, kt_now_ms (), NULL, key};
    uint8_t id[KT_ID_LEN], *header;
    size_t header_len;
    assert_int_equal (envelope_seal (ring, &d, id, &header, &header_len, &r), 0);
    assert_int_equal (store_begin (f->p_db, &r), 0);
    assert_int_equal (
        signalbox_insert_queued (f->signalbox, id, s, key_id, header, header_len, 0, 1, false, &r),
        0);
    assert_int_equal (signalbox_flush (f->signalbox, &r), 0);
    assert_int_equal (outbox_insert (ob, id, KETEN__MESSAGE_TYPE__SIGNAL, NULL, 0, 1, &r), 0);
    assert_int_equal (store_commit (f->p_db, &r), 0);
    intake_signal_destroy (&s);
    uint8_t old_key_id[KEYSTORE_ID_LEN];
    s_correct_begin (f, id, NEW_TEXT, old_key_id);
    assert_int_equal (store_commit (f->p_db, &r), 0);
    assert_memory_equal (old_key_id, key_id, KEYSTORE_ID_LEN);
    const store_value_t *v = STORE_VALUES (STORE_BLOB (id, KT_ID_LEN));
    blob_t sent = s_blob (f->p_db, "SELECT header FROM outbox WHERE id=?", v);
    assert_int_equal (sent.len, header_len);
    assert_memory_equal (sent.bytes, header, header_len);
    free (sent.bytes);
    blob_t row = s_blob (f->p_db, "SELECT body FROM signal WHERE message_id=? AND envelope=0", v);
    assert_true (row.len > 0 && (row.len != header_len || memcmp (row.bytes, header, row.len)));
    free (row.bytes);
    /*  Corrected again, it is read back from its own seal, under the new
     *  key. */
    s_correct_begin (f, id, OLD_TEXT, old_key_id);
    assert_int_equal (store_commit (f->p_db, &r), 0);
    outbox_destroy (&ob);
    sodium_memzero (key, sizeof key);
    free (body);
    free (header);
    keyring_destroy (&ring);
    for (int i = 0; i < 2; i++)
        keys_secret_destroy (&keys[i]);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
            test_a_correction_leaves_the_old_record_in_no_byte_of_the_file, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_correction_on_a_request_is_due_when_the_request_is,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_correction_that_breaks_a_rule_changes_nothing,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_blocked_item_is_shown_by_no_read_until_unblocked,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_deleted_item_keeps_its_place_and_nothing_else,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_deleted_signal_leaves_its_id_for_the_trail_only,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_withdrawals_owed_destruction_commits_with_it,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_withdrawals_before_the_mark_are_looked_at_once,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_agenda_copy_is_resealed_and_its_old_key_shredded,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_agenda_copy_blocks_unblocks_and_deletes, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_the_agenda_copy_drops_a_subject_left_without_signal,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_the_senders_own_record_is_resealed_under_a_new_key,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_queued_signals_envelope_goes_to_the_outbox_before_its_row, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
            test_a_queued_signal_corrected_before_its_receipt_is_still_sent_as_it_went, s_setup,
            s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
