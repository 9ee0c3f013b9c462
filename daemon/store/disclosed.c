/*  disclosed: where the items passed on in the casusoverleg came from.  */
#include "disclosed.h"

#include "items.h"

#include <string.h>

const char *const disclosed_migrations[] = {
    /*  art. 9.2, 10.4-10.5, 12.5: one row per place in a disclosure's
     *  items: the source message and the item's index there (an empty
     *  source_id: not known), and who received it. */
    "CREATE TABLE disclosed_item (message_id BLOB NOT NULL, position INTEGER NOT NULL,"
    " case_ref TEXT NOT NULL, recipient TEXT NOT NULL, source_id BLOB NOT NULL,"
    " item_index INTEGER NOT NULL, PRIMARY KEY (message_id, position));"
    "CREATE INDEX disclosed_item_by_source ON disclosed_item (case_ref, source_id);",
};
const size_t disclosed_n_migrations = sizeof disclosed_migrations / sizeof disclosed_migrations[0];

int
disclosed_record (sqlite3 *db, const char *case_ref, const uint8_t message_id[KT_ID_LEN],
                  const char *recipient, size_t n, const uint8_t *const *sources,
                  const uint32_t *indexes, kt_reason_t *reason)
{
    for (size_t k = 0; k < n; k++) {
        bool known = sources[k] != NULL;
        /*  A repeat (the record resumed) finds its rows. */
        if (store_run (db,
                       "INSERT OR IGNORE INTO disclosed_item (message_id, position, case_ref,"
                       " recipient, source_id, item_index) VALUES (?,?,?,?,?,?)",
                       STORE_VALUES (STORE_BLOB (message_id, KT_ID_LEN), STORE_INT (k),
                                     STORE_TEXT (case_ref), STORE_TEXT (recipient),
                                     STORE_BLOB (known ? sources[k] : (const uint8_t *) "",
                                                 known ? KT_ID_LEN : 0),
                                     STORE_INT (known ? indexes[k] : 0)),
                       "record where a disclosed item came from", reason) < 0)
            return -1;
    }
    return 0;
}

typedef struct {
    disclosed_fn *fn;
    void *arg;
} visit_t;

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    visit_t *v = arg;
    if (!store_blob_is (q, 0, KT_ID_LEN))
        return kt_fail (reason, "a disclosed item's row has no message id");
    disclosed_t row = {.message_id = sqlite3_column_blob (q, 0),
                       .recipient = store_text (q, 1),
                       .position = (uint32_t) sqlite3_column_int64 (q, 2),
                       .item_index = (uint32_t) sqlite3_column_int64 (q, 3)};
    return v->fn (v->arg, &row, reason);
}

int
disclosed_each (sqlite3 *db, const char *case_ref, const uint8_t source_id[KT_ID_LEN],
                disclosed_fn *fn, void *arg, kt_reason_t *reason)
{
    visit_t v = {fn, arg};
    return store_each (
        db,
        "SELECT message_id, recipient, position, item_index FROM disclosed_item"
        " WHERE case_ref=? AND source_id=? ORDER BY message_id, position",
        store_bind_values,
        (void *) STORE_VALUES (STORE_TEXT (case_ref), STORE_BLOB (source_id, KT_ID_LEN)), s_row, &v,
        "list where a message's items were passed on", reason);
}

int
disclosed_forget (sqlite3 *db, const char *case_ref, kt_reason_t *reason)
{
    return store_run (db, "DELETE FROM disclosed_item WHERE case_ref=?",
                      STORE_VALUES (STORE_TEXT (case_ref)),
                      "delete where disclosed items came from", reason) < 0
               ? -1
               : 0;
}

int
disclosed_reseal (Keten__DisclosureConsent *d, uint32_t position, const Keten__SignalItem *item,
                  const uint8_t key[KEYSTORE_KEY_LEN], const uint8_t id[KT_ID_LEN],
                  uint8_t **sealed_p, size_t *sealed_len_p, kt_reason_t *reason)
{
    *sealed_p = NULL;
    if (position >= d->n_items)
        return kt_fail (reason, "a disclosure holds %zu items, not one at %u", d->n_items,
                        (unsigned) position);
    if (items_same (d->items[position], item))
        return 0;
    /*  The new item in its place, sealed again with the message id as
     *  before; the old item is put back before the message is freed. */
    Keten__SignalItem *old = d->items[position];
    d->items[position] = (Keten__SignalItem *) item;
    int rc = keystore_seal_message (key, id, KT_ID_LEN, &d->base, sealed_p, sealed_len_p);
    d->items[position] = old;
    return rc == 0 ? 1 : kt_fail (reason, "out of memory");
}
