/*  review: the periodic accuracy review of the uitvoerder's files (convenant
 *  art. 8.3 for the weegploeg file, 10.3 for the casusoverleg file), kept
 *  in the weegploeg file.  Each review of a subject's or case's records is
 *  recorded (who, when, the result: ok or correction-needed, and a note
 *  sealed under the subject's key); the worklist holds every subject and
 *  case whose last review, or whose first record when it was never
 *  reviewed, is review-days or more ago.  A correction found is made as
 *  any correction (art. 11-12); the review only records that it is needed.
 */
#ifndef KETEN_REVIEW_H
#define KETEN_REVIEW_H

#include "casusoverleg.h"
#include "store.h"
#include "util.h"
#include "weegploeg.h"

#include <stdbool.h>
#include <stdint.h>

#define REVIEW_NOTE_MAX 4000
#define REVIEW_WEEGPLOEG 1
#define REVIEW_CASUSOVERLEG 2

typedef struct _review_t review_t;

/*  weegploeg is borrowed: reviews live in its file. */
review_t *review_new (weegploeg_t *weegploeg, kt_reason_t *reason);
void review_destroy (review_t **self_p);

/*  Record a review of case_ref's records in every file that holds them
 *  (the weegploeg file's subject, the casusoverleg file's case; casus may
 *  be NULL), in one commit; *files_p (may be NULL) gets which
 *  (REVIEW_WEEGPLOEG | REVIEW_CASUSOVERLEG).  result is "ok" or
 *  "correction-needed"; the note is required.  An archived subject is not
 *  reviewed (art. 13.2: it is not processed). */
int review_record (review_t *self, casusoverleg_t *casus, const char *case_ref, const char *result,
                   const char *note, uint32_t uid, const char *user, uint64_t now_ms, int *files_p,
                   kt_reason_t *reason);

/*  One entry of the worklist; strings borrowed for the callback. */
typedef struct {
    const char *case_ref;
    const char *file;        /* "weegploeg" or "casusoverleg" */
    uint64_t since_ms;       /* the last review, or the first record */
    uint64_t last_review_ms; /* 0: never reviewed */
    const char *last_result; /* "" when never reviewed */
    const char *last_user;
} review_row_t;
typedef int (review_row_fn) (void *arg, const review_row_t *row, kt_reason_t *reason);

/*  The subjects (weegploeg file) and cases (casusoverleg file, when casus
 *  is given) not archived whose since_ms is days or more before now_ms:
 *  the worklist, subjects first, oldest first. */
int review_each_due (review_t *self, casusoverleg_t *casus, uint32_t days, uint64_t now_ms,
                     review_row_fn *fn, void *arg, kt_reason_t *reason);

#endif
