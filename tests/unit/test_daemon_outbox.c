/*  Outbox and provenance log on real SQLite files: nothing pending is
 *  forgotten across a restart, settled messages are never resent, and the
 *  log's stored compact range gives the same root as the entries.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "merkle.h"
#include "outbox.h"
#include "provlog.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char s_dir[64];

static int
s_setup (void **state)
{
    (void) state;
    return testutil_tmpdir (s_dir, sizeof s_dir, "outbox") == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    return testutil_rmtree (s_dir);
}

static const outbox_limits_t s_limits = {100, 1000, 8};

static void
s_insert_type (sqlite3 *db, outbox_t *ob, uint8_t id[KT_ID_LEN], Keten__MessageType type,
               uint64_t now)
{
    kt_reason_t r;
    uint8_t header[40];
    randombytes_buf (id, KT_ID_LEN);
    randombytes_buf (header, sizeof header);
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (outbox_insert (ob, id, type, header, sizeof header, now, &r), 0);
    assert_int_equal (store_commit (db, &r), 0);
    assert_int_equal (outbox_enqueue (ob, id, now), 0);
}

static void
s_insert (sqlite3 *db, outbox_t *ob, uint8_t id[KT_ID_LEN], uint64_t now)
{
    s_insert_type (db, ob, id, KETEN__MESSAGE_TYPE__SIGNAL, now);
}

static void
test_pending_messages_survive_a_restart_and_settled_ones_are_not_resent (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/node.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    uint8_t ids[3][KT_ID_LEN];
    uint64_t now = 1000000;
    for (int i = 0; i < 3; i++)
        s_insert (db, ob, ids[i], now);
    outbox_item_t items[8];
    size_t n = outbox_due (ob, now, items, 8);
    assert_int_equal (n, 3);
    for (size_t i = 0; i < n; i++)
        free (items[i].header);
    /*  Sent: nothing is due again before the backoff. */
    assert_int_equal (outbox_due (ob, now + 10, items, 8), 0);
    /*  Settle the first. */
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (outbox_settle (ob, ids[0], true, 7, NULL,
                                     &(outbox_proof_t){(const uint8_t *) "rcpt", 4, NULL}, now, &r),
                      1);
    /*  A second receipt for it changes nothing. */
    assert_int_equal (outbox_settle (ob, ids[0], true, 7, NULL,
                                     &(outbox_proof_t){(const uint8_t *) "rcpt", 4, NULL}, now, &r),
                      0);
    assert_int_equal (store_commit (db, &r), 0);
    outbox_forget (ob, ids[0]);
    /*  After the backoff only the two unsettled come back. */
    n = outbox_due (ob, now + 5000, items, 8);
    assert_int_equal (n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_memory_not_equal (items[i].id, ids[0], KT_ID_LEN);
        free (items[i].header);
    }
    /*  Restart: the two pending are due at once, the settled one is not. */
    outbox_destroy (&ob);
    ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    assert_int_equal (outbox_pending (ob), 2);
    n = outbox_due (ob, kt_now_ms (), items, 8);
    assert_int_equal (n, 2);
    for (size_t i = 0; i < n; i++)
        free (items[i].header);
    assert_int_equal (outbox_count_state (ob, OUTBOX_DELIVERED), 1);
    outbox_destroy (&ob);
    store_close (&db);
}

/*  The header source of test_a_header_kept_elsewhere_is_read_there: it
 *  has the first id's header; the second's only once `mended`. */
typedef struct {
    uint8_t ids[2][KT_ID_LEN];
    bool mended;
    int asked;
} source_t;

static int
s_source (void *arg, const uint8_t id[KT_ID_LEN], uint8_t **header_p, size_t *len_p,
          kt_reason_t *reason)
{
    source_t *src = arg;
    src->asked++;
    if (memcmp (id, src->ids[0], KT_ID_LEN) != 0 && !src->mended)
        return kt_fail (reason, "its record here is gone");
    *header_p = (uint8_t *) strdup ("elsewhere");
    *len_p = 9;
    return 0;
}

/*  A row stored without its header (the caller keeps it) is sent with the
 *  header its source reads.  One whose header cannot be read stays
 *  undelivered and is asked for again after the backoff; a row of
 *  another type is sent as stored.  Before the caller's record goes, the
 *  row can keep the header itself (outbox_keep_header), but only while
 *  undelivered and without one. */
static void
test_a_header_kept_elsewhere_is_read_there (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/source.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    source_t src = {{{0}}, false, 0};
    outbox_header_source (ob, KETEN__MESSAGE_TYPE__SIGNAL, s_source, &src);
    uint64_t now = 1000000;
    uint8_t other[KT_ID_LEN];
    randombytes_buf (other, sizeof other);
    assert_int_equal (store_begin (db, &r), 0);
    for (int i = 0; i < 2; i++) {
        randombytes_buf (src.ids[i], KT_ID_LEN);
        assert_int_equal (outbox_insert (ob, src.ids[i], KETEN__MESSAGE_TYPE__SIGNAL, NULL, 0,
                                         now + (uint64_t) i, &r),
                          0);
    }
    assert_int_equal (
        outbox_insert (ob, other, KETEN__MESSAGE_TYPE__CASE_CONTRIBUTION, NULL, 0, now + 3, &r), 0);
    assert_int_equal (store_commit (db, &r), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal (outbox_enqueue (ob, src.ids[i], now + (uint64_t) i), 0);
    assert_int_equal (outbox_enqueue (ob, other, now + 3), 0);
    outbox_item_t items[8];
    /*  The first goes with its header; the unreadable one stops this
     *  round and keeps its message. */
    size_t n = outbox_due (ob, now + 10, items, 8);
    assert_int_equal (n, 1);
    assert_memory_equal (items[0].id, src.ids[0], KT_ID_LEN);
    assert_int_equal (items[0].header_len, 9);
    assert_memory_equal (items[0].header, "elsewhere", 9);
    free (items[0].header);
    assert_int_equal (src.asked, 2);
    outbox_status_t st;
    assert_int_equal (outbox_status (ob, src.ids[1], &st, &r), 1);
    assert_int_equal (st.state, OUTBOX_PENDING);
    outbox_status_clear (&st);
    /*  The first is delivered. */
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (outbox_settle (ob, src.ids[0], true, 7, NULL,
                                     &(outbox_proof_t){(const uint8_t *) "rcpt", 4, NULL}, now, &r),
                      1);
    assert_int_equal (store_commit (db, &r), 0);
    outbox_forget (ob, src.ids[0]);
    /*  After the backoff: the other type as stored (no header), then the
     *  unreadable one asked again, in vain. */
    n = outbox_due (ob, now + 1000, items, 8);
    assert_int_equal (n, 1);
    assert_memory_equal (items[0].id, other, KT_ID_LEN);
    assert_int_equal (items[0].header_len, 0);
    free (items[0].header);
    assert_int_equal (src.asked, 3);
    /*  Readable again: it goes (and the other type again, unanswered). */
    src.mended = true;
    n = outbox_due (ob, now + 5000, items, 8);
    assert_int_equal (n, 2);
    size_t mine = memcmp (items[0].id, src.ids[1], KT_ID_LEN) == 0 ? 0 : 1;
    assert_memory_equal (items[mine].id, src.ids[1], KT_ID_LEN);
    assert_memory_equal (items[mine].header, "elsewhere", 9);
    assert_memory_equal (items[1 - mine].id, other, KT_ID_LEN);
    for (size_t i = 0; i < n; i++)
        free (items[i].header);
    /*  Kept in the row: only the undelivered one without a header takes
     *  it; the source is no longer asked for it. */
    assert_int_equal (store_begin (db, &r), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal (outbox_keep_header (ob, src.ids[i], (const uint8_t *) "kept", 4, &r), 0);
    assert_int_equal (store_commit (db, &r), 0);
    assert_int_equal (store_int (db, "SELECT count(*) FROM outbox WHERE header=x'6b657074'", -1),
                      1);
    outbox_destroy (&ob);
    ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    outbox_header_source (ob, KETEN__MESSAGE_TYPE__SIGNAL, s_source, &src);
    src.asked = 0;
    n = outbox_due (ob, kt_now_ms (), items, 8);
    assert_int_equal (n, 2); /* the kept one and the other type */
    for (size_t i = 0; i < n; i++) {
        if (memcmp (items[i].id, src.ids[1], KT_ID_LEN) == 0) {
            assert_int_equal (items[i].header_len, 4);
            assert_memory_equal (items[i].header, "kept", 4);
        }
        free (items[i].header);
    }
    assert_int_equal (src.asked, 0);
    outbox_destroy (&ob);
    store_close (&db);
}

/*  A header handed over at its commit goes out on the first send as it
 *  was committed, without a read; a retry reads the row, and a settled
 *  message lets its kept header go unsent. */
static int
s_header_len (sqlite3 *db, const uint8_t id[KT_ID_LEN])
{
    sqlite3_stmt *q = NULL;
    assert_int_equal (
        sqlite3_prepare_v2 (db, "SELECT length(header) FROM outbox WHERE id=?", -1, &q, NULL),
        SQLITE_OK);
    sqlite3_bind_blob (q, 1, id, KT_ID_LEN, SQLITE_STATIC);
    assert_int_equal (sqlite3_step (q), SQLITE_ROW);
    int len = sqlite3_column_int (q, 0);
    sqlite3_finalize (q);
    return len;
}

/*  A message blanked while it still waits for its receipt (a correction
 *  of it came first) keeps its header to be sent until the receipt, and
 *  loses it with the receipt; another keeps its own. */
static void
test_a_message_blanked_while_pending_loses_its_header_with_its_receipt (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/blank.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    uint8_t ids[2][KT_ID_LEN];
    uint64_t now = 1000000;
    for (int i = 0; i < 2; i++)
        s_insert (db, ob, ids[i], now);
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (outbox_blank (ob, ids[0], &r), 0);
    assert_int_equal (store_commit (db, &r), 0);
    /*  Still sent as it was. */
    outbox_item_t items[8];
    size_t n = outbox_due (ob, now, items, 8);
    assert_int_equal (n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal (items[i].header_len, 40);
        free (items[i].header);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal (store_begin (db, &r), 0);
        assert_int_equal (outbox_settle (ob, ids[i], true, 7, NULL,
                                         &(outbox_proof_t){(const uint8_t *) "rcpt", 4, NULL}, now,
                                         &r),
                          1);
        assert_int_equal (store_commit (db, &r), 0);
        assert_int_equal (s_header_len (db, ids[i]), i == 0 ? 0 : 40);
    }
    outbox_destroy (&ob);
    store_close (&db);
}

/*  A sender's own CORRECTION_NOTICE (the new item, the reason: art.
 *  12.5) loses its header with its receipt; a signal keeps its own. */
static void
test_a_correction_notice_loses_its_header_with_its_receipt (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/notice.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    uint8_t ids[2][KT_ID_LEN];
    s_insert_type (db, ob, ids[0], KETEN__MESSAGE_TYPE__CORRECTION_NOTICE, 1000000);
    s_insert_type (db, ob, ids[1], KETEN__MESSAGE_TYPE__SIGNAL, 1000000);
    for (int i = 0; i < 2; i++) {
        assert_int_equal (s_header_len (db, ids[i]), 40);
        assert_int_equal (store_begin (db, &r), 0);
        assert_int_equal (outbox_settle (ob, ids[i], true, 7, NULL,
                                         &(outbox_proof_t){(const uint8_t *) "rcpt", 4, NULL},
                                         1000000, &r),
                          1);
        assert_int_equal (store_commit (db, &r), 0);
        assert_int_equal (s_header_len (db, ids[i]), i == 0 ? 0 : 40);
    }
    outbox_destroy (&ob);
    store_close (&db);
}

static void
test_a_committed_header_is_sent_first_without_a_read (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/sealed.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    uint8_t ids[2][KT_ID_LEN];
    uint64_t now = 2000000;
    for (int i = 0; i < 2; i++) {
        uint8_t *header = malloc (4);
        assert_non_null (header);
        memcpy (header, "kept", 4);
        randombytes_buf (ids[i], KT_ID_LEN);
        assert_int_equal (store_begin (db, &r), 0);
        assert_int_equal (outbox_insert (ob, ids[i], KETEN__MESSAGE_TYPE__SIGNAL,
                                         (const uint8_t *) "kept", 4, now, &r),
                          0);
        assert_int_equal (store_commit (db, &r), 0);
        assert_int_equal (outbox_enqueue_sealed (ob, ids[i], now, &header, 4), 0);
        assert_null (header);
    }
    /*  The rows changed behind its back (no code does this): the first
     *  send shows whether the header was read back. */
    assert_int_equal (store_exec (db, "UPDATE outbox SET header=x'726f7773'", &r), 0);
    /*  The second is settled before it is sent: its header goes with it. */
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (outbox_settle (ob, ids[1], true, 3, NULL,
                                     &(outbox_proof_t){(const uint8_t *) "rcpt", 4, NULL}, now, &r),
                      1);
    assert_int_equal (store_commit (db, &r), 0);
    outbox_forget (ob, ids[1]);
    outbox_item_t items[8];
    assert_int_equal (outbox_due (ob, now, items, 8), 1);
    assert_memory_equal (items[0].id, ids[0], KT_ID_LEN);
    assert_int_equal (items[0].header_len, 4);
    assert_memory_equal (items[0].header, "kept", 4);
    free (items[0].header);
    /*  The retry reads the row. */
    assert_int_equal (outbox_due (ob, now + 5000, items, 8), 1);
    assert_memory_equal (items[0].header, "rows", 4);
    free (items[0].header);
    outbox_destroy (&ob);
    store_close (&db);
}

/*  Headers are kept in memory only up to a bound of bytes (1 MiB): past
 *  it a message is read back like any other. */
static void
test_kept_headers_are_bounded (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/bound.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    enum { N = 3, LEN = 400 * 1024 };
    uint8_t ids[N][KT_ID_LEN];
    uint64_t now = 3000000;
    for (int i = 0; i < N; i++) {
        uint8_t *header = calloc (1, LEN);
        assert_non_null (header);
        randombytes_buf (ids[i], KT_ID_LEN);
        assert_int_equal (store_begin (db, &r), 0);
        assert_int_equal (outbox_insert (ob, ids[i], KETEN__MESSAGE_TYPE__SIGNAL, header, LEN,
                                         now + (uint64_t) i, &r),
                          0);
        assert_int_equal (store_commit (db, &r), 0);
        assert_int_equal (outbox_enqueue_sealed (ob, ids[i], now + (uint64_t) i, &header, LEN), 0);
        assert_null (header); /* kept, or freed */
    }
    assert_int_equal (store_exec (db, "UPDATE outbox SET header=x'726f7773'", &r), 0);
    outbox_item_t items[8];
    assert_int_equal (outbox_due (ob, now + N, items, 8), N);
    /*  In order of creation: two kept (800 KiB), the third read back. */
    for (int i = 0; i < N; i++) {
        assert_memory_equal (items[i].id, ids[i], KT_ID_LEN);
        assert_int_equal (items[i].header_len, i < 2 ? LEN : 4);
        free (items[i].header);
    }
    outbox_destroy (&ob);
    store_close (&db);
}

/*  A RECEIPTS envelope is kept once under its id; the same one again is
 *  nothing new, but another one under that id (an uitvoerder that reused
 *  an id) must not become the proof of the rows settled with it: it
 *  fails, and the one kept first stays. */
static void
test_a_receipts_envelope_is_kept_once_and_another_under_its_id_fails (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/receipts.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    uint8_t id[KT_ID_LEN], a[64], b[64];
    randombytes_buf (id, sizeof id);
    randombytes_buf (a, sizeof a);
    memcpy (b, a, sizeof b);
    b[63] ^= 1;
    assert_int_equal (store_begin (db, &r), 0);
    uint8_t unknown[KT_ID_LEN];
    randombytes_buf (unknown, sizeof unknown);
    assert_int_equal (outbox_receipts_other (ob, id, a, sizeof a, &r), 0);
    assert_int_equal (outbox_keep_receipts (ob, id, a, sizeof a, &r), 0);
    assert_int_equal (outbox_keep_receipts (ob, id, a, sizeof a, &r), 0);
    /*  What the partner asks before a RECEIPTS reaches the witness. */
    assert_int_equal (outbox_receipts_other (ob, id, a, sizeof a, &r), 0);
    assert_int_equal (outbox_receipts_other (ob, id, b, sizeof b, &r), 1);
    assert_int_equal (outbox_receipts_other (ob, unknown, b, sizeof b, &r), 0);
    assert_int_equal (outbox_keep_receipts (ob, id, b, sizeof b, &r), -1);
    assert_non_null (strstr (r.text, "a different RECEIPTS message under the id"));
    assert_int_equal (store_commit (db, &r), 0);
    sqlite3_stmt *q = store_prepare (db, "SELECT envelope FROM outbox_receipts", &r);
    assert_non_null (q);
    assert_int_equal (sqlite3_step (q), SQLITE_ROW);
    assert_int_equal (sqlite3_column_bytes (q, 0), sizeof a);
    assert_memory_equal (sqlite3_column_blob (q, 0), a, sizeof a);
    assert_int_equal (sqlite3_step (q), SQLITE_DONE);
    sqlite3_finalize (q);
    outbox_destroy (&ob);
    store_close (&db);
}

static void
test_inflight_limit_holds_back_new_messages (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/inflight.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    uint8_t id[KT_ID_LEN];
    for (int i = 0; i < 20; i++)
        s_insert (db, ob, id, 1000);
    outbox_item_t items[32];
    size_t n = outbox_due (ob, 1000, items, 32);
    assert_int_equal (n, s_limits.max_inflight);
    for (size_t i = 0; i < n; i++)
        free (items[i].header);
    outbox_destroy (&ob);
    store_close (&db);
}

/*  Messages taken but not sent (too large for the uitvoerder) must not
 *  fill the window: new ones behind them still go, and the held ones
 *  still come back at their retry, with their backoff. */
static void
test_messages_not_sent_leave_the_window (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/notsent.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    uint8_t id[KT_ID_LEN];
    for (size_t i = 0; i < 2 * s_limits.max_inflight; i++)
        s_insert (db, ob, id, 1000);
    outbox_item_t items[32], big[32];
    size_t n = outbox_due (ob, 1000, big, 32);
    assert_int_equal (n, s_limits.max_inflight);
    for (size_t i = 0; i < n; i++) {
        outbox_not_sent (ob, big[i].id);
        free (big[i].header);
    }
    /*  The other half goes at once. */
    n = outbox_due (ob, 1000, items, 32);
    assert_int_equal (n, s_limits.max_inflight);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < s_limits.max_inflight; j++)
            assert_memory_not_equal (items[i].id, big[j].id, KT_ID_LEN);
        free (items[i].header);
    }
    /*  Settled, they free the window for the held ones at their retry. */
    for (size_t i = 0; i < n; i++)
        outbox_forget (ob, items[i].id);
    /*  (The backoff has a jitter of +-25 %.) */
    assert_int_equal (outbox_due (ob, 1000 + s_limits.retry_min_ms * 3 / 4 - 1, items, 32), 0);
    n = outbox_due (ob, 1000 + s_limits.retry_min_ms * 5 / 4 + 1, items, 32);
    assert_int_equal (n, s_limits.max_inflight);
    for (size_t i = 0; i < n; i++)
        free (items[i].header);
    outbox_destroy (&ob);
    store_close (&db);
}

/*  A message taken back as not sent, first in line when the window is
 *  full, must not hold up the retries behind it (after the uitvoerder
 *  lost them, the link coming back makes them all due). */
static void
test_a_message_not_sent_does_not_stop_the_retries_behind_it (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/notsent-first.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    uint8_t big[KT_ID_LEN], id[KT_ID_LEN];
    s_insert (db, ob, big, 1000);
    outbox_item_t items[32];
    assert_int_equal (outbox_due (ob, 1000, items, 32), 1);
    outbox_not_sent (ob, big);
    free (items[0].header);
    for (size_t i = 0; i < s_limits.max_inflight; i++)
        s_insert (db, ob, id, 1001);
    size_t n = outbox_due (ob, 1001, items, 32);
    assert_int_equal (n, s_limits.max_inflight);
    for (size_t i = 0; i < n; i++)
        free (items[i].header);
    /*  The window is full and none of them gets a receipt. */
    outbox_link_up (ob, 5000);
    n = outbox_due (ob, 5000, items, 32);
    assert_int_equal (n, s_limits.max_inflight + 1);
    for (size_t i = 0; i < n; i++)
        free (items[i].header);
    outbox_destroy (&ob);
    store_close (&db);
}

/*  The retry schedule follows the wall clock: after it stepped back an
 *  hour, a message sent just before (its receipt lost) is due again
 *  within the backoff, not an hour later; so are messages the schedule
 *  loads after a restart with dates ahead of the clock.  Nor do newer
 *  messages, retried at the top of the schedule, hold it back. */
static void
test_a_step_back_does_not_delay_a_retry (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/stepback.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    uint8_t a[KT_ID_LEN], b[KT_ID_LEN];
    outbox_item_t items[8];
    uint64_t now = 10000000;
    s_insert (db, ob, a, now);
    assert_int_equal (outbox_due (ob, now, items, 8), 1);
    free (items[0].header);
    /*  Within its backoff (+-25 % of retry_min_ms): not yet. */
    assert_int_equal (outbox_due (ob, now + 50, items, 8), 0);
    /*  The clock an hour back, and a new message sent: both go. */
    uint64_t back = now - 3600 * 1000;
    s_insert (db, ob, b, back);
    assert_int_equal (outbox_due (ob, back, items, 8), 2);
    for (size_t i = 0; i < 2; i++)
        free (items[i].header);
    /*  Rescheduled from the clock as it is: both within their backoff. */
    int64_t in = outbox_next_due_in (ob, back);
    assert_true (in > 0 && in <= 250);
    assert_int_equal (outbox_due (ob, back + 251, items, 8), 2);
    for (size_t i = 0; i < 2; i++)
        free (items[i].header);
    /*  Restarted with a still dated before the step back: due at once. */
    outbox_destroy (&ob);
    ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    assert_int_equal (outbox_next_due_in (ob, back + 1000), 0);
    assert_int_equal (outbox_due (ob, back + 1000, items, 8), 2);
    for (size_t i = 0; i < 2; i++)
        free (items[i].header);
    outbox_destroy (&ob);
    store_close (&db);
}

static void
test_log_restart_reads_the_stored_range_and_keeps_the_root (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/log.db", s_dir);
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    assert_non_null (log);
    enum { N = 37 };
    uint8_t leaves[N][32];
    for (int batch = 0; batch < N; batch += 10) {
        assert_int_equal (provlog_begin (log, &r), 0);
        for (int i = batch; i < N && i < batch + 10; i++) {
            Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
            e.event = KETEN__LOG_EVENT__MESSAGE_RECEIVED;
            e.time_ms = (uint64_t) i;
            e.node = (char *) "politie-t";
            uint64_t index;
            assert_int_equal (provlog_append (log, &e, &index, &r), 0);
            assert_int_equal (index, (uint64_t) i);
            uint8_t buf[256];
            size_t len = keten__log_entry__pack (&e, buf);
            merkle_leaf_hash (leaves[i], buf, len);
        }
        assert_int_equal (provlog_commit (log, &r), 0);
    }
    uint8_t expect[32], got[32];
    merkle_root (expect, (const uint8_t (*)[32]) leaves, N);
    provlog_root (log, got);
    assert_memory_equal (expect, got, 32);
    provlog_destroy (&log);
    log = provlog_open (path, &r);
    assert_non_null (log);
    assert_int_equal (provlog_size (log), N);
    provlog_root (log, got);
    assert_memory_equal (expect, got, 32);
    /*  The file refuses to change an entry in place. */
    sqlite3 *db = store_open (path, &r);
    assert_int_not_equal (store_exec (db, "UPDATE entry SET entry = x'00' WHERE idx = 3", &r), 0);
    assert_non_null (strstr (r.text, "append-only"));
    store_close (&db);
    provlog_destroy (&log);
}

/*  A message whose arrival was logged but whose signal was not stored (a
 *  crash between the two commits) is not logged a second time. */
static void
test_arrival_logged_once_per_message_id (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/received.db", s_dir);
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    assert_non_null (log);
    uint8_t id[KT_ID_LEN], other[KT_ID_LEN];
    randombytes_buf (id, sizeof id);
    randombytes_buf (other, sizeof other);
    Keten__LogEntry e = KETEN__LOG_ENTRY__INIT;
    e.event = KETEN__LOG_EVENT__MESSAGE_RECEIVED;
    e.message_id.data = id;
    e.message_id.len = KT_ID_LEN;
    uint64_t first, again, third;
    assert_int_equal (provlog_begin (log, &r), 0);
    assert_int_equal (provlog_append_received (log, &e, &first, &r), 0);
    assert_int_equal (provlog_commit (log, &r), 0);
    provlog_destroy (&log);
    log = provlog_open (path, &r);
    assert_int_equal (provlog_begin (log, &r), 0);
    assert_int_equal (provlog_append_received (log, &e, &again, &r), 0);
    e.message_id.data = other;
    assert_int_equal (provlog_append_received (log, &e, &third, &r), 0);
    assert_int_equal (provlog_commit (log, &r), 0);
    assert_int_equal (again, first);
    assert_int_equal (third, first + 1);
    assert_int_equal (provlog_size (log), 2);
    provlog_destroy (&log);
}

/*  Messages due at once leave in the order of their ids: one group's
 *  signals, made in increasing order (kt_ordered_id), reach the uitvoerder
 *  so, and each is above the ones it stored before (no lookup). */
static int
s_id_cmp (const void *a, const void *b)
{
    return memcmp (a, b, KT_ID_LEN);
}

static void
test_messages_due_at_once_leave_in_the_order_of_their_ids (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/order.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    outbox_t *ob = outbox_new (db, &(outbox_limits_t){100, 1000, 100}, &r);
    assert_non_null (ob);
    enum { N = 60 };
    uint8_t ids[N][KT_ID_LEN];
    uint64_t now = 1000000;
    for (int i = 0; i < N; i++)
        s_insert (db, ob, ids[i], now);
    qsort (ids, N, KT_ID_LEN, s_id_cmp);
    outbox_item_t items[N];
    assert_int_equal (outbox_due (ob, now, items, N), N);
    for (size_t i = 0; i < N; i++) {
        assert_memory_equal (items[i].id, ids[i], KT_ID_LEN);
        free (items[i].header);
    }
    outbox_destroy (&ob);
    store_close (&db);
}

/*  The header's leaf a receipt's log entry must name: as noted when it
 *  was sent, and after a restart hashed from the stored row - also once
 *  the row was refused, since an accepted receipt may still follow - or
 *  from the record a header kept elsewhere is in. */
static void
test_a_sent_header_leaf_is_known_after_a_restart_and_a_refusal (void **state)
{
    (void) state;
    char path[128];
    snprintf (path, sizeof path, "%s/leaf.db", s_dir);
    kt_reason_t r;
    sqlite3 *db = store_open (path, &r);
    outbox_t *ob = outbox_new (db, &s_limits, &r);
    assert_non_null (ob);
    source_t src = {.mended = true};
    outbox_header_source (ob, KETEN__MESSAGE_TYPE__SIGNAL, s_source, &src);
    uint8_t a[KT_ID_LEN], b[KT_ID_LEN], none[KT_ID_LEN], header[40], want[32], got[32], noted[32];
    randombytes_buf (a, sizeof a);
    randombytes_buf (b, sizeof b);
    randombytes_buf (none, sizeof none);
    randombytes_buf (header, sizeof header);
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (
        outbox_insert (ob, a, KETEN__MESSAGE_TYPE__CASE_DECISION, header, sizeof header, 1, &r), 0);
    assert_int_equal (outbox_insert (ob, b, KETEN__MESSAGE_TYPE__SIGNAL, NULL, 0, 1, &r), 0);
    assert_int_equal (store_commit (db, &r), 0);
    assert_int_equal (outbox_enqueue (ob, a, 1), 0);
    /*  As sent: what the batch tree gave, not read back. */
    memset (noted, 0x5a, sizeof noted);
    outbox_sent_leaf (ob, a, noted);
    assert_int_equal (outbox_leaf (ob, a, got), 1);
    assert_memory_equal (got, noted, 32);
    assert_int_equal (outbox_leaf (ob, none, got), 0);
    /*  After a restart: from the row, and from the record elsewhere. */
    outbox_destroy (&ob);
    ob = outbox_new (db, &s_limits, &r);
    outbox_header_source (ob, KETEN__MESSAGE_TYPE__SIGNAL, s_source, &src);
    merkle_leaf_hash (want, header, sizeof header);
    assert_int_equal (outbox_leaf (ob, a, got), 1);
    assert_memory_equal (got, want, 32);
    merkle_leaf_hash (want, "elsewhere", 9);
    assert_int_equal (outbox_leaf (ob, b, got), 1);
    assert_memory_equal (got, want, 32);
    /*  Refused, restarted: still known for the accepted receipt after. */
    outbox_proof_t proof = {(const uint8_t *) "receipt", 7, NULL};
    assert_int_equal (store_begin (db, &r), 0);
    assert_int_equal (outbox_settle (ob, a, false, 0, "refused", &proof, 2, &r), 1);
    assert_int_equal (store_commit (db, &r), 0);
    outbox_destroy (&ob);
    ob = outbox_new (db, &s_limits, &r);
    merkle_leaf_hash (want, header, sizeof header);
    assert_int_equal (outbox_leaf (ob, a, got), 1);
    assert_memory_equal (got, want, 32);
    outbox_destroy (&ob);
    store_close (&db);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_pending_messages_survive_a_restart_and_settled_ones_are_not_resent),
        cmocka_unit_test (test_a_message_blanked_while_pending_loses_its_header_with_its_receipt),
        cmocka_unit_test (test_a_correction_notice_loses_its_header_with_its_receipt),
        cmocka_unit_test (test_a_committed_header_is_sent_first_without_a_read),
        cmocka_unit_test (test_a_header_kept_elsewhere_is_read_there),
        cmocka_unit_test (test_kept_headers_are_bounded),
        cmocka_unit_test (test_inflight_limit_holds_back_new_messages),
        cmocka_unit_test (test_messages_not_sent_leave_the_window),
        cmocka_unit_test (test_a_message_not_sent_does_not_stop_the_retries_behind_it),
        cmocka_unit_test (test_a_step_back_does_not_delay_a_retry),
        cmocka_unit_test (test_a_receipts_envelope_is_kept_once_and_another_under_its_id_fails),
        cmocka_unit_test (test_log_restart_reads_the_stored_range_and_keeps_the_root),
        cmocka_unit_test (test_arrival_logged_once_per_message_id),
        cmocka_unit_test (test_messages_due_at_once_leave_in_the_order_of_their_ids),
        cmocka_unit_test (test_a_sent_header_leaf_is_known_after_a_restart_and_a_refusal),
    };
    if (sodium_init () < 0)
        return 1;
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
