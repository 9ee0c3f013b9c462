/*  rkhistory: every referentiekader the uitvoerder put in force (art.
 *  7.3), kept in the weegploeg file beside the decisions weighed against
 *  it - append-only, with the file's exact text, so that any decision's
 *  criteria can be read back by the SHA-256 it records.
 */
#ifndef KETEN_RKHISTORY_H
#define KETEN_RKHISTORY_H

#include "referentiekader.h"
#include "store.h"
#include "util.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct _rkhistory_t rkhistory_t;

/*  The table lives in db (borrowed: the weegploeg file). */
rkhistory_t *rkhistory_new (sqlite3 *db, kt_reason_t *reason);
void rkhistory_destroy (rkhistory_t **self_p);

/*  Append rk (checked, its sha256 that of text's len bytes) as put in
 *  force by roster_version at now_ms. */
int rkhistory_add (rkhistory_t *self, const referentiekader_t *rk, const char *text, size_t len,
                   uint64_t roster_version, uint64_t now_ms, kt_reason_t *reason);

/*  The text kept for version: 1 found, 0 never adopted, -1 with reason.
 *  On 1 sha256 receives its hash, *text_p its text (heap, free()) and
 *  *roster_version_p the roster version that last put it in force (each
 *  may be NULL: not wanted).  A version is adopted with one hash only
 *  (rkhistory_add's callers refuse another), so any row answers. */
int rkhistory_find (rkhistory_t *self, const char *version, uint8_t sha256[32], char **text_p,
                    uint64_t *roster_version_p, kt_reason_t *reason);

/*  One row, strings borrowed for the callback. */
typedef struct {
    const char *version;
    const char *sha256; /* hex */
    bool example;
    uint64_t adopted_ms;
    uint64_t roster_version;
} rkhistory_row_t;
typedef int (rkhistory_row_fn) (void *arg, const rkhistory_row_t *row, kt_reason_t *reason);
/*  Every row, oldest first. */
int rkhistory_each (rkhistory_t *self, rkhistory_row_fn *fn, void *arg, kt_reason_t *reason);

#endif
