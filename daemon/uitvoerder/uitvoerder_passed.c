/*  uitvoerder_passed: a correction (art. 12.5-12.6) of a signal whose
 *  items were passed on in the casusoverleg - shared with a participant
 *  (art. 9.2, 10.4: `keten case share`) or disclosed to an externe
 *  casuspartner (art. 10.5: `keten case disclose`).  Each such copy is a
 *  disclosure record in the casusoverleg file, and disclosed.c names the
 *  signal and item every place in it came from, and its recipient.
 *
 *  - The records follow the signal (uitvoerder_passed_correct, in the
 *    correction's casusoverleg step): each place reads as the item does
 *    now, or, when it is gone, blocked or may no longer go to that
 *    recipient, as an empty item marked deleted or blocked.  Every step
 *    is idempotent, so a start repeats it after a crash.
 *  - The places each participant holds (uitvoerder_passed_places) go
 *    into that participant's correction notice (uitvoerder_correction.c),
 *    so it is a holder that confirms; an externe casuspartner is told of
 *    its own places only, and given an item's new text only for a place
 *    that holds that item (art. 10.5).
 *  - Disclosures recorded before their places were (by a version of
 *    keten before this) hold no places: no correction reaches them.
 *    Matching their items to the case's signals by content would name
 *    a signal its recipient was never given whenever two items read
 *    the same.
 */
#include "uitvoerder.h"

#include "disclosed.h"
#include "items.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

const Keten__SignalItem *
uitvoerder_passed_now (const Keten__Signal *s, const uint8_t id[KT_ID_LEN], uint32_t k,
                       const roster_member_t *to, Keten__SignalItem *copy, Keten__SignalItem *empty)
{
    keten__signal_item__init (empty);
    if (!s || k >= s->n_items || s->items[k]->deleted) {
        empty->deleted = true;
        return empty;
    }
    /*  art. 12.5: a blocked item is shown to nobody; a copy passed on
     *  keeps nothing of it (the notice that unblocks it carries it). */
    if (s->items[k]->blocked) {
        empty->blocked = true;
        return empty;
    }
    /*  The rules it was passed on under, asked again of the item as it
     *  reads now (its legal basis may have changed): what may no longer
     *  go to this recipient leaves its copy. */
    casusoverleg_supplied_t as_supplied = {.signal = (Keten__Signal *) s};
    kt_reason_t why;
    if (!to || uitvoerder_casework_item_ok (&as_supplied, id, k, to, &why) != 0) {
        empty->deleted = true;
        return empty;
    }
    /*  As s_pick (uitvoerder_disclose.c) passes it: the basis explicit. */
    *copy = *s->items[k];
    if (!*copy->legal_basis)
        copy->legal_basis = s->legal_basis;
    return copy;
}

/* ---- where the signal's items were passed on ------------------------------- */

typedef struct {
    uitvoerder_places_t *out;
    bool whole;
    uint32_t item_index;
} gather_t;

static int
s_place_row (void *arg, const disclosed_t *row, kt_reason_t *reason)
{
    gather_t *g = arg;
    if (!g->whole && row->item_index != g->item_index)
        return 0;
    uitvoerder_places_t *p = g->out;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        uitvoerder_place_t *grown = realloc (p->rows, cap * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "out of memory");
        p->rows = grown;
        p->cap = cap;
    }
    uitvoerder_place_t *at = &p->rows[p->n++];
    snprintf (at->recipient, sizeof at->recipient, "%s", row->recipient);
    memcpy (at->message_id, row->message_id, KT_ID_LEN);
    at->position = row->position;
    at->item_index = row->item_index;
    return 0;
}

int
uitvoerder_passed_places (node_t *self, const char *case_ref, const uint8_t signal_id[KT_ID_LEN],
                          bool whole, uint32_t item_index, bool held_only, uitvoerder_places_t *out,
                          kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    memset (out, 0, sizeof *out);
    gather_t g = {out, whole, item_index};
    if (disclosed_each (casusoverleg_db (u->casus), case_ref, signal_id, s_place_row, &g, reason) !=
        0) {
        uitvoerder_places_free (out);
        return -1;
    }
    if (!held_only)
        return 0;
    /*  A copy its recipient refused, or one that expired or was
     *  withdrawn on its way (never to be offered again), is taken not to
     *  have reached it: it holds nothing there - unless its receipt came
     *  all the same after the withdrawal (relay_taken_late).  One still on
     *  its way (pending, held, not yet kept) will: the notice, kept after
     *  it, follows it to the member. */
    size_t kept = 0;
    for (size_t i = 0; i < out->n; i++) {
        bool holds = true;
        int found = relay_holds (u->relay, out->rows[i].message_id, &holds, reason);
        if (found < 0) {
            uitvoerder_places_free (out);
            return -1;
        }
        if (found && !holds)
            continue;
        out->rows[kept++] = out->rows[i];
    }
    out->n = kept;
    return 0;
}

void
uitvoerder_places_free (uitvoerder_places_t *p)
{
    free (p->rows);
    memset (p, 0, sizeof *p);
}

/* ---- the casusoverleg file's records follow ------------------------------- */

int
uitvoerder_passed_correct (node_t *self, const char *case_ref, const uint8_t signal_id[KT_ID_LEN],
                           bool whole, uint32_t item_index, const Keten__Signal *s,
                           kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    uitvoerder_places_t places;
    if (uitvoerder_passed_places (self, case_ref, signal_id, whole, item_index, false, &places,
                                  reason) != 0)
        return -1;
    const roster_t *roster = keyring_roster (self->keyring);
    int rc = 0;
    size_t changed = 0;
    for (size_t i = 0; rc == 0 && i < places.n; i++) {
        const uitvoerder_place_t *at = &places.rows[i];
        Keten__SignalItem copy, empty;
        /*  The record says what its recipient holds: the item as it may
         *  reach that recipient now (a member that left: nothing). */
        const Keten__SignalItem *now = uitvoerder_passed_now (
            s, signal_id, at->item_index, roster_find (roster, at->recipient), &copy, &empty);
        int set = casusoverleg_disclosure_set_item (u->casus, case_ref, at->message_id,
                                                    at->position, now, reason);
        if (set < 0)
            rc = -1;
        else
            changed += (size_t) set;
    }
    /*  secure_delete overwrote the old bodies' pages; the WAL that holds
     *  them is emptied too - also when a crash came after the change and
     *  before this, so whenever a record holds a place of the signal.  A
     *  reader holding the WAL fails the step, which is tried again. */
    if (rc == 0 && places.n > 0 &&
        store_checkpoint (casusoverleg_db (u->casus), "casusoverleg.db", reason) != 0)
        rc = -1;
    if (rc == 0 && places.n > 0)
        kt_log (KT_LOG_INFO, "correction passed_copies case_ref=%s places=%zu changed=%zu",
                case_ref, places.n, changed);
    uitvoerder_places_free (&places);
    return rc;
}
