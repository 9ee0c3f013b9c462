/*  casebox: the cases a partner takes part in.  */
#include "casebox.h"

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
        (was == 1 && store_exec (db, "PRAGMA wal_checkpoint(TRUNCATE)", reason) != 0)) {
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
    sqlite3_stmt *q =
        store_prepare (self->db, "SELECT key_id FROM case_in WHERE case_ref=?", reason);
    if (!q)
        return -1;
    sqlite3_bind_text (q, 1, case_ref, -1, SQLITE_STATIC);
    *found = sqlite3_step (q) == SQLITE_ROW && sqlite3_column_bytes (q, 0) == KEYSTORE_ID_LEN;
    if (*found)
        memcpy (key_id, sqlite3_column_blob (q, 0), KEYSTORE_ID_LEN);
    sqlite3_finalize (q);
    if (*found)
        return keystore_get (self->keystore, key_id, key, reason);
    if (!create)
        return 0;
    return keystore_create (self->keystore, key_id, key, reason);
}

static void
s_join (char *buf, size_t len, char *const *items, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++)
        o += (size_t) snprintf (buf + o, len - o, "%s%s", i ? "," : "", items[i]);
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
    s_join (parts, sizeof parts, plan->participants, plan->n_participants);
    int rc = store_begin (self->db, reason);
    if (rc == 0)
        rc = plan_store (self->db, plan, key, false, reason);
    if (rc == 0) {
        /*  The case follows its newest version (copies may arrive out of
         *  order: an older one changes nothing). */
        sqlite3_stmt *s = store_prepare (
            self->db,
            "INSERT INTO case_in (case_ref, state, participants, plan_version, opened_ms, key_id)"
            " VALUES (?1, 'open', ?2, ?3, ?4, ?5) ON CONFLICT (case_ref) DO UPDATE SET"
            " participants=?2, plan_version=?3 WHERE plan_version < ?3",
            reason);
        if (!s)
            rc = -1;
        else {
            sqlite3_bind_text (s, 1, plan->case_ref, -1, SQLITE_STATIC);
            sqlite3_bind_text (s, 2, parts, -1, SQLITE_STATIC);
            sqlite3_bind_int64 (s, 3, plan->version);
            sqlite3_bind_int64 (s, 4, (sqlite3_int64) kt_now_ms ());
            sqlite3_bind_blob (s, 5, key_id, KEYSTORE_ID_LEN, SQLITE_STATIC);
            if (sqlite3_step (s) != SQLITE_DONE)
                rc = kt_fail (reason, "cannot store the case: %s", sqlite3_errmsg (self->db));
            sqlite3_finalize (s);
        }
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
    uint8_t key[KEYSTORE_KEY_LEN], key_id[KEYSTORE_ID_LEN];
    bool found;
    if (s_key (self, case_ref, false, key, key_id, &found, reason) != 0)
        return -1;
    if (!found)
        return kt_fail (reason, "this node takes no part in case %.24s", case_ref);
    int rc = plan_load (self->db, case_ref, version, key, plan_p, reason);
    sodium_memzero (key, sizeof key);
    return rc;
}

int
casebox_close (casebox_t *self, const Keten__CaseClosure *c, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN], key_id[KEYSTORE_ID_LEN];
    bool found;
    if (s_key (self, c->case_ref, false, key, key_id, &found, reason) != 0)
        return -1;
    if (!found)
        return 0; /* no plan ever reached this node: nothing to close */
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_seal_message (key, c->case_ref, strlen (c->case_ref), &c->base, &sealed,
                                    &sealed_len);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    /*  A copy offered again changes nothing. */
    sqlite3_stmt *s = store_prepare (self->db,
                                     "UPDATE case_in SET state='closed', closed_ms=?, closure=?"
                                     " WHERE case_ref=? AND state='open'",
                                     reason);
    if (s) {
        sqlite3_bind_int64 (s, 1, (sqlite3_int64) c->closed_ms);
        sqlite3_bind_blob (s, 2, sealed, (int) sealed_len, SQLITE_STATIC);
        sqlite3_bind_text (s, 3, c->case_ref, -1, SQLITE_STATIC);
        rc = sqlite3_step (s) == SQLITE_DONE
                 ? 0
                 : kt_fail (reason, "cannot close the case: %s", sqlite3_errmsg (self->db));
        sqlite3_finalize (s);
    } else
        rc = -1;
    free (sealed);
    return rc;
}

json_t *
casebox_closure (casebox_t *self, const char *case_ref)
{
    uint8_t key[KEYSTORE_KEY_LEN], key_id[KEYSTORE_ID_LEN];
    bool found;
    kt_reason_t reason;
    if (s_key (self, case_ref, false, key, key_id, &found, &reason) != 0 || !found)
        return NULL;
    json_t *out = NULL;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT closure FROM case_in WHERE case_ref=? AND closure IS NOT NULL",
                            -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text (q, 1, case_ref, -1, SQLITE_STATIC);
        uint8_t *plain = NULL;
        size_t plain_len = 0;
        Keten__CaseClosure *c = NULL;
        if (sqlite3_step (q) == SQLITE_ROW &&
            keystore_unseal (key, case_ref, strlen (case_ref), sqlite3_column_blob (q, 0),
                             (size_t) sqlite3_column_bytes (q, 0), &plain, &plain_len) == 0)
            c = keten__case_closure__unpack (NULL, plain_len, plain);
        if (plain) {
            sodium_memzero (plain, plain_len);
            free (plain);
        }
        if (c) {
            json_t *by = json_array ();
            for (size_t i = 0; i < c->n_decided_by; i++)
                json_array_append_new (by, json_string (c->decided_by[i]));
            out =
                json_pack ("{s:o, s:I}", "decided_by", by, "closed_ms", (json_int_t) c->closed_ms);
            /*  An externe casuspartner gets none (art. 10.5). */
            if (*c->advice)
                json_object_set_new (out, "advice", json_string (c->advice));
            keten__case_closure__free_unpacked (c, NULL);
        }
        sqlite3_finalize (q);
    }
    sodium_memzero (key, sizeof key);
    return out;
}

bool
casebox_closed (casebox_t *self, const char *case_ref)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db, "SELECT state FROM case_in WHERE case_ref=?", -1, &q, NULL) !=
        SQLITE_OK)
        return false;
    sqlite3_bind_text (q, 1, case_ref, -1, SQLITE_STATIC);
    bool closed = sqlite3_step (q) == SQLITE_ROW &&
                  strcmp ((const char *) sqlite3_column_text (q, 0), "closed") == 0;
    sqlite3_finalize (q);
    return closed;
}

int
casebox_store_disclosure (casebox_t *self, const uint8_t id[KT_ID_LEN],
                          const Keten__DisclosureConsent *d, kt_reason_t *reason)
{
    uint8_t key[KEYSTORE_KEY_LEN], key_id[KEYSTORE_ID_LEN];
    bool found;
    if (s_key (self, d->case_ref, false, key, key_id, &found, reason) != 0)
        return -1;
    if (!found)
        return kt_fail (reason, "a disclosure for case %.24s, which this node takes no part in",
                        d->case_ref);
    uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    int rc = keystore_seal_message (key, id, KT_ID_LEN, &d->base, &sealed, &sealed_len);
    sodium_memzero (key, sizeof key);
    if (rc != 0)
        return kt_fail (reason, "out of memory");
    char kinds[1024], consenting[1024];
    s_join (kinds, sizeof kinds, d->data_kinds, d->n_data_kinds);
    s_join (consenting, sizeof consenting, d->consenting, d->n_consenting);
    /*  The necessity is read from the sealed body (casebox_disclosures). */
    sqlite3_stmt *s = store_prepare (self->db,
                                     "INSERT OR IGNORE INTO disclosure_in (message_id, case_ref,"
                                     " data_kinds, consenting, received_ms, body)"
                                     " VALUES (?,?,?,?,?,?)",
                                     reason);
    if (s) {
        sqlite3_bind_blob (s, 1, id, KT_ID_LEN, SQLITE_STATIC);
        sqlite3_bind_text (s, 2, d->case_ref, -1, SQLITE_STATIC);
        sqlite3_bind_text (s, 3, kinds, -1, SQLITE_STATIC);
        sqlite3_bind_text (s, 4, consenting, -1, SQLITE_STATIC);
        sqlite3_bind_int64 (s, 5, (sqlite3_int64) kt_now_ms ());
        sqlite3_bind_blob (s, 6, sealed, (int) sealed_len, SQLITE_STATIC);
        rc = sqlite3_step (s) == SQLITE_DONE
                 ? 0
                 : kt_fail (reason, "cannot store the disclosure: %s", sqlite3_errmsg (self->db));
        sqlite3_finalize (s);
    }
    free (sealed);
    return rc;
}

json_t *
casebox_list (casebox_t *self)
{
    json_t *list = json_array ();
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT case_ref, state, plan_version, participants, opened_ms,"
                            " closed_ms, (SELECT count(*) FROM disclosure_in d WHERE"
                            " d.case_ref=c.case_ref) FROM case_in c ORDER BY opened_ms DESC",
                            -1, &q, NULL) != SQLITE_OK)
        return list;
    while (sqlite3_step (q) == SQLITE_ROW) {
        const char *ref = (const char *) sqlite3_column_text (q, 0);
        Keten__CasePlan *plan = NULL;
        kt_reason_t reason;
        size_t overdue = 0;
        if (casebox_plan (self, ref, 0, &plan, &reason) == 0 && plan) {
            overdue = plan_overdue (plan, self->self_id);
            keten__case_plan__free_unpacked (plan, NULL);
        }
        json_array_append_new (list,
                               json_pack ("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I}", "case_ref",
                                          ref, "state", (const char *) sqlite3_column_text (q, 1),
                                          "plan_version", (json_int_t) sqlite3_column_int64 (q, 2),
                                          "participants", (const char *) sqlite3_column_text (q, 3),
                                          "opened_ms", (json_int_t) sqlite3_column_int64 (q, 4),
                                          "closed_ms", (json_int_t) sqlite3_column_int64 (q, 5),
                                          "overdue_own", (json_int_t) overdue, "disclosures",
                                          (json_int_t) sqlite3_column_int64 (q, 6)));
    }
    sqlite3_finalize (q);
    return list;
}

json_t *
casebox_disclosures (casebox_t *self, const char *case_ref)
{
    json_t *list = json_array ();
    uint8_t key[KEYSTORE_KEY_LEN], key_id[KEYSTORE_ID_LEN];
    bool found;
    kt_reason_t reason;
    if (s_key (self, case_ref, false, key, key_id, &found, &reason) != 0 || !found)
        return list;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2 (self->db,
                            "SELECT message_id, body, received_ms FROM disclosure_in"
                            " WHERE case_ref=? ORDER BY received_ms",
                            -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text (q, 1, case_ref, -1, SQLITE_STATIC);
        while (sqlite3_step (q) == SQLITE_ROW) {
            uint8_t *plain = NULL;
            size_t plain_len = 0;
            if (sqlite3_column_bytes (q, 0) != KT_ID_LEN ||
                keystore_unseal (key, sqlite3_column_blob (q, 0), KT_ID_LEN,
                                 sqlite3_column_blob (q, 1), (size_t) sqlite3_column_bytes (q, 1),
                                 &plain, &plain_len) != 0)
                continue;
            Keten__DisclosureConsent *d =
                keten__disclosure_consent__unpack (NULL, plain_len, plain);
            sodium_memzero (plain, plain_len);
            free (plain);
            if (!d)
                continue;
            json_t *kinds = json_array (), *who = json_array ();
            for (size_t i = 0; i < d->n_data_kinds; i++)
                json_array_append_new (kinds, json_string (d->data_kinds[i]));
            for (size_t i = 0; i < d->n_consenting; i++)
                json_array_append_new (who, json_string (d->consenting[i]));
            json_t *items = items_to_json (d->items, d->n_items);
            json_array_append_new (list, json_pack ("{s:s, s:o, s:o, s:o*, s:I}", "necessity",
                                                    d->necessity, "data_kinds", kinds, "consenting",
                                                    who, "items", items, "received_ms",
                                                    (json_int_t) sqlite3_column_int64 (q, 2)));
            keten__disclosure_consent__free_unpacked (d, NULL);
        }
        sqlite3_finalize (q);
    }
    sodium_memzero (key, sizeof key);
    return list;
}
