/*  uitvoerder_disclose: personal data other than the plan to an externe
 *  casuspartner (art. 10.5), only items the party they came from consented
 *  to pass to it (uitvoerder_casework.c keeps the consents), as the
 *  casusoverleg file holds them.  The disclosure records who consented,
 *  the necessity and the kinds of data; it is recorded, logged and sent
 *  as uitvoerder_casus.c does for every record of the casusoverleg file
 *  (docs/ARCHITECTURE.md, Crash reasoning 7).
 */
#include "uitvoerder.h"

#include "casework.h"
#include "itemref.h"
#include "items.h"
#include "policy.h"
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/*  At most this many consents go into one disclosure, and their
 *  necessity statements with them (docs/CASUSOVERLEG.md). */
#define S_MAX_CONSENTS 16

static bool
s_listed (const char *const *list, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (list[i], id) == 0)
            return true;
    return false;
}

/*  The items of one disclosure, taken from the casusoverleg file: each a
 *  shallow copy of the stored item with its legal basis made explicit,
 *  borrowing from the supplied messages kept here. */
typedef struct {
    casusoverleg_supplied_t *supplied; /* one per --item, owned */
    size_t n_supplied;
    Keten__SignalItem copy[ITEMS_MAX];
    Keten__SignalItem *items[ITEMS_MAX];
    uint8_t ids[ITEMS_MAX][KT_ID_LEN]; /* where each came from */
    uint32_t index[ITEMS_MAX];
    size_t n_items;
    uint8_t consent_ids[S_MAX_CONSENTS][KT_ID_LEN];
    size_t n_consents;
} picked_t;

static void
s_picked_free (picked_t *p)
{
    for (size_t i = 0; i < p->n_supplied; i++)
        casusoverleg_supplied_free (&p->supplied[i]);
    free (p->supplied);
}

/*  One item for the disclosure: it must have the consent of the party it
 *  came from for this recipient (art. 10.5), and be fit for an externe
 *  casuspartner.  0, or -1 with a reason naming the item. */
static int
s_pick (node_t *self, picked_t *p, const casusoverleg_supplied_t *s, const uint8_t id[KT_ID_LEN],
        uint32_t k, const char *case_ref, const char *to, kt_reason_t *reason)
{
    sqlite3 *db = casusoverleg_db (uitvoerder_of (self)->casus);
    char name[KT_ID_HEX + 8];
    itemref_format (name, sizeof name, id, (long) k);
    if (uitvoerder_casework_item_ok (s, id, k, reason) != 0)
        return -1;
    uint8_t consent_id[KT_ID_LEN];
    int found = casework_consent_for (db, case_ref, to, id, k, consent_id, reason);
    if (found < 0)
        return -1;
    if (found == 0)
        return kt_fail (reason,
                        "art. 10.5: item %s has no consent of %s, the party it came from, to go "
                        "to %s; %s gives it with keten case consent at its own node",
                        name, s->sender, to, s->sender);
    for (size_t i = 0; i < p->n_items; i++)
        if (p->index[i] == k && memcmp (p->ids[i], id, KT_ID_LEN) == 0)
            return kt_fail (reason, "item %s is named twice", name);
    if (p->n_items == ITEMS_MAX)
        return kt_fail (reason, "a disclosure holds 1..%d items; disclose in parts", ITEMS_MAX);
    bool known = false;
    for (size_t i = 0; i < p->n_consents; i++)
        known |= memcmp (p->consent_ids[i], consent_id, KT_ID_LEN) == 0;
    if (!known) {
        if (p->n_consents == S_MAX_CONSENTS)
            return kt_fail (reason, "a disclosure rests on at most %d consents; disclose in parts",
                            S_MAX_CONSENTS);
        memcpy (p->consent_ids[p->n_consents++], consent_id, KT_ID_LEN);
    }
    const Keten__SignalItem *it = (s->signal ? s->signal->items : s->contribution->items)[k];
    Keten__SignalItem *c = &p->copy[p->n_items];
    *c = *it;
    if (!*c->legal_basis)
        c->legal_basis = s->signal ? s->signal->legal_basis : s->contribution->legal_basis;
    memcpy (p->ids[p->n_items], id, KT_ID_LEN);
    p->index[p->n_items] = k;
    p->items[p->n_items++] = c;
    return 0;
}

/*  The consents behind a disclosure: who consented (each once), their
 *  necessity statements ("party: text", one a line) and every kind of
 *  data they name (each once).  All heap; the caller frees. */
typedef struct {
    char *consenting[S_MAX_CONSENTS];
    size_t n_consenting;
    char *necessity;
    char *kinds[S_MAX_CONSENTS * 16];
    size_t n_kinds;
} grounds_t;

static void
s_grounds_free (grounds_t *g)
{
    for (size_t i = 0; i < g->n_consenting; i++)
        free (g->consenting[i]);
    for (size_t i = 0; i < g->n_kinds; i++)
        free (g->kinds[i]);
    free (g->necessity);
}

static int
s_grounds (node_t *self, const picked_t *p, const uint8_t key[KEYSTORE_KEY_LEN], grounds_t *g,
           kt_reason_t *reason)
{
    sqlite3 *db = casusoverleg_db (uitvoerder_of (self)->casus);
    size_t cap = S_MAX_CONSENTS * (POLICY_MAX_NECESSITY + 80), len = 0;
    g->necessity = calloc (1, cap);
    if (!g->necessity)
        return kt_fail (reason, "out of memory");
    for (size_t i = 0; i < p->n_consents; i++) {
        Keten__CaseDecision *d = NULL;
        char sender[65];
        if (casework_consent (db, key, p->consent_ids[i], &d, sender, reason) != 0) {
            if (d)
                keten__case_decision__free_unpacked (d, NULL);
            return -1;
        }
        if (!s_listed ((const char *const *) g->consenting, g->n_consenting, sender))
            g->consenting[g->n_consenting++] = strdup (sender);
        len += (size_t) snprintf (g->necessity + len, cap - len, "%s%s: %s", len ? "\n" : "",
                                  sender, d->consent->necessity);
        bool too_many = false;
        for (size_t k = 0; k < d->consent->n_data_kinds; k++)
            if (!s_listed ((const char *const *) g->kinds, g->n_kinds, d->consent->data_kinds[k])) {
                /*  A disclosure names at most 16 kinds (its checker). */
                if (g->n_kinds == 16) {
                    too_many = true;
                    break;
                }
                g->kinds[g->n_kinds++] = strdup (d->consent->data_kinds[k]);
            }
        keten__case_decision__free_unpacked (d, NULL);
        if (too_many)
            return kt_fail (reason, "the consents behind these items name more than 16 kinds of "
                                    "data together: disclose the items in parts");
        if (len >= cap)
            return kt_fail (reason, "the necessity statements do not fit one disclosure");
    }
    for (size_t i = 0; i < g->n_consenting; i++)
        if (!g->consenting[i])
            return kt_fail (reason, "out of memory");
    for (size_t i = 0; i < g->n_kinds; i++)
        if (!g->kinds[i])
            return kt_fail (reason, "out of memory");
    return 0;
}

/*  case.disclose { case_ref, to, item_refs: ["MSGID[:INDEX]", ...] }. */
static int
s_disclose (node_t *self, const api_caller_t *caller, json_t *args, json_t *result,
            kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *to_id = json_string_value (json_object_get (args, "to"));
    json_t *refs = json_object_get (args, "item_refs");
    static const char *const gone[] = {"consenting", "items", "legal_basis", "necessity",
                                       "data_kinds"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        if (json_object_get (args, gone[i]))
            return kt_fail (reason,
                            "art. 10.5: case.disclose takes the items by id only (item_refs); "
                            "the consent, the necessity and the kinds of data come from the "
                            "party that supplied each item (keten case consent at its node)");
    if (!case_ref || !to_id)
        return kt_fail (reason, "case.disclose needs case_ref and to");
    if (!json_is_array (refs) || json_array_size (refs) < 1 ||
        json_array_size (refs) > POLICY_MAX_CONSENT_ITEMS)
        return kt_fail (reason, "case.disclose needs 1..%d items (MSGID or MSGID:INDEX)",
                        POLICY_MAX_CONSENT_ITEMS);
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (casusoverleg_case (u->casus, case_ref, &info, key, reason) != 0)
        return -1;
    const roster_member_t *to = NULL;
    int rc = 0;
    /*  art. 9.4: a closed case has no casusoverleg left to share for. */
    if (info.closed)
        rc = kt_fail (reason, "case %s is closed: nothing is disclosed for it any more", case_ref);
    else
        rc = uitvoerder_casework_extern_of (self, &info, to_id, &to, reason);
    picked_t *p = calloc (1, sizeof *p);
    if (p)
        p->supplied = calloc (json_array_size (refs), sizeof *p->supplied);
    if (!p || !p->supplied)
        rc = rc ? rc : kt_fail (reason, "out of memory");
    for (size_t i = 0; rc == 0 && i < json_array_size (refs); i++) {
        Keten__ItemRef r;
        uint8_t id[KT_ID_LEN];
        if (itemref_parse (json_string_value (json_array_get (refs, i)), &r, id, reason) != 0) {
            rc = -1;
            break;
        }
        casusoverleg_supplied_t *s = &p->supplied[p->n_supplied];
        int found = casusoverleg_supplied (u->casus, case_ref, id, key, s, reason);
        if (found <= 0) {
            char name[KT_ID_HEX + 8];
            itemref_format (name, sizeof name, id, -1);
            rc = found < 0 ? -1
                           : kt_fail (reason, "%s is not a signal or contribution of case %s", name,
                                      case_ref);
            break;
        }
        p->n_supplied++;
        size_t count = s->signal ? s->signal->n_items : s->contribution->n_items;
        Keten__SignalItem **all = s->signal ? s->signal->items : s->contribution->items;
        for (uint32_t k = r.all_items ? 0 : r.index;
             rc == 0 && k < (r.all_items ? count : r.index + 1); k++)
            if (!(r.all_items && (all[k]->deleted || all[k]->blocked)))
                rc = s_pick (self, p, s, id, k, case_ref, to->id, reason);
    }
    /*  Every item named was blocked or deleted: there is nothing a
     *  consent covers, so nothing is recorded or sent (art. 10.5). */
    if (rc == 0 && p->n_items == 0)
        rc = kt_fail (reason, "nothing to disclose: every item named is blocked or deleted");
    grounds_t g = {0};
    if (rc == 0)
        rc = s_grounds (self, p, key, &g, reason);
    sodium_memzero (key, sizeof key);
    Keten__DisclosureConsent d = KETEN__DISCLOSURE_CONSENT__INIT;
    d.case_ref = (char *) case_ref;
    d.consenting = g.consenting;
    d.n_consenting = g.n_consenting;
    d.necessity = g.necessity;
    d.data_kinds = g.kinds;
    d.n_data_kinds = g.n_kinds;
    d.items = p ? p->items : NULL;
    d.n_items = p ? p->n_items : 0;
    d.consented_ms = kt_now_ms ();
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    /*  Sealed first, so a disclosure that cannot go (too big) is never
     *  recorded; its id is the one the record, the log and the copy
     *  share. */
    uint8_t id[KT_ID_LEN];
    kt_ordered_id (id, KT_ID_LEN);
    copies_t copies = {self, KETEN__MESSAGE_TYPE__DISCLOSURE_CONSENT, NULL, 0, ""};
    char *case_refs[1] = {(char *) case_ref};
    if (rc == 0)
        rc = uitvoerder_copy_add_as (self, &copies, to, &d.base, case_refs, 1, id, reason);
    /*  Recorded (art. 10.5) before anything else, in one transaction:
     *  from here on the rest is resumed on start until it is done. */
    sqlite3 *db = casusoverleg_db (u->casus);
    if (rc == 0 && (rc = store_begin (db, reason)) == 0) {
        if (casusoverleg_record_disclosure (u->casus, &d, to->id, (uint32_t) caller->uid, id,
                                            reason) != 0 ||
            uitvoerder_figure (self, db, FIGURE_DISCLOSURE, case_ref, to->kind, 0, reason) != 0 ||
            store_commit (db, reason) != 0) {
            store_rollback (db);
            rc = -1;
        }
    }
    json_t *sent = json_array ();
    if (rc == 0 && uitvoerder_casus_send_disclosure (self, &d, to, id, CASUS_STEP_RECORDED, &copies,
                                                     user, sent, reason) != 0) {
        kt_reason_t why = *reason;
        kt_log (KT_LOG_ERROR, "disclosure send_failed case_ref=%s to=%s reason=\"%s\"", case_ref,
                to->id, why.text);
        rc = kt_fail (reason,
                      "the disclosure of %s to %s is recorded, but not logged and sent yet (done "
                      "when ketend next starts): %s",
                      case_ref, to->id, why.text);
    }
    json_object_set_new (result, "sent_to", sent);
    json_object_set_new (result, "items", json_integer ((json_int_t) d.n_items));
    uitvoerder_copies_free (&copies);
    s_grounds_free (&g);
    if (p) {
        s_picked_free (p);
        free (p);
    }
    if (rc == 0)
        kt_log (KT_LOG_INFO, "disclosure case_ref=%s to=%s items=%zu user=%s", case_ref, to->id,
                d.n_items, user);
    return rc;
}

void
uitvoerder_case_disclose (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    node_api_run (self, caller, args, s_disclose);
}
