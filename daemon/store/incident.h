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

#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>

#define INCIDENT_AP_DEADLINE_MS (72ull * 3600 * 1000) /* AVG art. 33(1) */

typedef struct _incident_t incident_t;

incident_t *incident_new (sqlite3 *db, kt_reason_t *reason);
void incident_destroy (incident_t **self_p);

int incident_check (const Keten__Incident *in, uint64_t now_ms, kt_reason_t *reason);
/*  1 when a report with message_id is registered (id and its log index
 *  filled in: a retry), 0 when not, -1 on error. */
int incident_find_message (incident_t *self, const uint8_t message_id[KT_ID_LEN], char id[19],
                           uint64_t *log_index_p);
/*  Register a checked report from reporter (message_id NULL when made at
 *  the uitvoerder itself) under its provenance-log index; id receives
 *  "i-" + 16 hex. */
int incident_register (incident_t *self, const Keten__Incident *in, const char *reporter,
                       uint32_t uid, const uint8_t *message_id, uint64_t log_index, char id[19],
                       kt_reason_t *reason);
/*  Record the AP outcome and close: notified_ms > 0, or a reason why
 *  notification is not required. */
int incident_close (incident_t *self, const char *id, uint64_t notified_ms,
                    const char *not_required, uint32_t uid, kt_reason_t *reason);
json_t *incident_list (incident_t *self, uint64_t now_ms);
/*  For status: open incidents, and those whose AP deadline is pending or
 *  passed without a recorded outcome. */
json_t *incident_summary (incident_t *self, uint64_t now_ms);

#endif
