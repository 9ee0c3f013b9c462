/*  logowed: provenance-log entries owed to stored signals (logowed.h).  */
#include "logowed.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t id[KT_ID_LEN];
    uint64_t index;
    Keten__LogEntry *entry; /* NULL: none stored, or not decodable */
} owed_row_t;

typedef struct {
    owed_row_t *rows;
    size_t n, max;
    bool more; /* more than max */
} owed_t;

static int
s_row (void *arg, const uint8_t id[KT_ID_LEN], uint64_t log_index, const uint8_t *entry,
       size_t entry_len, kt_reason_t *reason)
{
    (void) reason;
    owed_t *o = arg;
    if (o->n == o->max) {
        o->more = true;
        return 1;
    }
    owed_row_t *r = &o->rows[o->n++];
    memcpy (r->id, id, KT_ID_LEN);
    r->index = log_index;
    r->entry = entry && entry_len ? keten__log_entry__unpack (NULL, entry_len, entry) : NULL;
    return 0;
}

/*  Whether the rows are what a lost log commit leaves: one drain's signals
 *  (one arrival time), each with its own MESSAGE_RECEIVED entry, at the
 *  indices from the log's end on without a gap.  Else reason says why. */
static bool
s_one_lost_commit (const owed_t *o, uint64_t size, kt_reason_t *reason)
{
    char hex[KT_ID_HEX];
    if (o->more) {
        kt_fail (reason, "more than %zu signals are stored beyond the log's end (%llu entries)",
                 o->max, (unsigned long long) size);
        return false;
    }
    for (size_t i = 0; i < o->n; i++) {
        const owed_row_t *r = &o->rows[i];
        const Keten__LogEntry *e = r->entry;
        kt_hex (hex, r->id, KT_ID_LEN);
        if (!e || e->event != KETEN__LOG_EVENT__MESSAGE_RECEIVED ||
            e->message_id.len != KT_ID_LEN || memcmp (e->message_id.data, r->id, KT_ID_LEN) != 0) {
            kt_fail (reason, "signal %s, stored under log index %llu, holds no entry of its own",
                     hex, (unsigned long long) r->index);
            return false;
        }
        if (r->index != size + i || e->time_ms != o->rows[0].entry->time_ms) {
            kt_fail (reason,
                     "signal %s is stored under log index %llu, but the log ends at %llu and "
                     "the signals beyond it are not one commit's",
                     hex, (unsigned long long) r->index, (unsigned long long) size);
            return false;
        }
    }
    return true;
}

int
logowed_catch_up (provlog_t *log, weegploeg_t *weegploeg, size_t max, kt_reason_t *reason)
{
    provlog_owe (log, false);
    uint64_t size = provlog_size (log);
    owed_t o = {calloc (max ? max : 1, sizeof (owed_row_t)), 0, max, false};
    int rc = -1;
    if (!o.rows) {
        kt_fail (reason, "out of memory");
        goto done;
    }
    if (weegploeg_each_from_log_index (weegploeg, size, s_row, &o, reason) != 0)
        goto done;
    if (o.n == 0) {
        rc = 0;
        goto done;
    }
    if (!s_one_lost_commit (&o, size, reason)) {
        rc = -2;
        goto done;
    }
    if (provlog_begin (log, reason) != 0)
        goto done;
    for (size_t i = 0; i < o.n; i++) {
        uint64_t at = 0;
        char hex[KT_ID_HEX];
        if (provlog_append_received (log, o.rows[i].entry, &at, reason) != 0 ||
            (at != o.rows[i].index &&
             kt_fail (reason, "signal %s: its entry would land at log index %llu, not at %llu",
                      kt_hex (hex, o.rows[i].id, KT_ID_LEN), (unsigned long long) at,
                      (unsigned long long) o.rows[i].index))) {
            provlog_rollback (log);
            goto done;
        }
    }
    if (provlog_commit (log, reason) == 0)
        rc = (int) o.n;
done:
    if (rc == -1)
        provlog_owe (log, true);
    for (size_t i = 0; o.rows && i < o.n; i++)
        if (o.rows[i].entry)
            keten__log_entry__free_unpacked (o.rows[i].entry, NULL);
    free (o.rows);
    return rc;
}
