/*  decisionbox: the weegploeg decisions a kernpartij node received (art.
 *  8.2), in node.db; the analysis is personal data and is sealed under a
 *  key of its own.  decisionbox_check is the one place a received decision
 *  is checked.
 */
#ifndef KETEN_DECISIONBOX_H
#define KETEN_DECISIONBOX_H

#include "keten.pb-c.h"
#include "keystore.h"
#include "util.h"

#include <stdbool.h>
#include <sqlite3.h>

typedef struct _decisionbox_t decisionbox_t;

decisionbox_t *decisionbox_new (sqlite3 *db, keystore_t *keystore, kt_reason_t *reason);
void decisionbox_destroy (decisionbox_t **self_p);

int decisionbox_check (const Keten__WeegploegDecision *d, kt_reason_t *reason);
/*  Store d once (a repeat of a stored decision changes nothing). */
int decisionbox_store (decisionbox_t *self, const Keten__WeegploegDecision *d, uint64_t now_ms,
                       kt_reason_t *reason);
/*  One decision received, without the analysis; strings borrowed for the
 *  callback. */
typedef struct {
    const char *decision_id;
    const char *case_ref;
    bool agenderen; /* else niet agenderen */
    const char *referentiekader;
    const char *criteria; /* "a,b" */
    const char *parties;  /* "a,b" */
    uint64_t decided_ms;
    uint64_t received_ms;
    const char *referentiekader_sha256; /* hex; "" when the decision carried none */
    bool meer_informatie; /* art. 7.4 sub 1 */
    const char *asked;    /* meer informatie: the kernpartij asked; else "" */
    uint64_t answered_ms; /* when this node answered it; 0 not */
    bool open;            /* meer informatie, no later decision received */
} decisionbox_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (decisionbox_row_fn) (void *arg, const decisionbox_row_t *row, kt_reason_t *reason);
/*  Decisions, newest first, at most limit, each to fn. */
int decisionbox_each (decisionbox_t *self, int limit, decisionbox_row_fn *fn, void *arg,
                      kt_reason_t *reason);
/*  One decision, decrypted (free with keten__weegploeg_decision__free_unpacked). */
int decisionbox_get (decisionbox_t *self, const char *id, Keten__WeegploegDecision **d_p,
                     kt_reason_t *reason);

/*  art. 13 destruction, inside the caller's transaction on node.db: delete
 *  every decision about case_ref and hand back the ids of the keys they
 *  were sealed under (*key_ids_p: heap, *n_p ids of KEYSTORE_ID_LEN
 *  bytes, free()), to be shredded once that transaction committed. */
int decisionbox_forget (decisionbox_t *self, const char *case_ref, uint8_t **key_ids_p, size_t *n_p,
                        kt_reason_t *reason);
/*  art. 8.4: the node is no longer a kernpartij.  decisionbox_forget of
 *  every decision kept. */
int decisionbox_forget_all (decisionbox_t *self, uint8_t **key_ids_p, size_t *n_p,
                            kt_reason_t *reason);
/*  Whether db has the decision table (the node was a kernpartij once). */
bool decisionbox_present (sqlite3 *db);

/* ---- meer informatie (art. 7.4 sub 1) ------------------------------------ */

/*  What answering decision id needs (no personal data). */
typedef struct {
    char case_ref[40];
    int outcome; /* Keten__DecisionOutcome */
    char asked[65];
    bool open; /* no later decision received on the subject */
} decisionbox_asked_t;
/*  1 found (a filled), 0 no such decision here, -1 with reason. */
int decisionbox_asked (decisionbox_t *self, const char *id, decisionbox_asked_t *a,
                       kt_reason_t *reason);
/*  Record that this node answered id with message_id, inside the
 *  caller's transaction on node.db (the one that queues the answer). */
int decisionbox_mark_answered (decisionbox_t *self, const char *id,
                               const uint8_t message_id[KT_ID_LEN], uint64_t now_ms,
                               kt_reason_t *reason);

#endif
