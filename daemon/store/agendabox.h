/*  agendabox: the weegploeg agendas a kernpartij node received (art. 8.2)
 *  and the casusoverleg agendas any partner node received (art. 9-10),
 *  newest version of each meeting, in node.db.  The agenda carries
 *  personal data, so its body is sealed under a key of its own in the
 *  keystore; the clear columns hold only times, place, ids and
 *  case_refs.  agendabox_check is the one place a received agenda is
 *  checked before anything else sees it.
 */
#ifndef KETEN_AGENDABOX_H
#define KETEN_AGENDABOX_H

#include "items.h"
#include "keten.pb-c.h"
#include "keystore.h"
#include "store.h"
#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct _agendabox_t agendabox_t;

typedef enum {
    AGENDA_NEW,       /* first version of this meeting here */
    AGENDA_UPDATED,   /* a newer version replaced the stored one */
    AGENDA_CANCELLED, /* a newer version cancels the meeting */
    AGENDA_STALE      /* not newer than what is stored: nothing changed */
} agenda_event_t;

const char *agenda_event_name (agenda_event_t event);

/*  db and keystore are borrowed.  Makes the agenda table if needed. */
agendabox_t *agendabox_new (sqlite3 *db, keystore_t *keystore, kt_reason_t *reason);
void agendabox_destroy (agendabox_t **self_p);

/*  Whether db has the agenda table (this node took an agenda before): a
 *  node that is not a kernpartij makes it with its first casusoverleg
 *  agenda, and keeps nothing agenda-shaped until then. */
bool agendabox_present (sqlite3 *db);

/*  Refuse an agenda whose fields are out of bounds or malformed, or whose
 *  kind is not that of the message type it came as (WEEGPLOEG_AGENDA or
 *  CASUS_AGENDA).  A casusoverleg agenda's items carry no signals, and
 *  for an externe casuspartner (to_extern) no subject either (art. 10.5). */
int agendabox_check (const Keten__WeegploegAgenda *agenda, Keten__MessageType type, bool to_extern,
                     kt_reason_t *reason);

/*  Store a checked agenda if it is newer than the stored version. */
int agendabox_store (agendabox_t *self, const uint8_t message_id[KT_ID_LEN],
                     const Keten__WeegploegAgenda *agenda, uint64_t now_ms, agenda_event_t *event_p,
                     kt_reason_t *reason);

/*  One meeting received, without personal data; strings borrowed for the
 *  callback. */
typedef struct {
    const char *meeting_id;
    const char *kind; /* "weegploeg" or "casusoverleg" */
    int64_t sequence;
    bool cancelled;
    const char *starts_at;
    int duration_min;
    const char *location;
    const char *case_refs; /* "k-..,k-.." */
    uint64_t received_ms;
} agendabox_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (agendabox_row_fn) (void *arg, const agendabox_row_t *row, kt_reason_t *reason);
/*  Meetings of both kinds, soonest first, at most limit, each to fn. */
int agendabox_each (agendabox_t *self, int limit, agendabox_row_fn *fn, void *arg,
                    kt_reason_t *reason);

/*  The stored agenda of meeting_id, decrypted (free with
 *  keten__weegploeg_agenda__free_unpacked). */
int agendabox_get (agendabox_t *self, const char *meeting_id, Keten__WeegploegAgenda **agenda_p,
                   kt_reason_t *reason);

/*  ---- retention (art. 13, the partner's side: retainbox.c) ---------- */

/*  Take one case_ref named by a stored agenda, with when that agenda was
 *  received and whether it is a casusoverleg agenda (the subject was
 *  agendered): 0 go on, 1 stop, -1 error with reason. */
typedef int (agendabox_case_fn) (void *arg, const char *case_ref, uint64_t received_ms,
                                 bool casusoverleg, kt_reason_t *reason);
/*  Every case_ref of every stored agenda, each to fn. */
int agendabox_each_case (agendabox_t *self, agendabox_case_fn *fn, void *arg, kt_reason_t *reason);

/*  The meetings whose agenda names case_ref, each to fn (text: the
 *  meeting id). */
int agendabox_meetings_of (agendabox_t *self, const char *case_ref, store_text_fn *fn, void *arg,
                           kt_reason_t *reason);

/*  Take a meeting whose agenda lost case_ref's items, and the id of the
 *  key it was sealed under before (to be shredded once the caller's
 *  transaction committed): 0, or -1 with reason. */
typedef int (agendabox_strip_fn) (void *arg, const char *meeting_id,
                                  const uint8_t old_key_id[KEYSTORE_ID_LEN], kt_reason_t *reason);
/*  Drop case_ref's items from every stored agenda naming it (art. 13
 *  destruction), inside the caller's transaction on node.db: each such
 *  agenda is sealed again without them under a new key (committed in
 *  keystore.db first: a crash leaves an unused key), its case_refs
 *  column follows, and fn learns the old key.  A meeting left without
 *  items keeps its time and place.  Idempotent: an agenda that no longer
 *  names case_ref is not touched. */
int agendabox_strip (agendabox_t *self, const char *case_ref, agendabox_strip_fn *fn, void *arg,
                     kt_reason_t *reason);

/*  ---- a node that is no longer a kernpartij (art. 8.4) --------------- */

/*  The weegploeg meetings stored (casusoverleg ones not), each to fn
 *  (text: the meeting id). */
int agendabox_each_weegploeg (agendabox_t *self, store_text_fn *fn, void *arg, kt_reason_t *reason);
/*  Delete every weegploeg agenda, inside the caller's transaction on
 *  node.db: fn learns each meeting and the key it was sealed under (to be
 *  shredded once that transaction committed).  Casusoverleg agendas stay.
 *  Returns how many, or -1 with reason. */
int64_t agendabox_forget_weegploeg (agendabox_t *self, agendabox_strip_fn *fn, void *arg,
                                    kt_reason_t *reason);

/*  ---- correction (art. 12.5-12.6, the partner's side) --------------- */

/*  Apply a correction of the signal sent as signal_id (the whole signal
 *  for a deletion, or c) to every stored agenda naming case_ref, inside
 *  the caller's transaction on node.db: each agenda that changes is
 *  sealed again under a new key (committed in keystore.db first), and fn
 *  learns the meeting and its old key, to be shredded once the caller's
 *  transaction committed.  Idempotent. */
int agendabox_correct (agendabox_t *self, const char *case_ref, const uint8_t signal_id[KT_ID_LEN],
                       bool whole_signal, const items_change_t *c, agendabox_strip_fn *fn,
                       void *arg, kt_reason_t *reason);

#endif
