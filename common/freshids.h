/*  freshids: which message ids a table certainly does not hold, without
 *  asking the file (issue #17).  keten's ids are time-ordered (6 bytes of
 *  milliseconds, then random bytes), so an arriving id is nearly always
 *  past every one stored before it.  Ids whose first six bytes, read as
 *  milliseconds, lie more than a day past the clock - a held signal's
 *  fully random id, a transferred message's hash - are kept apart in a
 *  sorted list instead of raising the bound for good.
 */
#ifndef KETEN_FRESHIDS_H
#define KETEN_FRESHIDS_H

#include "util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Every id of KT_ID_LEN bytes the table holds is at most below, or is
 *  in above (sorted), or (capped) at least ceiling, so an id past below,
 *  not in above and (capped) under ceiling is new.  Ids only tried (a
 *  batch rolled back) or deleted since may be counted too: that only
 *  sends a lookup to the file.  With more ids past the clock than above
 *  holds, it keeps the lowest and the rest count as ceiling: far past
 *  the clock, so an id made now stays under it.  unknown: every lookup
 *  asks the file (a bound that is no such id, or no memory). */
typedef struct {
    uint8_t below[KT_ID_LEN];
    uint8_t (*above)[KT_ID_LEN];
    size_t n_above;
    uint8_t ceiling[KT_ID_LEN];
    bool capped;
    bool unknown;
} fresh_ids_t;

/*  Counted from column (message ids) of table as stored: the greatest
 *  below the clock's margin (one step down its index) and each one past
 *  it.  0, or -1 with reason. */
int fresh_ids_load (fresh_ids_t *self, sqlite3 *db, const char *table, const char *column,
                    kt_reason_t *reason);
/*  id counted: to be called before its row can be in the file. */
void fresh_ids_note (fresh_ids_t *self, const uint8_t id[KT_ID_LEN], uint64_t now_ms);
/*  Whether id is certainly not in the table. */
bool fresh_ids_new (const fresh_ids_t *self, const uint8_t id[KT_ID_LEN]);
void fresh_ids_free (fresh_ids_t *self);

#endif
