/*  incident: the uitvoerder's incident register (convenant art. 15.2g), in
 *  node.db.  Every node reports data incidents (what happened, when it was
 *  found, which kinds of data, how many subjects); the register tracks the
 *  72 hours that AVG art. 33 gives to notify the Autoriteit
 *  Persoonsgegevens, from the moment the incident was found, until the
 *  notification is recorded as done or as not required, with the reason.
 *  incident_check is the one place a report is checked.
 */
#ifndef KETEN_INCIDENT_H
#define KETEN_INCIDENT_H

#include "keten.pb-c.h"
#include "util.h"

#include <stdbool.h>
#include <sqlite3.h>
#include <stdint.h>

#define INCIDENT_AP_DEADLINE_MS (72ull * 3600 * 1000) /* AVG art. 33(1) */
#define INCIDENT_TEXT_MAX 4000

typedef struct _incident_t incident_t;

incident_t *incident_new (sqlite3 *db, kt_reason_t *reason);
void incident_destroy (incident_t **self_p);

int incident_check (const Keten__Incident *in, uint64_t now_ms, kt_reason_t *reason);
/*  A text of the register: min..INCIDENT_TEXT_MAX bytes, lines allowed,
 *  and no BSN (nine digits passing the elfproef): kinds and counts, not
 *  who. */
bool incident_text_ok (const char *text, size_t min);
/*  Whether a report with message_id is registered: 1 when it is the same
 *  report (from reporter, with body commitment: a retry; id and its log
 *  index filled in), 2 when the id is another report's (another reporter
 *  or another body), 0 when not, -1 on error. */
int incident_find_message (incident_t *self, const uint8_t message_id[KT_ID_LEN],
                           const char *reporter, const uint8_t *commitment, char id[19],
                           uint64_t *log_index_p);
/*  Register a checked report from reporter (message_id and commitment,
 *  its body commitment, NULL when made at the uitvoerder itself) under its
 *  provenance-log index; id receives "i-" + 16 hex. */
int incident_register (incident_t *self, const Keten__Incident *in, const char *reporter,
                       uint32_t uid, const uint8_t *message_id, const uint8_t *commitment,
                       uint64_t log_index, char id[19], kt_reason_t *reason);
/*  Record the AP outcome (AVG art. 33) of an open incident: notified_ms
 *  > 0, or a reason why notification is not required.  A notification
 *  time before the incident was found, or more than a minute ahead of
 *  now, is refused.  Once recorded, the incident no longer counts as
 *  awaiting the AP (its 72 hours are met or moot), while the persons
 *  concerned may still be informed.  Raises the version. */
int incident_record_ap (incident_t *self, const char *id, uint64_t notified_ms,
                        const char *not_required, uint64_t now_ms, kt_reason_t *reason);

/*  Close: with the AP outcome given here (as incident_record_ap), or
 *  recorded before (notified_ms 0, not_required NULL).  Only once
 *  persons_informed and handling are recorded (incident_update): closed
 *  means handled.  The notification counts as within AVG art. 33's 72
 *  hours when it lies between the finding and the deadline. */
int incident_close (incident_t *self, const char *id, uint64_t notified_ms,
                    const char *not_required, uint32_t uid, kt_reason_t *reason);

/*  Record whether the persons concerned were informed (AVG art. 34:
 *  "yes", "no" or "not-required"; the last two with note saying why) and
 *  how the incident was handled; either may be NULL (left as it is).
 *  Each change raises the incident's version. */
int incident_update (incident_t *self, const char *id, const char *informed, const char *note,
                     const char *handling, uint32_t uid, uint64_t now_ms, kt_reason_t *reason);

/*  One registered incident; strings borrowed for the callback. */
typedef struct {
    const char *id;
    const char *reporter;
    uint64_t reported_ms;
    uint64_t found_ms;
    const char *what;
    const char *data_kinds; /* "a,b" */
    uint64_t subjects;
    uint64_t ap_deadline_ms;
    bool notified; /* ap_notified_ms is set */
    uint64_t ap_notified_ms;
    const char *ap_not_required; /* NULL when not recorded */
    bool closed;
    uint32_t version;                  /* 1 when registered, +1 per change */
    const char *persons_informed;      /* "", yes, no, not-required (AVG art. 34) */
    const char *persons_informed_note; /* why not, or why not required */
    const char *handling;              /* how it was handled */
    uint64_t updated_ms;               /* the last change (reported_ms at first) */
} incident_row_t;
/*  Take one row: 0 go on, 1 stop, -1 error with reason. */
typedef int (incident_row_fn) (void *arg, const incident_row_t *row, kt_reason_t *reason);
/*  Every incident, newest first; with open_only the open ones, soonest
 *  AP deadline first.  0, or -1 with reason when the register cannot be
 *  read. */
int incident_each (incident_t *self, bool open_only, incident_row_fn *fn, void *arg,
                   kt_reason_t *reason);
/*  The limit newest incidents, newest first (an index: the cost does not
 *  grow with the register).  0, or -1 with reason. */
int incident_page (incident_t *self, size_t limit, incident_row_fn *fn, void *arg,
                   kt_reason_t *reason);
/*  The limit open incidents whose AP outcome is not recorded, soonest AP
 *  deadline first.  0, or -1 with reason. */
int incident_ap_pending (incident_t *self, size_t limit, incident_row_fn *fn, void *arg,
                         kt_reason_t *reason);
typedef struct {
    uint64_t open;       /* not closed */
    uint64_t ap_pending; /* of them, no AP outcome recorded */
    uint64_t ap_overdue; /* of those, the AP deadline passed at now_ms */
} incident_counts_t;
/*  The open incidents counted (one query on their partial index).  0, or
 *  -1 with reason. */
int incident_counts (incident_t *self, uint64_t now_ms, incident_counts_t *out,
                     kt_reason_t *reason);
/*  One incident: 1 (fn called), 0 none, -1 with reason. */
int incident_one (incident_t *self, const char *id, incident_row_fn *fn, void *arg,
                  kt_reason_t *reason);

#endif
