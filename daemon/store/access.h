/*  access: the node's record of every read of personal data (art. 15.2e):
 *  which OS user (from the kernel, SO_PEERCRED), when, what was read (a
 *  command name) and about whom (the case_ref, never a name).  A read is
 *  recorded before the data is shown; when it cannot be recorded, the data
 *  is not shown.  `keten audit access --since DATE` lists the records for
 *  the periodic review.
 */
#ifndef KETEN_ACCESS_H
#define KETEN_ACCESS_H

#include "util.h"

#include <stdbool.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct _access_t access_t;

/*  db is borrowed (node.db). */
access_t *access_new (sqlite3 *db, const char *node_id, kt_reason_t *reason);
void access_destroy (access_t **self_p);

/*  The login name of uid, or "uid:N" when it has none. */
void access_user_name (uid_t uid, char *out, size_t len);

/*  Record that uid read what about each of case_refs, inside the
 *  caller's transaction on the node's db (node_record_access: the notice
 *  that carries the read to the provenance log commits with it). */
int access_record (access_t *self, uid_t uid, const char *what, const char *const *case_refs,
                   size_t n_case_refs, uint64_t now_ms, kt_reason_t *reason);

/*  Record an act of uid's that read nothing (what, e.g. "clock.confirm:24h";
 *  case_ref ""), as a refusal is recorded. */
int access_record_act (access_t *self, uid_t uid, const char *what, uint64_t now_ms,
                       kt_reason_t *reason);

/*  One access record; the strings are borrowed for the callback. */
typedef struct {
    uint64_t at_ms;
    int64_t uid;
    const char *user;
    const char *what;
    const char *case_ref; /* "" for a refusal: nothing was read */
    int64_t id;           /* the record's number, for paging (after_id) */
} access_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (access_row_fn) (void *arg, const access_row_t *row, kt_reason_t *reason);

/*  Records at or after since_ms and numbered above after_id (0: from the
 *  first), oldest first, at most limit, each to fn.  0, or -1 with reason
 *  when the records cannot be read. */
int access_each (access_t *self, uint64_t since_ms, int64_t after_id, int limit, access_row_fn *fn,
                 void *arg, kt_reason_t *reason);

/*  Record that uid was refused cmd (what "refused:CMD", no case_ref), on
 *  its own or inside the caller's transaction: the first 100 refusals of
 *  a caller in an hour one by one (0), the rest counted (1; 2 for the
 *  first of them) and recorded in one row when its hour is over
 *  ("refused:N more in the hour, counted"), at its next refusal or when
 *  the module closes.  -1 with reason when a row cannot be written. */
int access_record_refusal (access_t *self, uid_t uid, const char *cmd, uint64_t now_ms,
                           kt_reason_t *reason);

/*  The periodic review of these records (art. 15.2e-f): who (uid's
 *  name), when (now_ms), the period reviewed (YYYY-MM-DD, checked by the
 *  caller) and the finding.  Append-only, like the records. */
int access_review_add (access_t *self, uid_t uid, const char *period_from, const char *period_to,
                       const char *finding, uint64_t now_ms, kt_reason_t *reason);
typedef struct {
    int64_t id;
    uint64_t at_ms;
    int64_t uid;
    const char *user;
    const char *period_from, *period_to;
    const char *finding;
} access_review_t;
typedef int (access_review_fn) (void *arg, const access_review_t *row, kt_reason_t *reason);
/*  The reviews, newest first, at most limit, each to fn. */
int access_review_each (access_t *self, int limit, access_review_fn *fn, void *arg,
                        kt_reason_t *reason);
/*  When the newest review was recorded; *at_ms -1 when none was. */
int access_review_last (access_t *self, int64_t *at_ms, kt_reason_t *reason);
/*  This node's id, as the records name it. */
const char *access_node (access_t *self);

#endif
