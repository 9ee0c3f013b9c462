/*  signalbox: a partner node's own record of the signals it submitted
 *  (node.db), with the personal fields sealed under a per-signal data key
 *  from the keystore; its delivery state is the outbox's.  Police
 *  signals under art. 9/10 Wpg are kept here "held" and not queued
 *  (Wpg machtigingsbesluit: they leave only after the investigation
 *  interest check and OM consultation are recorded).  Spool signals in
 *  confirm mode wait here too, "awaiting", for the police representative
 *  (art. 7.2a).
 */
#ifndef KETEN_SIGNALBOX_H
#define KETEN_SIGNALBOX_H

#include "items.h"
#include "keten.pb-c.h"
#include "keystore.h"
#include "outbox.h"
#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _signalbox_t signalbox_t;

signalbox_t *signalbox_new (sqlite3 *db, keystore_t *keystore, kt_reason_t *reason);
/*  Take the keys of new signals from the keystore's pool (keystore_take),
 *  keeping out any pooled key a signal uses already. */
int signalbox_key_pool (signalbox_t *self, kt_reason_t *reason);
/*  The outbox (borrowed) whose rows of signals queued as they are take
 *  their envelope before such a signal's row goes or is sealed anew
 *  (signalbox_insert_queued).  Without it such a row is neither deleted
 *  nor sealed anew. */
void signalbox_hand_to (signalbox_t *self, outbox_t *outbox);
void signalbox_destroy (signalbox_t **self_p);

/*  Record a signal inside the caller's node.db transaction; its data key
 *  is written inside the caller's keystore transaction (committed
 *  first).  packed: the signal as keten__signal__pack wrote it, when the
 *  caller has it already (NULL: packed here).  held: not to be queued. */
int signalbox_insert (signalbox_t *self, const uint8_t id[KT_ID_LEN], const Keten__Signal *signal,
                      const uint8_t *packed, size_t packed_len, bool held, uint32_t uid,
                      uint64_t now_ms, kt_reason_t *reason);

/*  Record a signal queued as it is (neither held nor awaiting a
 *  confirmation) in the caller's node.db transaction, sealed once (issue
 *  #17): its body is header, the envelope it is queued in, sealed with
 *  key_id's data key (keystore_take) as its content key; the caller
 *  queues it with no header of the outbox row's own (outbox_add), and
 *  signalbox_envelope gives it to the outbox.  via_spool: a spool signal,
 *  marked as signalbox_mark_spool would (its representative the
 *  signal's).  The row is inserted by signalbox_flush, with the group's
 *  others in a few statements; until then no statement reads it.  Read
 *  back (a correction) with envelope_open_own.  Before such a row goes or
 *  is sealed anew, an outbox row still waiting to send it takes the
 *  envelope's bytes (outbox_keep_header, through signalbox_hand_to's
 *  outbox).  -1 with reason when out of memory. */
int signalbox_insert_queued (signalbox_t *self, const uint8_t id[KT_ID_LEN],
                             const Keten__Signal *signal, const uint8_t key_id[KEYSTORE_ID_LEN],
                             const uint8_t *header, size_t header_len, uint32_t uid,
                             uint64_t now_ms, bool via_spool, kt_reason_t *reason);
/*  The rows signalbox_insert_queued took, inserted in the caller's
 *  transaction (then none is left): 0, or -1 with reason (roll back). */
int signalbox_flush (signalbox_t *self, kt_reason_t *reason);
/*  Those rows let go instead (the transaction is rolled back). */
void signalbox_flush_drop (signalbox_t *self);
/*  The envelope a signal was queued in (signalbox_insert_queued): 1 with
 *  *header_p (heap) and *len_p, 0 when no such row is here, -1 with
 *  reason. */
int signalbox_envelope (signalbox_t *self, const uint8_t id[KT_ID_LEN], uint8_t **header_p,
                        size_t *len_p, kt_reason_t *reason);

/*  Release a held art. 9/10 Wpg signal inside the caller's node.db
 *  transaction: record who released it (uid) and which OM officer and
 *  bevoegd functionaris were consulted (sealed, like the rest of the
 *  signal), and return the signal to be queued (free with
 *  keten__signal__free_unpacked).  Fails when the signal is unknown, not
 *  held, or still awaits the representative's confirmation. */
int signalbox_release (signalbox_t *self, const uint8_t id[KT_ID_LEN], uint32_t uid,
                       const char *om_consulted, const char *functionaris, uint64_t now_ms,
                       Keten__Signal **signal_p, kt_reason_t *reason);

/*  art. 7.2a, inside the caller's transaction (after signalbox_insert):
 *  the signal came from the police spool, in representative's name
 *  (NULL or "": none configured); awaiting: it waits for a member of the
 *  representative group to confirm it (confirm mode), not queued. */
int signalbox_mark_spool (signalbox_t *self, const uint8_t id[KT_ID_LEN], bool awaiting,
                          const char *representative, kt_reason_t *reason);
/*  art. 7.2a, inside the caller's transaction: record that user (uid)
 *  confirmed the awaiting signal id, seal it again carrying confirmed_by,
 *  and hand it back to be sent (free with keten__signal__free_unpacked);
 *  *held: it is art. 9/10 Wpg data and still waits for its release.
 *  Fails, naming the id, when it is unknown or does not await
 *  confirmation. */
int signalbox_confirm (signalbox_t *self, const uint8_t id[KT_ID_LEN], uint32_t uid,
                       const char *user, uint64_t now_ms, Keten__Signal **signal_p, bool *held,
                       kt_reason_t *reason);

/*  A signal's origin and state: 1 found, 0 not here, -1 with reason. */
typedef struct {
    bool via_spool; /* from the police spool: the representative's (art. 7.2a) */
    bool awaiting;  /* waits for a representative's confirmation */
    bool held;      /* waits for its Wpg release */
    bool released;  /* released: art. 9/10 Wpg data that left by its release */
} signalbox_meta_t;
int signalbox_meta (signalbox_t *self, const uint8_t id[KT_ID_LEN], signalbox_meta_t *meta,
                    kt_reason_t *reason);

/*  One signal's metadata (no personal data); strings borrowed for the
 *  callback.  Its delivery is the outbox's to tell (outbox_status). */
typedef struct {
    bool has_id;
    uint8_t message_id[KT_ID_LEN];
    const char *local_ref;
    const char *category;
    bool held;
    uint64_t created_ms;
    bool released;
    uint64_t released_ms;
    bool via_spool, awaiting;
    const char *representative; /* NULL: none */
    const char *confirmed_by;   /* the OS user who confirmed it, NULL: not confirmed */
    uint64_t confirmed_ms;
} signalbox_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (signalbox_row_fn) (void *arg, const signalbox_row_t *row, kt_reason_t *reason);
/*  The signals, newest first, at most limit, each to fn. */
int signalbox_each (signalbox_t *self, int limit, signalbox_row_fn *fn, void *arg,
                    kt_reason_t *reason);

/*  art. 13 destruction, inside the caller's transaction on node.db: delete
 *  the signal sent as id and hand back the id of its key (*found false:
 *  no such signal here) to be shredded once that transaction committed. */
int signalbox_forget (signalbox_t *self, const uint8_t id[KT_ID_LEN],
                      uint8_t key_id[KEYSTORE_ID_LEN], bool *found, kt_reason_t *reason);
/*  Take a signal's message id: 0 go on, 1 stop, -1 error with reason. */
typedef int (signalbox_id_fn) (void *arg, const uint8_t id[KT_ID_LEN], kt_reason_t *reason);
/*  The signals awaiting confirmation, oldest first, each to fn. */
int signalbox_each_awaiting (signalbox_t *self, signalbox_id_fn *fn, void *arg,
                             kt_reason_t *reason);
/*  The signals made before before_ms, oldest first, each to fn. */
int signalbox_each_before (signalbox_t *self, uint64_t before_ms, signalbox_id_fn *fn, void *arg,
                           kt_reason_t *reason);

/*  art. 12.5-12.6, the sender's own record: apply c to the signal sent as
 *  id (as the uitvoerder keeps it: items keep their places; strict as
 *  items_apply_kept), sealed again under a new key, or delete it
 *  (whole_signal), inside the caller's transaction on node.db (the new
 *  key commits in keystore.db first).  *found false: no such signal
 *  here.  old_key_id receives the key to shred once that transaction
 *  committed. */
int signalbox_correct (signalbox_t *self, const uint8_t id[KT_ID_LEN], bool whole_signal,
                       items_change_t *c, bool strict, uint8_t old_key_id[KEYSTORE_ID_LEN],
                       bool *found, kt_reason_t *reason);

/*  Whether this node sent (and keeps) the signal sent as id: 1, 0, -1. */
int signalbox_has (signalbox_t *self, const uint8_t id[KT_ID_LEN], kt_reason_t *reason);

#endif
