/*  casebox: the cases a partner takes part in.  */
#include "casebox.h"

#include "disclosed.h"
#include "items.h"
#include "plan.h"
#include "store.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct _casebox_t {
    sqlite3 *db;
    keystore_t *keystore;
    char self_id[65];
};

static const char *const s_migrations[] = {
    "CREATE TABLE case_in (case_ref TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " participants TEXT NOT NULL, plan_version INTEGER NOT NULL, opened_ms INTEGER NOT NULL,"
    " closed_ms INTEGER, closure_advice BLOB, key_id BLOB NOT NULL);"
    "CREATE TABLE disclosure_in (message_id BLOB PRIMARY KEY, case_ref TEXT NOT NULL,"
    " necessity TEXT NOT NULL, data_kinds TEXT NOT NULL, consenting TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL, body BLOB NOT NULL);",
    /*  2: the closure decision as received, sealed under the case key (an
     *  externe casuspartner's lacks the advice, art. 10.5); the column
     *  meant for the advice was never written.  A disclosure's necessity
     *  is in its sealed body: no copy in the clear. */
    "ALTER TABLE case_in DROP COLUMN closure_advice;"
    "ALTER TABLE case_in ADD COLUMN closure BLOB;"
    "ALTER TABLE disclosure_in DROP COLUMN necessity;",
    /*  3, art. 9.4: the casusoverleg's newest advice to close, at a
     *  kernpartij involved (sealed under the case key), and when it was
     *  recorded: the closure decision taken here names it. */
    ("ALTER TABLE case_in ADD COLUMN advice BLOB;"
     "ALTER TABLE case_in ADD COLUMN advised_ms INTEGER NOT NULL DEFAULT 0;"),
    /*  4, art. 8.5, 9.4: a closed case the weegploeg put on the agenda
     *  again is open again.  live_ms is the newest time, on the
     *  uitvoerder's clock, that a plan version received was issued or an
     *  advice recorded: the case was open then, so a closure older than
     *  it (a copy that arrives late) was overtaken by a reopening.  Rows
     *  from before 4 have 0: every closure is taken, as it was. */
    "ALTER TABLE case_in ADD COLUMN live_ms INTEGER NOT NULL DEFAULT 0;",
};

casebox_t *
casebox_new (sqlite3 *db, keystore_t *keystore, const char *self_id, kt_reason_t *reason)
{
    casebox_t *self = calloc (1, sizeof *self);
    if (!self) {
        kt_fail (reason, "out of memory");
        return NULL;
    }
    self->db = db;
    self->keystore = keystore;
    snprintf (self->self_id, sizeof self->self_id, "%s", self_id);
    size_t n = sizeof s_migrations / sizeof s_migrations[0];
    int64_t was = store_int (db, "SELECT version FROM schema_version WHERE module='casebox'", 0);
    if (store_migrate (db, "casebox", s_migrations, n, reason) != 0 ||
        store_migrate (db, "plan", plan_migrations, plan_n_migrations, reason) != 0 ||
        /*  From schema 1 the clear necessity is dropped: overwrite its
         *  pages in the file now, not at some later checkpoint. */
        (was == 1 && store_wal_truncate (db, NULL, "truncate node.db's WAL", reason) != 0)) {
        casebox_destroy (&self);
        return NULL;
    }
    return self;
}

void
casebox_destroy (casebox_t **self_p)
{
    casebox_t *self = *self_p;
    if (!self)
        return;
    free (self);
    *self_p = NULL;
}

/*  The key of case_ref; with create, made on first sight of the case. */
static int
s_key (casebox_t *self, const char *case_ref, bool create, uint8_t key[KEYSTORE_KEY_LEN],
       uint8_t key_id[KEYSTORE_ID_LEN], bool *found, kt_reason_t *reason)
{
    *found = false;
    keystore_id_t k = {key_id, found};
    if (store_one (self->db, "SELECT key_id FROM case_in WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), keystore_id_row, &k, "find the case's key",
                   reason) < 0)
        return -1;
    if (*found)
        return keystore_get (self->keystore, key_id, key, reason);
    if (!create)
        return 0;
    return keystore_create (self->keystore, key_id, key, reason);
}

/*  The key of a case known here: 1, 0 when the case is unknown here, -1
 *  with reason.  The caller wipes key. */
static int
s_known_key (casebox_t *self, const char *case_ref, uint8_t key[KEYSTORE_KEY_LEN],
             kt_reason_t *reason)
{
    uint8_t key_id[KEYSTORE_ID_LEN];
    bool found;
    if (s_key (self, case_ref, false, key, key_id, &found, reason) != 0)
        return -1;
    return found ? 1 : 0;
}

/*  art. 8.5, 9.4: case_ref, closed here, was opened again at the
 *  uitvoerder when a plan version or an advice made at at_ms (the
 *  uitvoerder's clock, as the closure's time) comes after its closure: it
 *  is open again from now, without the closure or the closed round's
 *  advice, so the procedure starts afresh.  advised_ms stays: an advice
 *  of that round arriving late is not newer than it (every kernpartij
 *  that decided had the last one).  Inside the caller's transaction;
 *  nothing for a case that is open or unknown here. */
static int
s_reopen (casebox_t *self, const char *case_ref, uint64_t at_ms, kt_reason_t *reason)
{
    int changed = store_run (
        self->db,
        "UPDATE case_in SET state='open', opened_ms=?, closed_ms=NULL,"
        " closure=NULL, advice=NULL WHERE case_ref=? AND state='closed'"
        " AND closed_ms < ?",
        STORE_VALUES (STORE_INT (kt_now_ms ()), STORE_TEXT (case_ref), STORE_INT (at_ms)),
        "open the case again", reason);
    if (changed > 0)
        kt_log (KT_LOG_INFO, "case reopened case_ref=%s", case_ref);
    return changed < 0 ? -1 : 0;
}

int
casebox_store_plan (casebox_t *self, const Keten__CasePlan *plan, kt_reason_t *reason)
{
    bool me = false;
    for (size_t i = 0; i < plan->n_participants; i++)
        me |= strcmp (plan->participants[i], self->self_id) == 0;
    if (!me)
        return kt_fail (reason, "this node is not a participant of %s", plan->case_ref);
    uint8_t key[KEYSTORE_KEY_LEN], key_id[KEYSTORE_ID_LEN];
    bool found;
    if (s_key (self, plan->case_ref, true, key, key_id, &found, reason) != 0)
        return -1;
    char parts[2048];
    store_join (parts, sizeof parts, (const char *const *) plan->participants,
                plan->n_participants);
    int rc = store_begin (self->db, reason);
    if (rc == 0)
        rc = plan_store (self->db, plan, key, false, reason);
    /*  A version issued after the case's closure: the weegploeg put the
     *  case on the agenda again, and it is open again here. */
    if (rc == 0)
        rc = s_reopen (self, plan->case_ref, plan->issued_ms, reason);
    if (rc == 0) {
        /*  The case follows its newest version (copies may arrive out of
         *  order: an older one changes nothing). */
        if (store_run (self->db,
                       "INSERT INTO case_in (case_ref, state, participants, plan_version,"
                       " opened_ms, key_id, live_ms) VALUES (?1, 'open', ?2, ?3, ?4, ?5, ?6)"
                       " ON CONFLICT (case_ref) DO UPDATE SET"
                       " participants=CASE WHEN plan_version < ?3 THEN ?2 ELSE participants END,"
                       " plan_version=max(plan_version, ?3), live_ms=max(live_ms, ?6)",
                       STORE_VALUES (STORE_TEXT (plan->case_ref), STORE_TEXT (parts),
                                     STORE_INT (plan->version), STORE_INT (kt_now_ms ()),
                                     STORE_BLOB (key_id, KEYSTORE_ID_LEN),
                                     STORE_INT (plan->issued_ms)),
                       "store the case", reason) < 0)
            rc = -1;
    }
    sodium_memzero (key, sizeof key);
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

int
casebox_plan (casebox_t *self, const char *case_ref, uint32_t version, Keten__CasePlan **plan_p,
              kt_reason_t *reason)
{
    *plan_p = NULL;
    uint8_t key[KEYSTORE_KEY_LEN];
    int found = s_known_key (self, case_ref, key, reason);
    if (found <= 0)
        return found < 0 ? -1 : kt_fail (reason, "this node takes no part in case %.24s", case_ref);
    int rc = plan_load (self->db, case_ref, version, key, plan_p, reason);
    sodium_memzero (key, sizeof key);
    return rc;
}

int
casebox_close (casebox_t *self, const Keten__CaseClosure *c, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN];
    int found = s_known_key (self, c->case_ref, key, reason);
    if (found <= 0)
        return found < 0 ? -1 : 0; /* no plan reached this node: nothing to close */
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_seal_message (key, c->case_ref, strlen (c->case_ref), &c->base, &sealed,
                                    &sealed_len);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    /*  A copy offered again changes nothing; nor does one of a closure
     *  that a plan version or advice received here comes after (the case
     *  was opened again since, and this copy arrives late).  A newer
     *  closure replaces an older one kept here: the reopening between
     *  them may not have reached this node (its plan version still
     *  unsent), and would otherwise open the case here for good. */
    rc = store_run (self->db,
                    "UPDATE case_in SET state='closed', closed_ms=?1, closure=?2"
                    " WHERE case_ref=?3 AND (state='open' OR closed_ms < ?1) AND live_ms <= ?1",
                    STORE_VALUES (STORE_INT (c->closed_ms), STORE_BLOB (sealed, sealed_len),
                                  STORE_TEXT (c->case_ref)),
                    "close the case", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

/*  The associated data of a case's sealed advice: not the closure's (the
 *  case_ref alone), so neither opens in the other's column. */
static void
s_advice_ad (char *buf, size_t len, const char *case_ref)
{
    snprintf (buf, len, "advice/%s", case_ref);
}

int
casebox_advise (casebox_t *self, const Keten__CaseClosure *a, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN];
    int found = s_known_key (self, a->case_ref, key, reason);
    if (found <= 0)
        return found < 0 ? -1
                         : kt_fail (reason, "an advice on case %.24s, which no plan brought here",
                                    a->case_ref);
    char ad[48];
    s_advice_ad (ad, sizeof ad, a->case_ref);
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_seal_message (key, ad, strlen (ad), &a->base, &sealed, &sealed_len);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    /*  An advice made after the case's closure reopens it (the plan
     *  version that does so may come later); only a newer advice
     *  replaces the one kept; a copy offered again changes nothing. */
    rc = store_begin (self->db, reason);
    if (rc == 0)
        rc = s_reopen (self, a->case_ref, a->advised_ms, reason);
    if (rc == 0 &&
        store_run (self->db,
                   "UPDATE case_in SET advice=?1, advised_ms=?2, live_ms=max(live_ms, ?2)"
                   " WHERE case_ref=?3 AND state='open' AND advised_ms < ?2",
                   STORE_VALUES (STORE_BLOB (sealed, sealed_len), STORE_INT (a->advised_ms),
                                 STORE_TEXT (a->case_ref)),
                   "keep the advice", reason) < 0)
        rc = -1;
    free (sealed);
    if (rc != 0 || store_commit (self->db, reason) != 0) {
        store_rollback (self->db);
        return -1;
    }
    return 0;
}

/*  A sealed column 0, opened under key with ad. */
typedef struct {
    const uint8_t *key;
    const char *ad;
    uint8_t *plain;
    size_t plain_len;
} opening_t;

static int
s_open_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    opening_t *o = arg;
    if (keystore_unseal (o->key, o->ad, strlen (o->ad), sqlite3_column_blob (q, 0),
                         (size_t) sqlite3_column_bytes (q, 0), &o->plain, &o->plain_len) != 0)
        o->plain = NULL;
    return 0;
}

int
casebox_get_closure (casebox_t *self, const char *case_ref, Keten__CaseClosure **c_p,
                     kt_reason_t *reason)
{
    *c_p = NULL;
    uint8_t key[KEYSTORE_KEY_LEN];
    int found = s_known_key (self, case_ref, key, reason);
    if (found <= 0)
        return found < 0 ? -1 : 0;
    opening_t o = {key, case_ref, NULL, 0};
    int rc = store_one (
        self->db, "SELECT closure FROM case_in WHERE case_ref=? AND closure IS NOT NULL",
        STORE_VALUES (STORE_TEXT (case_ref)), s_open_row, &o, "read the closure", reason);
    sodium_memzero (key, sizeof key);
    if (o.plain) {
        *c_p = keten__case_closure__unpack (NULL, o.plain_len, o.plain);
        sodium_memzero (o.plain, o.plain_len);
        free (o.plain);
    }
    /*  A closure that does not open counts as none, as it always has. */
    return rc < 0 ? -1 : *c_p ? 1 : 0;
}

int
casebox_advice (casebox_t *self, const char *case_ref, Keten__CaseClosure **a_p,
                kt_reason_t *reason)
{
    *a_p = NULL;
    uint8_t key[KEYSTORE_KEY_LEN];
    int found = s_known_key (self, case_ref, key, reason);
    if (found <= 0)
        return found < 0 ? -1 : 0;
    char ad[48];
    s_advice_ad (ad, sizeof ad, case_ref);
    opening_t o = {key, ad, NULL, 0};
    int rc =
        store_one (self->db,
                   "SELECT advice FROM case_in WHERE case_ref=? AND state='open'"
                   " AND advice IS NOT NULL",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_open_row, &o, "read the advice", reason);
    sodium_memzero (key, sizeof key);
    if (rc > 0 && !o.plain)
        return kt_fail (reason, "the advice on %.24s does not unseal", case_ref);
    if (o.plain) {
        *a_p = keten__case_closure__unpack (NULL, o.plain_len, o.plain);
        sodium_memzero (o.plain, o.plain_len);
        free (o.plain);
        if (!*a_p)
            return kt_fail (reason, "the advice on %.24s does not decode", case_ref);
    }
    return rc < 0 ? -1 : *a_p ? 1 : 0;
}

static int
s_closed_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    *(bool *) arg = strcmp (store_text (q, 0), "closed") == 0;
    return 0;
}

bool
casebox_closed (casebox_t *self, const char *case_ref)
{
    bool closed = false;
    kt_reason_t reason;
    if (store_one (self->db, "SELECT state FROM case_in WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), s_closed_row, &closed, "read the case",
                   &reason) < 0)
        kt_log (KT_LOG_ERROR, "case lookup_failed reason=\"%s\"", reason.text);
    return closed;
}

int
casebox_store_disclosure (casebox_t *self, const uint8_t id[KT_ID_LEN],
                          const Keten__DisclosureConsent *d, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN];
    int found = s_known_key (self, d->case_ref, key, reason);
    if (found <= 0)
        return found < 0 ? -1
                         : kt_fail (reason,
                                    "a disclosure for case %.24s, which this node takes no part in",
                                    d->case_ref);
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_seal_message (key, id, KT_ID_LEN, &d->base, &sealed, &sealed_len);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    char kinds[2048], consenting[2048]; /* 16 kinds, 16 ids of 64 bytes, commas */
    store_join (kinds, sizeof kinds, (const char *const *) d->data_kinds, d->n_data_kinds);
    store_join (consenting, sizeof consenting, (const char *const *) d->consenting,
                d->n_consenting);
    /*  The necessity is read from the sealed body (casebox_disclosures). */
    rc = store_run (self->db,
                    "INSERT OR IGNORE INTO disclosure_in (message_id, case_ref, data_kinds,"
                    " consenting, received_ms, body) VALUES (?,?,?,?,?,?)",
                    STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (d->case_ref),
                                  STORE_TEXT (kinds), STORE_TEXT (consenting),
                                  STORE_INT (kt_now_ms ()), STORE_BLOB (sealed, sealed_len)),
                    "store the disclosure", reason);
    free (sealed);
    return rc < 0 ? -1 : 0;
}

/*  The disclosure (or share) id of case_ref kept here, unsealed into
 *  *d (the caller frees it) with the case key into key (the caller wipes
 *  it): 1, 0 when none is kept here (or the case's key is gone), -1 with
 *  reason. */
static int
s_disclosure_read (casebox_t *self, const char *case_ref, const uint8_t id[KT_ID_LEN],
                   uint8_t key[KEYSTORE_KEY_LEN], Keten__DisclosureConsent **d, kt_reason_t *reason)
{
    *d = NULL;
    int found = s_known_key (self, case_ref, key, reason);
    if (found <= 0)
        return found;
    /*  The message id binds the sealed disclosure to its row. */
    keystore_record_t r = {NULL, key,
                           id,   KT_ID_LEN,
                           0,    &keten__disclosure_consent__descriptor,
                           NULL, KEYSTORE_NO_RECORD};
    int rc =
        store_one (self->db, "SELECT body FROM disclosure_in WHERE message_id=? AND case_ref=?",
                   STORE_VALUES (STORE_BLOB (id, KT_ID_LEN), STORE_TEXT (case_ref)),
                   keystore_record_row, &r, "read the disclosure", reason);
    *d = (Keten__DisclosureConsent *) r.msg;
    if (rc <= 0)
        return rc;
    if (r.result != 0 || !*d)
        return kt_fail (reason, "a disclosure of %.24s does not unseal", case_ref);
    return 1;
}

int
casebox_disclosure_size (casebox_t *self, const char *case_ref, const uint8_t id[KT_ID_LEN],
                         size_t *n_items, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN];
    Keten__DisclosureConsent *d = NULL;
    int rc = s_disclosure_read (self, case_ref, id, key, &d, reason);
    sodium_memzero (key, sizeof key);
    *n_items = rc == 1 ? d->n_items : 0;
    if (d)
        keten__disclosure_consent__free_unpacked (d, NULL);
    return rc;
}

int
casebox_disclosure_set_item (casebox_t *self, const char *case_ref, const uint8_t id[KT_ID_LEN],
                             uint32_t position, const Keten__SignalItem *item, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN];
    Keten__DisclosureConsent *d = NULL;
    int found = s_disclosure_read (self, case_ref, id, key, &d, reason);
    int result = found < 0 ? -1 : found == 0 ? 2 : 0;
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (result == 0)
        result = disclosed_reseal (d, position, item, key, id, &sealed, &sealed_len, reason);
    if (result == 1 &&
        store_run (self->db, "UPDATE disclosure_in SET body=? WHERE message_id=?",
                   STORE_VALUES (STORE_BLOB (sealed, sealed_len), STORE_BLOB (id, KT_ID_LEN)),
                   "correct a disclosed item", reason) < 0)
        result = -1;
    free (sealed);
    sodium_memzero (key, sizeof key);
    if (d)
        keten__disclosure_consent__free_unpacked (d, NULL);
    return result;
}

typedef struct {
    casebox_t *self;
    casebox_row_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    casebox_row_t row = {.case_ref = store_text (q, 0),
                         .state = store_text (q, 1),
                         .plan_version = sqlite3_column_int64 (q, 2),
                         .participants = store_text (q, 3),
                         .opened_ms = (uint64_t) sqlite3_column_int64 (q, 4),
                         .closed_ms = (uint64_t) sqlite3_column_int64 (q, 5),
                         .disclosures = sqlite3_column_int64 (q, 6)};
    /*  Own measures overdue in the newest plan; a plan that cannot be
     *  read here has none to show. */
    Keten__CasePlan *plan = NULL;
    kt_reason_t why;
    if (casebox_plan (v->self, row.case_ref, 0, &plan, &why) == 0 && plan) {
        row.overdue_own = plan_overdue (plan, v->self->self_id);
        keten__case_plan__free_unpacked (plan, NULL);
    }
    return v->fn (v->arg, &row, reason);
}

int
casebox_each (casebox_t *self, casebox_row_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {self, fn, arg};
    return store_each (self->db,
                       "SELECT case_ref, state, plan_version, participants, opened_ms, closed_ms,"
                       " (SELECT count(*) FROM disclosure_in d WHERE d.case_ref=c.case_ref)"
                       " FROM case_in c ORDER BY opened_ms DESC",
                       NULL, NULL, s_row, &v, "list the cases", reason);
}

typedef struct {
    const uint8_t *key;
    casebox_disclosure_fn *fn;
    void *arg;
} disclosure_visit_t;

static int
s_disclosure_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    disclosure_visit_t *v = arg;
    ProtobufCMessage *msg = NULL;
    /*  A record that does not open is passed over, as it always was. */
    if (!store_blob_is (q, 0, KT_ID_LEN) ||
        keystore_unseal_message (v->key, sqlite3_column_blob (q, 0), KT_ID_LEN,
                                 sqlite3_column_blob (q, 1), (size_t) sqlite3_column_bytes (q, 1),
                                 &keten__disclosure_consent__descriptor, &msg) != 0)
        return 0;
    Keten__DisclosureConsent *d = (Keten__DisclosureConsent *) msg;
    int rc = v->fn (v->arg, d, (uint64_t) sqlite3_column_int64 (q, 2), reason);
    keten__disclosure_consent__free_unpacked (d, NULL);
    return rc;
}

int
casebox_each_disclosure (casebox_t *self, const char *case_ref, casebox_disclosure_fn *fn,
                         void *arg, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN];
    int found = s_known_key (self, case_ref, key, reason);
    if (found <= 0)
        return found < 0 ? -1 : 0;
    disclosure_visit_t v = {key, fn, arg};
    int rc = store_each (self->db,
                         "SELECT message_id, body, received_ms FROM disclosure_in"
                         " WHERE case_ref=? ORDER BY received_ms",
                         store_bind_values, (void *) STORE_VALUES (STORE_TEXT (case_ref)),
                         s_disclosure_row, &v, "list the disclosures", reason);
    sodium_memzero (key, sizeof key);
    return rc;
}

typedef struct {
    casebox_last_fn *fn;
    void *arg;
} last_visit_t;

static int
s_last_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    last_visit_t *v = arg;
    return v->fn (v->arg, store_text (q, 0), (uint64_t) sqlite3_column_int64 (q, 1), reason);
}

int
casebox_each_last (casebox_t *self, casebox_last_fn *fn, void *arg, kt_reason_t *reason)
{
    last_visit_t v = {fn, arg};
    return store_each (
        self->db,
        "SELECT c.case_ref, max(c.opened_ms, coalesce(c.closed_ms, 0),"
        " coalesce((SELECT max(stored_ms) FROM plan p WHERE p.case_ref=c.case_ref), 0),"
        " coalesce((SELECT max(received_ms) FROM disclosure_in d WHERE d.case_ref=c.case_ref), 0))"
        " FROM case_in c",
        NULL, NULL, s_last_row, &v, "list the cases' last processing", reason);
}

int
casebox_forget (casebox_t *self, const char *case_ref, uint8_t key_id[KEYSTORE_ID_LEN], bool *found,
                kt_reason_t *reason)
{
    *found = false;
    keystore_id_t k = {key_id, found};
    /*  The plan table is this module's at a partner (it runs plan.c's
     *  migrations on node.db); versions are never updated, but they go
     *  when the case goes (art. 13). */
    if (store_one (self->db, "SELECT key_id FROM case_in WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), keystore_id_row, &k, "find the case's key",
                   reason) < 0 ||
        store_run (self->db, "DELETE FROM plan WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), "delete the plan versions", reason) < 0 ||
        store_run (self->db, "DELETE FROM disclosure_in WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), "delete the disclosures", reason) < 0 ||
        store_run (self->db, "DELETE FROM case_in WHERE case_ref=?",
                   STORE_VALUES (STORE_TEXT (case_ref)), "delete the case", reason) < 0)
        return -1;
    return 0;
}
