/*  The witness (daemon/store/witness.c) against an uitvoerder that shows two
 *  histories: a pushed checkpoint is kept only with a proof from the kept
 *  one, and an older checkpoint joins the verified chain only through a
 *  newer one already in it.  Two real provenance logs on SQLite files
 *  share their first entries and then differ (a fork); the honest runs of
 *  each scenario use one log and must end without an alarm.  */
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
#include "store.h"
#include "witness.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FED "fed-test"
#define SHARED 2 /* entries both histories hold */
#define ENTRIES 8

static char s_dir[64];
static int s_files;

/*  The notes checkpoint_open verified (the link wraps it). */
static int s_notes_verified;
int __real_checkpoint_open (const char *note, size_t len, const char *origin, const uint8_t pk[32],
                            checkpoint_t *cp, kt_reason_t *reason);
int __wrap_checkpoint_open (const char *note, size_t len, const char *origin, const uint8_t pk[32],
                            checkpoint_t *cp, kt_reason_t *reason);
int
__wrap_checkpoint_open (const char *note, size_t len, const char *origin, const uint8_t pk[32],
                        checkpoint_t *cp, kt_reason_t *reason)
{
    s_notes_verified++;
    return __real_checkpoint_open (note, len, origin, pk, cp, reason);
}

/*  One run: the log's key, an honest log and a fork of it, and a witness
 *  (a politie node: it cosigns) on a fresh node.db. */
typedef struct {
    uint8_t log_pk[32], log_sk[64];
    provlog_t *honest, *fork;
    keys_secret_t keys;
    sqlite3 *db;
    witness_t *w;
} fixture_t;

static int
s_setup (void **state)
{
    (void) state;
    return sodium_init () >= 0 && testutil_tmpdir (s_dir, sizeof s_dir, "witness") == 0 ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void) state;
    return testutil_rmtree (s_dir);
}

#define SENDER "politie-test" /* the witness's node */

/*  Entry i of a test log: the arrival of message {i, 0, ...} from
 *  SENDER with header leaf {0xa0, i, 0, ...} (id and header are its
 *  room for them). */
static void
s_arrival (Keten__LogEntry *e, uint64_t i, uint8_t id[KT_ID_LEN], uint8_t header[32])
{
    *e = (Keten__LogEntry) KETEN__LOG_ENTRY__INIT;
    memset (id, 0, KT_ID_LEN);
    id[0] = (uint8_t) i;
    memset (header, 0, 32);
    header[0] = 0xa0;
    header[1] = (uint8_t) i;
    e->event = KETEN__LOG_EVENT__MESSAGE_RECEIVED;
    e->time_ms = 1700000000000ull + i;
    e->message_id = (ProtobufCBinaryData){KT_ID_LEN, id};
    e->node = (char *) SENDER;
    e->header_hash = (ProtobufCBinaryData){32, header};
}

/*  A log of ENTRIES entries whose first SHARED are the same in every
 *  history and the rest name the history. */
static provlog_t *
s_log (const char *history)
{
    char path[128];
    snprintf (path, sizeof path, "%s/log%d.db", s_dir, s_files++);
    kt_reason_t r;
    provlog_t *log = provlog_open (path, &r);
    assert_non_null (log);
    assert_int_equal (provlog_begin (log, &r), 0);
    for (uint64_t i = 0; i < ENTRIES; i++) {
        Keten__LogEntry e;
        uint8_t id[KT_ID_LEN], header[32];
        s_arrival (&e, i, id, header);
        e.what = (char *) (i < SHARED ? "shared" : history);
        uint64_t index;
        assert_int_equal (provlog_append (log, &e, &index, &r), 0);
        assert_int_equal (index, i);
    }
    assert_int_equal (provlog_commit (log, &r), 0);
    return log;
}

/*  More entries appended to log, up to size. */
static void
s_grow (provlog_t *log, uint64_t size)
{
    kt_reason_t r;
    assert_int_equal (provlog_begin (log, &r), 0);
    for (uint64_t i = provlog_size (log); i < size; i++) {
        Keten__LogEntry e;
        uint8_t id[KT_ID_LEN], header[32];
        s_arrival (&e, i, id, header);
        e.what = (char *) "more";
        uint64_t index;
        assert_int_equal (provlog_append (log, &e, &index, &r), 0);
    }
    assert_int_equal (provlog_commit (log, &r), 0);
}

static void
s_fixture (fixture_t *f)
{
    memset (f, 0, sizeof *f);
    crypto_sign_keypair (f->log_pk, f->log_sk);
    f->honest = s_log ("honest");
    f->fork = s_log ("fork");
    snprintf (f->keys.pub.id, sizeof f->keys.pub.id, SENDER);
    crypto_sign_keypair (f->keys.pub.signing_pk, f->keys.signing_sk);
    kt_reason_t r;
    f->db = store_open (":memory:", &r);
    assert_non_null (f->db);
    f->w = witness_new (f->db, &f->keys, FED, f->log_pk, true, &r);
    assert_non_null (f->w);
}

static void
s_fixture_destroy (fixture_t *f)
{
    witness_destroy (&f->w);
    store_close (&f->db);
    provlog_destroy (&f->honest);
    provlog_destroy (&f->fork);
}

/*  The log's signed checkpoint of log's first size entries (heap). */
static char *
s_note (fixture_t *f, provlog_t *log, uint64_t size)
{
    checkpoint_t cp = {.size = size};
    char origin[CHECKPOINT_ORIGIN_MAX + 1];
    logproof_origin (origin, sizeof origin, FED);
    snprintf (cp.origin, sizeof cp.origin, "%s", origin);
    kt_reason_t r;
    assert_int_equal (provlog_checkpoint_root (log, size, cp.root, &r), 0);
    char *note = NULL;
    assert_int_equal (checkpoint_format (&cp, f->log_sk, &note, &r), 0);
    return note;
}

/*  A CHECKPOINT message as the uitvoerder sends it: the checkpoint of
 *  new_size from note_log with the consistency proof old_size -> new_size
 *  computed in proof_log (old_size 0: none). */
static void
s_push (fixture_t *f, provlog_t *note_log, provlog_t *proof_log, uint64_t old_size,
        uint64_t new_size, witness_out_t *out)
{
    char *note = s_note (f, note_log, new_size);
    uint8_t proof[MERKLE_MAX_PATH][MERKLE_HASH_LEN];
    ProtobufCBinaryData items[MERKLE_MAX_PATH];
    size_t n = 0;
    kt_reason_t r;
    if (old_size)
        assert_int_equal (provlog_consistency_proof (proof_log, old_size, new_size, proof, &n, &r),
                          0);
    for (size_t i = 0; i < n; i++)
        items[i] = (ProtobufCBinaryData){32, proof[i]};
    Keten__CheckpointMessage m = KETEN__CHECKPOINT_MESSAGE__INIT;
    m.note = (ProtobufCBinaryData){strlen (note), (uint8_t *) note};
    m.old_size = old_size;
    m.consistency = items;
    m.n_consistency = n;
    witness_out_clear (out);
    witness_on_checkpoint (f->w, &m, out);
    free (note);
}

/*  What a dishonest receipt changes (s_receipt_as). */
typedef enum {
    LIE_NONE,
    LIE_NO_ENTRY,    /* the proof without its entry (as an older release) */
    LIE_OTHER_ID,    /* the receipt of message {index + 1}, with entry index's proof */
    LIE_SENDER,      /* the witness's node is another one */
    LIE_HEADER,      /* this node sent another header */
    LIE_ENTRY_BYTES, /* an entry that is not the proven leaf */
    HEADER_UNKNOWN,  /* honest, but this node no longer knows its header */
} lie_t;

/*  A receipt for entry index of log, in its checkpoint of size, without a
 *  consistency proof (as after the uitvoerder restarted), with its entry,
 *  for the header the witness's node sent (s_arrival's); lie: what is
 *  changed. */
static void
s_receipt_as (fixture_t *f, provlog_t *log, uint64_t index, uint64_t size, lie_t lie,
              witness_out_t *out)
{
    uint8_t header[32] = {0xa0, (uint8_t) index};
    char *note = s_note (f, log, size);
    uint8_t leaf[32], path[MERKLE_MAX_PATH][MERKLE_HASH_LEN], id[KT_ID_LEN] = {0};
    ProtobufCBinaryData items[MERKLE_MAX_PATH];
    size_t n = 0;
    kt_reason_t r;
    assert_int_equal (provlog_leaf (log, index, leaf, &r), 0);
    assert_int_equal (provlog_inclusion_proof (log, index, size, path, &n, &r), 0);
    for (size_t i = 0; i < n; i++)
        items[i] = (ProtobufCBinaryData){32, path[i]};
    id[0] = (uint8_t) (lie == LIE_OTHER_ID ? index + 1 : index);
    Keten__Receipt rc = KETEN__RECEIPT__INIT;
    rc.message_id = (ProtobufCBinaryData){KT_ID_LEN, id};
    rc.status = KETEN__RECEIPT_STATUS__ACCEPTED;
    rc.log_index = index;
    rc.checkpoint = (ProtobufCBinaryData){strlen (note), (uint8_t *) note};
    rc.leaf_hash = (ProtobufCBinaryData){32, leaf};
    rc.inclusion = items;
    rc.n_inclusion = n;
    uint8_t *entry = NULL;
    size_t entry_len = 0;
    assert_int_equal (provlog_entry_bytes (log, index, &entry, &entry_len, &r), 0);
    if (lie == LIE_ENTRY_BYTES)
        entry[entry_len - 1] ^= 1;
    if (lie != LIE_NO_ENTRY)
        rc.entry = (ProtobufCBinaryData){entry_len, entry};
    if (lie == LIE_HEADER)
        header[31] ^= 1;
    witness_out_clear (out);
    witness_on_receipt (f->w, id, &rc, lie == LIE_SENDER ? "om-test" : SENDER,
                        lie == HEADER_UNKNOWN ? NULL : header, out);
    free (entry);
    free (note);
}

static void
s_receipt (fixture_t *f, provlog_t *log, uint64_t index, uint64_t size, witness_out_t *out)
{
    s_receipt_as (f, log, index, size, LIE_NONE, out);
}

/*  witness_verify's report, which must be made. */
static json_t *
s_report (witness_t *w)
{
    kt_reason_t r;
    json_t *v = witness_verify (w, &r);
    assert_non_null (v);
    return v;
}

/*  Whether the witness raised an alarm, which must be readable. */
static bool
s_alarmed (witness_t *w)
{
    kt_reason_t r;
    int alarm = witness_alarm_read (w, &r);
    assert_true (alarm >= 0);
    return alarm == 1;
}

/*  One integer field of a witness report, the report freed. */
static json_int_t
s_field (json_t *report, const char *field)
{
    json_int_t v = json_integer_value (json_object_get (report, field));
    json_decref (report);
    return v;
}

static json_int_t
s_status (fixture_t *f, const char *field)
{
    return s_field (witness_status (f->w), field);
}

static json_int_t
s_verify (fixture_t *f, const char *field)
{
    return s_field (s_report (f->w), field);
}

static void
s_asks (const witness_out_t *out, uint64_t old_size, uint64_t new_size)
{
    assert_true (out->request);
    assert_int_equal (out->old_size, old_size);
    assert_int_equal (out->new_size, new_size);
}

/*  Kept: SHARED; then 4 with the proof from SHARED. */
static void
s_keep_shared_then_4 (fixture_t *f, witness_out_t *out)
{
    s_push (f, f->honest, f->honest, 0, SHARED, out);
    assert_int_equal (s_status (f, "checkpoint_size"), SHARED);
    s_push (f, f->honest, f->honest, SHARED, 4, out);
    assert_int_equal (s_status (f, "checkpoint_size"), 4);
    assert_non_null (out->cosigned); /* a witness cosigns what it kept */
    assert_false (s_alarmed (f->w));
}

/*  A fresh witness keeping SHARED then 4, and the receipts of entries
 *  0..n-1 in the tree of size n begun as one batch (not ended). */
static void
s_batch_of (fixture_t *f, witness_out_t *out, uint64_t n)
{
    s_fixture (f);
    s_keep_shared_then_4 (f, out);
    witness_batch_begin (f->w);
    for (uint64_t i = 0; i < n; i++)
        s_receipt (f, f->honest, i, n, out);
}

/*  The receipts of one drain, as a batch: those sharing a checkpoint are
 *  each proven and kept while the checkpoint is checked and offered
 *  once; a receipt with another, older checkpoint is still a rollback. */
static void
test_a_batch_proves_every_receipt_and_still_catches_a_rollback (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_batch_of (&f, &out, 6);
    assert_false (s_alarmed (f.w));
    assert_int_equal (s_verify (&f, "receipts"), 6);
    s_receipt (&f, f.honest, 1, 3, &out);
    assert_true (s_alarmed (f.w));
    witness_batch_end (f.w);
    assert_int_equal (s_verify (&f, "receipts"), 6);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  A batch's proofs against one checkpoint are kept in one row, the
 *  hashes neighbouring paths share written once; every proof is still
 *  checked by `log verify`, and a changed byte or a cut row is found. */
static void
test_a_batch_keeps_its_proofs_in_one_row_and_a_change_is_found (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_batch_of (&f, &out, ENTRIES);
    witness_batch_end (f.w);
    s_push (&f, f.honest, f.honest, 4, ENTRIES, &out); /* the proof the witness asked for */
    assert_false (s_alarmed (f.w));
    assert_int_equal (store_int (f.db, "SELECT count(*) FROM witness_proofs", -1), 1);
    assert_int_equal (store_int (f.db, "SELECT n FROM witness_proofs", -1), ENTRIES);
    /*  8 leaves: 3 hashes a path, 24 in all; 14 written. */
    enum { FIXED = KT_ID_LEN + 8 + 32 + 2 };
    assert_int_equal (store_int (f.db, "SELECT length(proofs) FROM witness_proofs", -1),
                      ENTRIES * FIXED + 14 * 32);
    assert_int_equal (s_status (&f, "receipts_proven"), ENTRIES);
    assert_int_equal (s_verify (&f, "receipts"), ENTRIES);
    assert_int_equal (s_verify (&f, "verified"), ENTRIES);
    /*  A byte of the first path's second hash, which the second path
     *  shares. */
    kt_reason_t r;
    assert_int_equal (store_exec (f.db,
                                  "UPDATE witness_proofs SET proofs = CAST(substr(proofs, 1, 99)"
                                  " || CASE WHEN substr(proofs, 100, 1) = x'00' THEN x'01'"
                                  " ELSE x'00' END || substr(proofs, 101) AS BLOB)",
                                  &r),
                      0);
    json_t *v = s_report (f.w);
    assert_non_null (v);
    assert_int_equal (json_integer_value (json_object_get (v, "failed")), 2);
    assert_int_equal (json_integer_value (json_object_get (v, "first_bad_index")), 0);
    json_decref (v);
    assert_int_equal (store_exec (f.db,
                                  "UPDATE witness_proofs SET proofs ="
                                  " substr(proofs, 1, length(proofs) - 1)",
                                  &r),
                      0);
    assert_int_equal (s_verify (&f, "failed"), ENTRIES);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  Its alarms when they cannot be read (the table renamed away, as a
 *  damaged page would fail a read): not known, -1 with the reason, never
 *  0 - the member says so in its heartbeat (log_witness_unreadable). */
static void
test_alarms_that_cannot_be_read_are_not_none (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_fixture (&f);
    s_keep_shared_then_4 (&f, &out);
    kt_reason_t r;
    assert_int_equal (witness_alarm_read (f.w, &r), 0);
    assert_int_equal (sqlite3_exec (f.db, "ALTER TABLE witness_alarm RENAME TO witness_alarm_away",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    memset (&r, 0, sizeof r);
    assert_int_equal (witness_alarm_read (f.w, &r), -1);
    assert_non_null (strstr (r.text, "read the alarms"));
    assert_null (witness_status (f.w));
    assert_int_equal (sqlite3_exec (f.db, "ALTER TABLE witness_alarm_away RENAME TO witness_alarm",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    /*  A fork's answer raises the alarm; read again, it is 1. */
    s_push (&f, f.fork, f.fork, SHARED, 6, &out);
    s_push (&f, f.fork, f.fork, 4, 6, &out);
    assert_int_equal (witness_alarm_read (f.w, &r), 1);
    assert_true (s_alarmed (f.w));
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  A fork after SHARED is consistent with SHARED: a proof from there,
 *  not from the kept 4, must not move the kept checkpoint to the fork's
 *  tree.  The witness asks for 4 -> 6, which the fork cannot prove. */
static void
test_a_push_is_kept_only_with_a_proof_from_the_kept_checkpoint (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_fixture (&f);
    s_keep_shared_then_4 (&f, &out);

    s_push (&f, f.fork, f.fork, SHARED, 6, &out);
    assert_int_equal (s_status (&f, "checkpoint_size"), 4);
    assert_false (s_alarmed (f.w));
    assert_null (out.cosigned);
    s_asks (&out, 4, 6);
    assert_int_equal (s_status (&f, "pending"), 1);

    /*  The fork's best answer: its own 4 -> 6. */
    s_push (&f, f.fork, f.fork, 4, 6, &out);
    assert_true (s_alarmed (f.w));
    assert_int_equal (s_status (&f, "checkpoint_size"), 4);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  The same with one history: the proof from SHARED does not keep 6 yet;
 *  the answer to 4 -> 6 does, without an alarm. */
static void
test_an_honest_push_from_an_older_size_is_kept_after_the_answer (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_fixture (&f);
    s_keep_shared_then_4 (&f, &out);

    s_push (&f, f.honest, f.honest, SHARED, 6, &out);
    assert_int_equal (s_status (&f, "checkpoint_size"), 4);
    s_asks (&out, 4, 6);
    s_push (&f, f.honest, f.honest, 4, 6, &out);
    assert_int_equal (s_status (&f, "checkpoint_size"), 6);
    assert_int_equal (s_status (&f, "pending"), 0);
    assert_false (s_alarmed (f.w));
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  A receipt in the fork's tree of 6 arrives while SHARED is kept; the
 *  kept checkpoint moves on to the honest 8; then the answer to
 *  SHARED -> 6 proves the fork's 6 extends SHARED - which says nothing
 *  about 6 against the kept 8.  The receipt must not count as verified;
 *  the witness asks 6 -> 8, and the fork's 6 fails that proof. */
static void
test_an_older_checkpoint_joins_the_chain_only_through_a_newer_one_in_it (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_fixture (&f);
    s_push (&f, f.honest, f.honest, 0, SHARED, &out);
    s_receipt (&f, f.fork, 4, 6, &out);
    s_asks (&out, SHARED, 6);
    s_push (&f, f.honest, f.honest, SHARED, ENTRIES, &out);
    assert_int_equal (s_status (&f, "checkpoint_size"), ENTRIES);

    s_push (&f, f.fork, f.fork, SHARED, 6, &out); /* the answer */
    assert_false (s_alarmed (f.w));
    assert_int_equal (s_verify (&f, "verified"), 0);
    assert_int_equal (s_verify (&f, "pending"), 1);
    s_asks (&out, 6, ENTRIES);

    s_push (&f, f.honest, f.honest, 6, ENTRIES, &out); /* the honest log's 6 -> 8 */
    assert_true (s_alarmed (f.w));
    assert_int_equal (s_verify (&f, "verified"), 0);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  The same with one history: the answer 6 -> 8 (a checkpoint of the
 *  kept size with a proof) brings 6, and the receipt in it, into the
 *  chain. */
static void
test_an_honest_older_checkpoint_is_proven_through_the_kept_one (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_fixture (&f);
    s_push (&f, f.honest, f.honest, 0, SHARED, &out);
    s_receipt (&f, f.honest, 4, 6, &out);
    s_push (&f, f.honest, f.honest, SHARED, ENTRIES, &out);
    s_push (&f, f.honest, f.honest, SHARED, 6, &out);
    assert_int_equal (s_verify (&f, "pending"), 1);
    s_asks (&out, 6, ENTRIES);

    s_push (&f, f.honest, f.honest, 6, ENTRIES, &out);
    assert_false (s_alarmed (f.w));
    assert_int_equal (s_verify (&f, "verified"), 1);
    assert_int_equal (s_verify (&f, "pending"), 0);
    assert_int_equal (s_status (&f, "pending"), 0);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  A request that is never answered (the uitvoerder lost that
 *  checkpoint's row in a crash, and refuses the size): once the kept
 *  checkpoint has moved past it, each heartbeat asks for a proof from the
 *  pending size to the kept one, which brings it and its receipt into
 *  the chain - or, for a tree of another history, raises the alarm. */
static void
s_pending_unasked (fixture_t *f, witness_out_t *out, bool fork)
{
    s_fixture (f);
    s_push (f, f->honest, f->honest, 0, SHARED, out);
    s_receipt (f, fork ? f->fork : f->honest, 4, 6, out);
    s_asks (out, SHARED, 6); /* never answered */
    s_push (f, f->honest, f->honest, SHARED, ENTRIES, out);
    assert_int_equal (s_status (f, "checkpoint_size"), ENTRIES);
    assert_int_equal (s_verify (f, "pending"), 1);
    witness_out_clear (out);
}

static void
s_pending_below_kept (fixture_t *f, witness_out_t *out, bool fork)
{
    s_pending_unasked (f, out, fork);
    witness_on_heartbeat (f->w, kt_now_ms (), out);
    s_asks (out, 6, ENTRIES);
}

static void
test_a_pending_checkpoint_whose_answer_never_came_is_asked_again (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_pending_below_kept (&f, &out, false);
    s_push (&f, f.honest, f.honest, 6, ENTRIES, &out);
    assert_false (s_alarmed (f.w));
    assert_int_equal (s_verify (&f, "verified"), 1);
    assert_int_equal (s_verify (&f, "pending"), 0);
    assert_int_equal (s_status (&f, "pending"), 0);
    /*  Nothing left to ask. */
    witness_out_clear (&out);
    witness_on_heartbeat (f.w, kt_now_ms (), &out);
    assert_false (out.request);
    s_fixture_destroy (&f);

    s_pending_below_kept (&f, &out, true);
    s_push (&f, f.honest, f.honest, 6, ENTRIES, &out);
    assert_true (s_alarmed (f.w));
    assert_int_equal (s_verify (&f, "verified"), 0);
    /*  After the alarm the operator decides; nothing is asked. */
    witness_out_clear (&out);
    witness_on_heartbeat (f.w, kt_now_ms (), &out);
    assert_false (out.request);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  While its alarms cannot be read, whether one was raised is not known:
 *  nothing is asked (after an alarm the operator decides first),
 *  `keten log verify` verifies nothing, and a re-anchoring is refused
 *  for that, not for "no alarm".  Readable again, it asks again. */
static void
test_alarms_that_cannot_be_read_fail_closed (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_pending_unasked (&f, &out, false);
    assert_int_equal (sqlite3_exec (f.db, "ALTER TABLE witness_alarm RENAME TO witness_alarm_away",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    witness_on_heartbeat (f.w, kt_now_ms (), &out);
    assert_false (out.request);
    kt_reason_t r = {""};
    assert_null (witness_verify (f.w, &r));
    assert_non_null (strstr (r.text, "read the alarms"));
    uint8_t root[32] = {0};
    json_t *result = NULL;
    memset (&r, 0, sizeof r);
    assert_int_equal (witness_reanchor (f.w, 4, root, 0, "root", "test", &result, &r), -1);
    assert_null (result);
    assert_non_null (strstr (r.text, "not known"));
    assert_null (strstr (r.text, "raised no alarm"));
    assert_int_equal (sqlite3_exec (f.db, "ALTER TABLE witness_alarm_away RENAME TO witness_alarm",
                                    NULL, NULL, NULL),
                      SQLITE_OK);
    witness_on_heartbeat (f.w, kt_now_ms (), &out);
    s_asks (&out, 6, ENTRIES);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  A checkpoint older than the kept one without a consistency proof is a
 *  push of the current tree (as a restarted uitvoerder's first): the log
 *  went back.  One with a proof from a tree seen here is an answer (to a
 *  request of ours, perhaps one long forgotten): not a rollback by
 *  itself, but asked about against the kept one. */
static void
test_an_older_checkpoint_without_a_proof_is_a_rollback (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_fixture (&f);
    s_keep_shared_then_4 (&f, &out);
    s_push (&f, f.honest, f.honest, 4, 6, &out);
    assert_int_equal (s_status (&f, "checkpoint_size"), 6);
    s_push (&f, f.honest, f.honest, 0, 5, &out);
    assert_true (s_alarmed (f.w));
    witness_out_clear (&out);
    s_fixture_destroy (&f);

    s_fixture (&f);
    s_keep_shared_then_4 (&f, &out);
    s_push (&f, f.honest, f.honest, 4, 6, &out);
    s_push (&f, f.honest, f.honest, SHARED, 5, &out);
    assert_false (s_alarmed (f.w));
    s_asks (&out, 5, 6);
    s_push (&f, f.honest, f.honest, 5, 6, &out);
    assert_false (s_alarmed (f.w));
    assert_int_equal (s_status (&f, "pending"), 0);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

#define LATE 20 /* answers outstanding, more than the witness remembers */

/*  After a break in the chain (an uitvoerder restarted or stalled), a
 *  member with a backlog gets receipts under LATE newer checkpoints, each
 *  unjoined to the kept one; only the first is asked about until its
 *  answer comes (one request in flight from a kept size, not one per
 *  batch).  The answers to requests about the others (as an older
 *  release sent them, or the same after a while without an answer)
 *  arrive afterwards, out of order, the newest first: each is older than
 *  the kept checkpoint then and carries a proof from the kept one of its
 *  time; more of them than the witness remembers requests.  From an
 *  honest log, none is a rollback; each is asked about against the kept
 *  one and joins the chain.  From a fork, the answer it can give to that
 *  request fails. */
static void
s_late_answers (fixture_t *f, witness_out_t *out)
{
    s_fixture (f);
    s_grow (f->honest, SHARED + LATE + 2);
    s_grow (f->fork, SHARED + LATE + 2);
    s_push (f, f->honest, f->honest, 0, SHARED, out);
    for (uint64_t i = 0; i < LATE; i++) {
        s_receipt (f, f->honest, SHARED + i, SHARED + i + 1, out);
        if (i == 0)
            s_asks (out, SHARED, SHARED + 1);
        else
            assert_false (out->request); /* one request in flight */
    }
    /*  The answers, the newest first. */
    s_push (f, f->honest, f->honest, SHARED, SHARED + LATE, out);
    assert_int_equal (s_status (f, "checkpoint_size"), SHARED + LATE);
    for (uint64_t i = LATE - 1; i >= 1; i--) {
        s_push (f, f->honest, f->honest, SHARED, SHARED + i, out);
        assert_false (s_alarmed (f->w));
        s_asks (out, SHARED + i, SHARED + LATE);
    }
    assert_int_equal (s_status (f, "checkpoint_size"), SHARED + LATE);
    assert_int_equal (s_verify (f, "pending"), LATE - 1);
}

static void
test_late_answers_are_judged_by_their_proofs_not_by_the_asks_remembered (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_late_answers (&f, &out);
    /*  The requests about the older ones answered: all in the chain. */
    for (uint64_t i = 1; i < LATE; i++)
        s_push (&f, f.honest, f.honest, SHARED + i, SHARED + LATE, &out);
    assert_false (s_alarmed (f.w));
    assert_int_equal (s_verify (&f, "verified"), LATE);
    assert_int_equal (s_verify (&f, "pending"), 0);
    assert_int_equal (s_status (&f, "pending"), 0);
    witness_out_clear (&out);
    witness_on_heartbeat (f.w, kt_now_ms (), &out);
    assert_false (out.request);
    s_fixture_destroy (&f);

    /*  A late "answer" from a fork, of a size not seen before: it extends
     *  SHARED (the fork does), so it is only asked about - and the fork
     *  cannot prove it a prefix of the kept tree. */
    for (int lie = 0; lie < 3; lie++) {
        s_fixture (&f);
        s_grow (f.honest, SHARED + LATE + 2);
        s_grow (f.fork, SHARED + LATE + 2);
        s_push (&f, f.honest, f.honest, 0, SHARED, &out);
        s_push (&f, f.honest, f.honest, SHARED, SHARED + LATE, &out);
        /*  The fork's tree of 5 with its (true) proof from SHARED. */
        s_push (&f, f.fork, f.fork, SHARED, 5, &out);
        assert_false (s_alarmed (f.w));
        s_asks (&out, 5, SHARED + LATE);
        if (lie == 0) /* the honest kept tree with the fork's proof */
            s_push (&f, f.honest, f.fork, 5, SHARED + LATE, &out);
        else if (lie == 1) /* the fork's own tree of the kept size */
            s_push (&f, f.fork, f.fork, 5, SHARED + LATE, &out);
        else /* the honest log's proof, from its own tree of 5 */
            s_push (&f, f.honest, f.honest, 5, SHARED + LATE, &out);
        assert_true (s_alarmed (f.w));
        assert_int_equal (s_status (&f, "checkpoint_size"), SHARED + LATE);
        witness_out_clear (&out);
        s_fixture_destroy (&f);
    }
}

/*  A note checked ahead (witness_preverify, while a receipt's envelope
 *  is verified on another thread) changes nothing of what follows: a good
 *  one then counts as verified and its receipt is proven and kept as
 *  always; one signed by another key is not remembered, and its receipt
 *  still raises the alarm. */
static void
test_a_note_checked_ahead_counts_only_when_it_verified (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_fixture (&f);
    s_keep_shared_then_4 (&f, &out);
    char *note = s_note (&f, f.honest, 5);
    int before = s_notes_verified;
    witness_preverify (f.w, (const uint8_t *) note, strlen (note));
    free (note);
    s_receipt (&f, f.honest, 4, 5, &out);
    assert_int_equal (s_notes_verified - before, 1); /* once, ahead */
    assert_false (s_alarmed (f.w));
    assert_int_equal (s_verify (&f, "receipts"), 1);
    /*  The log's key taken by another: its note checked ahead first. */
    uint8_t log_sk[64], other_pk[32];
    memcpy (log_sk, f.log_sk, sizeof log_sk);
    crypto_sign_keypair (other_pk, f.log_sk);
    note = s_note (&f, f.honest, 6);
    witness_preverify (f.w, (const uint8_t *) note, strlen (note));
    free (note);
    assert_false (s_alarmed (f.w));
    s_receipt (&f, f.honest, 5, 6, &out);
    assert_true (s_alarmed (f.w));
    assert_int_equal (s_verify (&f, "receipts"), 1); /* the forged one not kept */
    memcpy (f.log_sk, log_sk, sizeof log_sk);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  A drain's receipts under many checkpoints, each note checked ahead
 *  while its message opened, then settled in one batch: no note is
 *  verified twice, however many there are (16 are held; the rest are
 *  verified once, when settled). */
static void
test_notes_checked_ahead_are_each_verified_once (void **state)
{
    (void) state;
    for (uint64_t n = 1; n <= 25; n += 8) {
        for (int held = 0; held < 2; held++) {
            fixture_t f;
            witness_out_t out = {0};
            s_fixture (&f);
            s_grow (f.honest, 5 + n);
            s_keep_shared_then_4 (&f, &out);
            int before = s_notes_verified;
            /*  n receipts, each under the checkpoint of its own size,
             *  several times over (a burst of drains). */
            for (int round = 0; round < 1 + held * 20; round++)
                for (uint64_t i = 0; i < n; i++) {
                    char *note = s_note (&f, f.honest, 5 + i);
                    witness_preverify (f.w, (const uint8_t *) note, strlen (note));
                    free (note);
                }
            witness_batch_begin (f.w);
            for (uint64_t i = 0; i < n; i++)
                s_receipt (&f, f.honest, 4 + i, 5 + i, &out);
            witness_batch_end (f.w);
            assert_false (s_alarmed (f.w));
            assert_int_equal (s_notes_verified - before, (int) n);
            witness_out_clear (&out);
            s_fixture_destroy (&f);
        }
    }
}

/*  A receipt proven against a checkpoint newer than the kept one, with
 *  no consistency proof with it (as right after the uitvoerder
 *  restarted), waits for that proof: pending, not failed. */
static void
test_a_receipt_in_a_newer_checkpoint_waits (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_fixture (&f);
    s_keep_shared_then_4 (&f, &out);
    s_receipt (&f, f.honest, 5, 6, &out);
    s_asks (&out, 4, 6);
    assert_false (s_alarmed (f.w));
    json_t *v = s_report (f.w);
    assert_int_equal (json_integer_value (json_object_get (v, "failed")), 0);
    assert_int_equal (json_integer_value (json_object_get (v, "pending")), 1);
    json_decref (v);
    s_push (&f, f.honest, f.honest, 4, 6, &out);
    v = s_report (f.w);
    assert_int_equal (json_integer_value (json_object_get (v, "failed")), 0);
    assert_int_equal (json_integer_value (json_object_get (v, "pending")), 0);
    json_decref (v);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  A checkpoint the uitvoerder never joins to the kept one (a fork it
 *  will not prove) is asked about at every heartbeat, and after 10
 *  minutes of asking raises the alarm; heartbeats far apart (an outage)
 *  count a few seconds each. */
static void
test_a_checkpoint_never_joined_raises_the_alarm (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_fixture (&f);
    s_push (&f, f.honest, f.honest, 0, SHARED, &out);
    s_receipt (&f, f.fork, 4, 6, &out); /* the fork's tree of 6 */
    s_push (&f, f.honest, f.honest, SHARED, ENTRIES, &out);
    /*  Two heartbeats an hour apart (an outage between): 5 seconds of
     *  asking, no alarm. */
    uint64_t now = kt_now_ms ();
    witness_on_heartbeat (f.w, now, &out);
    now += 3600 * 1000;
    witness_out_clear (&out);
    witness_on_heartbeat (f.w, now, &out);
    assert_false (s_alarmed (f.w));
    int beats = 0;
    while (!s_alarmed (f.w) && beats < 1000) {
        now += 1000;
        witness_out_clear (&out);
        witness_on_heartbeat (f.w, now, &out); /* asks about 6; never answered */
        beats++;
    }
    assert_true (s_alarmed (f.w));
    assert_true (beats >= 590 && beats <= 600);
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  An accepted receipt without a proof is counted as unproven; one with
 *  a malformed proof (a 31-byte leaf) raises the alarm. */
static void
test_an_unproven_receipt_is_counted_a_malformed_one_alarms (void **state)
{
    (void) state;
    fixture_t f;
    witness_out_t out = {0};
    s_fixture (&f);
    s_keep_shared_then_4 (&f, &out);
    uint8_t id[KT_ID_LEN] = {0xb1, 0xee};
    Keten__Receipt rc = KETEN__RECEIPT__INIT;
    rc.message_id = (ProtobufCBinaryData){KT_ID_LEN, id};
    rc.status = KETEN__RECEIPT_STATUS__ACCEPTED;
    rc.log_index = 3;
    witness_out_clear (&out);
    witness_on_receipt (f.w, id, &rc, SENDER, NULL, &out);
    json_t *v = s_report (f.w);
    assert_int_equal (json_integer_value (json_object_get (v, "unproven")), 1);
    json_decref (v);
    assert_false (s_alarmed (f.w));
    /*  A refusal is proven by nothing, and counted as nothing. */
    id[0] = 0xb2;
    rc.status = KETEN__RECEIPT_STATUS__REFUSED;
    witness_on_receipt (f.w, id, &rc, SENDER, NULL, &out);
    v = s_report (f.w);
    assert_int_equal (json_integer_value (json_object_get (v, "unproven")), 1);
    json_decref (v);
    id[0] = 0xb3;
    rc.status = KETEN__RECEIPT_STATUS__ACCEPTED;
    uint8_t leaf[31] = {0};
    rc.checkpoint = (ProtobufCBinaryData){4, (uint8_t *) "note"};
    rc.leaf_hash = (ProtobufCBinaryData){sizeof leaf, leaf};
    witness_on_receipt (f.w, id, &rc, SENDER, NULL, &out);
    assert_true (s_alarmed (f.w));
    witness_out_clear (&out);
    s_fixture_destroy (&f);
}

/*  A receipt's proof binds its message only with the entry it carries:
 *  the entry is the proven leaf and records the arrival of that message,
 *  from this node, with the header it sent.  Any other entry raises the
 *  alarm; a receipt without one (an older uitvoerder), or whose header
 *  this node no longer knows, is counted as unproven, as a receipt
 *  without a proof is, and its checkpoint is still checked and kept. */
static void
test_a_receipt_binds_its_entry_to_the_message (void **state)
{
    (void) state;
    struct {
        lie_t lie;
        bool alarm;
        json_int_t unproven;
    } cases[] = {
        {LIE_NONE, false, 0},       {LIE_NO_ENTRY, false, 1}, {HEADER_UNKNOWN, false, 1},
        {LIE_OTHER_ID, true, 0},    {LIE_SENDER, true, 0},    {LIE_HEADER, true, 0},
        {LIE_ENTRY_BYTES, true, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        fixture_t f;
        witness_out_t out = {0};
        s_fixture (&f);
        s_receipt_as (&f, f.honest, 3, ENTRIES, cases[c].lie, &out);
        assert_int_equal (s_alarmed (f.w), cases[c].alarm);
        json_t *v = s_report (f.w);
        assert_int_equal (json_integer_value (json_object_get (v, "unproven")), cases[c].unproven);
        assert_int_equal (json_integer_value (json_object_get (v, "receipts")),
                          cases[c].alarm || cases[c].unproven ? 0 : 1);
        json_decref (v);
        /*  Unproven or not, an honest receipt's checkpoint is kept. */
        if (!cases[c].alarm)
            assert_int_equal (s_status (&f, "checkpoint_size"), ENTRIES);
        witness_out_clear (&out);
        s_fixture_destroy (&f);
    }
}

/*  Only an arrival, or what the uitvoerder records of a message at once,
 *  proves an accepted message: an entry that records it refused, sent by
 *  the uitvoerder, destroyed, or nothing at all does not, whatever it
 *  names. */
static void
test_only_an_arrival_entry_proves_an_acceptance (void **state)
{
    (void) state;
    struct {
        Keten__LogEvent event;
        bool alarm;
    } cases[] = {
        {KETEN__LOG_EVENT__MESSAGE_REFUSED, true},
        {KETEN__LOG_EVENT__LOG_EVENT_UNSPECIFIED, true},
        {KETEN__LOG_EVENT__MESSAGE_SENT, true},
        {KETEN__LOG_EVENT__DESTROYED, true},
        {KETEN__LOG_EVENT__INFORMATION_ANSWERED, false},
        {KETEN__LOG_EVENT__INCIDENT_REGISTERED, false},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        fixture_t f;
        witness_out_t out = {0};
        s_fixture (&f);
        kt_reason_t r;
        assert_int_equal (provlog_begin (f.honest, &r), 0);
        Keten__LogEntry e;
        uint8_t id[KT_ID_LEN], header[32];
        s_arrival (&e, ENTRIES, id, header);
        e.event = cases[c].event;
        uint64_t index;
        assert_int_equal (provlog_append (f.honest, &e, &index, &r), 0);
        assert_int_equal (provlog_commit (f.honest, &r), 0);
        s_receipt_as (&f, f.honest, ENTRIES, ENTRIES + 1, LIE_NONE, &out);
        assert_int_equal (s_alarmed (f.w), cases[c].alarm);
        witness_out_clear (&out);
        s_fixture_destroy (&f);
    }
}

int
main (void)
{
    kt_log_set_level (KT_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_receipt_binds_its_entry_to_the_message),
        cmocka_unit_test (test_only_an_arrival_entry_proves_an_acceptance),
        cmocka_unit_test (test_a_batch_proves_every_receipt_and_still_catches_a_rollback),
        cmocka_unit_test (test_a_note_checked_ahead_counts_only_when_it_verified),
        cmocka_unit_test (test_notes_checked_ahead_are_each_verified_once),
        cmocka_unit_test (test_a_batch_keeps_its_proofs_in_one_row_and_a_change_is_found),
        cmocka_unit_test (test_a_push_is_kept_only_with_a_proof_from_the_kept_checkpoint),
        cmocka_unit_test (test_an_honest_push_from_an_older_size_is_kept_after_the_answer),
        cmocka_unit_test (test_an_older_checkpoint_joins_the_chain_only_through_a_newer_one_in_it),
        cmocka_unit_test (test_an_honest_older_checkpoint_is_proven_through_the_kept_one),
        cmocka_unit_test (test_an_older_checkpoint_without_a_proof_is_a_rollback),
        cmocka_unit_test (test_late_answers_are_judged_by_their_proofs_not_by_the_asks_remembered),
        cmocka_unit_test (test_a_pending_checkpoint_whose_answer_never_came_is_asked_again),
        cmocka_unit_test (test_alarms_that_cannot_be_read_fail_closed),
        cmocka_unit_test (test_a_receipt_in_a_newer_checkpoint_waits),
        cmocka_unit_test (test_alarms_that_cannot_be_read_are_not_none),
        cmocka_unit_test (test_a_checkpoint_never_joined_raises_the_alarm),
        cmocka_unit_test (test_an_unproven_receipt_is_counted_a_malformed_one_alarms),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
