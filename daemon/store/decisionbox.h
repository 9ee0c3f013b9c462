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

#include <jansson.h>
#include <sqlite3.h>

typedef struct _decisionbox_t decisionbox_t;

decisionbox_t *decisionbox_new (sqlite3 *db, keystore_t *keystore, kt_reason_t *reason);
void decisionbox_destroy (decisionbox_t **self_p);

int decisionbox_check (const Keten__WeegploegDecision *d, kt_reason_t *reason);
/*  Store d once (a repeat of a stored decision changes nothing). */
int decisionbox_store (decisionbox_t *self, const Keten__WeegploegDecision *d, uint64_t now_ms,
                       kt_reason_t *reason);
/*  Decisions, newest first, without the analysis. */
json_t *decisionbox_list (decisionbox_t *self, int limit);
/*  One decision, decrypted (free with keten__weegploeg_decision__free_unpacked). */
int decisionbox_get (decisionbox_t *self, const char *id, Keten__WeegploegDecision **d_p,
                     kt_reason_t *reason);

#endif
