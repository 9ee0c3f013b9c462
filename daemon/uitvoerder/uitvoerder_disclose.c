/*  uitvoerder_disclose: items of the casusoverleg file passed on, as
 *  supplied, to a party that did not supply them:
 *
 *  - a disclosure (art. 10.5): personal data other than the plan to an
 *    externe casuspartner, only items the party they came from consented
 *    to pass to it (uitvoerder_casework.c keeps the consents).  It records
 *    who consented, the necessity and the kinds of data.
 *  - a share (art. 9.2, 10.4): items to named participants of the case,
 *    by the participant that supplied them (a CASE_DECISION with share,
 *    uitvoerder_casework.c) or by the uitvoerder on the casusoverleg's
 *    decision (case.share), and then only items whose source consented to
 *    each recipient: the same pick, the same consent check.
 *
 *  Both are a disclosure record (a share one per recipient, shared set),
 *  recorded, logged and sent as uitvoerder_casus.c does for every record
 *  of the casusoverleg file (docs/ARCHITECTURE.md, Crash reasoning 7), and
 *  resumed the same way.
 */
#include "uitvoerder.h"

#include "casework.h"
#include "disclosed.h"
#include "intake_rules.h"
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

/*  A refusal (1), as opposed to a storage error (-1). */
#define S_REFUSED(...) (kt_fail (__VA_ARGS__), 1)

static bool
s_listed (const char *const *list, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp (list[i], id) == 0)
            return true;
    return false;
}

/*  The items passed on, taken from the casusoverleg file: each a shallow
 *  copy of the stored item with its legal basis made explicit, borrowing
 *  from the supplied messages kept here. */
typedef struct {
    casusoverleg_supplied_t *supplied; /* one per item named, owned */
    size_t n_supplied;
    Keten__SignalItem copy[ITEMS_MAX];
    Keten__SignalItem *items[ITEMS_MAX];
    uint8_t ids[ITEMS_MAX][KT_ID_LEN]; /* where each came from */
    uint32_t index[ITEMS_MAX];
    size_t n_items;
    /*  A disclosure: the consents behind the items (its grounds). */
    bool grounds;
    uint8_t consent_ids[S_MAX_CONSENTS][KT_ID_LEN];
    size_t n_consents;
    /*  A share: every item of one party, this one. */
    bool one_source;
    char source[65];
} picked_t;

static void
s_picked_free (picked_t *p)
{
    for (size_t i = 0; i < p->n_supplied; i++)
        casusoverleg_supplied_free (&p->supplied[i]);
    free (p->supplied);
    p->supplied = NULL;
    p->n_supplied = 0;
}

/*  What is passed on, where to, and on whose say. */
typedef struct {
    const char *case_ref;
    const roster_member_t *const *to;
    size_t n_to;
    /*  A participant sharing what it supplied itself; NULL: the
     *  uitvoerder, so every item needs its source's consent for every
     *  recipient (art. 4: the supplying party decides on its data). */
    const char *from;
    const char *what; /* "disclose", "share": for reasons */
} pass_t;

/*  One item to pass on: fit for every recipient, the sender's own or
 *  with its source's consent for every recipient.  0, 1 refused (a reason
 *  naming the item), -1 storage error. */
static int
s_pick (node_t *self, picked_t *p, const pass_t *pass, const casusoverleg_supplied_t *s,
        const uint8_t id[KT_ID_LEN], uint32_t k, kt_reason_t *reason)
{
    sqlite3 *db = casusoverleg_db (uitvoerder_of (self)->casus);
    char name[KT_ID_HEX + 8];
    itemref_format (name, sizeof name, id, (long) k);
    /*  art. 9.2: "de bij hen berustende" data: a participant shares
     *  what it supplied itself.  Checked first, so that a refusal tells
     *  a participant nothing of another party's item (its basis, whether
     *  it is Wpg data or blocked). */
    if (pass->from && strcmp (s->sender, pass->from) != 0)
        return S_REFUSED (reason,
                          "art. 9.2: item %s came from %s; a participant shares only what it "
                          "supplied itself, not %s",
                          name, s->sender, pass->from);
    for (size_t t = 0; t < pass->n_to; t++)
        if (uitvoerder_casework_item_ok (s, id, k, pass->to[t], reason) != 0)
            return 1;
    if (p->one_source && !*p->source)
        snprintf (p->source, sizeof p->source, "%s", s->sender);
    else if (p->one_source && strcmp (p->source, s->sender) != 0)
        return S_REFUSED (reason,
                          "item %s came from %s, another from %s: a share passes the items of one "
                          "party; share each party's items on their own",
                          name, s->sender, p->source);
    for (size_t t = 0; !pass->from && t < pass->n_to; t++) {
        const roster_member_t *to = pass->to[t];
        uint8_t consent_id[KT_ID_LEN];
        int found = casework_consent_for (db, pass->case_ref, to->id, id, k, consent_id, reason);
        if (found < 0)
            return -1;
        if (found == 0)
            return S_REFUSED (reason,
                              "%s: item %s has no consent of %s, the party it came from, to go "
                              "to %s; %s gives it with keten case consent at its own node",
                              to->role == ROLE_EXTERN ? "art. 10.5" : "art. 4, 9.2", name,
                              s->sender, to->id, s->sender);
        bool known = !p->grounds;
        for (size_t i = 0; i < p->n_consents; i++)
            known |= memcmp (p->consent_ids[i], consent_id, KT_ID_LEN) == 0;
        if (!known) {
            if (p->n_consents == S_MAX_CONSENTS)
                return S_REFUSED (reason,
                                  "a disclosure rests on at most %d consents; disclose in parts",
                                  S_MAX_CONSENTS);
            memcpy (p->consent_ids[p->n_consents++], consent_id, KT_ID_LEN);
        }
    }
    for (size_t i = 0; i < p->n_items; i++)
        if (p->index[i] == k && memcmp (p->ids[i], id, KT_ID_LEN) == 0)
            return S_REFUSED (reason, "item %s is named twice", name);
    if (p->n_items == ITEMS_MAX)
        return S_REFUSED (reason, "one %s holds 1..%d items; %s in parts", pass->what, ITEMS_MAX,
                          pass->what);
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

/*  Every item the n_refs refs name, picked (s_pick).  A reference to a
 *  whole message passes its items that are neither blocked nor deleted.
 *  0, 1 refused, -1 storage error. */
static int
s_pick_all (node_t *self, picked_t *p, const pass_t *pass, const uint8_t key[KEYSTORE_KEY_LEN],
            Keten__ItemRef *const *refs, size_t n_refs, kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    p->supplied = calloc (n_refs ? n_refs : 1, sizeof *p->supplied);
    if (!p->supplied)
        return kt_fail (reason, "out of memory");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_refs; i++) {
        const Keten__ItemRef *r = refs[i];
        const uint8_t *id = r->message_id.data;
        casusoverleg_supplied_t *s = &p->supplied[p->n_supplied];
        int found = casusoverleg_supplied (u->casus, pass->case_ref, id, key, s, reason);
        if (found <= 0) {
            char name[KT_ID_HEX + 8];
            itemref_format (name, sizeof name, id, -1);
            rc = found < 0 ? -1
                           : S_REFUSED (reason, "%s is not a signal or contribution of case %s",
                                        name, pass->case_ref);
            break;
        }
        p->n_supplied++;
        size_t count = s->signal ? s->signal->n_items : s->contribution->n_items;
        Keten__SignalItem **all = s->signal ? s->signal->items : s->contribution->items;
        for (uint32_t k = r->all_items ? 0 : r->index;
             rc == 0 && k < (r->all_items ? count : r->index + 1); k++)
            if (!(r->all_items && k < count && (all[k]->deleted || all[k]->blocked)))
                rc = s_pick (self, p, pass, s, id, k, reason);
    }
    /*  Every item named was blocked or deleted: nothing is recorded or
     *  sent. */
    if (rc == 0 && p->n_items == 0)
        rc =
            S_REFUSED (reason, "nothing to %s: every item named is blocked or deleted", pass->what);
    return rc;
}

/*  Record where each item picked came from, for the disclosure or share
 *  message_id to recipient (inside the transaction that records it): a
 *  correction of a signal's item (art. 12.5-12.6) reaches the copy. */
static int
s_record_sources (node_t *self, const picked_t *p, const char *case_ref,
                  const uint8_t message_id[KT_ID_LEN], const char *recipient, kt_reason_t *reason)
{
    const uint8_t *sources[ITEMS_MAX];
    for (size_t i = 0; i < p->n_items; i++)
        sources[i] = p->ids[i];
    return disclosed_record (casusoverleg_db (uitvoerder_of (self)->casus), case_ref, message_id,
                             recipient, p->n_items, sources, p->index, reason);
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
        /*  The kinds go into DISCLOSED, which is kept for good: a consent
         *  stored before kinds were words of letters (intake_data_kind_ok)
         *  is still shown, but discloses nothing until its party gives a
         *  new one, which is the one used from then on. */
        bool word = true;
        for (size_t k = 0; k < d->consent->n_data_kinds; k++)
            word = word && intake_data_kind_ok (d->consent->data_kinds[k]);
        if (!word) {
            keten__case_decision__free_unpacked (d, NULL);
            return kt_fail (reason,
                            "a consent of %s behind these items names a kind of data that is not "
                            "a word of letters (given before that rule): ask %s for a new consent",
                            sender, sender);
        }
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

/*  The items named by the local API ("MSGID[:INDEX]", 1..
 *  POLICY_MAX_CONSENT_ITEMS of them), parsed. */
typedef struct {
    Keten__ItemRef ref[POLICY_MAX_CONSENT_ITEMS];
    Keten__ItemRef *refs[POLICY_MAX_CONSENT_ITEMS];
    uint8_t ids[POLICY_MAX_CONSENT_ITEMS][KT_ID_LEN];
    size_t n;
} refs_t;

static int
s_refs_parse (const char *cmd, json_t *list, refs_t *r, kt_reason_t *reason)
{
    r->n = 0;
    if (!json_is_array (list) || json_array_size (list) < 1 ||
        json_array_size (list) > POLICY_MAX_CONSENT_ITEMS)
        return kt_fail (reason, "%s needs 1..%d items (MSGID or MSGID:INDEX)", cmd,
                        POLICY_MAX_CONSENT_ITEMS);
    for (size_t i = 0; i < json_array_size (list); i++) {
        if (itemref_parse (json_string_value (json_array_get (list, i)), &r->ref[i], r->ids[i],
                           reason) != 0)
            return -1;
        r->refs[r->n++] = &r->ref[i];
    }
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
    refs_t refs;
    if (s_refs_parse ("case.disclose", json_object_get (args, "item_refs"), &refs, reason) != 0)
        return -1;
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
    if (!p)
        rc = rc ? rc : kt_fail (reason, "out of memory");
    else
        p->grounds = true;
    const roster_member_t *const tos[1] = {to};
    pass_t pass = {case_ref, tos, 1, NULL, "disclose"};
    /*  art. 10.5: every item with its source's consent to this recipient;
     *  nothing a consent does not cover is recorded or sent. */
    if (rc == 0 && s_pick_all (self, p, &pass, key, refs.refs, refs.n, reason) != 0)
        rc = -1;
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
            s_record_sources (self, p, case_ref, id, to->id, reason) != 0 ||
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

/* ---- sharing inside the casusoverleg (art. 9.2, 10.4) ------------------------ */

struct _uitvoerder_share_t {
    picked_t picked;
    char case_ref[33];
    char source[65];
    char *consenting[1];
    char *necessity;
    char *kinds[16];
    size_t n_kinds;
    Keten__DisclosureConsent d; /* borrows from the fields above */
    const roster_member_t *to[POLICY_MAX_SHARE_TO];
    size_t n_to;
    uint8_t ids[POLICY_MAX_SHARE_TO][KT_ID_LEN];
    copies_t copies[POLICY_MAX_SHARE_TO];
};

void
uitvoerder_share_destroy (uitvoerder_share_t **share_p)
{
    uitvoerder_share_t *sh = *share_p;
    if (!sh)
        return;
    for (size_t i = 0; i < sh->n_to; i++)
        uitvoerder_copies_free (&sh->copies[i]);
    s_picked_free (&sh->picked);
    if (sh->necessity) {
        sodium_memzero (sh->necessity, strlen (sh->necessity));
        free (sh->necessity);
    }
    for (size_t i = 0; i < sh->n_kinds; i++)
        free (sh->kinds[i]);
    free (sh);
    *share_p = NULL;
}

int
uitvoerder_share_prepare (node_t *self, const casus_info_t *info,
                          const uint8_t key[KEYSTORE_KEY_LEN], const char *from, char *const *to,
                          size_t n_to, Keten__ItemRef *const *refs, size_t n_refs,
                          const char *necessity, char *const *kinds, size_t n_kinds,
                          uitvoerder_share_t **share_p, kt_reason_t *reason)
{
    *share_p = NULL;
    /*  art. 9.4: a closed case has no casusoverleg left to share in. */
    if (info->closed)
        return S_REFUSED (reason, "case %s is closed: nothing is shared for it any more",
                          info->case_ref);
    if (n_to < 1 || n_to > POLICY_MAX_SHARE_TO || n_kinds < 1 || n_kinds > 16)
        return S_REFUSED (reason, "a share names 1..%d participants and 1..16 kinds of data",
                          POLICY_MAX_SHARE_TO);
    uitvoerder_share_t *sh = calloc (1, sizeof *sh);
    if (!sh)
        return kt_fail (reason, "out of memory");
    const roster_t *roster = keyring_roster (self->keyring);
    uint64_t now = kt_now_ms ();
    int rc = 0;
    /*  art. 9.2, 10.4: to participants of the case only, each once, not
     *  back to the party that supplied the items. */
    for (size_t i = 0; rc == 0 && i < n_to; i++) {
        if (s_listed ((const char *const *) to, i, to[i]))
            rc = S_REFUSED (reason, "%.64s is named twice", to[i]);
        else if (uitvoerder_casework_recipient_of (roster, info, from ? from : "", to[i], false,
                                                   now, &sh->to[i], reason) != 0)
            rc = 1;
    }
    sh->picked.one_source = true;
    pass_t pass = {info->case_ref, sh->to, n_to, from, "share"};
    if (rc == 0)
        rc = s_pick_all (self, &sh->picked, &pass, key, refs, n_refs, reason);
    snprintf (sh->source, sizeof sh->source, "%s", sh->picked.source);
    for (size_t i = 0; rc == 0 && i < n_to; i++)
        if (strcmp (sh->to[i]->id, sh->source) == 0)
            rc = S_REFUSED (reason, "%s supplied the items itself; name another participant",
                            sh->source);
    snprintf (sh->case_ref, sizeof sh->case_ref, "%s", info->case_ref);
    sh->consenting[0] = sh->source;
    sh->necessity = rc == 0 ? strdup (necessity) : NULL;
    for (size_t i = 0; rc == 0 && i < n_kinds; i++)
        sh->kinds[sh->n_kinds++] = strdup (kinds[i]);
    for (size_t i = 0; rc == 0 && i < sh->n_kinds; i++)
        if (!sh->kinds[i])
            rc = kt_fail (reason, "out of memory");
    if (rc == 0 && !sh->necessity)
        rc = kt_fail (reason, "out of memory");
    /*  What the recipients get: the items as supplied, the source that
     *  supplied (and, consenting, agreed to) them, the necessity and the
     *  kinds of data. */
    Keten__DisclosureConsent *d = &sh->d;
    keten__disclosure_consent__init (d);
    d->case_ref = sh->case_ref;
    d->consenting = sh->consenting;
    d->n_consenting = 1;
    d->necessity = sh->necessity;
    d->data_kinds = sh->kinds;
    d->n_data_kinds = sh->n_kinds;
    d->items = sh->picked.items;
    d->n_items = sh->picked.n_items;
    d->consented_ms = now;
    d->shared = true;
    d->source = sh->source;
    /*  Sealed first, so a share that cannot go (too big) is never
     *  recorded; each recipient's id is the one its record, its SHARED
     *  entry and its copy share. */
    char *case_refs[1] = {sh->case_ref};
    sh->n_to = rc == 0 ? n_to : 0;
    for (size_t i = 0; rc == 0 && i < sh->n_to; i++) {
        kt_ordered_id (sh->ids[i], KT_ID_LEN);
        sh->copies[i] = (copies_t){self, KETEN__MESSAGE_TYPE__DISCLOSURE_CONSENT, NULL, 0, ""};
        if (uitvoerder_copy_add_as (self, &sh->copies[i], sh->to[i], &d->base, case_refs, 1,
                                    sh->ids[i], reason) != 0)
            rc = 1; /* the same each time: a retry would not pass either */
    }
    if (rc != 0) {
        uitvoerder_share_destroy (&sh);
        return rc;
    }
    *share_p = sh;
    return 0;
}

int
uitvoerder_share_record (node_t *self, uitvoerder_share_t *sh, uint32_t uid, kt_reason_t *reason)
{
    casusoverleg_t *casus = uitvoerder_of (self)->casus;
    for (size_t i = 0; i < sh->n_to; i++)
        if (casusoverleg_record_disclosure (casus, &sh->d, sh->to[i]->id, uid, sh->ids[i],
                                            reason) != 0 ||
            s_record_sources (self, &sh->picked, sh->case_ref, sh->ids[i], sh->to[i]->id, reason) !=
                0 ||
            uitvoerder_figure (self, casusoverleg_db (casus), FIGURE_SHARE, sh->case_ref,
                               sh->to[i]->kind, 0, reason) != 0)
            return -1;
    return 0;
}

int
uitvoerder_share_send (node_t *self, uitvoerder_share_t *sh, const char *user, json_t *json,
                       kt_reason_t *reason)
{
    /*  Each recipient on its own: one that fails stays recorded and
     *  unsent for the next start; the others go now. */
    int rc = 0;
    for (size_t i = 0; i < sh->n_to; i++) {
        kt_reason_t why;
        if (uitvoerder_casus_send_disclosure (self, &sh->d, sh->to[i], sh->ids[i],
                                              CASUS_STEP_RECORDED, &sh->copies[i], user, json,
                                              &why) != 0) {
            kt_log (KT_LOG_ERROR, "share send_failed case_ref=%s to=%s reason=\"%s\"", sh->case_ref,
                    sh->to[i]->id, why.text);
            if (rc == 0)
                *reason = why;
            rc = -1;
        }
    }
    if (rc == 0)
        kt_log (KT_LOG_INFO, "share case_ref=%s source=%s recipients=%zu items=%zu user=%s",
                sh->case_ref, sh->source, sh->n_to, sh->d.n_items, user);
    return rc;
}

/*  case.share { case_ref, to: [...], item_refs: [...], necessity,
 *  data_kinds: [...] }: the casusoverleg shares items a party supplied
 *  with other participants; each item needs its source's consent for
 *  each recipient (keten case consent at the source's node). */
static int
s_share (node_t *self, const api_caller_t *caller, json_t *args, json_t *result,
         kt_reason_t *reason)
{
    uitvoerder_t *u = uitvoerder_of (self);
    const char *case_ref = json_string_value (json_object_get (args, "case_ref"));
    const char *necessity = json_string_value (json_object_get (args, "necessity"));
    json_t *to_list = json_object_get (args, "to"),
           *kind_list = json_object_get (args, "data_kinds");
    if (!case_ref || !necessity)
        return kt_fail (reason, "case.share needs case_ref, to and necessity (art. 9.2: as far "
                                "as necessary)");
    char *to[POLICY_MAX_SHARE_TO], *kinds[16];
    size_t n_to = json_array_size (to_list), n_kinds = json_array_size (kind_list);
    if (!json_is_array (to_list) || n_to < 1 || n_to > POLICY_MAX_SHARE_TO)
        return kt_fail (reason, "case.share needs to: 1..%d participants", POLICY_MAX_SHARE_TO);
    if (!json_is_array (kind_list) || n_kinds < 1 || n_kinds > 16)
        return kt_fail (reason, "case.share needs data_kinds: 1..16 kinds of data");
    for (size_t i = 0; i < n_to; i++)
        if (!(to[i] = (char *) json_string_value (json_array_get (to_list, i))))
            return kt_fail (reason, "case.share: to holds member ids");
    for (size_t i = 0; i < n_kinds; i++)
        if (!(kinds[i] = (char *) json_string_value (json_array_get (kind_list, i))))
            return kt_fail (reason, "case.share: data_kinds holds words");
    refs_t refs;
    if (s_refs_parse ("case.share", json_object_get (args, "item_refs"), &refs, reason) != 0)
        return -1;
    /*  The same bounds as a participant's share decision. */
    Keten__ShareDecision sd = KETEN__SHARE_DECISION__INIT;
    sd.to = to;
    sd.n_to = n_to;
    sd.items = refs.refs;
    sd.n_items = refs.n;
    sd.necessity = (char *) necessity;
    sd.data_kinds = kinds;
    sd.n_data_kinds = n_kinds;
    Keten__CaseDecision cd = KETEN__CASE_DECISION__INIT;
    cd.case_ref = (char *) case_ref;
    cd.share = &sd;
    if (policy_body (KETEN__MESSAGE_TYPE__CASE_DECISION)->check (&cd.base, reason) != 0)
        return -1;
    casus_info_t info;
    uint8_t key[KEYSTORE_KEY_LEN];
    if (casusoverleg_case (u->casus, case_ref, &info, key, reason) != 0)
        return -1;
    uitvoerder_share_t *sh = NULL;
    int rc = uitvoerder_share_prepare (self, &info, key, NULL, to, n_to, refs.refs, refs.n,
                                       necessity, kinds, n_kinds, &sh, reason) == 0
                 ? 0
                 : -1;
    sodium_memzero (key, sizeof key);
    /*  Recorded before anything else, in one transaction: from here on
     *  the rest is resumed on start until it is done. */
    sqlite3 *db = casusoverleg_db (u->casus);
    if (rc == 0 && (rc = store_begin (db, reason)) == 0) {
        if (uitvoerder_share_record (self, sh, (uint32_t) caller->uid, reason) != 0 ||
            store_commit (db, reason) != 0) {
            store_rollback (db);
            rc = -1;
        }
    }
    char user[65];
    access_user_name (caller->uid, user, sizeof user);
    json_t *sent = json_array ();
    if (rc == 0 && uitvoerder_share_send (self, sh, user, sent, reason) != 0) {
        kt_reason_t why = *reason;
        rc = kt_fail (reason,
                      "the share of %s is recorded, but not logged and sent to every recipient "
                      "yet (done when ketend next starts): %s",
                      case_ref, why.text);
    }
    if (sh) {
        json_object_set_new (result, "source", json_string (sh->source));
        json_object_set_new (result, "items", json_integer ((json_int_t) sh->d.n_items));
    }
    json_object_set_new (result, "sent_to", sent);
    uitvoerder_share_destroy (&sh);
    return rc;
}

void
uitvoerder_case_share (node_t *self, const api_caller_t *caller, const char *cmd, json_t *args)
{
    (void) cmd;
    node_api_run (self, caller, args, s_share);
}
