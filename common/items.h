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
#include "util.h"

#include <jansson.h>

#define ITEMS_MAX 32
#define ITEMS_TEXT_MAX 4000

/*  Decode value (the "items" member, borrowed; NULL: none) into a heap
 *  array of items whose strings point into value; free with items_free. */
int items_decode (json_t *value, Keten__SignalItem ***items_p, size_t *n_p, kt_reason_t *reason);
void items_free (Keten__SignalItem **items, size_t n);
/*  Every rule on the items of signal (also one that arrived as protobuf). */
int items_check (const Keten__Signal *signal, kt_reason_t *reason);
/*  The JSON form of items (new reference; NULL when there are none). */
json_t *items_to_json (Keten__SignalItem *const *items, size_t n);
/*  A label for people: "Feit", "Mening (mentor)", ... into buf. */
const char *items_label (const Keten__SignalItem *item, char *buf, size_t len);

#endif
