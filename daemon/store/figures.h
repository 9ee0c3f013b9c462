/*  figures: the uitvoerder's counted facts, for `keten report` (convenant
 *  art. 15.3, 18.4; docs/REPORT.md).  One `figure` row per fact, or per
 *  n facts alike recorded together - the Dutch calendar day, the kind of
 *  fact, the gemeente (a roster id or ""), a label, a number and n - and
 *  nothing else: no case_ref, no time of day, no personal data.  The
 *  table lives in each file where a counted fact is recorded
 *  (weegploeg.db, casusoverleg.db, requests.db, node.db), so each row
 *  commits in the transaction of its fact; a report reads the union.
 *  Append-only: triggers refuse an UPDATE or DELETE, so retention
 *  (art. 13) cannot take last quarter's figures with the subjects.
 */
#ifndef KETEN_FIGURES_H
#define KETEN_FIGURES_H

#include "roster.h"
#include "util.h"

#include <sqlite3.h>
#include <stdint.h>

#define FIGURES_LABEL_MAX 64

/*  The kinds of fact (the `kind` column). */
#define FIGURE_SIGNAL_SOURCE "signal-source"     /* label: source kind (art. 7.2) */
#define FIGURE_SIGNAL_CATEGORY "signal-category" /* label: referentiekader category */
#define FIGURE_DECISION "decision"               /* label: outcome */
#define FIGURE_CASE_OPENED "case-opened"
#define FIGURE_CASE_CLOSED "case-closed" /* value: days open */
#define FIGURE_PLAN "plan-version"
#define FIGURE_DISCLOSURE "disclosure"    /* label: the recipient's kind */
#define FIGURE_SHARE "share"              /* art. 9.2: label: the recipient's kind */
#define FIGURE_REQUEST "request-answered" /* label: request kind; value: in time 0/1 */
#define FIGURE_INCIDENT "incident-reported"
#define FIGURE_INCIDENT_CLOSED                                                                     \
    "incident-closed"                /* label: ap-notified, ap-not-required;                       \
                                        value: within 72 hours 0/1 */
#define FIGURE_RETENTION "retention" /* label: archived, destroyed */

/*  Bring db's figure table up to date (each file that records facts). */
int figures_migrate (sqlite3 *db, kt_reason_t *reason);

/*  Record one fact on the Dutch calendar day of at_ms, inside the
 *  caller's transaction on db.  gemeente is a roster id or "" (NULL:
 *  ""); label is cut to FIGURES_LABEL_MAX bytes (NULL: ""). */
int figures_add (sqlite3 *db, uint64_t at_ms, const char *kind, const char *gemeente,
                 const char *label, int64_t value, kt_reason_t *reason);

/*  Facts counted in memory and recorded as one row per kind of fact
 *  with its count (the row's n), for a batch that records many alike
 *  (a drain of signals): zero it, add each fact, store the rows inside
 *  the transaction that stores the facts, clear it. */
typedef struct {
    char day[11];
    const char *kind; /* one of the FIGURE_ constants */
    char gemeente[KEYS_ID_MAX + 1];
    char label[FIGURES_LABEL_MAX + 1];
    int64_t value;
    int64_t n;
} figures_count_t;
typedef struct {
    figures_count_t *rows;
    size_t n, cap;
} figures_tally_t;
/*  -1 when out of memory. */
int figures_tally_add (figures_tally_t *self, uint64_t at_ms, const char *kind,
                       const char *gemeente, const char *label, int64_t value);
int figures_tally_store (figures_tally_t *self, sqlite3 *db, kt_reason_t *reason);
void figures_tally_clear (figures_tally_t *self);

/*  The gemeente member of roster whose residents live in municipality
 *  (weegploeg_kernpartij_sees' rule), into out; "" when none. */
void figures_gemeente (const roster_t *roster, const char *municipality, char out[KEYS_ID_MAX + 1]);

/*  One row, strings borrowed for the callback. */
typedef struct {
    const char *day;
    const char *kind;
    const char *gemeente;
    const char *label;
    int64_t value;
    int64_t n; /* how many facts alike the row stands for, at least 1 */
} figures_row_t;
typedef int (figures_row_fn) (void *arg, const figures_row_t *row, kt_reason_t *reason);
/*  The rows of db from day from to day to (YYYY-MM-DD, both included). */
int figures_each (sqlite3 *db, const char *from, const char *to, figures_row_fn *fn, void *arg,
                  kt_reason_t *reason);

#endif
