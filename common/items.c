/*  items: facts, opinions, counter-indications and diagnoses
 *  (docs/SIGNAL-FORMAT.md, "Items").  */
#include "items.h"

#include "intake_rules.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    Keten__ItemKind kind;
    const char *label;
} s_kinds[] = {
    {"fact", KETEN__ITEM_KIND__FACT, "Feit"},
    {"opinion", KETEN__ITEM_KIND__OPINION, "Mening"},
    {"counter-indication", KETEN__ITEM_KIND__COUNTER_INDICATION, "Contra-indicatie"},
    {"diagnosis", KETEN__ITEM_KIND__DIAGNOSIS, "Diagnose"},
};
#define N_KINDS (sizeof s_kinds / sizeof s_kinds[0])

static const char *const s_keys[] = {
    "kind",         "text", "of", "qualified_professional", "legal_basis", "special_category",
    "criminal_data"};

void
items_free (Keten__SignalItem **items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        free (items[i]);
    free (items);
}

static int
s_string (json_t *obj, const char *key, size_t i, char **out, kt_reason_t *reason)
{
    json_t *v = json_object_get (obj, key);
    if (!v)
        return 0;
    if (!json_is_string (v) || strlen (json_string_value (v)) != json_string_length (v))
        return kt_fail (reason, "items[%zu].%s: must be a string", i, key);
    *out = (char *) json_string_value (v);
    return 0;
}

static int
s_bool (json_t *obj, const char *key, size_t i, protobuf_c_boolean *out, bool *given,
        kt_reason_t *reason)
{
    json_t *v = json_object_get (obj, key);
    if (given)
        *given = v != NULL;
    if (!v)
        return 0;
    if (!json_is_boolean (v))
        return kt_fail (reason, "items[%zu].%s: must be true or false", i, key);
    *out = json_is_true (v);
    return 0;
}

static int
s_decode_one (json_t *obj, size_t i, Keten__SignalItem *it, kt_reason_t *reason)
{
    if (!json_is_object (obj))
        return kt_fail (reason, "items[%zu]: must be an object", i);
    for (void *k = json_object_iter (obj); k; k = json_object_iter_next (obj, k)) {
        bool known = false;
        for (size_t j = 0; j < sizeof s_keys / sizeof s_keys[0]; j++)
            known |= strcmp (json_object_iter_key (k), s_keys[j]) == 0;
        if (!known)
            return kt_fail (reason,
                            "items[%zu]: unknown key (the keys are kind, text, of, "
                            "qualified_professional, legal_basis, special_category, "
                            "criminal_data)",
                            i);
    }
    const char *kind = json_string_value (json_object_get (obj, "kind"));
    size_t k = 0;
    while (kind && k < N_KINDS && strcmp (kind, s_kinds[k].name) != 0)
        k++;
    if (!kind || k == N_KINDS)
        return kt_fail (reason,
                        "items[%zu].kind: must be fact, opinion, counter-indication or "
                        "diagnosis",
                        i);
    it->kind = s_kinds[k].kind;
    bool qp_given = false;
    if (s_string (obj, "text", i, &it->text, reason) ||
        s_string (obj, "of", i, &it->opinion_of, reason) ||
        s_string (obj, "legal_basis", i, &it->legal_basis, reason) ||
        s_bool (obj, "qualified_professional", i, &it->qualified_professional, &qp_given, reason) ||
        s_bool (obj, "special_category", i, &it->special_category, NULL, reason) ||
        s_bool (obj, "criminal_data", i, &it->criminal_data, NULL, reason))
        return -1;
    /*  A diagnosis must say whether a qualified professional made it: an
     *  absent flag must not read as "no". */
    if (it->kind == KETEN__ITEM_KIND__DIAGNOSIS && !qp_given)
        return kt_fail (reason, "items[%zu].qualified_professional: required for a diagnosis", i);
    if (it->kind != KETEN__ITEM_KIND__DIAGNOSIS && qp_given)
        return kt_fail (reason, "items[%zu].qualified_professional: only for a diagnosis", i);
    return 0;
}

int
items_decode (json_t *value, Keten__SignalItem ***items_p, size_t *n_p, kt_reason_t *reason)
{
    *items_p = NULL;
    *n_p = 0;
    if (!value)
        return 0;
    if (!json_is_array (value) || json_array_size (value) > ITEMS_MAX)
        return kt_fail (reason, "items: must be an array of at most %d items", ITEMS_MAX);
    size_t n = json_array_size (value);
    Keten__SignalItem **items = calloc (n ? n : 1, sizeof *items);
    if (!items)
        return kt_fail (reason, "out of memory");
    for (size_t i = 0; i < n; i++) {
        items[i] = malloc (sizeof **items);
        if (!items[i]) {
            items_free (items, i);
            return kt_fail (reason, "out of memory");
        }
        keten__signal_item__init (items[i]);
        if (s_decode_one (json_array_get (value, i), i, items[i], reason) != 0) {
            items_free (items, i + 1);
            return -1;
        }
    }
    *items_p = items;
    *n_p = n;
    return 0;
}

int
items_check (const Keten__Signal *signal, kt_reason_t *reason)
{
    if (signal->n_items > ITEMS_MAX)
        return kt_fail (reason, "items: at most %d", ITEMS_MAX);
    for (size_t i = 0; i < signal->n_items; i++) {
        const Keten__SignalItem *it = signal->items[i];
        /*  art. 12.5: only a correction marks an item; a sender cannot. */
        if (it->blocked || it->deleted)
            return kt_fail (reason, "items[%zu]: blocked or deleted is set only by a correction",
                            i);
        bool known = false;
        for (size_t k = 0; k < N_KINDS; k++)
            known |= it->kind == s_kinds[k].kind;
        if (!known)
            return kt_fail (reason, "items[%zu].kind: unknown", i);
        if (!intake_text_ok (it->text, 1, ITEMS_TEXT_MAX, true))
            return kt_fail (reason, "items[%zu].text: required, 1 to %d bytes of text", i,
                            ITEMS_TEXT_MAX);
        /*  An opinion is labelled as one - whose it is (docs/SIGNAL-FORMAT.md,
         *  "Items"). */
        bool opinion = it->kind == KETEN__ITEM_KIND__OPINION;
        if (opinion && !intake_text_ok (it->opinion_of, 1, 100, false))
            return kt_fail (reason, "items[%zu].of: an opinion says whose it is (1 to 100 bytes)",
                            i);
        if (!opinion && *it->opinion_of)
            return kt_fail (reason, "items[%zu].of: only an opinion has one", i);
        if (it->kind != KETEN__ITEM_KIND__DIAGNOSIS && it->qualified_professional)
            return kt_fail (reason, "items[%zu].qualified_professional: only for a diagnosis", i);
        /*  A diagnosis is health data: a special category (AVG art. 9). */
        if (it->kind == KETEN__ITEM_KIND__DIAGNOSIS && !it->special_category)
            return kt_fail (reason,
                            "items[%zu].special_category: a diagnosis is health data, "
                            "so it must be true",
                            i);
        const char *basis = *it->legal_basis ? it->legal_basis : signal->legal_basis;
        if (!intake_legal_basis_known (basis))
            return kt_fail (reason, "items[%zu].legal_basis: not a known legal basis", i);
        if (signal->wpg_basis != KETEN__WPG_BASIS__WPG_NONE && strncmp (basis, "wpg-", 4) != 0)
            return kt_fail (reason, "items[%zu].legal_basis: police data needs a Wpg basis", i);
        /*  The signal's own flags say what it holds as a whole. */
        if (it->special_category && !signal->special_category)
            return kt_fail (reason, "special_category: an item is special-category data, so the "
                                    "signal must say so too");
        if (it->criminal_data && !signal->criminal_data)
            return kt_fail (reason, "criminal_data: an item is criminal data, so the signal must "
                                    "say so too");
    }
    return 0;
}

json_t *
items_to_json (Keten__SignalItem *const *items, size_t n)
{
    if (n == 0)
        return NULL;
    json_t *list = json_array ();
    for (size_t i = 0; i < n; i++) {
        const Keten__SignalItem *it = items[i];
        /*  art. 12.5: a blocked item is kept but shown to nobody; a
         *  deleted one holds nothing to show. */
        if (it->blocked || it->deleted)
            continue;
        const char *kind = "fact";
        for (size_t k = 0; k < N_KINDS; k++)
            if (s_kinds[k].kind == it->kind)
                kind = s_kinds[k].name;
        json_t *o = json_pack ("{s:s, s:s}", "kind", kind, "text", it->text);
        if (!o)
            continue;
        if (*it->opinion_of)
            json_object_set_new (o, "of", json_string (it->opinion_of));
        if (it->kind == KETEN__ITEM_KIND__DIAGNOSIS)
            json_object_set_new (o, "qualified_professional",
                                 json_boolean (it->qualified_professional));
        if (*it->legal_basis)
            json_object_set_new (o, "legal_basis", json_string (it->legal_basis));
        if (it->special_category)
            json_object_set_new (o, "special_category", json_true ());
        if (it->criminal_data)
            json_object_set_new (o, "criminal_data", json_true ());
        json_array_append_new (list, o);
    }
    return list;
}

const char *
items_label (const Keten__SignalItem *item, char *buf, size_t len)
{
    const char *label = "?";
    for (size_t k = 0; k < N_KINDS; k++)
        if (s_kinds[k].kind == item->kind)
            label = s_kinds[k].label;
    if (item->kind == KETEN__ITEM_KIND__OPINION)
        snprintf (buf, len, "%s (%s)", label, item->opinion_of);
    else if (item->kind == KETEN__ITEM_KIND__DIAGNOSIS)
        snprintf (buf, len, "%s (%s)", label,
                  item->qualified_professional ? "door gekwalificeerde professional"
                                               : "NIET door gekwalificeerde professional");
    else
        snprintf (buf, len, "%s", label);
    return buf;
}

/* ---- correction (art. 12.5-12.6) ------------------------------------------ */

/*  A heap copy of item (protobuf-c's own allocation, so the message that
 *  takes it frees it as one of its own), or NULL. */
static Keten__SignalItem *
s_item_copy (const Keten__SignalItem *item)
{
    size_t len = keten__signal_item__get_packed_size (item);
    uint8_t *buf = malloc (len ? len : 1);
    if (!buf)
        return NULL;
    keten__signal_item__pack (item, buf);
    Keten__SignalItem *copy = keten__signal_item__unpack (NULL, len, buf);
    sodium_memzero (buf, len);
    free (buf);
    return copy;
}

/*  Free an item, its text wiped first. */
static void
s_item_wipe_free (Keten__SignalItem *it)
{
    if (!it)
        return;
    sodium_memzero (it->text, strlen (it->text));
    sodium_memzero (it->opinion_of, strlen (it->opinion_of));
    keten__signal_item__free_unpacked (it, NULL);
}

int
items_apply_kept (Keten__Signal *s, items_change_t *c, bool strict, kt_reason_t *reason)
{
    if (c->action == KETEN__CORRECTION_ACTION__ADD) {
        /*  Added again (a notice repeated): the item is there already. */
        if (!strict && c->item_index < s->n_items)
            return 0;
        if (s->n_items >= ITEMS_MAX)
            return kt_fail (reason, "the signal has %d items already", ITEMS_MAX);
        Keten__SignalItem **grown = realloc (s->items, (s->n_items + 1) * sizeof *grown);
        if (!grown)
            return kt_fail (reason, "out of memory");
        s->items = grown;
        if (!(s->items[s->n_items] = s_item_copy (c->item)))
            return kt_fail (reason, "out of memory");
        c->item_index = (uint32_t) s->n_items++;
        return 0;
    }
    if (c->item_index >= s->n_items)
        return kt_fail (reason, "the signal has no item %u (it has %zu, counted from 0)",
                        (unsigned) c->item_index, s->n_items);
    Keten__SignalItem *it = s->items[c->item_index];
    if (it->deleted)
        return strict
                   ? kt_fail (reason, "item %u of the signal is deleted", (unsigned) c->item_index)
                   : 0;
    switch (c->action) {
    case KETEN__CORRECTION_ACTION__CORRECT:
    case KETEN__CORRECTION_ACTION__UNBLOCK: {
        if (c->action == KETEN__CORRECTION_ACTION__UNBLOCK && !it->blocked)
            return strict ? kt_fail (reason, "item %u is not blocked", (unsigned) c->item_index)
                          : 0;
        /*  A blocked item is shown to nobody, so nobody can check a new
         *  text against it: it is unblocked first. */
        if (c->action == KETEN__CORRECTION_ACTION__CORRECT && it->blocked)
            return kt_fail (reason, "item %u is blocked; unblock it before correcting it",
                            (unsigned) c->item_index);
        if (c->action == KETEN__CORRECTION_ACTION__UNBLOCK && !c->item) {
            it->blocked = false;
            return 0;
        }
        Keten__SignalItem *copy = s_item_copy (c->item);
        if (!copy)
            return kt_fail (reason, "out of memory");
        s->items[c->item_index] = copy;
        s_item_wipe_free (it);
        return 0;
    }
    case KETEN__CORRECTION_ACTION__DELETE: {
        /*  The item keeps its place, so later corrections still name the
         *  others by index; nothing of it is left. */
        Keten__SignalItem *gone = malloc (sizeof *gone);
        if (!gone)
            return kt_fail (reason, "out of memory");
        keten__signal_item__init (gone);
        gone->deleted = true;
        s->items[c->item_index] = gone;
        s_item_wipe_free (it);
        return 0;
    }
    case KETEN__CORRECTION_ACTION__BLOCK:
        if (it->blocked)
            return strict ? kt_fail (reason, "item %u is blocked already", (unsigned) c->item_index)
                          : 0;
        it->blocked = true;
        return 0;
    default:
        return kt_fail (reason, "unknown correction action");
    }
}

int
items_apply_copy (Keten__SignalItem ***items_p, size_t *n_p, uint32_t **index_p, size_t *n_index_p,
                  const items_change_t *c, kt_reason_t *reason)
{
    size_t n = *n_p;
    /*  A copy without indexes holds the items in their places. */
    if (*n_index_p != n) {
        uint32_t *index = realloc (*index_p, (n ? n : 1) * sizeof *index);
        if (!index)
            return kt_fail (reason, "out of memory");
        for (size_t k = 0; k < n; k++)
            index[k] = (uint32_t) k;
        *index_p = index;
        *n_index_p = n;
    }
    Keten__SignalItem **items = *items_p;
    uint32_t *index = *index_p;
    size_t at = n; /* the position of the item named, or where it goes */
    bool here = false;
    for (size_t k = 0; k < n; k++) {
        if (index[k] == c->item_index) {
            at = k;
            here = true;
            break;
        }
        if (index[k] > c->item_index) {
            at = k;
            break;
        }
    }
    switch (c->action) {
    case KETEN__CORRECTION_ACTION__BLOCK:
        if (!here)
            return 0;
        items[at]->blocked = true;
        return 1;
    case KETEN__CORRECTION_ACTION__DELETE:
        if (!here)
            return 0;
        s_item_wipe_free (items[at]);
        memmove (items + at, items + at + 1, (n - at - 1) * sizeof *items);
        memmove (index + at, index + at + 1, (n - at - 1) * sizeof *index);
        *n_p = *n_index_p = n - 1;
        return 1;
    case KETEN__CORRECTION_ACTION__CORRECT:
    case KETEN__CORRECTION_ACTION__ADD:
    case KETEN__CORRECTION_ACTION__UNBLOCK: {
        if (!c->item) {
            if (here)
                items[at]->blocked = false;
            return here ? 1 : 0;
        }
        Keten__SignalItem *copy = s_item_copy (c->item);
        if (!copy)
            return kt_fail (reason, "out of memory");
        if (here) {
            s_item_wipe_free (items[at]);
            items[at] = copy;
            return 1;
        }
        /*  Not in this copy yet (added, or unblocked after it came):
         *  in its place by index. */
        Keten__SignalItem **grown_items = realloc (items, (n + 1) * sizeof *grown_items);
        if (!grown_items) {
            keten__signal_item__free_unpacked (copy, NULL);
            return kt_fail (reason, "out of memory");
        }
        *items_p = items = grown_items;
        uint32_t *grown_index = realloc (index, (n + 1) * sizeof *grown_index);
        if (!grown_index) {
            keten__signal_item__free_unpacked (copy, NULL);
            return kt_fail (reason, "out of memory");
        }
        *index_p = index = grown_index;
        memmove (items + at + 1, items + at, (n - at) * sizeof *items);
        memmove (index + at + 1, index + at, (n - at) * sizeof *index);
        items[at] = copy;
        index[at] = c->item_index;
        *n_p = *n_index_p = n + 1;
        return 1;
    }
    default:
        return kt_fail (reason, "unknown correction action");
    }
}

int
items_check_contribution (Keten__SignalItem **items, size_t n, const char *legal_basis,
                          const char *what, kt_reason_t *reason)
{
    if (n < 1)
        return kt_fail (reason, "%s holds 1..%d items", what, ITEMS_MAX);
    if (!legal_basis || !intake_legal_basis_known (legal_basis))
        return kt_fail (reason, "%s: not a known legal basis", what);
    Keten__Signal as_signal = KETEN__SIGNAL__INIT;
    as_signal.legal_basis = (char *) legal_basis;
    as_signal.special_category = true; /* flags are per item here */
    as_signal.criminal_data = true;
    as_signal.items = items;
    as_signal.n_items = n;
    /*  Checked as text first (items_new_item reads the code points of
     *  valid UTF-8 only); then the rules of new data, and never held, so
     *  no art. 9/10 Wpg data in it. */
    if (items_check (&as_signal, reason) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (items_new_item (items[i], i, reason) != 0)
            return -1;
    return items_wpg_held (&as_signal, reason);
}

int
items_new_item (const Keten__SignalItem *item, size_t i, kt_reason_t *reason)
{
    if (intake_text_blank (item->text))
        return kt_fail (reason, "items[%zu].text: must not be blank", i);
    uint32_t cp = intake_text_reorders (item->text, true);
    if (!cp)
        cp = intake_text_reorders (item->opinion_of, false);
    if (cp)
        return kt_fail (reason,
                        "items[%zu]: contains U+%04X, a character that changes how the text reads "
                        "(bidi formatting or a line separator); remove it",
                        i, (unsigned) cp);
    return 0;
}

int
items_wpg_held_item (const Keten__Signal *signal, const Keten__SignalItem *item, size_t i,
                     kt_reason_t *reason)
{
    const char *basis = *item->legal_basis ? item->legal_basis : signal->legal_basis;
    if (strcmp (basis, ITEMS_WPG_9_10_BASIS) != 0 ||
        signal->wpg_basis == KETEN__WPG_BASIS__WPG_ART_9_10)
        return 0;
    return kt_fail (reason,
                    "items[%zu].legal_basis: wpg-18-2 is the basis of art. 9/10 Wpg data, which "
                    "leaves the police node only in a signal marked wpg_basis art-9-10, held "
                    "until its release",
                    i);
}

int
items_wpg_held (const Keten__Signal *signal, kt_reason_t *reason)
{
    if (strcmp (signal->legal_basis, ITEMS_WPG_9_10_BASIS) == 0 &&
        signal->wpg_basis != KETEN__WPG_BASIS__WPG_ART_9_10)
        return kt_fail (reason, "legal_basis: wpg-18-2 is the basis of art. 9/10 Wpg data, so "
                                "wpg_basis must be art-9-10 (held until its release)");
    for (size_t i = 0; i < signal->n_items; i++)
        if (items_wpg_held_item (signal, signal->items[i], i, reason) != 0)
            return -1;
    return 0;
}

int
items_wpg_from (const roster_member_t *sender, const char *legal_basis,
                Keten__SignalItem *const *items, size_t n, kt_reason_t *reason)
{
    if (strcmp (sender->kind, "politie") == 0)
        return 0;
    bool wpg = legal_basis && strncmp (legal_basis, "wpg-", 4) == 0;
    for (size_t i = 0; !wpg && i < n; i++)
        wpg = strncmp (items[i]->legal_basis, "wpg-", 4) == 0;
    return wpg ? kt_fail (reason, "a Wpg basis is only for police data; %s is not the police",
                          sender->id)
               : 0;
}

bool
items_same (const Keten__SignalItem *a, const Keten__SignalItem *b)
{
    size_t len = keten__signal_item__get_packed_size (a);
    if (len != keten__signal_item__get_packed_size (b))
        return false;
    uint8_t *pa = malloc (len ? len : 1), *pb = malloc (len ? len : 1);
    bool same = pa && pb && keten__signal_item__pack (a, pa) == len &&
                keten__signal_item__pack (b, pb) == len && memcmp (pa, pb, len) == 0;
    if (pa)
        sodium_memzero (pa, len);
    if (pb)
        sodium_memzero (pb, len);
    free (pa);
    free (pb);
    return same;
}

const Keten__SignalItem *
items_passed_as (Keten__CorrectionAction action, const Keten__SignalItem *item,
                 Keten__SignalItem *empty)
{
    keten__signal_item__init (empty);
    switch (action) {
    case KETEN__CORRECTION_ACTION__CORRECT:
    case KETEN__CORRECTION_ACTION__UNBLOCK:
        return item;
    case KETEN__CORRECTION_ACTION__DELETE:
        empty->deleted = true;
        return empty;
    case KETEN__CORRECTION_ACTION__BLOCK:
        empty->blocked = true;
        return empty;
    default:
        return NULL;
    }
}
