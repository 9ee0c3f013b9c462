/*  The provenance log on real SQLite files: proofs served from stored
 *  interior hashes verify with merkle.c's RFC 9162 verifiers, verify reads
 *  one snapshot while the daemon appends, a tampered file is refused at
 *  open and `log verify` names the first bad index, an arrival is
 *  recognised by id, header hash and sender, and an entry under a key is
 *  appended once.  */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "logverify.h"
#include "merkle.h"
#include "provlog.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char s_dir[64];
static int s_files;

static int
s_setup (void **state)
{
    (void) state;
    return testutil_tmpdir (s_dir, sizeof s_dir, "provlog") == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    return testutil_rmtree (s_dir);
}

/*  A fresh file name for each test. */
static void
s_path (char *path, size_t size)
{
    snprintf (path, size, "%s/log%d.db", s_dir, s_files++);
}

/*  A new log in a fresh file (its name in path). */
static provlog_t *
s_new_log (char *path, size_t size)
{
    s_path (path, size);
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    if (!log)
        fail_msg ("provlog_open: %s", r.text);
    return log;
}

/*  Entry i: an arrival (with message id i, a header hash and a sender)
 *  when arrival is true, else a decision. */
static void
s_entry (Keten__LogEntry *e, uint64_t i, bool arrival, uint8_t id[16], uint8_t hash[32])
{
    Keten__LogEntry init = KETEN__LOG_ENTRY__INIT;
    *e = init;
    e->time_ms = 1700000000000ull + i;
    e->node = (char *) "politie-limburg";
    memset (id, 0, 16);
    memcpy (id, &i, sizeof i);
    memset (hash, (int) (i & 0xff), 32);
    if (arrival) {
        e->event = KETEN__LOG_EVENT__MESSAGE_RECEIVED;
        e->message_id.data = id;
        e->message_id.len = 16;
        e->header_hash.data = hash;
        e->header_hash.len = 32;
    } else
        e->event = KETEN__LOG_EVENT__WEEGPLOEG_DECIDED;
}

/*  Append entries [from, to) to log in batches of batch; leaves (when not
 *  NULL) receives their leaf hashes, computed here independently. */
static void
s_append (provlog_t *log, uint64_t from, uint64_t to, uint64_t batch, bool arrival,
          uint8_t (*leaves)[32])
{
    kt_reason_t r;
    for (uint64_t i = from; i < to;) {
        assert_int_equal (provlog_begin (log, &r), 0);
        for (uint64_t j = 0; j < batch && i < to; j++, i++) {
            Keten__LogEntry e;
            uint8_t id[16], hash[32];
            s_entry (&e, i, arrival, id, hash);
            uint64_t index;
            if (arrival)
                assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
            else
                assert_int_equal (provlog_append (log, &e, &index, &r), 0);
            assert_int_equal (index, i);
            if (leaves) {
                uint8_t buf[512];
                size_t len = keten__log_entry__pack (&e, buf);
                merkle_leaf_hash (leaves[i], buf, len);
            }
        }
        assert_int_equal (provlog_commit (log, &r), 0);
    }
}

/*  A closed log file of n entries. */
static void
s_make (const char *path, uint64_t n, bool arrival, uint8_t (*leaves)[32])
{
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    assert_non_null (log);
    s_append (log, 0, n, 7, arrival, leaves);
    provlog_destroy (&log);
}

/*  Change the file behind provlog's back, as an attacker with the file
 *  would: the append-only triggers are dropped first. */
static void
s_tamper (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    char *err = NULL;
    int rc = sqlite3_exec (db,
                           "DROP TRIGGER IF EXISTS entry_no_update;"
                           "DROP TRIGGER IF EXISTS entry_no_delete;"
                           "DROP TRIGGER IF EXISTS node_no_update;"
                           "DROP TRIGGER IF EXISTS node_no_delete;"
                           "DROP TRIGGER IF EXISTS received_no_update;"
                           "DROP TRIGGER IF EXISTS received_no_delete;",
                           NULL, NULL, &err);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec (db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fail_msg ("tamper %s: %s", sql, err ? err : "?");
    sqlite3_close (db);
}

static void
s_verify_fails_at (const char *path, uint64_t want_bad, const char *want_reason)
{
    uint64_t size = 0, bad = 0;
    uint8_t root[32];
    kt_reason_t r;
    assert_int_not_equal (logverify_file (path, &size, root, &bad, &r), 0);
    if (bad != want_bad || !strstr (r.text, want_reason))
        fail_msg ("expected failure at %llu (%s), got %llu: %s", (unsigned long long) want_bad,
                  want_reason, (unsigned long long) bad, r.text);
}

static void
s_verify_ok (const char *path, uint64_t want_size, const uint8_t want_root[32])
{
    uint64_t size = 0, bad = 0;
    uint8_t root[32];
    kt_reason_t r;
    if (logverify_file (path, &size, root, &bad, &r) != 0)
        fail_msg ("verify failed at %llu: %s", (unsigned long long) bad, r.text);
    assert_int_equal (size, want_size);
    if (want_root)
        assert_memory_equal (root, want_root, 32);
}

static void
test_proofs_verify_for_every_index_and_size_up_to_70 (void **state)
{
    (void) state;
    char path[128];
    kt_reason_t r;
    provlog_t *log = s_new_log (path, sizeof path);
    enum { N = 70 };
    uint8_t leaves[N][32], roots[N + 1][32];
    merkle_root (roots[0], NULL, 0);
    for (uint64_t cur = 1; cur <= N; cur++) {
        /*  One commit per entry: every committed size has its own compact
         *  range in memory, and all older sizes come from stored rows. */
        s_append (log, cur - 1, cur, 1, cur % 2 == 0, leaves);
        merkle_root (roots[cur], (const uint8_t (*)[32]) leaves, cur);
        uint8_t root[32];
        provlog_root (log, root);
        assert_memory_equal (root, roots[cur], 32);
        for (uint64_t size = 0; size <= cur; size++) {
            assert_int_equal (provlog_checkpoint_root (log, size, root, &r), 0);
            assert_memory_equal (root, roots[size], 32);
            for (uint64_t index = 0; index < size; index++) {
                uint8_t path_[MERKLE_MAX_PATH][32], leaf[32];
                size_t n = 99;
                assert_int_equal (provlog_inclusion_proof (log, index, size, path_, &n, &r), 0);
                assert_int_equal (provlog_leaf (log, index, leaf, &r), 0);
                assert_memory_equal (leaf, leaves[index], 32);
                if (!merkle_verify_inclusion (leaves[index], index, size,
                                              (const uint8_t (*)[32]) path_, n, roots[size]))
                    fail_msg ("inclusion %llu in %llu (log %llu) does not verify",
                              (unsigned long long) index, (unsigned long long) size,
                              (unsigned long long) cur);
            }
            for (uint64_t old = 0; old <= size; old++) {
                uint8_t proof[MERKLE_MAX_PATH][32];
                size_t n = 99;
                assert_int_equal (provlog_consistency_proof (log, old, size, proof, &n, &r), 0);
                if (!merkle_verify_consistency (old, size, roots[old], roots[size],
                                                (const uint8_t (*)[32]) proof, n))
                    fail_msg ("consistency %llu -> %llu (log %llu) does not verify",
                              (unsigned long long) old, (unsigned long long) size,
                              (unsigned long long) cur);
            }
        }
    }
    /*  Nothing beyond the committed tree, nor from an open batch. */
    uint8_t p[MERKLE_MAX_PATH][32], root[32];
    size_t n;
    assert_int_not_equal (provlog_inclusion_proof (log, 5, N + 1, p, &n, &r), 0);
    assert_int_not_equal (provlog_inclusion_proof (log, N, N, p, &n, &r), 0);
    assert_int_not_equal (provlog_consistency_proof (log, 5, N + 1, p, &n, &r), 0);
    assert_int_not_equal (provlog_consistency_proof (log, 6, 5, p, &n, &r), 0);
    assert_int_not_equal (provlog_checkpoint_root (log, N + 1, root, &r), 0);
    assert_int_equal (provlog_begin (log, &r), 0);
    Keten__LogEntry e;
    uint8_t id[16], hash[32];
    uint64_t index;
    s_entry (&e, N, false, id, hash);
    assert_int_equal (provlog_append (log, &e, &index, &r), 0);
    assert_int_not_equal (provlog_inclusion_proof (log, N, N + 1, p, &n, &r), 0);
    provlog_rollback (log);
    provlog_destroy (&log);
    s_verify_ok (path, N, roots[N]);
}

static void
test_proofs_in_a_100k_log_verify (void **state)
{
    (void) state;
    char path[128];
    s_path (path, sizeof path);
    enum { N = 100000 };
    uint8_t (*leaves)[32] = malloc (N * 32);
    assert_non_null (leaves);
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    assert_non_null (log);
    s_append (log, 0, N, 1000, true, leaves);
    const uint64_t sizes[] = {1, 2, 1000, 4096, 65536, 65537, 99999, N};
    const uint64_t indexes[] = {0, 1, 777, 4095, 65535, 65536, 99998, N - 1};
    enum { SIZES = sizeof sizes / sizeof sizes[0] };
    /*  Each size's root from the leaves, once (they are most of the
     *  test's time under the sanitizers). */
    uint8_t roots[SIZES][32];
    for (size_t s = 0; s < SIZES; s++)
        merkle_root (roots[s], (const uint8_t (*)[32]) leaves, sizes[s]);
    for (size_t s = 0; s < SIZES; s++) {
        uint8_t root[32];
        const uint8_t *want = roots[s];
        assert_int_equal (provlog_checkpoint_root (log, sizes[s], root, &r), 0);
        assert_memory_equal (root, want, 32);
        for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++) {
            if (indexes[i] >= sizes[s])
                continue;
            uint8_t p[MERKLE_MAX_PATH][32];
            size_t n;
            assert_int_equal (provlog_inclusion_proof (log, indexes[i], sizes[s], p, &n, &r), 0);
            assert_true (merkle_verify_inclusion (leaves[indexes[i]], indexes[i], sizes[s],
                                                  (const uint8_t (*)[32]) p, n, want));
        }
        for (size_t o = 0; o <= s; o++) {
            uint8_t p[MERKLE_MAX_PATH][32];
            size_t n;
            assert_int_equal (provlog_consistency_proof (log, sizes[o], sizes[s], p, &n, &r), 0);
            assert_true (merkle_verify_consistency (sizes[o], sizes[s], roots[o], want,
                                                    (const uint8_t (*)[32]) p, n));
        }
    }
    provlog_destroy (&log);
    free (leaves);
}

/*  The daemon commits a batch in the middle of a verification. */
typedef struct {
    provlog_t *writer;
    int calls;
    bool appended;
} s_interleave_t;

static int
s_append_midway (void *arg)
{
    s_interleave_t *x = arg;
    if (++x->calls == 20 && !x->appended) {
        x->appended = true;
        s_append (x->writer, provlog_size (x->writer), provlog_size (x->writer) + 25, 25, true,
                  NULL);
    }
    return 0;
}

static void
test_verify_reads_one_snapshot_while_the_daemon_appends (void **state)
{
    (void) state;
    char path[128];
    s_path (path, sizeof path);
    kt_reason_t r;
    provlog_t *writer = provlog_open (path, &r);
    assert_non_null (writer);
    s_append (writer, 0, 40, 10, true, NULL);
    uint8_t root40[32];
    provlog_root (writer, root40);

    /*  1. The reader's transaction is open before the writer commits. */
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal (sqlite3_exec (db, "BEGIN; SELECT count(*) FROM entry;", NULL, NULL, NULL),
                      SQLITE_OK);
    s_append (writer, 40, 60, 20, true, NULL);
    uint64_t size, bad;
    uint8_t root[32];
    if (logverify_db (db, path, &size, root, &bad, &r) != 0)
        fail_msg ("verify of the snapshot failed at %llu: %s", (unsigned long long) bad, r.text);
    assert_int_equal (size, 40);
    assert_memory_equal (root, root40, 32);
    assert_int_equal (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);

    /*  2. Verify opens its own transaction; the writer commits while it
     *  is between reading the entries and reading the head. */
    uint8_t root60[32];
    provlog_root (writer, root60);
    s_interleave_t x = {writer, 0, false};
    sqlite3_progress_handler (db, 50, s_append_midway, &x);
    if (logverify_db (db, path, &size, root, &bad, &r) != 0)
        fail_msg ("verify while appending failed at %llu: %s", (unsigned long long) bad, r.text);
    sqlite3_progress_handler (db, 0, NULL, NULL);
    assert_true (x.appended);
    assert_int_equal (size, 60);
    assert_memory_equal (root, root60, 32);
    assert_int_equal (provlog_size (writer), 85);
    sqlite3_close (db);
    provlog_destroy (&writer);
    s_verify_ok (path, 85, NULL);
}

static void
s_open_refused (const char *path, const char *want)
{
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    if (log)
        fail_msg ("a tampered log was opened (expected: %s)", want);
    if (!strstr (r.text, want) || !strstr (r.text, "keten log verify"))
        fail_msg ("expected '%s' in: %s", want, r.text);
}

static void
test_open_refuses_a_head_that_does_not_match_the_entries (void **state)
{
    (void) state;
    char path[128];
    /*  A changed head. */
    s_path (path, sizeof path);
    s_make (path, 37, true, NULL);
    s_tamper (path, "UPDATE range SET hashes = zeroblob(96)");
    s_open_refused (path, "stored tree head does not match entries at size 37");
    /*  All entries gone, the head still says 37. */
    s_path (path, sizeof path);
    s_make (path, 37, true, NULL);
    s_tamper (path, "DELETE FROM entry");
    s_open_refused (path, "stored tree head does not match entries at size 37");
    /*  The last entry gone. */
    s_path (path, sizeof path);
    s_make (path, 37, false, NULL);
    s_tamper (path, "DELETE FROM entry WHERE idx = 36");
    s_open_refused (path, "stored tree head does not match entries at size 37");
    /*  The head gone. */
    s_path (path, sizeof path);
    s_make (path, 37, true, NULL);
    s_tamper (path, "DELETE FROM range");
    s_open_refused (path, "the head is missing but 37 entries are stored");
    /*  An interior hash gone. */
    s_path (path, sizeof path);
    s_make (path, 37, true, NULL);
    s_tamper (path, "DELETE FROM node WHERE id = 33");
    s_open_refused (path, "interior hashes stored");
    /*  The newest entry changed (with its leaf, so the head still fits
     *  the leaf but not the entry). */
    s_path (path, sizeof path);
    s_make (path, 37, false, NULL);
    s_tamper (path, "UPDATE entry SET entry = x'0801' WHERE idx = 36");
    s_open_refused (path, "the newest entry does not match its leaf");
    /*  An empty file still opens, and a closed good one reopens. */
    s_path (path, sizeof path);
    s_make (path, 0, false, NULL);
    s_make (path, 5, false, NULL);
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    assert_non_null (log);
    provlog_destroy (&log);
}

/*  Change entry idx of the file at path and rewrite its leaf to match, as
 *  an attacker who knows the format would. */
static void
s_tamper_entry_and_leaf (const char *path, int idx)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "SELECT entry FROM entry WHERE idx = ?", -1, &q, NULL),
                      SQLITE_OK);
    sqlite3_bind_int (q, 1, idx);
    assert_int_equal (sqlite3_step (q), SQLITE_ROW);
    uint8_t buf[512], leaf[32];
    size_t len = (size_t) sqlite3_column_bytes (q, 0);
    memcpy (buf, sqlite3_column_blob (q, 0), len);
    sqlite3_finalize (q);
    sqlite3_close (db);
    buf[len - 1] ^= 1;
    merkle_leaf_hash (leaf, buf, len);
    char sql[1600], hex_e[1100], hex_l[65];
    sodium_bin2hex (hex_e, sizeof hex_e, buf, len);
    sodium_bin2hex (hex_l, sizeof hex_l, leaf, 32);
    snprintf (sql, sizeof sql, "UPDATE entry SET entry = x'%s', leaf = x'%s' WHERE idx = %d", hex_e,
              hex_l, idx);
    s_tamper (path, sql);
}

/*  Not only the newest entry: the newest ones (up to 16384) are
 *  recomputed at every open, so one changed behind ketend's back stops
 *  the start, with or without its leaf rewritten. */
static void
test_open_refuses_a_recent_entry_changed (void **state)
{
    (void) state;
    char path[128];
    s_path (path, sizeof path);
    s_make (path, 50, true, NULL);
    s_tamper (path, "UPDATE entry SET entry = substr(entry, 1, 2) || x'ff' || substr(entry, 4)"
                    " WHERE idx = 17");
    s_open_refused (path, "entry 17 does not match its leaf");
    s_path (path, sizeof path);
    s_make (path, 50, false, NULL);
    s_tamper_entry_and_leaf (path, 20);
    s_open_refused (path, "subtree at level 1 index 10 differs");
    /*  A row taken out from the middle. */
    s_path (path, sizeof path);
    s_make (path, 50, false, NULL);
    s_tamper (path, "DELETE FROM entry WHERE idx = 30");
    s_open_refused (path, "entry 30 is missing or out of place");
}

static void
test_verify_names_an_entry_changed_in_place (void **state)
{
    (void) state;
    char path[128];
    s_path (path, sizeof path);
    s_make (path, 50, true, NULL);
    /*  One byte of entry 17 (the low byte of its time). */
    s_tamper (path, "UPDATE entry SET entry = substr(entry, 1, 2) || x'ff' || substr(entry, 4)"
                    " WHERE idx = 17");
    s_verify_fails_at (path, 17, "does not match its leaf hash");
    /*  Entry and leaf changed together: the interior hash over 20..21
     *  names the pair. */
    s_path (path, sizeof path);
    s_make (path, 50, false, NULL);
    s_tamper_entry_and_leaf (path, 20);
    s_verify_fails_at (path, 20, "do not give the stored interior hash");
}

static void
test_verify_names_a_dropped_entry (void **state)
{
    (void) state;
    char path[128];
    s_path (path, sizeof path);
    s_make (path, 50, true, NULL);
    s_tamper (path, "DELETE FROM entry WHERE idx = 23");
    s_verify_fails_at (path, 23, "entry 23 is missing");
}

static void
test_verify_names_two_reordered_entries (void **state)
{
    (void) state;
    char path[128];
    const char *swap = "UPDATE entry SET idx = -1 WHERE idx = 12;"
                       "UPDATE entry SET idx = 12 WHERE idx = 30;"
                       "UPDATE entry SET idx = 30 WHERE idx = -1;";
    /*  Arrivals: the arrival index places each one. */
    s_path (path, sizeof path);
    s_make (path, 50, true, NULL);
    s_tamper (path, swap);
    s_verify_fails_at (path, 12, "entry 12 is out of place");
    /*  Other entries: the interior hash over 12..13 no longer fits. */
    s_path (path, sizeof path);
    s_make (path, 50, false, NULL);
    s_tamper (path, swap);
    s_verify_fails_at (path, 12, "entries 12..13 do not give the stored interior hash");
}

static void
test_verify_and_a_kept_checkpoint_catch_a_rollback (void **state)
{
    (void) state;
    char path[128];
    kt_reason_t r;
    provlog_t *log = s_new_log (path, sizeof path);
    s_append (log, 0, 40, 10, true, NULL);
    uint8_t root40[32], root50[32];
    provlog_root (log, root40);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "SELECT hex(hashes) FROM range", -1, &q, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_step (q), SQLITE_ROW);
    char old_head[400];
    snprintf (old_head, sizeof old_head,
              "DELETE FROM entry WHERE idx >= 40; UPDATE range SET size = 40, hashes = x'%s';",
              (const char *) sqlite3_column_text (q, 0));
    sqlite3_finalize (q);
    sqlite3_close (db);
    /*  A partner kept the checkpoint at 50. */
    s_append (log, 40, 50, 10, true, NULL);
    provlog_root (log, root50);
    provlog_destroy (&log);

    /*  Cut back to 40 with the old head restored, leaving the interior
     *  hashes and arrival index: verify alone sees it. */
    char copy[300];
    snprintf (copy, sizeof copy, "cp %s %s.bak", path, path);
    assert_int_equal (system (copy), 0);
    s_tamper (path, old_head);
    s_verify_fails_at (path, 40, "beyond the last entry");
    s_open_refused (path, "interior hashes stored");

    /*  Cut back consistently (all tables): the file is a valid log of 40
     *  entries, and verify cannot know it once held 50.  Only the
     *  partner's kept checkpoint shows it: the log can no longer prove
     *  that its tree of 50 extends the one it now has. */
    snprintf (copy, sizeof copy, "cp %s.bak %s", path, path);
    assert_int_equal (system (copy), 0);
    char all[600];
    snprintf (all, sizeof all,
              "%s DELETE FROM node WHERE id >= 38; DELETE FROM received WHERE idx >= 40;",
              old_head);
    s_tamper (path, all);
    s_verify_ok (path, 40, root40);
    log = provlog_open (path, &r);
    assert_non_null (log);
    uint8_t p[MERKLE_MAX_PATH][32], root[32];
    size_t n;
    assert_int_not_equal (provlog_consistency_proof (log, 40, 50, p, &n, &r), 0);
    assert_int_not_equal (provlog_checkpoint_root (log, 50, root, &r), 0);
    assert_memory_not_equal (root40, root50, 32);
    provlog_destroy (&log);
}

/*  The arrival index is append-only, and verify wants a row for every
 *  arrival: a row taken out would let its message be logged twice. */
static void
test_the_arrival_index_is_append_only_and_complete (void **state)
{
    (void) state;
    char path[128];
    provlog_t *log = s_new_log (path, sizeof path);
    s_append (log, 0, 3, 3, true, NULL);
    provlog_destroy (&log);
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_not_equal (sqlite3_exec (db, "DELETE FROM received WHERE idx = 1", NULL, NULL, NULL),
                          SQLITE_OK);
    assert_int_not_equal (
        sqlite3_exec (db, "UPDATE received SET idx = 2 WHERE idx = 1", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close (db);
    s_verify_ok (path, 3, NULL);
    /*  Past the triggers (a hand on the file): verify finds it. */
    s_tamper (path, "DELETE FROM received WHERE idx = 1");
    s_verify_fails_at (path, 1, "an arrival the arrival index does not hold");
}

static void
test_a_reused_message_id_for_another_message_is_refused (void **state)
{
    (void) state;
    char path[128];
    kt_reason_t r;
    provlog_t *log = s_new_log (path, sizeof path);
    s_append (log, 0, 3, 3, true, NULL);
    Keten__LogEntry e;
    uint8_t id[16], hash[32];
    uint64_t index = 99;
    assert_int_equal (provlog_begin (log, &r), 0);
    /*  The same message again: its first index, nothing appended. */
    s_entry (&e, 1, true, id, hash);
    assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_int_equal (index, 1);
    /*  Another header under the same id. */
    hash[0] ^= 1;
    assert_int_not_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_non_null (strstr (r.text, "already logged at index 1 for another message"));
    hash[0] ^= 1;
    /*  Another sender under the same id. */
    e.node = (char *) "gemeente-maastricht";
    assert_int_not_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_non_null (strstr (r.text, "already logged at index 1"));
    assert_int_equal (provlog_commit (log, &r), 0);
    assert_int_equal (provlog_size (log), 3);
    provlog_destroy (&log);

    /*  Rows from before schema 3 (no header hash, no sender) are
     *  compared with the logged entry. */
    s_tamper (path, "UPDATE received SET header_hash = NULL, sender = NULL");
    log = provlog_open (path, &r);
    assert_non_null (log);
    assert_int_equal (provlog_begin (log, &r), 0);
    s_entry (&e, 2, true, id, hash);
    assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_int_equal (index, 2);
    hash[5] ^= 1;
    assert_int_not_equal (provlog_append_received (log, &e, &index, &r), 0);
    provlog_rollback (log);
    provlog_destroy (&log);
    s_verify_ok (path, 3, NULL);

    /*  verify checks the arrival index's header hash too. */
    s_tamper (path, "UPDATE received SET header_hash = zeroblob(32) WHERE idx = 1");
    s_verify_fails_at (path, 1, "does not match the arrival index");
}

/*  A batch's received rows go in when it commits (issue #17): a message
 *  that arrives twice in one batch still finds its first index, a
 *  different one under the same id is still refused, and a rolled-back
 *  batch leaves no id behind.  300 arrivals, so the batch's set of ids
 *  grows past its first size. */
static void
test_an_id_twice_in_one_batch_finds_its_first_index (void **state)
{
    (void) state;
    char path[128];
    kt_reason_t r;
    provlog_t *log = s_new_log (path, sizeof path);
    enum { N = 300 };
    Keten__LogEntry e;
    uint8_t id[16], hash[32];
    uint64_t index = 0;
    assert_int_equal (provlog_begin (log, &r), 0);
    for (uint64_t i = 0; i < N; i++) {
        s_entry (&e, i, true, id, hash);
        assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
        assert_int_equal (index, i);
        /*  Every seventh at once again, and the first again at the end. */
        if (i % 7 == 3 || i == N - 1) {
            uint64_t j = i == N - 1 ? 0 : i;
            s_entry (&e, j, true, id, hash);
            assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
            assert_int_equal (index, j);
        }
    }
    /*  Another header under an id of this batch. */
    s_entry (&e, 10, true, id, hash);
    hash[0] ^= 1;
    assert_int_not_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_non_null (strstr (r.text, "already logged at index 10 for another message"));
    assert_int_equal (provlog_commit (log, &r), 0);
    assert_int_equal (provlog_size (log), N);
    /*  A rolled-back batch: its ids are taken by the next one anew. */
    assert_int_equal (provlog_begin (log, &r), 0);
    s_entry (&e, N, true, id, hash);
    assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_int_equal (index, N);
    provlog_rollback (log);
    assert_int_equal (provlog_begin (log, &r), 0);
    assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_int_equal (index, N);
    s_entry (&e, N, true, id, hash);
    assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_int_equal (index, N);
    assert_int_equal (provlog_commit (log, &r), 0);
    provlog_destroy (&log);
    s_verify_ok (path, N + 1, NULL);
    /*  After a restart, found in the file: among them the greatest id
     *  (entry 255's, ff 00 ...), which an id must pass to be taken as new
     *  without a lookup. */
    log = provlog_open (path, &r);
    assert_non_null (log);
    assert_int_equal (provlog_begin (log, &r), 0);
    s_entry (&e, 123, true, id, hash);
    assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_int_equal (index, 123);
    s_entry (&e, 255, true, id, hash);
    assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_int_equal (index, 255);
    assert_int_equal (provlog_commit (log, &r), 0);
    assert_int_equal (provlog_size (log), N + 1);
    /*  One above it, then it again in the next batch. */
    uint8_t above[16];
    assert_int_equal (provlog_begin (log, &r), 0);
    s_entry (&e, 255, true, id, hash);
    memset (above, 0xff, sizeof above);
    e.message_id.data = above;
    assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_int_equal (index, N + 1);
    assert_int_equal (provlog_commit (log, &r), 0);
    assert_int_equal (provlog_begin (log, &r), 0);
    assert_int_equal (provlog_append_received (log, &e, &index, &r), 0);
    assert_int_equal (index, N + 1);
    assert_int_equal (provlog_commit (log, &r), 0);
    assert_int_equal (provlog_size (log), N + 2);
    provlog_destroy (&log);
    s_verify_ok (path, N + 2, NULL);
}

/*  docs/ARCHITECTURE.md, Crash reasoning 12: an entry appended under a key
 *  is found again after a restart (a crash after the log's commit, before
 *  the caller recorded it), and a rolled-back batch leaves no key. */
static void
test_an_entry_under_a_key_is_appended_once (void **state)
{
    (void) state;
    char path[128];
    kt_reason_t r;
    provlog_t *log = s_new_log (path, sizeof path);
    Keten__LogEntry e;
    uint8_t id[16], hash[32];
    uint64_t index = 99;
    s_entry (&e, 0, false, id, hash);
    assert_int_equal (provlog_begin (log, &r), 0);
    assert_int_equal (provlog_append_once (log, "decided/d-1", &e, &index, &r), 0);
    assert_int_equal (index, 0);
    /*  Again in the same batch: found. */
    assert_int_equal (provlog_append_once (log, "decided/d-1", &e, &index, &r), 1);
    assert_int_equal (provlog_commit (log, &r), 0);
    assert_int_equal (provlog_begin (log, &r), 0);
    assert_int_equal (provlog_append_once (log, "decided/d-2", &e, &index, &r), 0);
    provlog_rollback (log);
    provlog_destroy (&log);

    log = provlog_open (path, &r);
    assert_non_null (log);
    assert_int_equal (provlog_size (log), 1);
    assert_int_equal (provlog_begin (log, &r), 0);
    index = 99;
    assert_int_equal (provlog_append_once (log, "decided/d-1", &e, &index, &r), 1);
    assert_int_equal (index, 0);
    assert_int_equal (provlog_append_once (log, "decided/d-2", &e, &index, &r), 0);
    assert_int_equal (index, 1);
    assert_int_equal (provlog_commit (log, &r), 0);
    assert_int_equal (provlog_size (log), 2);
    provlog_destroy (&log);
    s_verify_ok (path, 2, NULL);
}

/*  A log written before interior hashes existed (schema 2) gets them once
 *  at open, and only if its entries give its stored head. */
static void
s_make_v2 (const char *path, uint64_t n, bool bad_head)
{
    sqlite3 *db = NULL;
    assert_int_equal (sqlite3_open (path, &db), SQLITE_OK);
    assert_int_equal (
        sqlite3_exec (db,
                      "CREATE TABLE schema_version (module TEXT PRIMARY KEY, version INTEGER NOT "
                      "NULL);"
                      "INSERT INTO schema_version VALUES ('provlog', 2);"
                      "CREATE TABLE entry (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, entry "
                      "BLOB NOT NULL);"
                      "CREATE TABLE range (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER "
                      "NOT NULL, hashes BLOB NOT NULL);"
                      "CREATE TABLE received (message_id BLOB PRIMARY KEY, idx INTEGER NOT NULL) "
                      "WITHOUT ROWID;",
                      NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_stmt *ins = NULL, *rec = NULL;
    assert_int_equal (sqlite3_prepare_v2 (db, "INSERT INTO entry VALUES (?,?,?)", -1, &ins, NULL),
                      SQLITE_OK);
    assert_int_equal (sqlite3_prepare_v2 (db, "INSERT INTO received VALUES (?,?)", -1, &rec, NULL),
                      SQLITE_OK);
    merkle_range_t range;
    merkle_range_init (&range);
    sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
    for (uint64_t i = 0; i < n; i++) {
        Keten__LogEntry e;
        uint8_t id[16], hash[32], buf[512], leaf[32];
        s_entry (&e, i, true, id, hash);
        size_t len = keten__log_entry__pack (&e, buf);
        merkle_leaf_hash (leaf, buf, len);
        merkle_range_append (&range, leaf);
        sqlite3_bind_int64 (ins, 1, (sqlite3_int64) i);
        sqlite3_bind_blob (ins, 2, leaf, 32, SQLITE_TRANSIENT);
        sqlite3_bind_blob (ins, 3, buf, (int) len, SQLITE_TRANSIENT);
        assert_int_equal (sqlite3_step (ins), SQLITE_DONE);
        sqlite3_reset (ins);
        sqlite3_bind_blob (rec, 1, id, 16, SQLITE_TRANSIENT);
        sqlite3_bind_int64 (rec, 2, (sqlite3_int64) i);
        assert_int_equal (sqlite3_step (rec), SQLITE_DONE);
        sqlite3_reset (rec);
    }
    if (bad_head)
        range.hashes[0][0] ^= 1;
    sqlite3_finalize (ins);
    sqlite3_finalize (rec);
    assert_int_equal (sqlite3_prepare_v2 (db, "INSERT INTO range VALUES (1,?,?)", -1, &ins, NULL),
                      SQLITE_OK);
    sqlite3_bind_int64 (ins, 1, (sqlite3_int64) range.size);
    sqlite3_bind_blob (ins, 2, range.hashes, range.count * 32, SQLITE_TRANSIENT);
    assert_int_equal (sqlite3_step (ins), SQLITE_DONE);
    sqlite3_finalize (ins);
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close (db);
}

static void
test_a_log_from_before_interior_hashes_is_upgraded_once (void **state)
{
    (void) state;
    char path[128];
    s_path (path, sizeof path);
    s_make_v2 (path, 45, false);
    s_verify_ok (path, 45, NULL); /* verify reads the old schema too */
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    if (!log)
        fail_msg ("upgrade refused: %s", r.text);
    uint8_t root[32], p[MERKLE_MAX_PATH][32], leaf[32];
    size_t n;
    provlog_root (log, root);
    assert_int_equal (provlog_inclusion_proof (log, 3, 45, p, &n, &r), 0);
    assert_int_equal (provlog_leaf (log, 3, leaf, &r), 0);
    assert_true (merkle_verify_inclusion (leaf, 3, 45, (const uint8_t (*)[32]) p, n, root));
    s_append (log, 45, 50, 5, true, NULL);
    provlog_destroy (&log);
    s_verify_ok (path, 50, NULL);

    s_path (path, sizeof path);
    s_make_v2 (path, 45, true);
    s_open_refused (path, "the entries give another tree");
}

/*  What provlog_each_event handed out, in order. */
typedef struct {
    uint64_t index[64];
    size_t n;
    Keten__LogEvent want;
    bool wrong_event;
    size_t stop_after; /* 0: never */
} s_listed_t;

static int
s_listed (void *arg, uint64_t index, const Keten__LogEntry *e, kt_reason_t *reason)
{
    (void) reason;
    s_listed_t *l = arg;
    if (e->event != l->want || e->time_ms != 1700000000000ull + index)
        l->wrong_event = true;
    if (l->n < 64)
        l->index[l->n++] = index;
    return l->stop_after && l->n == l->stop_after ? 1 : 0;
}

static s_listed_t
s_list (provlog_t *log, Keten__LogEvent event, uint64_t since, uint64_t until, bool newest,
        size_t limit)
{
    s_listed_t l = {.want = event};
    kt_reason_t r;
    if (provlog_each_event (log, event, since, until, newest, limit, s_listed, &l, &r) != 0)
        fail_msg ("each_event: %s", r.text);
    assert_false (l.wrong_event);
    return l;
}

/*  keten log show --type: entries of one event in [since, until), newest
 *  or oldest first, bounded; nothing of another event, nothing rolled
 *  back. */
static void
test_entries_are_listed_by_event_and_time (void **state)
{
    (void) state;
    char path[128];
    kt_reason_t r;
    provlog_t *log = s_new_log (path, sizeof path);
    const uint64_t t0 = 1700000000000ull;
    s_append (log, 0, 20, 7, false, NULL); /* WEEGPLOEG_DECIDED, time t0 + index */
    s_append (log, 20, 40, 6, true, NULL); /* MESSAGE_RECEIVED */
    s_listed_t l = s_list (log, KETEN__LOG_EVENT__WEEGPLOEG_DECIDED, 0, UINT64_MAX, true, 100);
    assert_int_equal (l.n, 20);
    for (size_t i = 0; i < l.n; i++)
        assert_int_equal (l.index[i], 19 - i);
    l = s_list (log, KETEN__LOG_EVENT__WEEGPLOEG_DECIDED, t0 + 5, t0 + 10, false, 100);
    assert_int_equal (l.n, 5);
    for (size_t i = 0; i < l.n; i++)
        assert_int_equal (l.index[i], 5 + i);
    l = s_list (log, KETEN__LOG_EVENT__WEEGPLOEG_DECIDED, 0, UINT64_MAX, true, 3);
    assert_int_equal (l.n, 3);
    assert_int_equal (l.index[2], 17);
    l = s_list (log, KETEN__LOG_EVENT__MESSAGE_RECEIVED, t0 + 18, UINT64_MAX, false, 100);
    assert_int_equal (l.n, 20);
    assert_int_equal (l.index[0], 20);
    l = s_list (log, KETEN__LOG_EVENT__ROSTER_REFUSED, 0, UINT64_MAX, true, 100);
    assert_int_equal (l.n, 0);
    /*  A rolled-back batch leaves no row behind. */
    assert_int_equal (provlog_begin (log, &r), 0);
    Keten__LogEntry e;
    uint8_t id[16], hash[32];
    uint64_t index;
    s_entry (&e, 40, false, id, hash);
    assert_int_equal (provlog_append (log, &e, &index, &r), 0);
    provlog_rollback (log);
    l = s_list (log, KETEN__LOG_EVENT__WEEGPLOEG_DECIDED, 0, UINT64_MAX, true, 100);
    assert_int_equal (l.n, 20);
    /*  The callback may stop the walk. */
    s_listed_t stop = {.want = KETEN__LOG_EVENT__MESSAGE_RECEIVED, .stop_after = 2};
    assert_int_equal (provlog_each_event (log, KETEN__LOG_EVENT__MESSAGE_RECEIVED, 0, UINT64_MAX,
                                          true, 100, s_listed, &stop, &r),
                      0);
    assert_int_equal (stop.n, 2);
    provlog_destroy (&log);
    s_verify_ok (path, 40, NULL); /* the index changes nothing verify reads */
}

/*  Indices of event handed out by provlog_each_event, in order. */
typedef struct {
    uint64_t index[64];
    size_t n;
    Keten__LogEvent want;
    bool wrong_event;
} s_run_listed_t;

static int
s_run_listed (void *arg, uint64_t index, const Keten__LogEntry *e, kt_reason_t *reason)
{
    (void) reason;
    s_run_listed_t *l = arg;
    l->wrong_event |= e->event != l->want;
    if (l->n < 64)
        l->index[l->n++] = index;
    return 0;
}

/*  The entries of event listed, checked against want (n indices). */
static void
s_runs_list (provlog_t *log, Keten__LogEvent event, uint64_t since, bool newest, size_t limit,
             const uint64_t *want, size_t n)
{
    s_run_listed_t l = {.want = event};
    kt_reason_t r;
    if (provlog_each_event (log, event, since, UINT64_MAX, newest, limit, s_run_listed, &l, &r) !=
        0)
        fail_msg ("each_event: %s", r.text);
    assert_false (l.wrong_event);
    assert_int_equal (l.n, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal (l.index[i], want[i]);
}

/*  The answers of runs_and_an_older_index: arrivals 0-9 and 15-24 at t,
 *  25-27 at t + 1; decisions 10-14 at t. */
static void
s_runs_answers (provlog_t *log, uint64_t t)
{
    const Keten__LogEvent rcv = KETEN__LOG_EVENT__MESSAGE_RECEIVED;
    uint64_t newest[23], oldest[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16};
    for (size_t i = 0; i < 23; i++)
        newest[i] = i < 13 ? 27 - i : 9 - (i - 13);
    s_runs_list (log, rcv, 0, true, 100, newest, 23);
    s_runs_list (log, rcv, 0, false, 12, oldest, 12);
    s_runs_list (log, rcv, t + 1, false, 100, (const uint64_t[]){25, 26, 27}, 3);
    s_runs_list (log, rcv, 0, true, 4, newest, 4);
    s_runs_list (log, KETEN__LOG_EVENT__WEEGPLOEG_DECIDED, 0, false, 100,
                 (const uint64_t[]){10, 11, 12, 13, 14}, 5);
}

/*  Entries of one event and time appended one after the other (a drain's
 *  arrivals) are indexed as one run; listing walks across runs in time
 *  and index order, to the limit.  An event index from before runs
 *  becomes the same runs at the next open. */
static void
test_runs_and_an_older_index_list_the_same (void **state)
{
    (void) state;
    char path[128];
    kt_reason_t r;
    provlog_t *log = s_new_log (path, sizeof path);
    const uint64_t t = 1700000000000ull;
    assert_int_equal (provlog_begin (log, &r), 0);
    for (uint64_t i = 0; i < 28; i++) {
        Keten__LogEntry e;
        uint8_t id[16], hash[32];
        s_entry (&e, i, i < 10 || i >= 15, id, hash);
        e.time_ms = i < 25 ? t : t + 1;
        uint64_t index;
        if (i == 25) { /* a commit between: a run ends with its batch */
            assert_int_equal (provlog_commit (log, &r), 0);
            assert_int_equal (provlog_begin (log, &r), 0);
        }
        /*  Arrivals with their index rows, as the uitvoerder appends them. */
        if (e.event == KETEN__LOG_EVENT__MESSAGE_RECEIVED)
            assert_true (provlog_append_received (log, &e, &index, &r) >= 0);
        else
            assert_int_equal (provlog_append (log, &e, &index, &r), 0);
        assert_int_equal (index, i);
    }
    assert_int_equal (provlog_commit (log, &r), 0);
    s_runs_answers (log, t);
    provlog_destroy (&log);
    sqlite3 *db = store_open (path, &r);
    assert_non_null (db);
    assert_int_equal (store_int (db, "SELECT count(*) FROM entry_run", -1), 4);
    /*  As a log of schema 5 held it: a row per entry. */
    assert_int_equal (store_exec (db,
                                  "CREATE TABLE entry_event (idx INTEGER PRIMARY KEY,"
                                  " event INTEGER NOT NULL, time_ms INTEGER NOT NULL);"
                                  "WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i"
                                  " WHERE n < 27) INSERT INTO entry_event SELECT n,"
                                  " CASE WHEN n BETWEEN 10 AND 14 THEN 4 ELSE 1 END,"
                                  " 1700000000000 + (n >= 25) FROM i;"
                                  "DROP TABLE entry_run;"
                                  "UPDATE schema_version SET version = 5 WHERE module = 'provlog';",
                                  &r),
                      0);
    store_close (&db);
    log = provlog_open (path, &r);
    if (!log)
        fail_msg ("upgrade refused: %s", r.text);
    s_runs_answers (log, t);
    provlog_destroy (&log);
    db = store_open (path, &r);
    assert_non_null (db);
    assert_int_equal (store_int (db, "SELECT count(*) FROM entry_run", -1), 4);
    store_close (&db);
    log = provlog_open (path, &r);
    assert_non_null (log);
    s_runs_answers (log, t);
    provlog_destroy (&log);
    s_verify_ok (path, 28, NULL);
}

/*  A log from before the event index gets it once, at open. */
static void
test_a_log_from_before_the_event_index_gets_it_at_open (void **state)
{
    (void) state;
    char path[128];
    s_path (path, sizeof path);
    s_make_v2 (path, 45, false);
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    if (!log)
        fail_msg ("upgrade refused: %s", r.text);
    s_listed_t l = s_list (log, KETEN__LOG_EVENT__MESSAGE_RECEIVED, 0, UINT64_MAX, false, 100);
    assert_int_equal (l.n, 45);
    assert_int_equal (l.index[44], 44);
    s_append (log, 45, 50, 5, true, NULL);
    provlog_destroy (&log);
    log = provlog_open (path, &r); /* once: no second fill at the next open */
    assert_non_null (log);
    l = s_list (log, KETEN__LOG_EVENT__MESSAGE_RECEIVED, 0, UINT64_MAX, false, 100);
    assert_int_equal (l.n, 50);
    provlog_destroy (&log);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_proofs_verify_for_every_index_and_size_up_to_70),
        cmocka_unit_test (test_proofs_in_a_100k_log_verify),
        cmocka_unit_test (test_verify_reads_one_snapshot_while_the_daemon_appends),
        cmocka_unit_test (test_open_refuses_a_head_that_does_not_match_the_entries),
        cmocka_unit_test (test_open_refuses_a_recent_entry_changed),
        cmocka_unit_test (test_verify_names_an_entry_changed_in_place),
        cmocka_unit_test (test_verify_names_a_dropped_entry),
        cmocka_unit_test (test_verify_names_two_reordered_entries),
        cmocka_unit_test (test_verify_and_a_kept_checkpoint_catch_a_rollback),
        cmocka_unit_test (test_a_reused_message_id_for_another_message_is_refused),
        cmocka_unit_test (test_the_arrival_index_is_append_only_and_complete),
        cmocka_unit_test (test_an_id_twice_in_one_batch_finds_its_first_index),
        cmocka_unit_test (test_a_log_from_before_interior_hashes_is_upgraded_once),
        cmocka_unit_test (test_an_entry_under_a_key_is_appended_once),
        cmocka_unit_test (test_entries_are_listed_by_event_and_time),
        cmocka_unit_test (test_a_log_from_before_the_event_index_gets_it_at_open),
        cmocka_unit_test (test_runs_and_an_older_index_list_the_same),
    };
    if (sodium_init () < 0)
        return 1;
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
