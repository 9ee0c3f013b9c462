/*  items: the recorded items of a signal - facts, opinions labelled with
 *  whose they are, counter-indications, and diagnoses flagged as made by a
 *  qualified professional or not - each with its legal basis and
 *  special-category / criminal-data flags (docs/SIGNAL-FORMAT.md, "Items").
 *  Part of the signal intake (intake.c): decoded and checked here, nowhere
 *  else.
 *
 *  JSON: "items": [ { "kind": "fact" | "opinion" | "counter-indication" |
 *  "diagnosis", "text": "...", "of": "mentor" (opinion only),
 *  "qualified_professional": true|false (diagnosis only), "legal_basis",
 *  "special_category", "criminal_data" (optional) } ]
 */
#ifndef KETEN_ITEMS_H
#define KETEN_ITEMS_H

#include "keten.pb-c.h"
#include "roster.h"
#include "util.h"

#include <jansson.h>

#define ITEMS_MAX 32
#define ITEMS_TEXT_MAX 4000
/*  The legal basis of art. 9/10 Wpg data (Wpg art. 18(2), the
 *  machtigingsbesluit): only in a signal marked wpg_basis art-9-10. */
#define ITEMS_WPG_9_10_BASIS "wpg-18-2"

/*  Decode value (the "items" member, borrowed; NULL: none) into a heap
 *  array of items whose strings point into value; free with items_free. */
int items_decode (json_t *value, Keten__SignalItem ***items_p, size_t *n_p, kt_reason_t *reason);
void items_free (Keten__SignalItem **items, size_t n);
/*  Every rule on the items of signal (also one that arrived as protobuf). */
int items_check (const Keten__Signal *signal, kt_reason_t *reason);
/*  The items of a contribution (or an answer to the weegploeg) under a
 *  signal's rules: 1..ITEMS_MAX of them, legal_basis a known one, each
 *  item checked as a signal's (their flags are per item).  what names the
 *  message in the reasons ("a contribution", "an answer"). */
int items_check_contribution (Keten__SignalItem **items, size_t n, const char *legal_basis,
                              const char *what, kt_reason_t *reason);
/*  Wpg art. 18(2) and the machtigingsbesluit: wpg-18-2 is the basis of
 *  art. 9/10 Wpg data, which leaves the police node only in a signal
 *  marked so, held until its release (art. 2 of the besluit) - never as
 *  an answer, a contribution or an ordinary signal.  Asked of new data
 *  only (a signal as it enters, an answer, a contribution, a correction's
 *  new item), not of a signal stored before the rule.  0, or -1 with
 *  reason. */
int items_wpg_held (const Keten__Signal *signal, kt_reason_t *reason);
/*  The text rules of new data for one item (number i, for the reason),
 *  whose texts items_check found valid UTF-8: not blank, nothing that
 *  changes how it reads (intake_text_reorders).
 *  0, or -1 with reason. */
int items_new_item (const Keten__SignalItem *item, size_t i, kt_reason_t *reason);
/*  The same of one item (number i, for the reason) of signal. */
int items_wpg_held_item (const Keten__Signal *signal, const Keten__SignalItem *item, size_t i,
                         kt_reason_t *reason);
/*  Police data only from the police: a legal_basis (or an item's) of
 *  the Wpg from a sender that is not the police is refused.  0, or -1
 *  with reason. */
int items_wpg_from (const roster_member_t *sender, const char *legal_basis,
                    Keten__SignalItem *const *items, size_t n, kt_reason_t *reason);
/*  The JSON form of items (new reference; NULL when there are none). */
json_t *items_to_json (Keten__SignalItem *const *items, size_t n);
/*  A label for people: "Feit", "Mening (mentor)", ... into buf. */
const char *items_label (const Keten__SignalItem *item, char *buf, size_t len);

/*  One correction of a signal's items (art. 12.5-12.6): action on the
 *  item at item_index (in the signal's own numbering, from 0); item (the
 *  new text) for CORRECT and ADD, and for UNBLOCK where the copy may not
 *  hold the item (a copy made while it was blocked). */
typedef struct {
    Keten__CorrectionAction action;
    uint32_t item_index; /* ADD at the signal's keeper: out, where it went */
    const Keten__SignalItem *item;
} items_change_t;

/*  Apply c to a signal as its keeper holds it (the weegploeg file, the
 *  sender's own record): items keep their places - a deleted item stays
 *  as an empty one marked deleted, a blocked one keeps its data and the
 *  flag.  strict: a change that changes nothing (blocking a blocked item)
 *  fails; not strict, it is a repeat and succeeds.  Correcting a blocked
 *  item fails: unblock it first. */
int items_apply_kept (Keten__Signal *s, items_change_t *c, bool strict, kt_reason_t *reason);
/*  Apply c to a copy (an agenda's signal) whose k-th item is the
 *  signal's (*index_p)[k] (no indexes: the k-th): a deleted item goes, a
 *  blocked one is flagged, a new or unblocked one goes in its place.
 *  The arrays are protobuf-c's own (malloc).  1 changed, 0 the copy does
 *  not hold the item, -1 with reason.  Repeating it changes nothing. */
int items_apply_copy (Keten__SignalItem ***items_p, size_t *n_p, uint32_t **index_p,
                      size_t *n_index_p, const items_change_t *c, kt_reason_t *reason);

/*  Whether a and b are the same item, field by field (their encodings
 *  compared; buffers wiped). */
bool items_same (const Keten__SignalItem *a, const Keten__SignalItem *b);
/*  What an item passed on in the casusoverleg (a share or disclosure,
 *  art. 9.2, 10.4-10.5) reads as once action applies: item for CORRECT
 *  and UNBLOCK; for DELETE and BLOCK an empty item marked so, in *empty
 *  (the copy keeps nothing of a blocked item: the notice that unblocks
 *  it carries it again); NULL for ADD (no copy holds an item added) or
 *  an item missing. */
const Keten__SignalItem *items_passed_as (Keten__CorrectionAction action,
                                          const Keten__SignalItem *item, Keten__SignalItem *empty);

#endif
