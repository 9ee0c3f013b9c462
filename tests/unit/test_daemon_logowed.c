/*  Log entries owed to stored signals (logowed.h), on real SQLite files:
 *  the uitvoerder commits a drain's log entries and its signals at once,
 *  and a crash may keep the signals and lose the entries.  Appended from
 *  the signal rows, the entries land at the very indices the signals
 *  hold, giving the tree the lost commit would have given; until then
 *  nothing else can be appended; a signal owed an entry it does not hold
 *  is a failure naming it.  Every person here is fictional.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "intake.h"
#include "keystore.h"
#include "logowed.h"
#include "merkle.h"
#include "provlog.h"
#include "store.h"
#include "weegploeg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 5

typedef struct {
    char dir[64];
    uint8_t storage_key[32];
    keystore_t *keystore;
    weegploeg_t *weegploeg;
    provlog_t *log, *twin; /* twin: the same entries, committed as they should be */
    uint8_t ids[N][KT_ID_LEN];
    uint8_t commitment[32], header_hash[N][32];
    uint8_t *entries[N];
    size_t entry_len[N];
} fixture_t;

static void
s_open (fixture_t *f)
{
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/keys.db", f->dir);
    if (!(f->keystore = keystore_open (path, f->storage_key, &r)))
        fail_msg ("keystore_open: %s", r.text);
    snprintf (path, sizeof path, "%s/weegploeg.db", f->dir);
    if (!(f->weegploeg = weegploeg_open (path, f->keystore, f->storage_key, &r)))
        fail_msg ("weegploeg_open: %s", r.text);
    snprintf (path, sizeof path, "%s/log.db", f->dir);
    if (!(f->log = provlog_open (path, &r)))
        fail_msg ("provlog_open: %s", r.text);
}

static void
s_close (fixture_t *f)
{
    provlog_destroy (&f->log);
    weegploeg_destroy (&f->weegploeg);
    keystore_destroy (&f->keystore);
}

static int
s_setup (void **state)
{
    fixture_t *f = calloc (1, sizeof *f);
    if (!f || testutil_tmpdir (f->dir, sizeof f->dir, "logowed") != 0)
        return -1;
    randombytes_buf (f->storage_key, sizeof f->storage_key);
    s_open (f);
    char path[128];
    kt_reason_t r;
    snprintf (path, sizeof path, "%s/twin.db", f->dir);
    if (!(f->twin = provlog_open (path, &r)))
        fail_msg ("provlog_open: %s", r.text);
    *state = f;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *f = *state;
    s_close (f);
    provlog_destroy (&f->twin);
    for (size_t i = 0; i < N; i++)
        free (f->entries[i]);
    int rc = testutil_rmtree (f->dir);
    free (f);
    return rc;
}

static Keten__Signal *
s_signal (void)
{
    const char *text =
        "{\"subject\": {\"name\": \"Test Persoon\", \"birth_date\": \"1990-01-01\","
        " \"municipality\": \"Maastricht\"},"
        " \"description\": \"Fictional test signal.\", \"category\": \"uitingen\","
        " \"observed_on\": \"2026-01-10\","
        " \"melder\": {\"name\": \"Agent Test\", \"contact\": \"test@politie.invalid\"},"
        " \"source\": {\"kind\": \"eigen\"}, \"legal_basis\": \"wpg-16\"}";
    Keten__Signal *signal = NULL;
    kt_reason_t r;
    if (intake_signal_from_json (text, strlen (text), &signal, &r) != 0)
        fail_msg ("test signal does not pass the intake: %s", r.text);
    return signal;
}

/*  A MESSAGE_RECEIVED entry for signal i, as the uitvoerder makes one. */
static void
s_entry (fixture_t *f, size_t i, Keten__LogEntry *e, char **recipients)
{
    Keten__LogEntry init = KETEN__LOG_ENTRY__INIT;
    *e = init;
    e->event = KETEN__LOG_EVENT__MESSAGE_RECEIVED;
    e->time_ms = 1790000000000ull; /* one drain: one arrival time */
    e->message_id.data = f->ids[i];
    e->message_id.len = KT_ID_LEN;
    e->message_type = KETEN__MESSAGE_TYPE__SIGNAL;
    e->node = (char *) "politie-test";
    e->recipients = recipients;
    e->n_recipients = 1;
    e->body_commitment.data = f->commitment;
    e->body_commitment.len = 32;
    e->header_hash.data = f->header_hash[i];
    e->header_hash.len = 32;
}

/*  One entry appended to log at the next index (committed). */
static uint64_t
s_log_one (provlog_t *log, const Keten__LogEntry *e)
{
    uint64_t index;
    kt_reason_t r;
    if (provlog_append_one (log, NULL, e, &index, &r) != 0)
        fail_msg ("append: %s", r.text);
    return index;
}

/*  A drain as the uitvoerder runs it - entries appended to the log, the
 *  signals stored with their entries - whose log commit is lost (rolled
 *  back here: what a crash before the log's fdatasync leaves, the
 *  weegploeg file's having come first).  The twin log commits the same
 *  entries. */
static void
s_drain_losing_the_log (fixture_t *f)
{
    char *recipients[] = {(char *) "uitvoerder-test"};
    kt_reason_t r;
    /*  Something logged before, in both. */
    Keten__LogEntry first = KETEN__LOG_ENTRY__INIT;
    first.event = KETEN__LOG_EVENT__ROSTER_CHANGED;
    first.time_ms = 1790000000000ull;
    first.node = (char *) "uitvoerder-test";
    assert_int_equal (s_log_one (f->log, &first), 0);
    assert_int_equal (s_log_one (f->twin, &first), 0);

    weegploeg_signal_t w[N];
    Keten__Signal *signals[N];
    assert_int_equal (provlog_begin (f->log, &r), 0);
    for (size_t i = 0; i < N; i++) {
        randombytes_buf (f->ids[i], KT_ID_LEN);
        randombytes_buf (f->header_hash[i], 32);
        Keten__LogEntry e;
        s_entry (f, i, &e, recipients);
        f->entry_len[i] = keten__log_entry__get_packed_size (&e);
        f->entries[i] = malloc (f->entry_len[i]);
        assert_non_null (f->entries[i]);
        keten__log_entry__pack (&e, f->entries[i]);
        signals[i] = s_signal ();
        memset (&w[i], 0, sizeof w[i]);
        w[i].message_id = f->ids[i];
        w[i].sender = "politie-test";
        w[i].created_ms = w[i].received_ms = e.time_ms;
        w[i].body_commitment = f->commitment;
        w[i].signal = signals[i];
        w[i].log_entry = f->entries[i];
        w[i].log_entry_len = f->entry_len[i];
        assert_int_equal (provlog_append_received (f->log, &e, &w[i].log_index, &r), 0);
        assert_int_equal (w[i].log_index, 1 + i);
        assert_int_equal (s_log_one (f->twin, &e), 1 + i);
    }
    assert_int_equal (weegploeg_store_signals (f->weegploeg, w, N, &r), 0);
    provlog_rollback (f->log);
    for (size_t i = 0; i < N; i++)
        intake_signal_destroy (&signals[i]);
    assert_int_equal (provlog_size (f->log), 1);
}

static void
test_owed_entries_land_at_the_indices_the_signals_hold (void **state)
{
    fixture_t *f = *state;
    s_drain_losing_the_log (f);
    /*  The restart: the files as the crash left them. */
    s_close (f);
    s_open (f);
    kt_reason_t r;
    assert_int_equal (logowed_catch_up (f->log, f->weegploeg, 4096, &r), N);
    assert_int_equal (provlog_size (f->log), 1 + N);
    uint8_t root[32], twin_root[32];
    provlog_root (f->log, root);
    provlog_root (f->twin, twin_root);
    assert_memory_equal (root, twin_root, 32);
    /*  Owed no more: a second call appends nothing, and the log takes
     *  other entries again; each arrival is known by its id. */
    assert_int_equal (logowed_catch_up (f->log, f->weegploeg, 4096, &r), 0);
    char *recipients[] = {(char *) "uitvoerder-test"};
    Keten__LogEntry e;
    s_entry (f, 2, &e, recipients);
    uint64_t index;
    assert_int_equal (provlog_log_received (f->log, &e, &index, &r), 0);
    assert_int_equal (index, 3);
    assert_int_equal (provlog_size (f->log), 1 + N);
}

static void
test_nothing_else_is_logged_while_entries_are_owed (void **state)
{
    fixture_t *f = *state;
    s_drain_losing_the_log (f);
    kt_reason_t r;
    provlog_owe (f->log, true);
    Keten__LogEntry other = KETEN__LOG_ENTRY__INIT;
    other.event = KETEN__LOG_EVENT__ROSTER_CHANGED;
    other.time_ms = 1790000000001ull;
    uint64_t index;
    assert_int_not_equal (provlog_append_one (f->log, NULL, &other, &index, &r), 0);
    assert_non_null (strstr (r.text, "owed"));
    assert_int_equal (provlog_size (f->log), 1);
    assert_int_equal (logowed_catch_up (f->log, f->weegploeg, 4096, &r), N);
    assert_int_equal (provlog_append_one (f->log, NULL, &other, &index, &r), 0);
    assert_int_equal (index, 1 + N);
}

/*  Signals beyond the log's end that are no lost commit's (a log restored
 *  from an older copy, replaced, or a row without its entry) are not
 *  logged again: the failure names the first, the log is not held, and
 *  the witnesses' alarm answers a log that went back. */
static void
s_weegploeg_sql (fixture_t *f, const char *sql)
{
    char path[128];
    snprintf (path, sizeof path, "%s/weegploeg.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (db);
}

static void
s_not_a_lost_commit (fixture_t *f, size_t named, const char *says)
{
    kt_reason_t r;
    assert_int_equal (logowed_catch_up (f->log, f->weegploeg, 4096, &r), -2);
    char hex[KT_ID_HEX];
    assert_non_null (strstr (r.text, kt_hex (hex, f->ids[named], KT_ID_LEN)));
    assert_non_null (strstr (r.text, says));
    assert_int_equal (provlog_size (f->log), 1);
    /*  Not held: the log goes on as it is. */
    uint64_t index;
    Keten__LogEntry other = KETEN__LOG_ENTRY__INIT;
    other.event = KETEN__LOG_EVENT__ROSTER_CHANGED;
    assert_int_equal (provlog_append_one (f->log, NULL, &other, &index, &r), 0);
    assert_int_equal (index, 1);
}

static void
test_a_signal_without_its_entry_is_named_not_logged (void **state)
{
    fixture_t *f = *state;
    s_drain_losing_the_log (f);
    s_weegploeg_sql (f, "UPDATE signal SET log_entry = NULL WHERE log_index = 3");
    s_not_a_lost_commit (f, 2, "holds no entry of its own");
}

static void
test_signals_beyond_a_gap_are_named_not_logged (void **state)
{
    fixture_t *f = *state;
    s_drain_losing_the_log (f);
    s_weegploeg_sql (f, "UPDATE signal SET log_index = log_index + 1");
    s_not_a_lost_commit (f, 0, "are not one commit's");
}

/*  A log replaced by an empty one (test_log_proofs does it to a running
 *  federation) is not rebuilt from the weegploeg file. */
static void
test_an_emptied_log_is_not_rebuilt (void **state)
{
    fixture_t *f = *state;
    s_drain_losing_the_log (f);
    kt_reason_t r;
    assert_int_equal (logowed_catch_up (f->log, f->weegploeg, 4096, &r), N);
    s_close (f);
    char path[128];
    snprintf (path, sizeof path, "%s/log.db", f->dir);
    unlink (path);
    s_open (f);
    assert_int_equal (provlog_size (f->log), 0);
    assert_int_equal (logowed_catch_up (f->log, f->weegploeg, 4096, &r), -2);
    assert_int_equal (provlog_size (f->log), 0);
    /*  Nor one drain's signals when more were kept than one drain holds. */
    assert_int_equal (logowed_catch_up (f->log, f->weegploeg, N - 1, &r), -2);
    assert_non_null (strstr (r.text, "more than"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_owed_entries_land_at_the_indices_the_signals_hold,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_nothing_else_is_logged_while_entries_are_owed,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_a_signal_without_its_entry_is_named_not_logged,
                                         s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_signals_beyond_a_gap_are_named_not_logged, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_an_emptied_log_is_not_rebuilt, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
