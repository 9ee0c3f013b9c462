/*  freshids: which message ids a table certainly does not hold. */
#include "freshids.h"

#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  Ids more than this past the clock are kept in `above`. */
#define FRESH_AHEAD_MS (24 * 3600 * 1000ull)
/*  At most this many such ids (1 MiB of them) are listed; those past
 *  the highest listed count as the ceiling.  Held signals and transferred
 *  ones are the only ones a node stores with such ids. */
#define FRESH_ABOVE_MAX 65536

/*  The first id of the milliseconds FRESH_AHEAD_MS past now. */
static void
s_ahead (uint8_t out[KT_ID_LEN], uint64_t now_ms)
{
    memset (out, 0, KT_ID_LEN);
    uint64_t ms = now_ms + FRESH_AHEAD_MS;
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t) (ms >> (8 * (5 - i)));
}

static int
s_id_cmp (const void *a, const void *b)
{
    return memcmp (a, b, KT_ID_LEN);
}

/*  Whether id is in `above` (bsearch must not be given its NULL). */
static bool
s_above_has (const fresh_ids_t *self, const uint8_t id[KT_ID_LEN])
{
    return self->n_above > 0 && bsearch (id, self->above, self->n_above, KT_ID_LEN, s_id_cmp);
}

void
fresh_ids_note (fresh_ids_t *self, const uint8_t id[KT_ID_LEN], uint64_t now_ms)
{
    uint8_t ahead[KT_ID_LEN];
    s_ahead (ahead, now_ms);
    if (memcmp (id, ahead, KT_ID_LEN) < 0) {
        if (memcmp (id, self->below, KT_ID_LEN) > 0)
            memcpy (self->below, id, KT_ID_LEN);
        return;
    }
    if (self->unknown || s_above_has (self, id) ||
        (self->capped && memcmp (id, self->ceiling, KT_ID_LEN) >= 0))
        return;
    if (self->n_above == FRESH_ABOVE_MAX) {
        /*  Full: the highest of the list and id leaves it for the
         *  ceiling.  These ids are random over thousands of years, so the
         *  lowest listed stay far past any id made now. */
        const uint8_t *last = self->above[self->n_above - 1];
        bool id_higher = memcmp (id, last, KT_ID_LEN) > 0;
        const uint8_t *out = id_higher ? id : last;
        if (!self->capped || memcmp (out, self->ceiling, KT_ID_LEN) < 0)
            memcpy (self->ceiling, out, KT_ID_LEN);
        self->capped = true;
        if (id_higher)
            return;
        self->n_above--;
    }
    if (self->n_above % 64 == 0) {
        uint8_t (*a)[KT_ID_LEN] = realloc (self->above, (self->n_above + 64) * KT_ID_LEN);
        if (!a) {
            self->unknown = true;
            return;
        }
        self->above = a;
    }
    /*  Its place by binary search (id is not listed), then one move:
     *  ids in random order would otherwise cost a comparison per entry
     *  passed. */
    size_t lo = 0, hi = self->n_above;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp (self->above[mid], id, KT_ID_LEN) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove (self->above[lo + 1], self->above[lo], (self->n_above - lo) * KT_ID_LEN);
    memcpy (self->above[lo], id, KT_ID_LEN);
    self->n_above++;
}

bool
fresh_ids_new (const fresh_ids_t *self, const uint8_t id[KT_ID_LEN])
{
    return !self->unknown && memcmp (id, self->below, KT_ID_LEN) > 0 &&
           !(self->capped && memcmp (id, self->ceiling, KT_ID_LEN) >= 0) && !s_above_has (self, id);
}

static int
s_row (sqlite3_stmt *q, void *arg, kt_reason_t *reason)
{
    (void) reason;
    fresh_ids_t *self = arg;
    if (sqlite3_column_type (q, 0) == SQLITE_NULL)
        return 0; /* max() of no rows */
    if (!store_blob_is (q, 0, KT_ID_LEN))
        self->unknown = true; /* not an id as keten makes them: ask the file */
    else
        fresh_ids_note (self, sqlite3_column_blob (q, 0), kt_now_ms ());
    return 0;
}

int
fresh_ids_load (fresh_ids_t *self, sqlite3 *db, const char *table, const char *column,
                kt_reason_t *reason)
{
    uint8_t ahead[KT_ID_LEN];
    s_ahead (ahead, kt_now_ms ());
    const store_value_t *at = STORE_VALUES (STORE_BLOB (ahead, KT_ID_LEN));
    char max_sql[160], past_sql[160];
    snprintf (max_sql, sizeof max_sql, "SELECT max(%s) FROM %s WHERE %s < ?", column, table,
              column);
    snprintf (past_sql, sizeof past_sql, "SELECT %s FROM %s WHERE %s >= ?", column, table, column);
    if (store_each (db, max_sql, store_bind_values, (void *) at, s_row, self,
                    "find the newest message id", reason) != 0 ||
        store_each (db, past_sql, store_bind_values, (void *) at, s_row, self,
                    "find the message ids past the clock", reason) != 0)
        return -1;
    /*  A stored id of another length is never equal to one asked about
     *  (KT_ID_LEN bytes); one read above (the bound, or one past the
     *  clock) makes the set unknown, to be safe. */
    return 0;
}

void
fresh_ids_free (fresh_ids_t *self)
{
    free (self->above);
    memset (self, 0, sizeof *self);
}
