/*  disclosed: where each item the uitvoerder passed on in the casusoverleg
 *  came from, kept in the casusoverleg file beside the disclosure records
 *  (casusoverleg.c).  A disclosure to an externe casuspartner (art. 10.5)
 *  and a share with a participant (art. 9.2, 10.4) carry copies of items
 *  of signals and contributions; their sealed body holds the items only.
 *  This table names, for each place in a disclosure's items, the message
 *  the item came from and its index there (ids only, in the clear, as a
 *  consent's items are), and the recipient, so that a correction of a
 *  signal's item (art. 12.5-12.6) finds every copy passed on and the
 *  party that holds it.
 */
#ifndef KETEN_DISCLOSED_H
#define KETEN_DISCLOSED_H

#include "keten.pb-c.h"
#include "keystore.h"
#include "store.h"
#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/*  The module's migrations, run on the casusoverleg file
 *  (casusoverleg_open). */
extern const char *const disclosed_migrations[];
extern const size_t disclosed_n_migrations;

/*  Record that item k (0..n-1) of disclosure message_id, to recipient in
 *  case_ref, is item indexes[k] of message sources[k] (inside the
 *  caller's transaction with the disclosure's record).  A source that is
 *  NULL names a place whose origin is unknown (a disclosure recorded
 *  before this table, whose item no longer matches its source): it is
 *  recorded as such, and no correction reaches it. */
int disclosed_record (sqlite3 *db, const char *case_ref, const uint8_t message_id[KT_ID_LEN],
                      const char *recipient, size_t n, const uint8_t *const *sources,
                      const uint32_t *indexes, kt_reason_t *reason);

/*  One place an item was passed on at; blobs and strings borrowed for the
 *  callback. */
typedef struct {
    const uint8_t *message_id; /* the disclosure's (its copy's) */
    const char *recipient;
    uint32_t position;   /* in the disclosure's items, from 0 */
    uint32_t item_index; /* in the source message's items, from 0 */
} disclosed_t;
/*  Take one place: 0 go on, 1 stop, -1 error with reason. */
typedef int (disclosed_fn) (void *arg, const disclosed_t *row, kt_reason_t *reason);
/*  Every place an item of message source_id of case_ref was passed on at,
 *  by disclosure and position, each to fn. */
int disclosed_each (sqlite3 *db, const char *case_ref, const uint8_t source_id[KT_ID_LEN],
                    disclosed_fn *fn, void *arg, kt_reason_t *reason);

/*  art. 13 destruction, inside the caller's transaction: case_ref's
 *  rows go with its disclosures. */
int disclosed_forget (sqlite3 *db, const char *case_ref, kt_reason_t *reason);

/*  art. 12.5: item in place position of disclosure d (its message id
 *  id, sealed under key as its body), as the uitvoerder's record and a
 *  participant's copy both keep it.  1 with *sealed_p (heap) the body
 *  sealed again with the new item, 0 when the place reads so already (a
 *  step repeated), -1 with reason (a position d does not have, out of
 *  memory).  d is left as it was. */
int disclosed_reseal (Keten__DisclosureConsent *d, uint32_t position, const Keten__SignalItem *item,
                      const uint8_t key[KEYSTORE_KEY_LEN], const uint8_t id[KT_ID_LEN],
                      uint8_t **sealed_p, size_t *sealed_len_p, kt_reason_t *reason);

#endif
